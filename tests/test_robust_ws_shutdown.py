"""Зупинка WS-клієнта закриває його aiohttp-сесію до повернення з `stop()` (без «Unclosed client session»)."""

from __future__ import annotations

import asyncio

from aione.data.bars import BarEvent
from aione.exchange.binance_ws import BinanceWsClient
from tests.redis_server import free_port
from tests.test_exchange_ws_client import StubRest, _eventually


async def test_stop_returns_only_after_the_session_is_closed() -> None:
    sink: list[BarEvent] = []
    ws = BinanceWsClient(f"ws://127.0.0.1:{free_port()}", StubRest({}), sink.append)  # type: ignore[arg-type]
    await ws.set_symbols(["BTCUSDT"])
    run = asyncio.create_task(ws.run())
    await _eventually(lambda: ws._session is not None)  # шард пробує з'єднатися (порт закритий)
    session = ws._session
    await ws.stop()
    # Конвеєр скасовує задачу `run` одразу після `stop()` (`TaskSupervisor.stop`): сесія вже має
    # бути закрита, інакше скасування посеред закриття лишає її відкритою.
    assert session is not None and session.closed
    assert ws._session is None
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
