"""Stage2: база волатильності старшого ТФ з 1m вікна і правила витрат (чистий R/R, стоп проти комісій)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aione.data.bars import BarArrays
from aione.stage2.risk import (
    TAG_RR_BELOW_MIN,
    TAG_STOP_INSIDE_COSTS,
    cost_verdict,
    finalize_targets,
    net_rr,
    round_trip_cost,
)
from aione.stage2.volatility import htf_atr, htf_true_ranges, volatility_basis

T0 = 1_746_403_200_000  # 2025-05-05 00:00 UTC: кратне 15 і 60 хвилинам


def minute_bars(high: list[float], low: list[float], close: list[float], t0: int = T0) -> BarArrays:
    """1m бари з заданими high/low/close (open = close, обсяг 1)."""
    n = len(close)
    c = np.asarray(close, dtype=np.float64)
    ones = np.ones(n, dtype=np.float64)
    return BarArrays(
        t0 + np.arange(n, dtype=np.int64) * 60_000,
        c.copy(),
        np.asarray(high, dtype=np.float64),
        np.asarray(low, dtype=np.float64),
        c,
        ones,
        ones,
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.float64),
    )


# ── Старший ТФ ──
def test_true_ranges_of_completed_buckets_with_gap_from_previous_close() -> None:
    # Два 3-хвилинні кошики й неповний третій (2 бари з 3) — він відкидається.
    high = [10.0, 11.0, 10.5, 13.0, 12.0, 12.5, 20.0, 21.0]
    low = [9.0, 9.5, 10.0, 12.0, 11.5, 12.2, 19.0, 19.5]
    close = [9.5, 10.5, 10.2, 12.5, 11.8, 12.4, 19.5, 20.0]
    tr = htf_true_ranges(minute_bars(high, low, close), 3)
    # Кошик 1: 11 − 9 = 2. Кошик 2: high 13, low 11.5, попереднє закриття 10.2 → 13 − 10.2 = 2.8.
    assert tr.tolist() == pytest.approx([2.0, 2.8])
    # Коли третій кошик добудовано, він враховується.
    full = minute_bars([*high, 20.5], [*low, 19.8], [*close, 20.1])
    assert htf_true_ranges(full, 3).tolist() == pytest.approx([2.0, 2.8, 21.0 - 12.4])


def test_buckets_follow_the_clock_grid_not_the_window_start() -> None:
    # Вікно починається на 2-й хвилині 3-хвилинного кошика: перший кошик має лише 2 бари.
    bars = minute_bars(
        [5.0, 6.0, 7.0, 8.0, 9.0], [4.0, 5.0, 6.0, 7.0, 8.0], [4.5, 5.5, 6.5, 7.5, 8.5], T0 + 60_000
    )
    tr = htf_true_ranges(bars, 3)
    assert tr.tolist() == pytest.approx([6.0 - 4.0, 9.0 - 5.5])


def test_htf_atr_needs_period_plus_one_bars_and_averages_the_last_period() -> None:
    rng = np.random.default_rng(7)
    close = 100.0 + np.cumsum(rng.normal(0.0, 0.2, 15 * 20))
    bars = minute_bars((close + 0.1).tolist(), (close - 0.1).tolist(), close.tolist())
    tr = htf_true_ranges(bars, 15)
    assert len(tr) == 20
    assert htf_atr(bars, 15, 14) == pytest.approx(float(tr[-14:].mean()))
    assert math.isnan(htf_atr(bars, 15, 20))  # 20 барів < 21 потрібного
    assert math.isnan(htf_atr(bars.slice(0, 0), 15, 14))


def test_basis_is_the_larger_of_floor_and_htf_atr() -> None:
    assert volatility_basis(0.1, 0.5, 1.0) == 0.5
    assert volatility_basis(0.1, 0.15, 2.0) == pytest.approx(0.2)
    assert volatility_basis(0.1, float("nan"), 1.0) == 0.1  # без старшого ТФ — 1m ATR
    assert math.isnan(volatility_basis(float("nan"), float("nan"), 1.0))


# ── Витрати ──
def test_net_rr_is_reward_minus_fees_over_risk_plus_fees() -> None:
    plan = finalize_targets("BUY", 100.0, 103.0, 99.0, 0.01)
    assert round_trip_cost(100.0, 0.0004) == pytest.approx(0.08)
    assert net_rr(plan, 0.0004) == pytest.approx((3.0 - 0.08) / (1.0 + 0.08))
    assert net_rr(plan, 0.0) == pytest.approx(plan.rr)
    sell = finalize_targets("SELL", 100.0, 97.0, 101.0, 0.01)
    assert net_rr(sell, 0.0004) == pytest.approx(net_rr(plan, 0.0004))


def test_stop_inside_costs_fires_below_the_multiple_and_not_above() -> None:
    tight = finalize_targets("BUY", 100.0, 100.9, 99.8, 0.01)  # стоп 0.2 < 3 × 0.08
    assert cost_verdict(tight, 0.0004, 3.0, 2.0) == TAG_STOP_INSIDE_COSTS
    wide = finalize_targets("BUY", 100.0, 101.5, 99.7, 0.01)  # стоп 0.3 ≥ 0.24, чистий R/R 1.42/0.38
    assert cost_verdict(wide, 0.0004, 3.0, 2.0) is None
    assert cost_verdict(tight, 0.0004, 0.0, 2.0) is None  # множник 0 вимикає правило


def test_gross_rr_that_passes_can_fail_after_fees() -> None:
    plan = finalize_targets("SELL", 100.0, 99.0, 100.5, 0.01)  # R/R 2.0 до комісій
    assert plan.rr == pytest.approx(2.0)
    assert cost_verdict(plan, 0.0, 0.0, 2.0) is None
    assert cost_verdict(plan, 0.0004, 0.0, 2.0) == TAG_RR_BELOW_MIN
