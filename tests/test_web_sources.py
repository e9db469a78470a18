"""Веб-панель: постачальники барів, джерело з `StateBus`, черга «останній виграє», час кадру."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aione.data.bars import BarArrays, read_bars_parquet
from aione.data.unified_store import UnifiedDataStore
from aione.data.ws_worker import StateBus
from aione.ui.web import MappingBarsProvider, StateBusSource, StoreBarsProvider, bars_to_records
from aione.ui.web.bars_provider import fetch_recent_bars
from aione.ui.web.hub import ClientQueue, FrameHub, frame_ts_seconds
from tests.web_helpers import eventually


def _arrays(n: int) -> BarArrays:
    t = np.arange(n, dtype=np.int64) * 60_000 + 1_700_000_000_000
    close = np.linspace(10.0, 20.0, n)
    zeros = np.zeros(n)
    return BarArrays(
        t, close, close + 1, close - 1, close, close * 2, zeros, np.zeros(n, dtype=np.int64), zeros
    )


# ── Бари ──
def test_bars_to_records_takes_the_tail_and_nulls_non_finite() -> None:
    arrays = _arrays(10)
    arrays.close[-1] = np.nan
    arrays.high[-2] = np.inf
    recs = bars_to_records(arrays, 3)
    assert [r["open_time"] for r in recs] == arrays.open_time[-3:].tolist()
    assert recs[-1]["close"] is None and recs[-2]["high"] is None
    assert recs[0]["open"] == float(arrays.open[7])
    assert len(bars_to_records(arrays, 100)) == 10
    assert bars_to_records(arrays) == bars_to_records(arrays, 10)
    assert bars_to_records(None) == [] and bars_to_records(arrays.slice(0, 0), 5) == []


async def test_store_provider_reads_the_pipeline_store(data_1m: Path) -> None:
    bars = read_bars_parquet(data_1m / "SOLUSDT.parquet").slice(0, 500)
    store = UnifiedDataStore()
    await store.start()
    try:
        store.put_bars("SOLUSDT", "1m", bars)
        got = await fetch_recent_bars(StoreBarsProvider(store), "SOLUSDT", 240)
        assert [b["open_time"] for b in got] == bars.open_time[-240:].tolist()
        assert [b["close"] for b in got] == bars.close[-240:].tolist()
        assert await fetch_recent_bars(StoreBarsProvider(store), "NOPEUSDT", 10) == []
    finally:
        await store.close()


async def test_store_provider_accepts_async_store() -> None:
    class AsyncStore:
        async def get_bars(self, symbol: str, timeframe: str, n: int) -> BarArrays:
            assert timeframe == "5m"
            return _arrays(50)

    got = await fetch_recent_bars(StoreBarsProvider(AsyncStore(), "5m"), "X", 20)
    assert len(got) == 20 and got[-1]["close"] == 20.0


async def test_mapping_provider_respects_cursor() -> None:
    provider = MappingBarsProvider({"AAAUSDT": _arrays(100)})
    assert len(await fetch_recent_bars(provider, "AAAUSDT", 500)) == 100
    provider.cursor["AAAUSDT"] = 40
    got = await fetch_recent_bars(provider, "AAAUSDT", 10)
    assert got[-1]["open_time"] == int(_arrays(100).open_time[39])
    assert await fetch_recent_bars(provider, "ZZZUSDT", 10) == []


# ── Джерело з шини ──
async def test_state_bus_source_gives_snapshot_then_frames_and_unsubscribes() -> None:
    bus = StateBus()
    bus.publish({"seq": 1})
    got: list[Any] = []

    async def consume() -> None:
        async for frame in StateBusSource(bus):
            got.append(frame["seq"])

    task = asyncio.create_task(consume())
    await eventually(lambda: got == [1])
    assert bus.subscribers == 1
    bus.publish({"seq": 2})
    bus.publish({"seq": 3})
    await eventually(lambda: got == [1, 2, 3])
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert bus.subscribers == 0


# ── Черга клієнта й розсилка ──
async def test_client_queue_keeps_only_the_newest() -> None:
    q = ClientQueue(1)
    for text in ("a", "b", "c"):
        q.offer(text)
    assert q.qsize() == 1 and q.dropped == 2
    assert await q.get() == "c"
    q2 = ClientQueue(2)
    for text in ("a", "b", "c"):
        q2.offer(text)
    assert [await q2.get(), await q2.get()] == ["b", "c"]
    with pytest.raises(ValueError):
        ClientQueue(3)


def test_hub_counts_drops_of_departed_clients() -> None:
    hub = FrameHub()
    client = hub.add_client()
    for seq in range(5):
        hub.publish({"seq": seq})
    assert client.dropped == 4 and hub.dropped == 4
    hub.remove_client(client)
    assert hub.client_count == 0 and hub.dropped == 4
    late = hub.add_client()
    assert late.qsize() == 1  # новий клієнт одразу має останній кадр
    assert hub.stats()["last_seq"] == 4


def test_frame_ts_accepts_seconds_and_milliseconds() -> None:
    assert frame_ts_seconds({"ts": 1_748_000_000_000}) == 1_748_000_000.0
    assert frame_ts_seconds({"ts": 1_748_000_000.5}) == 1_748_000_000.5
    for bad in ({}, {"ts": None}, {"ts": "x"}, {"ts": float("nan")}, {"ts": True}, {"ts": -5}):
        assert frame_ts_seconds(bad) is None


# ── Команда ──
def test_cli_web_without_redis_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aione.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AIONE_REDIS_URL", raising=False)
    result = CliRunner().invoke(app, ["web"])
    assert result.exit_code == 2
    assert "--redis" in result.output
    bad = CliRunner().invoke(app, ["web", "--redis", "http://nope"])
    assert bad.exit_code == 2 and "AIONE_REDIS_URL" in bad.output
