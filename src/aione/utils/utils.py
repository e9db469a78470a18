"""Дрібні чисті утиліти: розмір тіку, форматування ціни, нормалізація назв."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from aione.config.config import TICK_SIZE_BRACKETS, TICK_SIZE_DEFAULT, TICK_SIZE_MAP, TRIGGER_NAME_MAP


# ── Числа ──
def finite_or_none(value: Any) -> float | None:
    """Скінченне число як float; bool, не число, NaN і ±inf — None (зовнішні дані, записи, кадри)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


# ── Тік і ціни ──
def get_tick_size(symbol: str, price: float | None = None, known: float | None = None) -> float:
    """Тік символу: відомий з біржі → `TICK_SIZE_MAP` → `TICK_SIZE_BRACKETS` за ціною → 1.0."""
    if known and known > 0:
        return known
    if symbol in TICK_SIZE_MAP:
        return TICK_SIZE_MAP[symbol]
    if price is not None and math.isfinite(price) and price > 0:
        for upper, tick in TICK_SIZE_BRACKETS:
            if price < upper:
                return tick
    return TICK_SIZE_DEFAULT


@lru_cache(maxsize=256)
def tick_decimals(tick: float) -> int:
    """Кількість знаків після коми, яку має тік (0.01 → 2, 0.25 → 2, 0.5 → 1, 1.0 → 0), не більше 12.

    Рахується з найкоротшого десяткового запису тіку (`repr`), а не з log10: тік 0.25 чи 0.025
    має дві значущі цифри, і за порядком величини ціни на його сітці округлювались би з тіку
    (159.75 → 159.8). Тіків у системі небагато, тож результат кешується (гаряче місце Stage2)."""
    if not (0 < tick < math.inf):
        return 8
    exponent = Decimal(repr(float(tick))).normalize().as_tuple().exponent
    return max(0, min(12, -int(exponent)))


def round_to_tick(price: float, tick: float, mode: str = "nearest") -> float:
    """Прив'язує ціну до сітки тіку: nearest | down | up."""
    if tick <= 0:
        return price
    steps = price / tick
    if mode == "down":
        n = math.floor(steps + 1e-9)
    elif mode == "up":
        n = math.ceil(steps - 1e-9)
    else:
        n = round(steps)
    return round(n * tick, tick_decimals(tick))


def format_price(price: float | None, tick: float) -> str:
    """Ціна рядком з точністю тіку; None/NaN → '-'."""
    if price is None or not math.isfinite(price):
        return "-"
    return f"{price:.{tick_decimals(tick)}f}"


# ── Час ──
def wall_clock_ms() -> int:
    """Настінний час у мс (для адаптерів і UI; ядро конвеєра його не читає)."""
    return int(time.time() * 1000)


# ── Нормалізація ──
def normalize_trigger_name(raw: str) -> str:
    """Сира назва тригера → нормалізована (`TRIGGER_NAME_MAP`); невідома лишається як є."""
    return TRIGGER_NAME_MAP.get(raw, raw)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Нове дерево словників: `base` з накладеним `override` (вкладені мапи зливаються)."""
    merged: dict[str, Any] = {
        k: (deep_merge(v, {}) if isinstance(v, Mapping) else v) for k, v in base.items()
    }
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = deep_merge(value, {}) if isinstance(value, Mapping) else value
    return merged


__all__ = [
    "deep_merge",
    "finite_or_none",
    "format_price",
    "get_tick_size",
    "normalize_trigger_name",
    "round_to_tick",
    "tick_decimals",
    "wall_clock_ms",
]
