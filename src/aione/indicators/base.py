"""Спільна основа інкрементних індикаторів.

Контракт (його використовують Stage1/Stage2): `update(bar)` фіксує ЗАКРИТИЙ бар і
повертає нове значення; `peek(bar)` — значення, якби `bar` був наступним, стан не
змінюється (live kline оновлює відкритий бар кожні ~250 мс); `value` — NaN, поки
не `ready`; `reset()`; `copy()` — незалежна копія (стан малий).
"""

from __future__ import annotations

import copy as _copy
from abc import ABC, abstractmethod
from typing import Self

from aione.data.bars import Bar

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


__all__ = ["VAR_REL_EPS", "Indicator"]
