"""Краї: замало барів, пласкі ціни, нульовий обсяг, NaN/inf на вході, 2-D вхід, некоректні параметри."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from aione.data.bars import Bar, BarArrays
from aione.indicators import (
    ATR,
    EMA,
    RSI,
    RSI_FLAT,
    SMA,
    Donchian,
    IndicatorBundle,
    IndicatorInputError,
    RealizedVol,
    RollingStd,
    RollingVWAP,
    SessionVWAP,
    SwingPivots,
    VolumeZScore,
    atr,
    compute_all,
    ema,
    realized_vol,
    rolling_high,
    rolling_std,
    rolling_vwap,
    rolling_vwap_bands,
    rsi,
    session_vwap,
    sma,
    swing_pivots,
    volume_zscore,
)
from aione.indicators.volume import DEFAULT_VOLUME_WINDOW
from tests.indicator_helpers import assert_close, load


def _bar(i: int, price: float, volume: float = 1.0, spread: float = 0.0) -> Bar:
    return Bar(i * 60_000, price, price + spread, price - spread, price, volume)


def _arrays(bars: list[Bar]) -> BarArrays:
    n = len(bars)
    col = {
        f: np.array([getattr(b, f) for b in bars], dtype=np.float64) for f in ("open", "high", "low", "close")
    }
    return BarArrays(
        np.array([b.open_time for b in bars], dtype=np.int64),
        col["open"],
        col["high"],
        col["low"],
        col["close"],
        np.array([b.volume for b in bars], dtype=np.float64),
        np.zeros(n),
        np.zeros(n, dtype=np.int64),
        np.zeros(n),
    )


# ── Замало барів ──


def test_fewer_bars_than_period_is_not_ready_and_nan() -> None:
    x = np.linspace(100.0, 101.0, 10)
    for out in (rsi(x, 14), ema(x, 14), sma(x, 14), atr(x + 1, x - 1, x, 14), rolling_high(x, 14)):
        assert out.shape == x.shape and np.isnan(out).all()
    assert np.isnan(volume_zscore(x, 10)).all()  # потрібно window + 1 барів
    assert np.isnan(realized_vol(x, 10)).all()
    inds = [
        RSI(14),
        ATR(14),
        EMA(14),
        SMA(14),
        RollingVWAP(14),
        VolumeZScore(14),
        Donchian(14),
        RollingStd(14),
    ]
    for i, price in enumerate(x):
        for ind in inds:
            assert math.isnan(ind.update(_bar(i, float(price), spread=0.5)))
    assert not any(ind.ready for ind in inds)
    assert all(math.isnan(ind.value) for ind in inds)
    bundle = IndicatorBundle()
    snap = bundle.update(_bar(0, 100.0))
    assert not snap.ready and math.isnan(snap.rsi) and math.isnan(snap.vwap)


def test_ready_exactly_after_warmup() -> None:
    r, e, s, z = RSI(5), EMA(5), SMA(5), VolumeZScore(5)
    for i in range(6):
        bar = _bar(i, 100.0 + (i % 2), volume=1.0 + i)
        r.update(bar), e.update(bar), s.update(bar), z.update(bar)
        assert e.ready == s.ready == (i >= 4)
        assert r.ready == z.ready == (i >= 5)
    bundle = IndicatorBundle(5, 5, 5, 5, 5, 5)
    flags = [bundle.update(_bar(i, 100.0 + i % 3)).ready for i in range(8)]
    assert flags == [False] * 5 + [True] * 3
    assert bundle.warmup == 6


def test_empty_input() -> None:
    empty = np.zeros(0)
    assert rsi(empty).shape == (0,) and rolling_vwap(empty, empty, empty, empty).shape == (0,)
    assert compute_all(_arrays([])).rsi.shape == (0,)
    assert swing_pivots(empty, empty)[0].shape == (0,)


# ── Пласкі ціни ──


def test_flat_prices_have_defined_values() -> None:
    x = np.full(200, 42.5)
    assert np.all(rsi(x)[14:] == RSI_FLAT)
    assert np.all(atr(x, x, x)[14:] == 0.0)
    assert np.all(rolling_std(x, 20)[19:] == 0.0)
    assert np.all(realized_vol(x, 20)[20:] == 0.0)
    assert np.all(volume_zscore(np.full(200, 7.0), 60)[60:] == 0.0)
    vw, std = rolling_vwap_bands(x, x, x, np.full(200, 3.0), 60)
    assert np.all(vw[59:] == 42.5) and np.all(std[59:] == 0.0)
    bundle = IndicatorBundle()
    for i in range(200):
        snap = bundle.update(_bar(i, 42.5, volume=3.0))
    assert snap.ready
    assert (snap.rsi, snap.atr, snap.volume_z, snap.vwap_dev_pct, snap.vwap_dev_std) == (
        RSI_FLAT,
        0.0,
        0.0,
        0.0,
        0.0,
    )


def test_constant_volume_then_spike_gives_zero_z() -> None:
    """Нульова дисперсія бази → z = 0 (задокументований вибір), а не inf."""
    z = VolumeZScore(10)
    for i in range(10):
        z.update(_bar(i, 1.0, volume=5.0))
    assert z.update(_bar(10, 1.0, volume=500.0)) == 0.0
    assert z.ready and z.update(_bar(11, 1.0, volume=5.0)) < 0.0  # сплеск тепер у базі: звичайний бар «тихий»


def test_spike_does_not_dilute_its_own_baseline() -> None:
    rng = np.random.default_rng(7)
    v = rng.uniform(90.0, 110.0, 61)
    v[-1] = 1000.0
    z = volume_zscore(v, 60)[-1]
    assert z == pytest.approx((1000.0 - v[:60].mean()) / v[:60].std(), rel=1e-12)
    assert z > math.sqrt(59)  # межа z, якби сплеск входив у власну базу


# ── Нульовий обсяг ──


def test_zero_volume_vwap_falls_back_to_typical_price() -> None:
    bars = [_bar(i, 10.0 + i, volume=0.0, spread=0.5) for i in range(30)]
    vw, std = rolling_vwap_bands(
        *(np.array([getattr(b, f) for b in bars]) for f in ("high", "low", "close", "volume")), 5
    )
    tp = np.array([(b.high + b.low + b.close) / 3.0 for b in bars])
    assert np.array_equal(vw[4:], tp[4:]) and np.all(std[4:] == 0.0)
    rv, sv = RollingVWAP(5), SessionVWAP()
    for b in bars:
        rv.update(b), sv.update(b)
    assert rv.value == tp[-1] and rv.std == 0.0 and rv.deviation_std(100.0) == 0.0
    assert sv.value == tp[-1] and sv.std == 0.0
    assert (
        session_vwap(
            np.array([b.open_time for b in bars]),
            *(np.array([getattr(b, f) for b in bars]) for f in ("high", "low", "close", "volume")),
        )[-1]
        == tp[-1]
    )


def test_zero_volume_bars_in_real_5m_data(data_5m: Path) -> None:
    b = load(data_5m / "USDCUSDT.parquet")
    zero = np.flatnonzero(b.volume == 0)
    assert zero.size > 0
    z = volume_zscore(b.volume, 12)
    assert np.isfinite(z[12:]).all()


# ── NaN/inf ──


@pytest.mark.parametrize("field", ["high", "low", "close", "volume"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_bar_is_rejected_and_state_kept(field: str, bad: float) -> None:
    bundle = IndicatorBundle(3, 3, 3, 3, 3, 3)
    for i in range(10):
        bundle.update(_bar(i, 100.0 + i % 4, volume=1.0 + i, spread=0.5))
    before = bundle.peek(_bar(10, 101.0, volume=2.0, spread=0.5))
    good = _bar(10, 101.0, volume=2.0, spread=0.5)
    broken = Bar(**{**{f: getattr(good, f) for f in good.__slots__}, field: bad})  # type: ignore[arg-type]
    with pytest.raises(IndicatorInputError) as err:
        bundle.update(broken)
    assert err.value.field == field and err.value.indicator == "IndicatorBundle"
    assert field in str(err.value) and "IndicatorBundle" in str(err.value)
    assert isinstance(err.value, ValueError)
    assert bundle.update(good) == before  # стан не зіпсований
    assert bundle.count == 11


def test_each_indicator_names_itself_and_field() -> None:
    bad_close = Bar(0, 1.0, 1.0, 1.0, math.nan, 1.0)
    for ind in (
        RSI(),
        ATR(),
        EMA(3),
        SMA(3),
        RollingVWAP(3),
        SessionVWAP(),
        Donchian(3),
        RollingStd(3),
        RealizedVol(3),
    ):
        if isinstance(ind, Donchian):
            continue
        with pytest.raises(IndicatorInputError, match=f"{ind.name}: non-finite input close"):
            ind.update(bad_close)
        with pytest.raises(IndicatorInputError):
            ind.peek(bad_close)
    with pytest.raises(IndicatorInputError, match="Donchian: non-finite input high"):
        Donchian(3).update(Bar(0, 1.0, math.inf, 1.0, 1.0, 1.0))
    with pytest.raises(IndicatorInputError, match="VolumeZScore: non-finite input volume"):
        VolumeZScore(3).update(Bar(0, 1.0, 1.0, 1.0, 1.0, math.nan))
    with pytest.raises(IndicatorInputError, match="SwingPivots: non-finite input low"):
        SwingPivots().update(Bar(0, 1.0, 1.0, math.nan, 1.0, 1.0))
    with pytest.raises(IndicatorInputError, match="RealizedVol: non-positive input close"):
        RealizedVol(3).update(Bar(0, 1.0, 1.0, 1.0, 0.0, 1.0))


def test_batch_rejects_non_finite_with_index() -> None:
    x = np.linspace(1.0, 2.0, 50)
    x[17] = np.nan
    with pytest.raises(IndicatorInputError) as err:
        rsi(x)
    assert (err.value.indicator, err.value.field, err.value.index) == ("rsi", "close", 17)
    ok = np.ones(50)
    with pytest.raises(IndicatorInputError, match="rolling_vwap: non-finite input volume"):
        rolling_vwap(ok, ok, ok, np.where(np.arange(50) == 3, np.inf, 1.0))
    two = np.ones((3, 50))
    two[2, 5] = -np.inf
    with pytest.raises(IndicatorInputError) as err2:
        ema(two, 5)
    assert err2.value.index == (2, 5)
    with pytest.raises(IndicatorInputError, match="realized_vol: non-positive"):
        realized_vol(np.array([1.0, 0.0, 2.0]), 2)


def test_invalid_parameters() -> None:
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError):
            RSI(bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            sma(np.ones(5), bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shapes differ"):
        atr(np.ones(5), np.ones(4), np.ones(5))
    with pytest.raises(ValueError):
        rsi(np.ones((2, 2, 2)))


# ── 2-D вхід (символи × бари) ──


def test_two_dimensional_input_equals_rows(data_1m: Path) -> None:
    syms = ("BTCUSDT", "ETHUSDT", "XRPUSDT")
    arrays = [load(data_1m / f"{s}.parquet").slice(0, 3000) for s in syms]
    stacked = BarArrays(*(np.stack(cols) for cols in zip(*arrays, strict=True)))
    many = compute_all(stacked)
    for row, b in enumerate(arrays):
        one = compute_all(b)
        for field in one._fields[1:-1]:
            assert_close(
                getattr(many, field)[row], getattr(one, field), scale=1.0, what=f"{syms[row]} {field}"
            )
        assert np.array_equal(many.ready[row], one.ready)


def test_default_volume_window_comes_from_config() -> None:
    assert VolumeZScore().window == DEFAULT_VOLUME_WINDOW == 60
