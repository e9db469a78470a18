"""RSI Вайлдера (типово 14) за конвенцією TA-Lib.

Зміни d_t = close_t − close_{t-1}; затравка — середні приросту/спаду перших
`period` змін (значення на індексі `period`), далі згладжування Вайлдера
avg = (avg·(p−1) + x)/p. RSI = 100·G/(G+L).
Пласкі ціни (G + L = 0): RSI = 50 — «ні приросту, ні спаду» (TA-Lib тут дає 0).
"""

from __future__ import annotations

from math import nan

import numpy as np
import numpy.typing as npt

from aione.indicators import _blocks as B
from aione.indicators.base import SeriesIndicator
from aione.indicators.errors import check_array, check_period
from aione.indicators.moving_average import seed_sum

FloatArray = npt.NDArray[np.float64]

RSI_FLAT = 50.0  # значення RSI, коли ціна не змінювалась (G + L = 0)

# ── Інкрементний ──


class RSI(SeriesIndicator):
    """RSI Вайлдера за `bar.close`."""

    __slots__ = ("period", "_n", "_prev", "_gain", "_loss", "_value")
    name = "RSI"

    def __init__(self, period: int = 14) -> None:
        self.period = check_period(self.name, "period", period)
        self.reset()

    def reset(self) -> None:
        self._n = 0
        self._prev = nan
        self._gain = 0.0
        self._loss = 0.0
        self._value = nan

    def _next(self, c: float) -> tuple[float, float, float]:
        """(G, L, RSI) після ціни `c` — чиста функція стану."""
        n = self._n
        if n == 0:
            return 0.0, 0.0, nan
        d = c - self._prev
        g = d if d > 0.0 else 0.0
        loss = -d if d < 0.0 else 0.0
        p = self.period
        if n < p:
            return self._gain + g, self._loss + loss, nan
        if n == p:
            ag = (self._gain + g) / p
            al = (self._loss + loss) / p
        else:
            ag = (self._gain * (p - 1) + g) / p
            al = (self._loss * (p - 1) + loss) / p
        den = ag + al
        return ag, al, (100.0 * (ag / den) if den > 0.0 else RSI_FLAT)

    def _update(self, c: float) -> float:
        self._gain, self._loss, self._value = self._next(c)
        self._prev = c
        self._n += 1
        return self._value

    def _commit(self, x: float) -> float:
        return self._update(x)

    def _preview(self, x: float) -> float:
        return self._next(x)[2]

    @property
    def value(self) -> float:
        return self._value

    @property
    def ready(self) -> bool:
        return self._n > self.period


# ── Batch ──


def wilder_scaled_blocks(xb: FloatArray, seed_total: FloatArray, lay: B.Layout, period: int) -> FloatArray:
    """period × (згладжування Вайлдера) ряду `xb` у блоках, ПЕРЕЗАПИСУЄ `xb`.

    y' = p·y задовольняє y'_t = (p−1)/p · y'_{t-1} + x_t із затравкою y'_p = Σx[1..p]
    (`seed_total`, послідовна сума) — ділення на p не потрібне, а для RSI воно й скорочується.
    Значення з індексу `period`; раніше — NaN."""
    B.mask_warmup(xb, period, lay, 0.0)
    r, b = B.time_index(period, lay)
    xb[r, :, b] = seed_total
    y = B.iir(xb, (period - 1) / period, lay)
    B.mask_warmup(y, period, lay)
    return y


def rsi_blocks(c2: FloatArray, cb: FloatArray, lay: B.Layout, period: int) -> FloatArray:
    """RSI у блоковій розкладці (`c2` — close у часовому порядку, 2-D)."""
    if lay.n <= period:
        return np.full_like(cb, np.nan)
    d = B.shift_time(cb, cb[0, :, 0])
    np.subtract(cb, d, out=d)
    gain = np.maximum(d, 0.0)
    np.minimum(d, 0.0, out=d)  # −спад: рекурсія лінійна й симетрична до знака, тож дає рівно −L
    dd = np.diff(c2[:, : period + 1], axis=1)
    ag = wilder_scaled_blocks(gain, seed_sum(np.maximum(dd, 0.0), 0, period), lay, period)
    neg_al = wilder_scaled_blocks(d, seed_sum(np.minimum(dd, 0.0), 0, period), lay, period)
    np.subtract(ag, neg_al, out=neg_al)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(ag, neg_al, out=ag)
    ag *= 100.0
    ag[neg_al == 0.0] = RSI_FLAT
    return ag


def rsi(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """RSI Вайлдера (TA-Lib): NaN на перших `period` барах; пласкі ціни → 50. Вхід (n,) або (m, n)."""
    period = check_period("rsi", "period", period)
    arr = check_array("rsi", "close", close)
    if arr.shape[-1] == 0:
        return arr.copy()
    cb, lay = B.to_blocks(arr, 64)
    c2 = arr[None, :] if arr.ndim == 1 else arr
    return B.from_blocks(rsi_blocks(c2, cb, lay, period), lay)


__all__ = ["RSI", "RSI_FLAT", "rsi", "rsi_blocks", "wilder_scaled_blocks"]
