"""Бенчмарк індикаторів на реальних даних (../shared/data), у порівнянні з TA-Lib у тому самому запуску.

1. Інкрементно: оновлення RSI14 + ATR14 + EMA20 + VWAP60 (+σ) + volume-z60 + 60-барні high/low
   (IndicatorBundle.update) проти перерахунку того самого набору TA-Lib на останніх 1440 барах.
2. Batch: compute_all над ~1 000 000 барів (реальний ряд, повторений) проти TA-Lib.
3. Те саме для 500 символів × 1440 барів: TA-Lib по символу, наш по символу і одним 2-D викликом.

Запуск: python bench/indicators.py   (AIONE_SHARED_DIR — інший шлях до shared/).
Кожен вимір — мінімум із кількох чергованих повторів (машина спільна, шум великий).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import talib

from aione.data.bars import Bar, BarArrays, list_symbols, read_bars_parquet
from aione.indicators import IndicatorBundle, compute_all

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("AIONE_SHARED_DIR", REPO.parent / "shared"))
DATA_1M = SHARED / "data" / "binance-um-1m-2025-05"
LOOKBACK = 1440
START = 5_000  # бари прогріву перед виміром інкрементного оновлення
STEPS = 300  # скільки оновлень міряється на символ
INCR_TARGET = 10.0
BATCH_TARGET = 1.5


# ── Еталон TA-Lib ──
def talib_set(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """Той самий набір, що й IndicatorBundle, засобами TA-Lib (+ numpy для поелементного)."""
    r = talib.RSI(c, 14)
    a = talib.ATR(h, lo, c, 14)
    a_pct = 100.0 * a / c
    e = talib.EMA(c, 20)
    tp = (h + lo + c) / 3.0
    pv = tp * v
    sv = talib.SUM(v, 60)
    vw = talib.SUM(pv, 60) / sv
    std = np.sqrt(np.maximum(talib.SUM(pv * tp, 60) / sv - vw * vw, 0.0))
    dev_pct = 100.0 * (c - vw) / vw
    dev_std = (c - vw) / std
    mean, sd = talib.SMA(v, 60), talib.STDDEV(v, 60, 1)
    z = np.empty_like(v)
    z[0] = np.nan
    z[1:] = (v[1:] - mean[:-1]) / sd[:-1]
    hi, lw = talib.MAX(h, 60), talib.MIN(lo, 60)
    prev_hi = np.concatenate(([np.nan], hi[:-1]))
    prev_lo = np.concatenate(([np.nan], lw[:-1]))
    return r, a, a_pct, e, vw, dev_pct, dev_std, z, hi, lw, prev_hi, prev_lo


def talib_last(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray) -> tuple[float, ...]:
    """Перерахунок на вікні й узяття останніх значень (що робив би код без інкрементних індикаторів)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return tuple(float(x[-1]) for x in talib_set(h, lo, c, v))


def best_of(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Мінімальний час кожної функції з `repeats` чергованих повторів."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def bars_of(b: BarArrays) -> list[Bar]:
    cols = (b.open_time, b.open, b.high, b.low, b.close, b.volume)
    return [Bar(*row) for row in zip(*(c.tolist() for c in cols), strict=True)]


# ── 1. Інкрементно ──
def bench_incremental(data: dict[str, BarArrays]) -> float:
    steps = STEPS
    start = START
    per_ours: list[float] = []
    per_ref: list[float] = []
    for name, b in data.items():
        bars = bars_of(b)
        start = 5_000
        bundle = IndicatorBundle()
        for x in bars[:start]:
            bundle.update(x)
        block = bars[start : start + steps]
        states = [bundle.copy() for _ in range(5)]

        def ours(it: list[IndicatorBundle] = states, block: list[Bar] = block) -> None:
            bundle = it.pop()
            upd = bundle.update
            for x in block:
                upd(x)

        h, lo, c, v = b.high, b.low, b.close, b.volume

        def ref(h: np.ndarray = h, lo: np.ndarray = lo, c: np.ndarray = c, v: np.ndarray = v) -> None:
            for i in range(START, START + STEPS):
                a = i + 1 - LOOKBACK
                talib_last(h[a : i + 1], lo[a : i + 1], c[a : i + 1], v[a : i + 1])

        t_ours, t_ref = best_of([ours, ref], repeats=5)
        per_ours.append(t_ours / steps)
        per_ref.append(t_ref / steps)
        print(
            f"  {name:10s} update {t_ours / steps * 1e6:6.2f} us   TA-Lib recompute {t_ref / steps * 1e6:7.2f} us"
        )
    ours_us = float(np.median(per_ours)) * 1e6
    ref_us = float(np.median(per_ref)) * 1e6
    print(
        f"incremental (median over {len(data)} symbols): update {ours_us:.2f} us vs recompute {ref_us:.2f} us"
    )
    return ref_us / ours_us


# ── 2. Batch, 1M барів ──
def bench_batch(b: BarArrays, n: int = 1_000_000) -> float:
    reps = -(-n // len(b))
    big = BarArrays(*(np.ascontiguousarray(np.tile(col, reps)[:n]) for col in b))
    h, lo, c, v = big.high, big.low, big.close, big.volume

    def ref() -> None:
        with np.errstate(invalid="ignore", divide="ignore"):
            talib_set(h, lo, c, v)

    t_ours, t_ref = best_of([lambda: compute_all(big), ref], repeats=7)
    ratio = t_ours / t_ref
    print(
        f"batch {n:,} bars: compute_all {t_ours * 1e3:.1f} ms vs TA-Lib {t_ref * 1e3:.1f} ms -> {ratio:.2f}x TA-Lib time"
    )
    return ratio


# ── 3. 500 символів × 1440 барів ──
def bench_universe(data: dict[str, BarArrays], symbols: int = 500) -> float:
    rng = np.random.default_rng(1)
    pieces: list[BarArrays] = []
    names = list(data)
    for k in range(symbols):
        b = data[names[k % len(names)]]
        a = int(rng.integers(0, len(b) - LOOKBACK))
        pieces.append(BarArrays(*(np.ascontiguousarray(col[a : a + LOOKBACK]) for col in b)))
    stacked = BarArrays(*(np.stack(cols) for cols in zip(*pieces, strict=True)))

    def ref() -> None:
        with np.errstate(invalid="ignore", divide="ignore"):
            for p in pieces:
                talib_set(p.high, p.low, p.close, p.volume)

    def ours_loop() -> None:
        for p in pieces:
            compute_all(p)

    t_ours_loop, t_ours_2d, t_ref = best_of([ours_loop, lambda: compute_all(stacked), ref], repeats=5)
    print(
        f"{symbols} symbols x {LOOKBACK} bars: TA-Lib {t_ref * 1e3:.1f} ms, compute_all per symbol "
        f"{t_ours_loop * 1e3:.1f} ms ({t_ours_loop / t_ref:.2f}x), one 2-D call {t_ours_2d * 1e3:.1f} ms "
        f"({t_ours_2d / t_ref:.2f}x)"
    )
    return t_ours_2d / t_ref


def main() -> None:
    if not DATA_1M.is_dir():
        raise SystemExit(f"recorded data not found at {DATA_1M} (set AIONE_SHARED_DIR)")
    data = {s: read_bars_parquet(DATA_1M / f"{s}.parquet") for s in list_symbols(DATA_1M)}
    print("1. incremental update vs TA-Lib recompute over the last 1440 bars")
    incr = bench_incremental(data)
    print("2. batch over 1,000,000 bars")
    batch = bench_batch(data["BTCUSDT"])
    print("3. universe")
    bench_universe(data)
    print(
        f"batch 1M bars: {batch:.2f}x TA-Lib time (target <= {BATCH_TARGET}x): {'met' if batch <= BATCH_TARGET else 'NOT met'}"
    )
    verdict = "met" if incr >= INCR_TARGET else "NOT met"
    print(
        f"incremental update: {incr:.1f}x cheaper than TA-Lib recompute (target >= {INCR_TARGET:.0f}x): {verdict}"
    )


if __name__ == "__main__":
    main()
