"""VWAP: ковзний за N барів і якірний по UTC-сесії (скидається о 00:00 UTC).

Типова ціна tp = (high + low + close)/3; VWAP = Σ(v·tp)/Σv. Стандартне відхилення —
зважене обсягом відхилення tp від VWAP: sqrt(Σv·(tp − VWAP)²/Σv).
Відхилення ціни: у % — 100·(price − VWAP)/VWAP; у σ — (price − VWAP)/std.

Правила на краях:
- вікно/сесія з нульовим сумарним обсягом: VWAP = типова ціна останнього бару, std = 0
  (торгів не було, «справедлива» ціна — поточна);
- std = 0 (усі угоди на одній ціні або нульовий обсяг): відхилення в σ = 0;
- ковзний VWAP — NaN, поки не набралось N барів; сесійний визначений з першого бару
  сесії (перша сесія ряду може бути неповною).
Суми рахуються зі зсувом на опорну ціну (див. `_blocks`), тож ціни ~1e5 з малим
розкидом не втрачають точності.
"""

from __future__ import annotations

from math import isfinite, nan, sqrt

import numpy as np
import numpy.typing as npt

from aione.data.bars import Bar
from aione.indicators import _blocks as B
from aione.indicators._windows import WeightedMoments
from aione.indicators.base import VAR_REL_EPS, Indicator
from aione.indicators.errors import IndicatorInputError, check_array, check_period, check_same_shape

FloatArray = npt.NDArray[np.float64]

DAY_MS = 86_400_000  # тривалість UTC-сесії, мс

# ── Спільна арифметика ──


def _check_hlcv(name: str, bar: Bar) -> None:
    """Перевіряє high/low/close/volume бару (одна сума — швидкий шлях)."""
    if not isfinite(bar.high + bar.low + bar.close + bar.volume):
        for field in ("high", "low", "close", "volume"):
            value = getattr(bar, field)
            if not isfinite(value):
                raise IndicatorInputError(name, field, value)


def finish(c: float, s0: float, s1: float, s2: float, tp: float) -> tuple[float, float]:
    """(VWAP, std) із зсунутих сум; дзеркало `finish_arrays`."""
    if s0 != s0:
        return nan, nan
    if s0 > 0.0:
        m1 = s1 / s0
        q = s2 / s0
        var = q - m1 * m1
        return c + m1, (sqrt(var) if var > VAR_REL_EPS * q else 0.0)
    return tp, 0.0


def finish_arrays(
    c: FloatArray, s0: FloatArray, s1: FloatArray, s2: FloatArray, tp: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Векторна версія `finish` (ПЕРЕЗАПИСУЄ s1, s2): (VWAP, std), std = +inf при нульовій дисперсії."""
    vw, std = B.finish_moments(c, s0, s1, s2)
    zero = s0 == 0.0
    if zero.any():
        vw[zero] = tp[zero]
        std[zero] = np.inf
    return vw, std


def deviation_pct(price: float, vwap: float) -> float:
    """100·(price − VWAP)/VWAP."""
    return 100.0 * (price - vwap) / vwap


def deviation_std(price: float, vwap: float, std: float) -> float:
    """(price − VWAP)/std; 0, якщо std = 0; NaN, якщо VWAP ще не визначений."""
    if std != std:
        return nan
    return (price - vwap) / std if std > 0.0 else 0.0


# ── Інкрементні ──


class _VWAPBase(Indicator):
    """Спільні властивості VWAP-індикаторів: `value`, `std`, відхилення."""

    __slots__ = ("_value", "_std")
    _value: float
    _std: float

    def _calc(self, bar: Bar) -> tuple[float, float]:
        raise NotImplementedError

    def peek(self, bar: Bar) -> float:
        """VWAP з `bar` наступним, без зміни стану."""
        _check_hlcv(self.name, bar)
        return self._calc(bar)[0]

    def peek_bands(self, bar: Bar) -> tuple[float, float]:
        """(VWAP, std) з `bar` наступним, без зміни стану."""
        _check_hlcv(self.name, bar)
        return self._calc(bar)

    @property
    def value(self) -> float:
        return self._value

    @property
    def std(self) -> float:
        """Зважене обсягом std типової ціни навколо VWAP."""
        return self._std

    @property
    def ready(self) -> bool:
        return self._value == self._value

    def deviation_pct(self, price: float) -> float:
        """Відхилення ціни від VWAP у %."""
        return deviation_pct(price, self._value)

    def deviation_std(self, price: float) -> float:
        """Відхилення ціни від VWAP у стандартних відхиленнях (0 при std = 0)."""
        return deviation_std(price, self._value, self._std)


class RollingVWAP(_VWAPBase):
    """VWAP за останні `window` барів (включно з поточним)."""

    __slots__ = ("window", "_win")
    name = "RollingVWAP"

    def __init__(self, window: int = 60) -> None:
        self.window = check_period(self.name, "window", window)
        self._win = WeightedMoments(self.window)
        self._value = nan
        self._std = nan

    def _calc(self, bar: Bar) -> tuple[float, float]:
        tp = (bar.high + bar.low + bar.close) / 3.0
        c, s0, s1, s2 = self._win.peek(tp, bar.volume)
        return finish(c, s0, s1, s2, tp)

    def _update(self, bar: Bar) -> float:
        tp = (bar.high + bar.low + bar.close) / 3.0
        c, s0, s1, s2 = self._win.push(tp, bar.volume)
        self._value, self._std = finish(c, s0, s1, s2, tp)
        return self._value

    def update(self, bar: Bar) -> float:
        """Фіксує закритий бар."""
        _check_hlcv(self.name, bar)
        return self._update(bar)

    def reset(self) -> None:
        self._win.reset()
        self._value = nan
        self._std = nan


class SessionVWAP(_VWAPBase):
    """VWAP від початку поточної UTC-доби (за `bar.open_time`)."""

    __slots__ = ("_day", "_c", "_s0", "_s1", "_s2")
    name = "SessionVWAP"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._day = -1
        self._c = 0.0
        self._s0 = self._s1 = self._s2 = 0.0
        self._value = nan
        self._std = nan

    def _sums(self, bar: Bar) -> tuple[int, float, float, float, float, float]:
        tp = (bar.high + bar.low + bar.close) / 3.0
        v = bar.volume
        day = bar.open_time // DAY_MS
        if day != self._day:
            c, s0, s1, s2 = tp, 0.0, 0.0, 0.0
        else:
            c, s0, s1, s2 = self._c, self._s0, self._s1, self._s2
        d = tp - c
        vd = v * d
        return day, c, s0 + v, s1 + vd, s2 + vd * d, tp

    def _calc(self, bar: Bar) -> tuple[float, float]:
        _, c, s0, s1, s2, tp = self._sums(bar)
        return finish(c, s0, s1, s2, tp)

    def update(self, bar: Bar) -> float:
        """Фіксує закритий бар; на новій UTC-добі суми скидаються."""
        _check_hlcv(self.name, bar)
        self._day, self._c, self._s0, self._s1, self._s2, tp = self._sums(bar)
        self._value, self._std = finish(self._c, self._s0, self._s1, self._s2, tp)
        return self._value

    @property
    def session_start(self) -> int:
        """open_time (мс) початку поточної сесії; -1 до першого бару."""
        return self._day * DAY_MS if self._day >= 0 else -1


# ── Batch ──


def _prepare(
    name: str, high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, volume: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    h = check_array(name, "high", high)
    lo = check_array(name, "low", low)
    c = check_array(name, "close", close)
    v = check_array(name, "volume", volume)
    check_same_shape(name, high=h, low=lo, close=c, volume=v)
    return h, lo, c, v


def rolling_vwap_blocks(
    hb: FloatArray,
    lb: FloatArray,
    cb: FloatArray,
    vb: FloatArray,
    lay: B.Layout,
    consume_volume: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """(VWAP, std) у блоках, вікно = довжина блоку; std = +inf при нульовій дисперсії, NaN у прогріві.

    `consume_volume=True` дозволяє зіпсувати `vb` (економить копію)."""
    tp = hb + lb
    tp += cb
    tp /= 3.0
    c, s0, s1, s2 = B.shifted_window_sums(tp, vb, consume_volume)
    assert s0 is not None
    return finish_arrays(c[None], s0, s1, s2, tp)


def vwap_deviation_blocks(cb: FloatArray, vw: FloatArray, std: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(dev_pct, dev_std) у блоках; ПЕРЕЗАПИСУЄ `std`. Порядок операцій — як в інкрементній формі."""
    dev = cb - vw
    np.divide(dev, std, out=std)
    dev *= 100.0
    dev /= vw
    return dev, std


def rolling_vwap_bands(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, volume: npt.ArrayLike, window: int = 60
) -> tuple[FloatArray, FloatArray]:
    """(VWAP, std) за ковзне вікно `window`; NaN на перших window-1 барах."""
    window = check_period("rolling_vwap", "window", window)
    h, lo, c, v = _prepare("rolling_vwap", high, low, close, volume)
    if c.shape[-1] == 0:
        return c.copy(), c.copy()
    hb, lay = B.to_blocks(h, window)
    vw, std = rolling_vwap_blocks(
        hb, B.blocks_like(lo, lay), B.blocks_like(c, lay), B.blocks_like(v, lay), lay
    )
    return B.from_blocks(vw, lay), B.from_blocks(B.inf_to_zero(std), lay)


def rolling_vwap(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, volume: npt.ArrayLike, window: int = 60
) -> FloatArray:
    """Ковзний VWAP за `window` барів (вхід (n,) або (m, n))."""
    return rolling_vwap_bands(high, low, close, volume, window)[0]


def session_vwap_bands(
    open_time: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """(VWAP, std) від початку кожної UTC-доби. `open_time` — (n,) мс; ціни (n,) або (m, n)."""
    h, lo, c, v = _prepare("session_vwap", high, low, close, volume)
    t = np.asarray(open_time, dtype=np.int64)
    if t.ndim != 1 or t.shape[0] != c.shape[-1]:
        raise ValueError(f"session_vwap: open_time must be 1-D of length {c.shape[-1]}, got shape {t.shape}")
    tp = (h + lo + c) / 3.0
    tp2 = tp[None, :] if tp.ndim == 1 else tp
    v2 = v[None, :] if v.ndim == 1 else v
    s0 = np.empty_like(tp2)
    s1 = np.empty_like(tp2)
    s2 = np.empty_like(tp2)
    cref = np.empty_like(tp2)
    day = t // DAY_MS
    starts = (
        np.concatenate(([0], np.flatnonzero(np.diff(day)) + 1, [t.shape[0]])) if t.size else np.array([0])
    )
    for a, b in zip(starts[:-1], starts[1:], strict=False):
        c0 = tp2[:, a : a + 1]
        d = tp2[:, a:b] - c0
        vd = v2[:, a:b] * d
        np.cumsum(v2[:, a:b], axis=1, out=s0[:, a:b])
        np.cumsum(vd, axis=1, out=s1[:, a:b])
        vd *= d
        np.cumsum(vd, axis=1, out=s2[:, a:b])
        cref[:, a:b] = c0
    vw, std = finish_arrays(cref, s0, s1, s2, tp2)
    std = B.inf_to_zero(std)
    if tp.ndim == 1:
        return vw[0], std[0]
    return vw, std


def session_vwap(
    open_time: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
) -> FloatArray:
    """VWAP, якірний по UTC-сесії (скидається о 00:00 UTC)."""
    return session_vwap_bands(open_time, high, low, close, volume)[0]


def vwap_deviation_pct(close: npt.ArrayLike, vwap: npt.ArrayLike) -> FloatArray:
    """100·(close − VWAP)/VWAP поелементно (NaN там, де VWAP — NaN)."""
    c = np.asarray(close, dtype=np.float64)
    vw = np.asarray(vwap, dtype=np.float64)
    return np.asarray(100.0 * (c - vw) / vw, dtype=np.float64)


def vwap_deviation_std(close: npt.ArrayLike, vwap: npt.ArrayLike, std: npt.ArrayLike) -> FloatArray:
    """(close − VWAP)/std поелементно; 0, де std = 0; NaN, де std — NaN."""
    c = np.asarray(close, dtype=np.float64)
    vw = np.asarray(vwap, dtype=np.float64)
    s = np.asarray(std, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (c - vw) / s
    out[s == 0.0] = 0.0
    return np.asarray(out, dtype=np.float64)


__all__ = [
    "DAY_MS",
    "RollingVWAP",
    "SessionVWAP",
    "deviation_pct",
    "deviation_std",
    "rolling_vwap",
    "rolling_vwap_bands",
    "rolling_vwap_blocks",
    "vwap_deviation_blocks",
    "session_vwap",
    "session_vwap_bands",
    "vwap_deviation_pct",
    "vwap_deviation_std",
]
