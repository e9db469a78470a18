"""Тригер сплеску обсягу.

Правило: z-скор обсягу бару щодо попередніх `volume_window` барів ≥ `vol_z_threshold`
(z рахує `aione.indicators.VolumeZScore`; при нульовій дисперсії z = 0, тож рівний
обсяг не «сплескує»). Бар з нульовим обсягом не спрацьовує ніколи.
Поділ на bull/bear:
- коли частка taker-buy відома (`taker_buy_volume > 0`), вона вирішує: ≥ `taker_bull_share`
  → `volume_spike_bull`, ≤ 1 − `taker_bull_share` → `volume_spike_bear`;
- інакше (або коли частка в нейтральній смузі) — напрям бару: close > open → bull,
  close < open → bear; дожі без відомої частки дає просто `volume_spike` без напряму.
Окремого порогу «обсяг/ATR» немає: z-скор уже нормує обсяг, а «обсяг без руху ціни»
розпізнає Stage2 як аномалію; відношення діапазону бару до ATR подано в числах (`range_atr`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aione.config.config import TRIGGER_TAG_VOLUME_SPIKE
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
    bar_dir_codes,
    fired_tuple,
    scalar_direction,
)

DEFAULT_TAKER_BULL_SHARE = 0.55  # запасне значення, якщо параметрів монітора немає в порогах


# ── Правило на скалярах (спільне для обох форм) ──
def details(
    open_: float,
    high: float,
    low: float,
    close: float,
    volume: float,
    taker: float,
    z: float,
    atr: float,
    th: Mapping[str, Any],
) -> list[Fired]:
    """Спрацювання на одному барі (числа бару, z обсягу, ATR, пороги стану)."""
    if not z >= th["vol_z_threshold"]:
        return []
    if volume <= 0 or not math.isfinite(z):
        return []
    bull_share = float(th.get("taker_bull_share", DEFAULT_TAKER_BULL_SHARE))
    values: dict[str, float] = {"volume": volume, "volume_z": z, "threshold": th["vol_z_threshold"]}
    direction: str | None = None
    if taker > 0:
        share = taker / volume
        values["taker_buy_share"] = share
        if share >= bull_share:
            direction = UP
        elif share <= 1.0 - bull_share:
            direction = DOWN
    if direction is None:
        direction = scalar_direction(open_, close)
    if math.isfinite(atr) and atr > 0:
        values["range_atr"] = (high - low) / atr
    if direction == UP:
        return [fired_tuple("volume_spike_bull", UP, values)]
    if direction == DOWN:
        return [fired_tuple("volume_spike_bear", DOWN, values)]
    return [fired_tuple("volume_spike", None, values)]


# ── Інкрементна форма ──
class VolumeSpikeTrigger:
    """Без стану: усе потрібне є в знімку індикаторів."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        bar, snap = inp.bar, inp.snap
        hits = details(
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.volume,
            bar.taker_buy_volume,
            snap.volume_z,
            snap.atr,
            th,
        )
        return [TriggerResult(*h) for h in hits]

    def reset(self) -> None:
        """Стану немає."""


# ── Пакетна форма ──
def _row_details(i: int, k: int, col: Rows, th: Mapping[str, Any]) -> list[Fired]:
    return details(
        col["bar_open"][k],
        col["bar_high"][k],
        col["bar_low"][k],
        col["bar_close"][k],
        col["bar_volume"][k],
        col["taker"][k],
        col["volume_z"][k],
        col["atr"][k],
        th,
    )


def batch(inp: BatchInput) -> BatchFires:
    """Маски на всіх барах: bull/bear/без напряму (ті самі порівняння, що в `evaluate`)."""
    bars = inp.bars
    z = inp.s.volume_z
    vol = bars.volume
    taker = bars.taker_buy_volume
    with np.errstate(invalid="ignore", divide="ignore"):
        fire = (z >= inp.th("vol_z_threshold")) & (vol > 0) & np.isfinite(z)
        share = taker / vol
    bull = inp.th("taker_bull_share", DEFAULT_TAKER_BULL_SHARE)
    known = taker > 0
    d = bar_dir_codes(bars)
    d[known & (share >= bull)] = UP_CODE
    d[known & ~(share >= bull) & (share <= 1.0 - bull)] = DOWN_CODE
    masks = {
        "bull_vol_spike": (fire & (d == UP_CODE), UP_CODE),
        "bear_vol_spike": (fire & (d == DOWN_CODE), DOWN_CODE),
        "volume_spike": (fire & (d == 0), 0),
    }
    return BatchFires(masks, _row_details)


def _factory(params: Mapping[str, Any]) -> VolumeSpikeTrigger:
    return VolumeSpikeTrigger()


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_VOLUME_SPIKE,
    raw_names=("volume_spike", "volume_spike_bull", "volume_spike_bear"),
    factory=_factory,
    batch=batch,
)

__all__ = ["DEFAULT_TAKER_BULL_SHARE", "SPEC", "VolumeSpikeTrigger", "batch", "details"]
