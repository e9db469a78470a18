"""Ціни на сітці тіку цілими тіками: `round(k * tick, dec)` без десяткового округлення.

Тік — десятковий дріб: tick = m / 10^dec (m — ціле, dec = `tick_decimals(tick)`). Ціна k-го
вузла сітки — десяткове число k·m / 10^dec, і `round(k * tick, dec)` повертає найближчий до
нього double: добуток k * tick відхиляється від k·m·10^-dec на кілька ulp, що при
|k·m| < 2^50 значно менше за півкроку 10^-dec, тож десяткове округлення дає саме k·m. Ділення
цілих `k * m / 10**dec` у Python округлене коректно — той самий найближчий double, лише без
перетворення числа в рядок і назад (найдорожча дрібниця рішення Stage2).
Тік, що не є таким дробом (або більше 12 знаків), і великі |k·m| — звичайний `round`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from aione.utils.utils import tick_decimals

_EXACT_LIMIT = 2**50  # |k·m| менше — похибка добутку k * tick далеко від півкроку сітки


# ── Сітка ──
@dataclass(frozen=True, slots=True)
class TickGrid:
    """Сітка тіку: `tick`, його знаки `dec`, і tick = `units` / `scale` (units = 0 — не дріб)."""

    tick: float
    dec: int
    units: int
    scale: int

    @classmethod
    def of(cls, tick: float) -> TickGrid:
        """Сітка для тіку (> 0 і скінченний; інакше вузли рахує звичайний `round`).

        Тіків у системі небагато, а сітка — незмінне значення тіку, тож вона кешується за ним
        (як `tick_decimals`): рішення Stage2 не будує її щоразу."""
        return _grid(tick)

    def node(self, k: int) -> float:
        """Ціна k-го вузла: те саме, що `round(k * tick, dec)`."""
        km = k * self.units
        if self.units and -_EXACT_LIMIT < km < _EXACT_LIMIT:
            return km / self.scale
        return round(k * self.tick, self.dec)

    def snap(self, x: float) -> float:
        """Найближчий вузол до `x`: те саме, що `round_to_tick(x, tick)` (скінченне x).

        Тіло `node` тут повторено: `snap` кличуть на кожен рівень кожного рішення."""
        k = round(x / self.tick)
        km = k * self.units
        if self.units and -_EXACT_LIMIT < km < _EXACT_LIMIT:
            return km / self.scale
        return round(k * self.tick, self.dec)


@lru_cache(maxsize=256)
def _grid(tick: float) -> TickGrid:
    dec = tick_decimals(tick)
    scale = 10**dec
    units = round(tick * scale) if 0 < tick < math.inf else 0
    if units <= 0 or units / scale != tick:
        units = 0
    return TickGrid(tick, dec, units, scale)


__all__ = ["TickGrid"]
