"""Виміряний запис типу сигналу: скільки випадків, як часто TP був раніше за SL, медіанний рух.

Тип сигналу — бік (BUY/SELL) і набір тригерів Stage1 (`signal_kind`). Запис збирається з
завершених наслідків (`outcomes`) — у бектесті з усіх, наживо в міру їх завершення, — тим самим
кодом, тож «цей тип: 412 випадків, TP першим 31 %, медіана руху за 60 хв +0.12 %» означає те
саме в звіті, кадрі й поясненні.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aione.config.config import SIGNAL_RECORD_MIN_CASES

RECORD_HORIZON = 60  # хвилин: горизонт медіанного руху в записі
RECORD_KEEP = 2000  # останніх випадків на тип (наживо пам'ять обмежена)


# ── Тип сигналу ──
def signal_side(decision: Mapping[str, Any], alert: Mapping[str, Any] | None = None) -> str | None:
    """Бік сигналу: з рішення Stage2 (BUY/SELL), інакше з напрямку Stage1 (up → BUY, down → SELL)."""
    side = decision.get("side")
    if side in ("BUY", "SELL"):
        return str(side)
    direction = (alert or {}).get("direction")
    return {"up": "BUY", "down": "SELL"}.get(str(direction)) if direction else None


def signal_kind(side: str | None, triggers: Iterable[str]) -> str:
    """Ключ типу: `BUY|breakout_up+bull_vol_spike` (тригери відсортовано)."""
    names = sorted({str(t) for t in triggers})
    return f"{side or 'NONE'}|{'+'.join(names) or 'none'}"


# ── Зведення ──
def summarize_record(outcomes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Запис групи наслідків: випадки, частка TP першим, медіана `fwd_60`, %."""
    cases = len(outcomes)
    tp_first = sum(1 for o in outcomes if o.get("first") == "tp")
    moves = [
        float(v)
        for o in outcomes
        if isinstance((v := o.get(f"fwd_{RECORD_HORIZON}")), int | float) and math.isfinite(v)
    ]
    return {
        "cases": cases,
        "tp_first_rate": tp_first / cases if cases else None,
        "median_move_pct": float(statistics.median(moves)) if moves else None,
        "horizon_min": RECORD_HORIZON,
    }


class RecordBook:
    """Записи за типами з завершених наслідків (останні `keep` випадків на тип)."""

    def __init__(self, keep: int = RECORD_KEEP, min_cases: int = SIGNAL_RECORD_MIN_CASES) -> None:
        self.keep = keep
        self.min_cases = min_cases
        self._by_kind: dict[str, deque[dict[str, Any]]] = {}

    def add(self, kind: str, outcome: Mapping[str, Any]) -> None:
        cases = self._by_kind.get(kind)
        if cases is None:
            cases = self._by_kind[kind] = deque(maxlen=self.keep)
        cases.append({"first": outcome.get("first"), f"fwd_{RECORD_HORIZON}": outcome.get(f"fwd_{RECORD_HORIZON}")})

    def record(self, kind: str) -> dict[str, Any] | None:
        """Запис типу або None, поки випадків менше за `min_cases`."""
        cases = self._by_kind.get(kind)
        if not cases or len(cases) < self.min_cases:
            return None
        out = summarize_record(list(cases))
        out["kind"] = kind
        return out

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)


def record_sentence(record: Mapping[str, Any] | None, locale: str = "uk") -> str | None:
    """Одне речення про виміряний запис типу сигналу (uk/en); None — запису ще немає."""
    if not record or not record.get("cases"):
        return None
    cases = int(record["cases"])
    rate = record.get("tp_first_rate")
    move = record.get("median_move_pct")
    rate_txt = f"{rate * 100:.0f} %" if isinstance(rate, int | float) else "—"
    move_txt = f"{move:+.2f} %" if isinstance(move, int | float) else "—"
    horizon = int(record.get("horizon_min") or RECORD_HORIZON)
    if locale == "en":
        return f"This kind of signal: {cases} cases, TP first {rate_txt}, median {horizon}-min move {move_txt}."
    return f"Цей тип сигналу: {cases} випадків, TP першим {rate_txt}, медіанний рух за {horizon} хв {move_txt}."


__all__ = [
    "RECORD_HORIZON",
    "RECORD_KEEP",
    "RecordBook",
    "record_sentence",
    "signal_kind",
    "signal_side",
    "summarize_record",
]
