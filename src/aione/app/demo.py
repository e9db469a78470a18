"""`aione demo`: та сама програма, що й `aione run`, але офлайн — симулятор Binance на 127.0.0.1
над вбудованим зразком справжніх записаних барів, з віртуальним годинником обраної швидкості."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

from aione.app.main import RunOptions, RunReport, run_pipeline
from aione.config.config import DEMO_SPEED, PREFILTER_BASE_PARAMS
from aione.exchange.simulator import BinanceSimulator
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)
# У демо лише шість символів: фільтр |зміни за 24 год| вимкнено (SPEC дозволяє), щоб тихий, але
# ліквідний символ зразка теж був під наглядом.
DEMO_PREFILTER_PARAMS = PREFILTER_BASE_PARAMS.model_copy(update={"use_price_change": False})


def sample_data_dir() -> Path:
    """Каталог вбудованого зразка даних (у пакеті)."""
    return Path(str(files("aione") / "sample_data" / "binance-um-1m"))


async def run_demo(
    opts: RunOptions,
    *,
    data_dir: Path | None = None,
    speed: float = DEMO_SPEED,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> RunReport:
    """Піднімає симулятор, запускає конвеєр проти нього, зупиняє обидва."""
    sim = BinanceSimulator(data_dir or sample_data_dir(), speed=speed, market="um")
    await sim.start()
    logger.info("simulator at %s (speed x%g)", sim.rest_url, speed, extra=log_ctx("demo"))
    try:
        return await run_pipeline(
            replace(opts, rest_url=sim.rest_url, ws_url=sim.ws_url, clock=sim.clock, mode="demo", speed=speed),
            stop,
            ready,
        )
    finally:
        await sim.stop()


__all__ = ["DEMO_PREFILTER_PARAMS", "DEMO_SPEED", "run_demo", "sample_data_dir"]
