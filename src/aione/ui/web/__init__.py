"""Веб-панель AiOne: aiohttp-сервер лише для читання, кадри стану в браузер по WebSocket."""

from aione.ui.web.bars_provider import (
    BarsProvider,
    MappingBarsProvider,
    RedisBarsProvider,
    StoreBarsProvider,
    bars_to_records,
)
from aione.ui.web.bus_source import StateBusSource
from aione.ui.web.hub import FrameHub, FrameSource
from aione.ui.web.redis_source import RedisFrameSource
from aione.ui.web.runner import WebRunner, run_web, start_web_server
from aione.ui.web.server import create_web_app

__all__ = [
    "BarsProvider",
    "FrameHub",
    "FrameSource",
    "MappingBarsProvider",
    "RedisBarsProvider",
    "RedisFrameSource",
    "StateBusSource",
    "StoreBarsProvider",
    "WebRunner",
    "bars_to_records",
    "create_web_app",
    "run_web",
    "start_web_server",
]
