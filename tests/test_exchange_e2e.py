"""Наскрізно: REST + WS клієнти проти симулятора з обривами, 429 і сміттям — бари рівно як у записах."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from aione.data.bars import Bar, BarEvent, read_bars_parquet
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.simulator import BinanceSimulator

SYMS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
WEIGHT_LIMIT = 12  # вузький бюджет, щоб він справді обмежував (віртуальна хвилина = 0.1 с)


@pytest.mark.slow
async def test_preload_and_stream_equal_recorded_bars_under_faults(data_1m: Path) -> None:
    async with BinanceSimulator(data_1m, speed=600, symbols=SYMS, weight_limit=WEIGHT_LIMIT) as sim:
        async with BinanceRestClient(
            sim.rest_url, clock=sim.clock, weight_limit=WEIGHT_LIMIT, backoff_base=0.01
        ) as rest:
            got: dict[str, list[Bar]] = {s: [] for s in SYMS}
            now = sim.clock()
            for s in SYMS:  # preload: 2 години закритих барів
                got[s].extend(await rest.klines_range(s, "1m", now - 120 * 60_000, now))
                assert len(got[s]) >= 118

            def on_bar(ev: BarEvent) -> None:
                if ev.bar.closed:
                    got[ev.symbol].append(ev.bar)

            ws = BinanceWsClient(sim.ws_url, rest, on_bar, backoff_base=0.1, silence_timeout=1.0)
            for s in SYMS:
                ws.seed_last_closed(s, got[s][-1].open_time)
            await ws.set_symbols(SYMS)
            task = asyncio.create_task(ws.run())
            for round_ in range(8):
                await asyncio.sleep(0.35)
                sim.inject_malformed(3)
                if round_ % 2:
                    sim.inject_429(2, retry_after=0.05)
                if round_ == 4:
                    sim.stall(0.3)  # кадри цього часу втрачено — пропуск гарантовано
                await asyncio.sleep(0.05)
                sim.drop_ws_connections()
            await asyncio.sleep(0.6)
            await ws.stop()
            await task

            assert ws.reconnects >= 8 and ws.backfilled_bars > 0 and ws.malformed > 0
            assert rest.http_429 > 0
            # бюджет ваги не перевищено ні за оцінкою клієнта, ні за обліком сервера
            assert sim.weight_exceeded == 0 and 0 < sim.max_weight_used <= WEIGHT_LIMIT
            assert rest.budget.max_used <= WEIGHT_LIMIT
            for s in SYMS:
                rec = read_bars_parquet(data_1m / f"{s}.parquet")
                bars = got[s]
                times = np.array([b.open_time for b in bars])
                assert len(bars) > 150
                i0 = int(np.searchsorted(rec.open_time, times[0]))
                sl = slice(i0, i0 + len(bars))
                assert np.array_equal(times, rec.open_time[sl]), f"{s}: gap or duplicate"
                for col in ("open", "high", "low", "close", "volume"):
                    got_col = np.array([getattr(b, col) for b in bars])
                    assert np.array_equal(got_col, getattr(rec, col)[sl]), f"{s}.{col} differs"
