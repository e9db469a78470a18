"""Помилки вхідних даних індикаторів і перевірки скінченності.

Правило: NaN/inf на вході не «псують» стан, а відкидаються з помилкою
`IndicatorInputError` (підклас `ValueError`), що називає індикатор і поле.
Перевірка робиться ДО будь-якої зміни стану.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

# ── Помилка ──


class IndicatorInputError(ValueError):
    """Нескінченне (NaN/inf) або некоректне значення на вході індикатора."""

    def __init__(
        self, indicator: str, field: str, value: float, index: Any = None, reason: str = "non-finite"
    ) -> None:
        self.indicator = indicator
        self.field = field
        self.value = value
        self.index = index
        where = f" at index {index}" if index is not None else ""
        super().__init__(f"{indicator}: {reason} input {field}={value!r}{where}")


# ── Перевірки ──


def check_values(indicator: str, **fields: float) -> None:
    """Повільний шлях: знаходить перше нескінченне поле і кидає помилку."""
    for name, value in fields.items():
        if not math.isfinite(value):
            raise IndicatorInputError(indicator, name, value)


def check_array(indicator: str, field: str, x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Приводить масив до float64 (1-D або 2-D: символи × бари) і перевіряє скінченність.

    Швидкий шлях — одна сума: NaN/inf у будь-якому елементі робить суму нескінченною.
    Лише тоді шукається перший поганий елемент (для повідомлення)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{indicator}: {field} must be 1-D or 2-D (symbols × bars), got ndim={arr.ndim}")
    if arr.size and not math.isfinite(float(np.add.reduce(arr, axis=None))):
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:  # інакше це переповнення суми скінченних чисел, а не поганий вхід
            idx = tuple(int(i) for i in bad[0])
            raise IndicatorInputError(indicator, field, float(arr[idx]), idx[0] if len(idx) == 1 else idx)
    return arr


def check_same_shape(indicator: str, **arrays: npt.NDArray[np.float64]) -> None:
    """Усі масиви мають однакову форму."""
    shapes = {name: a.shape for name, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"{indicator}: input shapes differ: {shapes}")


def check_period(indicator: str, name: str, value: int, minimum: int = 1) -> int:
    """Період/вікно — ціле число ≥ minimum."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{indicator}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


__all__ = [
    "IndicatorInputError",
    "check_array",
    "check_period",
    "check_same_shape",
    "check_values",
]
