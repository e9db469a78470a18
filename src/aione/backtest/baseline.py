"""Входи базових ліній: випадкові (seeded) і «та сама мить, примусовий бік»; еталонне виконання.

Правила плану (спільні для всіх базових ліній, усе детерміноване):
- план: entry = close бару рішення, TP = entry ± `tp_mult`·база, SL = entry ∓ `sl_mult`·база
  (множники Stage2; база — та сама, що в Stage2: `volatility_basis` з ATR(1m) — Wilder
  ATR(`atr_period`) Stage1 у batch-формі, що доведено дорівнює інкрементній, — і ATR старшого ТФ
  з вікна `context_bars` 1m барів до бару рішення), прив'язка до тіку як у Stage2
  (`finalize_targets`), без рівнів;
- ті самі правила витрат Stage2 (`cost_verdict`): план, який Stage2 не пропустив би (стоп
  усередині комісій, чистий R/R нижче мінімуму), не стає рішенням.

Випадкові входи (`EntryPool.random`, від `seed`):
- кількість = кількість угод, створених стратегією (сигнали з `trade_id`); сторони — ті самі
  (BUY/SELL), переставлені seeded-генератором, тож розподіл сторін однаковий;
- момент входу — випадковий (без повторів) закритий бар прогону після прогріву (`warmup` барів
  символу, щоб ATR був зрілим) і не останній бар символу; відкинутий правилами витрат вхід
  замінюється наступним випадковим.

Примусовий бік (`EntryPool.at_signals`): ті самі символи й бари рішень, що й угоди стратегії,
але кожен бік — заданий (усі BUY або всі SELL); план за тими самими правилами, відкинутий — не
замінюється.

Виконання: свіжий `TradeManager` з параметрами Stage3 над тими самими барами у тому самому
порядку: вхід на наступному оновленні, TP/SL за high/low, беззбиток, трейлінг, часова зупинка;
рішення подається після бару рішення (як у ядрі: спершу угоди бачать бар, потім Stage2).
`run_baseline` — еталон: кожен бар прогону через `on_bar`; швидкий прогін з тими самими угодами —
`baseline_replay.ReplayFrame`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aione.backtest.batch_inputs import accepted_mask
from aione.backtest.runner import Overrides, RunSpec, stage_params, trade_record
from aione.config.config import STAGE2_STATUS
from aione.data.bar_validation import check_values
from aione.data.bars import BarArrays
from aione.data.tick_snapshot import recorded_ticks
from aione.exchange.replay import iter_replay, load_series
from aione.indicators import atr as batch_atr
from aione.stage2.risk import cost_verdict, finalize_targets
from aione.stage2.volatility import htf_atr, volatility_basis
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import EVENT_CLOSED, EVENT_PENDING
from aione.utils.utils import get_tick_size

DEFAULT_SEED = 20250509
DEFAULT_WARMUP = 240
_RECS = {"BUY": "STRONG_BUY", "SELL": "STRONG_SELL"}


# ── Прийняті бари ──
def accepted_series(series: Mapping[str, BarArrays]) -> dict[str, BarArrays]:
    """Лише бари, які прийняло б сховище (`accepted_mask`: NaN/inf, хибна ціна, дубль — геть), —
    ті самі, що бачить ядро бектесту; один поганий бар не зупиняє ATR базових ліній."""
    out: dict[str, BarArrays] = {}
    for name, bars in series.items():
        ok = accepted_mask(bars)
        out[name] = bars if bool(ok.all()) else BarArrays(*(col[ok] for col in bars))  # type: ignore[arg-type]
    return out


# ── Межі прогону ──
def window_rows(bars: BarArrays, spec: RunSpec) -> tuple[int, int]:
    """Рядки [lo, hi) барів символу в межах open_time прогону (як у `iter_replay`)."""
    t = bars.open_time
    lo = 0 if spec.start_ms is None else int(np.searchsorted(t, spec.start_ms, side="left"))
    hi = len(t) if spec.end_ms is None else int(np.searchsorted(t, spec.end_ms, side="right"))
    return lo, hi


# ── Пул входів ──
@dataclass(frozen=True, slots=True)
class _PlanRules:
    """Числа Stage2, з яких будується план базової лінії."""

    tp_mult: float
    sl_mult: float
    htf_minutes: int
    htf_period: int
    floor: float
    fee_rate: float
    min_stop: float
    min_rr: float
    window: int

    @classmethod
    def of(cls, p2: Mapping[str, Any]) -> _PlanRules:
        return cls(
            float(p2["tp_mult"]),
            float(p2["sl_mult"]),
            int(p2["atr_basis_minutes"]),
            int(p2["atr_basis_period"]),
            float(p2["atr_basis_floor_1m"]),
            float(p2["fee_rate"]),
            float(p2["min_stop_cost_mult"]),
            float(p2["min_risk_reward"]),
            int(p2["context_bars"]),
        )


class EntryPool:
    """Бари й ATR символів прогону, завантажені один раз для всіх seed-ів і базових ліній."""

    def __init__(
        self, spec: RunSpec, overrides: Overrides | None = None, *, warmup: int = DEFAULT_WARMUP
    ) -> None:
        p1, p2, _ = stage_params(overrides)
        self.series = accepted_series(load_series(spec.data_dir, spec.symbols))
        self.names = sorted(self.series)
        self.ticks = recorded_ticks(spec.data_dir, self.names)  # тік символу, як у ядрі бектесту
        self.rules = _PlanRules.of(p2)
        period = int(p1["atr_period"])
        self.rows: dict[str, tuple[int, int]] = {}
        self.atrs: dict[str, np.ndarray] = {}
        pools: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        for k, name in enumerate(self.names):
            bars = self.series[name]
            lo, hi = self.rows[name] = window_rows(bars, spec)
            if hi - lo < warmup + 2:
                continue
            a = batch_atr(bars.high[lo:hi], bars.low[lo:hi], bars.close[lo:hi], period)
            self.atrs[name] = a
            idx = np.arange(warmup, hi - lo - 1, dtype=np.int64)
            idx = idx[np.isfinite(a[idx]) & (a[idx] > 0)]
            pools.append(idx)
            owners.append(np.full(idx.shape[0], k, dtype=np.int64))
        self.pool_idx = np.concatenate(pools) if pools else np.zeros(0, dtype=np.int64)
        self.pool_sym = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)

    def decision(self, name: str, i: int, side: str, tag: str) -> dict[str, Any] | None:
        """Рішення «Stage2» на барі `i` вікна символу з боком `side`; None — план не пройшов правила."""
        atrs = self.atrs.get(name)
        if atrs is None or not 0 <= i < atrs.shape[0]:
            return None
        r = self.rules
        bars = self.series[name]
        lo = self.rows[name][0]
        entry = float(bars.close[lo + i])
        atr_1m = float(atrs[i])
        ctx_bars = bars.slice(max(lo, lo + i + 1 - r.window), lo + i + 1)
        atr_htf = htf_atr(ctx_bars, r.htf_minutes, r.htf_period) if r.htf_minutes > 1 else float("nan")
        atr_v = volatility_basis(atr_1m, atr_htf, r.floor)
        if not atr_v > 0:
            return None
        sign = 1.0 if side == "BUY" else -1.0
        tick = get_tick_size(name, entry, self.ticks.get(name))
        plan = finalize_targets(
            "BUY" if side == "BUY" else "SELL",
            entry,
            entry + sign * r.tp_mult * atr_v,
            entry - sign * r.sl_mult * atr_v,
            tick,
        )
        if cost_verdict(plan, r.fee_rate, r.min_stop, r.min_rr) is not None:
            return None
        return {
            "symbol": name,
            "timestamp": int(bars.open_time[lo + i]),
            "status": STAGE2_STATUS["COMPLETED"],
            "recommendation": _RECS[side],
            "side": side,
            "market_context": {"scenario": None, "volatility_regime": None, "atr": atr_v},
            "confidence_metrics": {"composite_confidence": 1.0},
            "risk_parameters": {
                "entry": plan.entry,
                "tp": plan.tp,
                "sl": plan.sl,
                "atr": atr_v,
                "tick_size": tick,
                "tags": [tag],
            },
        }

    def random(self, sides: Sequence[str], seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
        """Випадкові рішення з тими самими сторонами (правила — в описі модуля), за часом."""
        if not sides or self.pool_idx.shape[0] == 0:
            return []
        rng = np.random.default_rng(seed)
        count = min(len(sides), self.pool_idx.shape[0])
        order = rng.permutation(
            self.pool_idx.shape[0]
        )  # кандидати у випадковому порядку; беруться перші придатні
        shuffled = [str(s) for s in rng.permutation(np.asarray(list(sides), dtype=object))[:count]]
        out: list[dict[str, Any]] = []
        start = 0
        while len(out) < count and start < order.shape[0]:
            # Блоками в порядку перестановки: зазвичай вистачає першого (відкидається мало планів).
            block = order[start : start + 2 * count]
            start += block.shape[0]
            for k, i in zip(self.pool_sym[block].tolist(), self.pool_idx[block].tolist(), strict=True):
                found = self.decision(self.names[k], i, shuffled[len(out)], "random_baseline")
                if found is not None:
                    out.append(found)
                    if len(out) == count:
                        break
        out.sort(key=lambda d: (d["timestamp"], d["symbol"]))
        return out

    def at_signals(self, signals: Sequence[Mapping[str, Any]], side: str, tag: str) -> list[dict[str, Any]]:
        """Рішення на барах сигналів (символ, `ts`) з примусовим боком `side`, за часом."""
        out: list[dict[str, Any]] = []
        for s in signals:
            name = str(s.get("symbol"))
            bars = self.series.get(name)
            ts = s.get("ts")
            if bars is None or not isinstance(ts, int):
                continue
            lo, hi = self.rows[name]
            row = int(np.searchsorted(bars.open_time[lo:hi], ts, side="left"))
            if lo + row < hi and int(bars.open_time[lo + row]) == ts:
                found = self.decision(name, row, side, tag)
                if found is not None:
                    out.append(found)
        out.sort(key=lambda d: (d["timestamp"], d["symbol"]))
        return out


def random_decisions(
    spec: RunSpec,
    sides: Sequence[str],
    overrides: Overrides | None = None,
    *,
    seed: int = DEFAULT_SEED,
    warmup: int = DEFAULT_WARMUP,
) -> list[dict[str, Any]]:
    """Записи «рішень Stage2» для випадкових входів одного seed-а (правила — в описі модуля)."""
    if not sides:
        return []
    return EntryPool(spec, overrides, warmup=warmup).random(sides, seed)


# ── Еталонне виконання ──
def run_baseline(
    spec: RunSpec,
    decisions: Sequence[Mapping[str, Any]],
    overrides: Overrides | None = None,
    *,
    label: str = "random",
) -> tuple[list[dict[str, Any]], int]:
    """Проганяє рішення через свіжий `TradeManager` по кожному бару; (закриті угоди, скільки відкрито)."""
    _, _, p3 = stage_params(overrides)
    # Поріг впевненості Stage3 не має відсіювати входи базової лінії: у них впевненість 1.0.
    trades = TradeManager(p3)
    by_key: dict[tuple[int, str], list[Mapping[str, Any]]] = {}
    for d in decisions:
        by_key.setdefault((int(d["timestamp"]), str(d["symbol"])), []).append(d)
    closed: list[dict[str, Any]] = []
    created = 0
    for event in iter_replay(spec.data_dir, spec.symbols, spec.start_ms, spec.end_ms):
        bar = event.bar
        if check_values(bar) is not None:  # як сховище ядра: бар з NaN/inf чи хибною ціною не існує
            continue
        events = trades.on_bar(event.symbol, bar)
        events = events + trades.refresh_if_due(bar.open_time)
        todo = by_key.get((bar.open_time, event.symbol))
        if todo:
            for d in todo:
                trades.on_decision(d)
                events = events + trades.last_events
        for ev in events:
            if ev.kind == EVENT_CLOSED:
                closed.append(trade_record(ev.trade, [label]))
            elif ev.kind == EVENT_PENDING:
                created += 1
    return closed, created


__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_WARMUP",
    "EntryPool",
    "accepted_series",
    "random_decisions",
    "run_baseline",
    "window_rows",
]
