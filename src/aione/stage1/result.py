"""Запис результату Stage1 для одного оновлення символу (вхід Stage2, агрегатора і UI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aione.config.config import SIGNAL_ALERT, SIGNAL_NORMAL

_INF = float("inf")
_NEG_INF = -_INF

# Ключі `stats` у фіксованому порядку (контракт із Stage2 і агрегатором).
STATS_KEYS: tuple[str, ...] = (
    "price",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "volume_usd",
    "atr",
    "atr_pct",
    "rsi",
    "vwap",
    "vwap_dev",
    "volume_z",
    "high_n",
    "low_n",
    "daily_high",
    "daily_low",
    "price_change_pct",
)


def _clean_map(values: dict[str, Any]) -> dict[str, Any]:
    """Копія словника, де NaN/±inf замінено на None (JSON не знає NaN), решта без змін.

    Гаряче місце бектесту: копія цілком (C-рівень), потім заміна лише нескінченних значень
    (ключі вже є, тож порядок ключів не змінюється). Скінченне число лежить строго між −inf і
    +inf, а NaN і ±inf — ні (порівняння, на відміну від віднімання, не дає попереджень numpy
    для скалярів np.float64, які теж float)."""
    out = dict(values)
    for k, v in values.items():
        if isinstance(v, float) and not (_NEG_INF < v < _INF):
            out[k] = None
    return out


# ── Результат ──
@dataclass(slots=True)
class Stage1Result:
    """Результат оновлення. `timestamp` — open_time оціненого бару (мс). `new_alert` істинний лише
    на закритому барі, що відкрив новий епізод ALERT після дедуплікації та охолодження.
    `stats`: `atr_pct` і `vwap_dev` — ЧАСТКИ, `price_change_pct` — відсотки (як у Binance),
    `volume_usd` — quote volume бару, `daily_high`/`daily_low` — чинні денні опір/підтримка."""

    symbol: str
    timestamp: int
    signal: str
    new_alert: bool
    direction: str | None
    trigger_reasons: list[str]
    raw_trigger_reasons: list[str]
    trigger_details: dict[str, dict[str, float]]
    stats: dict[str, float | None]
    thresholds: dict[str, Any]
    closed: bool

    @property
    def is_alert(self) -> bool:
        """Чи сигнал ALERT."""
        return self.signal == SIGNAL_ALERT

    def to_dict(self) -> dict[str, Any]:
        """Словник з ТОЧНО контрактними ключами; NaN замінено на None, вкладені словники скопійовано."""
        return {
            "symbol": self.symbol,
            "timestamp": self.timestamp,
            "signal": self.signal,
            "new_alert": self.new_alert,
            "direction": self.direction,
            "trigger_reasons": list(self.trigger_reasons),
            "raw_trigger_reasons": list(self.raw_trigger_reasons),
            "trigger_details": {name: _clean_map(vals) for name, vals in self.trigger_details.items()},
            "stats": _clean_map(self.stats),
            "thresholds": _clean_map(self.thresholds),
            "closed": self.closed,
        }


__all__ = ["SIGNAL_ALERT", "SIGNAL_NORMAL", "STATS_KEYS", "Stage1Result"]
