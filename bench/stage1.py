"""Бенчмарк Stage1: ціна одного оновлення монітора на символ проти перерахунку індикаторів TA-Lib.

Дані — `binance-um-1m-2025-05` (усі 16 символів). Для кожного символу монітор прогрівається на
1 440 барах (доба, як у preload), далі міряється `AssetMonitor.update` на наступних закритих
барах з УСІМА тригерами (та сама логіка, що в live), окремо — оновлення відкритого бару (peek).
Еталон у тому ж прогоні: на кожному кроці перерахунок того самого набору величин по вікну
1 440 барів через TA-Lib (RSI14, ATR14, EMA20, MAX/MIN 60, VWAP60 як SUM(tp·v)/SUM(v),
z-скор обсягу як (v − SMA60)/STDDEV60, TRANGE + медіана за 240) — так рахував би монітор без
інкрементного стану. Останній рядок — головна цифра і чи досягнуто мети (≥ 5x).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import talib

from aione.data.bars import Bar, BarEvent, list_symbols, read_bars_parquet
from aione.stage1.asset_monitoring import AssetMonitor

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("AIONE_SHARED_DIR", ROOT.parent / "shared")) / "data" / "binance-um-1m-2025-05"
WINDOW = 1440
N_OURS = 3000  # оновлень на символ для монітора
N_REF = 300  # кроків на символ для еталона (кожен у ~100 разів дорожчий)
TARGET = 5.0


def talib_recompute(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray) -> float:
    """Те, що монітор знає після оновлення, пораховане заново по всьому вікну."""
    rsi = talib.RSI(c, 14)
    atr = talib.ATR(h, lo, c, 14)
    ema = talib.EMA(c, 20)
    hi = talib.MAX(h, 60)
    lw = talib.MIN(lo, 60)
    tp = (h + lo + c) / 3.0
    vwap = talib.SUM(tp * v, 60) / talib.SUM(v, 60)
    z = (v - talib.SMA(v, 60)) / talib.STDDEV(v, 60)
    tr = talib.TRANGE(h, lo, c) / c
    med = float(np.median(tr[-240:]))
    return float(rsi[-1] + atr[-1] + ema[-1] + hi[-1] + lw[-1] + vwap[-1] + z[-1] + med)


def main() -> int:
    symbols = list_symbols(DATA)
    if not symbols:
        print(f"no data in {DATA}", file=sys.stderr)
        return 2
    ours_closed: list[float] = []
    ours_open: list[float] = []
    ref: list[float] = []
    alerts = 0
    for sym in symbols:
        bars = read_bars_parquet(DATA / f"{sym}.parquet")
        n = min(N_OURS, len(bars) - WINDOW)
        mon = AssetMonitor()
        mon.warmup(sym, bars.slice(0, WINDOW))
        events = [BarEvent(sym, "1m", bars.bar(i)) for i in range(WINDOW, WINDOW + n)]
        opens = [
            BarEvent(
                sym,
                "1m",
                Bar(
                    e.bar.open_time,
                    e.bar.open,
                    e.bar.high,
                    e.bar.low,
                    e.bar.close,
                    e.bar.volume,
                    e.bar.quote_volume,
                    closed=False,
                ),
            )
            for e in events
        ]
        update = mon.update
        t0 = time.perf_counter()
        for ev_open, ev in zip(opens, events, strict=True):
            update(ev_open)
            update(ev)
        both = time.perf_counter() - t0
        mon2 = AssetMonitor()
        mon2.warmup(sym, bars.slice(0, WINDOW))
        update2 = mon2.update
        t0 = time.perf_counter()
        for ev in events:
            alerts += update2(ev).new_alert
        closed_only = time.perf_counter() - t0
        ours_closed.append(closed_only / n)
        ours_open.append(max(0.0, both - closed_only) / n)

        o, h, lo, c, v = (
            np.ascontiguousarray(a) for a in (bars.open, bars.high, bars.low, bars.close, bars.volume)
        )
        t0 = time.perf_counter()
        acc = 0.0
        for i in range(WINDOW, WINDOW + N_REF):
            s = slice(i + 1 - WINDOW, i + 1)
            acc += talib_recompute(o[s], h[s], lo[s], c[s], v[s])
        ref.append((time.perf_counter() - t0) / N_REF)
        print(
            f"{sym:10s} update(closed) {closed_only / n * 1e6:7.1f} us   update(open) "
            f"{ours_open[-1] * 1e6:7.1f} us   talib recompute {ref[-1] * 1e6:7.1f} us"
        )

    c_us = float(np.median(ours_closed)) * 1e6
    o_us = float(np.median(ours_open)) * 1e6
    r_us = float(np.median(ref)) * 1e6
    print(
        f"median per symbol: closed update {c_us:.1f} us, open update {o_us:.1f} us, "
        f"TA-Lib recompute over {WINDOW} bars {r_us:.1f} us; new alerts seen: {alerts}"
    )
    print(f"open-bar update: {r_us / o_us:.1f}x cheaper than TA-Lib recompute")
    ratio = r_us / c_us
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"stage1 update: {ratio:.1f}x cheaper than TA-Lib recompute (target >= {TARGET:.0f}x): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
