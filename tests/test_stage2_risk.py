"""Stage2: TP/SL від ATR і рівнів, тік, обмін сторін, профіль обсягу, аномалії."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.config.config import TRADE_TAG_SWAPPED_LONG, TRADE_TAG_SWAPPED_SHORT
from aione.stage2.anomaly import detect_anomalies
from aione.stage2.inputs import OrderBookDepth
from aione.stage2.risk import TAG_SL_BEYOND_LEVEL, TAG_TP_CAPPED, finalize_targets, plan_trade, risk_class
from aione.stage2.volume_profile import volume_profile


def on_grid(price: float, tick: float) -> bool:
    steps = price / tick
    return abs(steps - round(steps)) < 1e-6 + 1e-9 * abs(steps)


# ── TP/SL ──
def test_plain_atr_targets_for_buy_and_sell() -> None:
    buy = plan_trade("BUY", 100.0, 0.5, tick=0.01)
    assert buy is not None
    assert (buy.tp, buy.sl) == (101.5, 99.5)
    assert math.isclose(buy.rr, 3.0)
    sell = plan_trade("SELL", 100.0, 0.5, tick=0.01)
    assert sell is not None
    assert (sell.tp, sell.sl) == (98.5, 100.5)


def test_sl_hides_beyond_support_just_under_atr_stop() -> None:
    # Підтримка 99.45 трохи нижче ATR-стопу 99.5: стоп іде за неї на буфер.
    plan = plan_trade("BUY", 100.0, 0.5, supports=[99.45], tick=0.01, buffer_eps=0.0005)
    assert plan is not None
    assert plan.sl < 99.45
    assert plan.sl_level == 99.45
    assert TAG_SL_BEYOND_LEVEL in plan.tags


def test_sl_not_widened_past_limit_and_level_inside_stop_kept() -> None:
    far = plan_trade("BUY", 100.0, 0.5, supports=[98.0], tick=0.01, sl_max_atr=1.5)
    assert far is not None and far.sl == 99.5 and far.sl_level is None
    inside = plan_trade("BUY", 100.0, 0.5, supports=[99.8], tick=0.01)
    assert inside is not None and inside.sl == 99.5  # рівень уже між входом і стопом


def test_tp_capped_before_next_resistance_and_mirrored_for_sell() -> None:
    buy = plan_trade("BUY", 100.0, 0.5, resistances=[101.0], tick=0.01, buffer_eps=0.0005)
    assert buy is not None
    assert buy.tp < 101.0 and buy.tp_level == 101.0 and TAG_TP_CAPPED in buy.tags
    assert buy.rr < 3.0
    sell = plan_trade("SELL", 100.0, 0.5, supports=[99.2], resistances=[100.55], tick=0.01)
    assert sell is not None
    assert sell.tp > 99.2 and sell.sl > 100.55


def test_wrong_sides_are_swapped_and_tagged() -> None:
    long = finalize_targets("BUY", 100.0, tp=99.0, sl=102.0, tick=0.1)
    assert (long.tp, long.sl) == (102.0, 99.0)
    assert TRADE_TAG_SWAPPED_LONG in long.tags
    short = finalize_targets("SELL", 100.0, tp=101.0, sl=98.0, tick=0.1)
    assert (short.tp, short.sl) == (98.0, 101.0)
    assert TRADE_TAG_SWAPPED_SHORT in short.tags
    ok = finalize_targets("BUY", 100.0, tp=103.0, sl=99.0, tick=0.1)
    assert ok.tags == ()


def test_invalid_inputs_give_no_plan() -> None:
    assert plan_trade("BUY", 100.0, float("nan"), tick=0.01) is None
    assert plan_trade("BUY", 100.0, 0.0, tick=0.01) is None
    assert plan_trade("SELL", -1.0, 0.5, tick=0.01) is None


prices = st.floats(min_value=1e-3, max_value=1e5, allow_nan=False)
fractions = st.floats(min_value=1e-4, max_value=0.2)


@settings(max_examples=300, deadline=None)
@given(
    side=st.sampled_from(["BUY", "SELL"]),
    entry=prices,
    atr_frac=fractions,
    level_offsets=st.lists(st.floats(min_value=-0.3, max_value=0.3), max_size=8),
    tick_exp=st.integers(min_value=-8, max_value=0),
    tp_mult=st.floats(min_value=0.5, max_value=6.0),
    sl_mult=st.floats(min_value=0.3, max_value=3.0),
)
def test_targets_always_on_correct_side_and_on_tick_grid(
    side: str,
    entry: float,
    atr_frac: float,
    level_offsets: list[float],
    tick_exp: int,
    tp_mult: float,
    sl_mult: float,
) -> None:
    tick = 10.0**tick_exp
    if tick * 20 > entry:  # ціна має бути хоч кілька тіків
        return
    levels = [entry * (1 + off) for off in level_offsets]
    plan = plan_trade(
        side,  # type: ignore[arg-type]
        entry,
        entry * atr_frac,
        supports=[p for p in levels if p < entry],
        resistances=[p for p in levels if p > entry],
        tick=tick,
        tp_mult=tp_mult,
        sl_mult=sl_mult,
    )
    assert plan is not None
    for price in (plan.entry, plan.tp, plan.sl):
        assert on_grid(price, tick)
    if side == "BUY":
        assert plan.tp > plan.entry > plan.sl > 0
    else:
        assert plan.sl > plan.entry > plan.tp > 0
    assert plan.rr >= 0


def test_risk_class_rules() -> None:
    assert risk_class("normal", [], "MANIPULATED") == "extreme"
    assert risk_class("high", [], "BULLISH_BREAKOUT") == "high"
    assert risk_class("normal", ["long_upper_wick"], "BULLISH_CONTROL") == "high"
    assert risk_class("low", [], "RANGE_BOUND") == "low"
    assert risk_class("normal", [], "RANGE_BOUND") == "medium"


# ── Профіль обсягу ──
def test_volume_profile_poc_and_value_area_cover_target() -> None:
    rng = np.random.default_rng(7)
    n = 500
    close = 100 + rng.normal(0, 0.5, n)
    close[:300] = 100.0 + rng.normal(0, 0.05, 300)  # важка полиця біля 100
    high, low = close + 0.05, close - 0.05
    volume = np.full(n, 10.0)
    vp = volume_profile(high, low, close, volume, bins=40, value_area_pct=0.7)
    assert vp is not None
    assert abs(vp.poc - 100.0) < 0.2
    assert vp.val <= vp.poc <= vp.vah
    assert vp.covered >= 0.7
    assert vp.position(vp.vah + 1) == "above" and vp.position(vp.val - 1) == "below"
    assert vp.position(vp.poc) == "inside"
    wider = volume_profile(high, low, close, volume, bins=40, value_area_pct=0.95)
    assert wider is not None and wider.vah - wider.val > vp.vah - vp.val


def test_volume_profile_degenerate_inputs() -> None:
    empty = np.zeros(0)
    assert volume_profile(empty, empty, empty, empty) is None
    one = np.array([5.0])
    assert volume_profile(one, one, one, np.array([0.0])) is None
    flat = volume_profile(one, one, one, np.array([3.0]))
    assert flat is not None and flat.poc == 5.0


# ── Аномалії ──
def test_anomaly_flags() -> None:
    calm = detect_anomalies(100.0, 100.3, 99.9, 100.2, atr=0.5, volume_z=0.5)
    assert calm.flags == ()
    churn = detect_anomalies(100.0, 100.1, 99.95, 100.02, atr=0.5, volume_z=4.0)
    assert "volume_without_move" in churn.flags
    wick = detect_anomalies(100.0, 101.2, 99.95, 100.1, atr=0.5, volume_z=1.0)
    assert "long_upper_wick" in wick.flags and "long_lower_wick" not in wick.flags
    spike = detect_anomalies(100.0, 103.0, 99.0, 102.5, atr=0.5, volume_z=1.0)
    assert "price_spike" in spike.flags
    thin = detect_anomalies(
        100.0, 100.3, 99.9, 100.2, atr=0.5, volume_z=0.0, orderbook=OrderBookDepth(10_000, 5_000)
    )
    assert "thin_book" in thin.flags
    no_atr = detect_anomalies(100.0, 103.0, 99.0, 102.5, atr=float("nan"), volume_z=9.0)
    assert no_atr.flags == () and no_atr.as_dict()["range_atr"] is None
