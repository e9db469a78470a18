"""Оборот за 24 год у USD для колонки UI: сума quote volume закритих 1m барів за останню добу.

Вікно — закриті бари з `open_time` у (останній − 24 год, останній] серед останніх `BARS_PER_DAY`
барів сховища. Сума ведеться наростаючим підсумком: на новому закритому барі додаються нові бари й
віднімаються ті, що вийшли з вікна, — а не 1 440 доданків щоразу. Бари, що виходять з вікна, сховище
(1 440 барів 1m) на той момент уже витіснило, тож трекер тримає власну копію quote volume вікна
(кільце float64 на `BARS_PER_DAY`, ~11,5 КБ на символ). Підсумок точний: кожен скінченний
float — ціле кратне 2^-1074 (найменшого субнормального), тож підсумок ведеться цілим числом цих
одиниць (Python int без переповнення), додавання й віднімання без округлень. Значення — ділення
цього цілого на 2^1074 (ділення int/int у Python округлене коректно), тобто те саме число, що
`math.fsum` вікна (`turnover_24h`), без накопичення похибки за дні роботи.
Зсув можливий, лише коли вікно без дірок (бар на кожну хвилину: тоді вставити всередину нічого не
можна — сховище не приймає вже наявний час) і сховище ще тримає останній бар попереднього виклику;
інакше (дірка в барах, дозаповнення, час назад) сума рахується заново з вікна сховища.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from aione.config.config import TIMEFRAME_MS
from aione.data.bars import BarArrays

DAY_MS = TIMEFRAME_MS["1d"]
_MINUTE_MS = TIMEFRAME_MS["1m"]
BARS_PER_DAY = DAY_MS // _MINUTE_MS


class BarsReader(Protocol):
    """Те, що потрібно від сховища (`UnifiedDataStore` / `RamStore`)."""

    def get_bars(
        self, symbol: str, timeframe: str, n: int | None = None, *, include_open: bool = False
    ) -> BarArrays: ...

    def last_closed_time(self, symbol: str, timeframe: str) -> int | None: ...


# ── Чисте обчислення ──
def _window_start(open_time: np.ndarray) -> int:
    """Індекс першого бару вікна (open_time > останній − 24 год)."""
    return int(np.searchsorted(open_time, int(open_time[-1]) - DAY_MS, side="right"))


def turnover_24h(open_time: np.ndarray, quote_volume: np.ndarray) -> float | None:
    """Сума quote volume барів з open_time у (останній − 24 год, останній] (точно округлена,
    `math.fsum`); барів немає — None."""
    if open_time.shape[0] == 0:
        return None
    return math.fsum(quote_volume[_window_start(open_time) :].tolist())


_UNIT_BITS = 1074  # 2^-1074 — найменший додатний float: кожен скінченний float — ціле кратне
_UNIT = 1 << _UNIT_BITS


def _units(value: float) -> int:
    """float як ціле число одиниць 2^-1074 (точно)."""
    num, den = value.as_integer_ratio()  # den — степінь двійки, не більша за 2^1074
    return num * (_UNIT // den)


def _exact(values: np.ndarray) -> int:
    """Точна сума float-ів у цілих одиницях 2^-1074."""
    return sum(_units(v) for v in values.tolist())


@dataclass(slots=True)
class _Window:
    """Вікно символу без дірок: quote volume барів first, first + 1 хв, … у кільці, точна сума."""

    ring: np.ndarray  # float64[BARS_PER_DAY]; бар i вікна — ring[(head + i) % BARS_PER_DAY]
    head: int
    count: int
    first: int  # open_time першого бару вікна
    total: int  # точна сума в одиницях 2^-1074

    @property
    def last(self) -> int:
        return self.first + (self.count - 1) * _MINUTE_MS


# ── Наростаючий підсумок над сховищем ──
class Turnover24h:
    """`tracker(symbol)` → оборот за 24 год; на новому закритому 1m барі підсумок зсувається
    (нові бари додаються, старі віднімаються), між барами — значення з кешу."""

    def __init__(self, store: BarsReader) -> None:
        self.store = store
        self._windows: dict[str, _Window] = {}
        self._values: dict[str, tuple[int, float | None]] = {}  # символ → (останній бар, значення)
        self.recomputed = 0  # перерахунків усього вікна (перший виклик, дірки, дозаповнення)

    def __call__(self, symbol: str) -> float | None:
        last = self.store.last_closed_time(symbol, "1m")
        if last is None:
            self._windows.pop(symbol, None)
            self._values.pop(symbol, None)
            return None
        cached = self._values.get(symbol)
        if cached is not None and cached[0] == last:
            return cached[1]
        window = self._windows.get(symbol)
        value = self._shift(symbol, window, last) if window is not None else None
        if value is None:
            value = self._recompute(symbol)
        self._values[symbol] = (last, value)
        return value

    def _shift(self, symbol: str, w: _Window, last: int) -> float | None:
        """Зсув вікна без дірок на нові бари; None — зсуву не досить (рахувати заново)."""
        steps = (last - w.last) // _MINUTE_MS
        if steps <= 0 or steps >= BARS_PER_DAY or last != w.last + steps * _MINUTE_MS:
            return None
        bars = self.store.get_bars(symbol, "1m", steps + 1)
        t = bars.open_time
        if t.shape[0] != steps + 1 or int(t[0]) != w.last or int(t[-1]) != last:
            return None  # дірка серед нових барів або сховище вже не тримає попередній останній бар
        cap = BARS_PER_DAY
        ring = w.ring
        for v in bars.quote_volume[1:].tolist():
            if w.count == cap:  # вікно доби без дірок — рівно BARS_PER_DAY барів: найстаріший виходить
                w.total -= _units(float(ring[w.head]))
                w.head = (w.head + 1) % cap
                w.count -= 1
                w.first += _MINUTE_MS
            ring[(w.head + w.count) % cap] = v
            w.count += 1
            w.total += _units(v)
        return w.total / _UNIT

    def _recompute(self, symbol: str) -> float | None:
        """Вікно заново зі сховища; кільце зберігається, лише якщо вікно без дірок."""
        self.recomputed += 1
        bars = self.store.get_bars(symbol, "1m", BARS_PER_DAY)
        t, qv = bars.open_time, bars.quote_volume
        if t.shape[0] == 0:
            self._windows.pop(symbol, None)
            return None
        start = _window_start(t)
        values = qv[start:]
        total = _exact(values)
        count = int(values.shape[0])
        first = int(t[start])
        if int(t[-1]) - first == (count - 1) * _MINUTE_MS:
            ring = np.zeros(BARS_PER_DAY, dtype=np.float64)
            ring[:count] = values
            self._windows[symbol] = _Window(ring, 0, count, first, total)
        else:
            self._windows.pop(symbol, None)  # дірка у вікні: наступного разу знову з вікна сховища
        return total / _UNIT


__all__ = ["BARS_PER_DAY", "DAY_MS", "BarsReader", "Turnover24h", "turnover_24h"]
