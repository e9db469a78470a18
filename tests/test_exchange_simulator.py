"""Симулятор: REST-ендпоінти через справжній клієнт, WS-кадри, несправності, spot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from aione.data.bars import read_bars_parquet
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.errors import BannedError, MalformedFrameError, RequestRejectedError
from aione.exchange.simulator import BinanceSimulator
from aione.exchange.ws_parser import BookTicker, KlineUpdate, MarkPrice, parse_frame

SYMS = ["BTCUSDT", "ETHUSDT"]


async def test_rest_endpoints_through_client(data_1m: Path) -> None:
    async with BinanceSimulator(data_1m, speed=60, symbols=SYMS, aliases=2) as sim:
        async with BinanceRestClient(sim.rest_url, clock=sim.clock) as rest:
            server = await rest.server_time()
            assert abs(server - sim.clock()) < 60_000
            infos = await rest.exchange_info()
            assert (
                sorted(i.symbol for i in infos)
                == sorted(sim.symbols)
                == ["BTCUSDT", "BTCX1USDT", "ETHUSDT", "ETHX1USDT"]
            )
            assert all(i.contract_type == "PERPETUAL" and i.tick_size > 0 for i in infos)
            tickers = {t.symbol: t for t in await rest.ticker_24h()}
            assert tickers["BTCUSDT"].quote_volume > 1e6
            assert tickers["BTCUSDT"].last_price == tickers["BTCX1USDT"].last_price
            assert await rest.open_interest("ETHUSDT") > 0
            book = await rest.depth("BTCUSDT", limit=5)
            assert book.bids.shape == (5, 2) and book.bids[0, 0] < book.asks[0, 0]
            assert book.depth_usd_within(1.0) > 0
            premium = await rest.premium_index("BTCUSDT")
            assert premium.mark_price == tickers["BTCUSDT"].last_price
            days = await rest.klines("BTCUSDT", "1d", limit=2)
            assert days[0].closed and not days[1].closed
            rec = read_bars_parquet(data_1m / "BTCUSDT.parquet")
            sel = (rec.open_time >= days[0].open_time) & (rec.open_time < days[0].open_time + 86_400_000)
            assert days[0].high == rec.high[sel].max() and days[0].open == rec.open[sel][0]
            with pytest.raises(RequestRejectedError) as info:
                await rest.open_interest("NOPEUSDT")
            assert info.value.code == -1121


async def test_injected_429_and_ban(data_1m: Path) -> None:
    async with BinanceSimulator(data_1m, speed=60, symbols=SYMS) as sim:
        async with BinanceRestClient(sim.rest_url, clock=sim.clock, backoff_base=0.01) as rest:
            sim.inject_429(2, retry_after=0.05)
            assert await rest.server_time() > 0
            assert rest.http_429 == 2 and sim.rest_requests == 3
            sim.inject_ban(30)
            with pytest.raises(BannedError):
                await rest.klines("BTCUSDT", "1m")
            assert rest.bans == 1


async def test_weight_limit_enforced_by_server(data_1m: Path) -> None:
    # клієнт думає, що ліміт більший, ніж у сервера: сервер відповідає 429, клієнт чекає й досягає мети
    async with BinanceSimulator(data_1m, speed=600, symbols=SYMS, weight_limit=5) as sim:
        async with BinanceRestClient(
            sim.rest_url, clock=sim.clock, weight_limit=100, backoff_base=0.01
        ) as rest:
            results = await asyncio.gather(*(rest.klines("BTCUSDT", "1m", limit=100) for _ in range(4)))
            assert all(len(r) == 100 for r in results)
            assert sim.weight_exceeded > 0 and rest.http_429 == sim.weight_exceeded


async def test_ws_frames_follow_binance_shape(data_1m: Path) -> None:
    async with BinanceSimulator(data_1m, speed=600, symbols=SYMS, updates_per_bar=4) as sim:
        url = f"{sim.ws_url}/stream?streams=btcusdt@kline_1m/btcusdt@bookTicker"
        kinds: list[object] = []
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.send_str(
                json.dumps({"method": "SUBSCRIBE", "params": ["ethusdt@markPrice@1s"], "id": 7})
            )
            sim.inject_malformed(2)
            junk = 0
            while len([k for k in kinds if isinstance(k, KlineUpdate)]) < 12 or not any(
                isinstance(k, MarkPrice) for k in kinds
            ):
                msg = await asyncio.wait_for(ws.receive(), 5)
                try:
                    parsed = parse_frame(msg.data)
                except MalformedFrameError:
                    junk += 1
                    continue
                if parsed is None:
                    assert json.loads(msg.data) == {"result": None, "id": 7}
                    continue
                kinds.append(parsed)
        assert junk == 2
        klines = [k for k in kinds if isinstance(k, KlineUpdate)]
        assert any(isinstance(k, BookTicker) for k in kinds)
        flags = [(k.bar.open_time, k.bar.closed) for k in klines]
        # після першого закриття кожен бар: 3 відкритих оновлення, потім закриття
        first_close = next(i for i, f in enumerate(flags) if f[1])
        body = flags[first_close + 1 : first_close + 9]
        assert [c for _, c in body] == [False, False, False, True] * 2
        assert len({t for t, _ in body[:4]}) == 1
        rec = read_bars_parquet(data_1m / "BTCUSDT.parquet")
        closed = [k.bar for k in klines if k.bar.closed]
        i = int(rec.open_time.searchsorted(closed[0].open_time))
        assert (closed[0].high, closed[0].volume) == (rec.high[i], rec.volume[i])


async def test_spot_market_shapes(data_1m: Path) -> None:
    async with BinanceSimulator(data_1m, speed=60, symbols=SYMS, market="spot") as sim:
        async with BinanceRestClient(sim.rest_url, market="spot", clock=sim.clock) as rest:
            infos = await rest.exchange_info()
            assert {i.contract_type for i in infos} == {None} and infos[0].min_notional == 5.0
            assert len(await rest.klines("ETHUSDT", "1m", limit=3)) == 3
            with pytest.raises(NotImplementedError):
                await rest.premium_index("BTCUSDT")
        async with aiohttp.ClientSession() as session:
            async with session.get(sim.rest_url + "/fapi/v1/time") as resp:
                assert resp.status == 404
            async with session.ws_connect(f"{sim.ws_url}/stream?streams=btcusdt@bookTicker") as ws:
                msg = await asyncio.wait_for(ws.receive(), 5)
        book = parse_frame(msg.data)
        assert isinstance(book, BookTicker) and book.event_time == 0 and '"e"' not in msg.data
