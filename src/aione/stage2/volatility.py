"""Волатильність для TP/SL: ATR старшого таймфрейму, зібраного з вікна 1m барів (чиста логіка).

Навіщо: ATR(1m) — близько 0.1 % ціни, а комісія кола (вхід + вихід) — 0.08 %; план з
SL = 1×ATR(1m) платить комісією майже весь ризик і стоїть усередині шуму хвилинних барів.
Тому ціль і стоп міряються в одиницях «бази волатильності»:
- бари старшого таймфрейму (`minutes` хвилин) збираються з 1m барів за сіткою open_time
  (кошик = open_time // (minutes·60 000)); неповний ОСТАННІЙ кошик відкидається — його
  діапазон ще недобудований і занижує ATR; неповні кошики всередині вікна (пропуски даних)
  лишаються такими, як є;
- ATR старшого таймфрейму = просте середнє true range останніх `period` завершених барів
  (TR = max(high, prev_close) − min(low, prev_close)); потрібно `period` + 1 бар, інакше NaN —
  на вікні в 720 хвилин середнє стабільніше за згладжування Вайлдера, якому бракує розгону;
- база = max(`floor_mult`·ATR(1m), ATR старшого ТФ); без ATR старшого ТФ — `floor_mult`·ATR(1m)
  (як і раніше, план не зникає через короткий прогрів).
"""

from __future__ import annotations

import math

import numpy as np

from aione.data.bars import BarArrays

NAN = float("nan")
_MINUTE_MS = 60_000


# ── Старший таймфрейм ──
def htf_true_ranges(bars: BarArrays, minutes: int) -> np.ndarray:
    """True range завершених барів `minutes`-хвилинного таймфрейму з вікна 1m барів."""
    n = len(bars)
    if n == 0 or minutes < 1:
        return np.empty(0, dtype=np.float64)
    span = minutes * _MINUTE_MS
    bucket = np.asarray(bars.open_time, dtype=np.int64) // span
    starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    # Останній кошик завершений, лише якщо його останній 1m бар — останній бар кошика.
    last_open = int(bars.open_time[-1])
    if last_open + _MINUTE_MS < (int(bucket[-1]) + 1) * span:
        starts_done, end = starts[:-1], int(starts[-1])
    else:
        starts_done, end = starts, n
    if starts_done.size == 0:
        return np.empty(0, dtype=np.float64)
    high = np.maximum.reduceat(np.asarray(bars.high[:end], dtype=np.float64), starts_done)
    low = np.minimum.reduceat(np.asarray(bars.low[:end], dtype=np.float64), starts_done)
    ends = np.append(starts_done[1:], end) - 1
    close = np.asarray(bars.close, dtype=np.float64)[ends]
    prev = np.concatenate(([NAN], close[:-1]))
    tr = np.fmax(high, prev) - np.fmin(low, prev)  # fmax/fmin: перший бар без prev — просто high − low
    return tr


def htf_atr(bars: BarArrays, minutes: int, period: int) -> float:
    """Середній true range останніх `period` завершених барів старшого ТФ; NaN, якщо їх замало.

    Те саме, що середнє `htf_true_ranges(bars, minutes)[-period:]` (за умови ≥ `period` + 1
    барів), але рахуються лише потрібні `period` + 1 останніх кошиків: межі кошиків —
    бінарним пошуком меж сітки в `open_time`, порожні кошики (пропуски даних) пропускаються."""
    n = len(bars)
    if n == 0 or minutes < 1 or period < 1:
        return NAN
    span = minutes * _MINUTE_MS
    ot = bars.open_time
    first = int(ot[0]) // span
    last_open = int(ot[-1])
    last = last_open // span
    if last_open + _MINUTE_MS < (last + 1) * span:  # останній кошик ще не завершений
        last -= 1
    if last - first < period:  # навіть без пропусків менше ніж period + 1 кошиків
        return NAN
    ot0 = int(ot[0])
    if last_open - ot0 == (n - 1) * _MINUTE_MS and ot0 % _MINUTE_MS == 0:
        # Вікно без пропусків (open_time строго зростає по хвилині): бар j відкрито в
        # ot0 + j·хвилина, тож межі кошиків — арифметика, без пошуку; усі кошики непорожні.
        s0 = max(0, ((last - period) * span - ot0) // _MINUTE_MS)  # перший кошик може бути неповним
        base = ((last - period + 1) * span - ot0) // _MINUTE_MS
        end = base + period * minutes
        offs = np.array([0, *range(base - s0, end - s0, minutes)], dtype=np.int64)
        high = np.maximum.reduceat(bars.high[s0:end], offs)
        low = np.minimum.reduceat(bars.low[s0:end], offs)
        prev = bars.close[base - 1 : end : minutes][:-1]  # закриття кошиків перед кожним із period
        tr = np.fmax(high[1:], prev)
        tr -= np.fmin(low[1:], prev)
        value = float(np.add.reduce(tr)) / period
        return value if math.isfinite(value) and value > 0 else NAN
    # Межі кошиків first..last і кінець останнього: pos[i] — перший бар кошика first + i.
    pos = ot.searchsorted(np.arange(first, last + 2, dtype=np.int64) * span)
    starts, stops = pos[:-1], pos[1:]
    if not bool((starts < stops).all()):
        full = starts < stops
        starts, stops = starts[full], stops[full]
        if len(starts) < period + 1:
            return NAN
    s = starts[-period - 1 :]
    lo_i, hi_i = int(s[0]), int(stops[-1])
    high = np.maximum.reduceat(bars.high[lo_i:hi_i], s - lo_i)
    low = np.minimum.reduceat(bars.low[lo_i:hi_i], s - lo_i)
    close = bars.close[stops[-period - 1 :] - 1]
    prev = close[:-1]
    tr = np.fmax(high[1:], prev)
    tr -= np.fmin(low[1:], prev)
    value = float(np.add.reduce(tr)) / period
    return value if math.isfinite(value) and value > 0 else NAN


def volatility_basis(atr_1m: float, atr_htf: float, floor_mult: float) -> float:
    """База для TP/SL: max(`floor_mult`·ATR(1m), ATR старшого ТФ); NaN-складові ігноруються."""
    floor = floor_mult * atr_1m if math.isfinite(atr_1m) and atr_1m > 0 else NAN
    candidates = [x for x in (floor, atr_htf) if math.isfinite(x) and x > 0]
    return max(candidates) if candidates else NAN


__all__ = ["htf_atr", "htf_true_ranges", "volatility_basis"]
