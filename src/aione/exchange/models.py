"""Типізовані результати REST-запитів Binance (числа вже розібрано з рядків)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# ── Моделі ──
Levels = npt.NDArray[np.float64]  # форма (n, 2): стовпці price, qty


@dataclass(frozen=True, slots=True)
class Ticker24h:
    """Статистика символу за 24 год (`ticker/24hr`)."""

    symbol: str
    last_price: float
    price_change_pct: float  # у відсотках, як у Binance ("1.647" → 1.647)
    quote_volume: float
    high: float
    low: float
    volume: float
    count: int


@dataclass(frozen=True, slots=True, eq=False)
class OrderBook:
    """Знімок книги заявок: `bids` за спаданням ціни, `asks` за зростанням, форма (n, 2)."""

    symbol: str
    bids: Levels
    asks: Levels
    last_update_id: int = 0

    @property
    def mid(self) -> float | None:
        """Середина між найкращими bid і ask; None, якщо одна зі сторін порожня."""
        if self.bids.shape[0] == 0 or self.asks.shape[0] == 0:
            return None
        return float((self.bids[0, 0] + self.asks[0, 0]) / 2.0)

    def depth_usd_within(self, pct: float) -> float:
        """Сума price × qty обох сторін у смузі ±`pct` відсотків від середини (у валюті котирування).

        Порожня сторона означає, що середини немає: тоді 0."""
        mid = self.mid
        if mid is None:
            return 0.0
        lo = mid * (1.0 - pct / 100.0)
        hi = mid * (1.0 + pct / 100.0)
        bids = self.bids[self.bids[:, 0] >= lo]
        asks = self.asks[self.asks[:, 0] <= hi]
        return float(np.dot(bids[:, 0], bids[:, 1]) + np.dot(asks[:, 0], asks[:, 1]))


@dataclass(frozen=True, slots=True)
class PremiumIndex:
    """Марк-ціна, індекс і фінансування (`premiumIndex`, лише ф'ючерси)."""

    symbol: str
    mark_price: float
    index_price: float
    funding_rate: float  # lastFundingRate, частка за період
    next_funding_time: int  # мс епохи


__all__ = ["Levels", "OrderBook", "PremiumIndex", "Ticker24h"]
