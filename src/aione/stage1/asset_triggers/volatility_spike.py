"""Тригер сплеску волатильності.

Правило: true range бару як частка ціни (`tr_frac`) ≥ `volatility_k` × медіана тієї ж
величини за попередні `volatility_window` закритих барів (`tr_median`; поточний бар у
медіану не входить — сплеск не розмиває власну базу). Поки вікно не заповнене або медіана
дорівнює 0 (застиглий ринок), тригер мовчить: відношення до нуля нічого не каже.
Напрям — напрям бару (close проти open); дожі дає None. Знімок ATR% подано в числах.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aione.config.config import TRIGGER_TAG_VOLATILITY
from aione.stage1.asset_triggers.base import (
    BatchFires,
    BatchInput,
    Fired,
    Rows,
    TriggerInput,
    TriggerResult,
    TriggerSpec,
    bar_dir_codes,
    fired_tuple,
    scalar_direction,
)


# ── Правило на скалярах (спільне для обох форм) ──
def details(
    open_: float, close: float, tr_frac: float, med: float, atr_frac: float, th: Mapping[str, Any]
) -> list[Fired]:
    """Спрацювання на одному барі (TR% бару, медіана TR% попередніх барів, ATR%, пороги стану)."""
    if not med > 0:  # також NaN (вікно не заповнене)
        return []
    ratio = tr_frac / med
    k = th["volatility_k"]
    if not ratio >= k or not math.isfinite(ratio):
        return []
    values = {"range": tr_frac, "median_range": med, "ratio": ratio, "threshold": k}
    if math.isfinite(atr_frac):
        values["atr_pct"] = atr_frac
    return [fired_tuple("volatility_spike", scalar_direction(open_, close), values)]


# ── Інкрементна форма ──
class VolatilitySpikeTrigger:
    """Без власного стану: медіану веде монітор (вона ж потрібна для стану ринку)."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        hits = details(inp.bar.open, inp.bar.close, inp.tr_frac, inp.tr_median, inp.atr_frac, th)
        return [TriggerResult(*h) for h in hits]

    def reset(self) -> None:
        """Стану немає."""


def _factory(params: Mapping[str, Any]) -> VolatilitySpikeTrigger:
    return VolatilitySpikeTrigger()


# ── Пакетна форма ──
def _row_details(i: int, k: int, col: Rows, th: Mapping[str, Any]) -> list[Fired]:
    return details(
        col["bar_open"][k],
        col["bar_close"][k],
        col["tr_frac"][k],
        col["tr_median"][k],
        col["atr_frac"][k],
        th,
    )


def batch(inp: BatchInput) -> BatchFires:
    """Маска на всіх барах; напрям — напрям бару."""
    s = inp.s
    med = s.tr_median
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = s.tr_frac / med
        fire = (med > 0) & (ratio >= inp.th("volatility_k")) & np.isfinite(ratio)
    return BatchFires({"volatility_burst": (fire, bar_dir_codes(inp.bars))}, _row_details)


SPEC = TriggerSpec(tag=TRIGGER_TAG_VOLATILITY, raw_names=("volatility_spike",), factory=_factory, batch=batch)

__all__ = ["SPEC", "VolatilitySpikeTrigger", "batch", "details"]
