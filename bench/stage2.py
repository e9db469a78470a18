"""Бенчмарк Stage2: рішень QDE за секунду на реальних 1m барах (контекст з масивів, без I/O).

Stats Stage1 (ATR, RSI, VWAP, z обсягу) пораховано наперед batch-функціями, як їх дає
Stage1; вимірюється лише `decide` (рівні, контекст, скор, TP/SL, наратив) на вікні
`context_bars` барів і денних барах, а також `decide(..., explain=False)` — без тексту
наративу, як його викликає бектест. Для порівняння в тому ж запуску: шлях без stats
(ядро саме рахує індикатори) і перерахунок RSI+ATR TA-Lib на тому ж вікні.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import talib

from aione.config.config import STAGE2_CONFIG, SymbolInfo
from aione.data.bars import read_bars_parquet
from aione.data.resample import resample_daily
from aione.indicators import atr, rolling_vwap, rsi, volume_zscore
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.qde_core import decide

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance-um-1m-2025-05"
DAY_MS = 86_400_000
TRIGGER_SETS = (
    ["breakout_up", "bull_vol_spike"],
    ["bearish_div", "rsi_overbought", "near_high"],
    ["volatility_burst", "vwap_deviation"],
    ["breakout_down", "bear_vol_spike"],
    ["bullish_div", "rsi_oversold", "near_low"],
)
TARGET = 2000.0


def build_cases(symbol: str, n: int, with_stats: bool) -> list[tuple[dict[str, Any], Stage2Inputs]]:
    bars = read_bars_parquet(DATA / f"{symbol}.parquet")
    daily = resample_daily(bars)
    a = atr(bars.high, bars.low, bars.close, 14)
    r = rsi(bars.close, 14)
    vw = rolling_vwap(bars.high, bars.low, bars.close, bars.volume, 60)
    vz = volume_zscore(bars.volume, 60)
    window = int(STAGE2_CONFIG["context_bars"])
    start = 2 * DAY_MS // 60_000
    idx = np.linspace(start, len(bars) - 1, n).astype(int)
    info = SymbolInfo(symbol=symbol, tick_size=0.1 if symbol == "BTCUSDT" else 0.01)
    cases = []
    for k, i in enumerate(idx):
        price = float(bars.close[i])
        stats = (
            {
                "price": price,
                "atr": a[i],
                "atr_pct": a[i] / price,
                "rsi": r[i],
                "vwap": vw[i],
                "volume_z": vz[i],
            }
            if with_stats
            else {}
        )
        s1 = {
            "symbol": symbol,
            "timestamp": int(bars.open_time[i]),
            "signal": "ALERT",
            "trigger_reasons": TRIGGER_SETS[k % len(TRIGGER_SETS)],
            "stats": stats,
        }
        day_stop = int(np.searchsorted(daily.open_time, bars.open_time[i], side="right"))
        inputs = Stage2Inputs(
            bars.slice(i + 1 - window, i + 1), daily.slice(max(0, day_stop - 31), day_stop), info
        )
        cases.append((s1, inputs))
    return cases


def run(
    cases: list[tuple[dict[str, Any], Stage2Inputs]], repeats: int = 3, *, explain: bool = True
) -> tuple[float, dict[str, int]]:
    """Найкращий із `repeats` проходів (машина спільна: інші процеси лише сповільнюють)."""
    best = float("inf")
    recs: dict[str, int] = {}
    for _ in range(repeats):
        recs = {}
        t0 = time.perf_counter()
        for s1, inputs in cases:
            res = decide(s1, inputs, explain=explain)
            recs[res["recommendation"]] = recs.get(res["recommendation"], 0) + 1
        best = min(best, time.perf_counter() - t0)
    return len(cases) / best, recs


def talib_reference(cases: list[tuple[dict[str, Any], Stage2Inputs]], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _, inputs in cases:
            b = inputs.bars_1m
            talib.RSI(b.close, 14)
            talib.ATR(b.high, b.low, b.close, 14)
        best = min(best, time.perf_counter() - t0)
    return len(cases) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--symbol", default="BTCUSDT")
    ap.add_argument("-n", type=int, default=3000)
    args = ap.parse_args()
    cases = build_cases(args.symbol, args.n, with_stats=True)
    run(cases[:50], repeats=1)  # прогрів
    rate, recs = run(cases)
    bare_text_rate, _ = run(cases, explain=False)  # як у бектесті: без тексту наративу
    bare_rate, _ = run(build_cases(args.symbol, max(200, args.n // 5), with_stats=False))
    ref = talib_reference(cases)
    print(
        f"symbol {args.symbol}, window {STAGE2_CONFIG['context_bars']} 1m bars + daily, {len(cases)} decisions"
    )
    print(f"recommendations: {dict(sorted(recs.items()))}")
    print(f"decide with Stage1 stats: {rate:,.0f}/s ({1e6 / rate:.0f} us each)")
    print(
        f"decide with Stage1 stats, explain=False (backtest): {bare_text_rate:,.0f}/s"
        f" ({1e6 / bare_text_rate:.0f} us each)"
    )
    print(f"decide computing indicators itself: {bare_rate:,.0f}/s ({rate / bare_rate:.2f}x slower)")
    print(
        f"reference TA-Lib RSI+ATR recompute on the same window: {ref:,.0f}/s ({ref / rate:.1f}x the decide rate)"
    )
    verdict = "met" if rate >= TARGET else "NOT met"
    print(f"stage2 decisions: {rate:,.0f}/s (target >= {TARGET:,.0f}/s): {verdict}")


if __name__ == "__main__":
    main()
