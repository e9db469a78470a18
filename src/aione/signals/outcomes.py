"""Наслідки сигналу: що ціна зробила після нього, у напрямку сигналу. Пакетна й інкрементна форми.

Визначення (одні для бектесту й живого режиму):
- опорна ціна — close бару сигналу (open_time = `ts`); напрямок `sign` = +1 (BUY) або −1 (SELL);
- горизонт h хвилин закінчується на барі з open_time = ts + h·крок; вікно горизонту — бари з
  ts < open_time ≤ ts + h·крок (пропуски в даних не вигадуються: береться останній наявний бар);
- `fwd_h` — доходність у напрямку сигналу до close останнього бару вікна, %; `mfe_h` / `mae_h` —
  найкраще / найгірше відхилення в напрямку сигналу за вікно (за high/low), %; брутто, без комісій;
- горизонт завершено, коли є бар з open_time ≥ ts + h·крок; до того його значення None;
- `first` — що ціна торкнулась раніше за найдовший горизонт: "tp" чи "sl" (обидва в одному барі —
  "sl", гірший випадок, як у Stage3), None — жодного; `first_min` — через скільки хвилин.
Інкрементна форма (`OutcomeTracker`, наживо) дає ті самі числа, що й пакетна (`forward_outcome`,
бектест): тест рівності на справжніх барах.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aione.config.config import SIGNAL_OUTCOME_HORIZONS
from aione.data.bars import BarArrays

MINUTE_MS = 60_000
FIRST_TP = "tp"
FIRST_SL = "sl"


# ── Спільна арифметика (однакова в обох формах, тож біти збігаються) ──
def _move_pct(price: float, entry: float, sign: float) -> float:
    return sign * (price / entry - 1.0) * 100.0


def _excursions(hi: float, lo: float, entry: float, sign: float) -> tuple[float, float]:
    """(MFE, MAE) у % для найвищого `hi` і найнижчого `lo` вікна."""
    if sign > 0:
        return _move_pct(hi, entry, 1.0), _move_pct(lo, entry, 1.0)
    return _move_pct(lo, entry, -1.0), _move_pct(hi, entry, -1.0)


def _touch(sign: float, high: float, low: float, tp: float | None, sl: float | None) -> str | None:
    """Що торкнуто в барі: SL має перевагу (гірший випадок), далі TP."""
    if sign > 0:
        if sl is not None and low <= sl:
            return FIRST_SL
        if tp is not None and high >= tp:
            return FIRST_TP
    else:
        if sl is not None and high >= sl:
            return FIRST_SL
        if tp is not None and low <= tp:
            return FIRST_TP
    return None


def empty_outcome(horizons: Sequence[int] = SIGNAL_OUTCOME_HORIZONS) -> dict[str, Any]:
    """Запис наслідків без жодного завершеного горизонту."""
    out: dict[str, Any] = {}
    for h in horizons:
        out[f"fwd_{h}"] = None
        out[f"mfe_{h}"] = None
        out[f"mae_{h}"] = None
    out["first"] = None
    out["first_min"] = None
    out["complete"] = False
    return out


# ── Пакетна форма ──
def forward_outcome(
    bars: BarArrays,
    ts: int,
    sign: float,
    entry: float,
    tp: float | None = None,
    sl: float | None = None,
    horizons: Sequence[int] = SIGNAL_OUTCOME_HORIZONS,
    step_ms: int = MINUTE_MS,
) -> dict[str, Any]:
    """Наслідки сигналу на барах символу (відсортованих за open_time); визначення — в описі модуля."""
    out = empty_outcome(horizons)
    t = bars.open_time
    if not len(t) or not entry > 0:
        return out
    start = int(np.searchsorted(t, ts, side="right"))
    last_t = int(t[-1])
    h_max = max(horizons)
    for h in horizons:
        end = ts + h * step_ms
        if last_t < end:
            continue
        stop = int(np.searchsorted(t, end, side="right"))
        if stop <= start:
            continue
        hi = float(bars.high[start:stop].max())
        lo = float(bars.low[start:stop].min())
        mfe, mae = _excursions(hi, lo, entry, sign)
        out[f"fwd_{h}"] = _move_pct(float(bars.close[stop - 1]), entry, sign)
        out[f"mfe_{h}"] = mfe
        out[f"mae_{h}"] = mae
    end_max = ts + h_max * step_ms
    stop_max = int(np.searchsorted(t, end_max, side="right"))
    if tp is not None or sl is not None:
        for k in range(start, stop_max):
            hit = _touch(sign, float(bars.high[k]), float(bars.low[k]), tp, sl)
            if hit is not None:
                out["first"] = hit
                out["first_min"] = (int(t[k]) - ts) // step_ms
                break
    out["complete"] = last_t >= end_max
    return out


# ── Інкрементна форма ──
@dataclass(slots=True)
class _Open:
    key: Any
    ts: int
    sign: float
    entry: float
    tp: float | None
    sl: float | None
    ends: list[int]
    out: dict[str, Any]
    next_h: int = 0
    hi: float = float("-inf")
    lo: float = float("inf")
    last_close: float | None = None
    seen: bool = False


@dataclass(slots=True)
class OutcomeTracker:
    """Наслідки сигналів у міру надходження закритих барів (живий режим); ті самі числа, що пакетні."""

    horizons: tuple[int, ...] = SIGNAL_OUTCOME_HORIZONS
    step_ms: int = MINUTE_MS
    _open: dict[str, list[_Open]] = field(default_factory=dict)

    @property
    def open_count(self) -> int:
        return sum(len(v) for v in self._open.values())

    def add(
        self, key: Any, symbol: str, ts: int, sign: float, entry: float, tp: float | None, sl: float | None
    ) -> None:
        """Починає стежити за сигналом `key` (бар сигналу — `ts`, опора — його close `entry`)."""
        if not entry > 0:
            return
        ends = [ts + h * self.step_ms for h in self.horizons]
        self._open.setdefault(symbol, []).append(
            _Open(key, ts, sign, entry, tp, sl, ends, empty_outcome(self.horizons))
        )

    def on_bar(self, symbol: str, open_time: int, high: float, low: float, close: float) -> list[tuple[Any, dict[str, Any]]]:
        """Закритий бар символу; повертає [(key, наслідки)] сигналів, що щойно завершились."""
        items = self._open.get(symbol)
        if not items:
            return []
        done: list[tuple[Any, dict[str, Any]]] = []
        keep: list[_Open] = []
        for item in items:
            if open_time <= item.ts:
                keep.append(item)
                continue
            self._finalize(item, open_time, inclusive=False)
            if item.next_h < len(item.ends):
                if item.out["first"] is None and (item.tp is not None or item.sl is not None):
                    hit = _touch(item.sign, high, low, item.tp, item.sl)
                    if hit is not None:
                        item.out["first"] = hit
                        item.out["first_min"] = (open_time - item.ts) // self.step_ms
                item.hi = high if high > item.hi else item.hi
                item.lo = low if low < item.lo else item.lo
                item.last_close = close
                item.seen = True
                self._finalize(item, open_time, inclusive=True)
            if item.next_h >= len(item.ends):
                item.out["complete"] = True
                done.append((item.key, item.out))
            else:
                keep.append(item)
        if keep:
            self._open[symbol] = keep
        else:
            del self._open[symbol]
        return done

    def _finalize(self, item: _Open, open_time: int, *, inclusive: bool) -> None:
        """Закриває горизонти, чий кінець < open_time (до бару) або = open_time (після бару)."""
        while item.next_h < len(item.ends):
            end = item.ends[item.next_h]
            if end > open_time or (end == open_time and not inclusive):
                return
            h = self.horizons[item.next_h]
            if item.seen and item.last_close is not None:
                mfe, mae = _excursions(item.hi, item.lo, item.entry, item.sign)
                item.out[f"fwd_{h}"] = _move_pct(item.last_close, item.entry, item.sign)
                item.out[f"mfe_{h}"] = mfe
                item.out[f"mae_{h}"] = mae
            item.next_h += 1


__all__ = ["FIRST_SL", "FIRST_TP", "MINUTE_MS", "OutcomeTracker", "empty_outcome", "forward_outcome"]
