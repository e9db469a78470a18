"""Події брокера назовні: лічильники Prometheus і короткий хвіст подій для кадру (`meta.execution`).

Брокер віддає кожну свою подію (`ExecEvent`) слухачам; `ExecutionMonitor` — один із них:
- рахує заявки за ногою й станом, виконання, відмови ризику, тривоги, звірки, стан kill switch
  і час «заявку надіслано → біржа підтвердила» (`MetricsCollector.*execution*`);
- тримає останні `EXECUTION_EVENTS_SHOWN` подій (час біржі, символ, вид, текст) для UI.
Текст події — короткий технічний рядок (нога, тип заявки, статус, кількість @ ціна); вид події
UI перекладає сам (`ui.labels.EXECUTION_KIND_LABELS`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from aione.execution.model import (
    EXEC_ACK,
    EXEC_ALERT,
    EXEC_BLOCKED,
    EXEC_CANCELLED,
    EXEC_FILL,
    EXEC_KILL,
    EXEC_PLACED,
    EXEC_RECONCILED,
    EXEC_REJECTED,
    ExecEvent,
)
from aione.metrics import MetricsCollector
from aione.utils.utils import wall_clock_ms

EXECUTION_EVENTS_SHOWN: Final = 8  # скільки останніх подій брокера несе кадр
# Вид події → стан заявки в `execution_orders_total{kind,status}`.
_ORDER_STATUS: Final = {
    EXEC_PLACED: "placed",
    EXEC_ACK: "acked",
    EXEC_REJECTED: "rejected",
    EXEC_CANCELLED: "cancelled",
}


@dataclass(frozen=True, slots=True)
class BrokerNote:
    """Одна подія брокера для показу: час біржі (мс), символ, вид, текст."""

    ts_ms: int
    symbol: str
    kind: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"ts": self.ts_ms, "symbol": self.symbol, "kind": self.kind, "text": self.text}


def note_text(event: ExecEvent) -> str:
    """Короткий рядок події: нога, подробиці; виконання — `SELL 44.571 @ 2.309`."""
    parts = [event.leg] if event.leg else []
    if event.fill is not None:
        parts.append(f"{event.fill.side} {event.fill.quantity:g} @ {event.fill.price:g}")
    if event.detail:
        parts.append(event.detail)
    return " ".join(parts)


class ExecutionMonitor:
    """Слухач подій брокера: метрики Prometheus і стан для `meta.execution` кадру."""

    def __init__(
        self,
        mode: str,
        env: str,
        metrics: MetricsCollector | None = None,
        *,
        clock: Callable[[], int] = wall_clock_ms,
        keep: int = EXECUTION_EVENTS_SHOWN,
    ) -> None:
        self.mode = mode
        self.env = env
        self.metrics = metrics
        self.clock = clock
        self.kill = False
        self.notes: deque[BrokerNote] = deque(maxlen=keep)
        self.orders = 0  # надіслані заявки
        self.fills = 0
        self.blocked = 0  # відмови ризику й kill switch
        if metrics is not None:
            metrics.set_execution_kill_switch(False)

    def on_event(self, event: ExecEvent) -> None:
        """Одна подія брокера → лічильники, метрики й хвіст подій."""
        m = self.metrics
        kind = event.kind
        if kind in _ORDER_STATUS and m is not None:
            m.count_execution_order(event.leg or "other", _ORDER_STATUS[kind])
        if kind == EXEC_PLACED:
            self.orders += 1
        elif kind == EXEC_ACK:
            ack_sec = event.extra.get("ack_sec")
            if m is not None and isinstance(ack_sec, int | float):
                m.observe_execution_ack(float(ack_sec))
        elif kind == EXEC_FILL:
            self.fills += 1
            if m is not None:
                m.count_execution_fill(event.leg or "other")
        elif kind == EXEC_BLOCKED:
            self.blocked += 1
            if m is not None:
                m.count_execution_blocked(event.detail or "unknown")
        elif kind == EXEC_ALERT and m is not None:
            m.count_execution_alert()
        elif kind == EXEC_RECONCILED and m is not None:
            m.count_execution_reconciliation()
        elif kind == EXEC_KILL:
            self.kill = event.detail == "on"
            if m is not None:
                m.set_execution_kill_switch(self.kill)
        self.notes.append(BrokerNote(int(self.clock()), event.symbol, kind, note_text(event)))

    def section(self, open_positions: int) -> dict[str, Any]:
        """`meta.execution` кадру: режим, мережа, kill switch, позиції, лічильники, останні події."""
        return {
            "mode": self.mode,
            "env": self.env,
            "kill": self.kill,
            "open_positions": int(open_positions),
            "orders": self.orders,
            "fills": self.fills,
            "blocked": self.blocked,
            "events": [note.as_dict() for note in self.notes],
        }


__all__ = ["EXECUTION_EVENTS_SHOWN", "BrokerNote", "ExecutionMonitor", "note_text"]
