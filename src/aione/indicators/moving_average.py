"""Ковзні середні: SMA і EMA за конвенціями TA-Lib.

- SMA(p): середнє останніх p значень; перше значення на індексі p-1.
- EMA(p): k = 2/(p+1); затравка — SMA перших p значень (індекс p-1), далі
  y = (x − y)·k + y. Прогрів — NaN.
Інкрементні класи працюють з `bar.close`; `update_value`/`peek_value` — з довільним рядом.
"""

from __future__ import annotations

from math import nan

import numpy as np
import numpy.typing as npt

from aione.indicators import _blocks as B
from aione.indicators._windows import PlainSum
from aione.indicators.base import SeriesIndicator
from aione.indicators.errors import check_array, check_period

FloatArray = npt.NDArray[np.float64]

# ── Інкрементні ──


class SMA(SeriesIndicator):
    """Просте ковзне середнє за `period` значень (без дрейфу: блокові суми)."""

    __slots__ = ("period", "_win", "_value")
    name = "SMA"

    def __init__(self, period: int) -> None:
        self.period = check_period(self.name, "period", period)
        self._win = PlainSum(self.period)
        self._value = nan

    def _commit(self, x: float) -> float:
        self._value = self._win.push(x) / self.period
        return self._value

    def _preview(self, x: float) -> float:
        return self._win.peek(x) / self.period

    @property
    def value(self) -> float:
        return self._value

    @property
    def ready(self) -> bool:
        return self._value == self._value

    def reset(self) -> None:
        self._win.reset()
        self._value = nan


class EMA(SeriesIndicator):
    """Експоненційне середнє, затравка — SMA перших `period` значень (TA-Lib)."""

    __slots__ = ("period", "k", "_n", "_sum", "_value")
    name = "EMA"

    def __init__(self, period: int) -> None:
        self.period = check_period(self.name, "period", period)
        self.k = 2.0 / (self.period + 1)
        self._n = 0
        self._sum = 0.0
        self._value = nan

    def _next(self, x: float) -> tuple[float, float]:
        """(нова сума затравки, нове значення) — чиста функція стану."""
        n = self._n + 1
        if n < self.period:
            return self._sum + x, nan
        if n == self.period:
            s = self._sum + x
            return s, s / self.period
        y = self._value
        return self._sum, (x - y) * self.k + y

    def _update(self, x: float) -> float:
        self._sum, self._value = self._next(x)
        self._n += 1
        return self._value

    def _commit(self, x: float) -> float:
        return self._update(x)

    def _preview(self, x: float) -> float:
        return self._next(x)[1]

    @property
    def value(self) -> float:
        return self._value

    @property
    def ready(self) -> bool:
        return self._n >= self.period

    def reset(self) -> None:
        self._n = 0
        self._sum = 0.0
        self._value = nan


# ── Batch ──

_IIR_BLOCK = 64  # довжина блоку для рекурсій, коли вікна не задають розкладку


def seed_sum(x2: FloatArray, start: int, stop: int) -> FloatArray:
    """Послідовна сума x[start:stop] по кожному ряду (той самий порядок, що в інкрементній формі)."""
    return np.asarray(np.add.accumulate(x2[:, start:stop], axis=1)[:, -1], dtype=np.float64)


def ema_blocks(x2: FloatArray, xb: FloatArray, lay: B.Layout, period: int) -> FloatArray:
    """EMA у блоковій розкладці (`x2` — той самий ряд у часовому порядку, 2-D)."""
    out = np.full_like(xb, np.nan)
    if lay.n < period:
        return out
    k = 2.0 / (period + 1)
    u = xb * k
    B.mask_warmup(u, period - 1, lay, 0.0)
    r, b = B.time_index(period - 1, lay)
    u[r, :, b] = seed_sum(x2, 0, period) / period
    y = B.iir(u, 1.0 - k, lay)
    B.mask_warmup(y, period - 1, lay)
    return y


def ema(x: npt.ArrayLike, period: int) -> FloatArray:
    """EMA (TA-Lib): NaN на перших period-1 барах. Вхід (n,) або (m, n)."""
    period = check_period("ema", "period", period)
    arr = check_array("ema", "x", x)
    if arr.shape[-1] == 0:
        return arr.copy()
    xb, lay = B.to_blocks(arr, _IIR_BLOCK)
    x2 = arr[None, :] if arr.ndim == 1 else arr
    return B.from_blocks(ema_blocks(x2, xb, lay, period), lay)


def sma(x: npt.ArrayLike, period: int) -> FloatArray:
    """SMA (TA-Lib): NaN на перших period-1 барах. Вхід (n,) або (m, n)."""
    period = check_period("sma", "period", period)
    arr = check_array("sma", "x", x)
    if arr.shape[-1] == 0:
        return arr.copy()
    xb, lay = B.to_blocks(arr, period)
    out = B.window_inplace(xb, np.add)
    out /= period
    return B.from_blocks(out, lay)


__all__ = ["EMA", "SMA", "ema", "ema_blocks", "seed_sum", "sma"]
