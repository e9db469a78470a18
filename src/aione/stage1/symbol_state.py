"""Інкрементальний стан одного символу в моніторі Stage1.

Тримає `IndicatorBundle` (з `aione.indicators`), екземпляри увімкнених тригерів, медіану TR%
(для тригера волатильності і стану ринку), денні рівні, ворота алертів і закриття за добу
(для зміни ціни за 24 год). Нічого не рахує сам: збирає `TriggerInput` і фіксує закритий бар.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from aione.indicators import IndicatorBundle
from aione.stage1.alert_gate import AlertGate
from aione.stage1.asset_triggers.base import Trigger, TriggerSpec
from aione.stage1.daily_levels import DAY_MS, DailyLevels
from aione.stage1.result import Stage1Result
from aione.stage1.rolling_median import RollingMedian
from aione.stage1.thresholds import state_thresholds


# ── Стан символу ──
class SymbolTracker:
    """Стан символу між оновленнями; `reset()` — після розриву в історії барів."""

    def __init__(
        self, symbol: str, params: Mapping[str, Any], specs: Sequence[TriggerSpec], timeframe_ms: int
    ) -> None:
        self.symbol = symbol
        self.params = params
        self.specs = tuple(specs)
        self.timeframe_ms = timeframe_ms
        self.max_gap_ms = int(params["max_gap_bars"]) * timeframe_ms
        self.daily = DailyLevels(self.max_gap_ms)
        self.gate = AlertGate(int(params["cooldown_sec"]) * 1000)
        self.market_state_override: str | None = None
        self.th_cache: dict[str | None, dict[str, Any]] = {}
        self.last_result: Stage1Result | None = None
        self.resets = 0
        self._build()

    def _build(self) -> None:
        p = self.params
        self.bundle = IndicatorBundle(
            rsi_period=int(p["rsi_period"]),
            atr_period=int(p["atr_period"]),
            vwap_window=int(p["vwap_window"]),
            volume_window=int(p["volume_window"]),
            hl_window=int(p["breakout_window"]),
        )
        self.triggers: list[Trigger] = [spec.incremental(p) for spec in self.specs]
        self.evaluators = [t.evaluate for t in self.triggers]
        self.tr_median = RollingMedian(int(p["volatility_window"]))
        self.closes: deque[float] = deque(maxlen=max(1, DAY_MS // self.timeframe_ms))
        self.prev_close = math.nan
        self.last_closed_time: int | None = None
        self.index = 0
        self.ready = False

    def reset(self) -> None:
        """Починає суцільну історію заново: індикатори, тригери, медіана, автоматичні рівні, епізод.

        Історія охолодження і ручні рівні зберігаються: розрив у даних не скасовує того, що
        алерт уже видано."""
        self._build()
        self.daily.reset()
        self.gate.reset_episode()
        self.resets += 1

    def thresholds(self, state: str | None) -> dict[str, Any]:
        """Пороги для стану ринку (кеш: стани — невелика скінченна множина)."""
        th = self.th_cache.get(state)
        if th is None:
            th = state_thresholds(self.params, state)
            self.th_cache[state] = th
        return th


__all__ = ["SymbolTracker"]
