"""Перевірка погляду вперед: рішення на барі t не можуть залежати від барів після t.

Процедура:
1. повний прогін записує журнал рішень (`BacktestResult.decisions`: сигнали Stage2 з
   рекомендацією, впевненістю, entry/TP/SL і тригерами; події угод з ціною) у порядку подій;
2. вибираються бари t (seeded): половина — моменти рішень повного прогону (там витік видно
   найкраще), решта — рівномірно з часу прогону;
3. для кожного t прогін повторюється з даними, обрізаними після t (`RunSpec.truncated`), і
   його журнал має збігатися з префіксом повного журналу з часом ≤ t — запис у запис.
Перша розбіжність дає `LookaheadError` з назвою рішення (CLI виходить з ненульовим кодом).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aione.backtest.runner import ENGINE_BATCH, BacktestResult, CoreFactory, Overrides, RunSpec, run_backtest


class LookaheadError(AssertionError):
    """Рішення змінилося, коли дані обрізали після t: ядро дивиться в майбутнє."""


@dataclass(frozen=True, slots=True)
class LookaheadReport:
    """Підсумок успішної перевірки: які t перевірено і скільки рішень порівняно."""

    checked_ts: tuple[int, ...]
    compared: int


def _ts_of(decision: Sequence[Any]) -> int:
    return int(decision[1])


def sample_times(full: BacktestResult, samples: int, seed: int) -> list[int]:
    """Бари t для перевірки (правило — в описі модуля), відсортовані, без повторів."""
    rng = np.random.default_rng(seed)
    decision_ts = sorted({_ts_of(d) for d in full.decisions})
    picked: set[int] = set()
    if decision_ts:
        k = min(len(decision_ts), (samples + 1) // 2)
        picked.update(int(x) for x in rng.choice(decision_ts, size=k, replace=False))
    if full.first_ts is not None and full.last_ts is not None and full.last_ts > full.first_ts:
        rest = max(0, samples - len(picked))
        minutes = (full.last_ts - full.first_ts) // 60_000
        for off in rng.integers(0, minutes + 1, size=rest).tolist():
            picked.add(full.first_ts + int(off) * 60_000)
    return sorted(picked)


def first_difference(
    expected: Sequence[Sequence[Any]], actual: Sequence[Sequence[Any]]
) -> tuple[int, Any, Any] | None:
    """Перша позиція, де журнали різняться: (індекс, очікуване, отримане) або None."""
    for i in range(max(len(expected), len(actual))):
        a = tuple(expected[i]) if i < len(expected) else None
        b = tuple(actual[i]) if i < len(actual) else None
        if a != b:
            return i, a, b
    return None


def check_lookahead(
    spec: RunSpec,
    overrides: Overrides | None = None,
    *,
    samples: int = 8,
    seed: int = 7,
    core_factory: CoreFactory | None = None,
    full: BacktestResult | None = None,
    engine: str = ENGINE_BATCH,
    alerts_fn: Callable[..., Any] | None = None,
) -> LookaheadReport:
    """Перевіряє прогін `spec` (див. опис модуля); `LookaheadError` на першій розбіжності.

    Перевіряється той рушій, яким рахується звіт (`engine`); власна фабрика ядра — подієвим."""
    if full is None:
        full = run_backtest(spec, overrides, engine=engine, core_factory=core_factory, alerts_fn=alerts_fn)
    compared = 0
    times = sample_times(full, samples, seed)
    for t in times:
        expected = [d for d in full.decisions if _ts_of(d) <= t]
        cut = run_backtest(
            spec.truncated(t), overrides, engine=engine, core_factory=core_factory, alerts_fn=alerts_fn
        )
        diff = first_difference(expected, cut.decisions)
        if diff is not None:
            i, want, got = diff
            raise LookaheadError(
                f"look-ahead: decision #{i} differs when data ends at t={t}: full run {want!r}, truncated run {got!r}"
            )
        compared += len(expected)
    return LookaheadReport(tuple(times), compared)


__all__ = ["LookaheadError", "LookaheadReport", "check_lookahead", "first_difference", "sample_times"]
