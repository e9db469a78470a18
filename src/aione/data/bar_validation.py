"""Перевірка барів «на вході» сховища: чисті функції, без стану й I/O.

Бар відкидається з однією причиною (рядок — ключ лічильника `stats.rejected`):
- `non_finite` — NaN або ±inf у будь-якому числовому полі (колонки тейкера можуть бути NaN —
  «невідомо», але не ±inf);
- `bad_value` — ціна ≤ 0, від'ємний обсяг чи taker-buy обсяг, кількість угод < `TRADES_UNKNOWN`;
- `bad_ohlc` — high < max(open, close) або low > min(open, close);
- `stale` — бар старший за останній закритий (або за поточний відкритий);
- `duplicate` — бар із часом, який уже збережено як закритий;
- `bad_timeframe` — таймфрейм, якого система не знає.
Порядок перевірок саме такий: спершу значення, потім час.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aione.data.bars import TRADES_UNKNOWN, Bar, BarArrays

_INF = (math.inf, -math.inf)

# ── Причини відмови ──
REJECT_NON_FINITE = "non_finite"
REJECT_BAD_VALUE = "bad_value"
REJECT_BAD_OHLC = "bad_ohlc"
REJECT_STALE = "stale"
REJECT_DUPLICATE = "duplicate"
REJECT_BAD_TIMEFRAME = "bad_timeframe"
REJECT_REASONS: tuple[str, ...] = (
    REJECT_NON_FINITE,
    REJECT_BAD_VALUE,
    REJECT_BAD_OHLC,
    REJECT_STALE,
    REJECT_DUPLICATE,
    REJECT_BAD_TIMEFRAME,
)

BoolArray = npt.NDArray[np.bool_]


# ── Один бар ──
def check_values(bar: Bar) -> str | None:
    """Причина відмови за значеннями бару або None, якщо бар цілий.

    Сума полів скінченна тоді й лише тоді, коли скінченне кожне поле (NaN та inf «заражають»
    суму); хибна тривога можлива лише біля 1e308, а такі значення однаково безглузді.
    Колонки тейкера можуть бути NaN (невідомо, див. `bars`), але не ±inf; угоди — ≥ `TRADES_UNKNOWN`."""
    o, h, lo, c = bar.open, bar.high, bar.low, bar.close
    v, q, tb, tq = bar.volume, bar.quote_volume, bar.taker_buy_volume, bar.taker_buy_quote
    if not math.isfinite(o + h + lo + c + v + q):
        return REJECT_NON_FINITE
    if tb in _INF or tq in _INF:
        return REJECT_NON_FINITE
    if lo <= 0.0 or o <= 0.0 or c <= 0.0 or v < 0.0 or q < 0.0 or tb < 0.0 or tq < 0.0:
        return REJECT_BAD_VALUE
    if bar.trades < TRADES_UNKNOWN:
        return REJECT_BAD_VALUE
    if h < (o if o > c else c) or lo > (c if o > c else o):
        return REJECT_BAD_OHLC
    return None


def check_time(
    open_time: int, closed: bool, last_closed: int | None, open_time_now: int | None
) -> str | None:
    """Причина відмови за часом бару щодо збереженого стану або None.

    Закритий бар має бути новішим за останній закритий (рівний — `duplicate`). Відкритий бар
    має бути новішим за останній закритий і не старшим за поточний відкритий."""
    if last_closed is not None and open_time <= last_closed:
        if closed and open_time == last_closed:
            return REJECT_DUPLICATE
        return REJECT_STALE
    if not closed and open_time_now is not None and open_time < open_time_now:
        return REJECT_STALE
    return None


# ── Пакет барів ──
def value_reasons(arrays: BarArrays) -> dict[str, BoolArray]:
    """Маски відмов за значеннями для всього пакета; кожен рядок потрапляє щонайбільше в одну маску
    (та сама пріоритетність, що й у `check_values`)."""
    prices = np.vstack((arrays.open, arrays.high, arrays.low, arrays.close))
    others = np.vstack((arrays.volume, arrays.quote_volume))
    taker = np.vstack((arrays.taker_buy_volume, arrays.taker_buy_quote))  # NaN — невідомо, не вада
    non_finite = ~(np.isfinite(prices).all(axis=0) & np.isfinite(others).all(axis=0)) | np.isinf(taker).any(axis=0)
    with np.errstate(invalid="ignore"):
        bad_value = (
            (prices <= 0.0).any(axis=0)
            | (others < 0.0).any(axis=0)
            | (taker < 0.0).any(axis=0)
            | (arrays.trades < TRADES_UNKNOWN)
        ) & ~non_finite
        top = np.maximum(arrays.open, arrays.close)
        bottom = np.minimum(arrays.open, arrays.close)
        bad_ohlc = ((arrays.high < top) | (arrays.low > bottom)) & ~non_finite & ~bad_value
    return {
        REJECT_NON_FINITE: np.asarray(non_finite, dtype=bool),
        REJECT_BAD_VALUE: np.asarray(bad_value, dtype=bool),
        REJECT_BAD_OHLC: np.asarray(bad_ohlc, dtype=bool),
    }


def bars_to_arrays(bars: list[Bar] | tuple[Bar, ...]) -> BarArrays:
    """Послідовність `Bar` → стовпці (копія; поле `closed` ігнорується)."""
    n = len(bars)
    return BarArrays(
        np.fromiter((b.open_time for b in bars), dtype=np.int64, count=n),
        np.fromiter((b.open for b in bars), dtype=np.float64, count=n),
        np.fromiter((b.high for b in bars), dtype=np.float64, count=n),
        np.fromiter((b.low for b in bars), dtype=np.float64, count=n),
        np.fromiter((b.close for b in bars), dtype=np.float64, count=n),
        np.fromiter((b.volume for b in bars), dtype=np.float64, count=n),
        np.fromiter((b.quote_volume for b in bars), dtype=np.float64, count=n),
        np.fromiter((b.trades for b in bars), dtype=np.int64, count=n),
        np.fromiter((b.taker_buy_volume for b in bars), dtype=np.float64, count=n),
        np.fromiter((b.taker_buy_quote for b in bars), dtype=np.float64, count=n),
    )


__all__ = [
    "REJECT_BAD_OHLC",
    "REJECT_BAD_TIMEFRAME",
    "REJECT_BAD_VALUE",
    "REJECT_DUPLICATE",
    "REJECT_NON_FINITE",
    "REJECT_REASONS",
    "REJECT_STALE",
    "bars_to_arrays",
    "check_time",
    "check_values",
    "value_reasons",
]
