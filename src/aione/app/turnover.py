"""Оборот за 24 год у USD для колонки UI: сума quote volume закритих 1m барів за останню добу.

Рахується з RAM-сховища (view без копій) лише коли в символу з'явився новий закритий бар;
між барами — значення з кешу, тож виклик на кожну подію бару коштує один пошук у словнику.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from aione.config.config import TIMEFRAME_MS
from aione.data.bars import BarArrays

DAY_MS = TIMEFRAME_MS["1d"]
BARS_PER_DAY = DAY_MS // TIMEFRAME_MS["1m"]


class BarsReader(Protocol):
    """Те, що потрібно від сховища (`UnifiedDataStore` / `RamStore`)."""

    def get_bars(
        self, symbol: str, timeframe: str, n: int | None = None, *, include_open: bool = False
    ) -> BarArrays: ...

    def last_closed_time(self, symbol: str, timeframe: str) -> int | None: ...


# ── Чисте обчислення ──
def turnover_24h(open_time: np.ndarray, quote_volume: np.ndarray) -> float | None:
    """Сума quote volume барів з open_time у (останній − 24 год, останній]; барів немає — None."""
    n = open_time.shape[0]
    if n == 0:
        return None
    start = int(np.searchsorted(open_time, int(open_time[-1]) - DAY_MS, side="right"))
    return float(np.sum(quote_volume[start:n]))


# ── Кеш над сховищем ──
class Turnover24h:
    """`tracker(symbol)` → оборот за 24 год; перераховується лише на новому закритому 1m барі."""

    def __init__(self, store: BarsReader) -> None:
        self.store = store
        self._cache: dict[str, tuple[int, float | None]] = {}

    def __call__(self, symbol: str) -> float | None:
        last = self.store.last_closed_time(symbol, "1m")
        if last is None:
            return None
        cached = self._cache.get(symbol)
        if cached is not None and cached[0] == last:
            return cached[1]
        bars = self.store.get_bars(symbol, "1m", BARS_PER_DAY)
        value = turnover_24h(bars.open_time, bars.quote_volume)
        self._cache[symbol] = (last, value)
        return value


__all__ = ["BARS_PER_DAY", "DAY_MS", "BarsReader", "Turnover24h", "turnover_24h"]
