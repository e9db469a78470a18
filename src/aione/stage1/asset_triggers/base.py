"""Спільні типи тригерів Stage1: вхід, результат, протокол тригера та його опис для реєстру.

Тригер — маленький клас без введення-виведення. Монітор будує для кожного оновлення
`TriggerInput` (бар, знімок індикаторів, спільний контекст символу) і викликає
`evaluate(inp, th)`, де `th` — пороги, вже враховані з перевизначеннями символу та станом
ринку. На відкритому барі (`inp.closed=False`) тригер НІЧОГО не змінює у своєму стані;
на закритому — може оновити стан (наприклад, підтвердити півот). Тому бектест над
закритими барами і live дають ті самі рішення.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aione.config.config import DERIV_SIGNAL_PARAMS, TRIGGER_NAME_MAP
from aione.data.bars import Bar
from aione.indicators import IndicatorSnapshot
from aione.signals.deriv_context import DerivContext

# ── Напрями ──
UP = "up"
DOWN = "down"


# ── Результат ──
@dataclass(frozen=True, slots=True)
class TriggerResult:
    """Спрацювання: сира назва, нормалізована (`TRIGGER_NAME_MAP`), напрям і числа, що його дали."""

    name_raw: str
    name: str
    direction: str | None
    values: dict[str, float]


def fired(name_raw: str, direction: str | None, values: dict[str, float]) -> TriggerResult:
    """`TriggerResult` з нормалізованою назвою."""
    return TriggerResult(name_raw, TRIGGER_NAME_MAP.get(name_raw, name_raw), direction, values)


def bar_direction(bar: Bar) -> str | None:
    """Напрям бару: close > open → up, close < open → down, інакше None."""
    if bar.close > bar.open:
        return UP
    if bar.close < bar.open:
        return DOWN
    return None


def finite(x: float | None) -> bool:
    """Скінченне число (не None, не NaN, не ±inf)."""
    return x is not None and math.isfinite(x)


def deriv_param(params: Mapping[str, Any], key: str) -> float:
    """Параметр тригера деривативів: з параметрів монітора символу, інакше `DERIV_SIGNAL_PARAMS`."""
    return float(params.get(key, DERIV_SIGNAL_PARAMS[key]))


# ── Вхід ──
@dataclass(slots=True)
class TriggerInput:
    """Усе, що тригер знає про поточне оновлення символу.

    Відсотки тут — ЧАСТКИ: `atr_frac` = ATR / close, `tr_frac` = true range / close,
    `tr_median` — медіана `tr_frac` за попередні `volatility_window` закритих барів
    (NaN, поки вікно не заповнене). `index` — порядковий номер бару з початку суцільної
    історії символу (для відкритого бару — номер, який він отримає після закриття).
    `deriv` — знімок деривативів на кінець бару (`DerivContext`), лише коли монітор має джерело
    рядів і бар закритий; None — деривативів немає, тригери деривативів тоді не спрацьовують."""

    symbol: str
    bar: Bar
    snap: IndicatorSnapshot
    closed: bool
    index: int
    prev_close: float
    atr_frac: float
    tr_frac: float
    tr_median: float
    daily_support: float | None
    daily_resistance: float | None
    deriv: DerivContext | None = None


# ── Протокол тригера і опис для реєстру ──
class Trigger(Protocol):
    """Тригер: `evaluate` повертає спрацювання (порожня послідовність — нічого; викликач її не
    змінює, тож можна повертати спільний `()`); на закритому барі може оновити свій стан."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]: ...

    def reset(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """Опис тригера для реєстру: тег перемикача, сирі назви, які він може видати, і фабрика.

    `factory(params)` отримує ефективні параметри монітора символу і повертає новий екземпляр
    (стан тригера — окремий для кожного символу)."""

    tag: str
    raw_names: tuple[str, ...]
    factory: Callable[[Mapping[str, Any]], Trigger]


__all__ = [
    "DOWN",
    "UP",
    "Trigger",
    "TriggerInput",
    "TriggerResult",
    "TriggerSpec",
    "bar_direction",
    "deriv_param",
    "finite",
    "fired",
]
