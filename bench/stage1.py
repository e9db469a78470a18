"""Бенчмарк Stage1: ціна одного оновлення монітора на символ проти перерахунку індикаторів TA-Lib.

Дані — `binance-um-1m-2025-05` (усі 16 символів). Для кожного символу монітор прогрівається на
1 440 барах (доба, як у preload), далі міряється `AssetMonitor.update` на наступних закритих
барах з УСІМА тригерами (та сама логіка, що в live), окремо — оновлення відкритого бару (peek).

Еталон у тому ж прогоні — те, що монітор тримає інкрементно, перераховане на кожному кроці по
вікну 1 440 барів засобами TA-Lib:
- ядро: RSI14, ATR14, EMA20, MAX/MIN 60 (Donchian), VWAP60 = SUM(tp·v)/SUM(v), z-скор обсягу
  (v − SMA60)/STDDEV60, TRANGE + медіана за 240 (тригер волатильності);
- повний набір = ядро + свінгові півоти 3/3 для дивергенції (у TA-Lib немає окремої функції,
  тож MAX/MIN зі зсувами: high[i] > MAX3 ліворуч і ≥ MAX3 праворуч, так само для low) + денні
  рівні (MAX/MIN попередньої UTC-доби). Це той самий набір індикаторів, що його веде монітор,
  тож головна цифра — відносно повного набору; відношення до ядра друкується окремо.
Кожен вимір повторюється REPEATS разів і береться мінімум (машину ділять інші процеси).
Окремо — batch-двійник для бектестів (`stage1.batch_monitor.batch_new_alerts`, ті самі нові
алерти одним проходом) проти того самого `AssetMonitor.update` бар за баром на ВСЬОМУ місяці
символу (мета двійника — ≤ 3 мкс на символ-бар).
Останній рядок — головна цифра і чи досягнуто мети (≥ 5x).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import talib

from aione.data.bars import Bar, BarArrays, BarEvent, list_symbols, read_bars_parquet
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.batch_monitor import batch_new_alerts

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("AIONE_SHARED_DIR", ROOT.parent / "shared")) / "data" / "binance-um-1m-2025-05"
WINDOW = 1440
N_OURS = 2000  # оновлень на символ для монітора
N_REF = 200  # кроків на символ для еталона (кожен у рази дорожчий)
REPEATS = 2
TARGET = 5.0
TWIN_TARGET_US = 3.0  # batch-двійник: мкс на символ-бар
DAY_MS = 86_400_000


# ── Еталон: перерахунок TA-Lib ──
def talib_core(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray) -> float:
    """Ядро: індикатори знімка і медіана TR% — перераховані по всьому вікну."""
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


def talib_extra(t: np.ndarray, h: np.ndarray, lo: np.ndarray) -> float:
    """Решта повного набору: свінгові півоти 3/3 і денні рівні попередньої доби."""
    left = right = 3
    hl, hr = talib.MAX(h, left), talib.MAX(h, right)
    ll, lr = talib.MIN(lo, left), talib.MIN(lo, right)
    mid_h, mid_l = h[left:-right], lo[left:-right]
    ph = np.flatnonzero((mid_h > hl[left - 1 : -right - 1]) & (mid_h >= hr[left + right :]))
    pl = np.flatnonzero((mid_l < ll[left - 1 : -right - 1]) & (mid_l <= lr[left + right :]))
    day = int(t[-1]) // DAY_MS * DAY_MS
    i_day = int(np.searchsorted(t, day))
    i_prev = int(np.searchsorted(t, day - DAY_MS))
    levels = 0.0
    if i_day > i_prev:
        n = i_day - i_prev
        levels = float(talib.MAX(h[i_prev:i_day], n)[-1] + talib.MIN(lo[i_prev:i_day], n)[-1])
    return float(len(ph) + len(pl)) + levels


# ── Виміри ──
def time_monitor(sym: str, bars: BarArrays, events: list[BarEvent]) -> float:
    """Секунд на одне оновлення закритого бару."""
    mon = AssetMonitor()
    mon.warmup(sym, bars.slice(0, WINDOW))
    update = mon.update
    t0 = time.perf_counter()
    for ev in events:
        update(ev)
    return (time.perf_counter() - t0) / len(events)


def time_open(sym: str, bars: BarArrays, events: list[BarEvent], opens: list[BarEvent]) -> float:
    """Секунд на одне оновлення відкритого бару (разом із закритими, мінус закриті)."""
    mon = AssetMonitor()
    mon.warmup(sym, bars.slice(0, WINDOW))
    update = mon.update
    t0 = time.perf_counter()
    for ev_open, ev in zip(opens, events, strict=True):
        update(ev_open)
        update(ev)
    both = (time.perf_counter() - t0) / len(events)
    return max(0.0, both - time_monitor(sym, bars, events))


def time_twin(sym: str, bars: BarArrays) -> tuple[float, float, int]:
    """(двійник, інкрементний монітор) — секунд на бар усього ряду; і скільки нових алертів (однаково)."""
    twin_s = float("inf")
    alerts = 0
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        alerts = len(batch_new_alerts(sym, bars))
        twin_s = min(twin_s, time.perf_counter() - t0)
    events = [BarEvent(sym, "1m", bars.bar(i)) for i in range(len(bars))]
    update = AssetMonitor().update
    t0 = time.perf_counter()
    ref_alerts = sum(1 for ev in events if update(ev).new_alert)
    incr_s = time.perf_counter() - t0
    if ref_alerts != alerts:
        raise SystemExit(f"{sym}: twin gave {alerts} new alerts, monitor {ref_alerts}")
    return twin_s / len(bars), incr_s / len(bars), alerts


def time_reference(bars: BarArrays) -> tuple[float, float]:
    """(ядро, повний набір) — секунд на один перерахунок."""
    t, h, lo, c, v = (
        np.ascontiguousarray(a) for a in (bars.open_time, bars.high, bars.low, bars.close, bars.volume)
    )
    acc = 0.0
    t0 = time.perf_counter()
    for i in range(WINDOW, WINDOW + N_REF):
        s = slice(i + 1 - WINDOW, i + 1)
        acc += talib_core(h[s], lo[s], c[s], v[s])
    core = (time.perf_counter() - t0) / N_REF
    t0 = time.perf_counter()
    for i in range(WINDOW, WINDOW + N_REF):
        s = slice(i + 1 - WINDOW, i + 1)
        acc += talib_extra(t[s], h[s], lo[s])
    extra = (time.perf_counter() - t0) / N_REF
    return core, core + extra


def main() -> int:
    symbols = list_symbols(DATA)
    if not symbols:
        print(f"no data in {DATA}", file=sys.stderr)
        return 2
    closed_us: list[float] = []
    open_us: list[float] = []
    core_us: list[float] = []
    full_us: list[float] = []
    twin_us: list[float] = []
    incr_us: list[float] = []
    n_bars = 0
    for sym in symbols:
        bars = read_bars_parquet(DATA / f"{sym}.parquet")
        n = min(N_OURS, len(bars) - WINDOW)
        events = [BarEvent(sym, "1m", bars.bar(i)) for i in range(WINDOW, WINDOW + n)]
        opens = [
            BarEvent(
                sym,
                "1m",
                Bar(b.open_time, b.open, b.high, b.low, b.close, b.volume, b.quote_volume, closed=False),
            )
            for b in (e.bar for e in events)
        ]
        ours = min(time_monitor(sym, bars, events) for _ in range(REPEATS))
        ours_open = min(time_open(sym, bars, events, opens) for _ in range(REPEATS))
        refs = [time_reference(bars) for _ in range(REPEATS)]
        core = min(r[0] for r in refs)
        full = min(r[1] for r in refs)
        closed_us.append(ours * 1e6)
        open_us.append(ours_open * 1e6)
        core_us.append(core * 1e6)
        full_us.append(full * 1e6)
        print(
            f"{sym:10s} update: closed {closed_us[-1]:6.1f} us, open {open_us[-1]:6.1f} us | "
            f"TA-Lib recompute: core {core_us[-1]:6.1f} us, full {full_us[-1]:6.1f} us"
        )
        tw, inc, n_alerts = time_twin(sym, bars)
        twin_us.append(tw * 1e6 * len(bars))
        incr_us.append(inc * 1e6 * len(bars))
        n_bars += len(bars)
        print(
            f"{sym:10s} month of {len(bars)} bars, {n_alerts} new alerts: batch twin {tw * 1e6:5.2f} us/bar, "
            f"incremental {inc * 1e6:5.1f} us/bar"
        )
    c = float(np.median(closed_us))
    o = float(np.median(open_us))
    rc = float(np.median(core_us))
    rf = float(np.median(full_us))
    print(
        f"median per symbol: closed update {c:.1f} us, open update {o:.1f} us; TA-Lib recompute over "
        f"{WINDOW} bars: core set {rc:.1f} us, full set {rf:.1f} us"
    )
    tw_bar = sum(twin_us) / n_bars
    inc_bar = sum(incr_us) / n_bars
    twin_verdict = "met" if tw_bar <= TWIN_TARGET_US else "NOT met"
    print(
        f"batch twin (backtests) over the month, {len(symbols)} symbols: {tw_bar:.2f} us per symbol-bar vs "
        f"incremental {inc_bar:.1f} us ({inc_bar / tw_bar:.1f}x cheaper; target <= {TWIN_TARGET_US:.0f} us): "
        f"{twin_verdict}"
    )
    print(f"closed update vs TA-Lib core set only: {rc / c:.1f}x cheaper")
    print(f"open-bar update vs full TA-Lib recompute: {rf / o:.1f}x cheaper")
    ratio = rf / c
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"stage1 update: {ratio:.1f}x cheaper than TA-Lib recompute (target >= {TARGET:.0f}x): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
