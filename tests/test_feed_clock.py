"""Годинник біржі: клієнт іде за ним безперервно (GET /time, час подій WS, бари відповіді), тож
наздоганяння після затримки не вважає закриті бари відкритими; бан 418 — один CRITICAL на бан."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.errors import BannedError
from aione.exchange.simulator import BinanceSimulator
from tests.feed_audit import audit_run

MIN = 60_000
SYMBOLS = ["BTCUSDT", "ETHUSDT"]


# ── Заглушка REST ──
@pytest.fixture
async def stub() -> AsyncIterator[tuple[dict[str, object], str]]:
    state: dict[str, object] = {"status": 200, "body": "[]", "hits": 0, "delay": 0.0}

    async def handler(request: web.Request) -> web.Response:
        state["hits"] = int(state["hits"]) + 1  # type: ignore[call-overload]
        await asyncio.sleep(float(state["delay"]))  # type: ignore[arg-type]
        headers = {"Retry-After": "30"} if state["status"] == 418 else {}
        return web.Response(
            status=int(state["status"]),  # type: ignore[call-overload]
            body=str(state["body"]),
            headers=headers,
            content_type="application/json",
        )

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield state, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def _row(minute: int) -> str:
    t = minute * MIN
    return f'[{t},"1","2","0.5","1.5","10",{t + MIN - 1},"15",3,"5","7","0"]'


async def test_ban_logs_one_critical_line_per_ban_not_per_request(
    stub: tuple[dict[str, object], str], caplog: pytest.LogCaptureFixture
) -> None:
    state, url = stub
    state.update(status=418, body='{"code":-1003,"msg":"banned"}', delay=0.2)
    async with BinanceRestClient(url, max_retries=1) as rest:
        with caplog.at_level(logging.DEBUG, logger="aione.exchange.binance_rest"):
            results = await asyncio.gather(*(rest.server_time() for _ in range(8)), return_exceptions=True)
            with pytest.raises(BannedError):
                await rest.server_time()  # під час бану — без звернення до сервера
    assert all(isinstance(r, BannedError) for r in results)
    assert state["hits"] == 8
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(critical) == 1, [r.getMessage() for r in critical]
    assert rest.bans == 1


async def test_klines_page_counts_earlier_bars_closed_and_moves_the_exchange_clock(
    stub: tuple[dict[str, object], str],
) -> None:
    state, url = stub
    # наш годинник відстає на 10 хв від біржі; біржа вже віддала бари 100..104
    state["body"] = "[" + ",".join(_row(m) for m in range(100, 105)) + "]"
    async with BinanceRestClient(url, clock=lambda: 95 * MIN) as rest:
        bars = await rest.klines_range("BTCUSDT", "1m", 100 * MIN, 104 * MIN)
        assert [b.open_time // MIN for b in bars] == [100, 101, 102, 103]  # 104 ще може бути відкритим
        assert rest.server_now() >= 104 * MIN
        rest.observe_server_time(110 * MIN)  # подія WS
        assert rest.server_now() == 110 * MIN
        rest.observe_server_time(105 * MIN)  # старіша подія годинник назад не вертає
        assert rest.server_now() == 110 * MIN


# ── Наскрізно: run_pipeline на настінному годиннику проти симулятора x60 із затримкою ──
async def test_run_against_sim_at_60x_with_a_stall_stores_every_bar(tmp_path: Path) -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=60, market="um", symbols=SYMBOLS)
    await sim.start()
    stop, ready = asyncio.Event(), asyncio.Event()
    opts = RunOptions(
        rest_url=sim.rest_url,
        ws_url=sim.ws_url,
        symbols=SYMBOLS,
        data_dir=tmp_path,
        lookback_1m=120,
        daily_days=2,
        progress=False,
        install_signal_handlers=False,
    )  # годинник — типовий настінний, як у `aione run`
    try:
        task = asyncio.create_task(run_pipeline(opts, stop, ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        since = sim.clock()
        await asyncio.sleep(2.0)
        sim.stall(2.5)  # 2.5 віртуальні хвилини кадрів утрачено
        await asyncio.sleep(5.0)
        until = (sim.clock() // MIN - 2) * MIN
        stop.set()
        report = await asyncio.wait_for(task, timeout=30)
    finally:
        await sim.stop()
    assert report.failures == []
    audit = audit_run(tmp_path, sample_data_dir(), SYMBOLS, sim.removed, since, until)
    print(audit.line())
    assert audit.expected >= 2 * 4
    assert (audit.missing, audit.duplicate, audit.wrong) == (0, 0, 0), audit.line()
    assert report.ws["backfilled_bars"] >= 2 and report.ws["holes"] == 0
