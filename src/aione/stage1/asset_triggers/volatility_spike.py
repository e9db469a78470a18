"""Тригер сплеску волатильності.

Правило: true range бару як частка ціни (`tr_frac`) ≥ `volatility_k` × медіана тієї ж
величини за попередні `volatility_window` закритих барів (`tr_median`; поточний бар у
медіану не входить — сплеск не розмиває власну базу). Поки вікно не заповнене або медіана
дорівнює 0 (застиглий ринок), тригер мовчить: відношення до нуля нічого не каже.
Напрям — напрям бару (close проти open); дожі дає None. Знімок ATR% подано в числах.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aione.config.config import TRIGGER_TAG_VOLATILITY
from aione.stage1.asset_triggers.base import (
    TriggerInput,
    TriggerResult,
    TriggerSpec,
    bar_direction,
    finite,
    fired,
)


# ── Тригер ──
class VolatilitySpikeTrigger:
    """Без власного стану: медіану веде монітор (вона ж потрібна для стану ринку)."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        med = inp.tr_median
        if not med > 0:  # також NaN (вікно не заповнене)
            return ()
        ratio = inp.tr_frac / med
        k = th["volatility_k"]
        if not ratio >= k or not finite(ratio):
            return ()
        values = {"range": inp.tr_frac, "median_range": med, "ratio": ratio, "threshold": k}
        if finite(inp.atr_frac):
            values["atr_pct"] = inp.atr_frac
        return [fired("volatility_spike", bar_direction(inp.bar), values)]

    def reset(self) -> None:
        """Стану немає."""


def _factory(params: Mapping[str, Any]) -> VolatilitySpikeTrigger:
    return VolatilitySpikeTrigger()


SPEC = TriggerSpec(tag=TRIGGER_TAG_VOLATILITY, raw_names=("volatility_spike",), factory=_factory)

__all__ = ["SPEC", "VolatilitySpikeTrigger"]
