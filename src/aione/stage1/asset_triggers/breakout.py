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

import numpy as np

from aione.config.config import TRIGGER_TAG_BREAKOUT
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

_INF = math.inf


# ── Правило на скалярах (спільне для обох форм) ──
def _merge(out: dict[str, Fired], raw: str, direction: str, values: dict[str, float]) -> None:
    """Другий пробій у той самий бік доповнює числа першого."""
    prev = out.get(raw)
    if prev is None:
        out[raw] = fired_tuple(raw, direction, values)
    else:
        prev[3].update(values)


def details(
    close: float,
    pc: float,
    hi: float,
    lo: float,
    atr_frac: float,
    sup: float | None,
    res: float | None,
    th: Mapping[str, Any],
) -> list[Fired]:
    """Спрацювання на одному барі: `hi`/`lo` — попередні high_n/low_n, `pc` — попередній close
    (NaN — перший бар), `sup`/`res` — денні рівні (None — невідомі)."""
    buf = th["breakout_buffer_pct"]
    band = th["near_level_band_pct"]
    atr_band = th["near_level_atr_mult"] * atr_frac
    if atr_band < band:  # NaN-ATR лишає відсоткову смугу
        band = atr_band
    out: dict[str, Fired] = {}
    if lo > 0 and hi < _INF:  # NaN під час прогріву не проходить жодне порівняння
        if close > hi * (1.0 + buf):
            out["breakout_up"] = fired_tuple(
                "breakout_up", UP, {"close": close, "level": hi, "excess": close / hi - 1.0}
            )
        elif close < lo * (1.0 - buf):
            out["breakout_down"] = fired_tuple(
                "breakout_down", DOWN, {"close": close, "level": lo, "excess": 1.0 - close / lo}
            )
        elif hi - lo > 2.0 * band * close:
            if close >= hi * (1.0 - band):
                out["near_high"] = fired_tuple(
                    "near_high", UP, {"close": close, "level": hi, "distance": (hi - close) / close}
                )
            elif close <= lo * (1.0 + band):
                out["near_low"] = fired_tuple(
                    "near_low", DOWN, {"close": close, "level": lo, "distance": (close - lo) / close}
                )
    if res is not None and _INF > res > 0:
        edge = res * (1.0 + buf)
        if close > edge and pc <= edge:  # pc = NaN (перший бар) — не перетин
            _merge(out, "breakout_up", UP, {"close": close, "daily_resistance": res})
        elif res * (1.0 - band) <= close <= edge:
            out["near_daily_resistance"] = fired_tuple(
                "near_daily_resistance", UP, {"close": close, "level": res, "distance": (res - close) / close}
            )
    if sup is not None and _INF > sup > 0:
        edge = sup * (1.0 - buf)
        if close < edge and pc >= edge:
            _merge(out, "breakout_down", DOWN, {"close": close, "daily_support": sup})
        elif edge <= close <= sup * (1.0 + band):
            out["near_daily_support"] = fired_tuple(
                "near_daily_support", DOWN, {"close": close, "level": sup, "distance": (close - sup) / close}
            )
    return list(out.values())


# ── Інкрементна форма ──
class BreakoutTrigger:
    """Без стану: попередній close і денні рівні приходять у вході."""

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        snap = inp.snap
        hits = details(
            inp.bar.close,
            inp.prev_close,
            snap.prev_high_n,
            snap.prev_low_n,
            inp.atr_frac,
            inp.daily_support,
            inp.daily_resistance,
            th,
        )
        return [TriggerResult(*h) for h in hits]

    def reset(self) -> None:
        """Стану немає."""


def _factory(params: Mapping[str, Any]) -> BreakoutTrigger:
    return BreakoutTrigger()


# ── Пакетна форма ──
def _row_details(i: int, k: int, col: Rows, th: Mapping[str, Any]) -> list[Fired]:
    sup = col["support"][k]
    res = col["resistance"][k]
    return details(
        col["bar_close"][k],
        col["prev_close"][k],
        col["prev_high_n"][k],
        col["prev_low_n"][k],
        col["atr_frac"][k],
        None if sup != sup else sup,  # NaN — рівня немає
        None if res != res else res,
        th,
    )


def batch(inp: BatchInput) -> BatchFires:
    """Маски на всіх барах: локальні пробої/близькість і денні рівні."""
    s = inp.s
    close = s.close
    buf = inp.th("breakout_buffer_pct")
    band = inp.th("near_level_band_pct")
    with np.errstate(invalid="ignore"):
        atr_band = inp.th("near_level_atr_mult") * s.atr_frac
        band = np.where(atr_band < band, atr_band, band)
        hi = s.prev_high_n
        lo = s.prev_low_n
        okl = (lo > 0) & (hi < np.inf)
        up_l = okl & (close > hi * (1.0 + buf))
        rest = okl & ~up_l
        down_l = rest & (close < lo * (1.0 - buf))
        rest &= ~down_l
        rest &= hi - lo > 2.0 * band * close
        near_hi = rest & (close >= hi * (1.0 - band))
        near_lo = rest & ~near_hi & (close <= lo * (1.0 + band))
        pc = s.prev_close
        res = s.resistance
        has_res = (res < np.inf) & (res > 0)
        edge = res * (1.0 + buf)
        up_d = has_res & (close > edge) & (pc <= edge)
        near_res = has_res & ~up_d & (res * (1.0 - band) <= close) & (close <= edge)
        sup = s.support
        has_sup = (sup < np.inf) & (sup > 0)
        edge = sup * (1.0 - buf)
        down_d = has_sup & (close < edge) & (pc >= edge)
        near_sup = has_sup & ~down_d & (edge <= close) & (close <= sup * (1.0 + band))
    masks = {
        "breakout_up": (up_l | up_d, UP_CODE),
        "breakout_down": (down_l | down_d, DOWN_CODE),
        "near_high": (near_hi, UP_CODE),
        "near_low": (near_lo, DOWN_CODE),
        "near_daily_resistance": (near_res, UP_CODE),
        "near_daily_support": (near_sup, DOWN_CODE),
    }
    return BatchFires(masks, _row_details)


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
    batch=batch,
)

__all__ = ["SPEC", "BreakoutTrigger", "batch", "details"]
