"""Індикатори: інкрементні класи (O(1) `update`, чистий `peek`) і batch-функції над numpy.

Обидві форми кожного індикатора збігаються до 1e-9 відносно (тести на реальних даних);
для віконних індикаторів — побітово. Batch-функції приймають (n,) або (m, n) (символи × бари).
"""

from aione.indicators.atr import ATR, ATRPercent, atr, atr_pct
from aione.indicators.base import Indicator
from aione.indicators.bundle import (
    IndicatorBundle,
    IndicatorSeries,
    IndicatorSnapshot,
    compute_all,
    warmup_bars,
)
from aione.indicators.errors import IndicatorInputError
from aione.indicators.levels import Donchian, Pivot, SwingPivots, rolling_high, rolling_low, swing_pivots
from aione.indicators.moving_average import EMA, SMA, ema, sma
from aione.indicators.rsi import RSI, RSI_FLAT, rsi
from aione.indicators.volatility import RealizedVol, RollingStd, realized_vol, rolling_std
from aione.indicators.volume import VolumeZScore, volume_zscore
from aione.indicators.vwap import (
    RollingVWAP,
    SessionVWAP,
    rolling_vwap,
    rolling_vwap_bands,
    session_vwap,
    session_vwap_bands,
    vwap_deviation_pct,
    vwap_deviation_std,
)

__all__ = [
    "ATR",
    "EMA",
    "RSI",
    "RSI_FLAT",
    "SMA",
    "ATRPercent",
    "Donchian",
    "Indicator",
    "IndicatorBundle",
    "IndicatorInputError",
    "IndicatorSeries",
    "IndicatorSnapshot",
    "Pivot",
    "RealizedVol",
    "RollingStd",
    "RollingVWAP",
    "SessionVWAP",
    "SwingPivots",
    "VolumeZScore",
    "atr",
    "atr_pct",
    "compute_all",
    "ema",
    "realized_vol",
    "rolling_high",
    "rolling_low",
    "rolling_std",
    "rolling_vwap",
    "rolling_vwap_bands",
    "rsi",
    "session_vwap",
    "session_vwap_bands",
    "sma",
    "swing_pivots",
    "volume_zscore",
    "vwap_deviation_pct",
    "vwap_deviation_std",
    "warmup_bars",
]
