"""Кожен тригер Stage1 на ручних послідовностях барів: мусить спрацювати / не мусить, краєві випадки."""

from __future__ import annotations

import math

import pytest

from aione.data.bars import Bar
from tests.stage1_bars import MIN, bar, calm, details, names, only, path, run


# ── Сплеск обсягу ──
def test_volume_spike_bull_bear_by_bar_direction() -> None:
    hist = calm(100)
    up = bar(100, 100.0, 100.6, 99.9, 100.5, v=100.0)
    down = bar(100, 100.0, 100.1, 99.4, 99.5, v=100.0)
    r_up = run(only("volume_spike"), [*hist, up])[-1]
    r_dn = run(only("volume_spike"), [*hist, down])[-1]
    assert names(r_up) == {"bull_vol_spike"} and r_up.raw_trigger_reasons == ["volume_spike_bull"]
    assert r_up.direction == "up" and details(r_up, "bull_vol_spike")["volume_z"] >= 2.5
    assert names(r_dn) == {"bear_vol_spike"} and r_dn.direction == "down"


def test_volume_spike_taker_share_overrides_bar_direction() -> None:
    hist = calm(100)
    green_but_sold = bar(100, 100.0, 100.6, 99.9, 100.5, v=100.0, taker=20.0)  # 20 % taker-buy
    res = run(only("volume_spike"), [*hist, green_but_sold])[-1]
    assert names(res) == {"bear_vol_spike"}
    assert details(res, "bear_vol_spike")["taker_buy_share"] == pytest.approx(0.2)
    doji_bought = bar(100, 100.0, 100.6, 99.6, 100.0, v=100.0, taker=80.0)
    assert names(run(only("volume_spike"), [*hist, doji_bought])[-1]) == {"bull_vol_spike"}
    doji_unknown = bar(100, 100.0, 100.6, 99.6, 100.0, v=100.0)
    res = run(only("volume_spike"), [*hist, doji_unknown])[-1]
    assert names(res) == {"volume_spike"} and res.direction is None


def test_volume_spike_does_not_fire_on_normal_zero_or_flat_volume() -> None:
    hist = calm(100)
    normal = bar(100, 100.0, 100.2, 99.9, 100.1, v=11.5)
    zero = bar(100, 100.0, 100.2, 99.9, 100.1, v=0.0)
    assert names(run(only("volume_spike"), [*hist, normal])[-1]) == set()
    assert names(run(only("volume_spike"), [*hist, zero])[-1]) == set()
    # пласкі обсяги: дисперсія 0 → z = 0, навіть коли наступний бар такий самий
    flat = [bar(i, 100.0, 100.0, 100.0, 100.0, v=10.0) for i in range(101)]
    assert all(not r.trigger_reasons for r in run(only("volume_spike"), flat))


def test_volume_spike_needs_history() -> None:
    early = [*calm(10), bar(10, 100.0, 100.6, 99.9, 100.5, v=1000.0)]
    res = run(only("volume_spike"), early)[-1]
    assert res.trigger_reasons == [] and res.signal == "NORMAL"


def test_volume_spike_threshold_override() -> None:
    hist = calm(100)
    spike = bar(100, 100.0, 100.6, 99.9, 100.5, v=100.0)
    z = details(run(only("volume_spike"), [*hist, spike])[-1], "bull_vol_spike")["volume_z"]
    assert names(run(only("volume_spike", vol_z_threshold=z + 1), [*hist, spike])[-1]) == set()


# ── RSI ──
def test_rsi_overbought_and_oversold() -> None:
    up = path([100 + 0.3 * k for k in range(80)])
    down = path([100 - 0.3 * k for k in range(80)])
    r_up = run(only("rsi"), up)[-1]
    r_dn = run(only("rsi"), down)[-1]
    assert "rsi_overbought" in names(r_up) and r_up.direction == "up"
    assert details(r_up, "rsi_overbought")["rsi"] >= 70
    assert "rsi_oversold" in names(r_dn) and r_dn.direction == "down"
    assert names(run(only("rsi"), calm(80))[-1]) == set()


def test_rsi_thresholds_widen_in_trend_state() -> None:
    # RSI растуть із ухилом, але не екстремально; поріг ставимо на 1 нижче фактичного RSI
    closes = [100 + 0.1 * k + (0.25 if k % 2 else -0.25) for k in range(80)]
    probe = run(only("rsi"), path(closes))[-1]
    rsi = probe.stats["rsi"]
    assert rsi is not None and 55 < rsi < 90
    mon = only("rsi", rsi_overbought=rsi - 1)
    res = run(mon, path(closes))[-1]
    assert "rsi_overbought" in names(res) and res.thresholds["market_state"] != "trend_strong"
    mon2 = only("rsi", rsi_overbought=rsi - 1)
    mon2.set_market_state("TESTUSDT", "trend_strong")
    res2 = run(mon2, path(closes))[-1]
    assert res2.thresholds["market_state"] == "trend_strong"
    assert res2.thresholds["rsi_overbought"] > rsi  # дельта +5 і множник 1.1 відсунули поріг
    assert "rsi_overbought" not in names(res2)
    with pytest.raises(ValueError):
        mon2.set_market_state("TESTUSDT", "sideways")


def _bearish_div_closes(second_leg_fast: bool) -> tuple[list[float], int]:
    """Ціни з двома максимумами без проміжних півотів; другий максимум вищий за перший.

    Перше ралі — зигзаг +1.0/−0.4 (RSI ≈ 70). Повільна друга хвиля — зигзаг +0.6/−0.45
    (вищі максимуми кожні 2 бари, тож проміжних півотів немає) з нижчим RSI; швидка — стрибок
    три бари по +2 з вищим RSI. Повертає (closes, індекс другого максимуму)."""
    c = [100.0 + (0.05 if k % 2 else -0.05) for k in range(80)]  # база: прогрів набору індикаторів
    for _ in range(10):
        c += [c[-1] + 1.0, c[-1] + 0.6]
    c.append(c[-1] + 1.0)
    first_peak = c[-1]
    for _ in range(5):
        c.append(c[-1] - 0.5)  # короткий відкат
    target = first_peak + 0.3
    if second_leg_fast:
        c += [c[-1] + 2.0, c[-1] + 4.0, c[-1] + 6.0]
    else:
        while c[-1] <= target:
            c.append(c[-1] + 0.6)
            if c[-1] <= target:
                c.append(c[-1] - 0.45)
    peak = len(c) - 1
    for _ in range(6):
        c.append(c[-1] - 0.5)  # правий бік півота
    return c, peak


def test_bearish_divergence_fires_only_after_pivot_confirmed() -> None:
    closes, peak = _bearish_div_closes(second_leg_fast=False)
    bars = path(closes, wick=0.0)
    res = run(only("rsi"), bars)
    right = 3
    before = [r for r in res[: peak + right] if "bearish_div" in names(r)]
    assert before == []  # до закриття бару peak + right півот не підтверджено
    fired_at = [i for i, r in enumerate(res) if "bearish_div" in names(r)]
    assert fired_at and fired_at[0] == peak + right
    d = details(res[fired_at[0]], "bearish_div")
    assert d["price_2"] > d["price_1"] and d["rsi_2"] < d["rsi_1"]
    assert res[fired_at[0]].direction == "down"
    # активна не довше divergence_hold_bars барів
    assert fired_at[-1] - fired_at[0] < 5


def test_divergence_needs_min_rsi_gap() -> None:
    closes, peak = _bearish_div_closes(second_leg_fast=False)
    res = run(only("rsi", divergence_min_rsi_gap=60.0), path(closes, wick=0.0))
    assert all("bearish_div" not in names(r) for r in res)


def test_no_divergence_when_rsi_confirms_the_higher_high() -> None:
    closes, peak = _bearish_div_closes(second_leg_fast=True)
    res = run(only("rsi"), path(closes, wick=0.0))
    first = max(range(peak - 8), key=lambda i: closes[i])
    rsi1, rsi2 = res[first].stats["rsi"], res[peak].stats["rsi"]
    assert rsi1 is not None and rsi2 is not None and rsi2 >= rsi1  # сценарій справді без дивергенції
    assert all("bearish_div" not in names(r) for r in res)


def test_bullish_divergence_mirror() -> None:
    closes, peak = _bearish_div_closes(second_leg_fast=False)
    mirrored = [200.0 - c for c in closes]
    res = run(only("rsi"), path(mirrored, wick=0.0))
    fired_at = [i for i, r in enumerate(res) if "bullish_div" in names(r)]
    assert fired_at and fired_at[0] == peak + 3 and res[fired_at[0]].direction == "up"


def test_divergence_invalidated_when_price_breaks_the_pivot() -> None:
    closes, peak = _bearish_div_closes(second_leg_fast=False)
    closes = closes[: peak + 4] + [closes[peak] + 1.0, closes[peak] + 1.5]  # одразу вище нового максимуму
    res = run(only("rsi"), path(closes, wick=0.0))
    assert "bearish_div" in names(res[peak + 3])
    assert "bearish_div" not in names(res[peak + 4]) and "bearish_div" not in names(res[peak + 5])


# ── Пробій і рівні ──
def test_breakout_up_down_and_near_levels() -> None:
    hist = calm(80, swing=0.4)  # діапазон вікна ≈ 99.6 … 100.4
    hi = max(b.high for b in hist[-60:])
    lo = min(b.low for b in hist[-60:])
    up = bar(80, 100.0, hi + 0.6, 99.9, hi + 0.5)
    down = bar(80, 100.0, 100.1, lo - 0.6, lo - 0.5)
    near = bar(80, 100.0, hi - 0.05, 99.9, hi - 0.1)
    middle = bar(80, 100.0, 100.1, 99.9, 100.0)
    r = run(only("breakout"), [*hist, up])[-1]
    assert names(r) == {"breakout_up"} and details(r, "breakout_up")["level"] == pytest.approx(hi)
    assert names(run(only("breakout"), [*hist, down])[-1]) == {"breakout_down"}
    r = run(only("breakout"), [*hist, near])[-1]
    assert names(r) == {"near_high"} and r.direction == "up"
    assert names(run(only("breakout"), [*hist, middle])[-1]) == set()
    # пробій менший за буфер (0.05 %) — ще не пробій
    tiny = bar(80, 100.0, hi + 0.02, 99.9, hi * 1.0002)
    assert "breakout_up" not in names(run(only("breakout"), [*hist, tiny])[-1])


def test_breakout_silent_in_flat_market() -> None:
    flat = [bar(i, 100.0, 100.0, 100.0, 100.0) for i in range(100)]
    assert all(not r.trigger_reasons for r in run(only("breakout"), flat))


def test_daily_levels_cross_and_near() -> None:
    hist = calm(80, swing=0.4)
    mon = only("breakout")
    mon.set_daily_levels("TESTUSDT", 95.0, 100.3)
    res = run(mon, [*hist, bar(80, 100.2, 100.5, 100.1, 100.45)])[-1]
    assert "breakout_up" in names(res) and details(res, "breakout_up")["daily_resistance"] == 100.3
    assert res.stats["daily_high"] == 100.3 and res.stats["daily_low"] == 95.0
    # близько до опору знизу
    mon2 = only("breakout")
    mon2.set_daily_levels("TESTUSDT", 95.0, 103.0)
    r2 = run(mon2, [*hist, bar(80, 102.6, 102.9, 102.5, 102.85)])[-1]
    assert "near_daily_resistance" in names(r2)
    # ціна вже вище опору: перетину немає
    mon3 = only("breakout")
    mon3.set_daily_levels("TESTUSDT", 95.0, 90.0)
    r3 = run(mon3, [*hist, bar(80, 100.0, 100.1, 99.9, 100.0)])[-1]
    assert names(r3) == set()


def test_daily_levels_auto_from_previous_complete_day() -> None:
    # 1440 барів повної доби, потім новий день: рівні = high/low минулої доби
    t0 = 1_748_736_000_000
    day = [
        bar(i, 100.0, 100.2 + (1.0 if i == 500 else 0.0), 99.8 - (1.0 if i == 900 else 0.0), 100.0, t0=t0)
        for i in range(1440)
    ]
    nxt = bar(1440, 100.0, 100.2, 99.8, 100.0, t0=t0)
    res = run(only("breakout"), [*day, nxt])[-1]
    assert res.stats["daily_high"] == pytest.approx(101.2) and res.stats["daily_low"] == pytest.approx(98.8)


# ── Сплеск волатильності ──
def test_volatility_spike_vs_own_median() -> None:
    hist = calm(300, swing=0.1)
    wide = bar(300, 100.0, 100.9, 99.9, 100.8)
    normal = bar(300, 100.0, 100.2, 99.95, 100.1)
    r = run(only("volatility_spike"), [*hist, wide])[-1]
    assert names(r) == {"volatility_burst"} and r.raw_trigger_reasons == ["volatility_spike"]
    d = details(r, "volatility_burst")
    assert d["ratio"] >= d["threshold"] and d["ratio"] == pytest.approx(d["range"] / d["median_range"])
    assert r.direction == "up"
    assert names(run(only("volatility_spike"), [*hist, normal])[-1]) == set()


def test_volatility_spike_needs_full_window_and_nonzero_median() -> None:
    short = [*calm(100, swing=0.1), bar(100, 100.0, 102.0, 99.0, 101.5)]
    assert names(run(only("volatility_spike"), short)[-1]) == set()
    flat = [bar(i, 100.0, 100.0, 100.0, 100.0) for i in range(300)] + [bar(300, 100.0, 101.0, 99.0, 100.5)]
    assert names(run(only("volatility_spike"), flat)[-1]) == set()


# ── VWAP ──
def test_vwap_deviation_threshold_by_class() -> None:
    hist = calm(80)
    far = bar(80, 101.0, 101.6, 101.0, 101.5, v=1.0)  # +1.5 % від VWAP ≈ 100, малий обсяг
    r = run(only("vwap_deviation"), [*hist, far])[-1]
    assert names(r) == {"vwap_deviation"} and r.direction == "up"
    d = details(r, "vwap_deviation")
    assert d["threshold"] == 0.01 and d["deviation"] == pytest.approx((101.5 - d["vwap"]) / d["vwap"])
    assert r.stats["vwap_dev"] == pytest.approx(d["deviation"])
    # той самий бар для BTC (major, поріг 0.1 %) і менше відхилення для alt
    r_btc = run(only("vwap_deviation"), [*hist, far], symbol="BTCUSDT")[-1]
    assert r_btc.thresholds["vwap_deviation"] == 0.001 and "vwap_deviation" in names(r_btc)
    near = bar(80, 100.4, 100.6, 100.4, 100.5, v=1.0)
    assert names(run(only("vwap_deviation"), [*hist, near])[-1]) == set()
    low = bar(80, 99.0, 99.0, 98.4, 98.5, v=1.0)
    assert run(only("vwap_deviation"), [*hist, low])[-1].direction == "down"


def test_vwap_deviation_inside_the_usual_spread_is_not_unusual() -> None:
    # ціна гуляє ±4 навколо 100: відхилення 1.5 % перевищує поріг класу, але лежить у межах 2σ
    hist = calm(80, swing=8.0)
    far = bar(80, 101.0, 101.6, 101.0, 101.5, v=1.0)
    assert names(run(only("vwap_deviation"), [*hist, far])[-1]) == set()
    d = details(run(only("vwap_deviation", vwap_min_std=0.0), [*hist, far])[-1], "vwap_deviation")
    assert 0 < d["deviation_std"] < 2.0 and d["deviation"] >= 0.01


# ── Розриви і порядок ──
def test_gap_in_bars_resets_state() -> None:
    mon = only("volume_spike")
    run(mon, calm(100))
    after_gap = [bar(110 + k, 100.0, 100.2, 99.9, 100.1) for k in range(3)]
    spike = bar(113, 100.0, 100.6, 99.9, 100.5, v=1000.0)
    res = run(mon, [*after_gap, spike])
    assert mon.gap_resets == 1
    st = mon.state("TESTUSDT")
    assert st is not None and st["bars"] == 4 and st["resets"] == 1 and not st["ready"]
    assert res[-1].trigger_reasons == []  # після розриву історії замало — не стріляє
    # малий пропуск (≤ max_gap_bars) стан не скидає
    mon2 = only("volume_spike")
    run(mon2, [*calm(100), bar(103, 100.0, 100.2, 99.9, 100.1)])
    assert mon2.gap_resets == 0


def test_duplicate_and_out_of_order_bars_are_ignored() -> None:
    mon = only("volume_spike")
    hist = calm(100)
    spike = bar(100, 100.0, 100.6, 99.9, 100.5, v=100.0)
    first = run(mon, [*hist, spike])[-1]
    assert first.new_alert is False  # одного тригера замало для ALERT при min_reasons 2
    again = run(mon, [spike, hist[50]])
    assert mon.ignored_updates == 2
    assert all(r.timestamp == first.timestamp and not r.new_alert for r in again)
    st = mon.state("TESTUSDT")
    assert st is not None and st["bars"] == 101


def test_non_finite_bar_is_rejected_without_touching_state() -> None:
    hist = calm(100)
    nxt = bar(100, 100.0, 100.6, 99.9, 100.5, v=100.0)
    mon = only("volume_spike")
    run(mon, hist)
    with pytest.raises(ValueError):
        run(mon, [bar(100, 100.0, 100.6, 99.9, math.nan)])
    st = mon.state("TESTUSDT")
    assert st is not None and st["bars"] == 100
    assert run(mon, [nxt])[-1].to_dict() == run(only("volume_spike"), [*hist, nxt])[-1].to_dict()


def test_open_bar_is_evaluated_but_does_not_commit() -> None:
    mon = only("volume_spike")
    hist = calm(100)
    run(mon, hist)
    live = Bar(hist[-1].open_time + MIN, 100.0, 100.6, 99.9, 100.5, 100.0, closed=False)
    r_open = run(mon, [live, live])[-1]
    assert names(r_open) == {"bull_vol_spike"} and r_open.closed is False
    st = mon.state("TESTUSDT")
    assert st is not None and st["bars"] == 100
    mon_closed_only = only("volume_spike")
    closed_bar = Bar(live.open_time, 100.0, 100.6, 99.9, 100.5, 100.0)
    a = run(mon, [closed_bar])[-1].to_dict()
    b = run(mon_closed_only, [*hist, closed_bar])[-1].to_dict()
    assert a == b
