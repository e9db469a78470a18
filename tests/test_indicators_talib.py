"""Наші індикатори проти TA-Lib на реальних 1m даних усіх символів (після прогріву — до 1e-9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import talib

from aione.data.bars import list_symbols
from aione.indicators import ATR, EMA, RSI, SMA, atr, ema, rolling_high, rolling_low, rolling_std, rsi, sma
from tests.indicator_helpers import assert_close, assert_same, bars_of, load

pytestmark = pytest.mark.slow


def _symbols(data_1m: Path) -> list[Path]:
    paths = [data_1m / f"{s}.parquet" for s in list_symbols(data_1m)]
    assert len(paths) == 16
    return paths


def test_batch_matches_talib_on_every_symbol(data_1m: Path) -> None:
    for path in _symbols(data_1m):
        b = load(path)
        h, lo, c = b.high, b.low, b.close
        name = path.stem
        assert_close(rsi(c, 14), talib.RSI(c, 14), what=f"{name} RSI14")
        assert_close(rsi(c, 6), talib.RSI(c, 6), what=f"{name} RSI6")
        assert_close(atr(h, lo, c, 14), talib.ATR(h, lo, c, 14), what=f"{name} ATR14")
        assert_close(ema(c, 20), talib.EMA(c, 20), what=f"{name} EMA20")
        assert_close(ema(c, 200), talib.EMA(c, 200), what=f"{name} EMA200")
        assert_close(sma(c, 20), talib.SMA(c, 20), what=f"{name} SMA20")
        assert_close(sma(b.volume, 60), talib.SMA(b.volume, 60), what=f"{name} SMA60 volume")
        # Максимум/мінімум — точні операції: збіг побітовий.
        assert_same(rolling_high(h, 60), talib.MAX(h, 60), what=f"{name} MAX60")
        assert_same(rolling_low(lo, 60), talib.MIN(lo, 60), what=f"{name} MIN60")
        assert_close(rolling_std(c, 60), talib.STDDEV(c, 60, 1), what=f"{name} STDDEV60")
        assert_close(rolling_std(b.volume, 20), talib.STDDEV(b.volume, 20, 1), what=f"{name} STDDEV20 volume")


def test_incremental_matches_talib(data_1m: Path) -> None:
    for path in _symbols(data_1m)[:4]:
        b = load(path)
        r, a, e, s = RSI(14), ATR(14), EMA(20), SMA(20)
        out = np.array([(r.update(x), a.update(x), e.update(x), s.update(x)) for x in bars_of(b)])
        name = path.stem
        assert_close(out[:, 0], talib.RSI(b.close, 14), what=f"{name} RSI")
        assert_close(out[:, 1], talib.ATR(b.high, b.low, b.close, 14), what=f"{name} ATR")
        assert_close(out[:, 2], talib.EMA(b.close, 20), what=f"{name} EMA")
        assert_close(out[:, 3], talib.SMA(b.close, 20), what=f"{name} SMA")


def test_long_series_has_no_drift(data_1m: Path) -> None:
    """~1M барів (ряд, повторений 23 рази): без накопичення похибки проти TA-Lib."""
    b = load(data_1m / "BTCUSDT.parquet")
    reps = 23
    h, lo, c = (np.tile(x, reps) for x in (b.high, b.low, b.close))
    assert c.size > 990_000
    assert_close(rsi(c), talib.RSI(c, 14), what="RSI 1M")
    assert_close(atr(h, lo, c), talib.ATR(h, lo, c, 14), what="ATR 1M")
    assert_close(ema(c, 20), talib.EMA(c, 20), what="EMA 1M")
    assert_close(sma(c, 60), talib.SMA(c, 60), what="SMA 1M")
    assert_same(rolling_high(h, 60), talib.MAX(h, 60), what="MAX 1M")
