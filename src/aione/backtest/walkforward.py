"""Walk-forward оцінка параметрів: підбір на одних барах, перевірка на наступних, ніколи на тих самих.

Схема (n_folds ≥ 3 послідовних рівних за часом відрізків F0 … F(n−1) спільного вікна символів):
- F0 — лише прогрів (індикатори, денні рівні, мезорівні): угоди, вирішені тут, не рахуються;
- F1 … F(n−2) — «підбір»: ціль кожного trial Optuna — середній бал цих відрізків з одного
  суцільного прогону F0 … F(n−2); угода належить відрізку, у якому прийнято рішення
  (`decision_ts`), тож кожен відрізок оцінено лише після прогріву на всіх раніших барах;
  бари F(n−1) у цей прогін не потрапляють зовсім;
- F(n−1) — «перевірка»: після дослідження найкращі параметри і типові проганяються по
  F0 … F(n−1), а бал рахується лише з угод, вирішених у F(n−1). Оптимізатор цих барів не бачив.

Бал відрізка — чистий прибуток на угоду у відсотках (`pnl_pct` записів угод, уже після комісій),
зі штрафом за малу кількість угод. Для n угод з p₁ … pₙ, m = `min_trades`, L = `missing_loss_pct`:

    бал = (Σ pᵢ − L · max(0, m − n)) / max(n, m)

Тобто коли угод щонайменше m — це просто середній чистий % на угоду; коли менше — кожна угода,
якої бракує до m, рахується як втрата L % (середнє стягується до −L). Відрізок без угод дає −L
(або 0, якщо m = 0). Так набір, що майже не торгує, не виграє завдяки кільком щасливим угодам і
не виграє «мовчанням» у набору, що торгує з малим мінусом на угоду (> −L). Ціль trial — середнє
балів відрізків підбору (`OBJECTIVE_NAME`, версія `OBJECTIVE_VERSION` — частина відбитка
дослідження: зміна формули робить старі дослідження несумісними).

Вікно даних (`data_window`) — спільний проміжок open_time символів у межах прогону, плюс відбиток
вмісту: blake2b над байтами всіх колонок барів саме цього вікна (ті бари, які побачить бектест),
символ за символом. Зміна будь-якої ціни, обсягу чи часу у вікні змінює відбиток; дописані
поза вікном бари — ні.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aione.backtest.runner import Overrides, RunSpec, run_backtest
from aione.config.config import OPTUNA_MISSING_TRADE_LOSS_PCT
from aione.exchange.replay import load_series

MINUTE_MS = 60_000
DEFAULT_MIN_TRADES = 10  # угод на відрізок, нижче яких бракуючі рахуються як втрата L %
OBJECTIVE_NAME = "net_pct_per_trade"
OBJECTIVE_VERSION = 2  # 1 — сума R / √n (до issue 15); 2 — чистий % на угоду зі штрафом нестачі


@dataclass(frozen=True, slots=True)
class Fold:
    """Відрізок часу [start_ms, end_ms] (open_time бару, включно)."""

    index: int
    start_ms: int
    end_ms: int

    def contains(self, ts: int) -> bool:
        return self.start_ms <= ts <= self.end_ms


# ── Вікно даних і його відбиток ──
@dataclass(frozen=True, slots=True)
class DataWindow:
    """Спільне вікно символів прогону: межі, кількість барів у ньому і blake2b їхніх колонок."""

    symbols: tuple[str, ...]
    first_ms: int
    last_ms: int
    bars: int
    digest: str


def data_window(spec: RunSpec) -> DataWindow:
    """Вікно (перший, останній open_time), обмежене межами `spec`, і відбиток барів у ньому."""
    series = load_series(spec.data_dir, spec.symbols)
    if not series or any(len(b) == 0 for b in series.values()):
        raise ValueError(f"no bars in {spec.data_dir} for the chosen symbols")
    first = max(int(b.open_time[0]) for b in series.values())
    last = min(int(b.open_time[-1]) for b in series.values())
    if spec.start_ms is not None:
        first = max(first, spec.start_ms)
    if spec.end_ms is not None:
        last = min(last, spec.end_ms)
    if last <= first:
        raise ValueError("empty common time window for the chosen symbols and range")
    h = hashlib.blake2b(digest_size=16)
    h.update(f"window:{first}:{last}\n".encode())
    total = 0
    for name, bars in series.items():  # load_series уже відсортував символи за назвою
        t = bars.open_time
        lo = int(np.searchsorted(t, first, side="left"))
        hi = int(np.searchsorted(t, last, side="right"))
        total += hi - lo
        h.update(f"symbol:{name}:{hi - lo}\n".encode())
        for field, col in zip(bars._fields, bars, strict=True):
            part = np.ascontiguousarray(col[lo:hi])
            h.update(f"{field}:{part.dtype.str}\n".encode())
            h.update(part.data)  # байти колонки без копії (масив уже суцільний)
    return DataWindow(tuple(series), first, last, total, h.hexdigest())


def common_window(spec: RunSpec) -> tuple[int, int]:
    """Спільне вікно символів прогону, обмежене межами `spec`: (перший, останній open_time)."""
    window = data_window(spec)
    return window.first_ms, window.last_ms


# ── Відрізки ──
def make_folds(first_ms: int, last_ms: int, n_folds: int) -> list[Fold]:
    """`n_folds` рівних відрізків, межі на хвилинній сітці, без перетинів і проміжків."""
    if n_folds < 3:
        raise ValueError("walk-forward needs at least 3 folds: warm-up, fit, validation")
    minutes = (last_ms - first_ms) // MINUTE_MS + 1
    if minutes < n_folds:
        raise ValueError(f"window of {minutes} bars is too short for {n_folds} folds")
    bounds = [first_ms + (minutes * k // n_folds) * MINUTE_MS for k in range(n_folds + 1)]
    return [Fold(k, bounds[k], bounds[k + 1] - MINUTE_MS) for k in range(n_folds)]


# ── Бал ──
def fold_score(
    trades: Sequence[Mapping[str, Any]],
    min_trades: int = DEFAULT_MIN_TRADES,
    missing_loss_pct: float = OPTUNA_MISSING_TRADE_LOSS_PCT,
) -> float:
    """(Σ pnl_pct − L·нестача) / max(n, min_trades) (див. опис модуля); 0, якщо угод немає й m = 0."""
    pnl = [
        float(t["pnl_pct"])
        for t in trades
        if isinstance(t.get("pnl_pct"), int | float) and math.isfinite(t["pnl_pct"])
    ]
    missing = max(0, min_trades - len(pnl))
    denom = max(len(pnl), min_trades)
    return (math.fsum(pnl) - missing_loss_pct * missing) / denom if denom else 0.0


def trades_in(trades: Sequence[Mapping[str, Any]], fold: Fold) -> list[Mapping[str, Any]]:
    """Угоди, рішення про які прийнято у відрізку."""
    return [t for t in trades if fold.contains(int(t.get("decision_ts") or -1))]


@dataclass(frozen=True, slots=True)
class WalkForwardScore:
    """Бал по відрізках і середнє (ціль), плюс кількість угод кожного відрізка."""

    fold_scores: tuple[float, ...]
    fold_trades: tuple[int, ...]

    @property
    def mean(self) -> float:
        return math.fsum(self.fold_scores) / len(self.fold_scores) if self.fold_scores else 0.0


def score_folds(
    spec: RunSpec,
    folds: Sequence[Fold],
    scored: Sequence[Fold],
    overrides: Overrides | None,
    min_trades: int = DEFAULT_MIN_TRADES,
    missing_loss_pct: float = OPTUNA_MISSING_TRADE_LOSS_PCT,
) -> WalkForwardScore:
    """Один суцільний прогін від початку `folds[0]` до кінця останнього з `scored`; бал — по `scored`."""
    run = RunSpec(spec.data_dir, spec.symbols, folds[0].start_ms, scored[-1].end_ms)
    result = run_backtest(run, overrides)
    parts = [trades_in(result.trades, f) for f in scored]
    return WalkForwardScore(
        tuple(fold_score(p, min_trades, missing_loss_pct) for p in parts), tuple(len(p) for p in parts)
    )


def fit_score(
    spec: RunSpec,
    folds: Sequence[Fold],
    overrides: Overrides | None,
    min_trades: int = DEFAULT_MIN_TRADES,
    missing_loss_pct: float = OPTUNA_MISSING_TRADE_LOSS_PCT,
) -> WalkForwardScore:
    """Ціль trial: відрізки підбору F1 … F(n−2) (бари перевірки не читаються)."""
    return score_folds(spec, folds, folds[1:-1], overrides, min_trades, missing_loss_pct)


def validation_score(
    spec: RunSpec,
    folds: Sequence[Fold],
    overrides: Overrides | None,
    min_trades: int = DEFAULT_MIN_TRADES,
    missing_loss_pct: float = OPTUNA_MISSING_TRADE_LOSS_PCT,
) -> WalkForwardScore:
    """Бал на відрізку перевірки F(n−1) після прогріву на всіх раніших барах."""
    return score_folds(spec, folds, folds[-1:], overrides, min_trades, missing_loss_pct)


__all__ = [
    "DEFAULT_MIN_TRADES",
    "MINUTE_MS",
    "OBJECTIVE_NAME",
    "OBJECTIVE_VERSION",
    "DataWindow",
    "Fold",
    "WalkForwardScore",
    "common_window",
    "data_window",
    "fit_score",
    "fold_score",
    "make_folds",
    "score_folds",
    "trades_in",
    "validation_score",
]
