"""Потік видавця і момент публікації: Redis отримує той самий кадр, що й шина, строго в порядку
`seq`; `published_at` ставиться, коли Redis прийняв кадр; затримка бару в драйвері рахується до
цього моменту, а інтервал кадрів — від початку попередньої публікації."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
import redis.asyncio as aioredis

from aione.app import screening_producer
from aione.app.screening_producer import ScreeningProducer
from aione.data.bars import Bar, BarEvent
from aione.data.redis_keys import STATE_CHANNEL, STATE_SNAPSHOT_KEY
from aione.data.ws_worker import StateBus, StatePublisher, decode_frame
from aione.stage3.asset_state import AssetStateAggregator
from tests.test_publish_redis import frame
from tests.test_publish_state import stage1

T0 = 1_748_000_000_000


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    conn = aioredis.from_url(redis_url)
    yield conn
    await conn.aclose()


# ── Видавець (справжній Redis) ──
@pytest.mark.redis
async def test_redis_gets_the_bus_frame_in_seq_order_with_accept_time(
    redis_url: str, client: aioredis.Redis
) -> None:
    bus = StateBus()
    publisher = StatePublisher(redis_url, bus, min_interval_ms=0)
    pubsub = client.pubsub()
    await pubsub.subscribe(STATE_CHANNEL)
    await pubsub.get_message(timeout=1.0)  # підтвердження підписки
    try:
        before = time.perf_counter()
        # кілька публікацій «в польоті» одночасно: один потік видавця зберігає порядок
        sent = await asyncio.gather(
            *(publisher.publish(frame(seq, price=100.0 + seq)) for seq in range(1, 9))
        )
        assert all(sent)
        assert publisher.published_at is not None and before < publisher.published_at <= time.perf_counter()
        snapshot = decode_frame(await client.get(STATE_SNAPSHOT_KEY))
        assert snapshot == bus.snapshot  # той самий округлений кадр у Redis і в шині
        seqs = []
        while len(seqs) < 8:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
            assert msg is not None
            seqs.append(decode_frame(msg["data"])["seq"])
        assert seqs == list(range(1, 9))
    finally:
        await pubsub.aclose()
        await publisher.aclose()


# ── Драйвер: затримка і період кадрів ──
class SlowPublisher(StatePublisher):
    """Шина як звичайно, але публікація «триває» `took` с за підмінним монотонним годинником;
    момент прийняття — `recv + delay` за perf_counter (детерміновано)."""

    def __init__(self, clock: list[float], took: float, accepted_at: float) -> None:
        super().__init__(None, StateBus(), min_interval_ms=0)
        self.fake_clock, self.took, self.accepted_at = clock, took, accepted_at

    async def publish(self, frame: Any, *, force: bool = False, rounded: bool = False) -> bool:
        sent = await super().publish(frame, force=force, rounded=rounded)
        self.fake_clock[0] += self.took
        self.published_at = self.accepted_at
        return sent


def producer_with(publisher: StatePublisher) -> ScreeningProducer:
    agg = AssetStateAggregator(["SOLUSDT"])
    agg.on_stage1(stage1("SOLUSDT"))
    step = SimpleNamespace(released=[], accepted=True, alert=None)
    core = SimpleNamespace(aggregator=agg, on_bar=lambda event: step, trades=SimpleNamespace(version=0))
    return ScreeningProducer(
        core,  # type: ignore[arg-type]
        SimpleNamespace(),  # type: ignore[arg-type]
        publisher,
        clock=lambda: T0,
        keep_latencies=True,
        min_interval_ms=250,
    )


async def test_latency_runs_to_accept_time_and_interval_from_publish_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(screening_producer.time, "monotonic", lambda: clock[0])
    publisher = SlowPublisher(clock, took=0.2, accepted_at=50.125)
    producer = producer_with(publisher)
    bar = Bar(T0, 100.0, 101.0, 99.0, 100.5, 10.0, closed=False)
    producer.on_bar(BarEvent("SOLUSDT", "1m", bar, recv_ts=50.0))
    assert await producer.publish_now()
    assert producer.latencies == [pytest.approx(0.125)]  # до прийняття кадру, а не до кінця await
    # публікація тривала 0.2 с: наступний кадр — через 0.05 с, а не через повні 0.25 с після неї
    assert producer.next_frame_in() == pytest.approx(0.05)
