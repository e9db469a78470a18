"""Властивості (hypothesis): подача барів по одному дає те саме, що batch над усім рядом."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aione.data.bars import BarArrays
from aione.indicators import (
    SMA,
    IndicatorBundle,
    RealizedVol,
    SessionVWAP,
    SwingPivots,
    compute_all,
    realized_vol,
    session_vwap_bands,
    sma,
    swing_pivots,
)
from tests.indicator_helpers import assert_close, assert_same, bars_of

_ret = st.one_of(st.just(0.0), st.floats(-0.05, 0.05, allow_nan=False))
_vol = st.one_of(st.just(0.0), st.floats(0.0, 1e6, allow_nan=False))
_step = st.sampled_from([60_000, 60_000, 300_000, 3_600_000, 14_400_000])


@st.composite
def series(draw: st.DrawFn, max_bars: int = 160) -> BarArrays:
    """Випадковий, але правдоподібний ряд: випадкове блукання, пласкі ділянки, нульові обсяги, пропуски часу."""
    n = draw(st.integers(0, max_bars))
    start = draw(st.floats(1e-3, 1e5))
    rets = draw(arrays(np.float64, n, elements=_ret))
    wick = draw(arrays(np.float64, (2, n), elements=st.floats(0.0, 0.02)))
    vol = draw(arrays(np.float64, n, elements=_vol))
    steps = draw(arrays(np.int64, n, elements=_step))
    close = start * np.cumprod(1.0 + rets)
    opn = np.concatenate(([start], close[:-1]))[:n]
    high = np.maximum(opn, close) * (1.0 + wick[0])
    low = np.minimum(opn, close) * (1.0 - wick[1])
    t = 1_700_000_000_000 + np.cumsum(steps)
    z = np.zeros(n)
    return BarArrays(t, opn, high, low, close, vol, z, np.zeros(n, dtype=np.int64), z)


_periods = st.integers(1, 20)
_windows = st.integers(1, 25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series(), _periods, _periods, _periods, _windows, _windows, _windows)
def test_bundle_one_by_one_equals_compute_all(
    b: BarArrays, rsi_p: int, atr_p: int, ema_p: int, vwap_w: int, vol_w: int, hl_w: int
) -> None:
    params = {
        "rsi_period": rsi_p,
        "atr_period": atr_p,
        "ema_period": ema_p,
        "vwap_window": vwap_w,
        "volume_window": vol_w,
        "hl_window": hl_w,
    }
    bundle = IndicatorBundle(**params)
    snaps = [bundle.update(x) for x in bars_of(b)]
    batch = compute_all(b, **params)
    for field in (
        "vwap",
        "vwap_dev_pct",
        "vwap_dev_std",
        "volume_z",
        "high_n",
        "low_n",
        "prev_high_n",
        "prev_low_n",
    ):
        assert_same([getattr(s, field) for s in snaps], getattr(batch, field), what=field)
    for field in ("rsi", "atr", "atr_pct", "ema"):
        # Рекурсія в batch іде іншим порядком множень: лише відносний допуск (масштаб — сама величина).
        assert_close([getattr(s, field) for s in snaps], getattr(batch, field), scale=1e-300, what=field)
    assert [s.ready for s in snaps] == batch.ready.tolist()


@settings(max_examples=40, deadline=None)
@given(series(), st.integers(1, 6), st.integers(0, 6), _windows)
def test_other_indicators_one_by_one(b: BarArrays, left: int, right: int, w: int) -> None:
    sp, sv, rv, sm = SwingPivots(left, right), SessionVWAP(), RealizedVol(w), SMA(w)
    found = []
    rows = []
    for x in bars_of(b):
        found += sp.update(x)
        rows.append((sv.update(x), sv.std, rv.update(x), sm.update(x)))
    hi, lo = swing_pivots(b.high, b.low, left, right)
    assert [p.index for p in found if p.kind == "high"] == hi.tolist()
    assert [p.index for p in found if p.kind == "low"] == lo.tolist()
    out = np.array(rows, dtype=np.float64).reshape(len(b), 4)
    vw, std = session_vwap_bands(b.open_time, b.high, b.low, b.close, b.volume)
    assert_same(out[:, 0], vw, what="session vwap")
    assert_same(out[:, 1], std, what="session std")
    # np.log і math.log можуть різнитися на 1 ulp; масштаб — величина самих прибутковостей.
    r_scale = float(np.abs(np.diff(np.log(b.close))).max()) if len(b) > 1 else 0.0
    assert_close(out[:, 2], realized_vol(b.close, w), scale=r_scale, what="realized vol")
    assert_same(out[:, 3], sma(b.close, w), what="sma")


@settings(max_examples=40, deadline=None)
@given(series(max_bars=120), st.integers(1, 5), st.integers(1, 5), st.integers(0, 119))
def test_pivots_have_no_look_ahead(b: BarArrays, left: int, right: int, cut: int) -> None:
    """Півоти, знайдені на префіксі ряду, — рівно ті півоти повного ряду, що підтверджені до кінця префікса."""
    cut = min(cut, len(b))
    hi_full, lo_full = swing_pivots(b.high, b.low, left, right)
    hi_pre, lo_pre = swing_pivots(b.high[:cut], b.low[:cut], left, right)
    assert hi_pre.tolist() == [i for i in hi_full.tolist() if i + right < cut]
    assert lo_pre.tolist() == [i for i in lo_full.tolist() if i + right < cut]
