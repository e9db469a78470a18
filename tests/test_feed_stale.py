"""Застарілий символ: немає закритого бару N інтервалів → `stale: true` з причиною в кадрі, сигнали
придушено з причиною `stale_feed`; бари пішли знову — прапорець знято."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp

from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.config.config import ALERT_BUDGET
from aione.exchange.feed_health import (
    STALE_AFTER_INTERVALS,
    STALE_MIN_SILENT_SEC,
    stale_reason,
    stale_symbols,
)
from aione.exchange.simulator import BinanceSimulator
from aione.signals.gate import STALE_FEED_REASON, SignalGate
from aione.stage3.asset_state import AssetStateAggregator

MIN = 60_000
T0 = 1_748_000_000_000 // MIN * MIN


def _offer(gate: SignalGate, symbol: str, ts: int) -> list[Any]:
    alert = {"symbol": symbol, "timestamp": ts, "stats": {"close": 100.0}, "trigger_reasons": ["volume_spike"]}
    decision = {
        "symbol": symbol,
        "timestamp": ts,
        "status": "completed",
        "recommendation": "STRONG_BUY",
        "confidence_metrics": {"composite_confidence": 0.9},
    }
    return gate.offer(alert, decision) + gate.release(ts + MIN)


# ── Чиста логіка ──
def test_stale_after_n_intervals_without_a_closed_bar() -> None:
    last = T0
    assert stale_reason(last, last + MIN + (STALE_AFTER_INTERVALS - 1) * MIN, MIN) is None
    reason = stale_reason(last, last + MIN + STALE_AFTER_INTERVALS * MIN, MIN)
    assert reason == f"no closed bar for {STALE_AFTER_INTERVALS} intervals"
    assert stale_reason(None, last + 100 * MIN, MIN) is None  # ще жодного бару: не застарілий


def test_frame_flags_stale_symbols_with_a_reason() -> None:
    agg = AssetStateAggregator(["BTCUSDT", "ETHUSDT"])
    agg.build_frame(T0)
    agg.set_stale({"ETHUSDT": "no closed bar for 4 intervals"})
    assert agg.dirty
    rows = {r["symbol"]: r for r in agg.build_frame(T0 + 1)["assets"]}
    assert rows["ETHUSDT"]["stale"] is True
    assert rows["ETHUSDT"]["stale_reason"] == "no closed bar for 4 intervals"
    assert rows["BTCUSDT"]["stale"] is False and rows["BTCUSDT"]["stale_reason"] is None
    agg.set_stale({"ETHUSDT": "no closed bar for 5 intervals"})
    assert not agg.dirty  # лише лічильник причини змінився
    agg.set_stale({})
    assert agg.dirty
    rows = {r["symbol"]: r for r in agg.build_frame(T0 + 2)["assets"]}
    assert rows["ETHUSDT"]["stale"] is False


def test_signals_of_a_stale_symbol_are_suppressed_until_bars_flow() -> None:
    params = {**ALERT_BUDGET, "min_rank": 0.0}
    gate = SignalGate(params, track=False)
    gate.set_stale({"ETHUSDT": "no closed bar for 3 intervals"})
    stale = _offer(gate, "ETHUSDT", T0)
    fresh = _offer(gate, "BTCUSDT", T0 + 2 * MIN)
    assert [(v.promoted, v.reason) for v in stale] == [(False, STALE_FEED_REASON)]
    assert stale[0].candidate.decision["signal"]["reason"] == STALE_FEED_REASON
    assert [v.promoted for v in fresh] == [True]
    gate.set_stale({})
    assert [v.promoted for v in _offer(gate, "ETHUSDT", T0 + 4 * MIN)] == [True]


# ── Наскрізно: затримка фіду → stale у кадрі, потім знято ──
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _stale_rows(session: aiohttp.ClientSession, url: str) -> dict[str, bool]:
    async with session.get(url) as resp:
        if resp.status != 200:
            return {}
        frame = await resp.json()
    return {row["symbol"]: bool(row.get("stale")) for row in frame["assets"]}


async def _until(session: aiohttp.ClientSession, url: str, want: bool, timeout: float) -> dict[str, bool]:
    end = time.monotonic() + timeout
    rows: dict[str, bool] = {}
    while time.monotonic() < end:
        rows = await _stale_rows(session, url)
        if rows and all(v is want for v in rows.values()):
            return rows
        await asyncio.sleep(0.2)
    raise AssertionError(f"stale flags never became {want}: {rows}")


async def test_stalled_feed_is_flagged_stale_in_the_frame_then_cleared(tmp_path: Path) -> None:
    symbols = ["BTCUSDT", "ETHUSDT"]
    sim = BinanceSimulator(sample_data_dir(), speed=60, market="um", symbols=symbols)
    await sim.start()
    port = _free_port()
    stop, ready = asyncio.Event(), asyncio.Event()
    opts = RunOptions(
        rest_url=sim.rest_url,
        ws_url=sim.ws_url,
        symbols=symbols,
        lookback_1m=120,
        daily_days=2,
        web=True,
        web_port=port,
        progress=False,
        install_signal_handlers=False,
    )
    url = f"http://127.0.0.1:{port}/api/frame"
    try:
        task = asyncio.create_task(run_pipeline(opts, stop, ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        async with aiohttp.ClientSession() as session:
            await _until(session, url, False, timeout=5)
            sim.stall(8.0)  # 8 віртуальних хвилин без кадрів
            await _until(session, url, True, timeout=8)
            await _until(session, url, False, timeout=10)  # бари пішли знову
        stop.set()
        report = await asyncio.wait_for(task, timeout=30)
    finally:
        await sim.stop()
    assert report.failures == []


def test_a_symbol_with_a_recent_closed_bar_in_wall_time_is_not_stale() -> None:
    """Прискорений ринок (×1000): три інтервали біржі минають за 0.18 с, затримка обробки — не застарілість.
    Застарілий лише той, хто ще й `STALE_MIN_SILENT_SEC` секунд настінного часу мовчить."""
    last = 1_700_000_000_000
    now = last + MIN + 10 * MIN
    recent = {"BTCUSDT": 0.2, "ETHUSDT": STALE_MIN_SILENT_SEC + 1.0}
    flagged = stale_symbols({"BTCUSDT": last, "ETHUSDT": last, "SOLUSDT": last}, now, MIN, silent_sec=recent)
    assert set(flagged) == {"ETHUSDT", "SOLUSDT"}  # SOLUSDT: закритого бару з WS ще не було
    assert set(stale_symbols({"BTCUSDT": last}, now, MIN)) == {"BTCUSDT"}  # без настінного часу — як раніше


def test_silence_is_counted_from_the_subscription_not_from_the_start_of_time(monkeypatch: Any) -> None:
    """Одразу після старту (останній бар — з передзавантаження, WS ще не дав закритого бару) символ не
    застарілий: тиша рахується від підписки. Мовчить `STALE_MIN_SILENT_SEC` після неї — застарілий."""
    from aione.exchange import binance_ws
    from aione.exchange.binance_ws import BinanceWsClient

    wall = [1_000.0]
    monkeypatch.setattr(binance_ws.time, "monotonic", lambda: wall[0])
    ws = BinanceWsClient("ws://127.0.0.1:9", object(), lambda _e: None)  # type: ignore[arg-type]
    asyncio.run(ws.set_symbols(["BTCUSDT"]))
    ws.seed_last_closed("BTCUSDT", T0)  # передзавантаження
    now = T0 + MIN + 10 * MIN  # біржа пішла вперед, поки клієнт стартував (дозаповнення наздожене)
    assert ws.stale_symbols(now) == {}
    wall[0] += STALE_MIN_SILENT_SEC + 0.5
    assert set(ws.stale_symbols(now)) == {"BTCUSDT"}
