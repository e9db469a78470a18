"""Публікація через справжній Redis: знімок для пізнього споживача, загоєння пропусків,
відкидання хибних кадрів, переживання перезапуску Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import lz4.frame
import pytest
import redis.asyncio as aioredis

from aione.config.config import MAX_FRAME_BYTES, REDIS_SNAPSHOT_TTL, STATE_SCHEMA_VERSION
from aione.data.redis_keys import STATE_CHANNEL, STATE_SNAPSHOT_KEY
from aione.data.ws_worker import StateBus, StatePublisher, decode_frame, encode_frame
from aione.metrics import MetricsCollector
from aione.ui.ui_consumer import TerminalUI, redis_source

pytestmark = pytest.mark.redis
T0 = 1_748_000_000_000


def frame(seq: int, price: float = 100.0) -> dict[str, Any]:
    return {
        "schema_version": STATE_SCHEMA_VERSION,
        "seq": seq,
        "ts": T0 + seq * 1000,
        "assets": [{"symbol": "SOLUSDT", "tick_size": 0.01, "price": price, "updated_ts": T0 + seq * 1000}],
        "counters": {"assets": 1},
    }


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Чекає, доки умова стане істинною (без фіксованих пауз у перевірках)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    conn = aioredis.from_url(redis_url)
    yield conn
    await conn.aclose()


async def following(ui: TerminalUI) -> asyncio.Task[None]:
    task = asyncio.create_task(ui.follow())
    await eventually(lambda: getattr(ui.source, "connects", 0) >= 1)
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_late_consumer_restores_from_snapshot(redis_url: str, client: aioredis.Redis) -> None:
    publisher = StatePublisher(redis_url, None, min_interval_ms=0)
    for seq in (1, 2, 3):
        assert await publisher.publish(frame(seq, price=100.0 + seq))
    ttl = await client.ttl(STATE_SNAPSHOT_KEY)
    assert 0 < ttl <= REDIS_SNAPSHOT_TTL
    assert decode_frame(await client.get(STATE_SNAPSHOT_KEY))["seq"] == 3
    ui = TerminalUI(redis_source(redis_url))
    task = asyncio.create_task(ui.follow())
    try:
        await eventually(lambda: ui.frame is not None)
        assert ui.frame is not None and ui.frame["seq"] == 3 and ui.frame["assets"][0]["price"] == 103.0
        await publisher.publish(frame(4))
        await eventually(lambda: ui.frame is not None and ui.frame["seq"] == 4)
    finally:
        await stop(task)
        await publisher.aclose()


async def test_dropped_messages_are_detected_and_healed(redis_url: str, client: aioredis.Redis) -> None:
    publisher = StatePublisher(redis_url, None, min_interval_ms=0)
    ui = TerminalUI(redis_source(redis_url))
    task = await following(ui)
    try:
        await publisher.publish(frame(1))
        await eventually(lambda: ui.frame is not None and ui.frame["seq"] == 1)
        # Повідомлення 2 «загубилось»; знімок уже містить новіший кадр 4, а канал приносить 3.
        await client.set(STATE_SNAPSHOT_KEY, encode_frame(frame(4, price=104.0)), ex=REDIS_SNAPSHOT_TTL)
        await client.publish(STATE_CHANNEL, encode_frame(frame(3, price=103.0)))
        await eventually(lambda: ui.frame is not None and ui.frame["seq"] == 4)
        assert ui.source.gaps == 1  # type: ignore[attr-defined]
        assert ui.frame is not None and ui.frame["assets"][0]["price"] == 104.0
        assert ui.frames == 2  # кадр 3 не показано: знімок новіший
    finally:
        await stop(task)
        await publisher.aclose()


async def test_corrupt_and_oversized_payloads_are_rejected(redis_url: str, client: aioredis.Redis) -> None:
    ui = TerminalUI(redis_source(redis_url))
    task = await following(ui)
    try:
        bomb = lz4.frame.compress(b" " * (MAX_FRAME_BYTES + 1), store_size=True)
        for payload in (b"\x00garbage", bomb, lz4.frame.compress(b'{"seq": "x"}')):
            await client.publish(STATE_CHANNEL, payload)
        await client.publish(STATE_CHANNEL, encode_frame(frame(1)))
        await eventually(lambda: ui.frame is not None)
        assert ui.frame is not None and ui.frame["seq"] == 1 and ui.frames == 1
        assert ui.source.bad_payloads == 3  # type: ignore[attr-defined]
        assert not task.done()
    finally:
        await stop(task)


async def test_publisher_and_consumer_survive_redis_restart(redis_server: Any) -> None:
    metrics = MetricsCollector()
    bus = StateBus()
    publisher = StatePublisher(redis_server.url, bus, min_interval_ms=0, metrics=metrics)
    ui = TerminalUI(redis_source(redis_server.url))
    task = await following(ui)
    try:
        await publisher.publish(frame(1))
        await eventually(lambda: ui.frame is not None and ui.frame["seq"] == 1)
        redis_server.kill()
        assert await publisher.publish(frame(2))  # Redis лежить — шина все одно отримує кадр
        assert bus.snapshot is not None and bus.snapshot["seq"] == 2
        assert metrics.registry.get_sample_value("redis_errors_total") == 1
        redis_server.start()
        await eventually(lambda: ui.source.connects >= 2)  # type: ignore[attr-defined]
        assert await publisher.publish(frame(3))
        await eventually(lambda: ui.frame is not None and ui.frame["seq"] == 3)
        assert publisher.redis_failures == 1
    finally:
        await stop(task)
        await publisher.aclose()
