"""Події живого брокера назовні: метрики Prometheus (`/metrics`), розділ `meta.execution` кадру
(перевірений схемою), рядок у шапці терміналу й у веб-панелі (uk/en)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from aione.config.config import EXECUTION_JOURNAL_FILENAME, ExecutionLimits
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.sim_trading import SIM_API_KEY, SIM_API_SECRET
from aione.exchange.simulator import BinanceSimulator
from aione.execution import journal as jr
from aione.execution.binance_trading import BinanceTradingClient
from aione.execution.kill import KillSwitch
from aione.execution.live import BinanceBroker
from aione.execution.monitor import ExecutionMonitor
from aione.metrics import MetricsCollector
from aione.stage3.trade_model import Trade, TradeEvent
from aione.ui.frame_schema import frame_problem
from aione.ui.labels import execution_line, ui_labels
from aione.ui.ui_render import header_text
from aione.ui.web import create_web_app
from tests.redis_server import free_port
from tests.web_helpers import QueueFrameSource

LIMITS = ExecutionLimits(max_notional_per_trade=200.0, max_open_positions=2, max_total_exposure=400.0)
APP_JS = Path(__file__).parent.parent / "src" / "aione" / "ui" / "web" / "static" / "app.js"


def _trade(sim: BinanceSimulator, tid: str, rec: str = "STRONG_BUY") -> Trade:
    price = sim.trading.price("BTCUSDT")
    assert price is not None
    return Trade(
        trade_id=tid, symbol="BTCUSDT", side="BUY", status="open", decision_ts=1, recommendation=rec,
        confidence=0.9, planned_entry=price, tp=price * 1.05, sl=price * 0.95, initial_sl=price * 0.95,
        atr=price * 0.01, tick_size=0.01, fee_rate=0.0004, entry_price=price, entry_ts=sim.clock(),
    )  # fmt: skip


async def _until(cond: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


@pytest.fixture
async def live(data_1m: Path, tmp_path: Path) -> AsyncIterator[tuple[BinanceSimulator, BinanceBroker, int]]:
    """Симулятор, живий брокер із монітором і ендпоінт `/metrics` на вільному порту."""
    metrics = MetricsCollector()
    port = free_port()
    async with (
        BinanceSimulator(data_1m, speed=1, symbols=["BTCUSDT", "ETHUSDT"]) as sim,
        BinanceRestClient(sim.rest_url) as rest,
    ):
        await rest.sync_time()
        client = BinanceTradingClient(rest, SecretStr(SIM_API_KEY), SecretStr(SIM_API_SECRET))
        monitor = ExecutionMonitor("live", "testnet", metrics, clock=sim.clock)
        broker = BinanceBroker(
            client, jr.Journal(tmp_path / EXECUTION_JOURNAL_FILENAME), KillSwitch(tmp_path),
            ws_url=sim.ws_url, limits=LIMITS, kill_poll_sec=0.05, monitor=monitor,
        )  # fmt: skip
        await metrics.start_server(port, host="127.0.0.1")
        await broker.start()
        try:
            yield sim, broker, port
        finally:
            await broker.stop()
            await metrics.stop_server()


async def test_broker_events_reach_metrics_frame_and_terminal(
    live: tuple[BinanceSimulator, BinanceBroker, int],
) -> None:
    sim, broker, port = live
    await _until(lambda: broker.stream is not None and broker.stream.connected.is_set())
    broker.on_trade_events([TradeEvent("opened", _trade(sim, "BTCUSDT-BUY-1"))])
    broker.on_trade_events([TradeEvent("opened", _trade(sim, "BTCUSDT-BUY-2", rec="HOLD"))])  # ризик: відмова
    await broker.wait_idle()
    await _until(lambda: broker.monitor.fills >= 1)  # виконання входу з потоку користувача
    await broker.kill.set("test")
    await _until(lambda: broker.monitor.kill)
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
        text = await resp.text()
    for line in (
        'execution_orders_total{kind="entry",status="placed"} 1.0',
        'execution_orders_total{kind="entry",status="acked"} 1.0',
        'execution_orders_total{kind="sl",status="acked"} 1.0',
        'execution_fills_total{leg="entry"} 1.0',
        'execution_blocked_total{reason="recommendation_not_allowed"} 1.0',
        "execution_reconciliations_total 1.0",
        "execution_kill_switch 1.0",
    ):
        assert line in text, line
    acks = [ln for ln in text.splitlines() if ln.startswith("execution_order_ack_seconds_count")]
    assert acks and float(acks[0].split()[-1]) >= 3  # вхід, SL, TP

    section = broker.frame_section()
    assert section["mode"] == "live" and section["env"] == "testnet" and section["kill"] is True
    assert section["open_positions"] == 1 and section["orders"] >= 3 and section["blocked"] == 1
    kinds = [e["kind"] for e in section["events"]]
    assert kinds[-1] == "kill" and "blocked" in kinds and len(kinds) == 8  # хвіст обмежено
    assert all(e["ts"] >= sim.clock() - 60_000 for e in section["events"])  # час біржі, не настінний
    frame = {"seq": 1, "ts": time.time() * 1000, "assets": [], "meta": {"locale": "uk", "execution": section}}
    assert frame_problem(frame) is None
    header = header_text(frame, int(time.time() * 1000)).plain
    assert "ВИКОНАННЯ live · testnet · позицій 1" in header and "kill switch" in header
    en = header_text({**frame, "meta": {"locale": "en", "execution": section}}, int(time.time() * 1000)).plain
    assert "EXECUTION live · testnet · positions 1" in en and "new orders blocked" in en


def test_execution_section_is_validated_and_optional() -> None:
    base = {"seq": 1, "ts": time.time() * 1000, "assets": []}
    assert frame_problem({**base, "meta": {"mode": "live"}}) is None  # без розділу — як раніше
    bad_kind = {"mode": "live", "events": [{"ts": 1, "kind": 7}]}
    problem = frame_problem({**base, "meta": {"execution": bad_kind}})
    assert problem is not None and problem.startswith("meta.execution.events.0.kind")
    problem = frame_problem({**base, "meta": {"execution": {"mode": "live", "open_positions": -1}}})
    assert problem is not None and "open_positions" in problem
    assert execution_line({"mode": "demo"}) is None
    line = execution_line(
        {"execution": {"mode": "live", "env": "testnet", "open_positions": 0, "orders": 2, "fills": 1,
                       "blocked": 0, "kill": False,
                       "events": [{"ts": 1_748_453_040_000, "symbol": "XRPUSDT", "kind": "fill",
                                   "text": "entry SELL 44.571 @ 2.309"}]}},
        "en",
    )  # fmt: skip
    assert line == (
        "EXECUTION live · testnet · positions 0 · orders 2 · fills 1 · refused 0 · "
        "last event: 17:24:00 XRPUSDT fill entry SELL 44.571 @ 2.309"
    )


async def test_dashboard_has_the_execution_line() -> None:
    async with TestClient(TestServer(create_web_app(QueueFrameSource()))) as client:
        page = await (await client.get("/")).text()
        script = await (await client.get("/static/app.js")).text()
        labels = (await (await client.get("/api/config")).json())["labels"]
    assert 'id="execution"' in page
    assert "function executionLine(frame)" in script and 'getElementById("execution")' in script
    assert labels["execution"]["uk"]["kill"] == ui_labels()["execution"]["uk"]["kill"]
    assert labels["execution_kind"]["en"]["blocked"] == "risk refusal"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_dashboard_execution_line_matches_the_terminal() -> None:
    """`executionLine` з app.js (у node, без браузера) дає той самий рядок, що й термінал."""
    source = APP_JS.read_text()
    start = source.index("function executionLine(frame)")
    body = source[start : source.index("\n}\n", start) + 3]
    num = source[source.index("function num(v)") :]
    num = num[: num.index("\n}\n") + 3]
    section = {
        "mode": "live", "env": "testnet", "open_positions": 1, "orders": 3, "fills": 1, "blocked": 0,
        "kill": True, "events": [{"ts": 1_748_453_040_000, "symbol": "BTCUSDT", "kind": "ack", "text": "sl NEW"}],
    }  # fmt: skip
    labels = ui_labels()
    script = (
        f"const state = {{config: {{labels: {json.dumps(labels)}}}}};\n"
        "const locale = () => 'uk';\n"
        f"{num}\n{body}\n"
        f"process.stdout.write(executionLine({{meta: {{execution: {json.dumps(section)}}}}}));\n"
    )
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=20, check=True)
    assert out.stdout == execution_line({"execution": section}, "uk")
