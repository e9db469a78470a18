"""Бари для графіка панелі: протокол постачальника і реалізації (сховище конвеєра, словник масивів,
Redis). Таймфрейм графіка (1m/5m/15m/1h) — з 1m барів сховища (`data.resample.resample_period`);
спарклайни рядків — закриття останніх годин, проріджені до кількох десятків точок."""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Mapping
from typing import Any, Final, Protocol

import numpy as np

from aione.config.config import TIMEFRAME_MS
from aione.data.bar_codec import BarBlockError, decode_bars
from aione.data.bars import BarArrays
from aione.data.redis_keys import bars_key
from aione.data.resample import resample_period

BarRecord = dict[str, float | int | None]
CHART_TIMEFRAMES: Final = ("1m", "5m", "15m", "1h")


# ── Протоколи ──
class BarsProvider(Protocol):
    """Дає останні `n` барів символу як список словників (синхронно або як awaitable)."""

    def get_recent_bars(self, symbol: str, n: int) -> list[BarRecord] | Awaitable[list[BarRecord]]: ...


class BarsStore(Protocol):
    """Частина `UnifiedDataStore`, потрібна панелі: `get_bars(symbol, timeframe, n)` → `BarArrays`."""

    def get_bars(self, symbol: str, timeframe: str, n: int) -> Any: ...


# ── Чиста логіка ──
def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def bars_to_records(arrays: BarArrays | None, n: int | None = None) -> list[BarRecord]:
    """Останні `n` барів (усі, якщо None) → список словників для JSON; NaN/inf → None."""
    if arrays is None or len(arrays) == 0:
        return []
    start = 0 if n is None else max(0, len(arrays) - n)
    cols = [arrays.open_time[start:].tolist()]
    cols += [
        col[start:].tolist() for col in (arrays.open, arrays.high, arrays.low, arrays.close, arrays.volume)
    ]
    return [
        {
            "open_time": int(t),
            "open": _finite(o),
            "high": _finite(h),
            "low": _finite(lo),
            "close": _finite(c),
            "volume": _finite(v),
        }
        for t, o, h, lo, c, v in zip(*cols, strict=True)
    ]


def records_to_arrays(records: list[BarRecord]) -> BarArrays:
    """Список словників барів (як від `get_recent_bars`) → `BarArrays` (None → NaN; угоди невідомі)."""

    def col(name: str) -> np.ndarray:
        return np.array([np.nan if r.get(name) is None else r.get(name) for r in records], dtype=np.float64)

    n = len(records)
    times = np.array([int(r.get("open_time") or 0) for r in records], dtype=np.int64)
    nan = np.full(n, np.nan)
    vol = col("volume")
    return BarArrays(times, col("open"), col("high"), col("low"), col("close"), vol, nan, np.full(n, -1), nan, nan)


def timeframe_minutes(timeframe: str) -> int:
    """Скільки 1m барів у барі таймфрейму графіка (`ValueError` для невідомого)."""
    if timeframe not in CHART_TIMEFRAMES:
        raise ValueError(f"timeframe must be one of {', '.join(CHART_TIMEFRAMES)}")
    return int(TIMEFRAME_MS[timeframe] // TIMEFRAME_MS["1m"])


def resample_records(records: list[BarRecord], timeframe: str, n: int) -> list[BarRecord]:
    """Останні `n` барів таймфрейму з 1m барів-словників (1m — як є)."""
    k = timeframe_minutes(timeframe)
    if k == 1:
        return records[-n:]
    return bars_to_records(resample_period(records_to_arrays(records), k * TIMEFRAME_MS["1m"]), n)


def spark_points(closes: list[float | None], points: int) -> list[float | None]:
    """Закриття, проріджені до `points` точок (останнє закриття — завжди остання точка)."""
    if points <= 0 or len(closes) <= points:
        return list(closes)
    step = len(closes) / points
    idx = [min(len(closes) - 1, int(round((i + 1) * step)) - 1) for i in range(points)]
    return [closes[i] for i in idx]


async def fetch_recent_bars(provider: BarsProvider, symbol: str, n: int) -> list[BarRecord]:
    """Викликає постачальника, хай він синхронний чи асинхронний."""
    result = provider.get_recent_bars(symbol, n)
    if inspect.isawaitable(result):
        return await result
    return result


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _closes(arrays: BarArrays | None, n: int) -> list[float | None]:
    if arrays is None or len(arrays) == 0:
        return []
    return [c if math.isfinite(c) else None for c in arrays.close[max(0, len(arrays) - n) :].tolist()]


async def fetch_recent_closes(provider: BarsProvider, symbol: str, n: int) -> list[float | None]:
    """Закриття останніх `n` барів (для спарклайна): без словників на бар, коли постачальник має
    `get_recent_closes`; інакше — з `get_recent_bars`."""
    getter = getattr(provider, "get_recent_closes", None)
    if getter is not None:
        result = getter(symbol, n)
        return await result if inspect.isawaitable(result) else result
    return [_float(r.get("close")) for r in await fetch_recent_bars(provider, symbol, n)]


async def fetch_chart_bars(provider: BarsProvider, symbol: str, n: int, timeframe: str = "1m") -> list[BarRecord]:
    """`n` барів таймфрейму графіка: 1m — як є, інші — з `n`·k останніх 1m барів сховища."""
    k = timeframe_minutes(timeframe)
    records = await fetch_recent_bars(provider, symbol, n * k + k - 1)
    return resample_records(records, timeframe, n)


# ── Реалізації ──
class StoreBarsProvider:
    """Читає бари з `UnifiedDataStore` конвеєра (таймфрейм за замовчуванням 1m)."""

    def __init__(self, store: BarsStore, timeframe: str = "1m") -> None:
        self._store = store
        self._timeframe = timeframe

    async def get_recent_bars(self, symbol: str, n: int) -> list[BarRecord]:
        arrays = self._store.get_bars(symbol, self._timeframe, n)
        if inspect.isawaitable(arrays):
            arrays = await arrays
        return bars_to_records(arrays, n)

    async def get_recent_closes(self, symbol: str, n: int) -> list[float | None]:
        arrays = self._store.get_bars(symbol, self._timeframe, n)
        if inspect.isawaitable(arrays):
            arrays = await arrays
        return _closes(arrays, n)


class MappingBarsProvider:
    """Бари з готового словника `symbol → BarArrays` (демо, реплей, тести); `cursor` обмежує «зараз»."""

    def __init__(self, bars: Mapping[str, BarArrays]) -> None:
        self._bars = dict(bars)
        self.cursor: dict[str, int] = {}  # символ → кількість барів, видимих на цей момент

    def get_recent_bars(self, symbol: str, n: int) -> list[BarRecord]:
        arrays = self._bars.get(symbol)
        if arrays is None:
            return []
        stop = self.cursor.get(symbol, len(arrays))
        return bars_to_records(arrays.slice(0, stop), n)

    def get_recent_closes(self, symbol: str, n: int) -> list[float | None]:
        arrays = self._bars.get(symbol)
        if arrays is None:
            return []
        return _closes(arrays.slice(0, self.cursor.get(symbol, len(arrays))), n)


class RedisBarsProvider:
    """Бари з Redis, куди їх пише сховище конвеєра (`ai_one:bars:{symbol}:{tf}`, блок `bar_codec`).

    Для режиму `aione web --redis`: окремий процес панелі бачить ті самі бари, що й конвеєр
    (із затримкою write-behind сховища). Немає ключа чи блок зіпсовано → порожній список."""

    def __init__(self, client: Any, timeframe: str = "1m") -> None:
        self._client = client  # redis.asyncio.Redis
        self._timeframe = timeframe

    async def get_recent_bars(self, symbol: str, n: int) -> list[BarRecord]:
        blob = await self._client.get(bars_key(symbol, self._timeframe))
        if blob is None:
            return []
        try:
            arrays = decode_bars(blob)
        except BarBlockError:
            return []
        return bars_to_records(arrays, n)


__all__ = [
    "BarRecord",
    "BarsProvider",
    "BarsStore",
    "MappingBarsProvider",
    "RedisBarsProvider",
    "StoreBarsProvider",
    "CHART_TIMEFRAMES",
    "bars_to_records",
    "fetch_chart_bars",
    "fetch_recent_closes",
    "fetch_recent_bars",
    "records_to_arrays",
    "resample_records",
    "spark_points",
    "timeframe_minutes",
]
