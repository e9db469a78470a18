"""Запуск веб-панелі: сервер на хості/порту (0 → вільний порт) і режим `aione web --redis URL`."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from aiohttp import web

from aione.data.ws_worker import make_redis_client
from aione.logging_setup import get_logger, log_ctx
from aione.ui.web.bars_provider import BarsProvider, RedisBarsProvider
from aione.ui.web.redis_source import RedisFrameSource
from aione.ui.web.server import allow_bound_host, create_web_app

logger = get_logger(__name__)


# ── Сервер ──
class WebRunner(web.AppRunner):
    """`AppRunner`, який знає фактичну адресу після старту (важливо для порту 0)."""

    host: str = "127.0.0.1"
    port: int = 0

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


async def start_web_server(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> WebRunner:
    """Запускає `app` на `host:port`; повертає runner з фактичним `.port` і `.url`. Зупинка — `cleanup()`."""
    allow_bound_host(app, host)  # Host-заголовок: адреса сервера дозволена; 0.0.0.0 — попередження
    runner = WebRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    address = runner.addresses[0]
    runner.host, runner.port = str(address[0]), int(address[1])
    logger.info("web_started url=%s", runner.url, extra=log_ctx("web"))
    return runner


# ── Режим Redis ──
async def run_web(
    redis_url: str,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    bars: BarsProvider | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Панель над Redis: знімок + канал стану, бари графіка — з ключів сховища в тому ж Redis
    (або з `bars`). Працює до `stop`; без `stop` — до SIGINT/SIGTERM (охайна зупинка)."""
    installed: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
    client = make_redis_client(redis_url) if bars is None else None
    source = RedisFrameSource(redis_url)
    try:
        runner = await start_web_server(create_web_app(source, bars or RedisBarsProvider(client)), host, port)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            logger.info("web_stopped", extra=log_ctx("web"))
    finally:
        if client is not None:
            await client.aclose()
        for sig in installed:
            asyncio.get_running_loop().remove_signal_handler(sig)


__all__ = ["WebRunner", "run_web", "start_web_server"]
