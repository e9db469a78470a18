"""Тригер відхилення від VWAP.

Правило: |close − VWAP| / VWAP ≥ `vwap_deviation` (частка) І відхилення у стандартних
відхиленнях ціни навколо VWAP (`vwap_dev_std` з `aione.indicators`) ≥ `vwap_min_std`.
Поріг у частках задає клас активу (`VWAP_DEVIATION_BY_CLASS` за `ASSET_CLASS_MAPPING`; монітор
підставляє його в пороги, якщо символ не має явного перевизначення). Друга умова — бо на 1m
годинний VWAP BTC щохвилини лежить на 0.1 % від ціни: без неї тригер горів би на третині барів
(перевірено на binance-um-1m-2025-05), а трейдер вважає незвичним лише вихід за смугу розкиду.
Якщо розкид вікна нульовий (уся торгівля за однією ціною), будь-яке відхилення вважається
незвичним. Напрям — бік відхилення: ціна вище VWAP → up.
VWAP — ковзний за `vwap_window` барів (`aione.indicators.RollingVWAP`); поки він невідомий
або ≤ 0 (нульовий обсяг усього вікна), тригер мовчить.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aione.config.config import TRIGGER_TAG_VWAP
from aione.stage1.asset_triggers.base import DOWN, UP, TriggerInput, TriggerResult, TriggerSpec, finite, fired


# ── Тригер ──
class VwapDeviationTrigger:
    """Без стану."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        vwap = inp.snap.vwap
        if not vwap > 0:  # також NaN
            return ()
        dev = (inp.bar.close - vwap) / vwap
        thr = th["vwap_deviation"]
        if not abs(dev) >= thr or dev == 0.0 or not finite(vwap):
            return ()
        dev_std = inp.snap.vwap_dev_std
        min_std = th["vwap_min_std"]
        # std = 0 (усе вікно за однією ціною) дає dev_std = 0: будь-яке відхилення тоді незвичне.
        if dev_std != 0.0 and not abs(dev_std) >= min_std:
            return ()
        values = {
            "close": inp.bar.close,
            "vwap": vwap,
            "deviation": dev,
            "threshold": thr,
            "deviation_std": dev_std,
            "min_std": min_std,
        }
        return [fired("vwap_deviation", UP if dev > 0 else DOWN, values)]

    def reset(self) -> None:
        """Стану немає."""


def _factory(params: Mapping[str, Any]) -> VwapDeviationTrigger:
    return VwapDeviationTrigger()


SPEC = TriggerSpec(tag=TRIGGER_TAG_VWAP, raw_names=("vwap_deviation",), factory=_factory)

__all__ = ["SPEC", "VwapDeviationTrigger"]
