"""Величини вікна Stage2, пораховані наперед на весь ряд символу (пакетний бектест; чиста логіка).

Живий процес дає Stage2 вікно барів, і ядро рахує з нього все саме (`build_context`). Пакетний
бектест дає вікна одного незмінного ряду символу — і частину того, що ядро щоразу перераховувало
б з вікна, можна порахувати раз на весь ряд numpy і лише вибрати для вікна:
- мікропівоти (`level_manager.pivot_positions`): чи бар — півот, залежить лише від `order`
  сусідів з кожного боку, тож маска півотів ряду рахується раз; півоти вікна — півоти ряду,
  далі від країв вікна ніж `order` (ближче до краю вікно їх не перевіряє);
- ATR старшого ТФ (`volatility.htf_atr`): true range кошиків ряду рахується раз; у вікні
  використовуються лише `period` останніх завершених кошиків, і кожен з них — повний кошик ряду
  (неповний перший кошик вікна дає щонайбільше закриття, а воно — останній бар кошика в ряді).
  Середнє — та сама сума `np.add.reduce` тих самих `period` чисел у тому самому порядку.
Значення рівні тим, що ядро порахувало б з вікна (тест `tests/test_stage2_window_features.py`);
ряд з нескінченними high/low не готується (там ядро кидає виняток, і рахує саме).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from aione.data.bars import BarArrays, FloatArray, IntArray

NAN = float("nan")
_MINUTE_MS = 60_000


# ── Ряд символу ──
@dataclass(frozen=True, slots=True)
class _Buckets:
    """Кошики `minutes`-хвилинного ТФ ряду: перший бар кожного кошика і true range кошика."""

    first: IntArray  # номер першого бару кошика в ряді
    tr: FloatArray  # true range кошика (перший кошик ряду — NaN: попереднього закриття немає)


@dataclass(slots=True)
class SeriesFeatures:
    """Ряд символу (бари лише для читання) і пораховані з нього наперед маски й кошики.

    Маски півотів і кошики рахуються при першому запиті для свого `order` / `minutes` і далі
    живуть разом з рядом (параметри Stage2 прогону одні, тож це один запис)."""

    bars: BarArrays
    finite: bool  # усі high/low ряду скінченні
    _pivots: dict[int, tuple[IntArray, IntArray]] = field(default_factory=dict)
    _buckets: dict[int, _Buckets] = field(default_factory=dict)

    @classmethod
    def of(cls, bars: BarArrays) -> SeriesFeatures:
        """Підготовка ряду (самі маски й кошики — при першому запиті)."""
        return cls(bars, bool(np.isfinite(bars.high).all()) and bool(np.isfinite(bars.low).all()))

    def window(self, start: int, stop: int) -> WindowFeatures | None:
        """Величини вікна `bars[start:stop]` (те саме вікно має отримати ядро як `bars_1m`); None —
        у ряді є нескінченні high/low (ядро рахуватиме з вікна саме і кине там свій виняток)."""
        return WindowFeatures(self, start, stop) if self.finite else None

    def pivot_rows(self, order: int) -> tuple[IntArray, IntArray]:
        """Номери барів ряду, що є півотами максимумів і мінімумів для `order` (як `pivot_positions`)."""
        found = self._pivots.get(order)
        if found is None:
            found = (_pivot_rows(self.bars.high, order, lows=False), _pivot_rows(self.bars.low, order, lows=True))
            self._pivots[order] = found
        return found

    def buckets(self, minutes: int) -> _Buckets:
        """Кошики `minutes`-хвилинного ТФ ряду з їхнім true range."""
        found = self._buckets.get(minutes)
        if found is None:
            found = _bucket_ranges(self.bars, minutes)
            self._buckets[minutes] = found
        return found


def _pivot_rows(x: FloatArray, order: int, *, lows: bool) -> IntArray:
    """Маска `pivot_positions(x, order, lows=...)` над усім рядом, як номери барів."""
    n = len(x)
    if order < 1 or n < 2 * order + 1:
        return np.zeros(0, dtype=np.int64)
    mid = x[order : n - order]
    keep = np.ones(len(mid), dtype=np.bool_)
    for j in range(1, order + 1):
        left, right = x[order - j : n - order - j], x[order + j : n - order + j]
        if lows:
            keep &= (mid < left) & (mid <= right)
        else:
            keep &= (mid > left) & (mid >= right)
    return np.flatnonzero(keep) + order


def _bucket_ranges(bars: BarArrays, minutes: int) -> _Buckets:
    """True range кожного кошика ряду: max(high, попереднє закриття) − min(low, попереднє закриття)."""
    span = minutes * _MINUTE_MS
    bucket = bars.open_time // span
    first = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]]) if len(bucket) else np.zeros(0, np.int64)
    if first.size == 0:
        return _Buckets(first, np.zeros(0, dtype=np.float64))
    high = np.maximum.reduceat(bars.high, first)
    low = np.minimum.reduceat(bars.low, first)
    close = bars.close[np.r_[first[1:], len(bucket)] - 1]
    prev = np.r_[NAN, close[:-1]]
    tr = np.fmax(high, prev)
    tr -= np.fmin(low, prev)
    tr[0] = NAN
    return _Buckets(first.astype(np.int64), tr)


# ── Вікно ──
class WindowFeatures(NamedTuple):
    """Вікно `series.bars[start:stop]`: величини, які ядро інакше рахувало б з нього (кортеж:
    будується на кожне рішення)."""

    series: SeriesFeatures
    start: int
    stop: int

    def pivots(self, offset: int, rank: int, order: int) -> list[tuple[int, float, int]]:
        """`series_pivots` ряду `bars_1m[offset:]` вікна: `(rank, ціна, open_time)`, спершу
        максимуми, тоді мінімуми."""
        if order < 1:
            raise ValueError("pivot order must be >= 1")
        lo, hi = self.start + offset + order, self.stop - order
        if hi <= lo:
            return []
        bars = self.series.bars
        out: list[tuple[int, float, int]] = []
        for rows, values in zip(self.series.pivot_rows(order), (bars.high, bars.low), strict=True):
            pos = rows[rows.searchsorted(lo) : rows.searchsorted(hi)]
            if len(pos):
                out += [(rank, p, t) for p, t in zip(values[pos].tolist(), bars.open_time[pos].tolist(), strict=True)]
        return out

    def htf_atr(self, minutes: int, period: int) -> float:
        """`volatility.htf_atr(bars_1m, minutes, period)` цього вікна."""
        if self.stop <= self.start or minutes < 1 or period < 1:
            return NAN
        b = self.series.buckets(minutes)
        last_row = self.stop - 1
        g_last = int(b.first.searchsorted(last_row, side="right")) - 1
        span = minutes * _MINUTE_MS
        last_open = int(self.series.bars.open_time[last_row])
        if last_open + _MINUTE_MS < (last_open // span + 1) * span:  # останній кошик ще не завершений
            g_last -= 1
        g_first = int(b.first.searchsorted(self.start, side="right")) - 1
        if g_last - g_first < period:
            return NAN
        value = float(np.add.reduce(b.tr[g_last - period + 1 : g_last + 1])) / period
        return value if math.isfinite(value) and value > 0 else NAN


__all__ = ["SeriesFeatures", "WindowFeatures"]
