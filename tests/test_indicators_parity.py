"""Інкрементна форма = batch-форма на кожному барі кожного символу реальних даних.

Віконні індикатори (VWAP, z-скор, Donchian, std) роблять ті самі додавання в тому
самому порядку, тож збіг побітовий; рекурсії (RSI, ATR, EMA) — до 1e-9 відносно."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aione.data.bars import BarArrays, list_symbols
from aione.indicators import (
    ATRPercent,
    IndicatorBundle,
    RealizedVol,
    RollingStd,
    SessionVWAP,
    SwingPivots,
    atr_pct,
    compute_all,
    realized_vol,
    rolling_std,
    session_vwap_bands,
    swing_pivots,
)
from tests.indicator_helpers import assert_close, assert_same, bars_of, load

pytestmark = pytest.mark.slow

EXACT = ("vwap", "vwap_dev_pct", "vwap_dev_std", "volume_z", "high_n", "low_n", "prev_high_n", "prev_low_n")
RECURSIVE = ("rsi", "atr", "atr_pct", "ema")


def _bundle_vs_batch(b: BarArrays, name: str, **params: int) -> None:
    bundle = IndicatorBundle(**params)
    snaps = [bundle.update(x) for x in bars_of(b)]
    series = compute_all(b, **params)
    for field in EXACT:
        assert_same([getattr(s, field) for s in snaps], getattr(series, field), what=f"{name} {field}")
    for field in RECURSIVE:
        assert_close([getattr(s, field) for s in snaps], getattr(series, field), what=f"{name} {field}")
    assert [s.ready for s in snaps] == series.ready.tolist()
    assert series.ready.any() and not series.ready[0]
    last = series.snapshot(len(b) - 1)
    assert last.vwap == snaps[-1].vwap and last.open_time == snaps[-1].open_time


def test_bundle_equals_compute_all_on_every_symbol(data_1m: Path) -> None:
    for sym in list_symbols(data_1m):
        _bundle_vs_batch(load(data_1m / f"{sym}.parquet"), sym)


def test_bundle_with_unequal_windows(data_1m: Path) -> None:
    b = load(data_1m / "SOLUSDT.parquet").slice(0, 12_000)
    params = {"rsi_period": 7, "atr_period": 21, "ema_period": 50, "vwap_window": 30}
    _bundle_vs_batch(b, "SOL", volume_window=45, hl_window=17, **params)


def test_zero_volume_bars_real_data(data_5m: Path) -> None:
    """USDCUSDT 5m має бари з нульовим обсягом: обидві форми дають ті самі визначені значення."""
    b = load(data_5m / "USDCUSDT.parquet")
    assert (b.volume == 0).any()
    _bundle_vs_batch(b, "USDC", vwap_window=12, volume_window=12, hl_window=12)
    series = compute_all(b, vwap_window=12, volume_window=12, hl_window=12)
    ready = series.ready
    for field in ("vwap", "vwap_dev_pct", "vwap_dev_std", "volume_z"):
        assert np.isfinite(getattr(series, field)[ready]).all(), field


def test_other_indicators_equal_batch(data_1m: Path, data_5m: Path) -> None:
    for path in (data_1m / "BTCUSDT.parquet", data_1m / "XLMUSDT.parquet", data_5m / "USDCUSDT.parquet"):
        b = load(path)
        bars = bars_of(b)
        sv, rv, rs, ap = SessionVWAP(), RealizedVol(30), RollingStd(45), ATRPercent(14)
        sp = SwingPivots(3, 3)
        rows = []
        pivots = []
        for x in bars:
            rows.append((sv.update(x), sv.std, rv.update(x), rs.update(x), ap.update(x)))
            pivots += sp.update(x)
        out = np.array(rows)
        vw, std = session_vwap_bands(b.open_time, b.high, b.low, b.close, b.volume)
        assert_same(out[:, 0], vw, what=f"{path.stem} session vwap")
        assert_same(out[:, 1], std, what=f"{path.stem} session std")
        # np.log і math.log можуть різнитися на 1 ulp — тут допуск, а не побітовість.
        assert_close(out[:, 2], realized_vol(b.close, 30), what=f"{path.stem} realized vol")
        assert_same(out[:, 3], rolling_std(b.close, 45), what=f"{path.stem} rolling std")
        assert_close(out[:, 4], atr_pct(b.high, b.low, b.close, 14), what=f"{path.stem} atr%")
        hi, lo = swing_pivots(b.high, b.low, 3, 3)
        assert sp.pivots == pivots[-sp.max_pivots :]
        assert [p.index for p in pivots if p.kind == "high"] == hi.tolist()
        assert [p.index for p in pivots if p.kind == "low"] == lo.tolist()
        assert all(p.open_time == int(b.open_time[p.index]) for p in pivots)
