"""Веб-панель під час справжнього демо-запуску: таблиця заповнюється з конвеєра, деталі символу з
графіком барів зі сховища; знімок екрана — `artifacts/dashboard_demo.png`."""

from __future__ import annotations

import asyncio

import pytest

from aione.app.demo import DEMO_PREFILTER_PARAMS, run_demo, sample_data_dir
from aione.app.main import RunOptions
from aione.data.bars import list_symbols
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.redis_server import free_port

WAIT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    needs_chromium,
]


async def test_dashboard_during_demo_run() -> None:
    from playwright.async_api import async_playwright

    port = free_port()
    stop = asyncio.Event()
    opts = RunOptions(
        rest_url="",
        ws_url="",
        prefilter_params=DEMO_PREFILTER_PARAMS,
        web=True,
        web_port=port,
        progress=False,
        install_signal_handlers=False,
    )
    ready = asyncio.Event()
    demo = asyncio.create_task(run_demo(opts, speed=300, stop=stop, ready=ready))
    url = f"http://127.0.0.1:{port}/"
    n_symbols = len(list_symbols(sample_data_dir()))
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1600, "height": 1000})
                await asyncio.wait(
                    {demo, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED
                )
                assert not demo.done(), f"demo stopped during start-up: {demo.result()}"
                await page.goto(url)
                await page.wait_for_function(
                    f"document.querySelectorAll('#assets-body tr[data-symbol]').length === {n_symbols}",
                    timeout=WAIT_MS,
                )
                # кадри йдуть: seq зростає
                first_seq = await page.inner_text("#seq")
                await page.wait_for_function(
                    f"document.getElementById('seq').textContent !== {first_seq!r}", timeout=WAIT_MS
                )
                # конвеєр доходить до угоди: у таблиці угод з'являється рядок, його символ відкриваємо
                await page.wait_for_function(
                    "document.querySelectorAll('#trades-open tr[data-symbol], #trades-recent tr[data-symbol]')"
                    ".length > 0",
                    timeout=90_000,
                )
                symbol = await page.eval_on_selector(
                    "#trades-open tr[data-symbol], #trades-recent tr[data-symbol]", "r => r.dataset.symbol"
                )
                await page.click(f"#assets-body tr[data-symbol={symbol}]")
                await page.wait_for_function(
                    "(() => { const c = document.getElementById('chart');"
                    " return c && c.data && c.data[0] && c.data[0].x.length >= 200; })()",
                    timeout=WAIT_MS,
                )
                assert await page.inner_text("#detail-symbol") == symbol
                ARTIFACTS.mkdir(exist_ok=True)
                shot = ARTIFACTS / "dashboard_demo.png"
                await page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
            finally:
                await browser.close()
    finally:
        stop.set()
        report = await asyncio.wait_for(demo, timeout=60)
    assert report.failures == []
    assert report.counters["bars"] > 0
