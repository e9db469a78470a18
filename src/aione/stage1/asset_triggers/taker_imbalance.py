"""Тригер дисбалансу тейкерів (`taker_imbalance`): нахил CVD проти ціни — обидві форми поруч.

Дані — колонки самих барів: дельта бару = 2 · taker_buy − обсяг (CVD — її накопичена сума).
За останні `taker_window_bars` барів (поточний включно) відношення Σдельта / Σобсяг ≥
`taker_ratio_min` за модулем, а ціна за ці бари (close поточного проти close бару перед вікном)
пройшла в бік потоку менше за `taker_follow_atr` ATR — потік поглинуто, ціна за ним не пішла.
Напрям — бік потоку: купують → `taker_buy_imbalance`, up; продають → `taker_sell_imbalance`, down.
Працює лише зі знімком деривативів (монітор має джерело рядів, бектест — записані ряди): так
рішення на самих барах лишаються такими, як були. Невідомий taker-buy (NaN; синтетичний нуль
без угод) хоч в одному барі вікна — не спрацьовує. Стан — дельти, обсяги і закриття закритих барів.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.config.config import TRIGGER_TAG_TAKER
from aione.data.bars import BarArrays
from aione.signals.deriv_context import taker_known
from aione.signals.deriv_math import seq_sum, shift_sums
from aione.stage1.asset_triggers.base import (
    DOWN,
    UP,
    BatchFires,
    BatchInput,
    TriggerInput,
    TriggerResult,
    TriggerSpec,
    deriv_batch,
    deriv_param,
    fired,
)
from aione.stage1.batch_series import Stage1Series

_NAN = float("nan")
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
FiredT = tuple[str, str | None, dict[str, float]]


# ── Правило на скалярах ──
def delta(taker: float, volume: float, trades: int) -> float:
    """Дельта бару 2 · taker_buy − обсяг; NaN, коли taker-buy невідомий."""
    return 2.0 * taker - volume if taker_known(taker, trades) else _NAN


def check(
    cvd: float, volume: float, close: float, ref: float, atr: float, p: Mapping[str, Any]
) -> FiredT | None:
    """(сира назва, напрям, числа) або None: `cvd`, `volume` — суми вікна, `ref` — close перед вікном."""
    if not (volume > 0 and atr > 0 and ref > 0):
        return None
    ratio = cvd / volume
    if not abs(ratio) >= deriv_param(p, "taker_ratio_min"):
        return None
    move_atr = (close - ref) / atr
    follow = move_atr if ratio > 0 else -move_atr
    if not follow < deriv_param(p, "taker_follow_atr"):
        return None
    values = {"cvd_ratio": ratio, "price_move_atr": move_atr}
    return ("taker_buy_imbalance", UP, values) if ratio > 0 else ("taker_sell_imbalance", DOWN, values)


def window_bars(p: Mapping[str, Any]) -> int:
    return max(1, int(deriv_param(p, "taker_window_bars")))


# ── Інкрементна форма ──
class TakerImbalanceTrigger:
    """Стан — дельти й обсяги останніх `n − 1` закритих барів і закриття останніх `n`."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)
        self.n = window_bars(params)
        self.deltas: deque[float] = deque(maxlen=max(self.n - 1, 0))
        self.volumes: deque[float] = deque(maxlen=max(self.n - 1, 0))
        self.closes: deque[float] = deque(maxlen=self.n)

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        b = inp.bar
        cur_d = delta(b.taker_buy_volume, b.volume, b.trades)
        deltas, volumes, closes = list(self.deltas), list(self.volumes), self.closes
        ref = closes[0] if len(closes) == self.n else _NAN
        if inp.closed:
            if self.n > 1:
                self.deltas.append(cur_d)
                self.volumes.append(b.volume)
            closes.append(b.close)
        if inp.deriv is None or len(deltas) != self.n - 1:
            return ()
        hit = check(
            seq_sum([*deltas, cur_d]), seq_sum([*volumes, b.volume]), b.close, ref, inp.snap.atr, self.params
        )
        return () if hit is None else [fired(*hit)]

    def reset(self) -> None:
        self.deltas.clear()
        self.volumes.clear()
        self.closes.clear()


def _factory(params: Mapping[str, Any]) -> TakerImbalanceTrigger:
    return TakerImbalanceTrigger(params)


# ── Пакетна форма ──
def bar_deltas(bars: BarArrays) -> FloatArray:
    """Дельти всіх барів (NaN — taker-buy невідомий), як `delta`."""
    tb = np.asarray(bars.taker_buy_volume, dtype=np.float64)
    trades = np.asarray(bars.trades)
    with np.errstate(invalid="ignore"):
        known = np.isfinite(tb) & (tb >= 0.0) & ~((tb == 0.0) & (trades == 0))
    out: FloatArray = np.where(known, 2.0 * tb - bars.volume, _NAN)
    return out


def _windowed(x: FloatArray, s: Stage1Series, n: int) -> FloatArray:
    out = np.full(x.shape[0], _NAN)
    sums = shift_sums(x, n)
    if sums.shape[0]:
        out[n - 1 :] = sums
    return out


def batch_masks(bars: BarArrays, s: Stage1Series, p: Mapping[str, Any]) -> dict[str, tuple[BoolArray, int]]:
    """Маски спрацювань на всіх барах (лише коли є знімок деривативів — це вирішує викликач)."""
    n = window_bars(p)
    size = s.close.shape[0]
    cvd = _windowed(bar_deltas(bars), s, n)
    vol = _windowed(np.asarray(bars.volume, dtype=np.float64), s, n)
    ref = np.full(size, _NAN)
    if size > n:
        ref[n:] = s.close[:-n]
    ok = s.local >= n
    atr = s.atr
    with np.errstate(invalid="ignore", divide="ignore"):
        ok &= (vol > 0) & (atr > 0) & (ref > 0)
        ratio = cvd / vol
        ok &= np.abs(ratio) >= deriv_param(p, "taker_ratio_min")
        move = (s.close - ref) / atr
        follow = np.where(ratio > 0, move, -move)
        ok &= follow < deriv_param(p, "taker_follow_atr")
        buy = ok & (ratio > 0)
    return {"taker_buy_imbalance": (buy, 1), "taker_sell_imbalance": (ok & ~buy, -1)}


def batch_details(i: int, bars: BarArrays, s: Stage1Series, p: Mapping[str, Any]) -> list[FiredT]:
    """Спрацювання на барі `i`."""
    n = window_bars(p)
    if int(s.local[i]) < n:
        return []
    span = range(i - n + 1, i + 1)
    cvd = seq_sum(
        [delta(float(bars.taker_buy_volume[j]), float(bars.volume[j]), int(bars.trades[j])) for j in span]
    )
    vol = seq_sum([float(bars.volume[j]) for j in span])
    hit = check(cvd, vol, float(s.close[i]), float(s.close[i - n]), float(s.atr[i]), p)
    return [] if hit is None else [hit]


def batch(inp: BatchInput) -> BatchFires:
    """Пакетна форма: без полів знімка деривативів масок немає (як монітор без джерела рядів)."""
    return deriv_batch(
        inp,
        lambda _d: batch_masks(inp.bars, inp.s, inp.p),
        lambda i, _d: batch_details(i, inp.bars, inp.s, inp.p),
    )


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_TAKER,
    raw_names=("taker_buy_imbalance", "taker_sell_imbalance"),
    factory=_factory,
    batch=batch,
)


__all__ = [
    "SPEC",
    "batch",
    "TakerImbalanceTrigger",
    "bar_deltas",
    "batch_details",
    "batch_masks",
    "check",
    "delta",
]
