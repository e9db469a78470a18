"""Спільна основа інкрементних індикаторів.

Контракт (його використовують Stage1/Stage2): `update(bar)` фіксує ЗАКРИТИЙ бар і
повертає нове значення; `peek(bar)` — значення, якби `bar` був наступним, стан не
змінюється (live kline оновлює відкритий бар кожні ~250 мс); `value` — NaN, поки
не `ready`; `reset()`; `copy()` — незалежна копія (стан малий).
"""

from __future__ import annotations

import copy as _copy
from abc import ABC, abstractmethod
from math import isfinite
from typing import Self

from aione.data.bars import Bar
from aione.indicators.errors import IndicatorInputError

# ── Числові пороги ──
# Дисперсія, меншу за цю частку середнього квадрата зсунутих відхилень, вважаємо нулем:
# нижче неї лише шум округлення (≈ 1e-16 відносно), і обидві форми приймають те саме рішення.
VAR_REL_EPS = 1e-12

# ── Базовий клас ──


class Indicator(ABC):
    """Інкрементний індикатор з O(1) `update` (амортизовано) і чистим `peek`."""

    __slots__ = ()
    name: str = "Indicator"

    @abstractmethod
    def update(self, bar: Bar) -> float:
        """Фіксує закритий бар; повертає нове значення (NaN під час прогріву)."""

    @abstractmethod
    def peek(self, bar: Bar) -> float:
        """Значення, якби `bar` був наступним; стан не змінюється."""

    @property
    @abstractmethod
    def value(self) -> float:
        """Поточне значення (NaN, поки не готовий)."""

    @property
    @abstractmethod
    def ready(self) -> bool:
        """Чи пройдено прогрів."""

    @abstractmethod
    def reset(self) -> None:
        """Повертає початковий стан."""

    def copy(self) -> Self:
        """Незалежна копія стану."""
        return _copy.deepcopy(self)


class SeriesIndicator(Indicator):
    """Індикатор одного ряду: для барів — `close`, для будь-якого ряду — `update_value`/`peek_value`.

    Підклас дає лише `_commit(x)` (фіксує значення, повертає нове) і `_preview(x)` (значення,
    якби `x` було наступним); перевірка входу і чотири публічні методи — тут, в одному місці."""

    __slots__ = ()

    @abstractmethod
    def _commit(self, x: float) -> float:
        """Фіксує скінченне значення ряду."""

    @abstractmethod
    def _preview(self, x: float) -> float:
        """Значення з `x` наступним; стан не змінюється."""

    def _checked(self, x: float, field: str) -> float:
        if not isfinite(x):
            raise IndicatorInputError(self.name, field, x)
        return x

    def update_value(self, x: float) -> float:
        """Фіксує значення ряду (не обов'язково close)."""
        return self._commit(self._checked(x, "value"))

    def peek_value(self, x: float) -> float:
        """Значення, якби `x` було наступним."""
        return self._preview(self._checked(x, "value"))

    def update(self, bar: Bar) -> float:
        """Фіксує закритий бар (close)."""
        return self._commit(self._checked(bar.close, "close"))

    def peek(self, bar: Bar) -> float:
        """Значення з `bar` наступним, без зміни стану."""
        return self._preview(self._checked(bar.close, "close"))


__all__ = ["VAR_REL_EPS", "Indicator", "SeriesIndicator"]
