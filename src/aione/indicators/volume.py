"""Z-скор обсягу: наскільки обсяг нового бару незвичний відносно ПОПЕРЕДНІХ `window` барів.

z_t = (v_t − mean(v_{t-window..t-1})) / std(v_{t-window..t-1}), std популяційне (ddof=0).
Базою є лише попередні бари: сплеск не «розбавляє» власну базу (інакше z одного
бару-сплеску обмежений зверху ≈ sqrt(window−1)). Перше значення — на індексі `window`.
Нульова дисперсія бази (напр. 60 барів з нульовим обсягом): z = 0 — без бази
порівнювати нема з чим, тригер не спрацьовує.
"""

from __future__ import annotations

from math import isfinite, nan, sqrt

import numpy as np
import numpy.typing as npt

from aione.config.config import STAGE1_MONITOR_PARAMS
from aione.data.bars import Bar
from aione.indicators import _blocks as B
from aione.indicators._windows import Moments
from aione.indicators.base import VAR_REL_EPS, Indicator
from aione.indicators.errors import IndicatorInputError, check_array, check_period

FloatArray = npt.NDArray[np.float64]

DEFAULT_VOLUME_WINDOW: int = int(STAGE1_MONITOR_PARAMS["volume_window"])

# ── Спільна арифметика ──


def mean_std(c: float, s1: float, s2: float, w: int) -> tuple[float, float]:
    """(mean, std) вікна із зсунутих сум; дзеркало `mean_std_arrays`."""
    if s1 != s1:
        return nan, nan
    m1 = s1 / w
    q = s2 / w
    var = q - m1 * m1
    return c + m1, (sqrt(var) if var > VAR_REL_EPS * q else 0.0)


def mean_std_blocks(xb: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(mean, std) ковзного вікна у блоках (вікно = довжина блоку); NaN, поки вікно неповне.

    std = +inf, де дисперсія нульова (див. `_blocks.finish_moments`)."""
    c, _, s1, s2 = B.shifted_window_sums(xb)
    return B.finish_moments(c[None], float(xb.shape[0]), s1, s2)


def zscore(v: float, mean: float, std: float) -> float:
    """(v − mean)/std; 0 при std = 0; NaN без бази."""
    if std != std:
        return nan
    return (v - mean) / std if std > 0.0 else 0.0


# ── Інкрементний ──


class VolumeZScore(Indicator):
    """Z-скор обсягу бару відносно попередніх `window` барів."""

    __slots__ = ("window", "_win", "_mean", "_std", "_value")
    name = "VolumeZScore"

    def __init__(self, window: int = DEFAULT_VOLUME_WINDOW) -> None:
        self.window = check_period(self.name, "window", window)
        self._win = Moments(self.window)
        self.reset()

    def reset(self) -> None:
        self._win.reset()
        self._mean = nan
        self._std = nan
        self._value = nan

    def _update(self, v: float) -> float:
        self._value = zscore(v, self._mean, self._std)
        c, s1, s2 = self._win.push(v)
        self._mean, self._std = mean_std(c, s1, s2, self.window)
        return self._value

    def update(self, bar: Bar) -> float:
        """Фіксує закритий бар; повертає його z-скор."""
        v = bar.volume
        if not isfinite(v):
            raise IndicatorInputError(self.name, "volume", v)
        return self._update(v)

    def peek(self, bar: Bar) -> float:
        """Z-скор `bar` відносно вже зафіксованої бази (стан не змінюється)."""
        v = bar.volume
        if not isfinite(v):
            raise IndicatorInputError(self.name, "volume", v)
        return zscore(v, self._mean, self._std)

    @property
    def value(self) -> float:
        return self._value

    @property
    def ready(self) -> bool:
        return self._value == self._value

    @property
    def baseline_mean(self) -> float:
        """Середній обсяг останніх `window` зафіксованих барів (база для наступного бару)."""
        return self._mean

    @property
    def baseline_std(self) -> float:
        """Std обсягу останніх `window` зафіксованих барів."""
        return self._std


# ── Batch ──


def next_zscore_blocks(vb: FloatArray) -> FloatArray:
    """У позиції t — z-скор бару t+1 відносно вікна, що закінчується на t (для `from_blocks(shift=1)`)."""
    mean, std = mean_std_blocks(vb)
    nxt = B.shift_time_back(vb, np.nan)
    np.subtract(nxt, mean, out=mean)
    mean /= std
    return mean


def volume_zscore(volume: npt.ArrayLike, window: int = DEFAULT_VOLUME_WINDOW) -> FloatArray:
    """Z-скор обсягу відносно попередніх `window` барів; NaN на перших `window` барах."""
    window = check_period("volume_zscore", "window", window)
    v = check_array("volume_zscore", "volume", volume)
    if v.shape[-1] == 0:
        return v.copy()
    vb, lay = B.to_blocks(v, window)
    return B.from_blocks(next_zscore_blocks(vb), lay, shift=1)


__all__ = [
    "DEFAULT_VOLUME_WINDOW",
    "VolumeZScore",
    "mean_std",
    "mean_std_blocks",
    "next_zscore_blocks",
    "volume_zscore",
    "zscore",
]
