"""`aione run` проти біржі з іншим годинником (симулятор над записаними барами) іде за часом біржі."""

from __future__ import annotations

from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.exchange.simulator import BinanceSimulator


async def test_run_follows_the_exchange_clock_for_preload() -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=60, market="spot")
    await sim.start()
    try:
        # типовий настінний годинник (2026), а дані симулятора — з 2025 року
        opts = RunOptions(
            rest_url=sim.rest_url,
            ws_url=sim.ws_url,
            market="spot",
            symbols=["BTCUSDT", "ETHUSDT"],
            duration=3.0,
            progress=False,
            install_signal_handlers=False,
        )
        report = await run_pipeline(opts)
    finally:
        await sim.stop()
    assert report.failures == []
    for symbol in ("BTCUSDT", "ETHUSDT"):
        assert report.bars_1m[symbol] >= 1440, symbol  # preload узяв добу історії за часом біржі
        last = report.last_closed_ms[symbol]
        assert last is not None and abs(last - sim.clock()) < 5 * 60_000
