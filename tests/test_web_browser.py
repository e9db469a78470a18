"""Веб-панель у справжньому headless Chromium: таблиця, сортування, фільтр, деталі з графіком,
вік даних, самостійне перепідключення після перезапуску сервера. Знімок — `artifacts/dashboard.png`.
Сигнальний шлюз: колонка рангу, запис типу сигналу, рядок watch і фільтри сигнал/watch, деталі з
рангом, вердиктом бюджету й записом. Знімок — `artifacts/dashboard_signals.png`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from aione.config.config import UI_COLUMN_VOLUME
from aione.signals.records import record_sentence
from aione.ui.web import MappingBarsProvider, create_web_app, start_web_server
from aione.utils.utils import format_price
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.web_helpers import (
    SIGNAL_RANK,
    SIGNAL_RECORD,
    WATCH_RANK,
    QueueFrameSource,
    build_frame,
    load_recorded,
    signal_frame,
    visible_bars,
)

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
            assert UI_COLUMN_VOLUME in await page.inner_text("#assets-head")
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
            assert {"BUY": "лонг", "SELL": "шорт"}[trade["side"]] in detail_trades  # людська назва сторони
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


async def _shown(page: Any) -> list[str]:
    return list(
        await page.eval_on_selector_all("#assets-body tr[data-symbol]", "r => r.map(x => x.dataset.symbol)")
    )


async def _cells(page: Any, key: str) -> dict[str, str]:
    """Текст комірок колонки `key` (за `data-key` заголовка) для кожного символу."""
    index = await page.eval_on_selector_all(
        "#assets-head th", f"ths => ths.findIndex(th => th.dataset.key === '{key}')"
    )
    assert index >= 0, key
    return dict(zip(await _shown(page), await _column(page, index), strict=True))


async def test_dashboard_shows_rank_record_and_watch(data_1m: Path) -> None:
    """Кадр справжнього агрегатора з одним сигналом (ранг + запис типу) і одним рядком watch — тим
    самим шляхом джерело → сервер → WebSocket → сторінка."""
    from playwright.async_api import async_playwright

    bars = load_recorded(data_1m)
    t_ms = int(bars["ADAUSDT"].open_time[4000]) + 60_000
    signal, watch = "SOLUSDT", "LINKUSDT"
    frame = signal_frame(bars, t_ms, 1, surfaced=signal, watch=watch)
    by_symbol = {a["symbol"]: a for a in frame["assets"]}
    assert by_symbol[signal]["record"] == SIGNAL_RECORD and by_symbol[watch]["state"] == "watch"
    provider = MappingBarsProvider(bars)
    provider.cursor = {s: visible_bars(b, t_ms) for s, b in bars.items()}
    source = QueueFrameSource()
    runner = await start_web_server(create_web_app(source, provider), "127.0.0.1", 0)
    source.put(_live(frame))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            await page.goto(runner.url + "/")
            await page.wait_for_function(
                "document.querySelectorAll('#assets-body tr[data-symbol]').length === 8", timeout=WAIT_MS
            )

            # Заголовки рангу й запису видно; значення — у рядках сигналу й watch.
            assert await page.locator("#assets-head th[data-key=rank]").is_visible()
            assert await page.inner_text("#assets-head th[data-key=rank]") == "Ранг"
            assert await page.inner_text("#assets-head th[data-key=record]") == "Запис типу"
            ranks = await _cells(page, "rank")
            records = await _cells(page, "record")
            signals = await _cells(page, "signal")
            assert ranks[signal] == f"{SIGNAL_RANK['score']:.2f}" == "0.82"
            assert ranks[watch] == f"{WATCH_RANK['score']:.2f}"
            assert records[signal] == "412 · TP 31% · +0.12%" and records[watch] == "-"
            assert ranks["BTCUSDT"] == "-" and records["BTCUSDT"] == "-"
            assert signals[watch] == "watch · ліміт ринку"
            row = page.locator(f"#assets-body tr[data-symbol={signal}]")
            assert await row.locator("td .rank").is_visible()
            assert await row.locator("td .record", has_text="412 · TP 31%").is_visible()

            # Рядок watch помітно інший: свій клас і приглушення.
            watch_row = page.locator(f"#assets-body tr[data-symbol={watch}]")
            assert "watch" in (await watch_row.get_attribute("class") or "").split()
            opacity = await watch_row.evaluate("r => parseFloat(getComputedStyle(r).opacity)")
            assert opacity < 1.0
            assert "watch" not in (await row.get_attribute("class") or "").split()

            # Сортування за рангом: спершу вищий, рядки без рангу внизу.
            await page.click("#assets-head th[data-key=rank]")
            assert (await _shown(page))[:2] == [signal, watch]
            await page.click("#assets-head th[data-key=rank]")
            assert (await _shown(page))[:2] == [watch, signal]

            # Фільтри: лише сигнали / лише watch.
            await page.click("#filters button[data-filter=SIGNAL]")
            assert await _shown(page) == [signal]
            await page.click("#filters button[data-filter=WATCH]")
            assert await _shown(page) == [watch]
            await page.click("#filters button[data-filter=ALL]")
            assert len(await _shown(page)) == 8

            # Деталі сигналу: ранг з частинами, вердикт бюджету, виміряний запис типу.
            await page.click(f"#assets-body tr[data-symbol={signal}]")
            await page.wait_for_function(
                f"document.getElementById('detail-symbol').textContent === '{signal}'", timeout=WAIT_MS
            )
            gate = await page.inner_text("#detail-gate")
            assert "0.82 з 1.00" in gate and "сигнал" in gate
            assert SIGNAL_RECORD["kind"] in gate
            record_line = page.locator("#detail-record")
            assert await record_line.is_visible()
            expected = record_sentence(SIGNAL_RECORD, "uk")
            assert await record_line.inner_text() == expected
            assert "412 випадків, TP першим 31 %, медіанний рух за 60 хв +0.12 %" in str(expected)
            assert (await page.inner_text("#detail-narrative")).endswith(str(expected))
            await page.wait_for_function(
                "(() => { const c = document.getElementById('chart');"
                " return c && c.data && c.data[0] && c.data[0].x.length === 240; })()",
                timeout=WAIT_MS,
            )
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "dashboard_signals.png"), full_page=True)

            # Деталі watch: вердикт з причиною бюджету, запису ще немає.
            await page.click(f"#assets-body tr[data-symbol={watch}]")
            await page.wait_for_function(
                f"document.getElementById('detail-symbol').textContent === '{watch}'", timeout=WAIT_MS
            )
            gate = await page.inner_text("#detail-gate")
            assert f"{WATCH_RANK['score']:.2f} з 1.00" in gate and "бюджет алертів ринку" in gate
            assert "запису ще немає" in await page.inner_text("#detail-record")
        finally:
            await browser.close()
            await runner.cleanup()
