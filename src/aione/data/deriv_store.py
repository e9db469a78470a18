"""RAM-сховище деривативних рядів і книги: на символ, обмежене, з перевіркою на вході.

На символ тримається:
- останній прийнятий знімок книги (не більше `book_levels` рівнів на сторону) і ряд його
  метрик (`mid`, `spread_bps`, `bid_usd`/`ask_usd` у смузі ±`book_band_pct` %, `imbalance`),
  проріджений до однієї точки за `book_bucket_ms`;
- відкритий інтерес (`open_interest`, `value`);
- марк-ціна і фінансування (`mark_price`, `index_price`, `funding_rate`, `next_funding_time`),
  проріджені до однієї точки за `mark_bucket_ms`;
- ліквідації (`side` +1 BUY / −1 SELL, `price`, `qty`, `notional`), не старші за `liquidation_window_ms`.

Кожен ряд — `SeriesRing` з фіксованою ємністю (`DerivWindows`), тож пам'ять на символ обмежена
зверху незалежно від тривалості роботи; кількість символів обмежена `max_symbols`.
Усе, що приходить ззовні, перевіряється: книга — `book_checks.book_reason` (порожня, NaN,
інвертована, схрещена), застарілий `update_id`; ряди — скінченність і знак значень, порядок часу.
Відмова рахується в `stats.rejected["<вид>.<причина>"]`, перша відмова кожного ключа журналюється.
Свіжість книги — за віком від часу біржі (`event_time`, або часу отримання, якщо біржа його не дала)
до `now_ms` викликача: синхронно й без годинника всередині.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from aione.data.book_checks import book_reason, depth_within, imbalance, mid_price, spread_bps, truncate
from aione.data.deriv_series import ACCEPTED, OUT_OF_ORDER, REPLACED, SeriesRing
from aione.exchange.deriv_parsers import (
    BookSnapshot,
    DerivEvent,
    Liquidation,
    MarkFunding,
    OpenInterestPoint,
)
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)

# ── Налаштування і стовпці ──
SeriesKind = Literal["book", "oi", "mark", "liq"]
SERIES_COLUMNS: dict[str, tuple[str, ...]] = {
    "book": ("mid", "spread_bps", "bid_usd", "ask_usd", "imbalance"),
    "oi": ("open_interest", "value"),
    "mark": ("mark_price", "index_price", "funding_rate", "next_funding_time"),
    "liq": ("side", "price", "qty", "notional"),
}
SERIES_KINDS: tuple[SeriesKind, ...] = ("book", "oi", "mark", "liq")


@dataclass(frozen=True, slots=True)
class DerivWindows:
    """Ємності рядів на символ (вікна за замовчуванням) і пороги перевірок."""

    book_points: int = 900  # метрики книги раз на секунду → 15 хв
    book_bucket_ms: int = 1_000
    book_levels: int = 100  # рівнів на сторону в останньому знімку
    book_band_pct: float = 1.0  # смуга для bid_usd/ask_usd, % від середини
    book_stale_ms: int = 5_000  # старіша книга — `stale`
    oi_points: int = 1_440  # опитування OI раз на хвилину → доба (або 5 днів preload по 5 хв)
    mark_points: int = 1_440  # марк/фінансування раз на хвилину → доба
    mark_bucket_ms: int = 60_000
    liq_points: int = 1_024  # ліквідацій на символ
    liq_window_ms: int = 24 * 3_600_000

    def capacity(self, kind: str) -> int:
        """Ємність ряду виду `kind`."""
        return {"book": self.book_points, "oi": self.oi_points, "mark": self.mark_points}.get(
            kind, self.liq_points
        )


DEFAULT_WINDOWS = DerivWindows()
DEFAULT_MAX_SYMBOLS = 1_000


@dataclass(slots=True)
class DerivStats:
    """Лічильники сховища: прийняті події за видом, відмови за `<вид>.<причина>`, заміщення в кошику,
    перекриття пакета OI з наявним рядом."""

    accepted: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    overlap: int = 0  # точки пакета OI всередині вже наявного проміжку (пропущено, не помилка)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass(frozen=True, slots=True)
class BookStatus:
    """Стан книги символу на `now_ms`: `fresh`, `stale` або `missing`; вік у мс (None — книги немає)."""

    state: Literal["fresh", "stale", "missing"]
    age_ms: int | None

    @property
    def fresh(self) -> bool:
        return self.state == "fresh"


# ── Перевірка записаних рядків ──
def row_mask(kind: str, ts: npt.NDArray[np.int64], vals: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Маска рядків ряду `kind` (стовпці `SERIES_COLUMNS[kind]` у рядках `vals`), що проходять ті
    самі правила, що й живі події: час > 0, значення скінченні й зі знаком виду. Чиста функція."""
    ok = ts > 0
    with np.errstate(invalid="ignore"):
        if kind == "book":
            mid, spread, bid_usd, ask_usd, imb = vals
            ok &= np.isfinite(mid) & (mid > 0) & np.isfinite(spread) & (spread >= 0)
            ok &= np.isfinite(bid_usd) & (bid_usd >= 0) & np.isfinite(ask_usd) & (ask_usd >= 0)
            ok &= np.isnan(imb) | ((imb >= -1.0) & (imb <= 1.0))
        elif kind == "oi":
            oi, value = vals
            ok &= np.isfinite(oi) & (oi >= 0) & (np.isnan(value) | (value >= 0))
        elif kind == "mark":
            ok &= np.isfinite(vals).all(axis=0) & (vals[0] > 0) & (vals[1] >= 0)
        else:
            ok &= np.isfinite(vals).all(axis=0) & (np.abs(vals[0]) == 1.0) & (vals[3] > 0)
    return np.asarray(ok, dtype=np.bool_)


# ── Символ ──
class _SymbolDeriv:
    """Ряди й останній знімок книги одного символу."""

    __slots__ = ("series", "book", "book_time")

    def __init__(self, windows: DerivWindows) -> None:
        self.series: dict[str, SeriesRing] = {
            "book": SeriesRing(SERIES_COLUMNS["book"], windows.book_points, bucket_ms=windows.book_bucket_ms),
            "oi": SeriesRing(SERIES_COLUMNS["oi"], windows.oi_points),
            "mark": SeriesRing(SERIES_COLUMNS["mark"], windows.mark_points, bucket_ms=windows.mark_bucket_ms),
            "liq": SeriesRing(SERIES_COLUMNS["liq"], windows.liq_points, unique_ts=False),
        }
        self.book: BookSnapshot | None = None
        self.book_time = 0  # мс: час біржі знімка (або час отримання)

    def nbytes(self) -> int:
        book = self.book
        levels = 0 if book is None else int(book.bids.nbytes + book.asks.nbytes)
        return levels + sum(s.nbytes() for s in self.series.values())


# ── Сховище ──
class DerivStore:
    """Книга, OI, фінансування і ліквідації по символах у RAM; синхронне, без I/O."""

    def __init__(
        self, windows: DerivWindows = DEFAULT_WINDOWS, *, max_symbols: int = DEFAULT_MAX_SYMBOLS
    ) -> None:
        self.windows = windows
        self.max_symbols = max_symbols
        self.stats = DerivStats()
        self._symbols: dict[str, _SymbolDeriv] = {}
        self._logged: set[str] = set()

    # ── Внутрішнє ──
    def _state(self, symbol: str, kind: str) -> _SymbolDeriv | None:
        state = self._symbols.get(symbol)
        if state is None:
            if len(self._symbols) >= self.max_symbols:
                self._reject(kind, "too_many_symbols", symbol)
                return None
            state = _SymbolDeriv(self.windows)
            self._symbols[symbol] = state
        return state

    def _reject(self, kind: str, reason: str, symbol: str, count: int = 1) -> bool:
        key = f"{kind}.{reason}"
        self.stats.rejected[key] = self.stats.rejected.get(key, 0) + count
        if key not in self._logged:
            self._logged.add(key)
            logger.warning(
                "deriv_rejected kind=%s reason=%s (logged once per reason; counted in stats.rejected)",
                kind,
                reason,
                extra=log_ctx("deriv_store", symbol),
            )
        return False

    def _append(
        self, kind: str, symbol: str, state: _SymbolDeriv, ts: int, values: tuple[float, ...]
    ) -> bool:
        result = state.series[kind].append(ts, values)
        if result == OUT_OF_ORDER:
            return self._reject(kind, OUT_OF_ORDER, symbol)
        if result == REPLACED:
            self.stats.replaced += 1
        elif result == ACCEPTED:
            self.stats.accepted[kind] = self.stats.accepted.get(kind, 0) + 1
        return True

    # ── Запис ──
    def apply_book(self, book: BookSnapshot, recv_ms: int = 0) -> bool:
        """Знімок книги (часткова WS або REST). False — відкинуто, причину пораховано.

        `recv_ms` — час отримання, якщо біржа не дала `event_time` (spot partial depth)."""
        symbol = book.symbol
        reason = book_reason(book)
        if reason is not None:
            return self._reject("book", reason, symbol)
        ts = book.event_time or recv_ms
        if ts <= 0:
            return self._reject("book", "no_time", symbol)
        state = self._state(symbol, "book")
        if state is None:
            return False
        prev = state.book
        if prev is not None and (book.update_id < prev.update_id or ts < state.book_time):
            return self._reject("book", OUT_OF_ORDER, symbol)
        w = self.windows
        mid = mid_price(book)
        bid_usd = depth_within(book.bids, mid, w.book_band_pct, True)
        ask_usd = depth_within(book.asks, mid, w.book_band_pct, False)
        values = (mid, spread_bps(book), bid_usd, ask_usd, imbalance(bid_usd, ask_usd))
        if not self._append("book", symbol, state, ts, values):
            return False
        state.book = truncate(book, w.book_levels)
        state.book_time = ts
        return True

    def apply_open_interest(self, point: OpenInterestPoint) -> bool:
        """Точка відкритого інтересу (REST `openInterest` або `openInterestHist`)."""
        oi, value = point.open_interest, point.value
        if not math.isfinite(oi) or oi < 0 or not (math.isnan(value) or value >= 0):
            return self._reject("oi", "bad_value", point.symbol)
        if point.time <= 0:
            return self._reject("oi", "no_time", point.symbol)
        state = self._state(point.symbol, "oi")
        return state is not None and self._append("oi", point.symbol, state, point.time, (oi, value))

    def apply_mark(self, mark: MarkFunding) -> bool:
        """Марк-ціна і ставка фінансування."""
        vals = (mark.mark_price, mark.index_price, mark.funding_rate, float(mark.next_funding_time))
        if not all(math.isfinite(v) for v in vals) or mark.mark_price <= 0 or mark.index_price < 0:
            return self._reject("mark", "bad_value", mark.symbol)
        if mark.event_time <= 0:
            return self._reject("mark", "no_time", mark.symbol)
        state = self._state(mark.symbol, "mark")
        return state is not None and self._append("mark", mark.symbol, state, mark.event_time, vals)

    def apply_liquidation(self, liq: Liquidation) -> bool:
        """Ліквідація; старші за вікно `liq_window_ms` від найновішої забуваються."""
        notional = liq.notional
        vals = (1.0 if liq.side == "BUY" else -1.0, liq.price, liq.filled_qty, notional)
        if not all(math.isfinite(v) for v in vals) or notional <= 0:
            return self._reject("liq", "bad_value", liq.symbol)
        ts = liq.trade_time or liq.event_time
        if ts <= 0:
            return self._reject("liq", "no_time", liq.symbol)
        state = self._state(liq.symbol, "liq")
        if state is None or not self._append("liq", liq.symbol, state, ts, vals):
            return False
        state.series["liq"].drop_before(ts - self.windows.liq_window_ms)
        return True

    def apply(self, event: DerivEvent, recv_ms: int = 0) -> bool | None:
        """Будь-яка подія парсера; None — подія не для цього сховища (aggTrade, depth diff)."""
        if isinstance(event, BookSnapshot):
            return self.apply_book(event, recv_ms)
        if isinstance(event, MarkFunding):
            return self.apply_mark(event)
        if isinstance(event, OpenInterestPoint):
            return self.apply_open_interest(event)
        if isinstance(event, Liquidation):
            return self.apply_liquidation(event)
        return None

    def put_open_interest(self, points: Iterable[OpenInterestPoint]) -> int:
        """Пакет OI (preload `openInterestHist`, вже за зростанням часу); повертає прийняті.

        Якщо ряд уже має точки (відновлені з Redis після перезапуску), пакет не відкидається як
        `out_of_order`: старіші за перший наявний рядок точки стають перед ним (у межах ємності),
        точки всередині наявного проміжку пропускаються (`stats.overlap`), новіші — додаються."""
        pts = list(points)
        symbol = pts[0].symbol if pts else ""
        state = self._symbols.get(symbol)
        if state is None or not len(state.series["oi"]) or any(p.symbol != symbol for p in pts):
            return sum(1 for p in pts if self.apply_open_interest(p))
        ring = state.series["oi"]
        first, last = int(ring.times()[0]), int(ring.last_ts or 0)
        older = [p for p in pts if p.time < first]
        newer = [p for p in pts if p.time > last]
        self.stats.overlap += len(pts) - len(older) - len(newer)
        accepted = 0
        if older:
            kept = ring.to_columns()
            state.series["oi"] = SeriesRing(SERIES_COLUMNS["oi"], ring.capacity, bucket_ms=ring.bucket_ms)
            accepted = sum(1 for p in older if self.apply_open_interest(p))
            self.restore_series(symbol, "oi", kept)
        return accepted + sum(1 for p in newer if self.apply_open_interest(p))

    def restore_series(
        self, symbol: str, kind: SeriesKind, cols: Mapping[str, npt.NDArray[np.generic]]
    ) -> int:
        """Відновлює ряд із записаних стовпців (диск, Redis): останні `capacity` рядків додаються
        за порядком часу (старіші за вже наявні відкидаються). Рядки перевіряються тими самими
        правилами, що й живі події (`row_mask`): хибні пропускаються й рахуються як
        `<вид>.bad_value`. Ліквідації старші за вікно від найновішої забуваються.
        Повертає кількість прийнятих рядків."""
        names = SERIES_COLUMNS[kind]
        if "ts" not in cols or any(n not in cols for n in names):
            self._reject(kind, "bad_columns", symbol)
            return 0
        ts = np.asarray(cols["ts"], dtype=np.int64)
        if ts.shape[0] == 0:
            return 0
        vals = np.vstack([np.asarray(cols[n], dtype=np.float64) for n in names])
        ok = row_mask(kind, ts, vals)
        bad = int(ts.shape[0] - np.count_nonzero(ok))
        if bad:
            self._reject(kind, "bad_value", symbol, bad)
            ts, vals = ts[ok], vals[:, ok]
            if ts.shape[0] == 0:
                return 0
        state = self._state(symbol, kind)
        if state is None:
            return 0
        ring = state.series[kind]
        accepted = 0
        for i in range(max(0, ts.shape[0] - ring.capacity), ts.shape[0]):
            if ring.append(int(ts[i]), tuple(vals[:, i].tolist())) != OUT_OF_ORDER:
                accepted += 1
        if kind == "liq" and ring.last_ts is not None:
            ring.drop_before(ring.last_ts - self.windows.liq_window_ms)
        return accepted

    # ── Читання ──
    def symbols(self) -> list[str]:
        return sorted(self._symbols)

    def series(self, symbol: str, kind: SeriesKind) -> SeriesRing | None:
        """Ряд `kind` символу (None — символу ще немає); читати через методи `SeriesRing`."""
        state = self._symbols.get(symbol)
        return None if state is None else state.series[kind]

    def rings(self, symbol: str) -> Mapping[str, SeriesRing] | None:
        """Усі ряди символу (вид → ряд; None — символу ще немає) одним пошуком: для кешів, що
        перевіряють `SeriesRing.version` кожного ряду на кожен кадр. Лише для читання."""
        state = self._symbols.get(symbol)
        return None if state is None else state.series

    def book(self, symbol: str) -> BookSnapshot | None:
        """Останній прийнятий знімок книги (без перевірки свіжості)."""
        state = self._symbols.get(symbol)
        return None if state is None else state.book

    def book_status(self, symbol: str, now_ms: int) -> BookStatus:
        """Свіжість книги на `now_ms`: вік понад `book_stale_ms` — `stale`."""
        state = self._symbols.get(symbol)
        if state is None or state.book is None:
            return BookStatus("missing", None)
        age = now_ms - state.book_time
        return BookStatus("stale" if age > self.windows.book_stale_ms else "fresh", age)

    def fresh_book(self, symbol: str, now_ms: int) -> BookSnapshot | None:
        """Знімок книги, лише якщо він свіжий на `now_ms`; інакше None (див. `book_status`)."""
        return self.book(symbol) if self.book_status(symbol, now_ms).fresh else None

    def iter_series(self) -> Iterator[tuple[str, str, SeriesRing]]:
        """(символ, вид, ряд) для всіх непорожніх рядів (для запису на диск і в Redis)."""
        for symbol in sorted(self._symbols):
            for kind, ring in self._symbols[symbol].series.items():
                if len(ring):
                    yield symbol, kind, ring

    # ── Пам'ять ──
    def ram_bytes(self, symbol: str | None = None) -> int:
        """Виділені байти рядів і знімків книги: символу або всіх."""
        if symbol is not None:
            state = self._symbols.get(symbol)
            return 0 if state is None else state.nbytes()
        return sum(s.nbytes() for s in self._symbols.values())


def ram_bytes(windows: DerivWindows = DEFAULT_WINDOWS) -> int:
    """Байти RAM одного символу з усіма рядами, заповненими до вікон `windows`, і повною книгою
    (`book_levels` рівнів на сторону); верхня межа, яку сховище не перевищує на символ."""
    rings = sum(
        SeriesRing.nbytes_at_capacity(len(SERIES_COLUMNS[kind]), windows.capacity(kind))
        for kind in SERIES_KINDS
    )
    return rings + 2 * windows.book_levels * 2 * 8


__all__ = [
    "DEFAULT_MAX_SYMBOLS",
    "DEFAULT_WINDOWS",
    "SERIES_COLUMNS",
    "SERIES_KINDS",
    "BookStatus",
    "DerivStats",
    "DerivStore",
    "DerivWindows",
    "SeriesKind",
    "ram_bytes",
    "row_mask",
]
