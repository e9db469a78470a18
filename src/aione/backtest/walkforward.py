"""Walk-forward оцінка параметрів: підбір на одних барах, перевірка на наступних, ніколи на тих самих.

Схема (n_folds ≥ 3 послідовних рівних за часом відрізків F0 … F(n−1) спільного вікна символів):
- F0 — лише прогрів (індикатори, денні рівні, мезорівні): угоди, вирішені тут, не рахуються;
- F1 … F(n−2) — «підбір»: ціль кожного trial Optuna — середній бал цих відрізків з одного
  суцільного прогону F0 … F(n−2); угода належить відрізку, у якому прийнято рішення
  (`decision_ts`), тож кожен відрізок оцінено лише після прогріву на всіх раніших барах;
  бари F(n−1) у цей прогін не потрапляють зовсім;
- F(n−1) — «перевірка»: після дослідження найкращі параметри і типові проганяються по
  F0 … F(n−1), а бал рахується лише з угод, вирішених у F(n−1). Оптимізатор цих барів не бачив.
Бал відрізка = (сума R − нестача) / √max(n, min_trades), де нестача = max(0, min_trades − n):
середнє R × √n (прибуток на угоду, помножений на впевненість, що він не випадковий), а кожна
угода, якої бракує до `min_trades`, рахується як програш −1R. Так «не торгувати зовсім» не
виграє дешево (інакше на збиткових даних найкращим був би набір, що не дає жодної угоди).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aione.backtest.runner import Overrides, RunSpec, run_backtest
from aione.exchange.replay import load_series

MINUTE_MS = 60_000
DEFAULT_MIN_TRADES = 10  # угод на відрізок, нижче яких бракуючі рахуються як −1R


@dataclass(frozen=True, slots=True)
class Fold:
    """Відрізок часу [start_ms, end_ms] (open_time бару, включно)."""

    index: int
    start_ms: int
    end_ms: int

    def contains(self, ts: int) -> bool:
        return self.start_ms <= ts <= self.end_ms


# ── Відрізки ──
def common_window(spec: RunSpec) -> tuple[int, int]:
    """Спільне вікно символів прогону, обмежене межами `spec`: (перший, останній open_time)."""
    series = load_series(spec.data_dir, spec.symbols)
    if not series:
        raise ValueError(f"no bars in {spec.data_dir}")
    first = max(int(b.open_time[0]) for b in series.values() if len(b))
    last = min(int(b.open_time[-1]) for b in series.values() if len(b))
    if spec.start_ms is not None:
        first = max(first, spec.start_ms)
    if spec.end_ms is not None:
        last = min(last, spec.end_ms)
    if last <= first:
        raise ValueError("empty common time window for the chosen symbols and range")
    return first, last


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
def fold_score(trades: Sequence[Mapping[str, Any]], min_trades: int = DEFAULT_MIN_TRADES) -> float:
    """(Сума R − нестача) / √max(n, min_trades) (див. опис модуля); 0, якщо min_trades = 0 і угод немає."""
    rs = [float(t["r"]) for t in trades if isinstance(t.get("r"), int | float) and math.isfinite(t["r"])]
    missing = max(0, min_trades - len(rs))
    denom = max(len(rs), min_trades)
    return (math.fsum(rs) - missing) / math.sqrt(denom) if denom else 0.0


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
) -> WalkForwardScore:
    """Один суцільний прогін від початку `folds[0]` до кінця останнього з `scored`; бал — по `scored`."""
    run = RunSpec(spec.data_dir, spec.symbols, folds[0].start_ms, scored[-1].end_ms)
    result = run_backtest(run, overrides)
    parts = [trades_in(result.trades, f) for f in scored]
    return WalkForwardScore(tuple(fold_score(p, min_trades) for p in parts), tuple(len(p) for p in parts))


def fit_score(
    spec: RunSpec, folds: Sequence[Fold], overrides: Overrides | None, min_trades: int = DEFAULT_MIN_TRADES
) -> WalkForwardScore:
    """Ціль trial: відрізки підбору F1 … F(n−2) (бари перевірки не читаються)."""
    return score_folds(spec, folds, folds[1:-1], overrides, min_trades)


def validation_score(
    spec: RunSpec, folds: Sequence[Fold], overrides: Overrides | None, min_trades: int = DEFAULT_MIN_TRADES
) -> WalkForwardScore:
    """Бал на відрізку перевірки F(n−1) після прогріву на всіх раніших барах."""
    return score_folds(spec, folds, folds[-1:], overrides, min_trades)


__all__ = [
    "DEFAULT_MIN_TRADES",
    "Fold",
    "WalkForwardScore",
    "common_window",
    "fit_score",
    "fold_score",
    "make_folds",
    "score_folds",
    "trades_in",
    "validation_score",
]
