"""Агрегація закритих 1m барів у денні (UTC) — для макрорівнів живцем і в бектесті.

Чиста логіка: на вхід закритий 1m бар, на вихід події денного бару (оновлення відкритого
дня і, на межі доби, закриття попереднього). Час — лише з барів.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aione.config.config import TIMEFRAME_MS
from aione.data.bars import Bar

DAY_MS = TIMEFRAME_MS["1d"]


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
        )

    def add(self, bar: Bar) -> list[Bar]:
        """Додає закритий 1m бар; повертає денні бари, які треба записати."""
        day_open = bar.open_time - bar.open_time % DAY_MS
        out: list[Bar] = []
        day = self._day
        if day is not None and day_open > day.open_time:
            out.append(day.as_bar(closed=True))
            day = None
        if day is None or day_open < day.open_time:
            if day is not None:  # бар зі старішої доби: пропускаємо, сховище його теж відкине
                return out
            day = _OpenDay(
                day_open,
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
                bar.quote_volume,
                bar.trades,
                bar.taker_buy_volume,
            )
        else:
            day.high = max(day.high, bar.high)
            day.low = min(day.low, bar.low)
            day.close = bar.close
            day.volume += bar.volume
            day.quote_volume += bar.quote_volume
            day.trades += bar.trades
            day.taker_buy_volume += bar.taker_buy_volume
        self._day = day
        out.append(day.as_bar(closed=False))
        return out


__all__ = ["DAY_MS", "DailyAggregator"]
