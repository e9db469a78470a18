"""Усі базові лінії прогону разом: випадкові входи з багатьох seed-ів, «завжди long», «завжди short»,
купив-і-тримай. Тут лише збір сирих угод і цін; числа звіту — у `baseline_summary` (чиста логіка).

- випадкові входи: seed-и `seed`, `seed + 1`, …, `seed + seeds − 1` (перший — той самий, що
  й у єдиній колишній базовій лінії); кожен — та сама кількість входів і ті самі сторони, що в
  угод стратегії, ті самі правила плану й Stage3 (`baseline.EntryPool.random`);
- «завжди long» / «завжди short»: ті самі символи й бари рішень, що в угод стратегії, ті самі
  правила плану й Stage3, але кожен бік — BUY, відповідно SELL (`EntryPool.at_signals`);
- купив-і-тримай: кожен символ прогону від першого до останнього close вікна (ціни — тут,
  формула з комісією — `baseline_summary.buy_and_hold_pct`).
Бари й ATR завантажуються один раз (`EntryPool`), порядок подій — теж (`ReplayFrame`); кожен
прогін відвідує лише бари, де в нього є угода (див. `baseline_replay`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from aione.backtest.baseline import DEFAULT_SEED, EntryPool
from aione.backtest.baseline_replay import ReplayFrame
from aione.backtest.runner import BacktestResult, Overrides, stage_params

DEFAULT_SEEDS = 30
LABEL_RANDOM = "random"
LABEL_LONG = "always_long"
LABEL_SHORT = "always_short"


# ── Сирі результати ──
@dataclass(frozen=True, slots=True)
class RunTrades:
    """Один прогін базової лінії: скільки входів запитано, скільки угод створено, закриті угоди."""

    label: str
    requested: int
    created: int
    trades: list[dict[str, Any]]
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class BaselineRuns:
    """Сирі результати всіх базових ліній одного прогону (числа з них рахує `baseline_summary`)."""

    seed: int
    random: list[RunTrades]
    always_long: RunTrades
    always_short: RunTrades
    closes: dict[str, tuple[float, float]]  # символ → (перший, останній) close вікна
    fee_rate: float

    def base(self) -> dict[str, Any]:
        """Прогін базового seed-а у форматі `report.build_report(baseline=…)` (з угодами)."""
        first = self.random[0] if self.random else RunTrades(LABEL_RANDOM, 0, 0, [], self.seed)
        return {
            "seed": first.seed,
            "requested": first.requested,
            "created": first.created,
            "trades": first.trades,
        }


# ── Ціни вікна ──
def _first_last_close(closes: list[float]) -> tuple[float, float] | None:
    """Перший і останній скінченні додатні close; None, якщо таких немає."""
    good = [c for c in closes if math.isfinite(c) and c > 0]
    return (good[0], good[-1]) if good else None


# ── Прогін ──
def run_baselines(
    result: BacktestResult,
    overrides: Overrides | None = None,
    *,
    seed: int = DEFAULT_SEED,
    seeds: int = DEFAULT_SEEDS,
) -> BaselineRuns:
    """Усі базові лінії до прогону стратегії (правила — в описі модуля)."""
    if seeds < 1:
        raise ValueError(f"need at least one baseline seed, got {seeds}")
    spec = result.spec
    p3 = stage_params(overrides)[2]
    traded = [s for s in result.signals if s.get("trade_id")]
    sides = [str(s["side"]) for s in traded]
    pool = EntryPool(spec, overrides)
    frame = ReplayFrame(spec, pool.series)
    randoms: list[RunTrades] = []
    for k in range(seeds):
        s = seed + k
        closed, created = frame.run(pool.random(sides, s), p3, label=LABEL_RANDOM)
        randoms.append(RunTrades(LABEL_RANDOM, len(sides), created, closed, s))
    forced: dict[str, RunTrades] = {}
    for label, side in ((LABEL_LONG, "BUY"), (LABEL_SHORT, "SELL")):
        closed, created = frame.run(pool.at_signals(traded, side, label), p3, label=label)
        forced[label] = RunTrades(label, len(traded), created, closed)
    closes: dict[str, tuple[float, float]] = {}
    for name, cols in zip(frame.names, frame.cols, strict=True):
        pair = _first_last_close(cols[3])
        if pair is not None:
            closes[name] = pair
    return BaselineRuns(seed, randoms, forced[LABEL_LONG], forced[LABEL_SHORT], closes, float(p3["fee_rate"]))


__all__ = [
    "DEFAULT_SEEDS",
    "LABEL_LONG",
    "LABEL_RANDOM",
    "LABEL_SHORT",
    "BaselineRuns",
    "RunTrades",
    "run_baselines",
]
