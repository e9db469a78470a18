"""WS-клієнт читає без тайм-ауту на кожне повідомлення; тишу й вік з'єднання стереже окрема задача:
тиша довша за `silence_timeout` і вік понад `max_conn_age` закінчуються перепідключенням."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aione.app.demo import sample_data_dir
from aione.data.bars import BarEvent
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.simulator import BinanceSimulator

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


async def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _ignore(event: BarEvent) -> None:
    """Бари тут не перевіряються."""


async def test_silence_and_connection_age_reconnect() -> None:
    async with BinanceSimulator(sample_data_dir(), speed=60, symbols=SYMBOLS) as sim:
        async with BinanceRestClient(sim.rest_url, clock=sim.clock) as rest:
            quiet = BinanceWsClient(sim.ws_url, rest, _ignore, silence_timeout=0.5, backoff_base=0.05)
            aged = BinanceWsClient(sim.ws_url, rest, _ignore, max_conn_age=0.7, backoff_base=0.05)
            for ws in (quiet, aged):
                await ws.set_symbols(SYMBOLS)
            tasks = [asyncio.create_task(ws.run()) for ws in (quiet, aged)]
            try:
                await _until(lambda: quiet.messages > 0 and aged.messages > 0, 10, "first frames")
                assert quiet.reconnects == 0
                sim.stall(1.5)  # WS мовчить довше за silence_timeout
                await _until(lambda: quiet.reconnects >= 1, 10, "reconnect after silence")
                await _until(lambda: aged.reconnects >= 2, 10, "planned reconnects by age")
                before = quiet.messages
                await _until(lambda: quiet.messages > before, 10, "frames after the reconnect")
            finally:
                for ws in (quiet, aged):
                    await ws.stop()
                await asyncio.gather(*tasks)
