"""Живі деривативні дані в `DerivStore`: книга, марк-ціна/фінансування, ліквідації (WS) і OI (REST).

- `DerivStreamClient` — той самий шардований WS-клієнт, що й для klines (`BinanceWsClient`: шарди в
  межах ліміту потоків на з'єднання, SUBSCRIBE/UNSUBSCRIBE на льоту з темпом Binance, реконекти з
  затримкою, перевідкриття до 24-годинного обриву, тиша → перепідключення), але кадри розбирає
  `deriv_parsers.parse_stream_frame` і кладе в сховище. Марк-ціна і фінансування: від
  `mark_all_min_symbols` (`MARK_ALL_MIN_SYMBOLS`) символів під наглядом — ОДИН потік усього ринку
  `!markPrice@arr@1s` (слот `MARK_ALL_SLOT`): кадр раз на секунду з масивом усіх символів,
  розбирається за один прохід (`parse_mark_price_all`), символи поза наглядом пропускаються без
  розбору, зіпсований елемент рахується й відкидається; менше — `<symbol>@markPrice@1s` на символ.
  Поріг — бо потік ринку несе всі ~600 символів Binance щосекунди незалежно від набору: для кількох
  символів окремі потоки дешевші, а для сотень — сотні кадрів на секунду через цикл подій, сотні
  підписок (темп SUBSCRIBE 10/с) і кілька з'єднань проти одного кадру й однієї підписки, яку зміна
  набору не чіпає. `<symbol>@depth<N>@100ms` — лише для короткого списку книги (`set_book_symbols`, не
  більше `max_book_symbols`, див. `DERIV_BOOK_MAX_SYMBOLS`): кожен символ з книгою — 10 кадрів за
  секунду. Слот шарда — один потік (символ з марк-ціною і `<BOOK_SLOT_PREFIX>символ` з книгою — різні
  слоти), тож зміна короткого списку — SUBSCRIBE/UNSUBSCRIBE лише потоків книги на відкритих з'єднаннях.
  Один глобальний `!forceOrder@arr` — на першому шарді. Сміття й відмови
  сховища (схрещена, інвертована, старіша книга) рахуються за причиною й журналюються раз; жоден
  кадр не зупиняє читання. Сховище тримає одну точку книги на кошик часу (`book_bucket_ms`, 1 с):
  кадр книги, чий час біржі `E` (дешево прочитаний з початку кадру) потрапляє в кошик уже прийнятої
  книги символу, не розбирається (`coalesced`) — depth@100ms дає 10 кадрів на кошик, розбір коштує
  ~100 мкс; книга в сховищі від цього старша щонайбільше на кошик.
- `OpenInterestPoller` — OI кожного символу раз на період (`/fapi/v1/openInterest`, вага 1) через
  REST-клієнт з його бюджетом ваги; період розтягується так, щоб опитування брало не більше
  `weight_share` хвилинного ліміту (`poll_period_ms`). Новий символ спершу отримує історію
  (`openInterestHist`, вага 0, але окремий ліміт IP — `oi_hist_ip_limit_per_5min`, який поважає
  власне вікно). Час — годинник біржі (`clock`, типово `rest.server_now`).
- `DerivFeed` — обидва разом: `set_symbols`, `set_book_symbols`, `run` до `stop`, `stats`.
- `book_short_list` — чиста функція короткого списку книги: символи з угодою, далі з алертом, далі
  решта в порядку нагляду (ранг префільтра), не більше ліміту.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from aione.config.config import DERIV_BOOK_MAX_SYMBOLS
from aione.data.bars import BarEvent
from aione.data.deriv_store import DerivStore
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.deriv_parsers import BookSnapshot, MarkPriceBatch, Reject, parse_stream_frame
from aione.exchange.errors import BannedError, ExchangeError
from aione.logging_setup import get_logger, log_ctx
from aione.utils.utils import wall_clock_ms

logger = get_logger(__name__)

GLOBAL_SLOT = "!ALL"  # псевдосимвол шарда з глобальними потоками (`!forceOrder@arr`)
BOOK_SLOT_PREFIX = "#BOOK:"  # слот шарда з потоком книги символу (окремо від слота марк-ціни)
MARK_ALL_SLOT = "!MARK"  # псевдосимвол шарда з потоком марк-ціни всього ринку (`!markPrice@arr@1s`)
# Від стількох символів під наглядом марк-ціна йде одним потоком ринку (див. модуль). Заміри на цій
# машині: кадр потоку символу ≈ 12 мкс `handle_frame` + ≈ 6 мкс прийому aiohttp; кадр ринку з ~600
# символами ≈ 0.6 мс (JSON і пропуск чужих) + ≈ 7 мкс на символ під наглядом — за CPU рівновага
# близько 60 символів; менший поріг — за одну підписку замість десятків (темп SUBSCRIBE).
MARK_ALL_MIN_SYMBOLS = 50
DEFAULT_DEPTH_LEVELS = 20
OI_POLL_SEC = 60.0
OI_WEIGHT_SHARE = 0.25  # частка хвилинного ліміту ваги, яку може взяти опитування OI
OI_PRELOAD_PERIOD = "5m"
OI_PRELOAD_POINTS = 288  # доба історії по 5 хв
_MINUTE_MS = 60_000
_WAIT_SLICE_S = 0.05  # годинник біржі може йти швидше за наш (симулятор): чекаємо шматками


def _ignore_bar(event: BarEvent) -> None:
    """Клієнт деривативів барів не отримує (kline-потоків немає)."""


# ── WS ──
class DerivStreamClient(BinanceWsClient):
    """Шардований WS-клієнт деривативних потоків, що пише в `DerivStore` (див. модуль)."""

    def __init__(
        self,
        ws_base_url: str,
        rest: BinanceRestClient,
        store: DerivStore,
        *,
        market: Literal["um", "spot"] = "um",
        depth_levels: int = DEFAULT_DEPTH_LEVELS,
        mark_price: bool = True,
        liquidations: bool = True,
        recv_clock: Callable[[], int] | None = None,
        max_book_symbols: int = DERIV_BOOK_MAX_SYMBOLS,
        mark_all_min_symbols: int = MARK_ALL_MIN_SYMBOLS,
        **ws_options: Any,
    ) -> None:
        from aione.exchange.endpoints import market_spec

        spec = market_spec(market)
        self._depth_suffix = spec.ws_stream_suffixes["partial_depth"].format(levels=depth_levels)
        suffixes = [self._depth_suffix]
        self._mark_suffix: str | None = None
        if mark_price and "mark_price" in spec.ws_stream_suffixes:
            self._mark_suffix = spec.ws_stream_suffixes["mark_price"]
            suffixes.append(self._mark_suffix)
        super().__init__(ws_base_url, rest, _ignore_bar, market=market, streams=suffixes, **ws_options)
        # кожен слот шарда несе рівно один потік (див. `_stream_names`)
        self.symbols_per_conn = max(1, ws_options.get("max_streams_per_conn") or spec.ws_max_streams_per_conn)
        self.max_book_symbols = max_book_symbols
        self.store = store
        self.liquidations = liquidations and "force_order_all" in spec.ws_global_streams
        self._global_streams = [spec.ws_global_streams["force_order_all"]] if self.liquidations else []
        # потік марк-ціни всього ринку — лише там, де є й марк-ціна символу (spot не має жодної)
        self._mark_all_stream: str | None = (
            spec.ws_global_streams.get("mark_price_all") if self._mark_suffix is not None else None
        )
        self.mark_all_min_symbols = max(1, mark_all_min_symbols)
        self.recv_clock: Callable[[], int] = recv_clock or rest.server_now
        self._watched: frozenset[str] = frozenset()
        self._book: frozenset[str] = frozenset()
        self._logged_book_cap = False
        self.events = 0  # подій, прийнятих сховищем
        self.coalesced = 0  # кадрів книги, пропущених без розбору (кошик уже має книгу)
        self.mark_skipped = 0  # елементів `!markPrice@arr` символів поза наглядом
        self._book_bucket: dict[str, int] = {}  # символ → кошик часу останньої прийнятої книги
        self._bucket_ms = max(1, store.windows.book_bucket_ms)
        self.rejected: dict[
            str, int
        ] = {}  # `<причина>` розбору → кількість (відмови сховища — у store.stats)
        self._logged_rejects: set[str] = set()

    @property
    def watched(self) -> frozenset[str]:
        """Символи з марк-ціною (без псевдосимвола глобальних потоків)."""
        return self._watched

    @property
    def book_symbols(self) -> frozenset[str]:
        """Символи з потоком книги (короткий список)."""
        return self._book

    @property
    def mark_all(self) -> bool:
        """Марк-ціна йде одним потоком ринку (`!markPrice@arr@1s`), а не потоком на символ."""
        return self._mark_all_stream is not None and len(self._watched) >= self.mark_all_min_symbols

    @property
    def mark_streams(self) -> int:
        """Скільки потоків марк-ціни підписано для поточного набору (1 — потік ринку)."""
        if self._mark_suffix is None or not self._watched:
            return 0
        return 1 if self.mark_all else len(self._watched)

    async def set_symbols(self, symbols: Iterable[str], book: Iterable[str] | None = None) -> None:
        """Набір символів і короткий список книги (None — книга для перших `max_book_symbols` з
        `symbols`); глобальні потоки (ліквідації) — завжди на одному шарді."""
        ordered = list(dict.fromkeys(s.upper() for s in symbols))
        self._watched = frozenset(ordered)
        await self.set_book_symbols(ordered if book is None else book)

    async def set_book_symbols(self, symbols: Iterable[str]) -> None:
        """Короткий список книги: лише символи під наглядом, перші `max_book_symbols` за порядком;
        підписки змінюються лише для символів, що ввійшли до списку чи вийшли з нього."""
        ordered = [s for s in dict.fromkeys(x.upper() for x in symbols) if s in self._watched]
        if len(ordered) > self.max_book_symbols and not self._logged_book_cap:
            self._logged_book_cap = True
            logger.warning(
                "order book streamed for %d of %d symbols (cap max_book_symbols=%d; logged once)",
                self.max_book_symbols,
                len(ordered),
                self.max_book_symbols,
                extra=log_ctx("deriv"),
            )
        self._book = frozenset(ordered[: self.max_book_symbols])
        for gone in set(self._book_bucket) - self._book:
            del self._book_bucket[gone]
        slots = [BOOK_SLOT_PREFIX + s for s in sorted(self._book)]
        if self.mark_all:
            slots.append(MARK_ALL_SLOT)
        elif self._mark_suffix is not None:
            slots.extend(sorted(self._watched))
        if self.liquidations and self._watched:
            slots.append(GLOBAL_SLOT)
        await super().set_symbols(slots)

    def _stream_names(self, symbol: str) -> list[str]:
        if symbol == GLOBAL_SLOT:
            return list(self._global_streams)
        if symbol == MARK_ALL_SLOT:
            return [self._mark_all_stream] if self._mark_all_stream is not None else []
        if symbol.startswith(BOOK_SLOT_PREFIX):
            return [f"{symbol.removeprefix(BOOK_SLOT_PREFIX).lower()}@{self._depth_suffix}"]
        return [f"{symbol.lower()}@{self._mark_suffix}"] if self._mark_suffix is not None else []

    async def handle_frame(self, raw: str | bytes, recv_ts: float) -> None:
        """Кадр → подія → сховище. Ніколи не кидає: сміття рахується за причиною."""
        self.messages += 1
        key = _book_key(raw)
        if key is not None and self._book_bucket.get(key[0]) == key[1] // self._bucket_ms:
            self.coalesced += 1
            return
        event = parse_stream_frame(raw, self._watched)
        if event is None:
            return
        if isinstance(event, Reject):
            self._count_reject(event, "deriv frame")
            return
        if isinstance(event, MarkPriceBatch):
            self._apply_marks(event)
            return
        symbol = getattr(event, "symbol", "")
        if symbol not in (self._book if isinstance(event, BookSnapshot) else self._watched):
            return  # ліквідації інших символів і запізнілі кадри знятих символів (чи книг поза списком)
        event_time = int(getattr(event, "event_time", 0) or 0)
        try:
            if self._observe_time is not None and event_time > 0:
                self._observe_time(event_time)
            if self.store.apply(event, self.recv_clock()):
                self.events += 1
                if isinstance(event, BookSnapshot) and event.event_time > 0:
                    self._book_bucket[symbol] = event.event_time // self._bucket_ms
        except Exception:
            # Ізоляція: помилка сховища на одному кадрі не зупиняє читання потоку.
            self.callback_errors += 1
            logger.exception("deriv store failed on a frame", extra=log_ctx("deriv", symbol))

    def _count_reject(self, reject: Reject, what: str, prefix: str = "") -> None:
        """Зіпсований кадр чи елемент: лічильник за причиною, журнал раз на причину."""
        self.malformed += 1
        reason = prefix + reject.reason.split(":", 1)[0]
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        if reason not in self._logged_rejects:
            self._logged_rejects.add(reason)
            logger.warning(
                "dropping bad %s: %s (logged once per reason)", what, reject.reason, extra=log_ctx("deriv")
            )

    def _apply_marks(self, batch: MarkPriceBatch) -> None:
        """Кадр `!markPrice@arr`: кожен елемент символу під наглядом — у сховище, як кадр окремого
        потоку; зіпсовані елементи рахуються (`mark_all.<причина>`), решта кадру приймається."""
        self.mark_skipped += batch.skipped
        for bad in batch.rejected:
            self._count_reject(bad, "markPrice@arr element", "mark_all.")
        if not batch.events:
            return
        latest = max(e.event_time for e in batch.events)
        recv_ms = self.recv_clock()
        if self._observe_time is not None and latest > 0:
            self._observe_time(latest)
        store = self.store  # символи поза наглядом `parse_mark_price_all` уже пропустив
        for event in batch.events:
            try:
                if store.apply(event, recv_ms):
                    self.events += 1
            except Exception:
                # Ізоляція: помилка сховища на одному елементі не зупиняє решту кадру й читання.
                self.callback_errors += 1
                logger.exception("deriv store failed on a mark element", extra=log_ctx("deriv", event.symbol))


def _book_key(raw: str | bytes) -> tuple[str, int] | None:
    """(СИМВОЛ, E) кадру часткової книги з початку combined-кадру без розбору JSON; None — не книга
    або форма інша (тоді кадр іде повним розбором)."""
    text = raw if isinstance(raw, str) else raw[:200].decode("utf-8", "replace")
    if not text.startswith('{"stream":"'):
        return None
    end = text.find('"', 11)
    stream = text[11:end]
    at = stream.find("@depth")
    if end < 0 or at <= 0 or not stream[at + 6 : at + 7].isdigit():
        return None
    pos = text.find('"E":', end, end + 80)
    if pos < 0:
        return None
    stop = pos + 4
    while stop < len(text) and text[stop].isdigit():
        stop += 1
    if stop == pos + 4:
        return None
    return stream[:at].upper(), int(text[pos + 4 : stop])


# ── Опитування OI ──
def poll_period_ms(
    n_symbols: int, weight_per_request: int, weight_limit: int, share: float, min_period_ms: int
) -> int:
    """Період опитування одного символу (мс), за якого опитування всіх бере ≤ `share` ліміту за хвилину."""
    budget = max(1.0, share * weight_limit)
    needed = math.ceil(n_symbols * weight_per_request * _MINUTE_MS / budget)
    return max(min_period_ms, needed)


def next_slot(due: int, now: int, period_ms: int) -> int:
    """Наступний час опитування на сітці `due + k·period_ms` після `now`: запізнення опитування не
    накопичується (з `now + period` кожна затримка зсувала розклад, і раз на кілька періодів одна
    хвилина лишалася без точки OI), тож на період — рівно одна точка, доки запізнення < періоду."""
    return due + ((now - due) // period_ms + 1) * period_ms


@dataclass(slots=True)
class PollerStats:
    """Лічильники опитувача OI."""

    polls: int = 0
    failures: int = 0
    preloaded: int = 0  # точок історії, прийнятих сховищем
    preload_failures: int = 0
    accepted: int = 0


class OpenInterestPoller:
    """OI символів через REST у межах бюджету ваги (див. модуль)."""

    def __init__(
        self,
        rest: BinanceRestClient,
        store: DerivStore,
        *,
        clock: Callable[[], int] | None = None,
        period_sec: float = OI_POLL_SEC,
        weight_share: float = OI_WEIGHT_SHARE,
        preload_period: str = OI_PRELOAD_PERIOD,
        preload_points: int = OI_PRELOAD_POINTS,
    ) -> None:
        self.rest = rest
        self.store = store
        self.clock: Callable[[], int] = clock or rest.server_now
        self.min_period_ms = int(period_sec * 1000)
        self.weight_share = weight_share
        self.weight = rest.spec.weights.get("open_interest", 1)
        self.preload_period = preload_period
        self.preload_points = min(preload_points, rest.spec.oi_hist_max_limit or preload_points)
        self.hist_limit = rest.spec.oi_hist_ip_limit_per_5min
        self.stats = PollerStats()
        self.weight_by_minute: dict[int, int] = {}  # хвилина біржі → вага опитувань (останні 60)
        self._due: dict[str, int] = {}
        self._to_preload: list[str] = []
        self._hist_times: deque[int] = deque()
        self._failing = False
        self._wake = asyncio.Event()

    @property
    def period_ms(self) -> int:
        """Поточний період опитування символу (мс часу біржі)."""
        return poll_period_ms(
            len(self._due), self.weight, self.rest.weight_limit, self.weight_share, self.min_period_ms
        )

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Набір символів: нові рівномірно розподіляються по періоду й спершу отримують історію."""
        wanted = [s.upper() for s in symbols]
        for gone in set(self._due) - set(wanted):
            del self._due[gone]
        new = [s for s in wanted if s not in self._due]
        now = self.clock()
        for s in new:
            self._due[s] = now
        period = self.period_ms
        for i, s in enumerate(new):
            self._due[s] = now + i * period // max(1, len(new))
        self._to_preload.extend(new)
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Працює до `stop`: історія нових символів, далі опитування за розкладом."""
        while not stop.is_set():
            if self._to_preload:
                await self._preload(self._to_preload.pop(0))
                continue
            now = self.clock()
            due = sorted((t, s) for s, t in self._due.items() if t <= now)
            for _, symbol in due:
                if stop.is_set() or symbol not in self._due or not self._share_left():
                    break
                await self._poll(symbol)
                self._due[symbol] = next_slot(self._due.get(symbol, now), now, self.period_ms)
            if due and self._share_left():
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=_WAIT_SLICE_S)

    def _share_left(self) -> bool:
        """Чи лишилося місце в частці хвилинного ліміту для ще одного опитування (хвилина біржі)."""
        cap = max(self.weight, int(self.weight_share * self.rest.weight_limit))
        return self.weight_by_minute.get(self.clock() // _MINUTE_MS, 0) + self.weight <= cap

    def _count_weight(self, now: int) -> None:
        minute = now // _MINUTE_MS
        self.weight_by_minute[minute] = self.weight_by_minute.get(minute, 0) + self.weight
        while len(self.weight_by_minute) > 60:
            del self.weight_by_minute[min(self.weight_by_minute)]

    async def _poll(self, symbol: str) -> None:
        self._count_weight(self.clock())
        self.stats.polls += 1
        try:
            point = await self.rest.open_interest_point(symbol)
        except BannedError as exc:
            self._failed(symbol, exc)
            await asyncio.sleep(max(0.0, (exc.until_ms - wall_clock_ms()) / 1000.0))
            return
        except ExchangeError as exc:
            self._failed(symbol, exc)
            return
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._failed(symbol, exc)
            return
        if self._failing:
            logger.info("open interest polling recovered", extra=log_ctx("deriv"))
            self._failing = False
        if self.store.apply_open_interest(point):
            self.stats.accepted += 1

    def _failed(self, symbol: str, exc: BaseException) -> None:
        self.stats.failures += 1
        if not self._failing:
            logger.warning(
                "open interest poll failed: %s (next attempt on schedule)",
                exc,
                extra=log_ctx("deriv", symbol),
            )
        self._failing = True

    async def _preload(self, symbol: str) -> None:
        """Історія OI для нового символу; власне вікно ліміту IP `openInterestHist`."""
        if symbol not in self._due or not self.rest.spec.paths.get("open_interest_hist"):
            return
        if self.hist_limit:
            while len(self._hist_times) >= self.hist_limit:
                horizon = self.clock() - 5 * _MINUTE_MS
                while self._hist_times and self._hist_times[0] <= horizon:
                    self._hist_times.popleft()
                if len(self._hist_times) >= self.hist_limit:
                    await asyncio.sleep(_WAIT_SLICE_S)
            self._hist_times.append(self.clock())
        try:
            points = await self.rest.open_interest_hist(symbol, self.preload_period, self.preload_points)
        except (ExchangeError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.stats.preload_failures += 1
            logger.info("open interest history unavailable: %s", exc, extra=log_ctx("deriv", symbol))
            return
        self.stats.preloaded += self.store.put_open_interest(points)


# ── Короткий список книги ──
def book_short_list(
    ranked: Sequence[str], traded: Iterable[str], alerted: Iterable[str], limit: int
) -> list[str]:
    """Символи з книгою: спершу з активною угодою, далі з алертом, далі решта `ranked` за порядком
    (ранг префільтра); лише символи з `ranked`, без повторів, не більше `limit`."""
    known = set(ranked)
    first = [s for s in (*traded, *alerted) if s in known]
    return list(dict.fromkeys((*first, *ranked)))[: max(0, limit)]


# ── Разом ──
class DerivFeed:
    """WS-потоки деривативів і опитування OI для одного набору символів."""

    def __init__(
        self,
        ws_base_url: str,
        rest: BinanceRestClient,
        store: DerivStore,
        *,
        market: Literal["um", "spot"] = "um",
        clock: Callable[[], int] | None = None,
        depth_levels: int = DEFAULT_DEPTH_LEVELS,
        max_book_symbols: int = DERIV_BOOK_MAX_SYMBOLS,
        oi_poll_sec: float = OI_POLL_SEC,
        oi_weight_share: float = OI_WEIGHT_SHARE,
        **ws_options: Any,
    ) -> None:
        self.store = store
        self.streams = DerivStreamClient(
            ws_base_url,
            rest,
            store,
            market=market,
            depth_levels=depth_levels,
            recv_clock=clock,
            max_book_symbols=max_book_symbols,
            **ws_options,
        )
        self.poller: OpenInterestPoller | None = (
            OpenInterestPoller(rest, store, clock=clock, period_sec=oi_poll_sec, weight_share=oi_weight_share)
            if rest.spec.has_open_interest
            else None
        )
        self._stop = asyncio.Event()

    async def set_symbols(self, symbols: Iterable[str], book: Iterable[str] | None = None) -> None:
        """Символи під наглядом (марк-ціна, ліквідації, OI) і короткий список книги (None — перші
        `max_book_symbols` з `symbols`)."""
        wanted = list(symbols)
        if self.poller is not None:
            self.poller.set_symbols(wanted)
        await self.streams.set_symbols(wanted, book)

    async def set_book_symbols(self, book: Iterable[str]) -> None:
        """Новий короткий список книги (символи поза наглядом ігноруються)."""
        await self.streams.set_book_symbols(book)

    async def run(self) -> None:
        """Працює до `stop()`."""
        self._stop.clear()
        tasks = [asyncio.create_task(self.streams.run(), name="deriv-ws")]
        if self.poller is not None:
            tasks.append(asyncio.create_task(self.poller.run(self._stop), name="deriv-oi"))
        try:
            await self._stop.wait()
        finally:
            await self.streams.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Зупиняє `run()`."""
        self._stop.set()
        await self.streams.stop()

    def stats(self) -> dict[str, Any]:
        """Лічильники для звіту запуску."""
        ws = self.streams
        out: dict[str, Any] = {
            "book_symbols": len(ws.book_symbols),
            "mark_streams": ws.mark_streams,
            "mark_stream": "all" if ws.mark_all else "per_symbol" if ws.mark_streams else "off",
            "messages": ws.messages,
            "events": ws.events,
            "coalesced": ws.coalesced,
            "malformed": ws.malformed,
            "reconnects": ws.reconnects,
            "callback_errors": ws.callback_errors,
            "store_rejected": dict(self.store.stats.rejected),
        }
        if self.poller is not None:
            p = self.poller.stats
            out["oi"] = {
                "polls": p.polls,
                "failures": p.failures,
                "preloaded": p.preloaded,
                "max_weight_per_minute": max(self.poller.weight_by_minute.values(), default=0),
                "period_ms": self.poller.period_ms,
            }
        return out


__all__ = [
    "BOOK_SLOT_PREFIX",
    "DEFAULT_DEPTH_LEVELS",
    "GLOBAL_SLOT",
    "MARK_ALL_MIN_SYMBOLS",
    "MARK_ALL_SLOT",
    "DerivFeed",
    "DerivStreamClient",
    "OpenInterestPoller",
    "PollerStats",
    "book_short_list",
    "next_slot",
    "poll_period_ms",
]
