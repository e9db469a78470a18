"""Демо каже, що воно демо: конвеєр `aione demo` кладе в кадр `meta` (режим, швидкість, час ринку
симулятора), а термінальна таблиця з цього кадру показує «ДЕМО · симуляція ×300 над записаними
барами · час ринку …» (Rich-захоплення). Оборот у кадрі — за 24 год, зі сховища."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
from rich.console import Console

from aione.app.demo import DEMO_PREFILTER_PARAMS, run_demo
from aione.app.main import RunOptions
from aione.ui.labels import market_clock_text
from aione.ui.ui_render import render_table
from tests.redis_server import free_port

SAMPLE_START_MS = 1748359860000  # 2025-05-27 15:31 UTC: перший бар вбудованого зразка


async def _demo_frame(speed: float) -> dict[str, Any]:
    port = free_port()
    opts = RunOptions(
        rest_url="", ws_url="", prefilter_params=DEMO_PREFILTER_PARAMS, web=True, web_port=port,
        progress=False, install_signal_handlers=False,
    )  # fmt: skip
    stop, ready = asyncio.Event(), asyncio.Event()
    demo = asyncio.create_task(run_demo(opts, speed=speed, stop=stop, ready=ready))
    try:
        await asyncio.wait({demo, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
        assert not demo.done(), demo.result()
        async with aiohttp.ClientSession() as http:
            frame: dict[str, Any] = {}
            for _ in range(100):  # перший кадр з рядками з'являється після прогріву
                async with http.get(f"http://127.0.0.1:{port}/api/frame") as resp:
                    if resp.status == 200:
                        frame = await resp.json()
                        if frame.get("assets") and all(a.get("price") for a in frame["assets"]):
                            break
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        report = await asyncio.wait_for(demo, timeout=60)
    assert report.failures == []
    return frame


def test_demo_frame_carries_meta_and_terminal_shows_the_marker() -> None:
    frame = asyncio.run(_demo_frame(speed=300))
    meta = frame["meta"]
    assert meta["mode"] == "demo" and meta["speed"] == 300.0 and meta["locale"] == "uk"
    # час ринку — віртуальний годинник симулятора над записаними барами (травень 2025), не настінний
    assert SAMPLE_START_MS <= meta["market_clock_ms"] < SAMPLE_START_MS + 8 * 86_400_000
    console = Console(record=True, width=240, file=io.StringIO(), color_system=None)
    console.print(render_table(frame, frame["ts"]))
    text = console.export_text()
    first = text.splitlines()[0].strip()
    assert first == f"ДЕМО · симуляція ×300 над записаними барами · час ринку {market_clock_text(meta['market_clock_ms'])}"
    # оборот за 24 год: зі сховища (доба preload), більший за оборот одного бару
    rows = frame["assets"]
    assert all(r["turnover_24h_usd"] > 100 * r["volume_usd"] for r in rows), rows
    assert "Оборот 24 год, USD" in text and "Зміна 24 год %" in text
    assert "Смуга — від найближчої підтримки до опору" in text and "seq — номер кадру" in text


def test_live_frame_has_no_demo_marker() -> None:
    from aione.ui.ui_render import header_text

    frame = {"seq": 1, "ts": 0, "assets": [], "counters": {}, "meta": {"mode": "live", "speed": 1.0,
             "market_clock_ms": 0, "locale": "uk"}}  # fmt: skip
    assert "ДЕМО" not in header_text(frame, 0).plain
    en = {**frame, "meta": {**frame["meta"], "mode": "demo", "speed": 60, "locale": "en"}}
    assert header_text(en, 0).plain.startswith(
        "DEMO · simulation ×60 over recorded bars · market time 1970-01-01 00:00:00 UTC"
    )
