"""Асинхронний префільтр проти симулятора Binance (справжній REST-клієнт по loopback, RAM-сховище)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aione.config.config import MANUAL_FAST_SYMBOLS_SEED, FilterParams
from aione.data.unified_store import UnifiedDataStore
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.simulator import BinanceSimulator
from aione.stage1.prefilter import run_prefilter


@pytest.mark.slow
async def test_run_prefilter_against_simulator(data_1m: Path) -> None:
    params = FilterParams(dynamic=True, quote_volume_percentile=25.0, use_price_change=False)
    async with BinanceSimulator(data_1m, speed=60) as sim:
        async with BinanceRestClient(sim.rest_url, clock=sim.clock) as rest:
            store = UnifiedDataStore()
            now = sim.clock()
            res = await run_prefilter(
                rest, params=params, store=store, now_ms=now, manual_symbols=("BTCUSDT",)
            )
            assert len(sim.symbols) == 16
            # дешеві запити на весь ринок + OI і глибина лише для короткого списку
            short = len(res.selected) + sum(1 for r in res.rejected.values() if r not in ("low_volume",))
            assert rest.requests == 2 + 2 * short
            assert rest.used_weight < rest.weight_limit
            assert res.selected and res.counts.get("low_volume", 0) >= 1
            assert set(res.selected) | set(res.rejected) == set(sim.symbols)
            for sym in res.selected:
                m = res.metrics[sym]
                assert m.open_interest_usd is not None and m.open_interest_usd >= params.min_open_interest
                assert (
                    m.orderbook_depth_usd is not None and m.orderbook_depth_usd >= params.min_orderbook_depth
                )
            scores = [res.metrics[s].score for s in res.selected]
            assert scores == sorted(scores, reverse=True)
            fast = store.get_fast_symbols(now)
            seed = {"BTCUSDT", *MANUAL_FAST_SYMBOLS_SEED}  # ручний seed сховище тримає завжди
            assert set(fast) == set(res.selected) | seed
            # авто-список живе 600 с, ручний — 3600 с
            assert set(store.get_fast_symbols(now + 601_000)) == seed
            assert res.elapsed_seconds > 0
