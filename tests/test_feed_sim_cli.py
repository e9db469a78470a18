"""`aione simulate` з перемикачами несправностей: кожен випадок відтворюється з CLI, клієнт їх бачить."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from typer.testing import CliRunner

from aione.app.demo import sample_data_dir
from aione.cli import app
from aione.data.bars import BarEvent
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.errors import ExchangeError

SWITCHES = (
    "--all-faults", "--drop-every", "--http429-every", "--http429-count", "--ban-every", "--ban-seconds",
    "--malformed-every", "--malformed-count", "--stall-every", "--stall-seconds", "--stall-rest",
    "--clock-jump-every", "--clock-jump-minutes", "--missing-every", "--faults-for", "--duration",
)  # fmt: skip
URL_RE = re.compile(r"REST (http://\S+)\s+WS (ws://\S+)/stream")


def test_help_documents_every_fault_switch() -> None:
    result = CliRunner().invoke(app, ["simulate", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    for switch in SWITCHES:
        assert switch in text, switch


def test_missing_every_one_is_refused_in_one_line() -> None:
    result = CliRunner().invoke(app, ["simulate", str(sample_data_dir()), "--missing-every", "1"])
    assert result.exit_code == 2
    assert "--missing-every must be 0 or at least 2" in result.output


@asynccontextmanager
async def simulate(*args: str) -> AsyncIterator[tuple[str, str, asyncio.subprocess.Process]]:
    """`aione simulate` у підпроцесі; дає (rest_url, ws_url, процес)."""
    env = {**os.environ, "AIONE_LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aione", "simulate", str(sample_data_dir()), "--port", "0", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), timeout=60)).decode()
    match = URL_RE.search(line)
    assert match, line
    try:
        yield match.group(1), match.group(2), proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_each_fault_switch_is_reproducible_from_the_cli(tmp_path: Path) -> None:
    args = (
        "--speed", "120", "--symbols", "BTCUSDT,ETHUSDT", "--duration", "7",
        "--drop-every", "1.1", "--http429-every", "1.5", "--http429-count", "2", "--ban-every", "2.9",
        "--ban-seconds", "0.4", "--malformed-every", "0.5", "--stall-every", "1.7", "--stall-seconds", "0.4",
        "--clock-jump-every", "1.3", "--clock-jump-minutes", "2", "--missing-every", "6",
    )  # fmt: skip
    closed: dict[str, list[int]] = {"BTCUSDT": [], "ETHUSDT": []}

    def on_bar(ev: BarEvent) -> None:
        if ev.bar.closed:
            closed[ev.symbol].append(ev.bar.open_time)

    async with simulate(*args) as (rest_url, ws_url, proc):
        async with BinanceRestClient(rest_url, backoff_base=0.01) as rest:
            await rest.sync_time()
            ws = BinanceWsClient(
                ws_url, rest, on_bar, backoff_base=0.05, hole_confirm_delay=0.05, backfill_retry_cap=1.0
            )
            now = rest.server_now()
            for symbol in closed:
                bars = await rest.klines_range(symbol, "1m", now - 10 * 60_000, now)
                ws.seed_last_closed(symbol, bars[-1].open_time)
            await ws.set_symbols(list(closed))
            task = asyncio.create_task(ws.run())
            while proc.returncode is None and not proc.stdout.at_eof():  # type: ignore[union-attr]
                try:
                    await rest.server_time()  # REST теж під несправностями
                except ExchangeError:
                    pass  # 429 після повторів чи 418 — саме те, що перевіряємо
                await asyncio.sleep(0.5)
            await ws.stop()
            await task
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert set(summary["faults"]) == {"drop", "http429", "ban", "malformed", "stall", "clock_jump"}
    assert summary["clock_jumped_ms"] > 0
    assert ws.reconnects >= 1 and ws.malformed >= 1 and rest.http_429 >= 1 and rest.bans >= 1
    assert ws.holes.holes >= 1, (
        ws.backfilled_bars,
        ws.backfill_failures,
        {s: len(t) for s, t in closed.items()},
        summary,
    )
    for symbol, times in closed.items():
        removed = set(summary["missing_bars"][symbol])
        assert len(times) >= 5
        assert times == sorted(set(times)), f"{symbol}: duplicates or out of order"
        expected = [t for t in range(times[0], times[-1] + 1, 60_000) if t not in removed]
        assert times == expected, f"{symbol}: bars missing"
