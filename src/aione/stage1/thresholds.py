"""Пороги Stage1 для символу: параметри → перевизначення символу → стан ринку → динамічний RSI.

Порядок складання (кожен крок — чиста функція):
1. `symbol_params`: `STAGE1_MONITOR_PARAMS` (або передані параметри) з накладеними
   перевизначеннями символу (`deep_merge`); поріг VWAP — явний `vwap_deviation`, якщо його
   задано, інакше за класом активу (`ASSET_CLASS_MAPPING` → `VWAP_DEVIATION_BY_CLASS`, "alt" для решти);
2. `classify_market_state`: стан ринку з індикаторів (перший, що підходить):
   high_volatility — ATR% ≥ `high_vol_ratio` × медіана TR% за `volatility_window`;
   trend_strong — |close − EMA| ≥ `trend_atr_mult` × ATR;
   range_bound — ширина Donchian (high_n − low_n) ≤ `range_atr_mult` × ATR; інакше None.
   Зовнішній стан (наприклад, сценарій Stage2) може його замінити;
3. `state_thresholds`: до порогів додаються дельти стану (`STAGE1_STATE_DELTAS`), після цього в
   трендовому або волатильному стані пороги RSI розсуваються від 50 множником
   `dynamic_rsi_multiplier` (70/30 × 1.1 → 72/28) і обмежуються [1, 99].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aione.config.config import (
    ASSET_CLASS_MAPPING,
    STAGE1_MONITOR_PARAMS,
    STAGE1_STATE_DELTAS,
    VWAP_DEVIATION_BY_CLASS,
)
from aione.utils.utils import deep_merge

MARKET_STATES: tuple[str, ...] = ("range_bound", "trend_strong", "high_volatility")
_WIDEN_STATES = frozenset({"trend_strong", "high_volatility"})
# Ключі, що потрапляють у `thresholds` результату (значення, якими реально користувались).
THRESHOLD_KEYS: tuple[str, ...] = (
    "vol_z_threshold",
    "taker_bull_share",
    "rsi_overbought",
    "rsi_oversold",
    "breakout_buffer_pct",
    "near_level_band_pct",
    "near_level_atr_mult",
    "volatility_k",
    "vwap_deviation",
    "vwap_min_std",
    "min_reasons_for_alert",
    "cooldown_sec",
)


# ── Параметри символу ──
def asset_class(symbol: str) -> str:
    """Клас активу за `ASSET_CLASS_MAPPING`; невідомий символ — "alt"."""
    for cls, members in ASSET_CLASS_MAPPING.items():
        if symbol in members:
            return cls
    return "alt"


def symbol_params(
    params: Mapping[str, Any], override: Mapping[str, Any] | None, symbol: str
) -> dict[str, Any]:
    """Ефективні параметри символу (крок 1)."""
    # Спершу типові значення: частково задані `params` не втрачають решти ключів.
    merged = deep_merge(deep_merge(STAGE1_MONITOR_PARAMS, params), override or {})
    if merged.get("vwap_deviation") is None:
        merged["vwap_deviation"] = VWAP_DEVIATION_BY_CLASS.get(
            asset_class(symbol), VWAP_DEVIATION_BY_CLASS["alt"]
        )
    return merged


# ── Стан ринку ──
def classify_market_state(
    close: float,
    atr: float,
    ema: float,
    high_n: float,
    low_n: float,
    atr_frac: float,
    tr_median: float,
    p: Mapping[str, Any],
) -> str | None:
    """Стан ринку (крок 2); None, коли жоден не підходить або даних ще бракує."""
    if not (math.isfinite(atr) and atr > 0):
        return None
    if math.isfinite(tr_median) and tr_median > 0 and atr_frac >= p["high_vol_ratio"] * tr_median:
        return "high_volatility"
    if math.isfinite(ema) and abs(close - ema) >= p["trend_atr_mult"] * atr:
        return "trend_strong"
    if math.isfinite(high_n) and math.isfinite(low_n) and high_n - low_n <= p["range_atr_mult"] * atr:
        return "range_bound"
    return None


# ── Пороги ──
def state_thresholds(
    base: Mapping[str, Any],
    state: str | None,
    deltas: Mapping[str, Mapping[str, float]] = STAGE1_STATE_DELTAS,
) -> dict[str, Any]:
    """Пороги з урахуванням стану (крок 3) плюс ключ `market_state`."""
    th: dict[str, Any] = {k: base[k] for k in THRESHOLD_KEYS if k in base}
    if state is not None:
        for key, delta in deltas.get(state, {}).items():
            if key in th:
                th[key] = th[key] + delta
        if state in _WIDEN_STATES:
            mult = float(base.get("dynamic_rsi_multiplier", 1.0))
            th["rsi_overbought"] = 50.0 + (th["rsi_overbought"] - 50.0) * mult
            th["rsi_oversold"] = 50.0 - (50.0 - th["rsi_oversold"]) * mult
    th["rsi_overbought"] = min(99.0, max(1.0, th["rsi_overbought"]))
    th["rsi_oversold"] = min(99.0, max(1.0, th["rsi_oversold"]))
    th["market_state"] = state
    return th


__all__ = [
    "MARKET_STATES",
    "THRESHOLD_KEYS",
    "asset_class",
    "classify_market_state",
    "state_thresholds",
    "symbol_params",
]
