"""Бенчмарк прийому WS: 500 символів × 4 оновлення/с через симулятор (окремий процес).

Міряє: розбір кадрів (повідомлень/с, порівняно з голим json.loads у тому самому запуску),
затримку від отримання кадру до бару в `UnifiedDataStore.apply` (p50/p99) і CPU клієнта.
Запуск: python bench/ingest.py [--symbols 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import numpy as np

from aione.data.bars import BarEvent
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.sim_market import VirtualClock
from aione.exchange.ws_parser import parse_frame

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("AIONE_SHARED_DIR", ROOT.parent / "shared"))
DATA = SHARED / "data" / "binance-um-1m-2025-05"
FIXTURE = SHARED / "fixtures" / "binance" / "um_ws_session_2021-07-22.txt"
TARGET_P99_MS = 5.0


# ── Розбір ──
def parse_throughput() -> tuple[float, float]:
    frames = [line.split(": ", 1)[1] for line in FIXTURE.read_text().splitlines()[1:] if line.strip()]
    frames = frames * 20
    t0 = time.perf_counter()
    for raw in frames:
        json.loads(raw)
    ref = len(frames) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for raw in frames:
        parse_frame(raw)
    ours = len(frames) / (time.perf_counter() - t0)
    return ours, ref


# ── Симулятор в окремому процесі ──
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(url: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url + "/fapi/v1/time") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > end:
                raise RuntimeError("simulator did not start")
            await asyncio.sleep(0.2)


async def run(symbols: int, seconds: float, speed: float) -> dict[str, float]:
    from aione.data.unified_store import UnifiedDataStore

    recorded = len(list(DATA.glob("*.parquet")))
    port = free_port()
    cmd = [sys.executable, "-m", "aione", "simulate", str(DATA), "--speed", str(speed), "--port", str(port),
           "--aliases", str(max(0, symbols - recorded))]  # fmt: skip
    env = dict(os.environ, AIONE_LOG_LEVEL="WARNING")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base)
        async with BinanceRestClient(base) as probe:
            server_ms = await probe.server_time()
            names = [i.symbol for i in await probe.exchange_info()][:symbols]
        clock = VirtualClock(server_ms, speed)
        store = UnifiedDataStore()
        latencies: list[float] = []
        measuring = False

        def on_bar(ev: BarEvent) -> None:
            store.apply(ev)
            if measuring:
                latencies.append(time.perf_counter() - ev.recv_ts)

        async with BinanceRestClient(base, clock=clock) as rest:
            ws = BinanceWsClient(f"ws://127.0.0.1:{port}", rest, on_bar)
            await ws.set_symbols(names)
            task = asyncio.create_task(ws.run())
            await asyncio.sleep(3.0)  # розігрів: з'єднання, підписки
            measuring = True
            m0, c0, w0 = ws.messages, time.process_time(), time.perf_counter()
            await asyncio.sleep(seconds)
            measuring = False
            m1, c1, w1 = ws.messages, time.process_time(), time.perf_counter()
            await ws.stop()
            await task
        lat = np.array(latencies) * 1000.0
        return {
            "symbols": float(len(names)),
            "msgs_per_s": (m1 - m0) / (w1 - w0),
            "cpu_pct": (c1 - c0) / (w1 - w0) * 100.0,
            "p50": float(np.percentile(lat, 50)) if lat.size else float("nan"),
            "p99": float(np.percentile(lat, 99)) if lat.size else float("nan"),
            "samples": float(lat.size),
            "malformed": float(ws.malformed),
            "reconnects": float(ws.reconnects),
            "accepted": float(store.stats.accepted),
        }
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=60.0, help="x60 + 4 оновлення на бар = 4 оновлення/с")
    args = parser.parse_args()
    ours, ref = parse_throughput()
    print(f"parse_frame: {ours:,.0f} msg/s; bare json.loads: {ref:,.0f} msg/s; ratio {ours / ref:.2f}x")
    r = asyncio.run(run(args.symbols, args.seconds, args.speed))
    print(
        f"ingest: {r['symbols']:.0f} symbols, {r['msgs_per_s']:,.0f} msg/s received, client CPU {r['cpu_pct']:.0f}% "
        f"of one core, closed bars stored {r['accepted']:.0f}, malformed {r['malformed']:.0f}, reconnects {r['reconnects']:.0f}"
    )
    print(
        f"frame -> store.apply latency over {r['samples']:.0f} updates: p50 {r['p50']:.3f} ms, p99 {r['p99']:.3f} ms"
    )
    verdict = "met" if r["p99"] < TARGET_P99_MS and r["cpu_pct"] < 100.0 else "NOT met"
    print(f"ws ingest p99: {r['p99']:.2f} ms (target < {TARGET_P99_MS:g} ms): {verdict}")


if __name__ == "__main__":
    main()
