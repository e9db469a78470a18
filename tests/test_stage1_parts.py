"""Чисті частини монітора Stage1: ворота алертів, ковзна медіана, денні рівні, пороги."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from aione.config.config import STAGE1_MONITOR_PARAMS, STAGE1_STATE_DELTAS
from aione.data.bars import Bar
from aione.stage1.alert_gate import AlertGate
from aione.stage1.daily_levels import DAY_MS, DailyLevels
from aione.stage1.rolling_median import RollingMedian
from aione.stage1.thresholds import asset_class, classify_market_state, state_thresholds, symbol_params

MIN = 60_000


# ── Ворота алертів ──
def test_gate_emits_once_per_episode() -> None:
    g = AlertGate(cooldown_ms=300_000)
    t = 0
    assert g.decide(True, "up", t) is True
    # та сама причина триває: не повторюється навіть після охолодження
    assert [g.decide(True, "up", t + i * MIN) for i in range(1, 10)] == [False] * 9
    assert g.episode_direction == "up"


def test_gate_cooldown_per_direction_in_event_time() -> None:
    g = AlertGate(cooldown_ms=300_000)
    assert g.decide(True, "up", 0)
    assert not g.decide(False, None, MIN)
    assert not g.decide(True, "up", 2 * MIN)  # новий епізод, але охолодження up ще триває
    assert not g.decide(True, "up", 7 * MIN)  # епізод, що почався під охолодженням, придушено повністю
    assert g.decide(True, "down", 8 * MIN)  # інший напрям — власне охолодження
    assert not g.decide(False, None, 9 * MIN)
    assert g.decide(True, "up", 10 * MIN)  # 10 хв після першого up
    assert g.last_emit_ms == {"up": 10 * MIN, "down": 8 * MIN}


def test_gate_episode_continues_while_any_trigger_presses_the_same_way() -> None:
    g = AlertGate(cooldown_ms=300_000)
    assert g.decide(True, "up", 0, ["up", "up"])
    assert not g.decide(False, "up", MIN, ["up"])  # NORMAL, але near_high ще тисне вгору
    assert not g.decide(True, "up", 10 * MIN, ["up", "up"])  # той самий епізод, хоч охолодження минуло
    assert not g.decide(False, "down", 11 * MIN, ["down"])  # тиск угору зник — епізод завершено
    assert g.episode_direction is None
    assert g.decide(True, "up", 12 * MIN, ["up", "up"])
    assert g.decide(True, "down", 13 * MIN, ["down", "down"])  # протилежний ALERT — власний епізод
    assert not g.decide(False, None, 14 * MIN, [None])  # NORMAL без тиску вниз
    assert g.decide(True, None, 15 * MIN, ["up", "down"])
    assert not g.decide(False, None, 16 * MIN, [None])  # епізод "none" триває, поки є хоч якийсь тригер
    assert g.episode_direction == "none"


def test_gate_direction_none_is_its_own_key_and_would_emit_is_pure() -> None:
    g = AlertGate(cooldown_ms=300_000)
    assert g.would_emit(True, None, 0)
    assert g.would_emit(True, None, 0)  # стан не змінився
    assert g.decide(True, None, 0)
    assert not g.would_emit(True, None, MIN)
    assert g.decide(True, "up", MIN)  # зміна напряму = новий епізод


# ── Ковзна медіана ──
def test_rolling_median_matches_numpy_on_random_stream() -> None:
    rng = random.Random(7)
    rm = RollingMedian(7)
    xs: list[float] = []
    for i in range(300):
        x = rng.choice([rng.random(), 0.5, 0.25])  # з повторами
        rm.push(x)
        xs.append(x)
        if i < 6:
            assert math.isnan(rm.value)
        else:
            assert rm.value == pytest.approx(float(np.median(xs[-7:])), abs=0)
    rm.push(math.nan)  # ігнорується
    assert len(rm) == 7
    rm.reset()
    assert len(rm) == 0 and math.isnan(rm.value)
    with pytest.raises(ValueError):
        RollingMedian(0)


def test_rolling_median_even_window() -> None:
    rm = RollingMedian(4)
    for x in (4.0, 1.0, 3.0, 2.0):
        rm.push(x)
    assert rm.value == 2.5 and rm.full


# ── Денні рівні ──
def _bar(t: int, high: float, low: float) -> Bar:
    return Bar(t, (high + low) / 2, high, low, (high + low) / 2, 1.0)


def test_daily_levels_roll_over_only_for_complete_day() -> None:
    dl = DailyLevels(max_gap_ms=5 * MIN)
    day0 = 20_000 * DAY_MS
    # доба 0 почалась опівдні — неповна, її діапазон не стає рівнями
    dl.on_closed(_bar(day0 + DAY_MS // 2, 10, 9))
    dl.on_closed(_bar(day0 + DAY_MS - MIN, 11, 8))
    dl.on_closed(_bar(day0 + DAY_MS, 10.5, 10))  # доба 1 з 00:00
    assert dl.support is None and dl.resistance is None
    dl.on_closed(_bar(day0 + DAY_MS + MIN, 12, 7))
    nxt = _bar(day0 + 2 * DAY_MS, 10, 9.5)
    assert dl.peek(nxt) == (7, 12)  # відкритий перший бар нової доби вже бачить вчорашній діапазон
    assert dl.support is None  # peek стан не змінив
    dl.on_closed(nxt)
    assert (dl.support, dl.resistance) == (7, 12)
    dl.set_manual(6.0, 13.0)
    assert (dl.support, dl.resistance) == (6.0, 13.0) and dl.peek(nxt) == (6.0, 13.0)
    dl.set_manual(None, None)
    assert (dl.support, dl.resistance) == (7, 12)
    dl.on_closed(_bar(day0 + 4 * DAY_MS, 10, 9))  # пропущено добу: рівні застаріли
    assert dl.support is None


# ── Пороги ──
def test_symbol_params_merges_overrides_and_vwap_class() -> None:
    assert asset_class("BTCUSDT") == "major" and asset_class("PEPEUSDT") == "alt"
    p = symbol_params(STAGE1_MONITOR_PARAMS, {"vol_z_threshold": 4.0}, "BTCUSDT")
    assert p["vol_z_threshold"] == 4.0 and p["vwap_deviation"] == 0.001
    assert symbol_params(STAGE1_MONITOR_PARAMS, None, "ZZZUSDT")["vwap_deviation"] == 0.01
    assert symbol_params({"vwap_deviation": 0.02}, None, "BTCUSDT")["vwap_deviation"] == 0.02
    # частково задані параметри не втрачають решти ключів
    assert (
        symbol_params({"rsi_period": 7}, None, "X")["cooldown_sec"] == STAGE1_MONITOR_PARAMS["cooldown_sec"]
    )


def test_state_thresholds_add_deltas_then_widen_rsi() -> None:
    base = symbol_params(STAGE1_MONITOR_PARAMS, None, "ETHUSDT")
    plain = state_thresholds(base, None)
    assert (plain["rsi_overbought"], plain["rsi_oversold"], plain["market_state"]) == (70.0, 30.0, None)
    hv = state_thresholds(base, "high_volatility")
    d = STAGE1_STATE_DELTAS["high_volatility"]
    m = STAGE1_MONITOR_PARAMS["dynamic_rsi_multiplier"]
    assert hv["vol_z_threshold"] == pytest.approx(2.5 + d["vol_z_threshold"])
    assert hv["rsi_overbought"] == pytest.approx(50 + (70 + d["rsi_overbought"] - 50) * m)
    assert hv["rsi_oversold"] == pytest.approx(50 - (50 - (30 + d["rsi_oversold"])) * m)
    rb = state_thresholds(base, "range_bound")  # у боковику RSI не розширюється
    assert rb["rsi_overbought"] == pytest.approx(70 + STAGE1_STATE_DELTAS["range_bound"]["rsi_overbought"])
    extreme = state_thresholds({**base, "rsi_overbought": 98.0, "rsi_oversold": 2.0}, "trend_strong")
    assert extreme["rsi_overbought"] == 99.0 and extreme["rsi_oversold"] == 1.0


def test_classify_market_state_priority() -> None:
    p = STAGE1_MONITOR_PARAMS
    # ATR% 0.01 при медіані TR% 0.004 → висока волатильність (перевага над трендом)
    assert classify_market_state(100, 1.0, 90, 101, 99, 0.01, 0.004, p) == "high_volatility"
    assert classify_market_state(100, 1.0, 97.5, 110, 90, 0.01, 0.009, p) == "trend_strong"
    assert classify_market_state(100, 1.0, 99.5, 102, 98, 0.01, 0.009, p) == "range_bound"
    assert classify_market_state(100, 1.0, 99.5, 110, 90, 0.01, 0.009, p) is None
    assert classify_market_state(100, math.nan, 99.5, 110, 90, math.nan, 0.009, p) is None
