"""Агрегатор стану, збирання кадру, тротлінг публікації і внутрішньопроцесна шина (без Redis)."""

from __future__ import annotations

import asyncio
from typing import Any

from aione.config.config import STATE_SCHEMA_VERSION
from aione.data.ws_worker import StateBus, StatePublisher
from aione.metrics import MetricsCollector
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_manager import TradeManager
from aione.ui.publish_full_state import publish_full_state
from aione.ui.ui_consumer import BusFrameSource
from tests.test_stage3_trades import T0, decision


def stage1(
    symbol: str, signal: str = "NORMAL", price: float = 100.0, ts: int = T0, **stats: Any
) -> dict[str, Any]:
    base = {"price": price, "atr": price * 0.004, "rsi": 55.0, "volume_usd": 2.5e7, "price_change_pct": 3.2}
    return {
        "symbol": symbol,
        "timestamp": ts,
        "signal": signal,
        "trigger_reasons": ["volume_spike_bull", "breakout_up"] if signal == "ALERT" else [],
        "raw_trigger_reasons": [],
        "stats": {**base, **stats},
        "thresholds": {},
    }


def wired() -> tuple[AssetStateAggregator, TradeManager]:
    """SOL: алерт → STRONG_BUY → відкрита угода; ETH: алерт без угоди; BTC: спокій."""
    agg, tm = AssetStateAggregator(["BTCUSDT", "ETHUSDT", "SOLUSDT"]), TradeManager()
    agg.on_stage1(stage1("BTCUSDT", price=104_000.0))
    agg.on_stage1(stage1("ETHUSDT", "ALERT", price=2500.0))
    agg.on_stage2(
        decision(symbol="ETHUSDT", rec="WAIT_FOR_CONFIRMATION", conf=0.6, entry=2500.0, tp=2590.0, sl=2470.0)
    )
    agg.on_stage1(stage1("SOLUSDT", "ALERT"))
    result = decision(symbol="SOLUSDT")
    agg.on_stage2(result)
    tm.on_decision(result)
    agg.on_trade_events(tm.last_events)
    agg.on_trade_events(tm.on_price("SOLUSDT", 100.0, T0 + 1))
    agg.on_price("SOLUSDT", 101.0, T0 + 2)
    return agg, tm


def test_frame_rows_counters_and_order() -> None:
    agg, _ = wired()
    frame = agg.build_frame(T0 + 500)
    assert frame["schema_version"] == STATE_SCHEMA_VERSION and frame["seq"] == 1 and frame["ts"] == T0 + 500
    assert [a["symbol"] for a in frame["assets"]] == ["SOLUSDT", "ETHUSDT", "BTCUSDT"]
    sol, eth, btc = frame["assets"]
    assert sol["state"] == "alert" and sol["recommendation"] == "STRONG_BUY" and sol["confidence"] == 0.8
    assert (sol["tp"], sol["sl"], sol["trade_status"], sol["trade_side"]) == (103.0, 99.0, "open", "BUY")
    assert sol["pnl_pct"] == agg.rows["SOLUSDT"].active["BUY"].pnl_pct(101.0)  # за поточною ціною рядка
    assert sol["triggers"] == ["bull_vol_spike", "breakout_up"]
    assert sol["atr_pct"] == 0.4 and sol["volume_usd"] == 2.5e7
    assert eth["state"] == "no_trade" and eth["tp"] is None and eth["sl"] is None  # TP/SL лише з угод
    assert btc["state"] == "normal" and btc["trade_status"] is None
    counters = frame["counters"]
    assert (counters["assets"], counters["alerts"], counters["buy"], counters["sell"]) == (3, 2, 1, 0)
    assert counters["open_trades"] == 1 and counters["data_age_ms"] == 498
    assert [t["symbol"] for t in frame["trades"]["open"]] == ["SOLUSDT"]
    assert frame["trades"]["open"][0]["current_price"] == 101.0
    assert agg.build_frame(T0 + 600)["seq"] == 2


def test_closed_trade_moves_to_recent_and_row_keeps_result() -> None:
    agg, tm = wired()
    agg.on_trade_events(tm.on_price("SOLUSDT", 103.1, T0 + 3, high=103.2, low=102.0))
    frame = agg.build_frame(T0 + 4)
    sol = next(a for a in frame["assets"] if a["symbol"] == "SOLUSDT")
    assert sol["trade_status"] == "closed" and sol["close_reason"] == "tp_hit" and sol["tp"] is None
    assert sol["pnl_pct"] > 2.9
    assert frame["trades"]["open"] == [] and frame["trades"]["recent"][0]["close_reason"] == "tp_hit"
    assert frame["counters"]["open_trades"] == 0


def test_dirty_only_on_signal_or_trade_change() -> None:
    agg = AssetStateAggregator(["SOLUSDT"])
    agg.build_frame(T0)
    agg.on_stage1(stage1("SOLUSDT"))
    assert agg.dirty  # NORMAL вперше
    agg.build_frame(T0)
    agg.on_stage1(stage1("SOLUSDT", price=100.5))
    agg.on_price("SOLUSDT", 100.7, T0 + 5)
    assert not agg.dirty
    agg.on_stage1(stage1("SOLUSDT", "ALERT"))
    assert agg.dirty


def test_stage2_error_and_watchlist_changes() -> None:
    agg, _ = wired()
    agg.on_stage2({"symbol": "BTCUSDT", "status": "error", "timestamp": T0 + 9})
    agg.set_symbols(["BTCUSDT"])  # SOL має відкриту угоду — лишається
    frame = agg.build_frame(T0 + 10)
    assert sorted(a["symbol"] for a in frame["assets"]) == ["BTCUSDT", "SOLUSDT"]
    assert next(a for a in frame["assets"] if a["symbol"] == "BTCUSDT")["state"] == "error"


async def test_publish_throttles_without_seq_gaps_and_forces_on_change() -> None:
    bus = StateBus()
    sub = bus.subscribe()
    agg, tm = wired()
    publisher = StatePublisher(None, bus, min_interval_ms=250)
    assert await publish_full_state(agg, publisher, T0 + 1000)
    assert not await publish_full_state(agg, publisher, T0 + 1100)  # не минуло 250 мс, змін немає
    assert await publish_full_state(agg, publisher, T0 + 1250)
    agg.on_trade_events(tm.close("SOLUSDT", "BUY", "manual", ts_ms=T0 + 1260))
    assert await publish_full_state(agg, publisher, T0 + 1260)  # угода змінилась — одразу
    seqs = [sub.queue.get_nowait()["seq"] for _ in range(sub.queue.qsize())]
    assert seqs == [1, 2, 3]
    assert bus.snapshot is not None and bus.snapshot["seq"] == 3


async def test_e2e_latency_and_open_trades_recorded() -> None:
    metrics = MetricsCollector()
    agg, _ = wired()
    publisher = StatePublisher(None, StateBus(), metrics=metrics)
    await publish_full_state(agg, publisher, T0, recv_ts=10.0, metrics=metrics, clock=lambda: 10.004)
    assert metrics.registry.get_sample_value("e2e_latency_seconds_count") == 1
    assert abs(metrics.registry.get_sample_value("e2e_latency_seconds_sum") - 0.004) < 1e-9
    assert metrics.registry.get_sample_value("open_trades") == 1
    assert metrics.registry.get_sample_value("frames_published_total") == 1


def test_slow_bus_subscriber_drops_oldest_frames() -> None:
    bus = StateBus(queue_size=8)
    slow, fast = bus.subscribe(maxsize=2), bus.subscribe()
    for seq in range(1, 6):
        bus.publish({"seq": seq})
    assert [slow.queue.get_nowait()["seq"] for _ in range(2)] == [4, 5]
    assert slow.dropped == 3 and fast.dropped == 0 and fast.queue.qsize() == 5
    slow.close()
    assert bus.subscribers == 1


async def test_bus_source_starts_from_snapshot_and_skips_old() -> None:
    bus = StateBus()
    bus.publish({"seq": 4, "ts": 40})
    got: list[int] = []

    async def consume() -> None:
        async for frame in BusFrameSource(bus):
            got.append(frame["seq"])
            if len(got) == 3:
                return

    task = asyncio.create_task(consume())
    while bus.subscribers == 0:
        await asyncio.sleep(0)
    for frame in ({"seq": 3, "ts": 30}, {"seq": 5, "ts": 50}, {"seq": 1, "ts": 60}):
        bus.publish(frame)  # seq 3 старий; seq 1 з новішим ts — видавець перезапустився
    await asyncio.wait_for(task, 2)
    assert got == [4, 5, 1]
