"""Ядро конвеєра: однакові рішення для живого потоку (з інтра-бар оновленнями) і бектесту."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aione.app.pipeline import PipelineCore
from aione.app.screening_producer import ScreeningProducer
from aione.data.bars import Bar, BarEvent
from aione.data.unified_store import UnifiedDataStore
from aione.data.ws_worker import StateBus, StatePublisher
from aione.exchange.replay import iter_replay
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage2.processor import Stage2Processor
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_manager import TradeManager

SYMBOLS = ["SOLUSDT", "SUIUSDT"]
N_EVENTS = 2 * 2500


def _make_core() -> PipelineCore:
    return PipelineCore(UnifiedDataStore(), AssetMonitor(), TradeManager(), AssetStateAggregator(SYMBOLS))


def _with_intrabar(events: Iterator[BarEvent]) -> Iterator[BarEvent]:
    """Живий потік: перед кожним закритим баром — два незакриті оновлення того самого бару."""
    for ev in events:
        b = ev.bar
        mid = Bar(
            b.open_time,
            b.open,
            max(b.open, b.close),
            min(b.open, b.close),
            b.close,
            b.volume / 2,
            closed=False,
        )
        yield BarEvent(
            ev.symbol, ev.timeframe, Bar(b.open_time, b.open, b.open, b.open, b.open, 0.0, closed=False)
        )
        yield BarEvent(ev.symbol, ev.timeframe, mid)
        yield ev


def _run(core: PipelineCore, events: Iterator[BarEvent]) -> list[tuple[str, int, str, str]]:
    decisions = []
    for ev in events:
        step = core.on_bar(ev)
        if step.alert is not None:
            result = core.decide(step.alert)
            core.offer(step.alert, result)
            decisions.append(
                (result["symbol"], result["timestamp"], result["status"], result["recommendation"])
            )
    return decisions


def _replay(data_1m: Path) -> Iterator[BarEvent]:
    for i, ev in enumerate(iter_replay(data_1m, symbols=SYMBOLS)):
        if i >= N_EVENTS:
            return
        yield ev


def test_live_stream_and_backtest_make_the_same_decisions(data_1m: Path) -> None:
    backtest = _make_core()
    closed_only = _run(backtest, _replay(data_1m))
    live = _make_core()
    with_updates = _run(live, _with_intrabar(_replay(data_1m)))
    assert closed_only, "the recorded window must produce at least one Stage2 decision"
    assert with_updates == closed_only
    assert (
        backtest.store.get_bars("SOLUSDT", "1m", 50).close.tolist()
        == live.store.get_bars("SOLUSDT", "1m", 50).close.tolist()
    )
    assert len(backtest.store.get_bars("SOLUSDT", "1d", include_open=True)) >= 1


def test_core_trades_and_frame(data_1m: Path) -> None:
    core = _make_core()
    decisions = _run(core, _replay(data_1m))
    assert any(
        rec in ("STRONG_BUY", "BUY_IN_DIPS", "STRONG_SELL", "SELL_ON_RALLIES") for *_, rec in decisions
    )
    trades = core.trades.recent_trades() + core.trades.active_trades()
    assert trades, "a buy/sell decision that passes the gate opens a paper trade"
    for trade in core.trades.recent_trades():
        assert trade.entry_ts is not None and trade.exit_ts is not None and trade.exit_ts >= trade.entry_ts
    assert core.aggregator is not None
    frame = core.aggregator.build_frame(1)
    assert {row["symbol"] for row in frame["assets"]} == set(SYMBOLS)


def test_bad_bar_is_rejected_and_stops_nowhere(data_1m: Path) -> None:
    core = _make_core()
    events = list(_replay(data_1m))[:200]
    for ev in events[:100]:
        core.on_bar(ev)
    stale = events[50]
    assert core.on_bar(stale).accepted is False
    nan_bar = BarEvent("SOLUSDT", "1m", Bar(events[100].bar.open_time, float("nan"), 1, 1, 1, 1))
    assert core.on_bar(nan_bar).accepted is False
    for ev in events[100:]:
        assert core.on_bar(ev).accepted
    assert core.counters["rejected"] == 2


class _RecordingProcessor(Stage2Processor):
    """Справжній процесор, що запам'ятовує свої рішення."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decisions: list[dict[str, Any]] = []

    async def process(self, stage1_result: Any, inputs: Any = None) -> dict[str, Any]:
        result = await super().process(stage1_result, inputs)
        self.decisions.append(result)
        return result


async def test_live_driver_with_async_stage2_matches_backtest(data_1m: Path) -> None:
    reference = _make_core()
    backtest = []
    for ev in _replay(data_1m):
        step = reference.on_bar(ev)
        if step.alert is not None:
            result = reference.decide(step.alert)
            reference.offer(step.alert, result)
            backtest.append(result)
    core = _make_core()
    processor = _RecordingProcessor(core.store)
    producer = ScreeningProducer(core, processor, StatePublisher(bus=StateBus()))
    for ev in _with_intrabar(_replay(data_1m)):
        producer.on_bar(ev)
        await asyncio.sleep(0)  # Stage2 у фоні, як наживо: рішення може прийти після наступних барів
    await producer.drain()
    assert backtest
    # повні записи: рівні, TP/SL, впевненість, пояснення — не лише рекомендація
    assert processor.decisions == backtest
