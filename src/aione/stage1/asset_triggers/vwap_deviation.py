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

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aione.config.config import TRIGGER_TAG_VWAP
from aione.stage1.asset_triggers.base import (
    DOWN,
    DOWN_CODE,
    UP,
    UP_CODE,
    BatchFires,
    BatchInput,
    Fired,
    Rows,
    TriggerInput,
    TriggerResult,
    TriggerSpec,
    fired_tuple,
)


# ── Правило на скалярах (спільне для обох форм) ──
def details(close: float, vwap: float, dev_std: float, th: Mapping[str, Any]) -> list[Fired]:
    """Спрацювання на одному барі (close, VWAP, відхилення в std, пороги стану)."""
    if not vwap > 0:  # також NaN
        return []
    dev = (close - vwap) / vwap
    thr = th["vwap_deviation"]
    if not abs(dev) >= thr or dev == 0.0 or not math.isfinite(vwap):
        return []
    min_std = th["vwap_min_std"]
    # std = 0 (усе вікно за однією ціною) дає dev_std = 0: будь-яке відхилення тоді незвичне.
    if dev_std != 0.0 and not abs(dev_std) >= min_std:
        return []
    values = {
        "close": close,
        "vwap": vwap,
        "deviation": dev,
        "threshold": thr,
        "deviation_std": dev_std,
        "min_std": min_std,
    }
    return [fired_tuple("vwap_deviation", UP if dev > 0 else DOWN, values)]


# ── Інкрементна форма ──
class VwapDeviationTrigger:
    """Без стану."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        hits = details(inp.bar.close, inp.snap.vwap, inp.snap.vwap_dev_std, th)
        return [TriggerResult(*h) for h in hits]

    def reset(self) -> None:
        """Стану немає."""


def _factory(params: Mapping[str, Any]) -> VwapDeviationTrigger:
    return VwapDeviationTrigger()


# ── Пакетна форма ──
def _row_details(i: int, k: int, col: Rows, th: Mapping[str, Any]) -> list[Fired]:
    return details(col["bar_close"][k], col["vwap"][k], col["vwap_dev_std"][k], th)


def batch(inp: BatchInput) -> BatchFires:
    """Маска на всіх барах; напрям — бік відхилення."""
    s = inp.s
    vw = s.vwap
    ds = s.vwap_dev_std
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = (s.close - vw) / vw
        fire = (vw > 0) & (np.abs(dev) >= inp.th("vwap_deviation")) & (dev != 0.0) & np.isfinite(vw)
        fire &= (ds == 0.0) | (np.abs(ds) >= inp.th("vwap_min_std"))
    direction = np.where(dev > 0, UP_CODE, DOWN_CODE).astype(np.int8)
    return BatchFires({"vwap_deviation": (fire, direction)}, _row_details)


SPEC = TriggerSpec(tag=TRIGGER_TAG_VWAP, raw_names=("vwap_deviation",), factory=_factory, batch=batch)

__all__ = ["SPEC", "VwapDeviationTrigger", "batch", "details"]
