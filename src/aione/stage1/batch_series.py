"""Batch-двійник Stage1, крок 1: усі числа, які монітор бачить на кожному закритому барі.

Для ряду закритих барів одного символу рахує по всіх барах одразу ті самі величини, що
`AssetMonitor._process` збирає інкрементно (побітово): індикатори набору, true range і його
частку ціни, ковзну медіану TR%, автоматичні денні рівні (з денними барами біржі, якщо є), стан ринку. Ряд ріжеться на суцільні
сегменти там, де пропуск між барами довший за `max_gap_bars` інтервалів: монітор на такому
барі скидає стан символу, тож кожен сегмент рахується з нуля (блоки віконних індикаторів
вирівняні від першого бару сегмента — як в інкрементних класах після скидання).
Рекурсивні індикатори — `aione.indicators.exact_series` (побітово та сама рекурсія, що й у класах);
віконні — batch-функції, побітово рівні інкрементним; медіана — вибір порядкових статистик
тих самих чисел (`scipy.ndimage.rank_filter`), тож теж точна. Чиста логіка, без введення-виведення.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import nan
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.ndimage import rank_filter

from aione.data.bars import BarArrays
from aione.indicators import IndicatorBundle, rolling_high, rolling_low, rolling_vwap_bands, volume_zscore
from aione.indicators.exact_series import atr_exact, ema_exact, rsi_exact
from aione.stage1.daily_levels import DAY_MS, KnownDays
from aione.stage1.thresholds import MARKET_STATES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Коди стану ринку в масивах: 0 — None, далі порядок `MARKET_STATES`.
STATE_CODES: tuple[str | None, ...] = (None, *MARKET_STATES)
_CODE = {name: i for i, name in enumerate(STATE_CODES)}


# ── Сегменти ──
def segment_starts(open_time: IntArray, max_gap_ms: int) -> IntArray:
    """Індекси перших барів суцільних сегментів (0 і кожен бар після пропуску > `max_gap_ms`)."""
    if open_time.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    jumps = np.flatnonzero(np.diff(open_time) > max_gap_ms) + 1
    return np.concatenate((np.zeros(1, dtype=np.int64), jumps.astype(np.int64)))


# ── Медіана TR% ──
def median_before(x: FloatArray, window: int) -> FloatArray:
    """На барі i — медіана останніх `window` СКІНЧЕННИХ значень x серед барів < i (як `RollingMedian`:
    NaN у вікно не потрапляють), NaN, поки таких значень менше за `window`."""
    n = x.shape[0]
    out = np.full(n, nan)
    fin = np.isfinite(x)
    y = np.ascontiguousarray(x[fin])
    m = y.shape[0]
    if m < window:
        return out
    half = window // 2
    stop = half + m - window + 1
    hi = rank_filter(y, rank=half, size=window, mode="nearest")[half:stop]
    if window % 2:
        med_end = hi
    else:
        lo = rank_filter(y, rank=half - 1, size=window, mode="nearest")[half:stop]
        med_end = (lo + hi) / 2.0
    # скільки скінченних значень уже було до бару i (без нього самого)
    before = np.cumsum(fin) - fin
    ok = before >= window
    out[ok] = med_end[before[ok] - window]
    return out


# ── Денні рівні ──
def auto_daily_levels(
    open_time: IntArray, high: FloatArray, low: FloatArray, max_gap_ms: int, known: KnownDays | None = None
) -> tuple[FloatArray, FloatArray]:
    """(підтримка, опір) на кожному барі одного сегмента після `DailyLevels.on_closed`; NaN — None.

    Рівні — діапазон попередньої доби, якщо вона повна (перший бар не пізніше `max_gap_ms` після
    00:00 UTC) і йде одразу перед поточною; неповна попередня доба лишає рівні як були; пропущена
    доба їх скасовує. Денний бар біржі попередньої доби (`known`, номер доби → (low, high)) має
    перевагу над усім цим, і на першій добі сегмента теж (як `DailyLevels.known`)."""
    n = open_time.shape[0]
    sup = np.full(n, nan)
    res = np.full(n, nan)
    if n == 0:
        return sup, res
    day = open_time // DAY_MS
    starts = np.concatenate(([0], np.flatnonzero(np.diff(day)) + 1))
    ends = np.append(starts[1:], n).tolist()
    day_hi = np.maximum.reduceat(high, starts).tolist()
    day_lo = np.minimum.reduceat(low, starts).tolist()
    first_t = open_time[starts].tolist()
    days = day[starts].tolist()
    level: tuple[float, float] | None = None
    for r, a in enumerate(starts.tolist()):
        ex = known.get(days[r] - 1) if known else None
        if ex is not None:
            level = ex
        elif r > 0:
            prev = days[r - 1]
            complete = first_t[r - 1] - prev * DAY_MS <= max_gap_ms
            if complete and days[r] == prev + 1:
                level = (day_lo[r - 1], day_hi[r - 1])
            elif days[r] != prev + 1:
                level = None
        if level is not None:
            sup[a : ends[r]] = level[0]
            res[a : ends[r]] = level[1]
    return sup, res


# ── Ряди монітора ──
class Stage1Series(NamedTuple):
    """Числа монітора на кожному закритому барі (масиви довжини n). `local` — номер бару від
    початку його сегмента (`TriggerInput.index`), `seg_start` — індекс першого бару сегмента."""

    close: FloatArray
    rsi: FloatArray
    atr: FloatArray
    ema: FloatArray
    vwap: FloatArray
    vwap_dev_std: FloatArray
    volume_z: FloatArray
    high_n: FloatArray
    low_n: FloatArray
    prev_high_n: FloatArray
    prev_low_n: FloatArray
    ready: BoolArray
    prev_close: FloatArray
    atr_frac: FloatArray
    tr_frac: FloatArray
    tr_median: FloatArray
    support: FloatArray
    resistance: FloatArray
    state: npt.NDArray[np.int8]
    local: IntArray
    seg_start: IntArray
    starts: IntArray


def bundle_for(p: Mapping[str, Any]) -> IndicatorBundle:
    """Той самий набір індикаторів, що будує `SymbolTracker` (періоди й прогрів беремо з нього)."""
    return IndicatorBundle(
        rsi_period=int(p["rsi_period"]),
        atr_period=int(p["atr_period"]),
        vwap_window=int(p["vwap_window"]),
        volume_window=int(p["volume_window"]),
        hl_window=int(p["breakout_window"]),
    )


def _zero_sign(x: FloatArray) -> FloatArray:
    """−0.0 → 0.0: batch ділить на +inf там, де інкрементна форма повертає рівно 0.0."""
    x[x == 0.0] = 0.0
    return x


def _segment(
    bars: BarArrays, a: int, b: int, p: Mapping[str, Any], max_gap_ms: int, known: KnownDays | None = None
) -> list[FloatArray]:
    """Поля одного суцільного сегмента [a, b) у порядку `_SEG_FIELDS`."""
    bp = bundle_for(p).params
    t = bars.open_time[a:b]
    h = np.ascontiguousarray(bars.high[a:b], dtype=np.float64)
    lo = np.ascontiguousarray(bars.low[a:b], dtype=np.float64)
    c = np.ascontiguousarray(bars.close[a:b], dtype=np.float64)
    v = np.ascontiguousarray(bars.volume[a:b], dtype=np.float64)
    rsi = rsi_exact(c, bp["rsi_period"])
    atr = atr_exact(h, lo, c, bp["atr_period"])
    ema = ema_exact(c, bp["ema_period"])
    vw, std = rolling_vwap_bands(h, lo, c, v, bp["vwap_window"])
    with np.errstate(divide="ignore", invalid="ignore"):
        dev_std = np.where(std > 0.0, (c - vw) / std, np.where(np.isnan(std), nan, 0.0))
    vz = _zero_sign(volume_zscore(v, bp["volume_window"]))
    hi_n = rolling_high(h, bp["hl_window"])
    lo_n = rolling_low(lo, bp["hl_window"])
    prev_hi = np.concatenate(([nan], hi_n[:-1]))
    prev_lo = np.concatenate(([nan], lo_n[:-1]))
    pc = np.concatenate(([nan], c[:-1]))
    tr_abs = h - lo
    if b - a > 1:
        tr_abs[1:] = np.maximum(h[1:], c[:-1]) - np.minimum(lo[1:], c[:-1])
    pos = c > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        tr_frac = np.where(pos, tr_abs / c, nan)
        atr_frac = np.where(pos, atr / c, nan)
    med = median_before(tr_frac, int(p["volatility_window"]))
    sup, res = auto_daily_levels(t, h, lo, max_gap_ms, known)
    return [
        c,
        rsi,
        atr,
        ema,
        vw,
        dev_std,
        vz,
        hi_n,
        lo_n,
        prev_hi,
        prev_lo,
        pc,
        atr_frac,
        tr_frac,
        med,
        sup,
        res,
    ]


_SEG_FIELDS = (
    "close",
    "rsi",
    "atr",
    "ema",
    "vwap",
    "vwap_dev_std",
    "volume_z",
    "high_n",
    "low_n",
    "prev_high_n",
    "prev_low_n",
    "prev_close",
    "atr_frac",
    "tr_frac",
    "tr_median",
    "support",
    "resistance",
)


def classify_states(
    close: FloatArray,
    atr: FloatArray,
    ema: FloatArray,
    high_n: FloatArray,
    low_n: FloatArray,
    atr_frac: FloatArray,
    tr_median: FloatArray,
    p: Mapping[str, Any],
) -> npt.NDArray[np.int8]:
    """Коди стану ринку (`STATE_CODES`) — векторна форма `classify_market_state`, ті самі порівняння."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(atr) & (atr > 0)
        hv = ok & np.isfinite(tr_median) & (tr_median > 0) & (atr_frac >= p["high_vol_ratio"] * tr_median)
        rest = ok & ~hv
        trend = rest & np.isfinite(ema) & (np.abs(close - ema) >= p["trend_atr_mult"] * atr)
        rest &= ~trend
        rng = rest & np.isfinite(high_n) & np.isfinite(low_n) & (high_n - low_n <= p["range_atr_mult"] * atr)
    state = np.zeros(close.shape[0], dtype=np.int8)
    state[hv] = _CODE["high_volatility"]
    state[trend] = _CODE["trend_strong"]
    state[rng] = _CODE["range_bound"]
    return state


def stage1_series(
    bars: BarArrays, p: Mapping[str, Any], timeframe_ms: int, known: KnownDays | None = None
) -> Stage1Series:
    """Усі числа монітора для ряду закритих барів (`p` — ефективні параметри символу; `known` —
    денні бари біржі для денних рівнів, як `DailyLevels.known`)."""
    n = len(bars)
    max_gap_ms = int(p["max_gap_bars"]) * timeframe_ms
    t = np.asarray(bars.open_time, dtype=np.int64)
    starts = segment_starts(t, max_gap_ms)
    bounds = [*starts.tolist(), n]
    parts = [_segment(bars, a, b, p, max_gap_ms, known) for a, b in zip(bounds[:-1], bounds[1:], strict=False)]
    cols = parts[0] if len(parts) == 1 else [np.concatenate(col) for col in zip(*parts, strict=True)]
    f = dict(zip(_SEG_FIELDS, cols, strict=True))
    seg_len = np.diff(np.asarray(bounds, dtype=np.int64)).astype(np.int64)
    seg_start = np.repeat(starts, seg_len)
    local = np.arange(n, dtype=np.int64) - seg_start
    warm = bundle_for(p).warmup
    state = classify_states(
        f["close"], f["atr"], f["ema"], f["high_n"], f["low_n"], f["atr_frac"], f["tr_median"], p
    )
    return Stage1Series(
        ready=local >= warm - 1, state=state, local=local, seg_start=seg_start, starts=starts, **f
    )


__all__ = [
    "STATE_CODES",
    "Stage1Series",
    "auto_daily_levels",
    "bundle_for",
    "classify_states",
    "median_before",
    "segment_starts",
    "stage1_series",
]
