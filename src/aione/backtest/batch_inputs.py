"""Підготовка записаних барів для пакетного рушія бектесту (чиста логіка, без I/O).

Пакетний рушій не пропускає кожен бар через сховище й агрегатор доби, тож те, що вони дали б
ядру, тут рахується наперед масивами — і дає ТІ САМІ значення (доведено тестом рівності звітів
двох рушіїв):
- `accepted_mask` — які бари сховище прийняло б (ті самі перевірки значень, потім часу:
  закритий бар має бути новішим за останній прийнятий);
- `SymbolSeries` — прийняті бари символу, закриті дні (`resample_daily`, двійник
  `DailyAggregator`) і накопичені в межах доби колонки, з яких відкритий день на будь-якому
  барі береться за O(1). Суми накопичуються послідовно (`np.add.accumulate`), у тому ж порядку,
  що й `+=` агрегатора, тож біти збігаються. Із записаними денними барами біржі (`aione record`,
  `data.daily_record`) закритий день — бар біржі, де він є (і дні до першого 1m бару), і
  ресемплінг 1m барів, де його немає: як у сховищі живого процесу після preload (подієвий рушій
  кладе ці бари в сховище так само, `runner.DailyFeed`);
- `stage2_window` — вхід Stage2 на барі алерту, рівний тому, що ядро будує зі сховища
  (`PipelineCore.stage2_inputs`), але з view масивів, що не змінюються (лише для читання);
  із записаними деривативними рядами — ще й знімок `deriv_context` на час події бару алерту
  (`open_time + тривалість − 1`, лише точки з часом ≤ нього), як у живого ядра.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aione.config.config import SymbolInfo
from aione.data.bar_validation import value_reasons
from aione.data.bars import Bar, BarArrays
from aione.data.resample import DAY_MS, accumulate_daily, day_starts, resample_daily
from aione.signals.deriv_context import (
    DEFAULT_DERIV_PARAMS,
    DerivParams,
    SeriesSource,
    bar_event_time,
    deriv_context,
)
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.window_features import SeriesFeatures

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# ── Бари, які прийняло б сховище ──
def accepted_mask(bars: BarArrays) -> BoolArray:
    """Маска барів (відсортованих за open_time), які `UnifiedDataStore.apply` прийняв би як закриті.

    Спершу значення (`value_reasons`, ті самі правила, що й `check_values`), потім час: бар з
    open_time, не новішим за останній прийнятий, — дубль або запізнілий."""
    ok = np.ones(len(bars), dtype=np.bool_)
    for mask in value_reasons(bars).values():
        ok &= ~mask
    t = bars.open_time
    if len(t) > 1 and not bool(np.all(t[1:] > t[:-1])):
        last: int | None = None
        for i, (good, ti) in enumerate(zip(ok.tolist(), t.tolist(), strict=True)):
            if not good:
                continue
            if last is not None and ti <= last:
                ok[i] = False
            else:
                last = ti
    return ok


# ── Колонки блоками ──
_INT_COLUMNS = (0, 7)  # open_time, trades — int64; решта колонок BarArrays — float64
_FLOAT_COLUMNS = (1, 2, 3, 4, 5, 6, 8, 9)


@dataclass(frozen=True, slots=True)
class _Blocks:
    """Колонки барів двома 2-D масивами: цілі (`_INT_COLUMNS`) і дійсні (`_FLOAT_COLUMNS`)."""

    ints: IntArray
    floats: FloatArray

    @classmethod
    def of(cls, bars: BarArrays) -> _Blocks:
        ints = np.stack([bars[i] for i in _INT_COLUMNS]).astype(np.int64, copy=False)
        floats = np.stack([bars[i] for i in _FLOAT_COLUMNS]).astype(np.float64, copy=False)
        return cls(ints, floats)


def _from_blocks(ints: IntArray, floats: FloatArray) -> BarArrays:
    """BarArrays з рядків блоків (view, без копій)."""
    return BarArrays(
        ints[0], floats[0], floats[1], floats[2], floats[3], floats[4], floats[5], ints[1], floats[6], floats[7]
    )


# ── Денні бари біржі ──
def _with_exchange_days(days: BarArrays, exchange: BarArrays) -> BarArrays:
    """Дні ресемплінгу 1m барів, для яких немає бару біржі, + усі бари біржі, за часом."""
    keep = ~np.isin(days.open_time, exchange.open_time)
    cols = []
    for own, ex in zip(days, exchange, strict=True):
        cols.append(np.concatenate((own[keep], np.asarray(ex, dtype=own.dtype))))
    order = np.argsort(cols[0], kind="stable")
    return BarArrays(*(np.ascontiguousarray(c[order]) for c in cols))  # type: ignore[arg-type]


# ── Символ ──
@dataclass(frozen=True, slots=True)
class SymbolSeries:
    """Прийняті бари символу та все, що з них потрібно ядру на барі алерту."""

    name: str
    bars: BarArrays
    days: BarArrays  # закриті (і останній, ще відкритий) дні прогону
    day_index: IntArray  # номер дня в `days` для кожного бару
    day_start: IntArray  # перший бар дня в `bars` для кожного бару
    cum: BarArrays  # накопичені з початку доби колонки (high — max, low — min, обсяги — суми)
    closed_days: BarArrays | None = None  # закриті дні з денними барами біржі; None — це `days`
    closed_end: IntArray | None = None  # скільки днів `closed_days` почалося до доби бару; None — `day_index`
    _open_days: BarArrays | None = None
    _day_blocks: tuple[_Blocks, _Blocks] | None = None  # (дні, відкриті дні) блоками за dtype
    _features: SeriesFeatures | None = None

    @classmethod
    def build(cls, name: str, bars: BarArrays, exchange_days: BarArrays | None = None) -> SymbolSeries:
        """Готує символ з ПРИЙНЯТИХ барів (див. `accepted_mask`); `exchange_days` — записані закриті
        денні бари біржі (`daily_record.read_daily_bars`), None — дні лише з 1m барів."""
        cum = accumulate_daily(bars)
        days = resample_daily(bars, cum)
        starts = day_starts(bars.open_time)
        day_index = np.cumsum(np.r_[False, np.diff(bars.open_time // DAY_MS) != 0]) if len(bars) else starts
        day_start = starts[day_index]
        closed: BarArrays | None = None
        closed_end: IntArray | None = None
        if exchange_days is not None and len(exchange_days):
            closed = _with_exchange_days(days, exchange_days)
            bar_day = bars.open_time - bars.open_time % DAY_MS
            closed_end = np.searchsorted(closed.open_time, bar_day, side="left").astype(np.int64)
        for col in (*bars, *cum, *days, *(() if closed is None else closed)):  # лише читання: Stage2 отримує view без копій
            col.flags.writeable = False
        return cls(
            name, bars, days, day_index.astype(np.int64), day_start.astype(np.int64), cum, closed, closed_end
        )

    def open_day(self, row: int) -> Bar:
        """Відкритий день на барі `row` включно — те, що дав би `DailyAggregator.open_bar()`."""
        s = int(self.day_start[row])
        c = self.cum
        return Bar(
            int(self.days.open_time[self.day_index[row]]),
            float(self.bars.open[s]),
            float(c.high[row]),
            float(c.low[row]),
            float(self.bars.close[row]),
            float(c.volume[row]),
            float(c.quote_volume[row]),
            int(c.trades[row]),
            float(c.taker_buy_volume[row]),
            False,
            float(c.taker_buy_quote[row]),
        )

    def daily_upto(self, row: int, n_closed: int) -> BarArrays:
        """Останні `n_closed` закритих днів до доби бару `row` + відкритий день (як `daily_bars` ядра).

        Те саме, що `with_open_day(closed, self.open_day(row))`, але відкритий день береться рядком
        з `open_days` (без побудови `Bar`): гаряче місце бектесту, рівність — у тестах."""
        j = int(self.day_index[row] if self.closed_end is None else self.closed_end[row])
        a = j - n_closed if j > n_closed else 0
        nxt = row + 1
        days, opened = self.day_blocks
        # Два склеювання 2-D блоків замість дев'яти по колонці; рядки нового блоку — суцільні
        # масиви тих самих dtype і значень, що й склеєні колонки.
        ints = np.concatenate((days.ints[:, a:j], opened.ints[:, row:nxt]), axis=1)
        floats = np.concatenate((days.floats[:, a:j], opened.floats[:, row:nxt]), axis=1)
        return _from_blocks(ints, floats)

    @property
    def open_days(self) -> BarArrays:
        """Відкритий день на кожному барі як колонки (рядок r = `open_day(r)`), рахується раз."""
        cached = self._open_days
        if cached is None:
            c = self.cum
            cached = BarArrays(
                self.days.open_time[self.day_index],
                self.bars.open[self.day_start],
                c.high,
                c.low,
                self.bars.close,
                c.volume,
                c.quote_volume,
                c.trades,
                c.taker_buy_volume,
                c.taker_buy_quote,
            )
            object.__setattr__(self, "_open_days", cached)
        return cached

    @property
    def day_blocks(self) -> tuple[_Blocks, _Blocks]:
        """Закриті дні (`closed_days`, якщо є) і відкритий день на кожному барі як блоки (`_Blocks`),
        рахуються раз."""
        cached = self._day_blocks
        if cached is None:
            closed = self.days if self.closed_days is None else self.closed_days
            cached = (_Blocks.of(closed), _Blocks.of(self.open_days))
            object.__setattr__(self, "_day_blocks", cached)
        return cached

    @property
    def features(self) -> SeriesFeatures:
        """Величини вікон Stage2, пораховані наперед на весь ряд (`stage2.window_features`)."""
        cached = self._features
        if cached is None:
            cached = SeriesFeatures.of(self.bars)
            object.__setattr__(self, "_features", cached)
        return cached

    def stage2_window(
        self,
        row: int,
        context_bars: int,
        n_closed: int,
        symbol_info: SymbolInfo | None = None,
        deriv_source: SeriesSource | None = None,
        timeframe_ms: int = 60_000,
        deriv_params: DerivParams = DEFAULT_DERIV_PARAMS,
    ) -> Stage2Inputs | None:
        """Вхід Stage2 для алерту на барі `row` (без погляду вперед: лише бари до `row` включно).

        Те саме, що дає `build_stage2_inputs`, але без її обрізання за часом: вікно вже
        закінчується баром алерту, а останній денний бар — доба алерту (рівність — у тестах).
        `symbol_info` — те, що ядро взяло б зі сховища (тік символу); `deriv_source` — записані
        ряди деривативів: знімок на кінець бару алерту з параметрами `deriv_params` (ядро бере
        `PipelineCore.deriv_params`), як `PipelineCore.stage2_inputs` (None — вхід без знімка, як до
        деривативів). Вхід несе й величини вікна, пораховані наперед на ряд (`features`)."""
        start = row + 1 - context_bars
        if start < 0:
            start = 0
        nxt = row + 1
        window = BarArrays(*[col[start:nxt] for col in self.bars])  # type: ignore[arg-type]
        features = self.features.window(start, nxt)
        if deriv_source is None:
            return Stage2Inputs(window, self.daily_upto(row, n_closed), symbol_info, features=features)
        t = bar_event_time(int(self.bars.open_time[row]), timeframe_ms)
        deriv = deriv_context(deriv_source, self.name, t, deriv_params)
        return Stage2Inputs(window, self.daily_upto(row, n_closed), symbol_info, deriv=deriv, features=features)


__all__ = ["SymbolSeries", "accepted_mask"]
