"""Величини вікна, пораховані наперед на ряд символу (`stage2.window_features`), дорівнюють тим, що
ядро Stage2 рахує з самого вікна: мікропівоти і ATR старшого ТФ — і рішення `decide` з
ними те саме до байта (`repr` розрізняє кожен біт числа). Дані — реальні 1m бари місяця та
згенеровані ряди з пропусками, пласкими вершинами й рівними цінами.
"""

from __future__ import annotations

from itertools import accumulate
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.config.config import STAGE2_CONFIG
from aione.data.bars import BarArrays, read_bars_parquet
from aione.data.resample import resample_daily
from aione.indicators import atr, rolling_vwap, rsi, volume_zscore
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.level_manager import series_pivots
from aione.stage2.qde_core import decide
from aione.stage2.volatility import htf_atr
from aione.stage2.window_features import SeriesFeatures, WindowFeatures

DAY_MS = 86_400_000
MINUTE_MS = 60_000
_GRID = st.integers(0, 12).map(lambda k: 100.0 + 0.25 * k)


# ── Порівняння одного вікна ──
def _assert_window_equal(series: BarArrays, feats: SeriesFeatures, start: int, stop: int) -> None:
    window = series.slice(start, stop)
    got = feats.window(start, stop)
    assert isinstance(got, WindowFeatures)
    for sr_window in (50, 7, stop - start + 5):
        off = max(0, len(window) - sr_window)
        micro = [(window.open_time[off:], window.high[off:], window.low[off:], 1, 3)]
        assert got.pivots(off, 1, 3) == series_pivots(micro)
    for minutes, period in ((15, 14), (5, 3), (60, 2), (1, 20)):
        assert repr(got.htf_atr(minutes, period)) == repr(htf_atr(window, minutes, period))


def _bars(open_time: list[int], high: list[float], low: list[float]) -> BarArrays:
    n = len(open_time)
    close = [(h + lo) / 2.0 for h, lo in zip(high, low, strict=True)]
    vol = np.linspace(1.0, 3.0, n)
    return BarArrays(
        np.array(open_time, dtype=np.int64),
        np.array(close),
        np.array(high),
        np.array(low),
        np.array(close),
        vol,
        vol * 100.0,
        np.zeros(n, dtype=np.int64),
        vol / 2.0,
    )


@st.composite
def series_and_window(draw: st.DrawFn) -> tuple[BarArrays, int, int]:
    """Ряд з пропусками (крок 1–90 хвилин), ціни з грубої сітки, і вікно в ньому."""
    n = draw(st.integers(1, 400))
    steps = draw(st.lists(st.sampled_from([1, 1, 1, 1, 2, 7, 45, 90]), min_size=n, max_size=n))
    first = draw(st.integers(0, 2000)) * MINUTE_MS + 1_746_000_000_000 // DAY_MS * DAY_MS
    a = draw(st.lists(_GRID, min_size=n, max_size=n))
    b = draw(st.lists(_GRID, min_size=n, max_size=n))
    high = [max(x, y) for x, y in zip(a, b, strict=True)]
    low = [min(x, y) for x, y in zip(a, b, strict=True)]
    stop = draw(st.integers(1, n))
    start = draw(st.integers(0, stop - 1))
    return _bars([first + MINUTE_MS * k for k in accumulate(steps)], high, low), start, stop


# ── Згенеровані ряди ──
@settings(max_examples=300, deadline=None)
@given(case=series_and_window())
def test_window_features_equal_per_window_values(case: tuple[BarArrays, int, int]) -> None:
    series, start, stop = case
    _assert_window_equal(series, SeriesFeatures.of(series), start, stop)


def test_series_with_non_finite_prices_gives_no_features() -> None:
    bars = _bars([MINUTE_MS * k for k in range(10)], [2.0] * 10, [1.0] * 10)
    bars.high[4] = float("nan")
    assert SeriesFeatures.of(bars).window(0, 10) is None


# ── Реальні бари ──
@pytest.mark.parametrize("symbol", ["BTCUSDT", "XRPUSDT", "ENAUSDT"])
def test_window_features_equal_on_real_bars(data_1m: Path, symbol: str) -> None:
    if not (data_1m / f"{symbol}.parquet").exists():
        pytest.skip(f"{symbol} not in the recorded set")
    series = read_bars_parquet(data_1m / f"{symbol}.parquet")
    feats = SeriesFeatures.of(series)
    window = int(STAGE2_CONFIG["context_bars"])
    rows = [*range(0, 130, 7), *np.linspace(130, len(series) - 1, 150).astype(int).tolist()]
    for row in rows:
        _assert_window_equal(series, feats, max(0, row + 1 - window), row + 1)


@pytest.mark.parametrize("symbol", ["ETHUSDT", "SUIUSDT"])
def test_decide_with_features_is_byte_identical(data_1m: Path, symbol: str) -> None:
    """Рішення з величинами ряду — те саме, що ядро дає, рахуючи все з вікна (живий шлях)."""
    if not (data_1m / f"{symbol}.parquet").exists():
        pytest.skip(f"{symbol} not in the recorded set")
    bars = read_bars_parquet(data_1m / f"{symbol}.parquet")
    daily = resample_daily(bars)
    feats = SeriesFeatures.of(bars)
    a = atr(bars.high, bars.low, bars.close, 14)
    r = rsi(bars.close, 14)
    vw = rolling_vwap(bars.high, bars.low, bars.close, bars.volume, 60)
    vz = volume_zscore(bars.volume, 60)
    window = int(STAGE2_CONFIG["context_bars"])
    completed = 0
    for k, i in enumerate(np.linspace(100, len(bars) - 1, 120).astype(int).tolist()):
        stats = {"price": float(bars.close[i]), "atr": a[i], "rsi": r[i], "vwap": vw[i], "volume_z": vz[i]}
        s1 = {
            "symbol": symbol,
            "timestamp": int(bars.open_time[i]),
            "trigger_reasons": [["breakout_up", "bull_vol_spike"], ["breakout_down"], ["rsi_oversold"]][k % 3],
            "stats": stats if k % 4 else {},
        }
        day_stop = int(np.searchsorted(daily.open_time, bars.open_time[i], side="right"))
        bars_1d = daily.slice(max(0, day_stop - 31), day_stop)
        start = max(0, i + 1 - window)
        plain = Stage2Inputs(bars.slice(start, i + 1), bars_1d)
        fast = Stage2Inputs(bars.slice(start, i + 1), bars_1d, features=feats.window(start, i + 1))
        want = decide(s1, plain, explain=False)
        assert repr(decide(s1, fast, explain=False)) == repr(want)
        completed += want["status"] == "completed"
    assert completed > 60
