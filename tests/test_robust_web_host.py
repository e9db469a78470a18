"""Веб-панель перевіряє заголовок Host (DNS rebinding) і попереджає про 0.0.0.0 один раз."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from aione.ui.web import create_web_app, start_web_server
from aione.ui.web.server import HOSTS_KEY, host_allowed
from tests.web_helpers import QueueFrameSource


async def _status(url: str, host: str | None) -> int:
    headers = {"Host": host} if host is not None else {}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status


async def test_foreign_host_header_is_refused_loopback_and_bound_host_pass() -> None:
    app = create_web_app(QueueFrameSource())
    runner = await start_web_server(app, "127.0.0.1", 0)
    try:
        url = f"{runner.url}/healthz"
        assert await _status(url, None) == 200  # aiohttp ставить 127.0.0.1:порт
        assert await _status(url, f"localhost:{runner.port}") == 200
        assert await _status(url, "evil.example:80") == 421  # ім'я чужого сайту, що вказує на нас
        assert await _status(url, "192.168.1.7") == 421  # слухаємо лише loopback
        assert await _status(f"{runner.url}/ws", "evil.example") == 421
    finally:
        await runner.cleanup()


async def test_all_interfaces_warns_once_and_allows_ip_but_not_names(caplog: pytest.LogCaptureFixture) -> None:
    app = create_web_app(QueueFrameSource())
    with caplog.at_level(logging.WARNING):
        runner = await start_web_server(app, "0.0.0.0", 0)
    try:
        warnings = [r for r in caplog.records if "all interfaces" in r.getMessage()]
        assert len(warnings) == 1
        allowed = app[HOSTS_KEY]
        assert host_allowed("192.168.1.7:8080", allowed) and host_allowed("[::1]:8080", allowed)
        assert not host_allowed("evil.example:8080", allowed)
        assert await _status(f"http://127.0.0.1:{runner.port}/healthz", "evil.example") == 421
    finally:
        await runner.cleanup()
