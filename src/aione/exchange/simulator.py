"""Локальний Binance-сумісний сервер (REST + combined-stream WS) над записаними барами.

Віртуальний годинник іде зі швидкістю `speed` (x1 … x1000); кожен бар приходить як
`updates_per_bar` оновлень kline: перші з `x=false`, останнє — рівно записаний бар з `x=true`.
Похідні поля описано в `aione.exchange.sim_market`. Коли записи закінчуються, годинник
зупиняється (без зациклення). Облік ваги — за віртуальною хвилиною, як у клієнта з тим
самим годинником; перевищення ліміту дає 429, як у Binance.

Несправності для тестів: `drop_ws_connections()`, `inject_429(n, retry_after)`,
`inject_malformed(n)` (додаткові зіпсовані кадри перед справжніми, справжні не губляться),
`stall(seconds, rest=False)` (WS мовчить, кадри цього часу втрачено; з `rest=True` — і REST
відповідає із затримкою), `inject_ban(seconds)` (418), `jump_clock(minutes)` (годинник біржі
стрибає вперед, кадри стрибка втрачено), `remove_bars(symbol, open_times)` (дірки біржі: цих
барів немає ні в REST, ні в WS). `faults=FaultPlan(...)` вмикає їх періодично (`aione simulate`
має для цього перемикачі); що вже сталося — у `faults_fired` і `removed`.

Деривативні потоки (`<symbol>@depth<N>@100ms`, `<symbol>@markPrice@1s`, `!markPrice@arr@1s`,
`!forceOrder@arr`) і REST
`openInterest`/`openInterestHist`/`premiumIndex`/`depth` узгоджені з барами (`sim_derivs`): книга й
марк-ціна — раз на `deriv_interval_ms` віртуального часу (але не частіше за `deriv_min_wall` с
настінного; похідна марк-ціна — ще й не частіше `mark_interval_ms`: сховище однаково тримає одну
точку за хвилину), ліквідації — на закритті бару з великою тінню. `!markPrice@arr@1s` — один кадр за
крок з масивом тих самих подій марк-ціни, що й потоки символів цього кроку (усі символи симулятора;
ті самі значення й час), тож клієнт отримує однакові ряди хоч так, хоч так; пропуск, затримка й
сміття (`inject_deriv_junk`, серед нього — масив із зіпсованими елементами) діють на нього так само.
Каталог запису `aione record`
програється точно: кожен записаний рядок — рівно один кадр зі своїм часом. Несправності цих потоків:
`book_gap` (кадри не надсилаються, пропуск `u`), `book_disorder` (наступний кадр книги кожного символу
має `u` менший за попередній), `book_crossed` (наступний кадр книги схрещений).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
from aiohttp import WSMsgType, web

from aione.data.deriv_loader import load_recorded_series
from aione.exchange.deriv_parsers import stream_kind
from aione.exchange.endpoints import KLINE_INTERVAL_MS, market_spec
from aione.exchange.sim_derivs import depth_update as depth_frame
from aione.exchange.sim_derivs import (
    force_order,
    recorded_book_frame,
    recorded_liq_frame,
    recorded_mark_frame,
)
from aione.exchange.sim_faults import FaultPlan, FaultSchedule, hole_plan
from aione.exchange.sim_market import (
    DAY_MS,
    BarState,
    SimMarket,
    VirtualClock,
    load_market_series,
    without_bars,
)
from aione.exchange.sim_trading import SimTrading
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_WEIGHT_WINDOWS_KEPT = 240  # віртуальних хвилин історії ваги

# Зіпсовані кадри, які симулятор вміє підкидати (HTML, обрізаний JSON, NaN, бракує полів…).
JUNK_FRAMES: tuple[str, ...] = (
    "<html><body>502 Bad Gateway</body></html>",
    '{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":1',
    '{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"T":59999,'
    '"s":"BTCUSDT","i":"1m","o":"NaN","c":"1","h":"1","l":"1","v":"1","n":1,"x":true,"q":"1","V":"0"}}}',
    '{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","s":"BTCUSDT"}}',
    "[1,2,3]",
    "",
)

# Зіпсовані кадри деривативних потоків (`inject_deriv_junk`): NaN у книзі, бракує полів, не ті типи.
DERIV_JUNK_FRAMES: tuple[str, ...] = (
    '{"stream":"btcusdt@depth20@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","u":5,'
    '"b":[["NaN","1"]],"a":[["1","1"]]}}',
    '{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","s":"BTCUSDT","p":"1"}}',
    '{"stream":"!forceOrder@arr","data":{"e":"forceOrder","E":1,"o":"oops"}}',
    '{"stream":"btcusdt@depth20@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","u":"x","b":{},"a":[]}}',
    '{"stream":"btcusdt@depth20@100ms","data":[1,2,3]}',
    "\x00\xff not json",
    '{"stream":"!markPrice@arr@1s","data":[{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"NaN","i":"1",'
    '"r":"0","T":1},7,null,{"e":"markPriceUpdate","s":"BTCUSDT"}]}',
    '{"stream":"!markPrice@arr@1s","data":{"e":"markPriceUpdate"}}',
)


class _ApiError(Exception):
    """Помилка параметрів запиту у формі Binance: HTTP 400 + {code, msg}."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


@dataclass(eq=False)
class _Conn:
    ws: web.WebSocketResponse
    request: web.Request
    streams: set[str] = field(default_factory=set)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(data), status=status, content_type="application/json", headers=headers
    )


# ── Сервер ──
class BinanceSimulator:
    """REST + WS сервер Binance над каталогом записаних барів (див. докстрінг модуля)."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        speed: float = 60.0,
        symbols: Iterable[str] | None = None,
        start_ms: int | None = None,
        market: Literal["um", "spot"] = "um",
        host: str = "127.0.0.1",
        port: int = 0,
        updates_per_bar: int = 4,
        aliases: int = 0,
        weight_limit: int | None = None,
        ws_heartbeat: float | None = 20.0,
        faults: FaultPlan | None = None,
        deriv_interval_ms: int = 1_000,
        deriv_min_wall: float = 0.025,
        mark_interval_ms: int = 15_000,
    ) -> None:
        self.spec = market_spec(market)
        recorded = load_recorded_series(data_dir, symbols) if self.spec.has_open_interest else {}
        self.market = SimMarket(
            load_market_series(data_dir, symbols, aliases), self.spec, updates_per_bar, recorded
        )
        self.deriv_interval_ms = deriv_interval_ms
        self.deriv_min_wall = deriv_min_wall
        self.mark_interval_ms = mark_interval_ms  # похідна марк-ціна: не частіше (віртуальний час)
        if start_ms is None:
            # доба історії до старту, щоб preload мав що завантажити
            start_ms = min(self.market.first_ms + DAY_MS, self.market.end_ms)
        self._clock = VirtualClock(start_ms, speed, end_ms=self.market.end_ms)
        self.faults = faults or FaultPlan()
        self.removed: dict[str, list[int]] = {}  # символ → open_time барів, яких біржа не має
        if self.faults.missing_every > 0:
            times = {name: s.bars.open_time for name, s in self.market.series.items()}
            for name, holes in hole_plan(times, start_ms, self.faults.missing_every).items():
                self.remove_bars(name, holes)
        self.host = host
        self.port = port
        self.weight_limit = weight_limit or self.spec.weight_limit_per_minute
        self.ws_heartbeat = ws_heartbeat
        self.rest_url = ""
        self.ws_url = ""
        self._runner: web.AppRunner | None = None
        self._emitter: asyncio.Task[None] | None = None
        self._deriv_task: asyncio.Task[None] | None = None
        self._fault_task: asyncio.Task[None] | None = None
        self._conns: set[_Conn] = set()
        self._last_state: dict[str, BarState] = {}
        self._by_lower = {name.lower(): name for name in self.market.series}
        self._path_names = {path: name for name, path in self.spec.paths.items()}
        # несправності
        self._pending_429 = 0
        self._retry_after_429 = 1.0
        self._pending_malformed = 0
        self._pending_deriv_junk = 0
        self._deriv_junk = itertools.cycle(DERIV_JUNK_FRAMES)
        self._junk = itertools.cycle(JUNK_FRAMES)
        self._ws_stall_until = 0.0
        self._rest_stall_until = 0.0
        self._ban_until = 0.0
        self._deriv_gap_until = 0.0
        self._pending_disorder: set[str] = set()
        self._pending_crossed: set[str] = set()
        # стан деривативних потоків на символ
        self._deriv_t: dict[str, int] = {}  # віртуальний час останнього кадру книги/марк-ціни
        self._mark_t: dict[str, int] = {}
        self._last_u: dict[str, int] = {}
        self._liq_t: dict[str, int] = {}  # ліквідації бару/запису до цього часу вже віддано
        # лічильники
        self.rest_requests = 0
        self.ws_connections_total = 0
        self.frames_sent = 0
        self.malformed_sent = 0
        self.dropped_connections = 0
        self.weight_exceeded = 0
        self.max_weight_used = 0
        self.faults_fired: dict[str, int] = {}
        self.clock_jumped_ms = 0
        self.deriv_frames_sent = 0
        self.deriv_frames_dropped = 0  # втрачено під час `book_gap` чи затримки
        self.book_frames_crossed = 0
        self.book_frames_disordered = 0
        self._weights: dict[int, int] = {}  # віртуальна хвилина → вага (останні `_WEIGHT_WINDOWS_KEPT`)
        # торгові ендпоінти, рушій і потік користувача (execution/ перевіряється проти них)
        self.trading = SimTrading(self.market, self.clock, speed=speed)

    # ── Публічне ──
    @property
    def symbols(self) -> list[str]:
        """Усі символи симулятора (записані й псевдоніми)."""
        return list(self.market.series)

    @property
    def speed(self) -> float:
        """Швидкість віртуального годинника."""
        return self._clock.speed

    def clock(self) -> int:
        """Віртуальний час у мс."""
        return self._clock()

    async def start(self) -> str:
        """Запускає сервер; повертає `rest_url` (також встановлює `ws_url`)."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/stream", self._ws_handler)
        handlers: dict[str, Handler] = {
            "time": self._h_time,
            "exchange_info": self._h_exchange_info,
            "klines": self._h_klines,
            "ticker_24h": self._h_ticker,
            "open_interest": self._h_open_interest,
            "depth": self._h_depth,
            "premium_index": self._h_premium,
            "open_interest_hist": self._h_open_interest_hist,
        }
        for name, path in self.spec.paths.items():
            if name in handlers:  # ендпоінти, яких симулятор не імітує, відповідають 404
                app.router.add_get(path, handlers[name])
        self.trading.install(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.rest_url = f"http://{self.host}:{self.port}"
        self.ws_url = f"ws://{self.host}:{self.port}"
        self._clock.restart()
        self._emitter = asyncio.create_task(self._emit_loop(), name="sim-emitter")
        if self.spec.has_premium_index:
            self._deriv_task = asyncio.create_task(self._deriv_loop(), name="sim-derivs")
        self.trading.start()
        if self.faults.periods():
            self._fault_task = asyncio.create_task(self._fault_loop(), name="sim-faults")
        logger.info(
            "simulator on %s speed=x%g symbols=%d",
            self.rest_url,
            self.speed,
            len(self.symbols),
            extra=log_ctx("sim"),
        )
        return self.rest_url

    async def stop(self) -> None:
        """Зупиняє розсилку, закриває з'єднання та сервер."""
        if self._fault_task is not None:
            self._fault_task.cancel()
            try:
                await self._fault_task
            except asyncio.CancelledError:
                pass  # очікувана відміна власної задачі
            self._fault_task = None
        for task in (self._emitter, self._deriv_task):
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass  # очікувана відміна власної задачі
        self._emitter = self._deriv_task = None
        await self.trading.stop()
        for conn in list(self._conns):
            await conn.ws.close()
        self._conns.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BinanceSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ── Несправності ──
    def drop_ws_connections(self) -> int:
        """Рве всі WS-з'єднання на рівні TCP; повертає їх кількість."""
        dropped = 0
        for conn in list(self._conns):
            transport = conn.request.transport
            if transport is not None:
                transport.close()
            self._conns.discard(conn)
            dropped += 1
        self.dropped_connections += dropped
        return dropped

    def inject_429(self, n: int, retry_after: float = 1) -> None:
        """Наступні `n` REST-запитів отримають 429 з `Retry-After`."""
        self._pending_429 += n
        self._retry_after_429 = retry_after

    def inject_malformed(self, n: int) -> None:
        """Наступні `n` разів перед справжнім кадром піде зіпсований."""
        self._pending_malformed += n

    def inject_deriv_junk(self, n: int) -> None:
        """Наступні `n` разів перед справжнім деривативним кадром піде зіпсований."""
        self._pending_deriv_junk += n

    def stall(self, seconds: float, *, rest: bool = False) -> None:
        """WS мовчить `seconds` с (кадри втрачено); з `rest=True` REST теж відповідає із затримкою."""
        until = time.monotonic() + seconds
        self._ws_stall_until = max(self._ws_stall_until, until)
        if rest:
            self._rest_stall_until = max(self._rest_stall_until, until)

    def inject_ban(self, seconds: float) -> None:
        """Наступні `seconds` с усі REST-запити отримують 418 (бан IP)."""
        self._ban_until = time.monotonic() + seconds

    def jump_clock(self, minutes: float) -> int:
        """Годинник біржі стрибає вперед на `minutes`; кадри пропущеного часу не надсилаються
        (REST їх має). Повертає фактичний стрибок у мс."""
        jumped = self._clock.jump(int(minutes * 60_000))
        now = self.clock()
        for symbol in list(self._last_state):
            st = self.market.state(symbol, now)
            if st is not None:
                self._last_state[symbol] = st
        self.clock_jumped_ms += jumped
        return jumped

    def remove_bars(self, symbol: str, open_times: Iterable[int]) -> list[int]:
        """Дірки біржі: бари з цими open_time зникають з REST і WS; повертає, що справді вирізано."""
        series = self.market.series[symbol]
        have = set(series.bars.open_time.tolist())
        gone = sorted(t for t in set(open_times) if t in have)
        if gone:
            self.market.series[symbol] = without_bars(series, gone)
            self.market.forget_derivs(symbol)
            self.removed[symbol] = sorted({*self.removed.get(symbol, []), *gone})
        return gone

    def weight_windows(self) -> dict[int, int]:
        """Вага REST за останні віртуальні хвилини (номер хвилини → вага)."""
        return dict(self._weights)

    def fire(self, kind: str) -> None:
        """Одна несправність виду `kind` з плану (drop, http429, ban, malformed, stall, clock_jump,
        book_gap, book_disorder, book_crossed)."""
        plan = self.faults
        if kind == "drop":
            self.drop_ws_connections()
        elif kind == "http429":
            self.inject_429(plan.http429_count, plan.http429_retry_after)
        elif kind == "ban":
            self.inject_ban(plan.ban_seconds)
        elif kind == "malformed":
            self.inject_malformed(plan.malformed_count)
        elif kind == "stall":
            self.stall(plan.stall_seconds, rest=plan.stall_rest)
        elif kind == "clock_jump":
            self.jump_clock(plan.clock_jump_minutes)
        elif kind == "book_gap":
            self._deriv_gap_until = max(self._deriv_gap_until, time.monotonic() + plan.book_gap_seconds)
        elif kind == "book_disorder":
            self._pending_disorder = set(self.market.series)
        elif kind == "book_crossed":
            self._pending_crossed = set(self.market.series)
        else:
            raise ValueError(f"unknown fault {kind!r}")
        self.faults_fired[kind] = self.faults_fired.get(kind, 0) + 1
        logger.info("sim fault: %s", kind, extra=log_ctx("sim"))

    async def _fault_loop(self) -> None:
        started = time.monotonic()
        schedule = FaultSchedule(self.faults.periods(), started)
        if self.faults.faults_for > 0:
            schedule.stop_after(started + self.faults.faults_for)
        while schedule.next_at:
            await asyncio.sleep(schedule.wait(time.monotonic()))
            for kind in schedule.due(time.monotonic()):
                self.fire(kind)

    # ── REST ──
    def _request_weight(self, name: str, request: web.Request) -> int:
        if name == "klines":
            return self.spec.klines_weight(_int_param(request, "limit", self.spec.default_kline_limit))
        if name == "depth":
            return self.spec.depth_weight(_int_param(request, "limit", 100))
        return self.spec.weights.get(name, 1)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        name = self._path_names.get(request.path)
        if name is None:
            return await handler(request)
        self.rest_requests += 1
        delay = self._rest_stall_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        ban = self._ban_until - time.monotonic()
        if ban > 0:
            return _json(
                {"code": -1003, "msg": "Way too many requests; IP banned."},
                418,
                {"Retry-After": str(max(1, math.ceil(ban)))},  # як Binance: цілі секунди
            )
        if self._pending_429 > 0:
            self._pending_429 -= 1
            return _json(
                {"code": -1003, "msg": "Too many requests (injected)."},
                429,
                {"Retry-After": f"{self._retry_after_429:g}"},
            )
        try:
            weight = self._request_weight(name, request)
        except _ApiError as exc:
            return _json({"code": exc.code, "msg": exc.msg}, 400)
        now = self.clock()
        window = now // 60_000
        used = self._weights.get(window, 0) + weight
        self._weights[window] = used
        if len(self._weights) > _WEIGHT_WINDOWS_KEPT:
            del self._weights[min(self._weights)]
        self.max_weight_used = max(self.max_weight_used, used)
        header = {self.spec.used_weight_header: str(used)}
        if used > self.weight_limit:
            self.weight_exceeded += 1
            wait = self._clock.wall_seconds((window + 1) * 60_000 - now)
            header["Retry-After"] = f"{max(0.001, wait):.3f}"  # віртуальна хвилина: частки секунди
            return _json({"code": -1003, "msg": "Too many requests; weight limit exceeded."}, 429, header)
        try:
            resp = await handler(request)
        except _ApiError as exc:
            resp = _json({"code": exc.code, "msg": exc.msg}, 400)
        resp.headers.update(header)
        return resp

    def _symbol(self, request: web.Request, required: bool = True) -> str | None:
        symbol = request.query.get("symbol")
        if symbol is None:
            if required:
                raise _ApiError(-1102, "Mandatory parameter 'symbol' was not sent.")
            return None
        if symbol not in self.market.series:
            raise _ApiError(-1121, "Invalid symbol.")
        return symbol

    async def _h_time(self, request: web.Request) -> web.Response:
        return _json({"serverTime": self.clock()})

    async def _h_exchange_info(self, request: web.Request) -> web.Response:
        return _json(self.market.exchange_info(self.clock(), self.weight_limit))

    async def _h_klines(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request)
        assert symbol is not None
        interval = request.query.get("interval", "")
        interval_ms = KLINE_INTERVAL_MS.get(interval)
        if interval_ms is None or interval_ms % self.market.step_ms:
            raise _ApiError(-1120, "Invalid interval.")
        limit = _int_param(request, "limit", self.spec.default_kline_limit)
        if not 1 <= limit <= self.spec.max_kline_limit:
            raise _ApiError(-1130, "Invalid limit.")
        start = request.query.get("startTime")
        end = request.query.get("endTime")
        rows = self.market.kline_rows(
            symbol,
            interval_ms,
            self.clock(),
            start=_int_param(request, "startTime", 0) if start is not None else None,
            end=_int_param(request, "endTime", 0) if end is not None else None,
            limit=limit,
        )
        return _json(rows)

    async def _h_ticker(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request, required=False)
        rows = self.market.ticker_24h(self.clock())
        if symbol is not None:
            return _json(next((r for r in rows if r["symbol"] == symbol), {}))
        return _json(rows)

    async def _h_open_interest(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request)
        assert symbol is not None
        return _json(self.market.open_interest(symbol, self.clock()))

    async def _h_depth(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request)
        assert symbol is not None
        limit = _int_param(request, "limit", 100)
        if limit not in self.spec.depth_limits:
            raise _ApiError(-1130, "Invalid limit.")
        return _json(self.market.depth(symbol, limit, self.clock()))

    async def _h_open_interest_hist(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request)
        assert symbol is not None
        period = request.query.get("period", "")
        period_ms = KLINE_INTERVAL_MS.get(period)
        if period not in self.spec.oi_hist_periods or period_ms is None:
            raise _ApiError(-1130, "Invalid period.")
        limit = _int_param(request, "limit", 30)
        if not 1 <= limit <= self.spec.oi_hist_max_limit:
            raise _ApiError(-1130, "Invalid limit.")
        start = request.query.get("startTime")
        end = request.query.get("endTime")
        rows = self.market.open_interest_hist(
            symbol,
            period_ms,
            self.clock(),
            _int_param(request, "startTime", 0) if start is not None else None,
            _int_param(request, "endTime", 0) if end is not None else None,
            limit,
        )
        return _json(rows)

    async def _h_premium(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request, required=False)
        now = self.clock()
        if symbol is None:
            return _json([self.market.premium_index(s, now) for s in self.market.series])
        return _json(self.market.premium_index(symbol, now))

    # ── WS ──
    async def _ws_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=self.ws_heartbeat, autoping=True)
        await ws.prepare(request)
        streams = {s for s in request.query.get("streams", "").split("/") if s}
        conn = _Conn(ws, request, streams)
        self._conns.add(conn)
        self.ws_connections_total += 1
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_client_message(conn, msg.data)
        finally:
            self._conns.discard(conn)
        return ws

    async def _on_client_message(self, conn: _Conn, text: str) -> None:
        try:
            msg = orjson.loads(text)
            method, params, req_id = msg["method"], msg.get("params", []), msg.get("id")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            await conn.ws.send_str('{"error":{"code":3,"msg":"Invalid JSON"},"id":null}')
            return
        if method == "SUBSCRIBE":
            conn.streams.update(str(p) for p in params)
            reply: Any = None
        elif method == "UNSUBSCRIBE":
            conn.streams.difference_update(str(p) for p in params)
            reply = None
        elif method == "LIST_SUBSCRIPTIONS":
            reply = sorted(conn.streams)
        else:
            await conn.ws.send_bytes(
                orjson.dumps({"error": {"code": 2, "msg": "Invalid request"}, "id": req_id})
            )
            return
        await conn.ws.send_str(orjson.dumps({"result": reply, "id": req_id}).decode())

    def _next_boundary(self, now: int) -> int:
        step, updates = self.market.step_ms, self.market.updates
        base = now // step * step
        for k in range(1, updates + 1):
            boundary = base + k * step // updates
            if boundary > now:
                return boundary
        return base + step

    async def _emit_loop(self) -> None:
        while True:
            now = self.clock()
            if now >= self.market.end_ms:
                await self._emit_once()
                await asyncio.sleep(0.05)  # записи скінчилися: годинник стоїть
                continue
            await asyncio.sleep(self._clock.wall_seconds(self._next_boundary(now) - now))
            try:
                await self._emit_once()
            except Exception:
                logger.exception("simulator emit failed", extra=log_ctx("sim"))

    def _frames(self, now: int, wanted: set[str]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        kline_suffix = f"@kline_{self.market.interval_name}"
        symbols = {s.split("@", 1)[0] for s in wanted}
        for lower in sorted(symbols):
            symbol = self._by_lower.get(lower)
            if symbol is None:
                continue
            st = self.market.state(symbol, now)
            if st is None:
                continue
            steps = self.market.steps_between(symbol, self._last_state.get(symbol), st)
            self._last_state[symbol] = st
            if not steps:
                continue
            name = lower + kline_suffix
            if name in wanted:
                for step in steps:
                    payload = self.market.kline_payload(symbol, step, self.market.event_time(symbol, step))
                    out.append((name, _combined(name, payload)))
            last = steps[-1]
            event_time = self.market.event_time(symbol, last)
            name = lower + "@bookTicker"
            if name in wanted:
                out.append((name, _combined(name, self.market.book_payload(symbol, last, event_time))))
            name = lower + "@markPrice"  # markPrice@1s — у деривативному циклі (`deriv_frames`)
            if name in wanted and self.spec.has_premium_index:
                out.append((name, _combined(name, self.market.mark_payload(symbol, last, event_time))))
        return out

    async def _emit_once(self) -> None:
        conns = [c for c in self._conns if not c.ws.closed]
        wanted: set[str] = set().union(*(c.streams for c in conns)) if conns else set()
        frames = self._frames(self.clock(), wanted)
        if time.monotonic() < self._ws_stall_until or not frames:
            return  # затримка: кадри цього кроку втрачено
        for conn in conns:
            try:
                for stream, frame in frames:
                    if stream not in conn.streams:
                        continue
                    if self._pending_malformed > 0:
                        self._pending_malformed -= 1
                        self.malformed_sent += 1
                        await conn.ws.send_str(next(self._junk))
                    await conn.ws.send_str(frame)
                    self.frames_sent += 1
            except (ConnectionError, RuntimeError) as exc:
                logger.info("sim ws send failed: %s", exc, extra=log_ctx("sim"))
                self._conns.discard(conn)

    # ── Деривативні потоки ──
    async def _deriv_loop(self) -> None:
        pause = max(self.deriv_min_wall, self._clock.wall_seconds(self.deriv_interval_ms))
        while True:
            await asyncio.sleep(pause)
            try:
                await self._emit_derivs()
            except Exception:
                logger.exception("simulator deriv emit failed", extra=log_ctx("sim"))

    async def _emit_derivs(self) -> None:
        conns = [c for c in self._conns if not c.ws.closed]
        wanted: set[str] = set().union(*(c.streams for c in conns)) if conns else set()
        frames = self.deriv_frames(self.clock(), wanted)
        if not frames:
            return
        now = time.monotonic()
        if now < self._deriv_gap_until or now < self._ws_stall_until:
            self.deriv_frames_dropped += len(frames)
            return
        for conn in conns:
            try:
                for stream, frame in frames:
                    if stream in conn.streams:
                        if self._pending_deriv_junk > 0:
                            self._pending_deriv_junk -= 1
                            self.malformed_sent += 1
                            await conn.ws.send_str(next(self._deriv_junk))
                        await conn.ws.send_str(frame)
                        self.deriv_frames_sent += 1
            except (ConnectionError, RuntimeError) as exc:
                logger.info("sim ws send failed: %s", exc, extra=log_ctx("sim"))
                self._conns.discard(conn)

    def deriv_frames(self, now: int, wanted: set[str]) -> list[tuple[str, str]]:
        """Кадри деривативних потоків на момент `now` для підписаних назв (стан просувається).

        `!markPrice@arr@1s` — один кадр з подіями марк-ціни всіх символів цього кроку: ті самі
        словники, що йдуть у `<symbol>@markPrice@1s` (обидва види з одного обчислення)."""
        out: list[tuple[str, str]] = []
        per_symbol: dict[str, list[tuple[str, str]]] = {}
        all_liq = all_mark = ""
        for name in wanted:
            kind = stream_kind(name)
            if kind == "force_order" and name.startswith("!"):
                all_liq = name
            elif kind == "mark_price_all":
                all_mark = name
            elif kind in ("partial_depth", "mark_price", "force_order"):
                per_symbol.setdefault(name.split("@", 1)[0], []).append((kind, name))
        if all_mark:
            for lower in self._by_lower:
                per_symbol.setdefault(lower, []).append(("mark_price_all", all_mark))
        marks: list[dict[str, Any]] = []
        for lower, streams in sorted(per_symbol.items()):
            symbol = self._by_lower.get(lower)
            if symbol is not None:
                out.extend(self._symbol_derivs(symbol, now, streams, marks))
        if all_mark and marks:
            out.append((all_mark, _combined(all_mark, marks)))
        if all_liq:
            for symbol in self.market.series:
                out.extend((all_liq, f) for f in self._liquidations(symbol, now))
        return out

    def _symbol_derivs(
        self, symbol: str, now: int, streams: list[tuple[str, str]], marks: list[dict[str, Any]]
    ) -> list[tuple[str, str]]:
        """Кадри потоків символу; події марк-ціни для `!markPrice@arr` додаються в `marks`."""
        out: list[tuple[str, str]] = []
        rec = self.market.recorded.get(symbol)
        prev_t = self._deriv_t.get(symbol, now - self.deriv_interval_ms)
        if now <= prev_t:
            return out
        self._deriv_t[symbol] = now
        st = self.market.state(symbol, now)
        mark_names = [name for kind, name in streams if kind == "mark_price"]
        to_all = any(kind == "mark_price_all" for kind, _ in streams)
        if mark_names or to_all:
            payloads = self._mark_payloads(symbol, now, prev_t, st)
            out.extend((name, _combined(name, p)) for p in payloads for name in mark_names)
            if to_all:
                marks.extend(payloads)
        for kind, name in streams:
            if kind == "partial_depth":
                if rec is not None and rec.book is not None:
                    for i in rec.rows_between("book", prev_t, now):
                        out.append(
                            (name, self._book_json(name, symbol, recorded_book_frame(symbol, rec.book, i, 0)))
                        )
                elif st is not None:
                    levels = int(name.split("@")[1][5:] or 20)
                    bids, asks = self.market.book_levels(symbol, st, levels)
                    out.append(
                        (name, self._book_json(name, symbol, depth_frame(symbol, now, now, 0, bids, asks)))
                    )
            elif kind == "force_order":  # <symbol>@forceOrder
                out.extend((name, f) for f in self._liquidations(symbol, now, name))
        return out

    def _mark_payloads(self, symbol: str, now: int, prev_t: int, st: BarState | None) -> list[dict[str, Any]]:
        """Події марк-ціни символу за крок (prev_t, now]: записані рядки або похідна подія не частіше
        `mark_interval_ms`."""
        rec = self.market.recorded.get(symbol)
        if rec is not None and rec.mark is not None:
            return [recorded_mark_frame(symbol, rec.mark, i) for i in rec.rows_between("mark", prev_t, now)]
        if st is not None and now - self._mark_t.get(symbol, -(10**15)) >= self.mark_interval_ms:
            self._mark_t[symbol] = now
            return [self.market.mark_payload(symbol, st, now)]
        return []

    def _book_json(self, name: str, symbol: str, payload: dict[str, Any]) -> str:
        """Кадр книги з несправностями, що чекають на символ (схрещення, старий `u`)."""
        last = self._last_u.get(symbol, 0)
        payload["pu"] = last
        if symbol in self._pending_disorder and last > 1:
            self._pending_disorder.discard(symbol)
            payload["U"] = payload["u"] = last - 1  # старіший за попередній
            self.book_frames_disordered += 1
        else:
            self._last_u[symbol] = max(last, int(payload["u"]))
        if symbol in self._pending_crossed and payload["a"]:
            self._pending_crossed.discard(symbol)
            payload["b"] = [[payload["a"][0][0], payload["a"][0][1]], *payload["b"]]  # bid = ask
            self.book_frames_crossed += 1
        return _combined(name, payload)

    def _liquidations(self, symbol: str, now: int, stream: str = "!forceOrder@arr") -> list[str]:
        """Кадри ліквідацій, що сталися після попереднього виклику для символу до `now`."""
        key = f"{symbol}|{stream}"
        prev = self._liq_t.get(key)
        self._liq_t[key] = now
        if prev is None or now <= prev:
            return []
        rec = self.market.recorded.get(symbol)
        frames: list[dict[str, Any]] = []
        if rec is not None and rec.liq is not None:
            frames = [recorded_liq_frame(symbol, rec.liq, i) for i in rec.rows_between("liq", prev, now)]
        else:
            s = self.market.series[symbol]
            d = self.market.derivs(symbol)
            t = s.bars.open_time
            step = self.market.step_ms
            # бари, що закрилися в (prev, now]: закриття = open_time + step
            lo = int(np.searchsorted(t, prev - step, side="right"))
            hi = int(np.searchsorted(t, now - step, side="right"))
            for i in range(lo, hi):
                trade_time = int(t[i]) + step - 1
                for qty, side, price in (
                    (float(d.liq_long_qty[i]), "SELL", float(s.bars.low[i])),
                    (float(d.liq_short_qty[i]), "BUY", float(s.bars.high[i])),
                ):
                    if qty > 0:
                        p = f"{price:.{s.decimals}f}"
                        frames.append(
                            force_order(symbol, side, p, p, f"{qty:.3f}", trade_time, trade_time + 1)
                        )
        return [_combined(stream, f) for f in frames]


def _combined(stream: str, payload: dict[str, Any] | list[dict[str, Any]]) -> str:
    return '{"stream":"' + stream + '","data":' + orjson.dumps(payload).decode() + "}"


def _int_param(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise _ApiError(-1100, f"Illegal characters found in parameter '{name}'.") from None


__all__ = ["DERIV_JUNK_FRAMES", "JUNK_FRAMES", "BinanceSimulator", "VirtualClock"]
