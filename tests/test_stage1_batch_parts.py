"""Частини batch-двійника Stage1 окремо проти інкрементних класів (побітово, hypothesis).

Кожна частина має свого інкрементного «власника»: рекурсії — `RSI`/`ATR`/`EMA`, медіана TR% —
`RollingMedian`, денні рівні — `DailyLevels`, стан ринку — `classify_market_state`, ворота —
`AlertGate`. Якщо двійник розійдеться з монітором, ці тести кажуть, у якій саме частині.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.config.config import STAGE1_MONITOR_PARAMS
from aione.data.bars import Bar, read_bars_parquet
from aione.indicators import ATR, EMA, RSI, exact_series
from aione.indicators.exact_series import atr_exact, ema_exact, rsi_exact
from aione.stage1.alert_gate import AlertGate
from aione.stage1.batch_monitor import new_alert_bars
from aione.stage1.batch_series import (
    STATE_CODES,
    auto_daily_levels,
    classify_states,
    median_before,
    segment_starts,
)
from aione.stage1.daily_levels import DAY_MS, DailyLevels
from aione.stage1.rolling_median import RollingMedian
from aione.stage1.thresholds import classify_market_state

MIN = 60_000
T0 = 1_748_736_000_000  # 2025-06-01 00:00 UTC


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Побітова рівність (NaN дорівнює NaN, −0.0 не дорівнює 0.0)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    return bool(np.all((a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))))


# ── Рекурсії ──
# Ціни в «тиках»; кратні 3 повторюються — пласкі ділянки (нульові зміни, RSI = 50).
prices = st.lists(st.integers(1, 40), max_size=120).map(
    lambda xs: np.repeat(np.array(xs, dtype=np.float64) * 0.37, [2 if x % 3 == 0 else 1 for x in xs])
)


@settings(max_examples=150, deadline=None)
@given(prices, st.integers(1, 20), st.integers(0, 2**31))
def test_recursions_bitwise_equal_incremental(close: np.ndarray, period: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    high = close + rng.integers(0, 3, close.shape[0]) * 0.11
    low = close - rng.integers(0, 3, close.shape[0]) * 0.13
    assert_recursions_exact(close, high, low, period)


def assert_recursions_exact(close: np.ndarray, high: np.ndarray, low: np.ndarray, period: int) -> None:
    """RSI/ATR/EMA по всьому ряду побітово як інкрементні класи бар за баром."""
    rsi, atr, ema = RSI(period), ATR(period), EMA(period)
    ref = np.array(
        [
            (rsi.update(b), atr.update(b), ema.update(b))
            for b in (
                Bar(i, c, h, lo, c, 1.0)
                for i, (c, h, lo) in enumerate(zip(close.tolist(), high.tolist(), low.tolist(), strict=True))
            )
        ]
    ).reshape(-1, 3)
    assert same(rsi_exact(close, period), ref[:, 0])
    assert same(atr_exact(high, low, close, period), ref[:, 1])
    assert same(ema_exact(close, period), ref[:, 2])


@pytest.mark.parametrize("vector_min", [0, 10**9])
def test_recursions_exact_by_either_settle_path(monkeypatch: pytest.MonkeyPatch, vector_min: int) -> None:
    # Уточнення наближення — лише векторними проходами (0) або лише ланцюжками Python (10**9):
    # кожен шлях сам по собі дає точну рекурсію.
    monkeypatch.setattr(exact_series, "_VECTOR_MIN", vector_min)
    rng = np.random.default_rng(7)
    for period in (1, 2, 14, 50):
        close = 100.0 + np.cumsum(rng.normal(0.0, 0.3, 3000))
        high = close + rng.random(3000)
        low = close - rng.random(3000)
        assert_recursions_exact(close, high, low, period)


@pytest.mark.slow
def test_recursions_exact_over_real_month(data_1m: Path) -> None:
    # Довгі ряди: ланцюжки розбіжностей наближення фільтром тут найдовші.
    bars = read_bars_parquet(data_1m / "BTCUSDT.parquet")
    close = np.asarray(bars.close, dtype=np.float64)
    high = np.asarray(bars.high, dtype=np.float64)
    low = np.asarray(bars.low, dtype=np.float64)
    assert close.shape[0] > 40_000
    assert_recursions_exact(close, high, low, 14)


def test_recursions_differ_from_plain_sum_order() -> None:
    # Затравка — послідовна сума; компенсована (math.fsum) на цих числах дає інший біт, тож тест
    # справді перевіряє порядок додавань, а не лише формулу.
    xs = np.array([0.1, 0.7, 1e16, -1e16, 0.3, 0.2, 0.9, 0.4], dtype=np.float64)
    ema = EMA(8)
    for x in xs:
        ema.update_value(float(x))
    assert ema_exact(xs, 8)[-1] == ema.value
    assert math.fsum(xs.tolist()) / 8 != ema.value


# ── Медіана ──
@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.integers(0, 9).map(float), st.just(math.nan)), max_size=80),
    st.integers(1, 12),
)
def test_median_before_equals_rolling_median(values: list[float], window: int) -> None:
    x = np.array(values, dtype=np.float64) / 7.0
    rm = RollingMedian(window)
    ref = []
    for v in x.tolist():
        ref.append(rm.value)
        rm.push(v)
    assert same(median_before(x, window), np.array(ref))


# ── Денні рівні ──
@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 900), min_size=1, max_size=60), st.integers(0, 10), st.integers(0, 2**31))
def test_auto_daily_levels_equal_daily_levels(steps: list[int], max_gap_bars: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = T0 - 3 * 3_600_000 + np.cumsum(np.array(steps, dtype=np.int64)) * 5 * MIN
    high = 100 + rng.random(t.shape[0])
    low = high - rng.random(t.shape[0])
    dl = DailyLevels(max_gap_bars * 5 * MIN)
    sup, res = [], []
    for ts, h, lo in zip(t.tolist(), high.tolist(), low.tolist(), strict=True):
        dl.on_closed(Bar(ts, lo, h, lo, h, 1.0))
        sup.append(math.nan if dl.support is None else dl.support)
        res.append(math.nan if dl.resistance is None else dl.resistance)
    got_sup, got_res = auto_daily_levels(t, high, low, max_gap_bars * 5 * MIN)
    assert same(got_sup, np.array(sup))
    assert same(got_res, np.array(res))


def test_auto_daily_levels_use_previous_complete_day() -> None:
    t = T0 + np.arange(0, 2 * DAY_MS // MIN, 30, dtype=np.int64) * MIN  # дві доби, кожні 30 хв
    high = np.where(t < T0 + DAY_MS, 110.0, 105.0)
    low = np.where(t < T0 + DAY_MS, 90.0, 95.0)
    sup, res = auto_daily_levels(t, high, low, 5 * MIN)
    first_day = t < T0 + DAY_MS
    assert np.isnan(sup[first_day]).all()
    assert (sup[~first_day] == 90.0).all() and (res[~first_day] == 110.0).all()


# ── Стан ринку ──
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.sampled_from([math.nan, 0.0, 0.5, 1.0, 2.0, 3.0, 10.0])] * 7), min_size=1, max_size=30
    )
)
def test_classify_states_equals_scalar(rows: list[tuple[float, ...]]) -> None:
    cols = [np.array(c, dtype=np.float64) for c in zip(*rows, strict=True)]
    close, atr, ema, high_n, low_n, atr_frac, med = cols
    p = STAGE1_MONITOR_PARAMS
    codes = classify_states(close, atr, ema, high_n, low_n, atr_frac, med, p)
    for k, row in enumerate(rows):
        assert STATE_CODES[codes[k]] == classify_market_state(*row, p)


def test_segment_starts_split_on_long_gaps() -> None:
    t = np.array([0, 1, 2, 10, 11, 30], dtype=np.int64) * MIN
    assert segment_starts(t, 5 * MIN).tolist() == [0, 3, 5]
    assert segment_starts(t, 20 * MIN).tolist() == [0]
    assert segment_starts(t[:0], MIN).tolist() == []


# ── Ворота ──
@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 1), st.booleans()), max_size=80),
    st.sampled_from([0, 60_000, 120_000, 180_000, 600_000]),
    st.integers(1, 3),
)
def test_gate_equals_alert_gate(
    rows: list[tuple[int, int, int, bool]], cooldown_ms: int, min_reasons: int
) -> None:
    # рядок = (причин up, причин down, причин без напряму, розрив перед баром)
    n = len(rows)
    ups = np.array([r[0] for r in rows], dtype=np.int16)
    downs = np.array([r[1] for r in rows], dtype=np.int16)
    count = ups + downs + np.array([r[2] for r in rows], dtype=np.int16)
    t = T0 + np.arange(n, dtype=np.int64) * MIN
    starts = [i for i, r in enumerate(rows) if i == 0 or r[3]]
    seg_start = np.zeros(n, dtype=np.int64)
    for a in starts:
        seg_start[a:] = a
    alert = count >= min_reasons
    gate = AlertGate(cooldown_ms)
    expected = []
    for i, (u, d, z, gap) in enumerate(rows):
        if gap and i > 0:
            gate.reset_episode()
        pressure = ["up"] * u + ["down"] * d + [None] * z
        direction = "up" if u > d else "down" if d > u else None
        if gate.decide(bool(alert[i]), direction, int(t[i]), pressure):
            expected.append(i)
    assert new_alert_bars(count, ups, downs, alert, t, seg_start, cooldown_ms) == expected
