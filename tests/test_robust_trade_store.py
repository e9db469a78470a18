"""Угоди під час збою Redis: один рядок на збій з лічильником, збереження до публікації, без пропусків
зміни статусу через обмеження частоти; недоступний на старті Redis — без traceback."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from aione.app.screening_producer import ScreeningProducer
from aione.data.bars import Bar
from aione.data.ws_worker import StateBus, StatePublisher
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import Trade
from aione.stage3.trade_store import RedisTradeStore, TradeSaver
from tests.redis_server import RedisServer, free_port

T0 = 1_746_373_980_000


def _decision(ts: int = T0) -> dict[str, Any]:
    return {
        "symbol": "SOLUSDT",
        "timestamp": ts,
        "status": "completed",
        "recommendation": "STRONG_BUY",
        "side": "BUY",
        "market_context": {"scenario": "BULLISH_BREAKOUT", "price": 100.0, "atr": 1.0, "volatility_regime": "normal"},
        "confidence_metrics": {"composite_confidence": 0.8},
        "risk_parameters": {"entry": 100.0, "tp": 103.0, "sl": 99.0, "rr": 3.0, "atr": 1.0, "tick_size": 0.01},
    }


# ── Збій Redis ──
@pytest.mark.redis
async def test_outage_logs_once_with_a_counter_then_recovers(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    manager = TradeManager()
    manager.on_decision(_decision())
    store = RedisTradeStore(redis_server.url)
    saver = TradeSaver(store)
    try:
        assert await saver.save(manager)
        redis_server.stop()
        with caplog.at_level(logging.WARNING):
            results = [await saver.save(manager) for _ in range(4)]
            assert results == [False] * 4 and saver.failures == 4 and saver.failing
            redis_server.start()
            assert await saver.save(manager)
        messages = [r.getMessage() for r in caplog.records if "trade store" in r.getMessage()]
        assert len(messages) == 2, messages
        assert "save failed" in messages[0] and "recovered after 4 failed attempts" in messages[1]
        assert all(r.exc_info is None for r in caplog.records)  # жодного traceback
        assert saver.outages == 1 and not saver.failing
        active, _ = await store.load()
        assert [t.symbol for t in active] == ["SOLUSDT"]
    finally:
        await store.aclose()


async def test_redis_down_at_start_restores_nothing_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisTradeStore(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with caplog.at_level(logging.WARNING):
            assert await store.load() == ([], [])
    finally:
        await store.aclose()
    lines = [r for r in caplog.records if "trade store unavailable" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None


# ── Порядок: зберегти, потім показати ──
class _RecordingStore:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.saved: list[list[str]] = []

    async def save(self, open_trades: list[Trade], recent: list[Trade]) -> None:
        self.log.append("save")
        self.saved.append([t.status for t in open_trades] + [f"closed:{t.close_reason}" for t in recent])

    async def load(self) -> tuple[list[Trade], list[Trade]]:
        return [], []


async def test_trade_is_saved_before_published_and_every_status_change_is_saved() -> None:
    log: list[str] = []
    store = _RecordingStore(log)
    manager = TradeManager()
    aggregator = AssetStateAggregator(["SOLUSDT"])
    publisher = StatePublisher(bus=StateBus())
    real_publish = publisher.publish

    async def publish(frame: Any, *, force: bool = False, rounded: bool = False) -> bool:
        log.append("publish")
        return await real_publish(frame, force=force, rounded=rounded)

    publisher.publish = publish  # type: ignore[method-assign]
    core = SimpleNamespace(trades=manager, aggregator=aggregator)
    producer = ScreeningProducer(core, SimpleNamespace(), publisher, trade_store=store)  # type: ignore[arg-type]

    manager.on_decision(_decision())  # очікуюча угода
    await producer.publish_now()
    assert log == ["save", "publish"]
    # за ту саму секунду угоду відкрито, потім закрито за TP: кожна зміна статусу збережена до кадру
    manager.on_bar("SOLUSDT", Bar(T0 + 60_000, 100.0, 100.5, 99.6, 100.2, 10.0))
    await producer.publish_now()
    manager.on_bar("SOLUSDT", Bar(T0 + 120_000, 100.2, 103.5, 100.1, 103.2, 10.0))
    await producer.publish_now()
    assert log == ["save", "publish"] * 3
    assert store.saved == [["pending"], ["open"], ["closed:tp_hit"]]
