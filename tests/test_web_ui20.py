"""Панель пояснює себе (issue 20, UI): план і стан сигналу без угоди, скасований сигнал з причиною,
≤ 3 рівні на бік на графіку, впевненість словами, пошук, вибір, що пам'ятається після
перезавантаження, таймфрейм графіка, посилання на Binance, сповіщення про новий найвищий сигнал,
перемикач uk/en з наративом тією ж мовою, картки без горизонтальної прокрутки на 390 px.

Кадр будується зі справжнього виходу конвеєра на записаних барах: рішення Stage2 (`decide`), шлюз
сигналів (`SignalGate`: ранг, вердикт, життєві цикли на закритих барах) і агрегатор стану — тож тест
падає, якщо конвеєр перестане давати `lifecycle`, `texts`, `confidence_text` чи `levels`.
Скасування — правилом протилежного сигналу (`SignalLifecycle.invalidate`): на цих барах вхід
стається на першому ж барі, тож закриття за SL до входу тут не трапляється.
Знімки — `artifacts/ui20_desktop.png`, `artifacts/ui20_desktop_en.png`, `artifacts/ui20_phone.png`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aione.config.config import ALERT_BUDGET, STAGE2_CONFIG
from aione.data.bars import BarArrays
from aione.data.resample import resample_daily
from aione.indicators import atr as atr_batch
from aione.signals.gate import SignalGate
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.qde_core import decide
from aione.stage3.asset_state import AssetStateAggregator
from aione.ui.frame_schema import frame_problem
from aione.ui.web import MappingBarsProvider, create_web_app, start_web_server
from aione.utils.utils import format_price
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.web_helpers import QueueFrameSource, load_recorded, visible_bars

WAIT_MS = 15_000
MIN = 60_000
LIVE, EXPIRED, INVALID, LATER = "BTCUSDT", "SOLUSDT", "ENAUSDT", "XRPUSDT"
BULL = ["breakout_up", "bull_vol_spike"]
BEAR = ["breakout_down", "bear_vol_spike"]


# ── Кадри зі справжнього конвеєра ──
@dataclass
class Ui20Scene:
    """Агрегатор, шлюз і бари сцени; `frame(ts)` — кадр агрегатора на момент `ts`."""

    bars: dict[str, BarArrays]
    agg: AssetStateAggregator
    gate: SignalGate
    raw_levels: dict[str, list[dict[str, Any]]]
    now_ms: int = 0

    def frame(self) -> dict[str, Any]:
        frame = self.agg.build_frame(self.now_ms)
        assert frame_problem(frame, now_ms=lambda: self.now_ms) is None
        return frame

    def bars_until(self, symbol: str, stop_ms: int) -> None:
        """Закриті бари символу до `stop_ms` ідуть у шлюз (життєві цикли), змінені цикли — в агрегатор."""
        b = self.bars[symbol]
        start = self._cursor.get(symbol, 0)
        stop = visible_bars(b, stop_ms)
        for j in range(start, stop):
            self.gate.on_closed_bar(symbol, int(b.open_time[j]), float(b.high[j]), float(b.low[j]), float(b.close[j]))
        self._cursor[symbol] = max(start, stop)
        self.agg.on_lifecycles(self.gate.take_changed())
        self.now_ms = max(self.now_ms, stop_ms)

    def signal(self, symbol: str, triggers: list[str], start: int) -> int:
        """Перше рішення Stage2 з планом від бару `start`: шлюз дає вердикт, агрегатор — рядок."""
        b = self.bars[symbol]
        daily = resample_daily(b)
        atr = atr_batch(b.high, b.low, b.close, 14)
        window = int(STAGE2_CONFIG["context_bars"])
        for i in range(start, start + 5000, 7):
            ts = int(b.open_time[i])
            day_stop = int(np.searchsorted(daily.open_time, ts, side="right"))
            alert = {
                "symbol": symbol,
                "timestamp": ts,
                "signal": "ALERT",
                "trigger_reasons": list(triggers),
                "stats": {"price": float(b.close[i]), "close": float(b.close[i]), "atr": float(atr[i])},
            }
            inputs = Stage2Inputs(b.slice(i + 1 - window, i + 1), daily.slice(max(0, day_stop - 31), day_stop))
            rec = decide(alert, inputs)
            if rec.get("side") is None or not (rec.get("risk_parameters") or {}).get("entry_zone"):
                continue
            self._cursor[symbol] = i + 1
            self.agg.on_stage1(alert)
            verdicts = self.gate.offer(alert, rec) + self.gate.release_all()
            for v in verdicts:
                self.agg.on_stage2(v.candidate.decision)
            self.agg.on_lifecycles(self.gate.take_changed())
            self.raw_levels[symbol] = list(rec["market_context"].get("levels") or [])
            self.now_ms = max(self.now_ms, ts + MIN)
            return i
        raise AssertionError(f"no Stage2 decision with a plan for {symbol}")

    def __post_init__(self) -> None:
        self._cursor: dict[str, int] = {}


def ui20_scene(data_1m: Path, locale: str = "uk") -> Ui20Scene:
    """Сцена: живий сигнал BTCUSDT (без угоди), застарілий SOLUSDT (без виходу за 240 хв),
    скасований ENAUSDT (протилежний сигнал до входу), решта символів — лише Stage1."""
    bars = load_recorded(data_1m)
    scene = Ui20Scene(
        bars, AssetStateAggregator(list(bars), locale=locale), SignalGate({**ALERT_BUDGET, "enabled": False}), {}
    )
    i_sol = scene.signal(EXPIRED, BEAR, 21_029)
    scene.bars_until(EXPIRED, int(bars[EXPIRED].open_time[i_sol]) + 245 * MIN)
    i_ena = scene.signal(INVALID, BULL, 20_000)
    life = scene.gate.lifecycles.latest[INVALID]
    assert life.invalidate(int(bars[INVALID].open_time[i_ena]) + MIN)  # протилежний сигнал до входу
    scene.agg.on_lifecycles([life])
    i_btc = scene.signal(LIVE, BULL, 20_000)
    scene.bars_until(LIVE, int(bars[LIVE].open_time[i_btc]) + 3 * MIN)
    for symbol, b in bars.items():  # Stage1 решти символів на момент кадру
        if symbol in (LIVE, EXPIRED, INVALID):
            continue
        k = visible_bars(b, scene.now_ms) - 1
        scene.agg.on_stage1(
            {
                "symbol": symbol,
                "timestamp": int(b.open_time[k]) + MIN,
                "signal": "NORMAL",
                "stats": {"price": float(b.close[k]), "price_change_pct": 0.5, "volume_usd": float(b.quote_volume[k])},
            }
        )
    return scene


def rows_of(frame: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["symbol"]: a for a in frame["assets"]}


def plan_bits(row: dict[str, Any]) -> list[str]:
    """Що з плану сигналу має бути видно в рядку: зона входу, TP, SL за тіком рядка."""
    plan, tick = row["lifecycle"]["plan"], row["tick_size"]
    lo, hi = format_price(plan["entry_lo"], tick), format_price(plan["entry_hi"], tick)
    return [f"{lo}–{hi}", f"TP {format_price(plan['tp'], tick)}", f"SL {format_price(plan['sl'], tick)}"]


# ── Браузер ──
pytestmark = [pytest.mark.browser, needs_chromium]


async def _cells(page: Any, key: str) -> dict[str, str]:
    return dict(
        await page.evaluate(
            f"""() => {{
              const i = [...document.querySelectorAll('#assets-head th')].findIndex(th => th.dataset.key === '{key}');
              return [...document.querySelectorAll('#assets-body tr[data-symbol]')]
                .map(r => [r.dataset.symbol, r.children[i].innerText.trim()]);
            }}"""
        )
    )


async def _shown(page: Any) -> list[str]:
    return list(
        await page.eval_on_selector_all("#assets-body tr[data-symbol]", "r => r.map(x => x.dataset.symbol)")
    )


async def _wait_rows(page: Any, n: int) -> None:
    await page.wait_for_function(
        f"document.querySelectorAll('#assets-body tr[data-symbol]').length === {n}", timeout=WAIT_MS
    )


async def _chart_shapes(page: Any) -> list[str]:
    return list(await page.evaluate("(document.getElementById('chart').layout.shapes || []).map(s => s.name)"))


def _live(frame: dict[str, Any]) -> dict[str, Any]:
    return {**frame, "ts": int(time.time() * 1000)}


async def _serve(scene: Ui20Scene) -> tuple[Any, QueueFrameSource, MappingBarsProvider]:
    provider = MappingBarsProvider(scene.bars)
    provider.cursor = {s: visible_bars(b, scene.now_ms) for s, b in scene.bars.items()}
    source = QueueFrameSource()
    runner = await start_web_server(create_web_app(source, provider, locale="uk", market="um"), "127.0.0.1", 0)
    return runner, source, provider


async def test_dashboard_explains_signals_desktop(data_1m: Path) -> None:
    from playwright.async_api import async_playwright

    scene = ui20_scene(data_1m)
    frame = scene.frame()
    rows = rows_of(frame)
    live, ended, invalid = rows[LIVE], rows[EXPIRED], rows[INVALID]
    # Передумови з конвеєра: живий план без угоди, застарілий і скасований — з причинами обома мовами.
    assert live["lifecycle"]["state"] in ("new", "active", "triggered") and live["trade_status"] is None
    assert ended["lifecycle"]["state"] == "expired" and invalid["lifecycle"]["state"] == "invalidated"
    assert invalid["lifecycle"]["reason"] == "opposite_signal"
    assert invalid["texts"]["en"]["narrative"] and invalid["texts"]["en"]["narrative"] != invalid["narrative"]
    raw = scene.raw_levels[INVALID]
    assert max(sum(1 for lv in raw if lv["kind"] == k) for k in ("support", "resistance")) > 3  # є що відсівати

    runner, source, _ = await _serve(scene)
    source.put(_live(frame))
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(viewport={"width": 1440, "height": 900})
                await context.add_init_script(
                    "window.__notes = []; window.Notification = class { constructor(t, o) { window.__notes.push([t, o]); }"
                    " static requestPermission() { return Promise.resolve('granted'); } };"
                    " window.Notification.permission = 'granted';"
                )
                page = await context.new_page()
                await page.goto(runner.url + "/")
                await _wait_rows(page, 8)

                # План і стан сигналу видно без угоди; впевненість — словами, не відсотком.
                plans, lives, confs, trades = (
                    await _cells(page, "plan"),
                    await _cells(page, "lifecycle"),
                    await _cells(page, "confidence"),
                    await _cells(page, "trade"),
                )
                for bit in plan_bits(live):
                    assert bit in plans[LIVE], (bit, plans[LIVE])
                assert trades[LIVE] == "-"
                state_uk = {"new": "новий", "active": "чекає входу", "triggered": "у роботі"}
                assert lives[LIVE].startswith(state_uk[live["lifecycle"]["state"]])
                assert confs[LIVE] == live["confidence_text"] and confs[LIVE].startswith("оцінка ")
                assert "%" not in confs[LIVE]

                # Скасований і застарілий: приглушені, причина в рядку; фільтр «АКТИВНІ» їх не показує.
                assert lives[INVALID] == invalid["lifecycle"]["text"]
                assert lives[INVALID].startswith("скасований: протилежний сигнал")
                assert lives[EXPIRED] == ended["lifecycle"]["text"] and "240 хв" in lives[EXPIRED]
                for sym in (INVALID, EXPIRED):
                    row = page.locator(f"#assets-body tr[data-symbol={sym}]")
                    assert "ended" in (await row.get_attribute("class") or "").split()
                    assert float(await row.evaluate("r => getComputedStyle(r).opacity")) < 0.6
                assert "ended" not in (await page.get_attribute(f"#assets-body tr[data-symbol={LIVE}]", "class") or "")
                await page.click("#filters button[data-filter=ACTIVE]")
                assert await _shown(page) == [LIVE]
                await page.click("#filters button[data-filter=ALL]")

                # Пошук фільтрує рядки.
                await page.fill("#search", "ena")
                assert await _shown(page) == [INVALID]
                await page.fill("#search", "usdt")
                assert len(await _shown(page)) == 8
                await page.fill("#search", "")

                # Спарклайни останніх годин з окремого запиту.
                await page.wait_for_function(
                    "document.querySelectorAll('#assets-body td.c-spark svg.spark').length === 8", timeout=WAIT_MS
                )

                # Деталі скасованого: ≤ 3 рівні на бік, план (зона входу, TP, SL), причина, Binance.
                await page.click(f"#assets-body tr[data-symbol={INVALID}]")
                await page.wait_for_function(
                    "(() => { const c = document.getElementById('chart');"
                    " return c && c.data && c.data[0] && c.data[0].x.length === 240; })()",
                    timeout=WAIT_MS,
                )
                shapes = await _chart_shapes(page)
                for kind in ("support", "resistance"):
                    in_frame = sum(1 for lv in invalid["levels"] if lv["kind"] == kind)
                    assert shapes.count(f"level-{kind}") == in_frame <= 3, kind
                assert shapes.count("level-support") + shapes.count("level-resistance") >= 1
                assert {"plan-entry", "plan-tp", "plan-sl"} <= set(shapes)
                assert await page.is_visible("#detail-plan-section")
                plan_box = await page.inner_text("#detail-plan-section")
                for bit in plan_bits(invalid):
                    assert bit in plan_box
                assert invalid["lifecycle"]["invalidation_text"] in plan_box
                href = await page.get_attribute("#detail-binance", "href")
                assert href == f"https://www.binance.com/en/futures/{INVALID}"
                assert await page.inner_text("#detail-narrative") == invalid["narrative"]

                # Таймфрейм 5m: бари переагреговано на сервері з 1m.
                await page.click("#tf button[data-tf='5m']")
                await page.wait_for_function(
                    "(() => { const x = document.getElementById('chart').data[0].x;"
                    " return x.length > 2 && x[1] - x[0] === 300000; })()",
                    timeout=WAIT_MS,
                )
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "ui20_desktop.png"), full_page=True)

                # en: заголовки, стан і наратив — англійською з кадру.
                await page.click("#lang button[data-lang=en]")
                assert await page.inner_text("#assets-head th[data-key=plan]") == "Signal plan"
                assert await page.inner_text("#assets-head th[data-key=lifecycle]") == "Signal state"
                assert await page.inner_text("#detail-narrative") == invalid["texts"]["en"]["narrative"]
                lives_en = await _cells(page, "lifecycle")
                assert lives_en[INVALID] == invalid["lifecycle"]["texts"]["en"]["text"]
                assert lives_en[INVALID].startswith("invalidated: ")
                assert (await _cells(page, "confidence"))[LIVE] == live["texts"]["en"]["confidence_text"]
                await page.screenshot(path=str(ARTIFACTS / "ui20_desktop_en.png"), full_page=True)

                # Вибір пам'ятається після перезавантаження: мова, сортування, фільтр, пошук, таймфрейм.
                await page.click("#assets-head th[data-key=rsi]")
                await page.click("#filters button[data-filter=SIGNAL]")
                await page.fill("#search", "usdt")
                await page.click("#notify")
                await page.reload()
                await page.wait_for_function(
                    "document.querySelectorAll('#assets-body tr[data-symbol]').length === 3", timeout=WAIT_MS
                )
                assert await page.inner_text("#assets-head th[data-key=plan]") == "Signal plan"
                assert (await page.inner_text("#assets-head th[data-key=rsi]")).endswith("▼")
                assert await page.input_value("#search") == "usdt"
                assert "active" in (await page.get_attribute("#filters button[data-filter=SIGNAL]", "class") or "")
                assert "active" in (await page.get_attribute("#tf button[data-tf='5m']", "class") or "")
                assert "active" in (await page.get_attribute("#notify", "class") or "")

                # Новий сигнал з найвищим рангом (BTCUSDT завершився, з'явився XRPUSDT) — сповіщення.
                assert await page.evaluate("window.__notes.length") == 0
                scene.bars_until(LIVE, scene.now_ms + 300 * MIN)
                scene.signal(LATER, BULL, 20_000)
                frame2 = scene.frame()
                assert rows_of(frame2)[LIVE]["lifecycle"]["final"] is True
                source.put(_live(frame2))
                await page.wait_for_function("window.__notes.length === 1", timeout=WAIT_MS)
                title, opts = await page.evaluate("window.__notes[0]")
                assert title == f"AiOne · {LATER}" and "TP " in opts["body"]
            finally:
                await browser.close()
    finally:
        source.close()
        await runner.cleanup()


async def test_dashboard_cards_on_a_phone(data_1m: Path) -> None:
    from playwright.async_api import async_playwright

    scene = ui20_scene(data_1m)
    frame = scene.frame()
    live = rows_of(frame)[LIVE]
    runner, source, _ = await _serve(scene)
    source.put(_live(frame))
    no_overflow = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 390, "height": 844})
                await page.goto(runner.url + "/")
                await _wait_rows(page, 8)
                assert await page.evaluate(no_overflow)
                # Картки: шапки таблиці немає, план і стан живого сигналу видно, другорядне сховано.
                assert not await page.is_visible("#assets-head")
                card = page.locator(f"#assets-body tr[data-symbol={LIVE}]")
                assert await card.locator("td.c-plan").is_visible()
                assert await card.locator("td.c-lifecycle").is_visible()
                assert not await card.locator("td.c-rsi").is_visible()
                plan_text = await card.locator("td.c-plan").inner_text()
                for bit in plan_bits(live):
                    assert bit in plan_text
                before = "td => getComputedStyle(td, '::before').content"
                assert "План сигналу" in await card.locator("td.c-plan").evaluate(before)  # підпис картки
                ended = page.locator(f"#assets-body tr[data-symbol={INVALID}] td.c-lifecycle")
                assert (await ended.inner_text()).strip().endswith(rows_of(frame)[INVALID]["lifecycle"]["text"])
                # Деталі з графіком і угодами теж вміщаються.
                await card.click()
                await page.wait_for_function(
                    "(() => { const c = document.getElementById('chart');"
                    " return c && c.data && c.data[0] && c.data[0].x.length === 240; })()",
                    timeout=WAIT_MS,
                )
                assert await page.evaluate(no_overflow)
                await page.click("#lang button[data-lang=en]")
                assert "Signal plan" in await card.locator("td.c-plan").evaluate(before)
                assert await page.evaluate(no_overflow)
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "ui20_phone.png"), full_page=True)
            finally:
                await browser.close()
    finally:
        source.close()
        await runner.cleanup()
