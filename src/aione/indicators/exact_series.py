"""Рекурсивні індикатори (RSI і ATR Вайлдера, EMA) по всьому ряду — побітово як інкрементні класи.

Batch-форми (`rsi`, `atr`, `ema`) рахують рекурсію фільтром над блоками і відрізняються від
інкрементних на ~1e-15 відносно. Там, де потрібна побітова рівність з live (бектест-двійник
Stage1), ці функції проганяють ту саму рекурсію щільним циклом Python над списками з ТИМИ САМИМИ
виразами, тим самим порядком операцій і тією самою затравкою, що й `RSI`, `ATR`, `EMA`.
Поелементна арифметика (різниці, true range, RSI з середніх) — у numpy: IEEE-операції над
float64 дають той самий результат, що й скалярні в Python. Суми затравки — послідовні (не
`sum()`: у Python ≥ 3.12 вона компенсована і округлює інакше).
Вхід — 1-D float64 одного суцільного ряду (без розривів); NaN — прогрів, як в інкрементних.
"""

from __future__ import annotations

from math import nan

import numpy as np
import numpy.typing as npt

from aione.indicators.rsi import RSI_FLAT

FloatArray = npt.NDArray[np.float64]


# ── Спільна рекурсія ──
def _seq_sum(values: list[float]) -> float:
    """Послідовна сума зліва направо від 0.0 (як накопичення затравки в інкрементних класах)."""
    s = 0.0
    for x in values:
        s = s + x
    return s


def _wilder(seed: float, xs: list[float], period: int) -> list[float]:
    """[seed, y1, y2, ...], де y = (y·(p−1) + x)/p — вираз `RSI._next`/`ATR._next`."""
    q = period - 1
    out = [seed]
    append = out.append
    y = seed
    for x in xs:
        y = (y * q + x) / period
        append(y)
    return out


# ── Індикатори ──
def rsi_exact(close: FloatArray, period: int = 14) -> FloatArray:
    """RSI Вайлдера, побітово як `RSI.update` бар за баром; NaN на перших `period` барах."""
    c = np.asarray(close, dtype=np.float64)
    n = c.shape[0]
    out = np.full(n, nan)
    if n <= period:
        return out
    d = c[1:] - c[:-1]
    gain = np.where(d > 0.0, d, 0.0).tolist()
    loss = np.where(d < 0.0, -d, 0.0).tolist()
    ag = np.array(_wilder(_seq_sum(gain[:period]) / period, gain[period:], period))
    al = np.array(_wilder(_seq_sum(loss[:period]) / period, loss[period:], period))
    den = ag + al
    with np.errstate(divide="ignore", invalid="ignore"):
        val = 100.0 * (ag / den)
    out[period:] = np.where(den > 0.0, val, RSI_FLAT)
    return out


def true_range_exact(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """True range з індексу 1 (max(high, close₋₁) − min(low, close₋₁)); на індексі 0 — NaN."""
    h = np.asarray(high, dtype=np.float64)
    lo = np.asarray(low, dtype=np.float64)
    c = np.asarray(close, dtype=np.float64)
    out = np.full(c.shape[0], nan)
    if c.shape[0] > 1:
        pc = c[:-1]
        out[1:] = np.maximum(h[1:], pc) - np.minimum(lo[1:], pc)
    return out


def atr_exact(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """ATR Вайлдера, побітово як `ATR.update`; NaN на перших `period` барах."""
    tr = true_range_exact(high, low, close)
    n = tr.shape[0]
    out = np.full(n, nan)
    if n <= period:
        return out
    xs = tr[1:].tolist()
    out[period:] = _wilder(_seq_sum(xs[:period]) / period, xs[period:], period)
    return out


def ema_exact(x: FloatArray, period: int) -> FloatArray:
    """EMA з затравкою SMA, побітово як `EMA.update`; NaN на перших period−1 значеннях."""
    arr = np.asarray(x, dtype=np.float64)
    n = arr.shape[0]
    out = np.full(n, nan)
    if n < period:
        return out
    xs = arr.tolist()
    k = 2.0 / (period + 1)
    y = _seq_sum(xs[:period]) / period
    vals = [y]
    append = vals.append
    for v in xs[period:]:
        y = (v - y) * k + y
        append(y)
    out[period - 1 :] = vals
    return out


__all__ = ["atr_exact", "ema_exact", "rsi_exact", "true_range_exact"]
