"""Тригер крайнього фінансування (`funding_extreme`) — інкрементна і пакетна форми поруч.

Правило (перцентиль — середній ранг ставки серед історії символу, `DerivContext.funding_pct_rank`):
- перцентиль ≥ `funding_pct_high` і ставка ≥ `funding_high_min` → `funding_extreme_high`, напрям
  down: лонги переплачують, натовп з одного боку — ризик зсуву вниз;
- перцентиль ≤ `funding_pct_low` і ставка ≤ `funding_low_max` → `funding_extreme_low`, напрям up.
Без знімка деривативів або без марк-ряду (ставка чи перцентиль невідомі) — не спрацьовує. Стану немає.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.config.config import TRIGGER_TAG_FUNDING
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

BoolArray = npt.NDArray[np.bool_]
FiredT = tuple[str, str | None, dict[str, float]]


# ── Правило на скалярах ──
def check(rate: float, rank: float, p: Mapping[str, Any]) -> FiredT | None:
    """(сира назва, напрям, числа) або None."""
    values = {"funding_rate": rate, "funding_pct_rank": rank}
    if rank >= deriv_param(p, "funding_pct_high") and rate >= deriv_param(p, "funding_high_min"):
        return ("funding_extreme_high", DOWN, values)
    if rank <= deriv_param(p, "funding_pct_low") and rate <= deriv_param(p, "funding_low_max"):
        return ("funding_extreme_low", UP, values)
    return None


# ── Інкрементна форма ──
class FundingExtremeTrigger:
    """Без стану: усе є у знімку деривативів."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        d = inp.deriv
        if d is None or d.funding_rate is None or d.funding_pct_rank is None:
            return ()
        hit = check(d.funding_rate, d.funding_pct_rank, self.params)
        return () if hit is None else [fired(*hit)]

    def reset(self) -> None:
        """Стану немає."""


def _factory(params: Mapping[str, Any]) -> FundingExtremeTrigger:
    return FundingExtremeTrigger(params)


# ── Пакетна форма ──
def batch_masks(
    bars: BarArrays, s: Stage1Series, d: DerivColumns, p: Mapping[str, Any]
) -> dict[str, tuple[BoolArray, int]]:
    """Маски спрацювань на всіх барах."""
    rate, rank = d.funding_rate, d.funding_pct_rank
    with np.errstate(invalid="ignore"):
        high = (rank >= deriv_param(p, "funding_pct_high")) & (rate >= deriv_param(p, "funding_high_min"))
        low = (
            ~high & (rank <= deriv_param(p, "funding_pct_low")) & (rate <= deriv_param(p, "funding_low_max"))
        )
    return {"funding_extreme_high": (high, -1), "funding_extreme_low": (low, 1)}


def batch_details(i: int, s: Stage1Series, d: DerivColumns, p: Mapping[str, Any]) -> list[FiredT]:
    """Спрацювання на барі `i`."""
    rate, rank = float(d.funding_rate[i]), float(d.funding_pct_rank[i])
    if rate != rate or rank != rank:  # noqa: PLR0124 — NaN: фінансування невідоме
        return []
    hit = check(rate, rank, p)
    return [] if hit is None else [hit]


def batch(inp: BatchInput) -> BatchFires:
    """Пакетна форма: без полів знімка деривативів масок немає (як монітор без джерела рядів)."""
    return deriv_batch(
        inp, lambda d: batch_masks(inp.bars, inp.s, d, inp.p), lambda i, d: batch_details(i, inp.s, d, inp.p)
    )


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_FUNDING,
    raw_names=("funding_extreme_high", "funding_extreme_low"),
    factory=_factory,
    batch=batch,
)


__all__ = ["SPEC", "batch", "FundingExtremeTrigger", "batch_details", "batch_masks", "check"]
