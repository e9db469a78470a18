"""Живі деривативи: `aione run` проти симулятора показує книгу, OI і фінансування в кадрі; сміття
не валить задачу; схрещена, старіша й застаріла книга відкидаються й рахуються; опитування OI для
200 символів тримається в бюджеті ваги."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.data.deriv_store import DerivStore
from aione.data.deriv_view import deriv_summary
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.deriv_feed import DerivFeed, DerivStreamClient, OpenInterestPoller, poll_period_ms
from aione.exchange.simulator import BinanceSimulator
from aione.ui.frame_schema import frame_problem
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# ── Наскрізно: run → кадр ──
async def test_run_against_simulator_shows_book_oi_and_funding_in_the_frame() -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=60, market="um", symbols=SYMBOLS)
    await sim.start()
    port = _free_port()
    stop, ready = asyncio.Event(), asyncio.Event()
    opts = RunOptions(
        rest_url=sim.rest_url,
        ws_url=sim.ws_url,
        symbols=SYMBOLS,
        lookback_1m=120,
        daily_days=2,
        web=True,
        web_port=port,
        progress=False,
        install_signal_handlers=False,
    )
    url = f"http://127.0.0.1:{port}/api/frame"
    rows: dict[str, Any] = {}
    try:
        task = asyncio.create_task(run_pipeline(opts, stop, ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        async with aiohttp.ClientSession() as session:
            end = time.monotonic() + 15
            while time.monotonic() < end:
                async with session.get(url) as resp:
                    frame = await resp.json() if resp.status == 200 else {}
                rows = {r["symbol"]: r.get("deriv") for r in frame.get("assets", [])}
                if len(rows) == 2 and all(
                    d and d["book_imbalance"] is not None and d["oi_change_15m_pct"] is not None
                    and d["funding_rate"] is not None
                    for d in rows.values()
                ):  # fmt: skip
                    break
                await asyncio.sleep(0.2)
        stop.set()
        report = await asyncio.wait_for(task, timeout=30)
    finally:
        await sim.stop()
    assert report.failures == []
    assert frame_problem(frame) is None
    for symbol in SYMBOLS:
        d = rows[symbol]
        assert d is not None, symbol
        assert -1.0 <= d["book_imbalance"] <= 1.0
        assert d["depth_usd"] > 0
        assert d["oi"] > 0
        assert d["oi_change_15m_pct"] is not None  # історія OI з openInterestHist + опитування
        assert d["funding_rate"] is not None
        assert d["liq_usd_15m"] is not None
    assert report.derivs is not None and report.derivs["events"] > 0
    assert report.derivs["oi"]["polls"] >= 1 and report.derivs["oi"]["preloaded"] > 0


async def test_derivs_are_off_when_asked_and_the_frame_has_no_deriv_field() -> None:
    from aione.stage3.asset_state import AssetStateAggregator

    agg = AssetStateAggregator(["BTCUSDT"])
    assert "deriv" not in agg.build_frame(1)["assets"][0]
    store = DerivStore()
    agg.deriv_source = lambda s: deriv_summary(store, s, 1)
    assert agg.build_frame(2)["assets"][0]["deriv"] is None  # сховище про символ нічого не має


# ── Сміття ──
def _junk(rng: random.Random) -> bytes | str:
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
    if kind == 1:
        return (
            '{"stream":"btcusdt@depth20@100ms","data":' + rng.choice(["1", "null", '"x"', "[]", "{}"]) + "}"
        )
    value: Any = rng.choice(["NaN", "-1", "1e400", None, [], {}, "abc", True, 2**63 - 1, "9" * 40])
    data: dict[str, Any] = {
        "e": rng.choice(["depthUpdate", "markPriceUpdate", "forceOrder"]),
        "E": rng.choice([1, "2", None, -5]),
        "s": rng.choice(["BTCUSDT", "", 5, None]),
        "u": rng.choice([1, "7", None]),
        "b": rng.choice([[["1", "1"]], [[value, "1"]], value]),
        "a": rng.choice([[["2", "1"]], [["1", value]], value]),
        "p": value,
        "i": value,
        "r": value,
        "T": value,
        "o": rng.choice([value, {"s": "BTCUSDT", "S": "SELL", "q": value, "p": "1", "T": 1}]),
    }
    stream = rng.choice(["btcusdt@depth20@100ms", "btcusdt@markPrice@1s", "!forceOrder@arr", "x@y"])
    text = orjson.dumps({"stream": stream, "data": data}).decode()
    return text[: rng.randrange(1, len(text) + 1)] if kind == 5 else text


async def test_random_junk_on_deriv_streams_never_raises_and_real_frames_still_land() -> None:
    store = DerivStore()
    async with BinanceRestClient("http://127.0.0.1:9") as rest:
        client = DerivStreamClient("ws://127.0.0.1:9", rest, store, recv_clock=lambda: 1_000)
        await client.set_symbols(["BTCUSDT"])
        rng = random.Random(16)
        for _ in range(3000):
            await client.handle_frame(_junk(rng), 0.0)  # жоден кадр не кидає
        good = {
            "stream": "btcusdt@depth20@100ms",
            "data": {
                "e": "depthUpdate", "E": 10**12, "T": 10**12, "s": "BTCUSDT", "U": 10**12, "u": 10**12,
                "pu": 0, "b": [["100", "2"]], "a": [["101", "3"]],
            },
        }  # fmt: skip
        await client.handle_frame(orjson.dumps(good), 0.0)
    assert client.malformed > 100
    assert client.callback_errors == 0
    assert store.book("BTCUSDT") is not None and store.book("BTCUSDT").update_id == 10**12


async def test_junk_from_the_simulator_is_counted_and_the_feed_goes_on() -> None:
    async with BinanceSimulator(sample_data_dir(), speed=60, symbols=SYMBOLS) as sim:
        async with BinanceRestClient(sim.rest_url) as rest:
            store = DerivStore()
            feed = DerivFeed(sim.ws_url, rest, store, clock=sim.clock)
            await feed.set_symbols(SYMBOLS)
            task = asyncio.create_task(feed.run())
            try:
                await _until(lambda: feed.streams.events > 10, 10, "first deriv events")
                sim.inject_deriv_junk(12)
                before = feed.streams.events
                await _until(lambda: sim._pending_deriv_junk == 0, 10, "junk sent")
                await _until(lambda: feed.streams.events > before + 20, 10, "events after junk")
            finally:
                await feed.stop()
                await task
    assert feed.streams.malformed >= 10  # кадри з сміттям між справжніми
    assert feed.streams.reconnects == 0 and feed.streams.callback_errors == 0


# ── Схрещена, старіша і застаріла книга ──
async def test_crossed_out_of_order_and_stale_books_are_rejected_and_counted() -> None:
    async with BinanceSimulator(sample_data_dir(), speed=60, symbols=SYMBOLS) as sim:
        async with BinanceRestClient(sim.rest_url) as rest:
            store = DerivStore()
            feed = DerivFeed(sim.ws_url, rest, store, clock=sim.clock)
            await feed.set_symbols(SYMBOLS)
            task = asyncio.create_task(feed.run())
            try:
                await _until(lambda: all(store.book(s) is not None for s in SYMBOLS), 10, "books")
                sim.fire("book_crossed")
                await _until(lambda: store.stats.rejected.get("book.crossed", 0) >= 2, 10, "crossed counted")
                sim.fire("book_disorder")
                await _until(lambda: store.stats.rejected.get("book.out_of_order", 0) >= 2, 10, "disorder")
                assert deriv_summary(store, "BTCUSDT", sim.clock())["book_state"] == "fresh"
                # пропуск кадрів: книга старішає за часом біржі → stale у підсумку
                sim.faults = sim.faults.__class__(book_gap_seconds=1.0)
                sim.fire("book_gap")
                await asyncio.sleep(0.5)  # 30 віртуальних секунд без кадрів
                gap = deriv_summary(store, "BTCUSDT", sim.clock())
                assert gap is not None and gap["book_state"] == "stale" and gap["book_age_sec"] > 5
                assert store.fresh_book("BTCUSDT", sim.clock()) is None
                await _until(lambda: store.book_status("BTCUSDT", sim.clock()).fresh, 10, "fresh again")
            finally:
                await feed.stop()
                await task
    assert sim.book_frames_crossed == 2 and sim.book_frames_disordered == 2
    # відкинуті кадри не змінили останню прийняту книгу: вона ціла й не схрещена
    book = store.book("BTCUSDT")
    assert book is not None and book.best_bid < book.best_ask


# ── Бюджет ваги: опитування OI для 200 символів ──
def test_poll_period_stretches_to_the_weight_share() -> None:
    assert poll_period_ms(200, 1, 2400, 0.25, 60_000) == 60_000  # 200/хв < 600
    assert poll_period_ms(200, 1, 400, 0.25, 60_000) == 120_000  # 100 ваги/хв → кожні 2 хв
    assert poll_period_ms(1000, 1, 2400, 0.25, 60_000) == 100_000


async def test_oi_polling_for_200_symbols_holds_the_weight_budget() -> None:
    limit = 400
    sim = BinanceSimulator(sample_data_dir(), speed=60, aliases=200, weight_limit=limit)
    symbols = sim.symbols[:200]
    await sim.start()
    try:
        async with BinanceRestClient(sim.rest_url, clock=sim.clock, weight_limit=limit) as rest:
            store = DerivStore()
            poller = OpenInterestPoller(rest, store, clock=sim.clock, weight_share=0.25)
            poller.set_symbols(symbols)
            stop = asyncio.Event()
            task = asyncio.create_task(poller.run(stop))
            start_minute = sim.clock() // 60_000
            try:
                await _until(
                    lambda: poller.stats.preloaded > 0 and len(poller.weight_by_minute) >= 5, 30, "5 minutes"
                )
            finally:
                stop.set()
                await task
            assert rest.http_429 == 0
    finally:
        await sim.stop()
    share = int(0.25 * limit)
    assert poller.period_ms == 120_000
    per_minute = {m: w for m, w in sim.weight_windows().items() if m >= start_minute}
    assert per_minute and max(per_minute.values()) <= limit and sim.weight_exceeded == 0
    assert max(poller.weight_by_minute.values()) <= share, poller.weight_by_minute
    assert poller.stats.polls >= 200  # кожен символ опитано
    assert sum(1 for s in symbols if store.series(s, "oi") is not None) == 200
    assert poller.stats.preload_failures == 0


# ── Термінал і веб-панель показують деривативи ──
DERIV_ROW = {
    "book_state": "fresh", "book_age_sec": 0.4, "book_imbalance": 0.21, "depth_usd": 1.5e6, "oi": 5.0e4,
    "oi_change_15m_pct": 1.23, "funding_rate": 0.0001, "funding_pct_rank": 97.0, "liq_usd_15m": 0.0,
}  # fmt: skip


def test_terminal_table_has_the_deriv_cell() -> None:
    import io

    from rich.console import Console

    from aione.ui.ui_render import DERIV_COLUMN, deriv_cell, render_table

    row = {"symbol": "BTCUSDT", "price": 100.0, "deriv": DERIV_ROW}
    assert deriv_cell(row) == "кн +0.21 · OI +1.2% · ф 0.010%"
    assert deriv_cell({"deriv": {**DERIV_ROW, "book_state": "stale"}}).startswith("кн +0.21⚠")
    assert deriv_cell({"symbol": "X"}) == "-"
    frame = {"seq": 1, "ts": 1_000, "assets": [row]}
    for width in (None, 260):
        console = Console(record=True, width=260, file=io.StringIO(), color_system=None)
        console.print(render_table(frame, 1_000, width=width))
        text = console.export_text()
        assert DERIV_COLUMN in text and "OI +1.2%" in text, width


@pytest.mark.browser
@needs_chromium
async def test_dashboard_shows_the_deriv_column(data_1m: Path) -> None:
    from playwright.async_api import async_playwright

    from aione.ui.web import MappingBarsProvider, create_web_app, start_web_server
    from tests.web_helpers import QueueFrameSource, build_frame, load_recorded

    bars = load_recorded(data_1m)
    frame = build_frame(bars, int(bars["ADAUSDT"].open_time[4000]) + 60_000, seq=1)
    for asset in frame["assets"]:
        asset["deriv"] = DERIV_ROW
    frame["ts"] = int(time.time() * 1000)
    assert frame_problem(frame) is None
    source = QueueFrameSource()
    runner = await start_web_server(create_web_app(source, MappingBarsProvider(bars)), "127.0.0.1", 0)
    source.put(frame)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1800, "height": 1000})
                await page.goto(runner.url + "/")
                await page.wait_for_selector("#assets-body tr[data-symbol] .deriv", timeout=15_000)
                assert "Книга · OI · фін." in await page.inner_text("#assets-head")
                cells = await page.eval_on_selector_all(".deriv", "els => els.map(e => e.textContent)")
                assert cells and all(c == "+0.21 · OI +1.2% · 0.010%" for c in cells), cells
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
