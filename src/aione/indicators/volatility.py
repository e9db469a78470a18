"""Волатильність: ковзне стандартне відхилення (як TA-Lib STDDEV, популяційне) і
реалізована волатильність — std логарифмічних прибутковостей за вікно.

- `rolling_std(x, w)`: std (ddof=0) останніх w значень, перше — на індексі w−1.
  Дисперсія в межах шуму округлення (див. `VAR_REL_EPS`) дає рівно 0.
- `realized_vol(close, w)`: r_t = ln(close_t/close_{t-1}); std (ddof=0) останніх w
  прибутковостей, без анualізації (одиниці — «за бар»). Перше значення — на індексі w.
"""

from __future__ import annotations

from math import isfinite, log, nan

import numpy as np
import numpy.typing as npt

from aione.data.bars import Bar
from aione.indicators import _blocks as B
from aione.indicators._windows import Moments
from aione.indicators.base import Indicator, SeriesIndicator
from aione.indicators.errors import IndicatorInputError, check_array, check_period
from aione.indicators.volume import mean_std, mean_std_blocks

FloatArray = npt.NDArray[np.float64]

# ── Інкрементні ──


class RollingStd(SeriesIndicator):
    """Ковзне популяційне std за `window` значень (close для барів)."""

    __slots__ = ("window", "_win", "_mean", "_value")
    name = "RollingStd"

    def __init__(self, window: int) -> None:
        self.window = check_period(self.name, "window", window)
        self._win = Moments(self.window)
        self.reset()

    def reset(self) -> None:
        self._win.reset()
        self._mean = nan
        self._value = nan

    def _commit(self, x: float) -> float:
        c, s1, s2 = self._win.push(x)
        self._mean, self._value = mean_std(c, s1, s2, self.window)
        return self._value

    def _preview(self, x: float) -> float:
        c, s1, s2 = self._win.peek(x)
        return mean_std(c, s1, s2, self.window)[1]

    @property
    def mean(self) -> float:
        """Середнє того самого вікна."""
        return self._mean

    @property
    def value(self) -> float:
        return self._value

    @property
    def ready(self) -> bool:
        return self._value == self._value


class RealizedVol(Indicator):
    """Std логарифмічних прибутковостей close за `window` барів."""

    __slots__ = ("window", "_win", "_prev", "_n", "_value")
    name = "RealizedVol"

    def __init__(self, window: int) -> None:
        self.window = check_period(self.name, "window", window)
        self._win = Moments(self.window)
        self.reset()

    def reset(self) -> None:
        self._win.reset()
        self._prev = nan
        self._n = 0
        self._value = nan

    def _ret(self, c: float) -> float:
        # Перший бар дає заповнювач 0.0 — так само, як batch-форма (вирівнювання блоків від індексу 0).
        if c <= 0.0:
            raise IndicatorInputError(self.name, "close", c, reason="non-positive")
        return log(c / self._prev) if self._prev == self._prev else 0.0

    def update(self, bar: Bar) -> float:
        """Фіксує закритий бар."""
        c = bar.close
        if not isfinite(c):
            raise IndicatorInputError(self.name, "close", c)
        cc, s1, s2 = self._win.push(self._ret(c))
        self._prev = c
        self._n += 1
        # Вікно, що ще містить заповнювач першого бару, — прогрів.
        self._value = mean_std(cc, s1, s2, self.window)[1] if self._n > self.window else nan
        return self._value

    def peek(self, bar: Bar) -> float:
        """Реалізована волатильність з `bar` наступним, без зміни стану."""
        c = bar.close
        if not isfinite(c):
            raise IndicatorInputError(self.name, "close", c)
        if self._n < self.window:
            return nan
        cc, s1, s2 = self._win.peek(self._ret(c))
        return mean_std(cc, s1, s2, self.window)[1]

    @property
    def value(self) -> float:
        return self._value

    @property
    def ready(self) -> bool:
        return self._value == self._value


# ── Batch ──


def rolling_std(x: npt.ArrayLike, window: int) -> FloatArray:
    """Ковзне популяційне std (TA-Lib STDDEV, nbdev=1); NaN на перших window−1 барах."""
    window = check_period("rolling_std", "window", window)
    arr = check_array("rolling_std", "x", x)
    if arr.shape[-1] == 0:
        return arr.copy()
    xb, lay = B.to_blocks(arr, window)
    return B.from_blocks(B.inf_to_zero(mean_std_blocks(xb)[1]), lay)


def realized_vol(close: npt.ArrayLike, window: int) -> FloatArray:
    """Std логарифмічних прибутковостей за `window` барів; NaN на перших `window` барах."""
    window = check_period("realized_vol", "window", window)
    c = check_array("realized_vol", "close", close)
    if c.shape[-1] == 0:
        return c.copy()
    if (c <= 0.0).any():
        idx = tuple(int(i) for i in np.argwhere(c <= 0.0)[0])
        where = idx[0] if len(idx) == 1 else idx
        raise IndicatorInputError("realized_vol", "close", float(c[idx]), where, "non-positive")
    cb, lay = B.to_blocks(c, window)
    r = np.log(cb / B.shift_time(cb, cb[0, :, 0]))
    std = B.inf_to_zero(mean_std_blocks(r)[1])
    B.mask_warmup(std, window, lay)
    return B.from_blocks(std, lay)


__all__ = ["RealizedVol", "RollingStd", "realized_vol", "rolling_std"]
