"""WebSocket-клієнт Binance: combined streams, шардинг, реконекти, дозаповнення пропусків.

Гарантія для `on_bar`: закриті бари кожного символу приходять строго зростаючими, без
пропусків і без дублікатів — також через реконекти. Пропуск (втрачене закриття, обрив,
«мовчазний» фід) дозаповнюється через REST `klines_range`; поки дозаповнення триває,
нові кадри цього символу буферизуються й потім проходять ту саму перевірку.
Після КОЖНОГО з'єднання годинник біржі звіряється (`/time`), і символи з відомим останнім
баром дозаповнюються до «зараз» біржі. Час подій WS (`E`) теж підтягує оцінку годинника біржі.
Дірка біржі (бари, яких біржа не має: відповідь порожня чи коротка для відрізка перед баром,
який біржа вже показала) після одного повторного запиту записується (`holes`), журналюється
один раз, і послідовність іде далі. Збій REST — не дірка: повтор з експоненційною затримкою
(`backfill_retry_delay` … `backfill_retry_cap`, після 418 — не раніше кінця бану).
Символ, знятий з нагляду, забувається: повернувшись, він починає послідовність заново.
З'єднання перевідкривається до 24-годинного обриву Binance і після тиші довше за
`silence_timeout`. Пінги сервера відповідає aiohttp (autoping).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import orjson

from aione.data.bars import Bar, BarEvent
from aione.exchange.bar_sequencer import ClosedBarGate
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.endpoints import KLINE_INTERVAL_MS, market_spec
from aione.exchange.errors import BannedError, ExchangeError, MalformedFrameError
from aione.exchange.feed_health import STALE_AFTER_INTERVALS, Hole, HoleBook, retry_delay, stale_symbols
from aione.exchange.ws_parser import KlineUpdate, ParsedMessage, parse_frame
from aione.logging_setup import get_logger, log_ctx
from aione.utils.utils import wall_clock_ms

logger = get_logger(__name__)

SUBSCRIBE_BATCH = 200  # назв потоків в одному SUBSCRIBE
URL_MAX_LEN = 2000  # довші списки потоків ідуть через SUBSCRIBE після з'єднання
BUFFER_LIMIT = 10_000  # кадрів символу в буфері на час дозаповнення


@dataclass(eq=False)
class _Shard:
    """Одне WS-з'єднання та його символи."""

    index: int
    symbols: set[str] = field(default_factory=set)
    subscribed: set[str] = field(default_factory=set)
    ws: aiohttp.ClientWebSocketResponse | None = None
    task: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_send: float = 0.0
    last_recv: float = 0.0  # time.monotonic() останнього кадру (для `_watch_silence`)
    connects: int = 0


# ── Клієнт ──
class BinanceWsClient:
    """Клієнт combined streams Binance з гарантіями послідовності барів (див. модуль)."""

    def __init__(
        self,
        ws_base_url: str,
        rest: BinanceRestClient,
        on_bar: Callable[[BarEvent], object],
        *,
        market: Literal["um", "spot"] = "um",
        streams: Sequence[str] = ("kline_1m",),
        on_book: Callable[[ParsedMessage], object] | None = None,
        max_streams_per_conn: int | None = None,
        session: aiohttp.ClientSession | None = None,
        silence_timeout: float = 60.0,
        max_conn_age: float | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        backfill_retry_delay: float = 1.0,
        backfill_retry_cap: float = 30.0,
        hole_confirm_delay: float = 0.5,
        clock_resync_min_s: float = 1.0,
    ) -> None:
        self.ws_base_url = ws_base_url.rstrip("/")
        self.rest = rest
        self.on_bar = on_bar
        self.on_book = on_book
        self.spec = market_spec(market)
        self.streams = tuple(streams)
        kline_streams = [s for s in self.streams if s.startswith("kline_")]
        self.interval = kline_streams[0].removeprefix("kline_") if kline_streams else "1m"
        self.interval_ms = KLINE_INTERVAL_MS[self.interval]
        max_streams = max_streams_per_conn or self.spec.ws_max_streams_per_conn
        self.symbols_per_conn = max(1, max_streams // max(1, len(self.streams)))
        self.silence_timeout = silence_timeout
        # Запас 10 хв до 24-годинного обриву Binance.
        self.max_conn_age = max_conn_age if max_conn_age is not None else self.spec.ws_max_conn_age_sec - 600
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.backfill_retry_delay = backfill_retry_delay
        self.backfill_retry_cap = backfill_retry_cap
        self.hole_confirm_delay = hole_confirm_delay
        self.clock_resync_min_s = clock_resync_min_s
        # REST-клієнт без годинника біржі (заглушки) — без стеження за часом подій
        observe = getattr(rest, "observe_server_time", None)
        self._observe_time: Callable[[int], None] | None = observe if callable(observe) else None
        self._fail_streak: dict[str, int] = {}
        self.holes = HoleBook()
        self._session = session
        self._own_session = session is None
        self._gate = ClosedBarGate(self.interval_ms)
        self._symbols: set[str] = set()
        self._shards: list[_Shard] = []
        self._shard_of: dict[str, _Shard] = {}
        self._buffers: dict[str, list[tuple[KlineUpdate, float]]] = {}
        self._retry_at: dict[str, float] = {}
        # символ → time.monotonic() останнього закритого бару, а до першого — початку нагляду: тиша
        # рахується від підписки, тож одразу після старту (бари ще йдуть дозаповненням) символ не застарілий
        self._closed_at: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False
        self._stop_evt: asyncio.Event | None = None
        self._stopped = asyncio.Event()  # `run()` завершив закриття (сесія закрита)
        self._logged_kinds: set[str] = set()
        # Лічильники (метрики додасть інший модуль).
        self.messages = 0
        self.malformed = 0
        self.reconnects = 0
        self.connections = 0
        self.backfilled_bars = 0
        self.backfill_failures = 0
        self.duplicates = 0
        self.unfilled_gaps = 0
        self.callback_errors = 0

    # ── Публічне ──
    @property
    def symbols(self) -> frozenset[str]:
        """Символи під наглядом."""
        return frozenset(self._symbols)

    @property
    def shard_count(self) -> int:
        """Кількість WS-з'єднань (шардів) з символами."""
        return sum(1 for s in self._shards if s.symbols)

    def seed_last_closed(self, symbol: str, open_time: int) -> None:
        """Останній закритий бар, який споживач уже має (після preload): далі — без пропуску."""
        self._gate.mark(symbol.upper(), open_time)

    def last_closed(self, symbol: str) -> int | None:
        """open_time останнього доставленого закритого бару (або останнього бару дірки)."""
        return self._gate.last.get(symbol.upper())

    def stale_symbols(self, now_ms: int, after: int = STALE_AFTER_INTERVALS) -> dict[str, str]:
        """Символи під наглядом без закритого бару `after` інтервалів на момент `now_ms` біржі → причина."""
        wall = time.monotonic()
        silent = {s: wall - self._closed_at[s] for s in self._symbols if s in self._closed_at}
        return stale_symbols(
            {s: self._gate.last.get(s) for s in self._symbols}, now_ms, self.interval_ms, after, silent
        )

    async def set_symbols(self, symbols: Iterable[str]) -> None:
        """Змінює набір символів під час роботи (SUBSCRIBE/UNSUBSCRIBE на відкритих з'єднаннях)."""
        wanted = {s.upper() for s in symbols}
        touched: set[_Shard] = set()
        for symbol in sorted(self._symbols - wanted):
            shard = self._shard_of.pop(symbol)
            shard.symbols.discard(symbol)
            touched.add(shard)
            self._gate.forget(symbol)
            self._closed_at.pop(symbol, None)
            self._buffers.pop(symbol, None)
            self._retry_at.pop(symbol, None)
            self._fail_streak.pop(symbol, None)
        for symbol in sorted(wanted - self._symbols):
            free = next((s for s in self._shards if len(s.symbols) < self.symbols_per_conn), None)
            if free is None:
                free = _Shard(index=len(self._shards))
                self._shards.append(free)
            shard = free
            shard.symbols.add(symbol)
            self._shard_of[symbol] = shard
            self._closed_at[symbol] = time.monotonic()
            touched.add(shard)
        self._symbols = wanted
        for shard in sorted(touched, key=lambda s: s.index):
            if shard.ws is not None and not shard.ws.closed:
                await self._sync_subscriptions(shard)
            if self._running:
                self._ensure_shard_task(shard)

    async def run(self) -> None:
        """Працює до `stop()`: тримає з'єднання всіх шардів."""
        self._running = True
        self._stop_evt = asyncio.Event()
        self._stopped.clear()
        for shard in self._shards:
            self._ensure_shard_task(shard)
        try:
            await self._stop_evt.wait()
        finally:
            try:
                await self._shutdown()
            finally:
                self._stopped.set()

    async def stop(self) -> None:
        """Зупиняє `run()`."""
        self._running = False
        if self._stop_evt is not None:
            self._stop_evt.set()
            # Дочекатися закриття в `run()`: інакше скасування задачі `run` посеред нього лишає
            # незакриту aiohttp-сесію («Unclosed client session» на виході).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=5.0)
        else:
            await self._shutdown()

    # ── Життєвий цикл ──
    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("ws task %s failed: %r", task.get_name(), task.exception(), extra=log_ctx("ws"))

    def _ensure_shard_task(self, shard: _Shard) -> None:
        if shard.symbols and (shard.task is None or shard.task.done()):
            shard.task = self._spawn(self._run_shard(shard), f"ws-shard-{shard.index}")

    async def _shutdown(self) -> None:
        self._running = False
        for shard in self._shards:
            if shard.ws is not None and not shard.ws.closed:
                await shard.ws.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:  # сесія закривається й тоді, коли саме закриття скасовано
            if self._own_session and self._session is not None:
                await self._session.close()
                self._session = None

    def _stream_names(self, symbol: str) -> list[str]:
        lower = symbol.lower()
        return [f"{lower}@{s}" for s in self.streams]

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.0)

    async def _run_shard(self, shard: _Shard) -> None:
        attempt = 0
        while self._running and shard.symbols:
            wanted = [n for s in sorted(shard.symbols) for n in self._stream_names(s)]
            in_url: list[str] = []
            length = len(self.ws_base_url) + len(self.spec.ws_combined_path) + 9
            for name in wanted:
                length += len(name) + 1
                if length > URL_MAX_LEN and in_url:
                    break
                in_url.append(name)
            url = f"{self.ws_base_url}{self.spec.ws_combined_path}?streams={'/'.join(in_url)}"
            try:
                async with self._get_session().ws_connect(url, autoping=True, max_msg_size=0) as ws:
                    shard.ws = ws
                    shard.subscribed = set(in_url)
                    if shard.connects:
                        self.reconnects += 1
                    shard.connects += 1
                    self.connections += 1
                    attempt = 0
                    await self._sync_subscriptions(shard)
                    await self._resync_clock()
                    self._backfill_after_connect(shard)
                    await self._read(shard, ws)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                logger.warning("ws shard %d: %s", shard.index, exc, extra=log_ctx("ws"))
            finally:
                shard.ws = None
                shard.subscribed = set()
            if not self._running:
                return
            attempt += 1
            await asyncio.sleep(self._backoff(attempt))

    async def _read(self, shard: _Shard, ws: aiohttp.ClientWebSocketResponse) -> None:
        # Без тайм-ауту на кожне повідомлення: aiohttp створює для нього Timeout і планує таймер, а
        # це помітна частка циклу подій за тисяч кадрів на секунду. Тишу й вік з'єднання стереже
        # окрема задача `_watch_silence`: вона закриває з'єднання, і `receive` повертає CLOSE.
        shard.last_recv = time.monotonic()
        watchdog = asyncio.create_task(self._watch_silence(shard, ws), name=f"ws-watch-{shard.index}")
        try:
            while True:
                msg = await ws.receive()
                recv_ts = time.perf_counter()
                shard.last_recv = time.monotonic()
                if msg.type is aiohttp.WSMsgType.TEXT or msg.type is aiohttp.WSMsgType.BINARY:
                    await self.handle_frame(msg.data, recv_ts)
                elif msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                ):
                    return
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    logger.warning("ws shard %d error: %s", shard.index, ws.exception(), extra=log_ctx("ws"))
                    return
        finally:
            watchdog.cancel()

    async def _watch_silence(self, shard: _Shard, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Тиша понад `silence_timeout` → перепідключення; вік понад `max_conn_age` → планове
        перевідкриття до 24-годинного обриву. Закриває `ws`; читання бачить CLOSE і виходить."""
        deadline = time.monotonic() + self.max_conn_age
        while not ws.closed:
            now = time.monotonic()
            if now >= deadline:
                logger.info(
                    "ws shard %d: planned reconnect before 24h cut-off", shard.index, extra=log_ctx("ws")
                )
                await ws.close()
                return
            silent = now - shard.last_recv
            if silent >= self.silence_timeout:
                logger.warning(
                    "ws shard %d silent for %.0fs: reconnecting", shard.index, silent, extra=log_ctx("ws")
                )
                await ws.close()
                return
            await asyncio.sleep(min(deadline - now, self.silence_timeout - silent))

    async def _sync_subscriptions(self, shard: _Shard) -> None:
        async with shard.lock:
            ws = shard.ws
            if ws is None or ws.closed:
                return
            wanted = {n for s in shard.symbols for n in self._stream_names(s)}
            for method, names in (
                ("UNSUBSCRIBE", sorted(shard.subscribed - wanted)),
                ("SUBSCRIBE", sorted(wanted - shard.subscribed)),
            ):
                for i in range(0, len(names), SUBSCRIBE_BATCH):
                    batch = names[i : i + SUBSCRIBE_BATCH]
                    # Binance обмежує вхідні повідомлення з'єднання (10/с um, 5/с spot).
                    gap = 1.0 / self.spec.ws_max_incoming_msgs_per_sec - (time.monotonic() - shard.last_send)
                    if gap > 0:
                        await asyncio.sleep(gap)
                    await ws.send_str(orjson.dumps({"method": method, "params": batch, "id": i + 1}).decode())
                    shard.last_send = time.monotonic()
                    if method == "SUBSCRIBE":
                        shard.subscribed.update(batch)
                    else:
                        shard.subscribed.difference_update(batch)

    # ── Кадри ──
    async def handle_frame(self, raw: str | bytes, recv_ts: float) -> None:
        """Обробляє один кадр: розбір, послідовність, виклик колбеків. Ніколи не кидає."""
        self.messages += 1
        try:
            msg = parse_frame(raw)
        except MalformedFrameError as exc:
            self.malformed += 1
            kind = exc.reason.split(" ", 1)[0]
            if kind not in self._logged_kinds:
                self._logged_kinds.add(kind)
                logger.warning("dropping malformed ws frame: %s", exc, extra=log_ctx("ws"))
            return
        if msg is None:
            return
        if type(msg) is KlineUpdate:
            if msg.symbol not in self._symbols or msg.interval != self.interval:
                return
            if self._observe_time is not None:
                # біржа вже відкрила цей бар і надіслала подію о `E`: її годинник не раніше
                self._observe_time(max(msg.event_time, msg.bar.open_time))
            buffer = self._buffers.get(msg.symbol)
            if buffer is not None:
                if len(buffer) < BUFFER_LIMIT:
                    buffer.append((msg, recv_ts))
                return
            await self._sequence(msg, recv_ts)
        elif self.on_book is not None:
            await self._call(self.on_book, msg)

    async def _call(self, callback: Callable[[Any], object], arg: Any) -> None:
        try:
            result = callback(arg)
            if result is not None and inspect.isawaitable(result):
                await result
        except Exception:
            # Ізоляція споживача: помилка колбека не зупиняє читання потоку.
            self.callback_errors += 1
            logger.exception("ws callback failed", extra=log_ctx("ws", str(getattr(arg, "symbol", "-"))))

    async def _deliver(self, symbol: str, bar: Bar, recv_ts: float) -> None:
        if bar.closed:
            self._gate.mark(symbol, bar.open_time)
            self._closed_at[symbol] = time.monotonic()
        await self._call(self.on_bar, BarEvent(symbol, self.interval, bar, recv_ts))

    async def _sequence(self, msg: KlineUpdate, recv_ts: float) -> None:
        symbol, bar = msg.symbol, msg.bar
        verdict = (
            self._gate.check_closed(symbol, bar.open_time)
            if bar.closed
            else self._gate.check_open(symbol, bar.open_time)
        )
        if verdict == "dup":
            if bar.closed:
                self.duplicates += 1
            return
        if verdict == "gap":
            if time.monotonic() < self._retry_at.get(symbol, 0.0):
                return  # дозаповнення щойно не вдалося: цей бар прийде з наступним
            # біржа показала бар `bar.open_time`: усі раніші вже закриті — порожнє місце є діркою
            self._start_backfill(symbol, bar.open_time - 1, (msg, recv_ts), proven=bar.open_time)
            return
        await self._deliver(symbol, bar, recv_ts)

    # ── Дозаповнення ──
    def _start_backfill(
        self, symbol: str, end_ms: int, pending: tuple[KlineUpdate, float] | None, proven: int | None
    ) -> None:
        self._buffers[symbol] = [pending] if pending is not None else []
        self._spawn(self._backfill(symbol, end_ms, proven), f"backfill-{symbol}")

    async def _resync_clock(self) -> None:
        """Звіряє годинник біржі після з'єднання (не частіше `clock_resync_min_s`)."""
        last = self.rest.last_sync_monotonic
        if last is not None and time.monotonic() - last < self.clock_resync_min_s:
            return
        try:
            await self.rest.sync_time()
        except ExchangeError as exc:
            logger.warning("clock sync after connect failed: %s", exc, extra=log_ctx("ws"))

    def _backfill_after_connect(self, shard: _Shard) -> None:
        now = self.rest.server_now()
        for symbol in sorted(shard.symbols):
            last = self._gate.last.get(symbol)
            if last is None or symbol in self._buffers:
                continue
            if last + 2 * self.interval_ms <= now:  # наступний бар уже закрився
                self._start_backfill(symbol, now, None, proven=None)

    async def _backfill(self, symbol: str, end_ms: int, proven: int | None) -> None:
        try:
            await self._fill(symbol, end_ms, proven)
        except ExchangeError as exc:
            self._backfill_failed(symbol, exc)
            self._buffers.pop(symbol, None)  # закриті бари з буфера прийдуть наступним дозаповненням
            return
        self._retry_at.pop(symbol, None)
        failures = self._fail_streak.pop(symbol, 0)
        if failures:
            logger.info("backfill recovered after %d failures", failures, extra=log_ctx("ws", symbol))
        buffered = self._buffers.pop(symbol, [])
        for i, (msg, recv_ts) in enumerate(buffered):
            nested = self._buffers.get(symbol)
            if nested is not None:  # кадр із буфера почав нове дозаповнення
                nested.extend(buffered[i:])
                return
            if symbol in self._symbols:
                await self._sequence(msg, recv_ts)

    async def _fill(self, symbol: str, end_ms: int, proven: int | None) -> None:
        """Доставляє бари після `last` до `end_ms`; чого біржа не має перед `proven` — дірка
        (після одного повторного запиту через `hole_confirm_delay`)."""
        step = self.interval_ms
        confirmed = False
        while symbol in self._symbols:
            last = self._gate.last.get(symbol)
            if last is None or last + step > end_ms:
                return
            # бари до `proven` закриті й за оцінкою годинника: її підтягнула подія цього бару
            bars = await self.rest.klines_range(symbol, self.interval, last + step, end_ms)
            recv_ts = time.perf_counter()
            for bar in bars:
                if symbol not in self._symbols:
                    return
                cur = self._gate.last.get(symbol)
                if cur is not None and bar.open_time <= cur:
                    continue
                if cur is not None and bar.open_time != cur + step:
                    # біржа віддала пізніший бар, а цих не має
                    self._record_hole(Hole(symbol, cur + step, bar.open_time - step, step))
                self.backfilled_bars += 1
                await self._deliver(symbol, bar, recv_ts)
            cur = self._gate.last.get(symbol)
            if proven is None or cur is None or cur + step >= proven:
                return
            if confirmed:
                self._record_hole(Hole(symbol, cur + step, proven - step, step))
                self._gate.mark(symbol, proven - step)
                return
            confirmed = True
            await asyncio.sleep(self.hole_confirm_delay)

    def _record_hole(self, hole: Hole) -> None:
        self.holes.add(hole)
        self.unfilled_gaps += 1
        logger.warning(
            "exchange has no bars %d..%d (%d): recorded as a hole, the feed goes on",
            hole.first,
            hole.last,
            hole.bars,
            extra=log_ctx("ws", hole.symbol),
        )

    def _backfill_failed(self, symbol: str, exc: ExchangeError) -> None:
        """Збій REST — не дірка: наступна спроба не раніше експоненційної затримки (і кінця бану)."""
        self.backfill_failures += 1
        others_failing = any(s != symbol for s in self._fail_streak)
        failures = self._fail_streak[symbol] = self._fail_streak.get(symbol, 0) + 1
        delay = retry_delay(failures, self.backfill_retry_delay, self.backfill_retry_cap)
        if isinstance(exc, BannedError):
            delay = max(delay, (exc.until_ms - wall_clock_ms()) / 1000.0)
        self._retry_at[symbol] = time.monotonic() + delay
        if failures == 1 and not others_failing:
            logger.warning(
                "backfill failed: %s; retrying in %.1fs with backoff", exc, delay, extra=log_ctx("ws", symbol)
            )
        else:
            logger.debug("backfill failed again (%d): %s", failures, exc, extra=log_ctx("ws", symbol))


__all__ = ["BinanceWsClient"]
