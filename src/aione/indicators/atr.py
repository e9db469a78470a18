"""ATR Вайлдера (типово 14) за конвенцією TA-Lib і ATR у відсотках ціни.

True range з індексу 1: max(high−low, |high−close_{t-1}|, |low−close_{t-1}|), що при
high ≥ low дорівнює max(high, close_{t-1}) − min(low, close_{t-1}) — і побітово теж
(округлення монотонне). Обидві форми рахують другим виразом.
Перший ATR на індексі `period` — середнє TR[1..period], далі (atr·(p−1) + tr)/p.
ATR% = 100·ATR/close того самого бару.
"""

from __future__ import annotations

from math import isfinite, nan

import numpy as np
import numpy.typing as npt

from aione.data.bars import Bar
from aione.indicators import _blocks as B
from aione.indicators.base import Indicator
from aione.indicators.errors import IndicatorInputError, check_array, check_period, check_same_shape
from aione.indicators.moving_average import seed_sum
from aione.indicators.rsi import wilder_scaled_blocks

FloatArray = npt.NDArray[np.float64]

# ── Інкрементні ──


def _check_hlc(name: str, bar: Bar) -> None:
    """Перевіряє high/low/close бару (одна сума — швидкий шлях)."""
    if not isfinite(bar.high + bar.low + bar.close):
        for field in ("high", "low", "close"):
            value = getattr(bar, field)
            if not isfinite(value):
                raise IndicatorInputError(name, field, value)


class ATR(Indicator):
    """Average True Range Вайлдера."""

    __slots__ = ("period", "_n", "_prev_close", "_sum", "_value")
    name = "ATR"

    def __init__(self, period: int = 14) -> None:
        self.period = check_period(self.name, "period", period)
        self.reset()

    def reset(self) -> None:
        self._n = 0
        self._prev_close = nan
        self._sum = 0.0
        self._value = nan

    def _next(self, h: float, lo: float) -> tuple[float, float]:
        """(сума затравки, ATR) після бару — чиста функція стану."""
        n = self._n
        if n == 0:
            return 0.0, nan
        pc = self._prev_close
        tr = (h if h >= pc else pc) - (lo if lo <= pc else pc)
        p = self.period
        if n < p:
            return self._sum + tr, nan
        if n == p:
            s = self._sum + tr
            return s, s / p
        return self._sum, (self._value * (p - 1) + tr) / p

    def _update(self, bar: Bar) -> float:
        self._sum, self._value = self._next(bar.high, bar.low)
        self._prev_close = bar.close
        self._n += 1
        return self._value

    def update(self, bar: Bar) -> float:
        """Фіксує закритий бар."""
        _check_hlc(self.name, bar)
        return self._update(bar)

    def peek(self, bar: Bar) -> float:
        """ATR з `bar` наступним, без зміни стану."""
        _check_hlc(self.name, bar)
        return self._next(bar.high, bar.low)[1]

    def value_pct(self, close: float | None = None) -> float:
        """ATR у % від `close` (типово — close останнього зафіксованого бару)."""
        c = self._prev_close if close is None else close
        return 100.0 * self._value / c if c else nan

    @property
    def value(self) -> float:
        return self._value

    @property
    def ready(self) -> bool:
        return self._n > self.period


class ATRPercent(Indicator):
    """ATR% = 100·ATR/close поточного бару."""

    __slots__ = ("atr", "_value")
    name = "ATRPercent"

    def __init__(self, period: int = 14) -> None:
        self.atr = ATR(period)
        self._value = nan

    def update(self, bar: Bar) -> float:
        _check_hlc(self.name, bar)
        a = self.atr._update(bar)
        self._value = 100.0 * a / bar.close if bar.close else nan
        return self._value

    def peek(self, bar: Bar) -> float:
        _check_hlc(self.name, bar)
        a = self.atr._next(bar.high, bar.low)[1]
        return 100.0 * a / bar.close if bar.close else nan

    @property
    def value(self) -> float:
        return self._value

    @property
    def ready(self) -> bool:
        return self.atr.ready

    def reset(self) -> None:
        self.atr.reset()
        self._value = nan


# ── Batch ──


def true_range_blocks(hb: FloatArray, lb: FloatArray, cb: FloatArray) -> FloatArray:
    """True range у блоках (для t=0 — high−low, воно не використовується)."""
    pc = B.shift_time(cb, cb[0, :, 0])
    tr = np.maximum(hb, pc)
    np.minimum(lb, pc, out=pc)
    tr -= pc
    return tr


def _seed_tr(h2: FloatArray, l2: FloatArray, c2: FloatArray, period: int) -> FloatArray:
    """Σ TR[1..period] у часовому порядку (m,), послідовно."""
    pc = c2[:, :period]
    tr = np.maximum(h2[:, 1 : period + 1], pc) - np.minimum(l2[:, 1 : period + 1], pc)
    return seed_sum(tr, 0, period)


def atr_blocks(
    h2: FloatArray, l2: FloatArray, c2: FloatArray, trb: FloatArray, lay: B.Layout, period: int
) -> FloatArray:
    """ATR у блоках за готовим true range `trb` (ПЕРЕЗАПИСУЄ `trb`)."""
    if lay.n <= period:
        return np.full_like(trb, np.nan)
    y = wilder_scaled_blocks(trb, _seed_tr(h2, l2, c2, period), lay, period)
    y /= period
    return y


def _prepare(
    name: str, high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike
) -> tuple[FloatArray, ...]:
    h = check_array(name, "high", high)
    lo = check_array(name, "low", low)
    c = check_array(name, "close", close)
    check_same_shape(name, high=h, low=lo, close=c)
    return h, lo, c


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """ATR Вайлдера (TA-Lib): NaN на перших `period` барах. Вхід (n,) або (m, n)."""
    period = check_period("atr", "period", period)
    h, lo, c = _prepare("atr", high, low, close)
    if c.shape[-1] == 0:
        return c.copy()
    hb, lay = B.to_blocks(h, 64)
    lb = B.blocks_like(lo, lay)
    cb = B.blocks_like(c, lay)
    two = (h[None, :], lo[None, :], c[None, :]) if c.ndim == 1 else (h, lo, c)
    return B.from_blocks(atr_blocks(*two, true_range_blocks(hb, lb, cb), lay, period), lay)


def atr_pct(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """ATR у % від close того самого бару."""
    c = check_array("atr_pct", "close", close)
    return 100.0 * atr(high, low, c, period) / c


__all__ = ["ATR", "ATRPercent", "atr", "atr_blocks", "atr_pct", "true_range_blocks"]
