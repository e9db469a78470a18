"""Індикатори: інкрементні класи (O(1) `update`, чистий `peek`) і batch-функції над numpy.

Обидві форми кожного індикатора збігаються до 1e-9 відносно (тести на реальних даних).
"""

from aione.indicators.atr import ATR, ATRPercent, atr, atr_pct
from aione.indicators.base import Indicator
from aione.indicators.errors import IndicatorInputError
from aione.indicators.moving_average import EMA, SMA, ema, sma
from aione.indicators.rsi import RSI, RSI_FLAT, rsi

__all__ = [
    "ATR",
    "ATRPercent",
    "EMA",
    "RSI",
    "RSI_FLAT",
    "SMA",
    "Indicator",
    "IndicatorInputError",
    "atr",
    "atr_pct",
    "ema",
    "rsi",
    "sma",
]
