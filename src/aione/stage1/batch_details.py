"""Batch-двійник Stage1: `trigger_details` тригерів без стану просто з чисел бару.

Дзеркала `evaluate` класів `VolumeSpikeTrigger`, `BreakoutTrigger`, `VolatilitySpikeTrigger`,
`VwapDeviationTrigger`: ті самі умови, ті самі вирази чисел і той самий порядок ключів, але на
скалярах Python замість `Bar`/`IndicatorSnapshot`/`TriggerInput` — так запис нового алерту не
будує трьох об'єктів і не кличе класи. Що саме спрацювало, монітор-двійник звіряє з масками
`batch_triggers` (розбіжність — RuntimeError), а повну рівність із монітором доводять тести
`tests/test_stage1_batch_*.py`. Зміна класу-тригера вимагає такої ж зміни тут.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aione.config.config import TRIGGER_NAME_MAP
from aione.stage1.asset_triggers.base import DOWN, UP
from aione.stage1.asset_triggers.volume_spike import DEFAULT_TAKER_BULL_SHARE

_INF = math.inf
_isfinite = math.isfinite
# Спрацювання як кортеж полів `TriggerResult`: (сира назва, нормалізована, напрям, числа) —
# без побудови замороженого dataclass на кожне спрацювання.
Fired = tuple[str, str, str | None, dict[str, float]]


# ── Допоміжне ──
def fired_tuple(name_raw: str, direction: str | None, values: dict[str, float]) -> Fired:
    """Як `fired`, але кортеж: назва нормалізується тією ж `TRIGGER_NAME_MAP`."""
    return (name_raw, TRIGGER_NAME_MAP.get(name_raw, name_raw), direction, values)


def _bar_dir(open_: float, close: float) -> str | None:
    """Напрям бару, як `bar_direction`."""
    if close > open_:
        return UP
    if close < open_:
        return DOWN
    return None


# ── Тригери без стану ──
def volume_details(
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
    """Як `VolumeSpikeTrigger.evaluate`."""
    if not z >= th["vol_z_threshold"]:
        return []
    if volume <= 0 or not _isfinite(z):
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
        direction = _bar_dir(open_, close)
    if _isfinite(atr) and atr > 0:
        values["range_atr"] = (high - low) / atr
    if direction == UP:
        return [fired_tuple("volume_spike_bull", UP, values)]
    if direction == DOWN:
        return [fired_tuple("volume_spike_bear", DOWN, values)]
    return [fired_tuple("volume_spike", None, values)]


def _merge(out: dict[str, Fired], raw: str, direction: str, values: dict[str, float]) -> None:
    """Як `BreakoutTrigger._merge`: другий пробій у той самий бік доповнює числа першого."""
    prev = out.get(raw)
    if prev is None:
        out[raw] = fired_tuple(raw, direction, values)
    else:
        prev[3].update(values)


def breakout_details(
    close: float,
    pc: float,
    hi: float,
    lo: float,
    atr_frac: float,
    sup: float | None,
    res: float | None,
    th: Mapping[str, Any],
) -> list[Fired]:
    """Як `BreakoutTrigger.evaluate` (`hi`/`lo` — попередні high_n/low_n, `pc` — попередній close)."""
    buf = th["breakout_buffer_pct"]
    band = th["near_level_band_pct"]
    atr_band = th["near_level_atr_mult"] * atr_frac
    if atr_band < band:
        band = atr_band
    out: dict[str, Fired] = {}
    if lo > 0 and hi < _INF:
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
        if close > edge and pc <= edge:
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


def volatility_details(
    open_: float, close: float, tr_frac: float, med: float, atr_frac: float, th: Mapping[str, Any]
) -> list[Fired]:
    """Як `VolatilitySpikeTrigger.evaluate`."""
    if not med > 0:
        return []
    ratio = tr_frac / med
    k = th["volatility_k"]
    if not ratio >= k or not _isfinite(ratio):
        return []
    values = {"range": tr_frac, "median_range": med, "ratio": ratio, "threshold": k}
    if _isfinite(atr_frac):
        values["atr_pct"] = atr_frac
    return [fired_tuple("volatility_spike", _bar_dir(open_, close), values)]


def vwap_details(close: float, vwap: float, dev_std: float, th: Mapping[str, Any]) -> list[Fired]:
    """Як `VwapDeviationTrigger.evaluate`."""
    if not vwap > 0:
        return []
    dev = (close - vwap) / vwap
    thr = th["vwap_deviation"]
    if not abs(dev) >= thr or dev == 0.0 or not _isfinite(vwap):
        return []
    min_std = th["vwap_min_std"]
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


__all__ = ["Fired", "breakout_details", "fired_tuple", "volatility_details", "volume_details", "vwap_details"]
