"""Веб-панель над Redis: знімок, потім канал; пропуски seq, зіпсовані payload, перезапуск Redis,
`run_web` з барами, які записало сховище конвеєра."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from aione.data.bars import read_bars_parquet
from aione.data.redis_keys import STATE_CHANNEL, STATE_SNAPSHOT_KEY
from aione.data.unified_store import UnifiedDataStore
from aione.data.ws_worker import StatePublisher, encode_frame
from aione.ui.web import RedisFrameSource
from aione.ui.web.runner import run_web
from tests.redis_server import RedisServer, free_port
from tests.web_helpers import eventually

pytestmark = pytest.mark.redis


def _frame(seq: int, price: float = 100.0) -> dict[str, Any]:
    asset = {"symbol": "BTCUSDT", "price": price, "tick_size": 0.1}
    return {
        "schema_version": 1,
        "seq": seq,
        "ts": 1_748_000_000_000 + seq * 1000,
        "assets": [asset],
        "counters": {},
    }


class Collector:
    """Читає джерело у фоні й складає кадри в список."""

    def __init__(self, source: RedisFrameSource) -> None:
        self.frames: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._run(source))

    async def _run(self, source: RedisFrameSource) -> None:
        async for frame in source:
            self.frames.append(dict(frame))

    @property
    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames]

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    c = aioredis.from_url(redis_url)
    yield c
    await c.aclose()


async def test_snapshot_first_then_published_frames(redis_url: str) -> None:
    publisher = StatePublisher(redis_url)
    await publisher.publish(_frame(1), force=True)
    source = RedisFrameSource(redis_url)
    collector = Collector(source)
    try:
        await eventually(lambda: collector.seqs == [1])
        await publisher.publish(_frame(2, 101.25), force=True)
        await publisher.publish(_frame(3, 101.5), force=True)
        await eventually(lambda: collector.seqs == [1, 2, 3])
        assert collector.frames[1]["assets"][0]["price"] == 101.2  # кодек видавця округлив до тіку
        assert source.connects == 1 and source.gaps == 0
    finally:
        await collector.stop()
        await publisher.aclose()


async def test_stale_frames_dropped_and_gap_reloads_snapshot(redis_url: str, client: aioredis.Redis) -> None:
    await client.set(STATE_SNAPSHOT_KEY, encode_frame(_frame(10)))
    source = RedisFrameSource(redis_url)
    collector = Collector(source)
    try:
        await eventually(lambda: collector.seqs == [10])
        await client.publish(STATE_CHANNEL, encode_frame(_frame(9)))  # запізнілий
        await client.publish(STATE_CHANNEL, encode_frame(_frame(11)))
        await eventually(lambda: collector.seqs == [10, 11])
        # Кадри 12..14 «загубилися»: знімок уже має 15, а канал приносить 13 → береться знімок.
        await client.set(STATE_SNAPSHOT_KEY, encode_frame(_frame(15)))
        await client.publish(STATE_CHANNEL, encode_frame(_frame(13)))
        await eventually(lambda: collector.seqs == [10, 11, 15])
        assert source.gaps == 1
        await client.publish(STATE_CHANNEL, encode_frame(_frame(16)))
        await eventually(lambda: collector.seqs == [10, 11, 15, 16])
    finally:
        await collector.stop()


async def test_bad_payloads_are_counted_and_skipped(redis_url: str, client: aioredis.Redis) -> None:
    source = RedisFrameSource(redis_url)
    collector = Collector(source)
    try:
        await eventually(lambda: source.connects == 1)
        await client.publish(STATE_CHANNEL, b"not lz4 at all")
        await client.publish(STATE_CHANNEL, encode_frame(_frame(1)))
        await eventually(lambda: collector.seqs == [1])
        assert source.bad_payloads == 1
    finally:
        await collector.stop()


async def test_publisher_restart_with_lower_seq_is_followed(redis_url: str, client: aioredis.Redis) -> None:
    source = RedisFrameSource(redis_url)
    collector = Collector(source)
    try:
        await eventually(lambda: source.connects == 1)
        await client.publish(STATE_CHANNEL, encode_frame(_frame(500)))
        await eventually(lambda: collector.seqs == [500])
        restarted = {**_frame(1), "ts": _frame(600)["ts"]}  # seq з початку, але час новіший
        await client.publish(STATE_CHANNEL, encode_frame(restarted))
        await eventually(lambda: collector.seqs == [500, 1])
    finally:
        await collector.stop()


async def test_reconnects_after_redis_restart(redis_server: RedisServer) -> None:
    source = RedisFrameSource(redis_server.url, backoff_initial=0.05, backoff_max=0.5)
    collector = Collector(source)
    try:
        await eventually(lambda: source.connects == 1)
        redis_server.restart()
        c = aioredis.from_url(redis_server.url)
        try:
            await c.set(STATE_SNAPSHOT_KEY, encode_frame(_frame(2)))
            # Після перезапуску джерело саме підписується знову і бере знімок або канал.
            for seq in range(3, 500):
                await c.publish(STATE_CHANNEL, encode_frame(_frame(seq)))
                if collector.frames:
                    break
                await asyncio.sleep(0.05)
            await eventually(lambda: bool(collector.frames))
            assert collector.seqs == sorted(collector.seqs)
            assert source.connects == 2 and collector.seqs[0] == 2  # новий знімок після перепідключення
        finally:
            await c.aclose()
    finally:
        await collector.stop()


async def test_run_web_serves_redis_state_and_store_bars(redis_url: str, data_1m: Path) -> None:
    # Сховище конвеєра пише бари в Redis; панель в окремому «процесі» читає їх звідти.
    bars = read_bars_parquet(data_1m / "ETHUSDT.parquet").slice(0, 600)
    store = UnifiedDataStore(redis_url=redis_url)
    await store.start()
    store.put_bars("ETHUSDT", "1m", bars)
    assert await store.flush()
    await store.close()
    publisher = StatePublisher(redis_url)
    await publisher.publish(_frame(7), force=True)

    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_web(redis_url, "127.0.0.1", port, stop=stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def frame_seq() -> Any:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(base + "/api/frame") as resp:
                        if resp.status == 200:
                            return (await resp.json())["seq"]
                return None

            for _ in range(200):
                if await frame_seq() == 7:
                    break
                await asyncio.sleep(0.05)
            assert await frame_seq() == 7
            async with http.get(base + "/api/bars/ETHUSDT?n=100") as resp:
                body = await resp.json()
            assert [b["open_time"] for b in body["bars"]] == bars.open_time[-100:].tolist()
            assert body["bars"][-1]["close"] == float(bars.close[-1])
            async with http.get(base + "/api/bars/BTCUSDT?n=100") as resp:
                assert (await resp.json())["bars"] == []
            await publisher.publish(_frame(8), force=True)
            for _ in range(200):
                if await frame_seq() == 8:
                    break
                await asyncio.sleep(0.05)
            assert await frame_seq() == 8
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await publisher.aclose()
