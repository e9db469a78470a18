"""Бенчмарк усього продукту: затримка «кадр симулятора отримано → кадр стану опубліковано» і CPU.

Симулятор Binance працює в окремому процесі (як справжня біржа), конвеєр (`run_pipeline`: preload,
WS, Stage1, Stage2, Stage3, агрегатор, публікація в шину панелі) — у цьому. Затримка міряється від
`time.perf_counter()` у момент, коли WS-кадр прочитано з сокета (мережевий шлях через loopback —
частки мс, тут не враховано), до завершення публікації кадру, що містить це оновлення. Публікація
обмежена `PUBLISH_MIN_INTERVAL_MS` (250 мс): це свідома межа частоти кадрів, тож p50 близько до
половини інтервалу — норма. CPU — процесорний час цього процесу / настінний час вікна виміру.
Запуск: python bench/e2e.py [--symbols 100 500] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from aione.app.main import RunOptions, run_pipeline
from aione.config.config import PUBLISH_MIN_INTERVAL_MS
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.sim_market import VirtualClock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import DATA, free_port, wait_ready  # noqa: E402

TARGET_P99_MS = 2 * PUBLISH_MIN_INTERVAL_MS  # кадр не пізніше за два інтервали публікації


async def measure(symbols: int, seconds: float, speed: float) -> dict[str, float]:
    recorded = len(list(DATA.glob("*.parquet")))
    port = free_port()
    cmd = [sys.executable, "-m", "aione", "simulate", str(DATA), "--speed", str(speed), "--port", str(port),
           "--aliases", str(max(0, symbols - recorded))]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=dict(os.environ, AIONE_LOG_LEVEL="WARNING"))
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base)
        async with BinanceRestClient(base) as probe:
            server_ms = await probe.server_time()
            names = [i.symbol for i in await probe.exchange_info()][:symbols]
        opts = RunOptions(
            rest_url=base,
            ws_url=f"ws://127.0.0.1:{port}",
            clock=VirtualClock(server_ms, speed),
            symbols=names,
            lookback_1m=240,  # вікна Stage1/Stage2 вміщуються; preload 500 символів лишається коротким
            daily_days=5,
            progress=False,
            install_signal_handlers=False,
            keep_latencies=True,
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(run_pipeline(opts, stop, ready))
        await asyncio.wait({task, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            raise RuntimeError(f"pipeline stopped during start-up: {task.result()}")
        await asyncio.sleep(5.0)  # розігрів після старту: з'єднання, перші кадри
        c0, w0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        c1, w1 = time.process_time(), time.perf_counter()
        stop.set()
        report = await task
        lat = np.array(report.latencies[-int(seconds * symbols * 4 * 0.8) :]) * 1000.0
        return {
            "symbols": float(len(report.symbols)),
            "p50": float(np.percentile(lat, 50)) if lat.size else float("nan"),
            "p99": float(np.percentile(lat, 99)) if lat.size else float("nan"),
            "samples": float(lat.size),
            "cpu_pct": (c1 - c0) / (w1 - w0) * 100.0,
            "frames": float(report.counters.get("frames", 0)),
            "alerts": float(report.counters.get("alerts", 0)),
            "failures": float(len(report.failures)),
        }
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--speed", type=float, default=60.0, help="x60 + 4 оновлення на бар = 4 оновлення/с/символ"
    )
    args = parser.parse_args()
    results = []
    for n in args.symbols:
        r = asyncio.run(measure(n, args.seconds, args.speed))
        results.append(r)
        print(
            f"{int(r['symbols'])} symbols: e2e p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms "
            f"({int(r['samples'])} updates), CPU {r['cpu_pct']:.0f}% of one core, "
            f"frames {int(r['frames'])}, alerts {int(r['alerts'])}, task failures {int(r['failures'])}"
        )
    worst = max(r["p99"] for r in results)
    verdict = "met" if worst < TARGET_P99_MS else "NOT met"
    print(
        f"e2e latency p99 at {int(results[-1]['symbols'])} symbols: {worst:.0f} ms "
        f"(target < {TARGET_P99_MS} ms = two publish intervals): {verdict}"
    )


if __name__ == "__main__":
    main()
