"""Спільні типи тригерів Stage1: вхід, результат, протокол тригера та його опис для реєстру.

Кожен тригер має дві форми в одному модулі, під одним контрактом (ті самі входи — ті самі алерти):
- інкрементна: маленький клас без введення-виведення. Монітор будує для кожного оновлення
  `TriggerInput` (бар, знімок індикаторів, спільний контекст символу) і викликає
  `evaluate(inp, th)`, де `th` — пороги, вже враховані з перевизначеннями символу та станом
  ринку. На відкритому барі (`inp.closed=False`) тригер НІЧОГО не змінює у своєму стані;
  на закритому — може оновити стан (наприклад, підтвердити півот). Тому бектест над
  закритими барами і live дають ті самі рішення;
- пакетна: `batch(inp: BatchInput) -> BatchFires` над усіма закритими барами символу одразу —
  маски спрацювань кожної нормалізованої назви з напрямом і `details` — спрацювання (сира назва,
  напрям, числа) на окремому барі, тими самими виразами, що й `evaluate`. Спільний драйвер
  (`stage1.batch_monitor`) рахує з масок причини, ворота алертів, і кличе `details` лише на барах
  нових алертів.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from aione.config.config import DERIV_SIGNAL_PARAMS, TRIGGER_NAME_MAP
from aione.data.bars import Bar, BarArrays
from aione.indicators import IndicatorSnapshot
from aione.signals.deriv_context import DerivColumns, DerivContext
from aione.stage1.batch_series import Stage1Series

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


# ── Пакетна форма ──
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DirArray = npt.NDArray[np.int8]
# Напрям у масивах: +1 — up, −1 — down, 0 — без напряму.
UP_CODE = 1
DOWN_CODE = -1
# Спрацювання як кортеж полів `TriggerResult`: (сира назва, нормалізована, напрям, числа) —
# без побудови замороженого dataclass на кожне спрацювання.
Fired = tuple[str, str, str | None, dict[str, float]]
# Маска спрацювань назви на всіх барах і напрям: код для всіх барів або масив кодів.
Mask = tuple[BoolArray, int | DirArray]
# Рядки барів нових алертів: `col[назва][k]` — значення ряду `назва` (поле `Stage1Series`, `bar_<поле>`
# бару, `taker`, `open_time`, `ref_close`) на k-му з цих барів; його глобальний індекс — `i`.
Rows = Mapping[str, list[Any]]
Details = Callable[[int, int, Rows, Mapping[str, Any]], list[Fired]]


def fired_tuple(name_raw: str, direction: str | None, values: dict[str, float]) -> Fired:
    """Як `fired`, але кортеж: назва нормалізується тією ж `TRIGGER_NAME_MAP`."""
    return (name_raw, TRIGGER_NAME_MAP.get(name_raw, name_raw), direction, values)


def scalar_direction(open_: float, close: float) -> str | None:
    """Напрям бару зі скалярів, як `bar_direction`."""
    if close > open_:
        return UP
    if close < open_:
        return DOWN
    return None


def bar_dir_codes(bars: BarArrays) -> DirArray:
    """Напрям кожного бару кодом: close > open → +1, close < open → −1, інакше 0."""
    return (np.sign(bars.close - bars.open)).astype(np.int8)


def th_arrays(ths: Sequence[Mapping[str, Any]], state: npt.NDArray[np.int8], key: str) -> FloatArray:
    """Поріг `key` на кожному барі за кодом стану (`ths[code]` — пороги стану)."""
    table = np.array([float(th[key]) for th in ths], dtype=np.float64)
    return table[state]


@dataclass(slots=True)
class BatchInput:
    """Усе, що пакетна форма знає про ряд закритих барів символу.

    `s` — числа монітора на кожному барі (`batch_series.stage1_series`), `ths[code]` — пороги
    стану ринку з кодом `code` (`batch_series.STATE_CODES`), `p` — ефективні параметри символу,
    `deriv` — поля знімка деривативів на кожному барі (None — джерела рядів немає, тригери
    деривативів мовчать)."""

    bars: BarArrays
    s: Stage1Series
    ths: Sequence[Mapping[str, Any]]
    p: Mapping[str, Any]
    deriv: DerivColumns | None = None
    _th: dict[str, FloatArray] = field(default_factory=dict)

    def th(self, key: str, default: float | None = None) -> FloatArray:
        """Поріг `key` на кожному барі (за станом ринку бару); `default` — для станів без ключа."""
        arr = self._th.get(key)
        if arr is None:
            ths: Sequence[Mapping[str, Any]] = self.ths
            if default is not None and any(key not in t for t in ths):
                ths = [{key: t.get(key, default)} for t in ths]
            arr = self._th[key] = th_arrays(ths, self.s.state, key)
        return arr


def _no_details(i: int, k: int, col: Rows, th: Mapping[str, Any]) -> list[Fired]:
    return []


@dataclass(frozen=True, slots=True)
class BatchFires:
    """Пакетний результат тригера: маски (нормалізована назва → (маска, напрям)) і спрацювання
    на окремому барі `details(i, k, col, th)` (див. `Rows`; `th` — пороги стану цього бару)."""

    masks: Mapping[str, Mask]
    details: Details = _no_details


def deriv_batch(
    inp: BatchInput,
    masks: Callable[[DerivColumns], Mapping[str, Mask]],
    details: Callable[[int, DerivColumns], Sequence[tuple[str, str | None, dict[str, float]]]],
) -> BatchFires:
    """Пакетна форма тригера деривативів: без полів знімка (джерела рядів немає) масок немає, як і
    в монітора без джерела; інакше — маски `masks(d)` і спрацювання на барі `details(i, d)`."""
    d = inp.deriv
    if d is None:
        return BatchFires({})

    def one(i: int, k: int, col: Rows, th: Mapping[str, Any]) -> list[Fired]:
        return [fired_tuple(*h) for h in details(i, d)]

    return BatchFires(masks(d), one)


# ── Протокол тригера і опис для реєстру ──
class Trigger(Protocol):
    """Тригер: `evaluate` повертає спрацювання (порожня послідовність — нічого; викликач її не
    змінює, тож можна повертати спільний `()`); на закритому барі може оновити свій стан."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]: ...

    def reset(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """Опис тригера для реєстру: тег перемикача, сирі назви, які він може видати, і обидві форми.

    `factory(params)` отримує ефективні параметри монітора символу і повертає новий екземпляр
    інкрементної форми (стан тригера — окремий для кожного символу); `batch(inp)` — пакетна форма.
    Реєстр відмовляє тригеру без будь-якої з них (`TriggerRegistryError`)."""

    tag: str
    raw_names: tuple[str, ...]
    factory: Callable[[Mapping[str, Any]], Trigger] | None = None
    batch: Callable[[BatchInput], BatchFires] | None = None

    def incremental(self, params: Mapping[str, Any]) -> Trigger:
        """Новий екземпляр інкрементної форми."""
        if self.factory is None:  # реєстр такого не пропускає; тут — для опису поза реєстром
            raise TypeError(f"trigger {self.tag!r} has no incremental form")
        return self.factory(params)

    def run_batch(self, inp: BatchInput) -> BatchFires:
        """Пакетна форма над усіма барами `inp`."""
        if self.batch is None:
            raise TypeError(f"trigger {self.tag!r} has no batch form")
        return self.batch(inp)


__all__ = [
    "DOWN",
    "DOWN_CODE",
    "UP",
    "UP_CODE",
    "BatchFires",
    "BatchInput",
    "BoolArray",
    "DirArray",
    "Fired",
    "FloatArray",
    "Mask",
    "Rows",
    "Trigger",
    "TriggerInput",
    "TriggerResult",
    "TriggerSpec",
    "bar_dir_codes",
    "bar_direction",
    "deriv_batch",
    "deriv_param",
    "finite",
    "fired",
    "fired_tuple",
    "scalar_direction",
    "th_arrays",
]
