"""Веб-панель у справжньому headless Chromium: таблиця, сортування, фільтр, деталі з графіком,
вік даних, самостійне перепідключення після перезапуску сервера. Знімок — `artifacts/dashboard.png`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from aione.ui.web import MappingBarsProvider, create_web_app, start_web_server
from aione.utils.utils import format_price
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.web_helpers import QueueFrameSource, build_frame, load_recorded, visible_bars

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]

WAIT_MS = 15_000


def _live(frame: dict[str, Any]) -> dict[str, Any]:
    """Той самий кадр, але з часом «зараз»: панель має показати свіжі дані."""
    return {**frame, "ts": int(time.time() * 1000)}


async def _column(page: Any, index: int) -> list[str]:
    return list(
        await page.eval_on_selector_all(
            "#assets-body tr[data-symbol]", f"rows => rows.map(r => r.children[{index}].textContent)"
        )
    )


async def test_dashboard_in_headless_chromium(data_1m: Path) -> None:
    from playwright.async_api import async_playwright

    bars = load_recorded(data_1m)
    t_ms = int(bars["ADAUSDT"].open_time[4000]) + 60_000
    frame = build_frame(bars, t_ms, seq=1)
    assert frame["counters"]["buy"] >= 1 and frame["counters"]["sell"] >= 1  # є що фільтрувати
    provider = MappingBarsProvider(bars)
    provider.cursor = {s: visible_bars(b, t_ms) for s, b in bars.items()}
    source = QueueFrameSource()
    runner = await start_web_server(create_web_app(source, provider), "127.0.0.1", 0)
    port = runner.port
    source.put(_live(frame))
    by_symbol = {a["symbol"]: a for a in frame["assets"]}

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            await page.goto(runner.url + "/")

            # Таблиця заповнилася; ціни відформатовані за тіком, колонка обороту названа як у терміналі.
            await page.wait_for_function(
                "document.querySelectorAll('#assets-body tr[data-symbol]').length === 8", timeout=WAIT_MS
            )
            assert "Оборот USD" in await page.inner_text("#assets-head")
            symbols = await page.eval_on_selector_all(
                "#assets-body tr[data-symbol]", "rows => rows.map(r => r.dataset.symbol)"
            )
            prices = dict(zip(symbols, await _column(page, 1), strict=True))
            for sym, asset in by_symbol.items():
                assert prices[sym] == format_price(asset["price"], asset["tick_size"]), sym
            # Порядок терміналу: алерти й відкриті угоди першими.
            alerts = {s for s, a in by_symbol.items() if a["signal"] == "ALERT"}
            assert set(symbols[: len(alerts)]) == alerts
            await page.wait_for_function(
                "document.getElementById('age').classList.contains('fresh')", timeout=WAIT_MS
            )

            # Сортування кліком по заголовку RSI: спадання, потім зростання.
            await page.click("#assets-head th[data-key=rsi]")
            rsi_desc = [float(x) for x in await _column(page, 5)]
            assert rsi_desc == sorted(rsi_desc, reverse=True)
            await page.click("#assets-head th[data-key=rsi]")
            rsi_asc = [float(x) for x in await _column(page, 5)]
            assert rsi_asc == sorted(rsi_asc)

            # Фільтр за сигналом.
            sells = {s for s, a in by_symbol.items() if a["recommendation"] == "SELL_ON_RALLIES"}
            await page.click("#filters button[data-filter=SELL]")
            shown = await page.eval_on_selector_all(
                "#assets-body tr[data-symbol]", "r => r.map(x => x.dataset.symbol)"
            )
            assert set(shown) == sells
            await page.click("#filters button[data-filter=ALERT]")
            shown = await page.eval_on_selector_all(
                "#assets-body tr[data-symbol]", "r => r.map(x => x.dataset.symbol)"
            )
            assert set(shown) == alerts
            await page.click("#filters button[data-filter=ALL]")

            # Деталі символу з відкритою угодою: графік барів, рівні, лінії входу/TP/SL, пояснення, угоди.
            traded = frame["trades"]["open"][0]["symbol"]
            await page.click(f"#assets-body tr[data-symbol={traded}]")
            await page.wait_for_function(
                "(() => { const c = document.getElementById('chart');"
                " return c && c.data && c.data[0] && c.data[0].x.length === 240; })()",
                timeout=WAIT_MS,
            )
            assert await page.inner_text("#detail-symbol") == traded
            assert await page.inner_text("#detail-narrative") == by_symbol[traded]["narrative"]
            shape_count = await page.evaluate("document.getElementById('chart').layout.shapes.length")
            assert shape_count == 2 + 3  # два рівні + entry, TP, SL
            last_close = await page.evaluate("document.getElementById('chart').data[0].close.at(-1)")
            assert last_close == float(bars[traded].close[provider.cursor[traded] - 1])
            trade = frame["trades"]["open"][0]
            detail_trades = await page.inner_text("#detail-trades")
            assert format_price(trade["entry_price"], by_symbol[traded]["tick_size"]) in detail_trades
            assert trade["side"] in detail_trades
            assert await page.locator(".main-svg").count() > 0

            # Новий кадр оновлює таблицю без перезавантаження.
            frame2 = build_frame(bars, t_ms + 60_000, seq=2)
            source.put(_live(frame2))
            await page.wait_for_function(
                "document.getElementById('seq').textContent === 'seq 2'", timeout=WAIT_MS
            )

            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            # Старий кадр позначається як застарілий.
            source.put({**frame2, "seq": 3, "ts": t_ms})
            await page.wait_for_function(
                "document.getElementById('age').classList.contains('stale')", timeout=WAIT_MS
            )

            # Перезапуск сервера на тому самому порту: сторінка сама перепідключається.
            await runner.cleanup()
            await page.wait_for_function(
                "document.getElementById('conn').textContent.startsWith('офлайн')", timeout=WAIT_MS
            )
            source2 = QueueFrameSource()
            runner = await start_web_server(create_web_app(source2, provider), "127.0.0.1", port)
            source2.put(_live({**frame2, "seq": 100}))
            await page.wait_for_function(
                "document.getElementById('seq').textContent === 'seq 100'", timeout=WAIT_MS * 2
            )
            assert await page.inner_text("#conn") == "онлайн"
        finally:
            await browser.close()
            await runner.cleanup()
