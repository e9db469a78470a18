"""Чиста логіка послідовності закритих барів символу: наступний, дублікат чи пропуск."""

from __future__ import annotations

from typing import Literal

Verdict = Literal["first", "next", "dup", "gap"]

# ── Послідовність ──


class ClosedBarGate:
    """Пам'ятає open_time останнього доставленого закритого бару кожного символу."""

    def __init__(self, interval_ms: int) -> None:
        self.interval_ms = interval_ms
        self.last: dict[str, int] = {}

    def check_closed(self, symbol: str, open_time: int) -> Verdict:
        """Вердикт для закритого бару: first/next — доставити, dup — відкинути, gap — дозаповнити."""
        last = self.last.get(symbol)
        if last is None:
            return "first"
        if open_time == last + self.interval_ms:
            return "next"
        if open_time <= last:
            return "dup"
        return "gap"

    def check_open(self, symbol: str, open_time: int) -> Verdict:
        """Вердикт для оновлення відкритого бару: бар після `last` — next; пізніший — gap (втрачено закриття)."""
        last = self.last.get(symbol)
        if last is None:
            return "first"
        if open_time <= last:
            return "dup"
        if open_time == last + self.interval_ms:
            return "next"
        return "gap"

    def mark(self, symbol: str, open_time: int) -> None:
        """Бар доставлено."""
        self.last[symbol] = open_time

    def forget(self, symbol: str) -> None:
        """Символ більше не під наглядом."""
        self.last.pop(symbol, None)


__all__ = ["ClosedBarGate", "Verdict"]
