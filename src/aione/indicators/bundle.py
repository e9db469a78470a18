"""Набір індикаторів Stage1: інкрементний `IndicatorBundle` і його batch-двійник `compute_all`.

Знімок (`IndicatorSnapshot`) містить усе, що Stage1 читає на кожному оновленні:
RSI, ATR і ATR%, EMA, ковзний VWAP з відхиленнями (% і σ), z-скор обсягу,
канал Дончіана поточний і попередній. `ready` — усі поля пройшли прогрів.
Бар перевіряється один раз на весь набір (NaN/inf → `IndicatorInputError`).
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass
from math import isfinite
from typing import NamedTuple, Self

import numpy as np
import numpy.typing as npt

from aione.data.bars import Bar, BarArrays
from aione.indicators import _blocks as B
from aione.indicators.atr import ATR, atr_blocks, true_range_blocks
from aione.indicators.errors import IndicatorInputError, check_array, check_period, check_same_shape
from aione.indicators.levels import Donchian, rolling_high, rolling_low, shift1
from aione.indicators.moving_average import EMA, ema_blocks
from aione.indicators.rsi import RSI, rsi_blocks
from aione.indicators.volume import VolumeZScore, next_zscore_blocks, volume_zscore, zscore
from aione.indicators.vwap import RollingVWAP, deviation_std, rolling_vwap_blocks, vwap_deviation_blocks

FloatArray = npt.NDArray[np.float64]

# ── Знімок ──


@dataclass(frozen=True, slots=True)
class IndicatorSnapshot:
    """Значення набору на одному барі (NaN — ще прогрів)."""

    open_time: int
    close: float
    rsi: float
    atr: float
    atr_pct: float
    ema: float
    vwap: float
    vwap_dev_pct: float
    vwap_dev_std: float
    volume_z: float
    high_n: float
    low_n: float
    prev_high_n: float
    prev_low_n: float
    ready: bool


class _SnapshotSlots:
    """Змінний двійник `IndicatorSnapshot` з тією самою розкладкою слотів.

    Навіщо: конструктор frozen-датакласу пише кожне поле через object.__setattr__
    (~2 мкс на 15 полів — половина бюджету оновлення набору). Тут поля пишуться
    звичайним присвоєнням, а потім об'єкт отримує клас `IndicatorSnapshot`
    (розкладки однакові — CPython це дозволяє); далі він незмінний, як і належить."""

    __slots__ = tuple(f for f in IndicatorSnapshot.__dataclass_fields__)

    def __init__(
        self,
        open_time: int,
        close: float,
        rsi: float,
        atr: float,
        atr_pct: float,
        ema: float,
        vwap: float,
        vwap_dev_pct: float,
        vwap_dev_std: float,
        volume_z: float,
        high_n: float,
        low_n: float,
        prev_high_n: float,
        prev_low_n: float,
        ready: bool,
    ) -> None:
        self.open_time = open_time
        self.close = close
        self.rsi = rsi
        self.atr = atr
        self.atr_pct = atr_pct
        self.ema = ema
        self.vwap = vwap
        self.vwap_dev_pct = vwap_dev_pct
        self.vwap_dev_std = vwap_dev_std
        self.volume_z = volume_z
        self.high_n = high_n
        self.low_n = low_n
        self.prev_high_n = prev_high_n
        self.prev_low_n = prev_low_n
        self.ready = ready


def _snapshot(*values: float | int | bool) -> IndicatorSnapshot:
    """Швидко створює `IndicatorSnapshot` (позиційні аргументи в порядку полів)."""
    obj = _SnapshotSlots(*values)  # type: ignore[arg-type]
    obj.__class__ = IndicatorSnapshot  # type: ignore[assignment]
    return obj  # type: ignore[return-value]


class IndicatorSeries(NamedTuple):
    """Batch-двійник знімка: ті самі поля як масиви (n,) або (m, n).

    Масиви можуть ділити пам'ять (`close` — вхідний масив, `prev_high_n` — вид `high_n` зі
    зсувом на бар): перед зміною на місці — копіюйте."""

    open_time: npt.NDArray[np.int64]
    close: FloatArray
    rsi: FloatArray
    atr: FloatArray
    atr_pct: FloatArray
    ema: FloatArray
    vwap: FloatArray
    vwap_dev_pct: FloatArray
    vwap_dev_std: FloatArray
    volume_z: FloatArray
    high_n: FloatArray
    low_n: FloatArray
    prev_high_n: FloatArray
    prev_low_n: FloatArray
    ready: npt.NDArray[np.bool_]

    def snapshot(self, i: int) -> IndicatorSnapshot:
        """i-й бар 1-D ряду як `IndicatorSnapshot`."""
        floats = {name: float(col[i]) for name, col in zip(self._fields[1:-1], self[1:-1], strict=True)}
        return IndicatorSnapshot(open_time=int(self.open_time[i]), ready=bool(self.ready[i]), **floats)


def warmup_bars(
    rsi_period: int, atr_period: int, ema_period: int, vwap_window: int, volume_window: int, hl_window: int
) -> int:
    """Скільки барів потрібно, щоб усі поля знімка стали визначеними."""
    return max(rsi_period + 1, atr_period + 1, ema_period, vwap_window, volume_window + 1, hl_window + 1)


# ── Інкрементний набір ──


class IndicatorBundle:
    """Усі індикатори Stage1 для одного символу й таймфрейму."""

    __slots__ = ("params", "warmup", "_n", "_rsi", "_atr", "_ema", "_vwap", "_vol", "_don", "last")
    name = "IndicatorBundle"

    def __init__(
        self,
        rsi_period: int = 14,
        atr_period: int = 14,
        ema_period: int = 20,
        vwap_window: int = 60,
        volume_window: int = 60,
        hl_window: int = 60,
    ) -> None:
        self._rsi = RSI(rsi_period)
        self._atr = ATR(atr_period)
        self._ema = EMA(ema_period)
        self._vwap = RollingVWAP(vwap_window)
        self._vol = VolumeZScore(volume_window)
        self._don = Donchian(hl_window)
        self.params = {
            "rsi_period": rsi_period,
            "atr_period": atr_period,
            "ema_period": ema_period,
            "vwap_window": vwap_window,
            "volume_window": volume_window,
            "hl_window": hl_window,
        }
        self.warmup = warmup_bars(rsi_period, atr_period, ema_period, vwap_window, volume_window, hl_window)
        self._n = 0
        self.last: IndicatorSnapshot | None = None

    def _check(self, bar: Bar) -> None:
        if not isfinite(bar.high + bar.low + bar.close + bar.volume):
            for field in ("high", "low", "close", "volume"):
                value = getattr(bar, field)
                if not isfinite(value):
                    raise IndicatorInputError(self.name, field, value)

    def update(self, bar: Bar) -> IndicatorSnapshot:
        """Фіксує закритий бар у всіх індикаторах; повертає знімок."""
        self._check(bar)
        c = bar.close
        r = self._rsi._update(c)
        a = self._atr._update(bar)
        e = self._ema._update(c)
        vwap = self._vwap
        vw = vwap._update(bar)
        z = self._vol._update(bar.volume)
        don = self._don
        don._update(bar)
        self._n += 1
        snap = _snapshot(
            bar.open_time,
            c,
            r,
            a,
            100.0 * a / c,
            e,
            vw,
            100.0 * (c - vw) / vw,
            deviation_std(c, vw, vwap._std),
            z,
            don.high,
            don.low,
            don.prev_high,
            don.prev_low,
            self._n >= self.warmup,
        )
        self.last = snap
        return snap

    def peek(self, bar: Bar) -> IndicatorSnapshot:
        """Знімок, якби `bar` (напр. ще відкритий) був наступним; стан не змінюється."""
        self._check(bar)
        c = bar.close
        a = self._atr._next(bar.high, bar.low)[1]
        vw, std = self._vwap._calc(bar)
        vol = self._vol
        don = self._don
        hi, lo = don._win.peek(bar.high, bar.low)
        return _snapshot(
            bar.open_time,
            c,
            self._rsi._next(c)[2],
            a,
            100.0 * a / c,
            self._ema._next(c)[1],
            vw,
            100.0 * (c - vw) / vw,
            deviation_std(c, vw, std),
            zscore(bar.volume, vol._mean, vol._std),
            hi,
            lo,
            don.high,
            don.low,
            self._n + 1 >= self.warmup,
        )

    @property
    def ready(self) -> bool:
        """Чи всі індикатори пройшли прогрів."""
        return self._n >= self.warmup

    @property
    def count(self) -> int:
        """Скільки закритих барів зафіксовано."""
        return self._n

    def reset(self) -> None:
        """Початковий стан усіх індикаторів."""
        for ind in (self._rsi, self._atr, self._ema, self._vwap, self._vol, self._don):
            ind.reset()
        self._n = 0
        self.last = None

    def copy(self) -> Self:
        """Незалежна копія."""
        return _copy.deepcopy(self)


# ── Batch-двійник ──


def compute_all(
    bars: BarArrays,
    rsi_period: int = 14,
    atr_period: int = 14,
    ema_period: int = 20,
    vwap_window: int = 60,
    volume_window: int = 60,
    hl_window: int = 60,
) -> IndicatorSeries:
    """Усі поля `IndicatorBundle` для кожного бару. Стовпці — (n,) або (m, n) (m символів однакової довжини).

    Вхід переводиться в блокову розкладку один раз; вікна, що дорівнюють `vwap_window`, її перевикористовують."""
    name = "compute_all"
    for label, value in (
        ("rsi_period", rsi_period),
        ("atr_period", atr_period),
        ("ema_period", ema_period),
        ("vwap_window", vwap_window),
        ("volume_window", volume_window),
        ("hl_window", hl_window),
    ):
        check_period(name, label, value)
    h = check_array(name, "high", bars.high)
    lo = check_array(name, "low", bars.low)
    c = check_array(name, "close", bars.close)
    v = check_array(name, "volume", bars.volume)
    check_same_shape(name, high=h, low=lo, close=c, volume=v)
    t = np.asarray(bars.open_time, dtype=np.int64)
    n = c.shape[-1]
    warm = warmup_bars(rsi_period, atr_period, ema_period, vwap_window, volume_window, hl_window)
    ready = np.zeros(c.shape, dtype=np.bool_)
    ready[..., warm - 1 :] = True
    if n == 0:
        e = c.copy()
        return IndicatorSeries(t, c, e, e, e, e, e, e, e, e, e, e, e, e, ready)
    two = (lambda x: x[None, :]) if c.ndim == 1 else (lambda x: x)
    h2, l2, c2 = two(h), two(lo), two(c)

    hb, lay = B.to_blocks(h, vwap_window)
    lb = B.blocks_like(lo, lay)
    cb = B.blocks_like(c, lay)
    vb = B.blocks_like(v, lay)

    # Порядок важить для пам'яті: спершу кроки з найбільшою кількістю тимчасових масивів,
    # поки готових виходів ще мало (свіжі сторінки пам'яті тут дорожчі за саму арифметику).
    if volume_window == vwap_window:
        vz = B.from_blocks(next_zscore_blocks(vb), lay, shift=1)
    else:
        vz = volume_zscore(v, volume_window)
    # Далі блоки обсягу більше не потрібні — VWAP псує їх на місці замість копії.
    vw_b, std_b = rolling_vwap_blocks(hb, lb, cb, vb, lay, consume_volume=True)
    del vb
    dev_pct_b, dev_std_b = vwap_deviation_blocks(cb, vw_b, std_b)
    vwap_out = (B.from_blocks(vw_b, lay), B.from_blocks(dev_pct_b, lay), B.from_blocks(dev_std_b, lay))
    del vw_b, dev_pct_b, dev_std_b, std_b
    tr_b = true_range_blocks(hb, lb, cb)
    if hl_window == vwap_window:
        hi, prev_hi = B.from_blocks_with_prev(B.window_inplace(hb, np.maximum), lay)
        del hb
        low_n, prev_lo = B.from_blocks_with_prev(B.window_inplace(lb, np.minimum), lay)
        del lb
    else:
        del hb, lb
        hi = rolling_high(h, hl_window)
        low_n = rolling_low(lo, hl_window)
        prev_hi, prev_lo = shift1(hi), shift1(low_n)
    atr_v = B.from_blocks(atr_blocks(h2, l2, c2, tr_b, lay, atr_period), lay)
    del tr_b
    rsi_v = B.from_blocks(rsi_blocks(c2, cb, lay, rsi_period), lay)
    ema_v = B.from_blocks(ema_blocks(c2, cb, lay, ema_period), lay)
    del cb
    atr_pct = 100.0 * atr_v
    atr_pct /= c
    return IndicatorSeries(
        t,
        c,
        rsi_v,
        atr_v,
        atr_pct,
        ema_v,
        *vwap_out,
        vz,
        hi,
        low_n,
        prev_hi,
        prev_lo,
        ready,
    )


__all__ = ["IndicatorBundle", "IndicatorSeries", "IndicatorSnapshot", "compute_all", "warmup_bars"]
