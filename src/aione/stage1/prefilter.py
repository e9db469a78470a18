"""Префільтр Stage1: асинхронний збір даних з біржі та періодичне оновлення `fast_symbols`.

Чистий відбір живе в `prefilter_select` (тут лише реекспорт); цей модуль — тонка оболонка
введення-виведення, що витрачає мало ваги запитів:
1. два дешеві запити на весь ринок — exchangeInfo і ticker/24hr (паралельно);
2. попередній відбір за ними (без OI і глибини) дає короткий список;
3. лише для короткого списку — openInterest (ф'ючерси) і depth, з обмеженою паралельністю
   (`OI_SEMAPHORE_LIMIT`, `DEPTH_SEMAPHORE_LIMIT`; семафори створюються під час запуску).
   OI у контрактах множиться на останню ціну тікера, а не на марк-ціну з premiumIndex:
   це економить запит на символ, а різниця між ними на порядки менша за поріг. Зі сховищем
   деривативів (`deriv_source`) свіжі живі OI і глибина ±1 % беруться з нього, і запит за
   символом не робиться (`live_deriv_values`; смуга книги сховища має збігатися з `depth_band_pct`);
4. остаточний відбір з усіма даними, запис у сховище: автоматичний список з `source="auto"`,
   ручний seed з `source="manual"` (кожен зі своїм TTL у сховищі).
Якщо не вдалися запити для більш ніж половини короткого списку, оновлення вважається
невдалим (виняток `PrefilterError`): краще лишити попередній список, ніж відкинути ринок
через збій мережі. `PrefilterScheduler` саме так і робить.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from aione.config.config import (
    DEPTH_SEMAPHORE_LIMIT,
    MANUAL_FAST_SYMBOLS_SEED,
    OI_SEMAPHORE_LIMIT,
    PREFILTER_BASE_PARAMS,
    PREFILTER_DEPTH_LIMIT,
    PREFILTER_INTERVAL_SEC,
    FilterParams,
    SymbolInfo,
)
from aione.data.deriv_store import DEFAULT_WINDOWS
from aione.logging_setup import get_logger, log_ctx
from aione.signals.deriv_context import SeriesSource
from aione.stage1.prefilter_select import (
    REJECT_REASONS,
    PrefilterResult,
    TickerLike,
    live_deriv_values,
    proxy_atr_pct,
    select_symbols,
)
from aione.utils.utils import wall_clock_ms

logger = get_logger(__name__)
_CTX = log_ctx("stage1")


# ── Протоколи залежностей ──
class OrderBookLike(Protocol):
    """Книга заявок, що вміє порахувати глибину в смузі ±pct % від середини."""

    def depth_usd_within(self, pct: float) -> float: ...


class PrefilterRest(Protocol):
    """Методи REST-клієнта, потрібні префільтру (`BinanceRestClient` їм відповідає)."""

    async def exchange_info(self) -> list[SymbolInfo]: ...
    async def ticker_24h(self) -> Sequence[TickerLike]: ...
    async def open_interest(self, symbol: str) -> float: ...
    async def depth(self, symbol: str, limit: int = ...) -> OrderBookLike: ...


class FastSymbolsStore(Protocol):
    """Частина сховища, куди префільтр пише список (`UnifiedDataStore`)."""

    def set_fast_symbols(self, symbols: Sequence[str], *, source: Any, now_ms: int) -> Any: ...


class PrefilterError(RuntimeError):
    """Оновлення не вдалося: попередній список лишається чинним."""


# ── Збір даних для короткого списку ──
async def _bounded_map(
    symbols: Sequence[str], limit: int, fetch: Callable[[str], Awaitable[float]]
) -> tuple[dict[str, float], int]:
    """Виконує `fetch` для кожного символу не більше ніж `limit` одночасно; повертає (значення, збої)."""
    sem = asyncio.Semaphore(max(1, limit))
    out: dict[str, float] = {}
    failed: dict[str, str] = {}

    async def one(sym: str) -> None:
        async with sem:
            try:
                out[sym] = float(await fetch(sym))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — збій одного символу не зупиняє решту: символ отримає причину no_*
                failed[sym] = repr(exc)

    await asyncio.gather(*(one(s) for s in symbols))
    if failed:
        # Один рядок на прохід, а не на символ: масовий збій не засмічує журнал.
        first = sorted(failed)[:3]
        logger.warning(
            "prefilter: %d per-symbol requests failed, e.g. %s",
            len(failed),
            {s: failed[s] for s in first},
            extra=_CTX,
        )
    return out, len(failed)


async def run_prefilter(
    rest: PrefilterRest,
    *,
    params: FilterParams = PREFILTER_BASE_PARAMS,
    market: str = "um",
    store: FastSymbolsStore | None = None,
    now_ms: int,
    manual_symbols: Sequence[str] = MANUAL_FAST_SYMBOLS_SEED,
    atr_pct: Mapping[str, float] | None = None,
    depth_limit: int = PREFILTER_DEPTH_LIMIT,
    short_list_max: int | None = None,
    deriv_source: SeriesSource | None = None,
    deriv_band_pct: float = DEFAULT_WINDOWS.book_band_pct,
) -> PrefilterResult:
    """Один прохід префільтра (кроки в docstring модуля); `elapsed_seconds` — тривалість проходу.

    `short_list_max` обмежує кількість символів, для яких робляться запити за символом
    (за замовчуванням 2 × `max_symbols`: запас на відмови за OI/глибиною). `deriv_source` —
    сховище деривативів (`DerivStore.series`), `deriv_band_pct` — його смуга глибини, %;
    `now_ms` тоді — час біржі, на який перевіряється свіжість."""
    started = time.perf_counter()
    symbols, tickers = await asyncio.gather(rest.exchange_info(), rest.ticker_24h())
    tickers = list(tickers)
    first = select_symbols(
        symbols,
        tickers,
        params=params.model_copy(update={"max_symbols": 10**9}),
        atr_pct=atr_pct,
        market=market,
    )
    cap = short_list_max if short_list_max is not None else 2 * params.max_symbols
    short = first.selected[:cap]
    last_price = {t.symbol: float(t.last_price) for t in tickers}
    live_oi: dict[str, float] = {}
    live_depth: dict[str, float] = {}
    if deriv_source is not None:
        live_oi, live_depth = live_deriv_values(
            deriv_source,
            short,
            now_ms,
            last_price,
            with_oi=market == "um",
            with_depth=abs(deriv_band_pct - params.depth_band_pct) < 1e-9,
        )

    oi_usd: dict[str, float] | None = None
    failures = 0
    calls = 0
    if market == "um":

        async def fetch_oi(sym: str) -> float:
            return float(await rest.open_interest(sym)) * last_price[sym]

        need_oi = [s for s in short if s not in live_oi]
        oi_usd, f = await _bounded_map(need_oi, OI_SEMAPHORE_LIMIT, fetch_oi)
        oi_usd.update(live_oi)
        failures += f
        calls += len(need_oi)

    async def fetch_depth(sym: str) -> float:
        book = await rest.depth(sym, limit=depth_limit)
        return float(book.depth_usd_within(params.depth_band_pct))

    need_depth = [s for s in short if s not in live_depth]
    depth_usd, f = await _bounded_map(need_depth, DEPTH_SEMAPHORE_LIMIT, fetch_depth)
    depth_usd.update(live_depth)
    failures += f
    calls += len(need_depth)
    if live_oi or live_depth:
        logger.info("prefilter: live values used: OI %d, depth %d", len(live_oi), len(live_depth), extra=_CTX)
    if calls and failures * 2 > calls:
        raise PrefilterError(f"{failures} of {calls} per-symbol requests failed")

    # Символи поза коротким списком уже відкинуті першим проходом; тут вони отримають ту саму причину.
    result = select_symbols(
        symbols,
        tickers,
        params=params,
        open_interest_usd=oi_usd,
        depth_usd=depth_usd,
        atr_pct=atr_pct,
        market=market,
    )
    for sym in first.selected[cap:]:
        if sym in result.rejected and result.rejected[sym] in ("no_open_interest", "no_depth"):
            result.rejected[sym] = "rank_cutoff"
    result.counts = {}
    for reason in result.rejected.values():
        result.counts[reason] = result.counts.get(reason, 0) + 1
    if store is not None:
        store.set_fast_symbols(result.selected, source="auto", now_ms=now_ms)
        store.set_fast_symbols(list(manual_symbols), source="manual", now_ms=now_ms)
    result.elapsed_seconds = time.perf_counter() - started
    logger.info(
        "prefilter: %d selected of %d, rejected %s, %.2fs",
        len(result.selected),
        len(symbols),
        result.counts,
        result.elapsed_seconds,
        extra=_CTX,
    )
    return result


# ── Періодичне оновлення ──
class PrefilterScheduler:
    """Оновлює список кожні `interval_sec`; невдале оновлення лишає попередній результат.

    `clock` дає мс для TTL у сховищі (за замовчуванням настінний годинник; демо передає
    віртуальний годинник симулятора). `on_update` викликається з кожним новим результатом
    (може бути корутиною), наприклад щоб змінити підписки WS."""

    def __init__(
        self,
        rest: PrefilterRest,
        *,
        params: FilterParams = PREFILTER_BASE_PARAMS,
        market: str = "um",
        store: FastSymbolsStore | None = None,
        interval_sec: float = PREFILTER_INTERVAL_SEC,
        clock: Callable[[], int] = wall_clock_ms,
        manual_symbols: Sequence[str] = MANUAL_FAST_SYMBOLS_SEED,
        on_update: Callable[[PrefilterResult], object] | None = None,
        deriv_source: SeriesSource | None = None,
    ) -> None:
        self._rest = rest
        self.deriv_source = deriv_source  # сховище деривативів: свіжі OI і глибина без запитів
        self._params = params
        self._market = market
        self._store = store
        self.interval_sec = interval_sec
        self._clock = clock
        self._manual = tuple(manual_symbols)
        self._on_update = on_update
        self.current: PrefilterResult | None = None
        self.last_error: str | None = None
        self.failures = 0
        self.refreshes = 0
        self._stop = asyncio.Event()

    @property
    def fast_symbols(self) -> list[str]:
        """Чинний список: останній вдалий результат ∪ ручний seed (лише seed до першого успіху)."""
        if self.current is None:
            return list(self._manual)
        return self.current.fast_symbols(self._manual)

    async def refresh(self) -> PrefilterResult | None:
        """Один прохід; при збої журналює, рахує і повертає попередній результат."""
        try:
            result = await run_prefilter(
                self._rest,
                params=self._params,
                market=self._market,
                store=self._store,
                now_ms=self._clock(),
                manual_symbols=self._manual,
                deriv_source=self.deriv_source,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 — будь-який збій оновлення = лишити попередній список (SPEC)
            self.failures += 1
            self.last_error = repr(exc)
            logger.warning("prefilter refresh failed, keeping previous list: %r", exc, extra=_CTX)
            return self.current
        self.current = result
        self.last_error = None
        self.refreshes += 1
        if self._on_update is not None:
            try:
                ret = self._on_update(result)
                if inspect.isawaitable(ret):
                    await ret
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("prefilter on_update callback failed", extra=_CTX)
        return result

    async def run(self) -> None:
        """Цикл до `stop()`: оновлення одразу, далі кожні `interval_sec`."""
        self._stop.clear()
        while not self._stop.is_set():
            await self.refresh()
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_sec)
            except TimeoutError:
                continue

    def stop(self) -> None:
        """Зупиняє `run()` після поточного проходу."""
        self._stop.set()


__all__ = [
    "REJECT_REASONS",
    "FastSymbolsStore",
    "PrefilterError",
    "PrefilterRest",
    "PrefilterResult",
    "PrefilterScheduler",
    "TickerLike",
    "proxy_atr_pct",
    "run_prefilter",
    "select_symbols",
]
