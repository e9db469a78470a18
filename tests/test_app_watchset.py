"""Набір символів під наглядом змінюється під час роботи: оновлення префільтра додає символи."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aione.app.demo import DEMO_PREFILTER_PARAMS, sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.exchange.simulator import BinanceSimulator
from aione.stage3.trade_model import STATUS_OPEN, Trade
from aione.stage3.trade_store import TRADES_FILE_NAME, DiskTradeStore


async def test_prefilter_refresh_changes_watched_set_at_run_time() -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=120)
    await sim.start()
    opts = RunOptions(
        rest_url=sim.rest_url,
        ws_url=sim.ws_url,
        clock=sim.clock,
        prefilter_params=DEMO_PREFILTER_PARAMS,
        prefilter_interval_sec=1.0,
        max_symbols=2,
        progress=False,
        install_signal_handlers=False,
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_pipeline(opts, stop, ready))
    try:
        await asyncio.wait({task, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
        assert not task.done(), task.result()
        opts.max_symbols = 4  # наступне оновлення префільтра розширює набір
        expanded_at = sim.clock()
        await asyncio.sleep(6)
    finally:
        stop.set()
        report = await asyncio.wait_for(task, timeout=60)
        await sim.stop()
    assert report.failures == []
    assert len(report.symbols) == 4
    for symbol in report.symbols:  # нові символи отримали preload, а потім закриті бари з потоку
        assert report.bars_1m[symbol] >= 1440, symbol
        last = report.last_closed_ms[symbol]
        assert last is not None and last > expanded_at + 60_000, symbol
    assert report.ws["messages"] > 0


async def test_symbol_with_open_trade_stays_watched(tmp_path: Path) -> None:
    """Відновлена відкрита угода на символі поза списком: символ під наглядом, угода бачить ціни."""
    sim = BinanceSimulator(sample_data_dir(), speed=120)
    await sim.start()
    try:
        now = sim.clock()
        trade = Trade(
            trade_id="SUIUSDT-BUY-restored", symbol="SUIUSDT", side="BUY", status=STATUS_OPEN,
            decision_ts=now - 120_000, recommendation="STRONG_BUY", confidence=0.9, planned_entry=3.5,
            tp=100.0, sl=0.01, initial_sl=0.01, atr=0.01, tick_size=0.0001, fee_rate=0.0004,
            entry_price=3.5, entry_ts=now - 60_000, last_price=3.5, last_ts=now - 60_000,
            best_price=3.5, worst_price=3.5,
        )  # fmt: skip
        await DiskTradeStore(tmp_path / TRADES_FILE_NAME).save([trade], [])
        opts = RunOptions(
            rest_url=sim.rest_url,
            ws_url=sim.ws_url,
            clock=sim.clock,
            data_dir=tmp_path,
            symbols=["BTCUSDT"],
            duration=4.0,
            progress=False,
            install_signal_handlers=False,
        )
        report = await run_pipeline(opts)
    finally:
        await sim.stop()
    assert report.failures == []
    assert "SUIUSDT" in report.symbols and "BTCUSDT" in report.symbols
    saved, _recent = await DiskTradeStore(tmp_path / TRADES_FILE_NAME).load()
    restored = [t for t in saved + _recent if t.trade_id == "SUIUSDT-BUY-restored"]
    assert restored and restored[0].last_ts is not None and restored[0].last_ts > now  # угода отримувала ціни
