"""Потік користувача Binance: listenKey (створення, keep-alive кожні 30 хв), WS, перепідключення.

Після кожного (пере)підключення викликається `on_connected(first)` — брокер звіряє стан і
добирає виконання, пропущені, поки потоку не було (REST `userTrades`), тож обрив не губить fill.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from aione.config.config import EXECUTION_LISTEN_KEY_KEEPALIVE_SEC, EXECUTION_STREAM_RECONNECT_SEC
from aione.exchange.errors import ExchangeError
from aione.execution.binance_trading import BinanceTradingClient
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """ORDER_TRADE_UPDATE, розібраний."""

    symbol: str
    client_id: str
    order_id: int
    side: str
    order_type: str
    execution: str  # NEW | TRADE | CANCELED | EXPIRED | …
    status: str
    last_qty: float
    last_price: float
    commission: float
    trade_id: int
    time_ms: int


def parse_order_update(msg: Mapping[str, Any]) -> OrderUpdate | None:
    """Подія потоку → `OrderUpdate` (інші події й зіпсовані — None)."""
    if msg.get("e") != "ORDER_TRADE_UPDATE":
        return None
    o = msg.get("o")
    if not isinstance(o, Mapping):
        return None
    try:
        return OrderUpdate(
            symbol=str(o["s"]), client_id=str(o["c"]), order_id=int(o["i"]), side=str(o["S"]),
            order_type=str(o.get("ot") or o.get("o")), execution=str(o["x"]), status=str(o["X"]),
            last_qty=float(o.get("l") or 0), last_price=float(o.get("L") or 0),
            commission=float(o.get("n") or 0), trade_id=int(o.get("t") or 0),
            time_ms=int(o.get("T") or msg.get("T") or 0),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None


class UserStream:
    """Підтримує з'єднання потоку користувача, поки його не зупинять."""

    def __init__(
        self,
        client: BinanceTradingClient,
        ws_url: str,
        on_update: Callable[[OrderUpdate], Awaitable[None]],
        on_connected: Callable[[bool], Awaitable[None]],
        *,
        keepalive_sec: float = EXECUTION_LISTEN_KEY_KEEPALIVE_SEC,
        backoff: tuple[float, float] = EXECUTION_STREAM_RECONNECT_SEC,
    ) -> None:
        self.client = client
        self.ws_url = ws_url.rstrip("/")
        self.on_update = on_update
        self.on_connected = on_connected
        self.keepalive_sec = keepalive_sec
        self.backoff = backoff
        self.connected = asyncio.Event()
        self.connections = 0
        self.keepalives = 0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        pause = self.backoff[0]
        keepalive = asyncio.create_task(self._keepalive(), name="listen-key-keepalive")
        try:
            async with aiohttp.ClientSession() as session:
                while not self._stop.is_set():
                    try:
                        key = await self.client.new_listen_key()
                        async with session.ws_connect(f"{self.ws_url}/ws/{key}", heartbeat=30.0) as ws:
                            self.connections += 1
                            self.connected.set()
                            pause = self.backoff[0]
                            await self.on_connected(self.connections == 1)
                            async for msg in ws:
                                if msg.type != aiohttp.WSMsgType.TEXT:
                                    break
                                update = parse_order_update(orjson.loads(msg.data))
                                if update is not None:
                                    await self.on_update(update)
                    except (
                        aiohttp.ClientError,
                        ExchangeError,
                        OSError,
                        TimeoutError,
                        orjson.JSONDecodeError,
                    ) as exc:
                        logger.warning(
                            "user stream down (%s): reconnecting", type(exc).__name__, extra=log_ctx("exec")
                        )
                    self.connected.clear()
                    if self._stop.is_set():
                        break
                    await asyncio.sleep(pause * random.uniform(0.5, 1.0))
                    pause = min(self.backoff[1], pause * 2)
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_sec)
            try:
                await self.client.keepalive_listen_key()
                self.keepalives += 1
            except ExchangeError as exc:
                logger.warning("listenKey keep-alive failed (%s)", type(exc).__name__, extra=log_ctx("exec"))

    def stop(self) -> None:
        self._stop.set()


__all__ = ["OrderUpdate", "UserStream", "parse_order_update"]
