"""Веб-панель AiOne: aiohttp-сервер лише для читання, кадри стану в браузер по WebSocket."""

from aione.ui.web.bars_provider import BarsProvider, MappingBarsProvider, StoreBarsProvider, bars_to_records
from aione.ui.web.hub import FrameHub, FrameSource
from aione.ui.web.redis_source import RedisFrameSource
from aione.ui.web.runner import WebRunner, run_web, start_web_server
from aione.ui.web.server import create_web_app

__all__ = [
    "BarsProvider",
    "FrameHub",
    "FrameSource",
    "MappingBarsProvider",
    "RedisFrameSource",
    "StoreBarsProvider",
    "WebRunner",
    "bars_to_records",
    "create_web_app",
    "run_web",
    "start_web_server",
]
