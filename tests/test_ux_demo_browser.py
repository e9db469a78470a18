"""Веб-панель каже людською мовою, що вона показує: позначка демо з `meta` кадру справжнього
`aione demo` (швидкість і час ринку), підказки колонок (зміна й оборот за 24 год, смуга, seq),
назви рекомендацій і наслідків угод («трейлінг-стоп, +0.40 %») — headless Chromium."""

from __future__ import annotations

import asyncio

import pytest

from aione.app.demo import DEMO_PREFILTER_PARAMS, run_demo
from aione.app.main import RunOptions
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_model import EVENT_CLOSED, TradeEvent
from aione.ui.web import create_web_app, start_web_server
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.redis_server import free_port
from tests.test_ux_labels import closed_trailing_trade
from tests.web_helpers import QueueFrameSource

WAIT_MS = 30_000

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_demo_marker_comes_from_the_running_demo() -> None:
    from playwright.async_api import async_playwright

    port = free_port()
    opts = RunOptions(
        rest_url="", ws_url="", prefilter_params=DEMO_PREFILTER_PARAMS, web=True, web_port=port,
        progress=False, install_signal_handlers=False,
    )  # fmt: skip
    stop, ready = asyncio.Event(), asyncio.Event()
    demo = asyncio.create_task(run_demo(opts, speed=300, stop=stop, ready=ready))
    try:
        await asyncio.wait({demo, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
        assert not demo.done(), demo.result()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1600, "height": 900})
                await page.goto(f"http://127.0.0.1:{port}/")
                await page.wait_for_function(
                    "document.getElementById('mode').textContent.includes('час ринку 2025-')", timeout=WAIT_MS
                )
                marker = await page.inner_text("#mode")
                assert marker.startswith("ДЕМО · симуляція ×300 над записаними барами · час ринку 2025-")
                assert await page.is_visible("#mode")
                # годинник ринку йде (×300): наступні кадри несуть новіший час
                await page.wait_for_function(
                    f"document.getElementById('mode').textContent !== {marker!r}", timeout=WAIT_MS
                )
            finally:
                await browser.close()
    finally:
        stop.set()
        report = await asyncio.wait_for(demo, timeout=60)
    assert report.failures == []


async def test_tooltips_and_human_labels_on_the_page() -> None:
    from playwright.async_api import async_playwright

    agg = AssetStateAggregator(["SOLUSDT", "BTCUSDT"])
    agg.turnover_source = {"SOLUSDT": 2.5e9, "BTCUSDT": 1.7e10}.get
    agg.meta_source = lambda: {"mode": "live", "speed": 1.0, "market_clock_ms": 600_000, "locale": "uk"}
    for sym, price in (("SOLUSDT", 100.4), ("BTCUSDT", 104_000.0)):
        agg.on_stage1({"symbol": sym, "timestamp": 600_000, "signal": "ALERT" if sym == "BTCUSDT" else "NORMAL",
                       "stats": {"price": price, "volume_usd": 1e6, "price_change_pct": 1.0}})  # fmt: skip
    agg.on_stage2({"symbol": "BTCUSDT", "timestamp": 600_000, "status": "completed",
                   "recommendation": "STRONG_SELL", "confidence_metrics": {"composite_confidence": 0.7}})  # fmt: skip
    agg.on_trade_events([TradeEvent(EVENT_CLOSED, closed_trailing_trade())])
    source = QueueFrameSource()
    runner = await start_web_server(create_web_app(source, None), "127.0.0.1", 0)
    source.put(agg.build_frame(600_000))
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1600, "height": 900})
                await page.goto(runner.url + "/")
                await page.wait_for_function(
                    "document.querySelectorAll('#assets-body tr[data-symbol]').length === 2", timeout=WAIT_MS
                )
                head = page.locator("#assets-head")
                assert "Зміна 24 год %" in await head.inner_text() and "Оборот 24 год, USD" in await head.inner_text()
                title = "th[data-key={}]"
                assert "за 24 год" in (await page.get_attribute(title.format("price_change_pct"), "title") or "")
                assert "Оборот за 24 год" in (await page.get_attribute(title.format("turnover_24h_usd"), "title") or "")
                assert "підтримкою" in (await page.get_attribute(title.format("band_pct"), "title") or "")
                assert "Номер кадру" in (await page.get_attribute("#seq", "title") or "")
                assert not await page.is_visible("#mode")  # живий режим: позначки демо немає
                sol = await page.inner_text("#assets-body tr[data-symbol=SOLUSDT]")
                btc = await page.inner_text("#assets-body tr[data-symbol=BTCUSDT]")
                assert "2.50B" in sol and "лонг · трейлінг-стоп, +0.40 %" in sol
                assert "алерт · сильний продаж" in btc and "17.00B" in btc
                recent = await page.inner_text("#trades-recent")
                assert "трейлінг-стоп, +0.40 %" in recent and "лонг" in recent and "sl_hit" not in recent
            finally:
                await browser.close()
    finally:
        source.close()
        await runner.cleanup()
