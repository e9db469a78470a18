"""Набір символів під наглядом змінюється під час роботи: оновлення префільтра додає символи."""

from __future__ import annotations

import asyncio

from aione.app.demo import DEMO_PREFILTER_PARAMS, sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.exchange.simulator import BinanceSimulator


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
