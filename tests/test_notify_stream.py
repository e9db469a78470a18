"""Redis Stream `asset_signals` (справжній redis-server): споживач, що відключився посеред потоку і
продовжив з останнього id, отримує кожен сигнал рівно один раз; MAXLEN ~ обмежує довжину."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from aione.config.config import NOTIFY_STREAM_KEY
from aione.notify.notifier import Notifier
from aione.notify.stream import SignalStream, StreamReader
from aione.stage3.trade_model import EVENT_CLOSED, TradeEvent
from tests.notify_helpers import closed_trade
from tests.test_notify_delivery import eventually, signals

pytestmark = pytest.mark.redis


async def test_consumer_resumes_from_last_id_exactly_once(redis_url: str) -> None:
    stream = SignalStream(redis_url)
    notifier = Notifier([], stream=stream)  # без каналів: лише потік для програм
    await notifier.start()
    sent = signals(120)
    got: list[dict[str, object]] = []
    consumer = aioredis.from_url(redis_url)
    reader = StreamReader(consumer)
    try:
        for alert in sent[:50]:
            notifier.submit(alert)
        await eventually(lambda: stream.counters["published"] == 50)
        got += await reader.read(count=30)  # прочитав 30 з 50 — і відключився
        last_id = reader.last_id
        await consumer.aclose()
        for alert in sent[50:]:  # поки споживача немає, сигнали й угоди йдуть далі
            notifier.submit(alert)
        notifier.on_trade_events([TradeEvent(EVENT_CLOSED, closed_trade())])
        await eventually(lambda: stream.counters["published"] == 121)
        consumer = aioredis.from_url(redis_url)  # нове з'єднання, продовжує з останнього id
        reader = StreamReader(consumer, last_id=last_id)
        while batch := await reader.read(count=17, block_ms=100):
            got += batch
    finally:
        await consumer.aclose()
        await notifier.aclose(timeout=1)
    ids = [str(entry["id"]) for entry in got]
    assert ids == [a.id for a in sent] + [f"{closed_trade().trade_id}:trade_closed"]  # усе, рівно раз, по порядку
    assert got[-1]["kind"] == "trade_closed" and got[-1]["pnl_r"] == pytest.approx(2.0)
    assert got[0]["symbol"] == "SYM000USDT" and got[0]["tp"] == 4.25678


async def test_xadd_maxlen_trims_and_fields(redis_url: str) -> None:
    stream = SignalStream(redis_url, maxlen=10)
    for alert in signals(300):
        stream.publish(alert)
    assert await stream.flush()
    client = aioredis.from_url(redis_url)
    try:
        length = await client.xlen(NOTIFY_STREAM_KEY)
        assert 10 <= length < 300  # MAXLEN ~: обрізано (приблизно, цілими вузлами)
        last = (await client.xrevrange(NOTIFY_STREAM_KEY, count=1))[0][1]
        assert last[b"type"] == b"signal" and last[b"symbol"] == b"SYM299USDT"
    finally:
        await client.aclose()
        await stream.aclose()
