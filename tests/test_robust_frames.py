"""Хибні кадри стану не валять і не заморожують UI: схема відкидає їх до показу й до звірки seq."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from rich.console import Console

from aione.data.redis_keys import STATE_CHANNEL
from aione.data.ws_worker import encode_frame
from aione.ui.frame_schema import frame_problem
from aione.ui.ui_consumer import TerminalUI
from aione.ui.web import RedisFrameSource
from aione.ui.web.hub import FrameHub
from tests.web_helpers import eventually

HUGE = 2**62


def _frame(seq: int, **row: Any) -> dict[str, Any]:
    asset = {"symbol": "BTCUSDT", "price": 100.0 + seq, "tick_size": 0.1, **row}
    return {
        "schema_version": 1,
        "seq": seq,
        "ts": int(time.time() * 1000) + seq,
        "assets": [asset],
        "counters": {"assets": 1},
        "trades": {"open": [], "recent": []},
    }


BAD = [
    _frame(5, recommendation=["BUY", "SELL"]),
    {**_frame(6), "seq": HUGE},
    {**_frame(7), "ts": HUGE},
    {**_frame(8), "assets": "BTCUSDT"},
    ["not", "a", "frame"],
]


def test_schema_names_what_is_wrong() -> None:
    assert frame_problem(_frame(1)) is None
    problems = [frame_problem(frame) for frame in BAD]
    assert all(problems), problems
    assert "recommendation" in (problems[0] or "") and "seq" in (problems[1] or "")
    assert "ts" in (problems[2] or "") and "assets" in (problems[3] or "")


class _Source:
    def __init__(self, frames: list[Any]) -> None:
        self.frames = frames

    async def __aiter__(self) -> AsyncIterator[Any]:
        for frame in self.frames:
            yield frame


async def test_terminal_ui_rejects_bad_frames_counts_them_and_keeps_going(
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = io.StringIO()
    ui = TerminalUI(_Source([_frame(1), *BAD, _frame(2)]), console=Console(file=out, width=200))
    with caplog.at_level(logging.WARNING):
        await ui.follow()
    assert ui.frame is not None and ui.frame["seq"] == 2
    assert ui.frames == 2 and ui.rejected == len(BAD)
    assert len([r for r in caplog.records if "bad_frame" in r.getMessage()]) == 1
    ui.console.print(ui.renderable())
    assert "BTCUSDT" in out.getvalue()


async def test_web_hub_rejects_bad_frames_and_serves_the_last_good_one() -> None:
    hub = FrameHub()
    await hub.pump(_Source([_frame(1), *BAD, _frame(2)]))
    assert hub.latest is not None and hub.latest["seq"] == 2
    assert hub.frames == 2 and hub.stats()["rejected"] == len(BAD)


@pytest.mark.redis
async def test_redis_source_is_not_frozen_by_a_2_pow_62_frame(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    source = RedisFrameSource(redis_url)
    seen: list[int] = []

    async def collect() -> None:
        async for frame in source:
            seen.append(int(frame["seq"]))

    task = asyncio.create_task(collect())
    try:
        await eventually(lambda: source.connects == 1)
        await client.publish(STATE_CHANNEL, encode_frame(_frame(1)))
        await eventually(lambda: seen == [1])
        for bad in BAD[:3]:
            await client.publish(STATE_CHANNEL, encode_frame(bad))
        await client.publish(STATE_CHANNEL, encode_frame(_frame(2)))
        await eventually(lambda: seen == [1, 2])
        assert source.bad_payloads == 3
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()
