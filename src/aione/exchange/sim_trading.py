"""Торгова частина симулятора: підписані ендпоінти USDⓈ-M, рушій зіставлення, потік користувача.

Рушій над цінами симулятора (`SimMarket.partial` у віртуальному часі):
- MARKET виконується одразу за поточною ціною з прослизанням `slippage_bps` проти трейдера;
- LIMIT — коли ціна торкнулася ліміту (за ціною ліміту);
- STOP_MARKET / TAKE_PROFIT_MARKET — коли ціна (last = mark у симуляторі) перетнула стоп: шлях
  ціни неперервний, тож виконання за стоп-ціною з прослизанням; якщо ціна вже за стопом
  при появі заявки — за поточною;
- комісії taker/maker; позиція one-way з середньою ціною входу й реалізованим PnL;
- `reduceOnly`/`closePosition` ніколи не перевертають позицію.
Потік користувача: listenKey (POST/PUT/DELETE), WS `/ws/<listenKey>` з ORDER_TRADE_UPDATE.
Підпис: HMAC-SHA256 ключем `api_secret`, `X-MBX-APIKEY` = `api_key`; `timestamp` поза
`recvWindow` (у віртуальних мс, помноженому на швидкість годинника) → -1021.

Несправності (`inject(kind, n)`): `timeout` (заявку прийнято, відповідь затримано на
`hang_seconds`), `http5xx` (503 до прийняття), `timestamp` (-1021), `margin` (-2019),
`duplicate_fills` (кожна подія виконання — двічі), `reject_stops` (стоп-заявки відхиляються
кодом -2021); `drop_user_streams()` рве з'єднання потоку (події за цей час втрачено).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets as _secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from pydantic import SecretStr

from aione.execution.signing import format_number, verify
from aione.logging_setup import get_logger, log_ctx

if TYPE_CHECKING:
    from aione.exchange.sim_market import SimMarket

logger = get_logger(__name__)

SIM_API_KEY = "sim-api-key"
SIM_API_SECRET = "sim-api-secret"
_OPEN = ("NEW", "PARTIALLY_FILLED")
_FAULTS = ("timeout", "http5xx", "timestamp", "margin", "duplicate_fills", "reject_stops")


def _num(value: float) -> str:
    """Число в рядок без втрати точності й без експоненти (`:g` обрізав би до 6 цифр)."""
    return format_number(round(value, 12))


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def _err(code: int, msg: str, status: int = 400) -> web.Response:
    return _json({"code": code, "msg": msg}, status)


@dataclass(eq=False)
class SimOrder:
    """Заявка рушія."""

    order_id: int
    client_id: str
    symbol: str
    side: str
    order_type: str
    quantity: float
    price: float
    stop_price: float
    reduce_only: bool
    close_position: bool
    status: str = "NEW"
    executed_qty: float = 0.0
    cum_quote: float = 0.0
    update_ms: int = 0

    @property
    def avg_price(self) -> float:
        return self.cum_quote / self.executed_qty if self.executed_qty else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "clientOrderId": self.client_id,
            "symbol": self.symbol,
            "side": self.side,
            "type": self.order_type,
            "origType": self.order_type,
            "status": self.status,
            "origQty": _num(self.quantity),
            "executedQty": _num(self.executed_qty),
            "avgPrice": f"{self.avg_price:.8f}",
            "price": _num(self.price),
            "stopPrice": _num(self.stop_price),
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "positionSide": "BOTH",
            "timeInForce": "GTC",
            "updateTime": self.update_ms,
        }


@dataclass
class SimPosition:
    amount: float = 0.0
    entry_price: float = 0.0


@dataclass
class _Watch:
    """Останній стан ціни символу для пошуку перетинів між перевірками."""

    index: int
    k: int
    price: float
    low: float
    high: float


@dataclass
class SimAccount:
    """Рахунок: баланс, позиції, заявки, виконання."""

    wallet: float = 10_000.0
    positions: dict[str, SimPosition] = field(default_factory=dict)
    orders: dict[int, SimOrder] = field(default_factory=dict)
    by_client: dict[tuple[str, str], SimOrder] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    leverage: dict[str, int] = field(default_factory=dict)
    margin_type: dict[str, str] = field(default_factory=dict)


# ── Торгова частина ──
class SimTrading:
    """Підписані ендпоінти й рушій; `install(app)` додає маршрути до застосунку симулятора."""

    def __init__(
        self,
        market: SimMarket,
        clock: Callable[[], int],
        *,
        speed: float = 1.0,
        api_key: str = SIM_API_KEY,
        api_secret: str = SIM_API_SECRET,
        slippage_bps: float = 2.0,
        taker_fee: float = 0.0004,
        maker_fee: float = 0.0002,
        hang_seconds: float = 1.0,
        match_interval: float = 0.005,
    ) -> None:
        self.market = market
        self.clock = clock
        self.speed = speed
        self.api_key = api_key
        self._secret = SecretStr(api_secret)
        self.slippage = slippage_bps / 10_000.0
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self.hang_seconds = hang_seconds
        self.match_interval = match_interval
        self.account = SimAccount()
        self._ids = itertools.count(1)
        self._trade_ids = itertools.count(1)
        self._listen_key: str | None = None
        self._streams: set[web.WebSocketResponse] = set()
        self._watch: dict[str, _Watch] = {}
        self._task: asyncio.Task[None] | None = None
        self._faults: dict[str, int] = dict.fromkeys(_FAULTS, 0)
        self._refuse_until = 0.0  # time.monotonic(), до якого потік користувача не приймає з'єднань
        # лічильники
        self.orders_accepted = 0
        self.fills = 0
        self.events_sent = 0
        self.faults_fired: dict[str, int] = {}
        self.stream_connections = 0

    # ── Життєвий цикл ──
    def install(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/fapi/v1/order", self._h_new)
        r.add_get("/fapi/v1/order", self._h_query)
        r.add_delete("/fapi/v1/order", self._h_cancel)
        r.add_get("/fapi/v1/openOrders", self._h_open_orders)
        r.add_delete("/fapi/v1/allOpenOrders", self._h_cancel_all)
        r.add_get("/fapi/v1/userTrades", self._h_user_trades)
        r.add_get("/fapi/v2/positionRisk", self._h_positions)
        r.add_get("/fapi/v2/balance", self._h_balance)
        r.add_post("/fapi/v1/leverage", self._h_leverage)
        r.add_post("/fapi/v1/marginType", self._h_margin_type)
        r.add_post("/fapi/v1/listenKey", self._h_listen_key)
        r.add_put("/fapi/v1/listenKey", self._h_listen_key)
        r.add_delete("/fapi/v1/listenKey", self._h_listen_key_close)
        r.add_get("/ws/{listen_key}", self._h_user_ws)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._match_loop(), name="sim-matching")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass  # очікувана відміна власної задачі
            self._task = None
        for ws in list(self._streams):
            await ws.close()
        self._streams.clear()

    # ── Несправності ──
    def inject(self, kind: str, n: int = 1) -> None:
        """Наступні `n` разів — несправність `kind` (див. докстрінг модуля)."""
        if kind not in self._faults:
            raise ValueError(f"unknown trading fault {kind!r}; known: {', '.join(_FAULTS)}")
        self._faults[kind] += n

    def _take(self, kind: str) -> bool:
        if self._faults.get(kind, 0) > 0:
            self._faults[kind] -= 1
            self.faults_fired[kind] = self.faults_fired.get(kind, 0) + 1
            return True
        return False

    def drop_user_streams(self, hold_seconds: float = 0.0) -> int:
        """Рве всі з'єднання потоку користувача й `hold_seconds` не приймає нових (події цього
        часу втрачено, як на біржі)."""
        self._refuse_until = time.monotonic() + hold_seconds
        dropped = 0
        for ws in list(self._streams):
            transport = getattr(ws, "_req", None)
            transport = transport.transport if transport is not None else None
            if transport is not None:
                transport.close()
            self._streams.discard(ws)
            dropped += 1
        return dropped

    # ── Ціни ──
    def price(self, symbol: str) -> float | None:
        return self.market.last_price(symbol, self.clock())

    def path_range(self, symbol: str, start_ms: int, end_ms: int) -> tuple[float, float] | None:
        """(низ, верх) шляху ціни символу між двома моментами часу біржі — тих цін, які бачили
        рушій і потік барів (кроки проміжних барів, екстремуми між ними, закриття бару).

        Для перевірки ринкових заявок: ціна, за якою клієнт ухвалив рішення, лежить на шляху
        між моментом рішення і прибуттям заявки, тож відстань від ціни виконання до неї не
        більша за розмах шляху на цьому проміжку."""
        market = self.market
        first, last = market.state(symbol, start_ms), market.state(symbol, end_ms)
        if first is None or last is None:
            return None
        start = market.partial(symbol, first)
        lo = hi = start[3]
        bars = market.series[symbol].bars
        if first.k == 0 and first.index > 0 and start_ms == int(bars.open_time[first.index]):
            # на межі барів потік віддає й закритий попередній бар: його закриття теж «побачено»
            close = float(bars.close[first.index - 1])
            lo, hi = min(lo, close), max(hi, close)
        prev_high, prev_low = start[1], start[2]
        index, k = first.index, first.k
        while (index, k) != (last.index, last.k):
            k += 1
            if k > market.updates:  # наступний бар: його відкриття
                index, k = index + 1, 0
                bar = market.partial(symbol, type(first)(index, 0))
                prev_high, prev_low = bar[1], bar[2]
                lo, hi = min(lo, bar[3]), max(hi, bar[3])
                continue
            step = market.partial(symbol, type(first)(index, k))
            # новий екстремум бару між кроками — вершина шляху, яку ціна пройшла
            if step[1] > prev_high:
                hi = max(hi, step[1])
            if step[2] < prev_low:
                lo = min(lo, step[2])
            prev_high, prev_low = step[1], step[2]
            lo, hi = min(lo, step[3]), max(hi, step[3])
        return lo, hi

    # ── Автентифікація ──
    def _auth(self, request: web.Request, signed: bool = True) -> web.Response | None:
        if request.headers.get("X-MBX-APIKEY") != self.api_key:
            return _err(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        if not signed:
            return None
        if not verify(request.query_string, self._secret):
            return _err(-1022, "Signature for this request is not valid.")
        if self._take("timestamp"):
            return _err(-1021, "Timestamp for this request is outside of the recvWindow.")
        try:
            ts = int(request.query["timestamp"])
            window = int(request.query.get("recvWindow", "5000"))
        except (KeyError, ValueError):
            return _err(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
        now = self.clock()
        scale = max(1.0, self.speed)
        if ts > now + 1000 * scale or now - ts > window * scale:
            return _err(-1021, "Timestamp for this request is outside of the recvWindow.")
        return None

    # ── Заявки ──
    async def _h_new(self, request: web.Request) -> web.StreamResponse:
        denied = self._auth(request)
        if denied is not None:
            return denied
        if self._take("http5xx"):
            return _err(-1001, "Internal error; unable to process your request. Please try again.", 503)
        q = request.query
        symbol = q.get("symbol", "")
        if symbol not in self.market.series:
            return _err(-1121, "Invalid symbol.")
        cid = q.get("newClientOrderId") or f"sim-{next(self._ids)}"
        existing = self.account.by_client.get((symbol, cid))
        if existing is not None and existing.status in _OPEN:
            return _err(-4116, "ClientOrderId is duplicated.")
        order_type = q.get("type", "")
        if order_type not in ("MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET"):
            return _err(-1116, "Invalid orderType.")
        if order_type in ("STOP_MARKET", "TAKE_PROFIT_MARKET") and self._take("reject_stops"):
            return _err(-2021, "Order would immediately trigger.")
        close_position = q.get("closePosition") == "true"
        reduce_only = q.get("reduceOnly") == "true" or close_position
        try:
            qty = float(q.get("quantity", "0") or 0)
            price = float(q.get("price", "0") or 0)
            stop = float(q.get("stopPrice", "0") or 0)
        except ValueError:
            return _err(-1100, "Illegal characters found in a parameter.")
        if not close_position and qty <= 0:
            return _err(-4003, "Quantity less than or equal to zero.")
        last = self.price(symbol)
        if last is None:
            return _err(-1121, "Invalid symbol.")
        if (
            not reduce_only
            and self._take("margin")
            or not reduce_only
            and not self._margin_ok(symbol, qty, last)
        ):
            return _err(-2019, "Margin is insufficient.")
        order = SimOrder(
            next(self._ids), cid, symbol, q.get("side", "BUY"), order_type, qty, price, stop,
            reduce_only, close_position, update_ms=self.clock(),
        )  # fmt: skip
        self.account.orders[order.order_id] = order
        self.account.by_client[(symbol, cid)] = order
        self.orders_accepted += 1
        await self._emit(order, "NEW")
        if order_type == "MARKET":
            await self._fill(order, last, taker=True)
        elif order_type in ("STOP_MARKET", "TAKE_PROFIT_MARKET") and self._triggered(order, last, last):
            await self._fill(order, last, taker=True)  # уже за стопом: виконання за поточною
        if self._take("timeout"):
            await asyncio.sleep(self.hang_seconds)  # прийнято, але відповідь запізнюється
        return _json(order.as_dict())

    def _margin_ok(self, symbol: str, qty: float, price: float) -> bool:
        lev = self.account.leverage.get(symbol, 20)
        used = sum(abs(p.amount) * p.entry_price / self.account.leverage.get(s, 20)
                   for s, p in self.account.positions.items())  # fmt: skip
        return qty * price / lev <= self.account.wallet - used

    def _find(self, request: web.Request) -> SimOrder | None:
        q = request.query
        symbol = q.get("symbol", "")
        if "orderId" in q:
            order = self.account.orders.get(int(q["orderId"]))
            return order if order is not None and order.symbol == symbol else None
        return self.account.by_client.get((symbol, q.get("origClientOrderId", "")))

    async def _h_query(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        order = self._find(request)
        if order is None:
            return _err(-2013, "Order does not exist.")
        return _json(order.as_dict())

    async def _h_cancel(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        order = self._find(request)
        if order is None or order.status not in _OPEN:
            return _err(-2011, "Unknown order sent.")
        order.status = "CANCELED"
        order.update_ms = self.clock()
        await self._emit(order, "CANCELED")
        return _json(order.as_dict())

    async def _h_cancel_all(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        symbol = request.query.get("symbol", "")
        for order in list(self.account.orders.values()):
            if order.symbol == symbol and order.status in _OPEN:
                order.status = "CANCELED"
                order.update_ms = self.clock()
                await self._emit(order, "CANCELED")
        return _json({"code": 200, "msg": "The operation of cancel all open order is done."})

    async def _h_open_orders(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        symbol = request.query.get("symbol")
        rows = [o.as_dict() for o in self.account.orders.values()
                if o.status in _OPEN and (symbol is None or o.symbol == symbol)]  # fmt: skip
        return _json(rows)

    async def _h_user_trades(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        q = request.query
        symbol, order_id = q.get("symbol"), q.get("orderId")
        rows = [t for t in self.account.trades
                if t["symbol"] == symbol and (order_id is None or str(t["orderId"]) == order_id)]  # fmt: skip
        return _json(rows)

    # ── Рахунок ──
    async def _h_positions(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        rows = []
        for symbol in self.market.series:
            pos = self.account.positions.get(symbol, SimPosition())
            mark = self.price(symbol) or 0.0
            rows.append(
                {
                    "symbol": symbol,
                    "positionAmt": _num(pos.amount),
                    "entryPrice": f"{pos.entry_price:.8f}",
                    "markPrice": f"{mark:.8f}",
                    "unRealizedProfit": f"{(mark - pos.entry_price) * pos.amount:.8f}",
                    "leverage": str(self.account.leverage.get(symbol, 20)),
                    "marginType": self.account.margin_type.get(symbol, "cross"),
                    "positionSide": "BOTH",
                }
            )
        return _json(rows)

    async def _h_balance(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        wallet = f"{self.account.wallet:.8f}"
        return _json([{"asset": "USDT", "balance": wallet, "availableBalance": wallet}])

    async def _h_leverage(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        symbol = request.query.get("symbol", "")
        self.account.leverage[symbol] = int(request.query.get("leverage", "20"))
        return _json({"symbol": symbol, "leverage": self.account.leverage[symbol]})

    async def _h_margin_type(self, request: web.Request) -> web.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        symbol, kind = request.query.get("symbol", ""), request.query.get("marginType", "")
        if self.account.margin_type.get(symbol) == kind:
            return _err(-4046, "No need to change margin type.")
        self.account.margin_type[symbol] = kind
        return _json({"code": 200, "msg": "success"})

    # ── Потік користувача ──
    async def _h_listen_key(self, request: web.Request) -> web.Response:
        denied = self._auth(request, signed=False)
        if denied is not None:
            return denied
        if request.method == "POST" and self._listen_key is None:
            self._listen_key = _secrets.token_hex(32)
        if self._listen_key is None:
            return _err(-1125, "This listenKey does not exist.")
        return _json({"listenKey": self._listen_key})

    async def _h_listen_key_close(self, request: web.Request) -> web.Response:
        denied = self._auth(request, signed=False)
        if denied is not None:
            return denied
        self._listen_key = None
        for ws in list(self._streams):
            await ws.close()
        return _json({})

    async def _h_user_ws(self, request: web.Request) -> web.StreamResponse:
        if time.monotonic() < self._refuse_until:
            return _err(-1001, "Service unavailable.", 503)
        if self._listen_key is None or request.match_info["listen_key"] != self._listen_key:
            return _err(-1125, "This listenKey does not exist.")
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        self._streams.add(ws)
        self.stream_connections += 1
        try:
            async for _ in ws:
                pass  # клієнт нічого не надсилає
        finally:
            self._streams.discard(ws)
        return ws

    async def _emit(self, order: SimOrder, execution: str, fill: Mapping[str, Any] | None = None) -> None:
        """ORDER_TRADE_UPDATE усім з'єднанням потоку користувача."""
        if not self._streams:
            return
        now = self.clock()
        body: dict[str, Any] = {
            "s": order.symbol, "c": order.client_id, "S": order.side, "o": order.order_type,
            "ot": order.order_type, "f": "GTC", "q": _num(order.quantity), "p": _num(order.price),
            "ap": f"{order.avg_price:.8f}", "sp": _num(order.stop_price), "x": execution,
            "X": order.status, "i": order.order_id, "l": "0", "z": _num(order.executed_qty),
            "L": "0", "N": "USDT", "n": "0", "T": now, "t": 0, "R": order.reduce_only,
            "cp": order.close_position, "ps": "BOTH",
        }  # fmt: skip
        if fill is not None:
            body.update({"l": f"{fill['qty']}", "L": f"{fill['price']}", "n": f"{fill['commission']}",
                         "t": fill["id"], "T": fill["time"]})  # fmt: skip
        payload = orjson.dumps({"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": body}).decode()
        copies = 2 if fill is not None and self._take("duplicate_fills") else 1
        for ws in list(self._streams):
            for _ in range(copies):
                try:
                    await ws.send_str(payload)
                    self.events_sent += 1
                except (ConnectionError, RuntimeError):
                    self._streams.discard(ws)

    # ── Рушій ──
    async def _fill(
        self, order: SimOrder, market_price: float, *, taker: bool, at: float | None = None
    ) -> None:
        """Виконує залишок заявки за `at` (стоп/ліміт) або ринковою ціною з прослизанням."""
        pos = self.account.positions.setdefault(order.symbol, SimPosition())
        direction = 1.0 if order.side == "BUY" else -1.0
        qty = order.quantity - order.executed_qty
        if order.reduce_only:
            # зменшує лише протилежну позицію; closePosition — усю
            closable = abs(pos.amount) if pos.amount * direction < 0 else 0.0
            qty = closable if order.close_position else min(qty, closable)
            if qty <= 0:
                order.status = "EXPIRED"
                order.update_ms = self.clock()
                await self._emit(order, "EXPIRED")
                return
        base = at if at is not None else market_price
        price = base * (1.0 + direction * self.slippage) if taker else base
        fee = qty * price * (self.taker_fee if taker else self.maker_fee)
        new_amount = pos.amount + direction * qty
        if pos.amount * direction >= 0:  # відкриття чи збільшення
            total = abs(pos.amount) + qty
            pos.entry_price = (abs(pos.amount) * pos.entry_price + qty * price) / total if total else 0.0
        else:  # зменшення
            closed = min(qty, abs(pos.amount))
            self.account.wallet += (price - pos.entry_price) * closed * (1.0 if pos.amount > 0 else -1.0)
            if abs(new_amount) < 1e-12:
                new_amount, pos.entry_price = 0.0, 0.0
        pos.amount = round(new_amount, 12)
        self.account.wallet -= fee
        if order.close_position:
            order.quantity = qty
        order.executed_qty += qty
        order.cum_quote += qty * price
        order.status = "FILLED"
        order.update_ms = self.clock()
        trade = {
            "symbol": order.symbol, "id": next(self._trade_ids), "orderId": order.order_id,
            "side": order.side, "price": f"{price:.8f}", "qty": _num(qty),
            "commission": f"{fee:.8f}", "commissionAsset": "USDT", "time": order.update_ms,
            "realizedPnl": "0", "maker": not taker, "buyer": order.side == "BUY",
        }  # fmt: skip
        self.account.trades.append(trade)
        self.fills += 1
        await self._emit(order, "TRADE", {**trade, "price": trade["price"], "qty": trade["qty"]})

    @staticmethod
    def _triggered(order: SimOrder, low: float, high: float) -> bool:
        stop = order.stop_price
        if order.order_type == "STOP_MARKET":
            return low <= stop if order.side == "SELL" else high >= stop
        if order.order_type == "TAKE_PROFIT_MARKET":
            return high >= stop if order.side == "SELL" else low <= stop
        if order.order_type == "LIMIT":
            return low <= order.price if order.side == "BUY" else high >= order.price
        return False

    def _range(self, symbol: str) -> tuple[float, float, float] | None:
        """(ціна, низ, верх) шляху ціни з попередньої перевірки."""
        now = self.clock()
        st = self.market.state(symbol, now)
        if st is None:
            return None
        o, h, low, c = self.market.partial(symbol, st)[:4]
        prev = self._watch.get(symbol)
        self._watch[symbol] = _Watch(st.index, st.k, c, low, h)
        if prev is None:
            return c, c, c
        lo, hi = min(prev.price, c), max(prev.price, c)
        if prev.index == st.index:
            if low < prev.low:
                lo = min(lo, low)
            if h > prev.high:
                hi = max(hi, h)
        else:
            full = self.market.partial(symbol, type(st)(prev.index, self.market.updates))
            if prev.k < self.market.updates:
                lo, hi = min(lo, full[2]), max(hi, full[1])
            lo, hi = min(lo, low, o), max(hi, h, o)
        return c, lo, hi

    async def match_once(self) -> None:
        """Одна перевірка відкритих заявок за шляхом ціни з попередньої перевірки."""
        open_orders = [o for o in self.account.orders.values() if o.status in _OPEN]
        symbols = {o.symbol for o in open_orders}
        ranges = {s: r for s in symbols if (r := self._range(s)) is not None}
        for s in set(self._watch) - symbols:
            del self._watch[s]  # без заявок — новий відлік із наступної
        for order in open_orders:
            span = ranges.get(order.symbol)
            if span is None or order.status not in _OPEN:
                continue
            price, lo, hi = span
            if self._triggered(order, lo, hi):
                level = order.price if order.order_type == "LIMIT" else order.stop_price
                await self._fill(order, price, taker=order.order_type != "LIMIT", at=level)

    async def _match_loop(self) -> None:
        while True:
            try:
                await self.match_once()
            except Exception:
                logger.exception("sim matching failed", extra=log_ctx("sim"))  # рушій не має зупинятися
            await asyncio.sleep(self.match_interval)


__all__ = ["SIM_API_KEY", "SIM_API_SECRET", "SimAccount", "SimOrder", "SimPosition", "SimTrading"]
