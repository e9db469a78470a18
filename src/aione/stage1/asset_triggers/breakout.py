"""Тригер пробою та близькості до рівнів.

Рівні: максимум/мінімум ПОПЕРЕДНІХ `breakout_window` барів (`prev_high_n`/`prev_low_n`
з `aione.indicators`, поточний бар у них не входить) і денні підтримка/опір символу.
Правила (`buf` = `breakout_buffer_pct`, смуга `band` = min(`near_level_band_pct`,
`near_level_atr_mult` × ATR%), усе — частки ціни; «біля рівня» міряється в ATR, а відсоток —
стеля, бо на 1m ATR BTC ≈ 0.05 % і смуга 0.2 % покривала б пів вікна):
- `breakout_up`: close > prev_high × (1 + buf); `breakout_down`: close < prev_low × (1 − buf);
- денний опір: close > R × (1 + buf), а попередній закритий close ≤ R × (1 + buf) — саме
  перетин, а не перебування вище; дає `breakout_up` (числа рівня додаються, якщо пробій
  недавнього максимуму вже спрацював). Підтримка — дзеркально, `breakout_down`;
- `near_high`: без пробою, close ≥ prev_high × (1 − band); `near_low`: close ≤ prev_low × (1 + band).
  Лише коли ширина вікна (prev_high − prev_low) > 2 × band × close: у пласкому ринку
  «рівні» — шум, і ціна завжди була б біля обох;
- `near_daily_resistance`: R × (1 − band) ≤ close ≤ R × (1 + buf); `near_daily_support`:
  S × (1 − buf) ≤ close ≤ S × (1 + band).
Напрям: пробій вгору і близькість до максимуму/опору — up (рух, що привів ціну туди),
пробій вниз і близькість до мінімуму/підтримки — down.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from aione.config.config import TRIGGER_TAG_BREAKOUT
from aione.stage1.asset_triggers.base import DOWN, UP, TriggerInput, TriggerResult, TriggerSpec, fired

_INF = math.inf


# ── Тригер ──
class BreakoutTrigger:
    """Без стану: попередній close і денні рівні приходять у вході."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        close = inp.bar.close
        buf = th["breakout_buffer_pct"]
        band = th["near_level_band_pct"]
        atr_band = th["near_level_atr_mult"] * inp.atr_frac
        if atr_band < band:  # NaN-ATR лишає відсоткову смугу
            band = atr_band
        out: dict[str, TriggerResult] | None = None
        snap = inp.snap
        hi = snap.prev_high_n
        lo = snap.prev_low_n
        if lo > 0 and hi < _INF:  # NaN під час прогріву не проходить жодне порівняння
            if close > hi * (1.0 + buf):
                out = {
                    "breakout_up": fired(
                        "breakout_up", UP, {"close": close, "level": hi, "excess": close / hi - 1.0}
                    )
                }
            elif close < lo * (1.0 - buf):
                out = {
                    "breakout_down": fired(
                        "breakout_down", DOWN, {"close": close, "level": lo, "excess": 1.0 - close / lo}
                    )
                }
            elif hi - lo > 2.0 * band * close:
                if close >= hi * (1.0 - band):
                    out = {
                        "near_high": fired(
                            "near_high", UP, {"close": close, "level": hi, "distance": (hi - close) / close}
                        )
                    }
                elif close <= lo * (1.0 + band):
                    out = {
                        "near_low": fired(
                            "near_low", DOWN, {"close": close, "level": lo, "distance": (close - lo) / close}
                        )
                    }
        res = inp.daily_resistance
        sup = inp.daily_support
        if res is None and sup is None:
            return tuple(out.values()) if out else ()
        if out is None:
            out = {}
        pc = inp.prev_close
        if res is not None and _INF > res > 0:
            edge = res * (1.0 + buf)
            if close > edge and pc <= edge:  # pc = NaN (перший бар) — не перетин
                self._merge(out, "breakout_up", UP, {"close": close, "daily_resistance": res})
            elif res * (1.0 - band) <= close <= edge:
                out["near_daily_resistance"] = fired(
                    "near_daily_resistance",
                    UP,
                    {"close": close, "level": res, "distance": (res - close) / close},
                )
        if sup is not None and _INF > sup > 0:
            edge = sup * (1.0 - buf)
            if close < edge and pc >= edge:
                self._merge(out, "breakout_down", DOWN, {"close": close, "daily_support": sup})
            elif edge <= close <= sup * (1.0 + band):
                out["near_daily_support"] = fired(
                    "near_daily_support",
                    DOWN,
                    {"close": close, "level": sup, "distance": (close - sup) / close},
                )
        return tuple(out.values())

    @staticmethod
    def _merge(out: dict[str, TriggerResult], raw: str, direction: str, values: dict[str, float]) -> None:
        prev = out.get(raw)
        if prev is None:
            out[raw] = fired(raw, direction, values)
        else:
            prev.values.update(values)

    def reset(self) -> None:
        """Стану немає."""


def _factory(params: Mapping[str, Any]) -> BreakoutTrigger:
    return BreakoutTrigger()


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_BREAKOUT,
    raw_names=(
        "breakout_up",
        "breakout_down",
        "near_high",
        "near_low",
        "near_daily_support",
        "near_daily_resistance",
    ),
    factory=_factory,
)

__all__ = ["SPEC", "BreakoutTrigger"]
