"""Агрегація закритих 1m барів у денні (UTC) — для макрорівнів живцем і в бектесті.

Чиста логіка: на вхід закритий 1m бар, на вихід події денного бару (оновлення відкритого
дня і, на межі доби, закриття попереднього). Час — лише з барів.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from aione.config.config import TIMEFRAME_MS
from aione.data.bars import TRADES_UNKNOWN, Bar, BarArrays

DAY_MS = TIMEFRAME_MS["1d"]


def _add_trades(a: int, b: int) -> int:
    """Сума кількостей угод; якщо хоч одна невідома — невідома й сума."""
    return TRADES_UNKNOWN if a < 0 or b < 0 else a + b


@dataclass(slots=True)
class _OpenDay:
    open_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float
    trades: int
    taker_buy_volume: float
    taker_buy_quote: float

    def as_bar(self, closed: bool) -> Bar:
        return Bar(
            self.open_time,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
            self.quote_volume,
            self.trades,
            self.taker_buy_volume,
            closed,
            self.taker_buy_quote,
        )


@dataclass(slots=True)
class DailyAggregator:
    """Збирає денні бари символу з потоку закритих 1m барів.

    `add(bar)` повертає список денних барів для сховища: закритий попередній день (якщо бар
    відкрив нову добу) і поточний відкритий день (`closed=False`)."""

    _day: _OpenDay | None = field(default=None)

    def seed(self, day_bar: Bar) -> None:
        """Продовжує вже частково відомий день (наприклад, відкритий денний бар з REST)."""
        self._day = _OpenDay(
            day_bar.open_time,
            day_bar.open,
            day_bar.high,
            day_bar.low,
            day_bar.close,
            day_bar.volume,
            day_bar.quote_volume,
            day_bar.trades,
            day_bar.taker_buy_volume,
            day_bar.taker_buy_quote,
        )

    def push(self, bar: Bar) -> Bar | None:
        """Додає закритий 1m бар; повертає закритий попередній день, якщо бар відкрив нову добу.

        Відкритий день не будується як `Bar` на кожному барі: його дає `open_bar()` на запит.
        Бар зі старішої доби, ніж відкрита, пропускається (сховище його теж відкине)."""
        open_time = bar.open_time
        day_open = open_time - open_time % DAY_MS
        day = self._day
        if day is not None:
            if day_open == day.open_time:
                if bar.high > day.high:
                    day.high = bar.high
                if bar.low < day.low:
                    day.low = bar.low
                day.close = bar.close
                day.volume += bar.volume
                day.quote_volume += bar.quote_volume
                day.trades = _add_trades(day.trades, bar.trades)
                day.taker_buy_volume += bar.taker_buy_volume  # NaN (невідомо) лишається NaN до кінця доби
                day.taker_buy_quote += bar.taker_buy_quote
                return None
            if day_open < day.open_time:
                return None
        self._day = _OpenDay(
            day_open,
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.volume,
            bar.quote_volume,
            bar.trades,
            bar.taker_buy_volume,
            bar.taker_buy_quote,
        )
        return None if day is None else day.as_bar(closed=True)

    def open_bar(self) -> Bar | None:
        """Поточний відкритий день (`closed=False`) або None, якщо барів ще не було."""
        day = self._day
        return None if day is None else day.as_bar(closed=False)

    def add(self, bar: Bar) -> list[Bar]:
        """Додає закритий 1m бар; повертає закритий попередній день (якщо є) і відкритий день.

        Бар зі старішої доби не змінює нічого і дає порожній список."""
        day = self._day
        if day is not None and bar.open_time - bar.open_time % DAY_MS < day.open_time:
            return []
        closed = self.push(bar)
        current = self.open_bar()
        out = [] if closed is None else [closed]
        if current is not None:
            out.append(current)
        return out


def day_starts(open_time: np.ndarray) -> np.ndarray:
    """Індекси перших барів кожної доби UTC у відсортованому `open_time`."""
    if not open_time.shape[0]:
        return np.zeros(0, dtype=np.int64)
    days = open_time // DAY_MS
    return np.flatnonzero(np.r_[True, days[1:] != days[:-1]])


def _segment_accumulate(col: np.ndarray, starts: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """`ufunc.accumulate` окремо в кожній добі: послідовно, елемент за елементом (як `+=` агрегатора;
    `np.add.reduceat` підсумовує інакше і розходиться в останньому біті)."""
    out = np.empty_like(col)
    bounds = [*starts.tolist(), col.shape[0]]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        out[a:b] = ufunc.accumulate(col[a:b])
    return out


def _accumulate_trades(trades: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Накопичена з початку доби кількість угод; від першої невідомої (−1) до кінця доби — невідома."""
    out = _segment_accumulate(trades, starts, np.add)
    unknown = trades < 0
    if unknown.any():
        seen = _segment_accumulate(unknown.astype(np.int64), starts, np.maximum) > 0
        out[seen] = TRADES_UNKNOWN
    return out


def accumulate_daily(bars: BarArrays) -> BarArrays:
    """Для кожного 1m бару — відкритий день до нього включно: high — максимум, low — мінімум,
    обсяги й угоди — суми з початку доби (open і close — колонки самих барів; відкриття дня — це
    open першого бару доби). Ті самі біти, що дає `DailyAggregator` на тому ж барі."""
    starts = day_starts(bars.open_time)
    add = np.add
    return BarArrays(
        bars.open_time,
        bars.open,
        _segment_accumulate(bars.high, starts, np.maximum),
        _segment_accumulate(bars.low, starts, np.minimum),
        bars.close,
        _segment_accumulate(bars.volume, starts, add),
        _segment_accumulate(bars.quote_volume, starts, add),
        _accumulate_trades(bars.trades, starts),
        _segment_accumulate(bars.taker_buy_volume, starts, add),
        _segment_accumulate(bars.taker_buy_quote, starts, add),
    )


def resample_daily(bars: BarArrays, cumulative: BarArrays | None = None) -> BarArrays:
    """Batch-двійник `DailyAggregator`: денні (UTC) бари з відсортованих 1m барів, біт у біт
    (`cumulative` — уже пораховане `accumulate_daily(bars)`, щоб не рахувати двічі)."""
    if not len(bars):
        return bars.slice(0, 0)
    starts = day_starts(bars.open_time)
    ends = np.r_[starts[1:], len(bars)] - 1
    cum = accumulate_daily(bars) if cumulative is None else cumulative
    return BarArrays(
        bars.open_time[starts] // DAY_MS * DAY_MS,
        bars.open[starts],
        cum.high[ends],
        cum.low[ends],
        bars.close[ends],
        cum.volume[ends],
        cum.quote_volume[ends],
        cum.trades[ends],
        cum.taker_buy_volume[ends],
        cum.taker_buy_quote[ends],
    )


def resample_period(bars: BarArrays, period_ms: int) -> BarArrays:
    """Бари періоду `period_ms` (5m, 15m, 1h…) з відсортованих 1m барів: межі — кратні періоду від
    епохи (як у Binance); open — першого бару, close — останнього, high/low — екстремуми, обсяги й
    угоди — суми (невідомі угоди хоч в одному барі — невідомі для періоду). Неповний останній
    період лишається (його бар ще формується). Для графіка панелі; денні — `resample_daily`."""
    if not len(bars) or period_ms <= 0:
        return bars.slice(0, 0)
    periods = bars.open_time // period_ms
    starts = np.flatnonzero(np.r_[True, periods[1:] != periods[:-1]])
    ends = np.r_[starts[1:], len(bars)] - 1
    trades = np.add.reduceat(bars.trades, starts)
    unknown = np.maximum.reduceat((bars.trades < 0).astype(np.int64), starts) > 0
    trades[unknown] = TRADES_UNKNOWN
    return BarArrays(
        periods[starts] * period_ms,
        bars.open[starts],
        np.maximum.reduceat(bars.high, starts),
        np.minimum.reduceat(bars.low, starts),
        bars.close[ends],
        np.add.reduceat(bars.volume, starts),
        np.add.reduceat(bars.quote_volume, starts),
        trades,
        np.add.reduceat(bars.taker_buy_volume, starts),
        np.add.reduceat(bars.taker_buy_quote, starts),
    )


__all__ = ["DAY_MS", "DailyAggregator", "accumulate_daily", "day_starts", "resample_daily", "resample_period"]
