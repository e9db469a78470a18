"""RAM-шар `UnifiedDataStore`: кільцеві буфери барів, метадані символів, `fast_symbols`, лічильники.

Синхронний і без I/O: конвеєр пише сюди кожну подію (`apply`) і читає зрізи (`get_bars`).
Час — лише з подій. Усе, що приходить ззовні, перевіряється (`bar_validation`); відкинутий бар
рахується за причиною, перша відмова кожного виду журналюється, а збережене не змінюється.

Ємність за замовчуванням (закритих барів на символ): `1m` — 1440 (доба, `PRELOAD_1M_LOOKBACK_INIT`),
`1d` — 60 (вдвічі більше за `PRELOAD_DAILY_DAYS`, щоб макрорівні мали запас), будь-який інший
таймфрейм — 1440. Перевизначення: `capacity={"5m": 2016}` зливається з цими значеннями.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from aione.config.config import TIMEFRAME_MS, SymbolInfo
from aione.data.bar_validation import (
    REJECT_BAD_TIMEFRAME,
    REJECT_DUPLICATE,
    bars_to_arrays,
    check_time,
    check_values,
    value_reasons,
)
from aione.data.bars import BAR_COLUMNS, Bar, BarArrays, BarEvent
from aione.data.fast_symbols import FastSymbols, Source
from aione.data.ring_buffer import BarRing
from aione.data.store_stats import StoreStats
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)

# ── Ємність ──
DEFAULT_CAPACITY: Mapping[str, int] = MappingProxyType({"1m": 1440, "1d": 60})
FALLBACK_CAPACITY = 1440


def columns_to_arrays(cols: Iterable[Any]) -> BarArrays:
    """Стовпці → `BarArrays` (типи колонок перевіряє викликач)."""
    return BarArrays(*list(cols))


_EMPTY = columns_to_arrays(
    np.zeros(0, dtype=np.int64 if i in (0, 7) else np.float64) for i in range(len(BAR_COLUMNS))
)
for _col in _EMPTY:
    _col.flags.writeable = False

RingKey = tuple[str, str]


def _as_arrays(bars: BarArrays | Sequence[Bar]) -> BarArrays:
    """Вхід `put_bars` → стовпці потрібних типів (відкриті `Bar` пропускаються: їхній шлях — `apply`)."""
    if isinstance(bars, BarArrays):
        return columns_to_arrays(
            np.asarray(col, dtype=np.int64 if i in (0, 7) else np.float64) for i, col in enumerate(bars)
        )
    return bars_to_arrays([b for b in bars if b.closed])


def _take(arrays: BarArrays, index: np.ndarray) -> BarArrays:
    return columns_to_arrays(col[index] for col in arrays)


class RamStore:
    """Бари, метадані й `fast_symbols` у пам'яті процесу. Базовий клас `UnifiedDataStore`."""

    def __init__(self, *, capacity: Mapping[str, int] | None = None) -> None:
        self.capacity: dict[str, int] = {**DEFAULT_CAPACITY, **(capacity or {})}
        self._rings: dict[RingKey, BarRing] = {}
        self._info: dict[str, SymbolInfo] = {}
        self._fast = FastSymbols()
        self._logged_reasons: set[str] = set()
        self.stats = StoreStats(memory_fn=self.memory_bytes)
        self._meta_redis_dirty: set[str] = set()
        self._meta_disk_dirty = False

    # ── Внутрішнє ──
    def _ring(self, symbol: str, timeframe: str) -> BarRing:
        key = (symbol, timeframe)
        ring = self._rings.get(key)
        if ring is None:
            ring = BarRing(self.capacity.get(timeframe, FALLBACK_CAPACITY))
            self._rings[key] = ring
        return ring

    def _reject(self, reason: str, symbol: str, timeframe: str, count: int = 1) -> bool:
        rejected = self.stats.rejected
        rejected[reason] = rejected.get(reason, 0) + count
        if reason not in self._logged_reasons:
            self._logged_reasons.add(reason)
            logger.warning(
                "bar_rejected reason=%s timeframe=%s (logged once per reason; counted in stats.rejected)",
                reason,
                timeframe,
                extra=log_ctx("store", symbol),
            )
        return False

    # ── Запис ──
    def apply(self, event: BarEvent) -> bool:
        """Єдиний шлях живих барів: закритий додається, відкритий заміщує відкритий. O(1).

        False — бар відкинуто (причина в `stats.rejected`), збережене не змінено."""
        symbol, timeframe, bar = event.symbol, event.timeframe, event.bar
        ring = self._rings.get((symbol, timeframe))
        if ring is None:
            if timeframe not in TIMEFRAME_MS:
                return self._reject(REJECT_BAD_TIMEFRAME, symbol, timeframe)
            ring = self._ring(symbol, timeframe)
        reason = check_values(bar)
        if reason is None:
            current = ring.open_bar
            reason = check_time(
                bar.open_time, bar.closed, ring.last_time, None if current is None else current.open_time
            )
        if reason is not None:
            return self._reject(reason, symbol, timeframe)
        if bar.closed:
            last = ring.last_time
            if last is not None and bar.open_time > last + TIMEFRAME_MS[timeframe]:
                self.stats.gaps += 1
            ring.append(bar)
            self.stats.accepted += 1
        else:
            ring.set_open(bar)
            self.stats.open_updates += 1
        return True

    def put_bars(self, symbol: str, timeframe: str, bars: BarArrays | Sequence[Bar]) -> int:
        """Пакетне завантаження закритих барів (preload, backfill, холодний старт). Повертає кількість
        нових барів, що лишилися в буфері.

        Бари перевіряються поелементно (погані рахуються за причиною); повтор часу всередині пакета —
        `duplicate`; бар, час якого вже збережено, пропускається (збережене важить більше) і
        рахується в `stats.bulk_overlap`; старші бари вставляються на своє місце (заповнення пропусків);
        бари, старші за вікно `capacity`, не зберігаються."""
        if timeframe not in TIMEFRAME_MS:
            self._reject(REJECT_BAD_TIMEFRAME, symbol, timeframe, len(bars))
            return 0
        arrays = _as_arrays(bars)
        if len(arrays) == 0:
            return 0
        bad = np.zeros(len(arrays), dtype=bool)
        for reason, mask in value_reasons(arrays).items():
            hits = int(mask.sum())
            if hits:
                self._reject(reason, symbol, timeframe, hits)
                bad |= mask
        if bad.any():
            arrays = _take(arrays, np.flatnonzero(~bad))
        order = np.argsort(arrays.open_time, kind="stable")
        times = arrays.open_time[order]
        first = np.ones(len(times), dtype=bool)
        first[1:] = times[1:] != times[:-1]
        if not first.all():
            self._reject(REJECT_DUPLICATE, symbol, timeframe, int((~first).sum()))
        new = _take(arrays, order[first])
        if len(new) == 0:
            return 0
        ring = self._ring(symbol, timeframe)
        old = ring.view()
        if len(old) and new.open_time[0] <= old.open_time[-1]:
            present = np.isin(new.open_time, old.open_time)
            self.stats.bulk_overlap += int(present.sum())
            new = _take(new, np.flatnonzero(~present))
            if len(new) == 0:
                return 0
            merged = columns_to_arrays(np.concatenate((a, b)) for a, b in zip(old, new, strict=True))
            merged = _take(merged, np.argsort(merged.open_time, kind="stable"))
        else:
            merged = columns_to_arrays(np.concatenate((a, b)) for a, b in zip(old, new, strict=True))
        kept_from = max(0, len(merged) - ring.capacity)
        accepted = int((new.open_time >= merged.open_time[kept_from]).sum())
        if accepted == 0:
            return 0
        ring.replace_all(merged.slice(kept_from))
        self.stats.accepted += accepted
        return accepted

    # ── Читання ──
    def get_bars(
        self, symbol: str, timeframe: str, n: int | None = None, *, include_open: bool = False
    ) -> BarArrays:
        """View (лише читання, без копій) останніх `n` закритих барів (+ відкритий за запитом).
        View дійсні до наступного запису в цей символ/таймфрейм; довше — `np.copy`."""
        ring = self._rings.get((symbol, timeframe))
        if ring is None:
            return _EMPTY
        return ring.view(n, include_open)

    def last_closed(self, symbol: str, timeframe: str) -> Bar | None:
        ring = self._rings.get((symbol, timeframe))
        return None if ring is None else ring.last_bar()

    def open_bar(self, symbol: str, timeframe: str) -> Bar | None:
        ring = self._rings.get((symbol, timeframe))
        return None if ring is None else ring.open_bar

    def last_closed_time(self, symbol: str, timeframe: str) -> int | None:
        ring = self._rings.get((symbol, timeframe))
        return None if ring is None else ring.last_time

    def bar_count(self, symbol: str, timeframe: str) -> int:
        """Кількість закритих барів у буфері."""
        ring = self._rings.get((symbol, timeframe))
        return 0 if ring is None else len(ring)

    def symbols(self, timeframe: str = "1m") -> list[str]:
        """Символи, що мають бари (закриті або відкритий) у цьому таймфреймі, за абеткою."""
        return sorted(
            s for (s, tf), r in self._rings.items() if tf == timeframe and (len(r) or r.open_bar is not None)
        )

    def memory_bytes(self) -> int:
        """Байти numpy-буферів усіх кілець."""
        return sum(r.nbytes() for r in self._rings.values())

    # ── Метадані ──
    def set_symbol_info(self, info: SymbolInfo) -> None:
        """Зберігає біржові параметри символу (тік, крок, фільтри)."""
        if self._info.get(info.symbol) == info:
            return
        self._info[info.symbol] = info
        self._meta_redis_dirty.add(info.symbol)
        self._meta_disk_dirty = True

    def get_symbol_info(self, symbol: str) -> SymbolInfo | None:
        return self._info.get(symbol)

    # ── fast_symbols ──
    def set_fast_symbols(self, symbols: Iterable[str], *, source: Source, now_ms: int) -> None:
        """Замінює записи джерела `auto`|`manual`; TTL за джерелом від `now_ms` (див. `fast_symbols`)."""
        self._fast.set(symbols, source=source, now_ms=now_ms)

    def get_fast_symbols(self, now_ms: int) -> list[str]:
        """Чинні символи під наглядом; seed-список — завжди."""
        return self._fast.get(now_ms)


__all__ = ["DEFAULT_CAPACITY", "FALLBACK_CAPACITY", "RamStore", "RingKey", "columns_to_arrays"]
