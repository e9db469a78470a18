"""Тригер скупчення ліквідацій (`liquidation_cluster`) — інкрементна і пакетна форми поруч.

Правило: за останні `liq_window_min` хв (`DerivContext.liq_long_usd` + `liq_short_usd`) ліквідовано
≥ `liq_min_usd` USDT, це ≥ `liq_volume_share` обороту тих самих `liq_window_min` барів монітора
(поточний включно; оборот бару — quote_volume, без нього volume × (high + low + close) / 3, як у
моніторі), і один бік дає ≥ `liq_side_share` суми. Напрям — проти ліквідованих (каскад виснажує бік):
ліквідації лонгів → `liquidation_cluster_long`, up; шортів → `liquidation_cluster_short`, down.
Без знімка деривативів чи без ряду ліквідацій — не спрацьовує. Стан — оборот останніх закритих барів.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.config.config import TRIGGER_TAG_LIQUIDATIONS
from aione.data.bars import Bar, BarArrays
from aione.signals.deriv_context import DerivColumns
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
FiredT = tuple[str, str | None, dict[str, float]]


# ── Правило на скалярах ──
def bar_turnover(volume: float, quote: float, high: float, low: float, close: float) -> float:
    """Оборот бару в USDT (як `volume_usd` монітора)."""
    return quote if quote > 0 else volume * (high + low + close) / 3.0


def check(long_usd: float, short_usd: float, turnover: float, p: Mapping[str, Any]) -> FiredT | None:
    """(сира назва, напрям, числа) або None; `turnover` — оборот вікна (NaN — невідомий)."""
    total = long_usd + short_usd
    if not (
        total >= deriv_param(p, "liq_min_usd") and total >= deriv_param(p, "liq_volume_share") * turnover
    ):
        return None
    side = deriv_param(p, "liq_side_share")
    values = {"liq_long_usd": long_usd, "liq_short_usd": short_usd, "turnover_usd": turnover}
    if long_usd >= side * total:
        return ("liquidation_cluster_long", UP, values)
    if short_usd >= side * total:
        return ("liquidation_cluster_short", DOWN, values)
    return None


def window_bars(p: Mapping[str, Any]) -> int:
    """Вікно обороту в барах монітора (= хвилинах вікна ліквідацій для 1m)."""
    return max(1, int(deriv_param(p, "liq_window_min")))


# ── Інкрементна форма ──
class LiquidationClusterTrigger:
    """Стан — оборот останніх `window_bars − 1` закритих барів."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)
        self.n = window_bars(params)
        self.turnover: deque[float] = deque(maxlen=max(self.n - 1, 0))

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        b: Bar = inp.bar
        cur = bar_turnover(b.volume, b.quote_volume, b.high, b.low, b.close)
        past = list(self.turnover)
        if inp.closed and self.n > 1:
            self.turnover.append(cur)
        d = inp.deriv
        if d is None or d.liq_long_usd is None or d.liq_short_usd is None:
            return ()
        total = seq_sum([*past, cur]) if len(past) == self.n - 1 else _NAN
        hit = check(d.liq_long_usd, d.liq_short_usd, total, self.params)
        return () if hit is None else [fired(*hit)]

    def reset(self) -> None:
        self.turnover.clear()


def _factory(params: Mapping[str, Any]) -> LiquidationClusterTrigger:
    return LiquidationClusterTrigger(params)


# ── Пакетна форма ──
def _turnover(bars: BarArrays) -> npt.NDArray[np.float64]:
    q = np.asarray(bars.quote_volume, dtype=np.float64)
    est = bars.volume * (bars.high + bars.low + bars.close) / 3.0
    out: npt.NDArray[np.float64] = np.where(q > 0, q, est)
    return out


def _window_turnover(bars: BarArrays, s: Stage1Series, n: int) -> npt.NDArray[np.float64]:
    size = s.close.shape[0]
    out = np.full(size, _NAN)
    sums = shift_sums(_turnover(bars), n)
    if sums.shape[0]:
        out[n - 1 :] = sums
    return np.where(s.local >= n - 1, out, _NAN)


def batch_masks(
    bars: BarArrays, s: Stage1Series, d: DerivColumns, p: Mapping[str, Any]
) -> dict[str, tuple[BoolArray, int]]:
    """Маски спрацювань на всіх барах."""
    n = s.close.shape[0]
    if not d.has_liq:
        zero = np.zeros(n, dtype=bool)
        return {"liquidation_cluster_long": (zero, 1), "liquidation_cluster_short": (zero, -1)}
    turnover = _window_turnover(bars, s, window_bars(p))
    long_usd, short_usd = d.liq_long_usd, d.liq_short_usd
    total = long_usd + short_usd
    with np.errstate(invalid="ignore"):
        hit = (total >= deriv_param(p, "liq_min_usd")) & (
            total >= deriv_param(p, "liq_volume_share") * turnover
        )
        side = deriv_param(p, "liq_side_share")
        long_ = hit & (long_usd >= side * total)
        short = hit & ~long_ & (short_usd >= side * total)
    return {"liquidation_cluster_long": (long_, 1), "liquidation_cluster_short": (short, -1)}


def batch_details(
    i: int, bars: BarArrays, s: Stage1Series, d: DerivColumns, p: Mapping[str, Any]
) -> list[FiredT]:
    """Спрацювання на барі `i`."""
    if not d.has_liq:
        return []
    n = window_bars(p)
    total = _NAN
    if int(s.local[i]) >= n - 1:
        total = seq_sum(
            [
                bar_turnover(
                    float(bars.volume[j]),
                    float(bars.quote_volume[j]),
                    float(bars.high[j]),
                    float(bars.low[j]),
                    float(bars.close[j]),
                )
                for j in range(i - n + 1, i + 1)
            ]
        )
    hit = check(float(d.liq_long_usd[i]), float(d.liq_short_usd[i]), total, p)
    return [] if hit is None else [hit]


def batch(inp: BatchInput) -> BatchFires:
    """Пакетна форма: без полів знімка деривативів масок немає (як монітор без джерела рядів)."""
    return deriv_batch(
        inp,
        lambda d: batch_masks(inp.bars, inp.s, d, inp.p),
        lambda i, d: batch_details(i, inp.bars, inp.s, d, inp.p),
    )


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_LIQUIDATIONS,
    raw_names=("liquidation_cluster_long", "liquidation_cluster_short"),
    factory=_factory,
    batch=batch,
)


__all__ = [
    "SPEC",
    "batch",
    "LiquidationClusterTrigger",
    "bar_turnover",
    "batch_details",
    "batch_masks",
    "check",
    "window_bars",
]
