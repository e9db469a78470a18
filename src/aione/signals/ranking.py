"""Ранг кандидата в сигнали: наскільки він незвичний для СВОГО символу плюс переконаність Stage2.

Ранг — число в [0, 1], а не кількість тригерів:
- незвичність — середнє перцентилів трьох ознак бару алерту серед останніх `history` кандидатів
  того самого символу: z-скор обсягу, розмах бару в ATR(1m), відхилення від VWAP в ATR%.
  Перцентиль — частка попередніх кандидатів з меншим значенням (рівні — наполовину), тож це
  відкалібрована оцінка «рідше, ніж у стількох частках власної історії». Поки історії менше за
  `min_history`, незвичність невідома і дорівнює 0.5;
- переконаність — |композитний скор| Stage2 (вже в [0, 1]).
Ранг = зважене середнє (`rank_weights`). Історія символу оновлюється ПІСЛЯ оцінки, тож кандидат
не міряється сам проти себе. Стан — лише історія по символах, порядок символів між собою не
важить: той самий потік кандидатів символу дає ті самі ранги наживо й у бектесті.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aione.config.config import ALERT_BUDGET
from aione.utils.utils import finite_or_none

FEATURES: tuple[str, ...] = ("volume_z", "range_atr", "vwap_atr")


# ── Ознаки ──
def alert_features(alert: Mapping[str, Any]) -> dict[str, float | None]:
    """Ознаки незвичності з запису Stage1: z-скор обсягу, розмах бару в ATR, |VWAP-відхилення| в ATR%."""
    stats = alert.get("stats") or {}
    high, low, atr = finite_or_none(stats.get("high")), finite_or_none(stats.get("low")), finite_or_none(stats.get("atr"))
    vwap_dev, atr_pct = finite_or_none(stats.get("vwap_dev")), finite_or_none(stats.get("atr_pct"))
    range_atr = (high - low) / atr if high is not None and low is not None and atr else None
    vwap_atr = abs(vwap_dev) / atr_pct if vwap_dev is not None and atr_pct else None
    return {"volume_z": finite_or_none(stats.get("volume_z")), "range_atr": range_atr, "vwap_atr": vwap_atr}


def conviction(decision: Mapping[str, Any]) -> float:
    """|Композитний скор| Stage2 в [0, 1]; немає скору — 0."""
    conf = decision.get("confidence_metrics") or {}
    score = finite_or_none(conf.get("score"))
    return min(1.0, abs(score)) if score is not None else 0.0


# ── Історія символу ──
class _History:
    """Останні `size` значень однієї ознаки: черга для витіснення і впорядкований список для перцентиля."""

    __slots__ = ("order", "size", "sorted")

    def __init__(self, size: int) -> None:
        self.size = size
        self.order: deque[float] = deque()
        self.sorted: list[float] = []

    def percentile(self, value: float) -> float | None:
        n = len(self.sorted)
        if n == 0:
            return None
        below = bisect_left(self.sorted, value)
        equal = bisect_right(self.sorted, value) - below
        return (below + 0.5 * equal) / n

    def add(self, value: float) -> None:
        self.order.append(value)
        insort(self.sorted, value)
        if len(self.order) > self.size:
            old = self.order.popleft()
            del self.sorted[bisect_left(self.sorted, old)]


@dataclass(frozen=True, slots=True)
class Rank:
    """Ранг кандидата і його частини (для пояснення й звіту)."""

    score: float
    unusual: float
    conviction: float
    history: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "score": round(self.score, 4),
            "unusual": round(self.unusual, 4),
            "conviction": round(self.conviction, 4),
            "history": self.history,
        }


# ── Оцінювач ──
class RankScorer:
    """Ранги кандидатів; стан — історія ознак по символах (див. опис модуля)."""

    def __init__(self, params: Mapping[str, Any] = ALERT_BUDGET) -> None:
        self.size = max(1, int(params["history"]))
        self.min_history = max(0, int(params["min_history"]))
        weights = params["rank_weights"]
        self.w_unusual = float(weights["unusual"])
        self.w_conviction = float(weights["conviction"])
        total = self.w_unusual + self.w_conviction
        if not total > 0:
            raise ValueError("ALERT_BUDGET rank_weights must have a positive sum")
        self.w_unusual /= total
        self.w_conviction /= total
        self._hist: dict[str, dict[str, _History]] = {}

    def score(self, alert: Mapping[str, Any], decision: Mapping[str, Any]) -> Rank:
        """Ранг кандидата `alert` з рішенням Stage2 `decision`; оновлює історію символу."""
        symbol = str(alert.get("symbol", ""))
        hist = self._hist.get(symbol)
        if hist is None:
            hist = self._hist[symbol] = {name: _History(self.size) for name in FEATURES}
        feats = alert_features(alert)
        parts: list[float] = []
        seen = min(len(h.sorted) for h in hist.values())
        for name in FEATURES:
            value = feats[name]
            if value is None:
                continue
            pct = hist[name].percentile(value)
            if pct is not None and len(hist[name].sorted) >= self.min_history:
                parts.append(pct)
            hist[name].add(value)
        unusual = math.fsum(parts) / len(parts) if parts else 0.5
        conv = conviction(decision)
        return Rank(self.w_unusual * unusual + self.w_conviction * conv, unusual, conv, seen)


__all__ = ["FEATURES", "Rank", "RankScorer", "alert_features", "conviction"]
