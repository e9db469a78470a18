"""Підписаний торговий клієнт Binance USDⓈ-M поверх `BinanceRestClient` (його сесія, бюджет ваги, бан).

Захисти:
- кожен запит підписано HMAC-SHA256 з `timestamp` (час сервера за зсувом клієнта) і `recvWindow`;
  -1021 (час поза вікном) → новий `sync_time()` і повтор (такий запит біржа не виконала);
- заявка має детермінований `newClientOrderId`; тайм-аут чи 5xx після відправки означають
  «невідомо, чи прийнято» — спершу запит за client id, і лише якщо заявки немає, повтор з тим
  самим id (дубль біржа відхилить кодом -4116, і ми знову читаємо наявну). Двох заявок не буде;
- читання й скасування (ідемпотентні) повторюються на тайм-аут і 5xx.
Ключ і секрет — `SecretStr`; у журнал не потрапляють ні вони, ні підпис.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import SecretStr

from aione.config.config import EXECUTION_ORDER_RETRIES, EXECUTION_ORDER_TIMEOUT_SEC, EXECUTION_RECV_WINDOW_MS
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.errors import RequestRejectedError, TransientError
from aione.execution.filters import SymbolFilters, parse_exchange_filters
from aione.execution.model import OrderIntent, OrderState
from aione.execution.signing import encode_params, format_number, signed_query
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)

# ── Ендпоінти USDⓈ-M ──
UM_TRADING_PATHS: Mapping[str, str] = {
    "order": "/fapi/v1/order",
    "open_orders": "/fapi/v1/openOrders",
    "all_open_orders": "/fapi/v1/allOpenOrders",
    "user_trades": "/fapi/v1/userTrades",
    "position_risk": "/fapi/v2/positionRisk",
    "balance": "/fapi/v2/balance",
    "leverage": "/fapi/v1/leverage",
    "margin_type": "/fapi/v1/marginType",
    "listen_key": "/fapi/v1/listenKey",
    "exchange_info": "/fapi/v1/exchangeInfo",
}
API_KEY_HEADER = "X-MBX-APIKEY"
# Коди помилок Binance, які клієнт розуміє.
CODE_TIMESTAMP = -1021  # timestamp поза recvWindow
CODE_NO_SUCH_ORDER = -2013  # заявки не існує (запит)
CODE_UNKNOWN_ORDER = -2011  # заявки не існує (скасування)
CODE_DUPLICATE_CLIENT_ID = -4116  # client id уже є серед заявок
CODE_MARGIN_UNCHANGED = -4046  # тип маржі вже такий
CODE_INSUFFICIENT_MARGIN = -2019


class AmbiguousOrderError(TransientError):
    """Після всіх спроб невідомо, чи прийнято заявку: викликач мусить звірити стан з біржею."""


@dataclass(frozen=True, slots=True)
class Position:
    """Позиція (one-way): `amount` > 0 — лонг, < 0 — шорт."""

    symbol: str
    amount: float
    entry_price: float
    mark_price: float
    unrealized_pnl: float


@dataclass(frozen=True, slots=True)
class UserTrade:
    """Одне виконання з `userTrades` (для відновлення виконань, пропущених потоком)."""

    symbol: str
    trade_id: int
    order_id: int
    side: str
    price: float
    qty: float
    commission: float
    time_ms: int


def parse_order(data: Mapping[str, Any]) -> OrderState:
    """Відповідь REST заявки → `OrderState`."""
    return OrderState(
        symbol=str(data["symbol"]),
        order_id=int(data["orderId"]),
        client_id=str(data.get("clientOrderId", "")),
        side=data["side"],
        order_type=str(data.get("origType") or data.get("type")),
        status=str(data["status"]),
        quantity=float(data.get("origQty") or 0),
        executed_qty=float(data.get("executedQty") or 0),
        avg_price=float(data.get("avgPrice") or 0),
        stop_price=float(data.get("stopPrice") or 0),
        reduce_only=bool(data.get("reduceOnly", False)),
        close_position=bool(data.get("closePosition", False)),
        update_ms=int(data.get("updateTime") or data.get("time") or 0),
    )


# ── Клієнт ──
class BinanceTradingClient:
    """Торгові виклики USDⓈ-M (див. докстрінг модуля)."""

    def __init__(
        self,
        rest: BinanceRestClient,
        api_key: SecretStr,
        api_secret: SecretStr,
        *,
        recv_window_ms: int = EXECUTION_RECV_WINDOW_MS,
        timeout: float = EXECUTION_ORDER_TIMEOUT_SEC,
        retries: int = EXECUTION_ORDER_RETRIES,
        retry_pause: float = 0.05,
        paths: Mapping[str, str] = UM_TRADING_PATHS,
    ) -> None:
        self.rest = rest
        self._key = api_key
        self._secret = api_secret
        self.recv_window_ms = recv_window_ms
        self.timeout = timeout
        self.retries = retries
        self.retry_pause = retry_pause
        self.paths = dict(paths)
        # Лічильники (для тестів і метрик).
        self.orders_sent = 0
        self.order_lookups = 0  # запити за client id після невизначеної відповіді
        self.time_resyncs = 0

    def __repr__(self) -> str:  # ключі не мають потрапити в repr/журнал
        return f"BinanceTradingClient(base_url={self.rest.base_url!r}, key=***)"

    # ── Транспорт ──
    async def _send(
        self, method: str, name: str, params: Mapping[str, object], *, signed: bool = True, weight: int = 1
    ) -> tuple[int, bytes]:
        path = self.paths[name]
        if signed:
            full = {**params, "recvWindow": self.recv_window_ms, "timestamp": self.rest.server_now()}
            query = signed_query(full, self._secret)
        else:
            query = encode_params(params)
        headers = {API_KEY_HEADER: self._key.get_secret_value()}
        status, _, body = await self.rest.request_once(method, path, query, headers, weight, self.timeout)
        return status, body

    async def _call(
        self,
        method: str,
        name: str,
        params: Mapping[str, object],
        *,
        signed: bool = True,
        weight: int = 1,
        retry_unknown: bool = True,
    ) -> Any:
        """Запит з повтором -1021 (завжди) і тайм-аутів/5xx (лише `retry_unknown`, для ідемпотентних)."""
        path = self.paths[name]
        attempt = 0
        while True:
            status, body = await self._send(method, name, params, signed=signed, weight=weight)
            if status == 200:
                return orjson.loads(body) if body else {}
            if status == 0 or status >= 500:
                attempt += 1
                reason = "timeout or connection failure" if status == 0 else f"HTTP {status}"
                if not retry_unknown or attempt > self.retries:
                    raise (
                        AmbiguousOrderError(path, reason)
                        if not retry_unknown
                        else TransientError(path, reason)
                    )
                await asyncio.sleep(self.retry_pause * attempt)
                continue
            error = _rejection(path, status, body)
            if error.code == CODE_TIMESTAMP and attempt < self.retries:
                attempt += 1
                self.time_resyncs += 1
                logger.warning(
                    "timestamp outside recvWindow on %s: re-syncing the clock", path, extra=log_ctx("exec")
                )
                await self.rest.sync_time()
                continue
            raise error

    # ── Заявки ──
    def _order_params(self, intent: OrderIntent) -> dict[str, object]:
        params: dict[str, object] = {
            "symbol": intent.symbol,
            "side": intent.side,
            "type": intent.order_type,
            "newClientOrderId": intent.client_id,
            "newOrderRespType": "RESULT",
        }
        if intent.close_position:
            params["closePosition"] = True
        else:
            if intent.quantity is not None:
                params["quantity"] = format_number(intent.quantity)
            if intent.reduce_only:
                params["reduceOnly"] = True
        if intent.order_type == "LIMIT":
            params["timeInForce"] = "GTC"
            params["price"] = intent.price
        if intent.stop_price is not None:
            params["stopPrice"] = intent.stop_price
            params["workingType"] = "MARK_PRICE"
        return params

    async def place_order(self, intent: OrderIntent) -> OrderState:
        """Нова заявка, ідемпотентно за `client_id` (див. докстрінг модуля)."""
        params = self._order_params(intent)
        attempts = 0
        while True:
            attempts += 1
            self.orders_sent += 1
            try:
                data = await self._call("POST", "order", params, retry_unknown=False)
                return parse_order(data)
            except AmbiguousOrderError as exc:
                # Заявка могла дійти: спершу питаємо біржу за нашим id.
                self.order_lookups += 1
                found = await self.query_order(intent.symbol, intent.client_id)
                if found is not None:
                    logger.info(
                        "order %s was accepted despite %s: using it, no resend",
                        intent.client_id,
                        exc.reason,
                        extra=log_ctx("exec", intent.symbol),
                    )
                    return found
                if attempts > self.retries:
                    raise
                logger.warning(
                    "order %s not found after %s: resending the same id",
                    intent.client_id,
                    exc.reason,
                    extra=log_ctx("exec", intent.symbol),
                )
                await asyncio.sleep(self.retry_pause * attempts)
            except RequestRejectedError as exc:
                if exc.code != CODE_DUPLICATE_CLIENT_ID:
                    raise
                found = await self.query_order(intent.symbol, intent.client_id)
                if found is None:
                    raise
                return found

    async def query_order(self, symbol: str, client_id: str) -> OrderState | None:
        """Заявка за client id або None, якщо біржа її не знає."""
        try:
            data = await self._call("GET", "order", {"symbol": symbol, "origClientOrderId": client_id})
        except RequestRejectedError as exc:
            if exc.code == CODE_NO_SUCH_ORDER:
                return None
            raise
        return parse_order(data)

    async def cancel_order(self, symbol: str, client_id: str) -> OrderState | None:
        """Скасовує заявку; None — її вже немає (виконана, скасована чи не існувала)."""
        try:
            data = await self._call("DELETE", "order", {"symbol": symbol, "origClientOrderId": client_id})
        except RequestRejectedError as exc:
            if exc.code in (CODE_UNKNOWN_ORDER, CODE_NO_SUCH_ORDER):
                return None
            raise
        return parse_order(data)

    async def cancel_all(self, symbol: str) -> None:
        """Скасовує всі відкриті заявки символу."""
        await self._call("DELETE", "all_open_orders", {"symbol": symbol})

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Відкриті заявки (символу або всі: вага 40)."""
        params = {"symbol": symbol} if symbol else {}
        data = await self._call("GET", "open_orders", params, weight=1 if symbol else 40)
        return [parse_order(item) for item in data]

    async def user_trades(self, symbol: str, order_id: int) -> list[UserTrade]:
        """Виконання заявки (для відновлення пропущених потоком)."""
        data = await self._call("GET", "user_trades", {"symbol": symbol, "orderId": order_id}, weight=5)
        return [
            UserTrade(
                symbol=str(item["symbol"]),
                trade_id=int(item["id"]),
                order_id=int(item["orderId"]),
                side=str(item["side"]),
                price=float(item["price"]),
                qty=float(item["qty"]),
                commission=float(item.get("commission") or 0),
                time_ms=int(item.get("time") or 0),
            )
            for item in data
        ]

    async def exchange_filters(self) -> dict[str, SymbolFilters]:
        """Фільтри заявок усіх символів (exchangeInfo, без підпису)."""
        data = await self._call("GET", "exchange_info", {}, signed=False)
        return parse_exchange_filters(data)

    # ── Рахунок ──
    async def positions(self) -> list[Position]:
        """Ненульові позиції."""
        data = await self._call("GET", "position_risk", {}, weight=5)
        out = []
        for item in data:
            amount = float(item.get("positionAmt") or 0)
            if amount:
                out.append(
                    Position(
                        symbol=str(item["symbol"]),
                        amount=amount,
                        entry_price=float(item.get("entryPrice") or 0),
                        mark_price=float(item.get("markPrice") or 0),
                        unrealized_pnl=float(item.get("unRealizedProfit") or 0),
                    )
                )
        return out

    async def balance(self, asset: str = "USDT") -> float:
        """Доступний баланс активу."""
        data = await self._call("GET", "balance", {}, weight=5)
        for item in data:
            if item.get("asset") == asset:
                return float(item.get("availableBalance") or item.get("balance") or 0)
        return 0.0

    async def set_leverage(self, symbol: str, leverage: int) -> None:
        await self._call("POST", "leverage", {"symbol": symbol, "leverage": leverage})

    async def set_margin_type(self, symbol: str, margin_type: str) -> None:
        try:
            await self._call("POST", "margin_type", {"symbol": symbol, "marginType": margin_type})
        except RequestRejectedError as exc:
            if exc.code != CODE_MARGIN_UNCHANGED:
                raise

    # ── Потік користувача ──
    async def new_listen_key(self) -> str:
        data = await self._call("POST", "listen_key", {}, signed=False)
        return str(data["listenKey"])

    async def keepalive_listen_key(self) -> None:
        await self._call("PUT", "listen_key", {}, signed=False)

    async def close_listen_key(self) -> None:
        await self._call("DELETE", "listen_key", {}, signed=False)


def _rejection(path: str, status: int, body: bytes) -> RequestRejectedError:
    code: int | None = None
    message = body[:200].decode("utf-8", "replace")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        raw = data.get("code")
        code = raw if isinstance(raw, int) else None
        message = str(data.get("msg", message))
    return RequestRejectedError(path, status, code, message)


__all__ = [
    "API_KEY_HEADER",
    "CODE_DUPLICATE_CLIENT_ID",
    "CODE_INSUFFICIENT_MARGIN",
    "CODE_NO_SUCH_ORDER",
    "CODE_TIMESTAMP",
    "UM_TRADING_PATHS",
    "AmbiguousOrderError",
    "BinanceTradingClient",
    "Position",
    "UserTrade",
    "parse_order",
]
