"""Тригер сплеску відкритого інтересу (`oi_surge`) — інкрементна і пакетна форми поруч.

Правило: |z| зміни OI за `oi_window_min` хв ≥ `oi_z_threshold` і |зміна OI| ≥ `oi_min_change_pct` %
(z і зміну дає `DerivContext`: z — щодо `oi_z_points` попередніх точок OI). Напрям — напрям ціни за
те саме вікно (`oi_window_min` барів монітора; для 1m — хвилини): зміна close більша за
`oi_price_flat_pct` % → `oi_surge_up` / `oi_surge_down`, менша — `oi_surge` без напряму (позиції
набирають, а ціна стоїть). Без знімка деривативів, без OI або без ціни початку вікна — не спрацьовує.
Стан — закриття останніх закритих барів (для ціни початку вікна); відкритий бар його не змінює.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.config.config import TRIGGER_TAG_OI_SURGE
from aione.data.bars import BarArrays
from aione.signals.deriv_context import DerivColumns
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


# ── Правило на скалярах (спільне для обох форм) ──
def check(oi_change: float, oi_z: float, close: float, ref: float, p: Mapping[str, Any]) -> FiredT | None:
    """(сира назва, напрям, числа) або None."""
    if not (
        abs(oi_z) >= deriv_param(p, "oi_z_threshold")
        and abs(oi_change) >= deriv_param(p, "oi_min_change_pct")
    ):
        return None
    if not ref > 0:
        return None
    price_change = (close / ref - 1.0) * 100.0
    values = {"oi_change_pct": oi_change, "oi_z": oi_z, "price_change_pct": price_change}
    flat = deriv_param(p, "oi_price_flat_pct")
    if price_change >= flat:
        return ("oi_surge_up", UP, values)
    if price_change <= -flat:
        return ("oi_surge_down", DOWN, values)
    return ("oi_surge", None, values)


def window_bars(p: Mapping[str, Any]) -> int:
    """Вікно ціни в барах монітора (= хвилинах вікна OI для 1m)."""
    return max(1, int(deriv_param(p, "oi_window_min")))


# ── Інкрементна форма ──
class OiSurgeTrigger:
    """Стан — закриття останніх `window_bars` закритих барів."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)
        self.closes: deque[float] = deque(maxlen=window_bars(params))

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        closes = self.closes
        ref = closes[0] if len(closes) == closes.maxlen else _NAN
        if inp.closed:
            closes.append(inp.bar.close)
        d = inp.deriv
        if d is None or d.oi_z is None or d.oi_change_pct is None:
            return ()
        hit = check(d.oi_change_pct, d.oi_z, inp.bar.close, ref, self.params)
        return () if hit is None else [fired(*hit)]

    def reset(self) -> None:
        self.closes.clear()


def _factory(params: Mapping[str, Any]) -> OiSurgeTrigger:
    return OiSurgeTrigger(params)


# ── Пакетна форма ──
def _ref(s: Stage1Series, n: int) -> npt.NDArray[np.float64]:
    ref = np.full(s.close.shape[0], _NAN)
    if s.close.shape[0] > n:
        ref[n:] = s.close[:-n]
    return np.where(s.local >= n, ref, _NAN)


def batch_masks(
    bars: BarArrays, s: Stage1Series, d: DerivColumns, p: Mapping[str, Any]
) -> dict[str, tuple[BoolArray, int]]:
    """Маски спрацювань на всіх барах (нормалізована назва → (маска, код напряму))."""
    ref = _ref(s, window_bars(p))
    with np.errstate(invalid="ignore", divide="ignore"):
        hit = (np.abs(d.oi_z) >= deriv_param(p, "oi_z_threshold")) & (
            np.abs(d.oi_change_pct) >= deriv_param(p, "oi_min_change_pct")
        )
        hit &= ref > 0
        pc = (s.close / ref - 1.0) * 100.0
        flat = deriv_param(p, "oi_price_flat_pct")
        up = pc >= flat
        down = pc <= -flat
    return {
        "oi_surge_up": (hit & up, 1),
        "oi_surge_down": (hit & down, -1),
        "oi_surge": (hit & ~up & ~down, 0),
    }


def batch_details(i: int, s: Stage1Series, d: DerivColumns, p: Mapping[str, Any]) -> list[FiredT]:
    """Спрацювання на барі `i` (для запису нового алерту)."""
    n = window_bars(p)
    ref = float(s.close[i - n]) if int(s.local[i]) >= n else _NAN
    z, chg = float(d.oi_z[i]), float(d.oi_change_pct[i])
    if z != z or chg != chg:  # noqa: PLR0124 — NaN: OI невідомий
        return []
    hit = check(chg, z, float(s.close[i]), ref, p)
    return [] if hit is None else [hit]


def batch(inp: BatchInput) -> BatchFires:
    """Пакетна форма: без полів знімка деривативів масок немає (як монітор без джерела рядів)."""
    return deriv_batch(
        inp, lambda d: batch_masks(inp.bars, inp.s, d, inp.p), lambda i, d: batch_details(i, inp.s, d, inp.p)
    )


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_OI_SURGE,
    raw_names=("oi_surge_up", "oi_surge_down", "oi_surge"),
    factory=_factory,
    batch=batch,
)


__all__ = ["SPEC", "batch", "OiSurgeTrigger", "batch_details", "batch_masks", "check", "window_bars"]
