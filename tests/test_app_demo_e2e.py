"""Наскрізний тест: `aione demo` headless на високій швидкості проти симулятора і справжнього Redis."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import redis.asyncio as aioredis

from aione.data.redis_keys import STATE_CHANNEL, STATE_SNAPSHOT_KEY
from aione.data.unified_store import UnifiedDataStore
from aione.data.ws_worker import decode_frame

DURATION_SEC = 25


@pytest.mark.redis
@pytest.mark.slow
async def test_demo_end_to_end_with_redis(redis_url: str, tmp_path: Path) -> None:
    client = aioredis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(STATE_CHANNEL)
    env = {**os.environ, "AIONE_METRICS_PORT": "0", "AIONE_LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aione", "demo", "--no-ui", "--speed", "600",
        "--duration", str(DURATION_SEC), "--redis", redis_url,
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    seqs: list[int] = []
    frames = []

    async def collect() -> None:
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if msg is not None:
                frame = decode_frame(msg["data"])
                seqs.append(frame["seq"])
                frames.append(frame)

    collector = asyncio.create_task(collect())
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=DURATION_SEC + 90)
    collector.cancel()
    assert proc.returncode == 0, stderr.decode()[-3000:]
    summary = json.loads(stdout.decode().strip().splitlines()[-1])
    assert summary["failures"] == []
    assert summary["counters"]["alerts"] >= 1
    assert summary["counters"]["decisions"] >= 1
    assert summary["counters"]["trades_opened"] >= 1
    assert summary["ws"]["malformed"] == 0

    # кадри: строго зростаючий seq, останній кадр лежить у знімку
    assert len(seqs) >= 5
    assert all(b > a for a, b in zip(seqs, seqs[1:], strict=False))
    snapshot = decode_frame(await client.get(STATE_SNAPSHOT_KEY))
    assert snapshot["seq"] == seqs[-1]
    assert any(frame["counters"]["alerts"] >= 0 for frame in frames)
    assert any(frame["trades"]["open"] or frame["trades"]["recent"] for frame in frames)
    await pubsub.aclose()
    await client.aclose()

    # бари: скинуті в Redis при зупинці, без пропусків і дублікатів
    store = UnifiedDataStore(redis_url=redis_url)
    await store.start()
    try:
        assert sorted(store.symbols("1m")) == sorted(summary["symbols"])
        for symbol in summary["symbols"]:
            times = store.get_bars(symbol, "1m").open_time
            assert len(times) >= 1440
            assert np.all(np.diff(times) == 60_000), symbol
    finally:
        await store.close()
