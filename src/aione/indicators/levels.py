"""Рівні: канал Дончіана (ковзні максимум/мінімум) і свінгові півоти.

Donchian(window):
- `high`/`low` — екстремуми останніх `window` барів ВКЛЮЧНО з поточним (як TA-Lib MAX/MIN);
- `prev_high`/`prev_low` — екстремуми `window` барів ДО поточного: пробій угору —
  це close > prev_high (поточний бар не може пробити сам себе);
- `value` — середня лінія (high + low)/2.

Свінговий півот-максимум на барі i: high_i СТРОГО більший за high усіх `left` барів
ліворуч і НЕ МЕНШИЙ за high усіх `right` барів праворуч (тож у пласкій вершині
півотом стає перший бар). Півот-мінімум — дзеркально для low. Півот на i
підтверджується лише після закриття бару i+right: без заглядання в майбутнє.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from math import isfinite, nan
from typing import Literal

import numpy as np
import numpy.typing as npt

from aione.data.bars import Bar
from aione.indicators import _blocks as B
from aione.indicators._windows import Extremes
from aione.indicators.base import Indicator
from aione.indicators.errors import IndicatorInputError, check_array, check_period, check_same_shape

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# ── Donchian ──


def _check_hl(name: str, bar: Bar) -> None:
    if not isfinite(bar.high + bar.low):
        for field in ("high", "low"):
            value = getattr(bar, field)
            if not isfinite(value):
                raise IndicatorInputError(name, field, value)


class Donchian(Indicator):
    """Ковзні максимум high і мінімум low за `window` барів (+ попереднє вікно)."""

    __slots__ = ("window", "_win", "high", "low", "prev_high", "prev_low")
    name = "Donchian"

    def __init__(self, window: int = 60) -> None:
        self.window = check_period(self.name, "window", window)
        self._win = Extremes(self.window)
        self.reset()

    def reset(self) -> None:
        self._win.reset()
        self.high = nan
        self.low = nan
        self.prev_high = nan
        self.prev_low = nan

    def _update(self, bar: Bar) -> float:
        self.prev_high = self.high
        self.prev_low = self.low
        self.high, self.low = self._win.push(bar.high, bar.low)
        return (self.high + self.low) / 2.0

    def update(self, bar: Bar) -> float:
        """Фіксує закритий бар; повертає середню лінію."""
        _check_hl(self.name, bar)
        return self._update(bar)

    def peek_levels(self, bar: Bar) -> tuple[float, float, float, float]:
        """(high, low, prev_high, prev_low), якби `bar` був наступним; стан не змінюється."""
        _check_hl(self.name, bar)
        hi, lo = self._win.peek(bar.high, bar.low)
        return hi, lo, self.high, self.low

    def peek(self, bar: Bar) -> float:
        """Середня лінія з `bar` наступним."""
        hi, lo, _, _ = self.peek_levels(bar)
        return (hi + lo) / 2.0

    @property
    def value(self) -> float:
        return (self.high + self.low) / 2.0

    @property
    def ready(self) -> bool:
        return self.high == self.high


def rolling_high(high: npt.ArrayLike, window: int) -> FloatArray:
    """Максимум останніх `window` значень включно з поточним (TA-Lib MAX); NaN на перших window−1."""
    window = check_period("rolling_high", "window", window)
    h = check_array("rolling_high", "high", high)
    if h.shape[-1] == 0:
        return h.copy()
    hb, lay = B.to_blocks(h, window)
    return B.from_blocks(B.window_inplace(hb, np.maximum), lay)


def rolling_low(low: npt.ArrayLike, window: int) -> FloatArray:
    """Мінімум останніх `window` значень включно з поточним (TA-Lib MIN); NaN на перших window−1."""
    window = check_period("rolling_low", "window", window)
    lo = check_array("rolling_low", "low", low)
    if lo.shape[-1] == 0:
        return lo.copy()
    lb, lay = B.to_blocks(lo, window)
    return B.from_blocks(B.window_inplace(lb, np.minimum), lay)


def shift1(x: FloatArray) -> FloatArray:
    """Значення попереднього бару (NaN для першого): «попередні N барів» з ковзного ряду."""
    out = np.empty_like(x)
    out[..., 0] = np.nan
    out[..., 1:] = x[..., :-1]
    return out


# ── Свінгові півоти ──


@dataclass(frozen=True, slots=True)
class Pivot:
    """Підтверджений півот: індекс бару (від першого оновлення), час, ціна, тип."""

    index: int
    open_time: int
    price: float
    kind: Literal["high", "low"]


class SwingPivots(Indicator):
    """Свінгові максимуми/мінімуми з силою `left`/`right`; `update` повертає нові підтверджені."""

    __slots__ = ("left", "right", "max_pivots", "_buf", "_n", "pivots")
    name = "SwingPivots"

    def __init__(self, left: int = 3, right: int = 3, max_pivots: int = 200) -> None:
        self.left = check_period(self.name, "left", left)
        self.right = check_period(self.name, "right", right, minimum=0)
        self.max_pivots = check_period(self.name, "max_pivots", max_pivots)
        self.reset()

    def reset(self) -> None:
        self._buf: deque[tuple[float, float, int]] = deque(maxlen=self.left + self.right + 1)
        self._n = 0
        self.pivots: list[Pivot] = []

    def _confirm(self, bar: Bar) -> list[Pivot]:
        """Півоти, які підтверджує `bar` (буфер ще без нього).

        Вікно — останні left + right барів буфера і `bar`; центр — бар `left` вікна. Максимум:
        строго вищий за всі ліві й не нижчий за праві (мінімум — дзеркально). Перевірка йде
        бар за баром і кидається, щойно центр не може бути жодним півотом (так буває майже
        завжди), — без копії вікна і без генераторів на кожному барі."""
        left, right = self.left, self.right
        buf = self._buf
        n = len(buf)
        first = n - left - right  # індекс першого бару вікна в буфері
        if first < 0:
            return []
        if right:
            ch, cl, ct = buf[first + left]
            is_hi = bar.high <= ch
            is_lo = bar.low >= cl
            for k in range(first + left + 1, n):
                if not (is_hi or is_lo):
                    return []
                h, q, _ = buf[k]
                if h > ch:
                    is_hi = False
                if q < cl:
                    is_lo = False
        else:
            ch, cl, ct = bar.high, bar.low, bar.open_time
            is_hi = is_lo = True
        for k in range(first, first + left):
            if not (is_hi or is_lo):
                return []
            h, q, _ = buf[k]
            if h >= ch:
                is_hi = False
            if q <= cl:
                is_lo = False
        if not (is_hi or is_lo):
            return []
        index = self._n - right
        out: list[Pivot] = []
        if is_hi:
            out.append(Pivot(index, ct, ch, "high"))
        if is_lo:
            out.append(Pivot(index, ct, cl, "low"))
        return out

    def update(self, bar: Bar) -> list[Pivot]:  # type: ignore[override]
        """Фіксує закритий бар; повертає півоти, підтверджені саме цим баром."""
        _check_hl(self.name, bar)
        new = self._confirm(bar)
        self._buf.append((bar.high, bar.low, bar.open_time))
        self._n += 1
        if new:
            self.pivots.extend(new)
            if len(self.pivots) > self.max_pivots:
                del self.pivots[: len(self.pivots) - self.max_pivots]
        return new

    def peek(self, bar: Bar) -> list[Pivot]:  # type: ignore[override]
        """Півоти, які підтвердив би `bar`; стан не змінюється."""
        _check_hl(self.name, bar)
        return self._confirm(bar)

    @property
    def highs(self) -> list[Pivot]:
        """Збережені підтверджені максимуми (від старих до нових)."""
        return [p for p in self.pivots if p.kind == "high"]

    @property
    def lows(self) -> list[Pivot]:
        """Збережені підтверджені мінімуми (від старих до нових)."""
        return [p for p in self.pivots if p.kind == "low"]

    @property
    def value(self) -> float:
        """Ціна останнього підтвердженого півота (NaN, якщо немає)."""
        return self.pivots[-1].price if self.pivots else nan

    @property
    def ready(self) -> bool:
        return self._n >= self.left + self.right + 1


# Сума left + right, до якої зсунуті порівняння дешевші за ковзні максимуми/мінімуми: кожне
# порівняння — один прохід по ряду, а ковзне вікно має сталу ціну блоків незалежно від ширини.
SHIFTED_PIVOTS_MAX_SPAN = 24


def _pivots_shifted(h: FloatArray, lo: FloatArray, left: int, right: int) -> tuple[IntArray, IntArray]:
    """Півоти порівняннями зі зсунутими рядами (по одному на сусіда): для малих left/right."""
    n = h.shape[0]
    stop = n - right
    ch = h[left:stop]
    cl = lo[left:stop]
    is_hi = ch > h[left - 1 : stop - 1]
    is_lo = cl < lo[left - 1 : stop - 1]
    for j in range(2, left + 1):
        is_hi &= ch > h[left - j : stop - j]
        is_lo &= cl < lo[left - j : stop - j]
    for j in range(1, right + 1):
        is_hi &= ch >= h[left + j : stop + j]
        is_lo &= cl <= lo[left + j : stop + j]
    return np.flatnonzero(is_hi) + left, np.flatnonzero(is_lo) + left


def _pivots_rolling(h: FloatArray, lo: FloatArray, left: int, right: int) -> tuple[IntArray, IntArray]:
    """Півоти через ковзні максимуми/мінімуми лівого й правого вікон: для широких left/right."""
    n = h.shape[0]
    stop = n - right
    ch = h[left:stop]
    cl = lo[left:stop]
    left_hi = rolling_high(h, left)[left - 1 : stop - 1]
    left_lo = rolling_low(lo, left)[left - 1 : stop - 1]
    if right > 0:
        right_hi = rolling_high(h, right)[left + right : n]
        right_lo = rolling_low(lo, right)[left + right : n]
        is_hi = (ch > left_hi) & (ch >= right_hi)
        is_lo = (cl < left_lo) & (cl <= right_lo)
    else:
        is_hi = ch > left_hi
        is_lo = cl < left_lo
    return np.flatnonzero(is_hi) + left, np.flatnonzero(is_lo) + left


def swing_pivots(
    high: npt.ArrayLike, low: npt.ArrayLike, left: int = 3, right: int = 3, *, check: bool = True
) -> tuple[IntArray, IntArray]:
    """Індекси підтверджених півотів (максимуми, мінімуми) 1-D ряду; правило — як у `SwingPivots`.

    Обидва способи (зсунуті порівняння і ковзні екстремуми) — лише точні порівняння тих самих
    чисел, тож дають однакові індекси; вибір — за ціною для ширини вікна.
    `check=False` — для вже перевірених 1-D float64 рядів однакової довжини (наприклад, барів
    зі сховища): без перевірок входу, які на коротких рядах коштують більше за сам пошук."""
    if check:
        left = check_period("swing_pivots", "left", left)
        right = check_period("swing_pivots", "right", right, minimum=0)
        h = check_array("swing_pivots", "high", high)
        lo = check_array("swing_pivots", "low", low)
        check_same_shape("swing_pivots", high=h, low=lo)
        if h.ndim != 1:
            raise ValueError("swing_pivots: high/low must be 1-D")
    else:
        h = np.asarray(high, dtype=np.float64)
        lo = np.asarray(low, dtype=np.float64)
    if h.shape[0] < left + right + 1:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    find = _pivots_shifted if left + right <= SHIFTED_PIVOTS_MAX_SPAN else _pivots_rolling
    hi_idx, lo_idx = find(h, lo, left, right)
    return hi_idx.astype(np.int64, copy=False), lo_idx.astype(np.int64, copy=False)


__all__ = [
    "Donchian",
    "Pivot",
    "SwingPivots",
    "rolling_high",
    "rolling_low",
    "shift1",
    "swing_pivots",
]
