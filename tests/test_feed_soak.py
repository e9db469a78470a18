"""Наскрізно: конвеєр `aione run` (настінний годинник) проти симулятора x60.

1. Дірки біржі: символ і далі оновлюється, дірки пораховано, вага REST < 10 % бюджету.
2. Soak: `aione simulate` з усіма перемикачами несправностей; звірка збережених барів із записаними:
   0 бракує, 0 дублікатів, 0 хибних (бари, яких біржа не мала, виключено й пораховано).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.sim_faults import FaultPlan
from aione.exchange.simulator import BinanceSimulator
from tests.feed_audit import audit_run

MIN = 60_000
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
URL_RE = re.compile(r"REST (http://\S+)\s+WS (ws://\S+)/stream")


def _opts(rest_url: str, ws_url: str, data_dir: Path) -> RunOptions:
    # як `aione run`: настінний годинник клієнта, біржа йде своїм (x60)
    return RunOptions(
        rest_url=rest_url,
        ws_url=ws_url,
        symbols=SYMBOLS,
        data_dir=data_dir,
        lookback_1m=240,
        daily_days=3,
        progress=False,
        install_signal_handlers=False,
    )


async def test_exchange_holes_are_counted_the_symbols_keep_updating_and_rest_weight_stays_low(
    tmp_path: Path,
) -> None:
    sim = BinanceSimulator(
        sample_data_dir(), speed=60, market="um", symbols=SYMBOLS, faults=FaultPlan(missing_every=4)
    )
    await sim.start()
    stop, ready = asyncio.Event(), asyncio.Event()
    try:
        task = asyncio.create_task(run_pipeline(_opts(sim.rest_url, sim.ws_url, tmp_path), stop, ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        since = sim.clock()
        first_window = since // MIN + 1
        await asyncio.sleep(10.0)
        until = (sim.clock() // MIN - 2) * MIN
        stop.set()
        report = await asyncio.wait_for(task, timeout=30)
    finally:
        await sim.stop()
    audit = audit_run(tmp_path, sample_data_dir(), SYMBOLS, sim.removed, since, until)
    print(audit.line())
    assert report.failures == []
    assert audit.holes >= len(SYMBOLS) * 2  # біржа справді мала дірки у вікні
    assert (audit.missing, audit.duplicate, audit.wrong) == (0, 0, 0), audit.line()
    assert report.ws["hole_bars"] >= audit.holes  # кожну дірку пораховано
    for symbol in SYMBOLS:  # символ оновлюється до кінця, а не замерзає на першій дірці
        last = report.last_closed_ms[symbol]
        assert last is not None and last >= until, symbol
    live = [w for window, w in sim.weight_windows().items() if window >= first_window]
    print(f"REST weight per minute after preload: max {max(live, default=0)} of {sim.weight_limit}")
    assert live and max(live) < 0.1 * sim.weight_limit, live


@pytest.mark.slow
async def test_soak_run_against_simulate_with_every_fault_switch(tmp_path: Path) -> None:
    args = (
        "--speed", "60", "--symbols", ",".join(SYMBOLS), "--port", "0", "--duration", "120",
        "--drop-every", "4", "--http429-every", "3", "--ban-every", "7", "--ban-seconds", "1",
        "--malformed-every", "2", "--stall-every", "5.5", "--stall-seconds", "1.5",
        "--clock-jump-every", "6.5", "--clock-jump-minutes", "3", "--missing-every", "15",
        "--faults-for", "25",  # потім ~9 с тиші: клієнт має наздогнати все
    )  # fmt: skip
    env = {**os.environ, "AIONE_LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aione", "simulate", str(sample_data_dir()), *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        match = URL_RE.search((await asyncio.wait_for(proc.stdout.readline(), timeout=60)).decode())
        assert match
        rest_url, ws_url = match.group(1), match.group(2)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(run_pipeline(_opts(rest_url, ws_url, tmp_path), stop, ready))
        await asyncio.wait_for(ready.wait(), timeout=60)
        async with BinanceRestClient(rest_url) as probe:
            since = await probe.server_time()
            await asyncio.sleep(30.0)
            until = (await probe.server_time()) // MIN * MIN - 2 * MIN
            stop.set()
            report = await asyncio.wait_for(task, timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)  # `aione simulate` друкує підсумок і виходить
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    summary = json.loads(out.decode().strip().splitlines()[-1])
    audit = audit_run(tmp_path, sample_data_dir(), SYMBOLS, summary["missing_bars"], since, until)
    print(f"soak: {audit.line()}; faults {summary['faults']}; ws {report.ws}")
    assert set(summary["faults"]) == {"drop", "http429", "ban", "malformed", "stall", "clock_jump"}
    assert report.failures == []
    assert audit.expected >= len(SYMBOLS) * 30 and audit.holes >= len(SYMBOLS)
    assert (audit.missing, audit.duplicate, audit.wrong) == (0, 0, 0), audit.line()
    assert report.ws["reconnects"] >= 3 and report.ws["malformed"] > 0 and report.ws["holes"] >= len(SYMBOLS)
