"""Redis-шар сховища на справжньому redis-server: write-behind, холодний старт, TTL, падіння Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest
import redis.asyncio as aioredis

from aione.config.config import INTERVAL_TTL_MAP, REDIS_CACHE_TTL, SymbolInfo
from aione.data import redis_keys
from aione.data.bar_codec import decode_bars
from aione.data.bars import BarArrays, BarEvent, read_bars_parquet
from aione.data.unified_store import UnifiedDataStore

pytestmark = pytest.mark.redis
T0 = 1_748_000_000_000
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


async def eventually(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Чекає, доки умова стане істинною (замість фіксованих пауз)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
def real_bars(data_1m: Path) -> dict[str, BarArrays]:
    return {s: read_bars_parquet(data_1m / f"{s}.parquet").slice(0, 1600) for s in SYMBOLS}


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    c = aioredis.from_url(redis_url)
    yield c
    await c.aclose()


def assert_same(a: BarArrays, b: BarArrays) -> None:
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y, equal_nan=True)  # NaN — невідомо


async def test_write_behind_then_fresh_store_restores(
    redis_url: str, real_bars: dict[str, BarArrays], client: aioredis.Redis
) -> None:
    store = UnifiedDataStore(redis_url=redis_url, flush_interval=0.05)
    await store.start()
    assert store.stats.redis_up
    for s, bars in real_bars.items():
        store.put_bars(s, "1m", bars.slice(0, 1440))
        store.put_bars(s, "1d", bars.slice(0, 5))  # будь-які коректні бари: перевіряється лише збереження
    store.set_symbol_info(SymbolInfo(symbol="ETHUSDT", tick_size=0.01, step_size=0.001))
    store.set_fast_symbols(["SOLUSDT"], source="manual", now_ms=T0)
    for i in range(1440, 1600):  # живі бари після preload
        assert store.apply(BarEvent("BTCUSDT", "1m", real_bars["BTCUSDT"].bar(i)))
    await eventually(lambda: store.stats.redis_pending == 0 and store.stats.redis_flushes > 0)
    blob = await client.get(redis_keys.bars_key("BTCUSDT", "1m"))
    assert blob is not None and decode_bars(blob).open_time[-1] == real_bars["BTCUSDT"].open_time[1599]

    fresh = UnifiedDataStore(redis_url=redis_url)
    await fresh.start()
    try:
        for s in SYMBOLS:
            for tf in ("1m", "1d"):
                assert_same(store.get_bars(s, tf), fresh.get_bars(s, tf))
        assert fresh.get_symbol_info("ETHUSDT") == store.get_symbol_info("ETHUSDT")
        assert "SOLUSDT" in fresh.get_fast_symbols(T0 + 1000)
        # щойно відновлене з Redis не переписується назад
        assert fresh.stats.redis_pending == 0
    finally:
        await fresh.close()
        await store.close()


async def test_ttls_follow_config(
    redis_url: str, real_bars: dict[str, BarArrays], client: aioredis.Redis
) -> None:
    store = UnifiedDataStore(redis_url=redis_url, capacity={"5m": 100})
    await store.start()
    store.put_bars("BTCUSDT", "1m", real_bars["BTCUSDT"].slice(0, 10))
    store.put_bars("BTCUSDT", "1d", real_bars["BTCUSDT"].slice(0, 3))
    store.put_bars("BTCUSDT", "5m", real_bars["BTCUSDT"].slice(0, 3))
    store.set_symbol_info(SymbolInfo(symbol="BTCUSDT", tick_size=0.1))
    assert await store.flush()
    for tf in ("1m", "1d", "5m"):
        ttl = await client.ttl(redis_keys.bars_key("BTCUSDT", tf))
        assert INTERVAL_TTL_MAP[tf] - 5 <= ttl <= INTERVAL_TTL_MAP[tf]
    assert REDIS_CACHE_TTL - 5 <= await client.ttl(redis_keys.meta_key("BTCUSDT")) <= REDIS_CACHE_TTL
    assert await client.ttl(redis_keys.BARS_INDEX_KEY) > 0
    members = {m.decode() for m in await client.smembers(redis_keys.BARS_INDEX_KEY)}
    assert members == {"BTCUSDT:1m", "BTCUSDT:1d", "BTCUSDT:5m"}
    await store.close()


async def test_redis_killed_mid_run_then_catches_up(redis_server, real_bars: dict[str, BarArrays]) -> None:  # type: ignore[no-untyped-def]
    btc = real_bars["BTCUSDT"]
    store = UnifiedDataStore(redis_url=redis_server.url, flush_interval=0.05, redis_retry_max=0.2)
    await store.start()
    store.set_symbol_info(SymbolInfo(symbol="BTCUSDT", tick_size=0.1))
    for i in range(100):
        store.apply(BarEvent("BTCUSDT", "1m", btc.bar(i)))
    await eventually(lambda: store.stats.redis_pending == 0 and store.stats.redis_flushes > 0)

    redis_server.kill()
    for i in range(100, 300):  # конвеєр не помічає падіння Redis
        assert store.apply(BarEvent("BTCUSDT", "1m", btc.bar(i)))
    await eventually(lambda: not store.stats.redis_up and store.stats.redis_errors > 0)
    assert store.stats.redis_pending >= 1
    errors_seen = store.stats.redis_errors
    await eventually(lambda: store.stats.redis_errors > errors_seen)  # повтори тривають
    for i in range(300, 400):
        assert store.apply(BarEvent("BTCUSDT", "1m", btc.bar(i)))
    assert np.array_equal(store.get_bars("BTCUSDT", "1m").close, btc.close[:400])

    redis_server.start()  # той самий порт, порожній сервер (без persistence)
    await eventually(lambda: store.stats.redis_up and store.stats.redis_pending == 0)
    assert store.stats.redis_resyncs >= 1

    fresh = UnifiedDataStore(redis_url=redis_server.url)
    await fresh.start()
    try:
        assert_same(store.get_bars("BTCUSDT", "1m"), fresh.get_bars("BTCUSDT", "1m"))
        assert fresh.get_symbol_info("BTCUSDT") == SymbolInfo(symbol="BTCUSDT", tick_size=0.1)
    finally:
        await fresh.close()
        await store.close()


async def test_redis_down_at_start_then_up(redis_server, real_bars: dict[str, BarArrays]) -> None:  # type: ignore[no-untyped-def]
    redis_server.kill()
    store = UnifiedDataStore(redis_url=redis_server.url, flush_interval=0.05, redis_retry_max=0.1)
    await store.start()
    assert not store.stats.redis_up
    assert store.put_bars("ETHUSDT", "1m", real_bars["ETHUSDT"].slice(0, 50)) == 50
    await eventually(lambda: store.stats.redis_pending == 1)
    redis_server.start()
    await eventually(lambda: store.stats.redis_up and store.stats.redis_pending == 0)
    client = aioredis.from_url(redis_server.url)
    try:
        blob = await client.get(redis_keys.bars_key("ETHUSDT", "1m"))
        assert blob is not None and np.array_equal(decode_bars(blob).close, real_bars["ETHUSDT"].close[:50])
    finally:
        await client.aclose()
        await store.close()


async def test_bad_block_in_redis_is_skipped(
    redis_url: str, real_bars: dict[str, BarArrays], client: aioredis.Redis
) -> None:
    seed = UnifiedDataStore(redis_url=redis_url)
    await seed.start()
    seed.put_bars("BTCUSDT", "1m", real_bars["BTCUSDT"].slice(0, 20))
    await seed.close()
    await client.set(redis_keys.bars_key("XRPUSDT", "1m"), b"garbage")
    await client.sadd(redis_keys.BARS_INDEX_KEY, "XRPUSDT:1m", "GONEUSDT:1m")  # GONE — ключ уже вичерпав TTL
    await client.set(redis_keys.meta_key("BTCUSDT"), b"{not json")
    store = UnifiedDataStore(redis_url=redis_url)
    await store.start()
    try:
        assert store.stats.redis_bad_blocks == 1
        assert store.bar_count("XRPUSDT", "1m") == 0 and store.bar_count("BTCUSDT", "1m") == 20
        assert store.get_symbol_info("BTCUSDT") is None
        members = {m.decode() for m in await client.smembers(redis_keys.BARS_INDEX_KEY)}
        assert members == {"BTCUSDT:1m", "XRPUSDT:1m"}
    finally:
        await store.close()


async def test_disk_then_redis_merge_on_start(
    tmp_path: Path, redis_url: str, real_bars: dict[str, BarArrays]
) -> None:
    bars = real_bars["SOLUSDT"]
    first = UnifiedDataStore(redis_url=redis_url, data_dir=tmp_path)
    await first.start()
    first.put_bars("SOLUSDT", "1m", bars.slice(0, 1000))
    await first.close()  # диск і Redis мають 0..1000
    only_redis = UnifiedDataStore(redis_url=redis_url)
    await only_redis.start()
    only_redis.put_bars("SOLUSDT", "1m", bars.slice(1000, 1200))  # Redis свіжіший за диск
    await only_redis.close()
    store = UnifiedDataStore(redis_url=redis_url, data_dir=tmp_path)
    await store.start()
    try:
        assert np.array_equal(store.get_bars("SOLUSDT", "1m").open_time, bars.open_time[:1200])
        assert store.stats.redis_pending == 0  # Redis уже має все
    finally:
        await store.close()
