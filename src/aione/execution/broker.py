"""Інтерфейс брокера і паперовий брокер (сьогоднішня поведінка: угоди лише на папері).

Stage3 (`TradeManager`) вирішує й віддає брокеру свої події угод; брокер виконує їх і
повертає заявки та виконання як `ExecEvent` (`drain_events`). Ядро не знає годинника: час
виконань паперового брокера — час подій угоди, тож бектест і live дають те саме.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from aione.execution.model import (
    EXEC_FILL,
    LEG_ENTRY,
    LEG_EXIT,
    ExecEvent,
    Fill,
    OrderSide,
    client_order_id,
    opposite,
)
from aione.stage3.trade_model import EVENT_CLOSED, EVENT_OPENED, Trade, TradeEvent


# ── Інтерфейс ──
@runtime_checkable
class Broker(Protocol):
    """Те, що Stage3 знає про виконання: віддати події угод, забрати події виконання."""

    name: str

    def on_trade_events(
        self, events: Sequence[TradeEvent], decision: Mapping[str, Any] | None = None
    ) -> None:
        """Події угод Stage3 (pending/opened/updated/closed/cancelled); `decision` — рішення Stage2,
        з якого щойно створено угоду (ранг, тип), інакше None. Не блокує й не кидає."""
        ...

    def drain_events(self) -> list[ExecEvent]:
        """Події виконання з минулого виклику (заявки, виконання, відмови, тривоги)."""
        ...


# ── Паперовий брокер ──
class PaperBroker:
    """Виконує угоди Stage3 «на папері»: вхід і вихід — виконання за цінами угоди.

    `notional` — вартість позиції в USDT (кількість = notional / ціна входу)."""

    name = "paper"

    def __init__(self, notional: float = 100.0) -> None:
        if notional <= 0:
            raise ValueError("notional must be positive")
        self.notional = notional
        self._events: list[ExecEvent] = []
        self._qty: dict[str, float] = {}  # trade_id → кількість відкритої позиції
        self.realized_pnl = 0.0
        self.fills = 0

    def on_trade_events(
        self, events: Sequence[TradeEvent], decision: Mapping[str, Any] | None = None
    ) -> None:
        for event in events:
            trade = event.trade
            if event.kind == EVENT_OPENED and trade.entry_price:
                qty = self.notional / trade.entry_price
                self._qty[trade.trade_id] = qty
                self._fill(trade, LEG_ENTRY, trade.side, qty, trade.entry_price, trade.entry_ts)
            elif event.kind == EVENT_CLOSED and trade.trade_id in self._qty and trade.exit_price:
                qty = self._qty.pop(trade.trade_id)
                self._fill(trade, LEG_EXIT, opposite(trade.side), qty, trade.exit_price, trade.exit_ts)
                entry = trade.entry_price or trade.exit_price
                self.realized_pnl += trade.direction * (trade.exit_price - entry) * qty

    def drain_events(self) -> list[ExecEvent]:
        events, self._events = self._events, []
        return events

    def open_positions(self) -> dict[str, float]:
        """Відкриті паперові позиції: trade_id → кількість."""
        return dict(self._qty)

    def _fill(
        self, trade: Trade, leg: str, side: OrderSide, qty: float, price: float, ts: int | None
    ) -> None:
        fee = qty * price * trade.fee_rate
        self.fills += 1
        cid = client_order_id(trade.trade_id, leg)
        fill = Fill(trade.trade_id, leg, trade.symbol, side, qty, price, fee, ts or 0, 0, f"paper-{cid}")
        self._events.append(ExecEvent(EXEC_FILL, trade.trade_id, leg, trade.symbol, fill=fill))


__all__ = ["Broker", "PaperBroker"]
