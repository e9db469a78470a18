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

from collections.abc import Mapping, Sequence
from typing import Any

from aione.config.config import TRIGGER_TAG_VOLUME_SPIKE
from aione.stage1.asset_triggers.base import (
    DOWN,
    UP,
    TriggerInput,
    TriggerResult,
    TriggerSpec,
    bar_direction,
    finite,
    fired,
)

DEFAULT_TAKER_BULL_SHARE = 0.55  # запасне значення, якщо параметрів монітора немає в порогах


# ── Тригер ──
class VolumeSpikeTrigger:
    """Без стану: усе потрібне є в знімку індикаторів."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        z = inp.snap.volume_z
        if not z >= th["vol_z_threshold"]:  # також NaN
            return ()
        bar = inp.bar
        if bar.volume <= 0 or not finite(z):
            return ()
        bull_share = float(th.get("taker_bull_share", DEFAULT_TAKER_BULL_SHARE))
        values: dict[str, float] = {"volume": bar.volume, "volume_z": z, "threshold": th["vol_z_threshold"]}
        direction: str | None = None
        if bar.taker_buy_volume > 0:
            share = bar.taker_buy_volume / bar.volume
            values["taker_buy_share"] = share
            if share >= bull_share:
                direction = UP
            elif share <= 1.0 - bull_share:
                direction = DOWN
        if direction is None:
            direction = bar_direction(bar)
        atr = inp.snap.atr
        if finite(atr) and atr > 0:
            values["range_atr"] = (bar.high - bar.low) / atr
        if direction == UP:
            return [fired("volume_spike_bull", UP, values)]
        if direction == DOWN:
            return [fired("volume_spike_bear", DOWN, values)]
        return [fired("volume_spike", None, values)]

    def reset(self) -> None:
        """Стану немає."""


def _factory(params: Mapping[str, Any]) -> VolumeSpikeTrigger:
    return VolumeSpikeTrigger()


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_VOLUME_SPIKE,
    raw_names=("volume_spike", "volume_spike_bull", "volume_spike_bear"),
    factory=_factory,
)

__all__ = ["SPEC", "VolumeSpikeTrigger"]
