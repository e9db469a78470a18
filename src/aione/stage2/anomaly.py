"""Прапорці аномалій останнього бару: обсяг без руху ціни, довгі тіні, тонкий стакан, сплеск.

Правила (ATR — середній істинний діапазон вікна, z — z-скор обсягу бару):
- `volume_without_move`: z ≥ `vol_z` і тіло бару < `flat_body_atr`·ATR;
- `long_upper_wick` / `long_lower_wick`: тінь ≥ `wick_body_ratio`× тіла і ≥ `wick_atr`·ATR;
- `price_spike`: діапазон бару ≥ `spike_atr`·ATR;
- `thin_book`: глибина стакана (обидві сторони) < `thin_book_usd` (лише коли стакан відомий).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from aione.config.config import STAGE2_CONFIG
from aione.stage2.inputs import OrderBookDepth

# Пороги за замовчуванням; перевизначаються `STAGE2_CONFIG['anomaly']`.
ANOMALY_DEFAULTS: Mapping[str, float] = {
    "vol_z": 2.5,
    "flat_body_atr": 0.25,
    "wick_body_ratio": 2.0,
    "wick_atr": 1.0,
    "spike_atr": 4.0,
    "thin_book_usd": 50_000.0,
}

_CONFIG_ANOMALY = cast(Mapping[str, float], STAGE2_CONFIG["anomaly"])
# Злиття нічого не додає, лише якщо в порогах конфігурації є всі ключі за замовчуванням.
_CONFIG_ANOMALY_FULL = set(ANOMALY_DEFAULTS) <= set(_CONFIG_ANOMALY)


# ── Результат ──
@dataclass(frozen=True, slots=True)
class AnomalyReport:
    """Прапорці й числа, з яких вони виведені."""

    flags: tuple[str, ...]
    upper_wick_atr: float
    lower_wick_atr: float
    body_atr: float
    range_atr: float
    volume_z: float
    book_usd: float | None

    def as_dict(self) -> dict[str, object]:
        """Запис для `anomaly_detection`."""
        return {
            "flags": list(self.flags),
            "upper_wick_atr": _finite_or_none(self.upper_wick_atr),
            "lower_wick_atr": _finite_or_none(self.lower_wick_atr),
            "body_atr": _finite_or_none(self.body_atr),
            "range_atr": _finite_or_none(self.range_atr),
            "volume_z": _finite_or_none(self.volume_z),
            "book_usd": self.book_usd,
        }


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


# ── Виявлення ──
def detect_anomalies(
    open_: float,
    high: float,
    low: float,
    close: float,
    *,
    atr: float,
    volume_z: float,
    orderbook: OrderBookDepth | None = None,
    params: Mapping[str, float] = ANOMALY_DEFAULTS,
) -> AnomalyReport:
    """Аномалії одного бару; без ATR ціні прапорці не ставляться (нема мірила)."""
    # Пороги `STAGE2_CONFIG` (незмінні, з усіма ключами за замовчуванням) — без злиття словників.
    p = params if params is _CONFIG_ANOMALY and _CONFIG_ANOMALY_FULL else {**ANOMALY_DEFAULTS, **params}
    flags: list[str] = []
    body = abs(close - open_)
    upper = high - max(open_, close)
    lower = min(open_, close) - low
    rng = high - low
    atr_ok = math.isfinite(atr) and atr > 0
    scale = atr if atr_ok else 1.0
    if atr_ok:
        if math.isfinite(volume_z) and volume_z >= p["vol_z"] and body < p["flat_body_atr"] * atr:
            flags.append("volume_without_move")
        if upper >= p["wick_body_ratio"] * body and upper >= p["wick_atr"] * atr:
            flags.append("long_upper_wick")
        if lower >= p["wick_body_ratio"] * body and lower >= p["wick_atr"] * atr:
            flags.append("long_lower_wick")
        if rng >= p["spike_atr"] * atr:
            flags.append("price_spike")
    book_usd = None
    if orderbook is not None:
        book_usd = orderbook.total_usd
        if book_usd < p["thin_book_usd"]:
            flags.append("thin_book")
    return AnomalyReport(
        flags=tuple(flags),
        upper_wick_atr=round(upper / scale, 3) if atr_ok else float("nan"),
        lower_wick_atr=round(lower / scale, 3) if atr_ok else float("nan"),
        body_atr=round(body / scale, 3) if atr_ok else float("nan"),
        range_atr=round(rng / scale, 3) if atr_ok else float("nan"),
        volume_z=volume_z,
        book_usd=book_usd,
    )


__all__ = ["ANOMALY_DEFAULTS", "AnomalyReport", "detect_anomalies"]
