"""Звірка з біржею (чиста логіка): відкриті заявки й позиції проти журналу → список дій.

Правила:
- заявка, якої журнал не знає чи угода якої закрита, — сирітська: скасувати (крім стопа, що
  захищає сирітську позицію, коли політика `protect`);
- захисна заявка угоди, позиції якої на біржі вже немає, — скасувати, угоду позначити закритою;
- позиція угоди без стопа — поставити SL за журналом;
- позиція без угоди в журналі — поставити SL на `orphan_sl_pct` від ціни входу (`protect`) або
  гучно повідомити (`report`).
Виконання дій (з повторами й аварійним закриттям, якщо SL не ставиться) — у брокері.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aione.execution.binance_trading import Position
from aione.execution.journal import JournalState
from aione.execution.model import OrderState


@dataclass(frozen=True, slots=True)
class CancelOrder:
    symbol: str
    client_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PlaceStop:
    symbol: str
    side: str  # бік стоп-заявки (протилежний позиції)
    stop_price: float
    trade_id: str | None  # None — сирітська позиція
    reason: str


@dataclass(frozen=True, slots=True)
class MarkClosed:
    trade_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Alert:
    symbol: str
    message: str


Action = CancelOrder | PlaceStop | MarkClosed | Alert


def _protects(order: OrderState, position: Position) -> bool:
    """Стоп, що закриває позицію (бік протилежний, closePosition чи reduceOnly)."""
    closing_side = "SELL" if position.amount > 0 else "BUY"
    return (
        order.order_type == "STOP_MARKET"
        and order.side == closing_side
        and (order.close_position or order.reduce_only)
        and order.is_open
    )


def plan(
    state: JournalState,
    open_orders: Sequence[OrderState],
    positions: Sequence[Position],
    *,
    orphan_policy: str,
    orphan_sl_pct: float,
) -> list[Action]:
    """Дії, що приводять біржу у відповідність до журналу (див. докстрінг модуля)."""
    actions: list[Action] = []
    pos_by_symbol = {p.symbol: p for p in positions if p.amount}
    open_trades = {t.symbol: t for t in state.open_trades()}
    orphan_symbols = {s for s, p in pos_by_symbol.items()
                      if s not in open_trades or (p.amount > 0) != (open_trades[s].side == "BUY")}  # fmt: skip
    for order in open_orders:
        tid = state.by_client.get(order.client_id)
        trade = state.trades.get(tid) if tid is not None else None
        position = pos_by_symbol.get(order.symbol)
        if trade is None or trade.closed:
            if (
                order.symbol in orphan_symbols
                and position is not None
                and orphan_policy == "protect"
                and _protects(order, position)
            ):
                continue  # уже захищає сирітську позицію
            actions.append(CancelOrder(order.symbol, order.client_id, "orphan order"))
        elif position is None:
            actions.append(CancelOrder(order.symbol, order.client_id, "position is gone"))
    for symbol, trade in open_trades.items():
        position = pos_by_symbol.get(symbol)
        if position is None:
            actions.append(MarkClosed(trade.trade_id, "no position on the exchange"))
            continue
        if symbol in orphan_symbols:
            continue
        own = [o for o in open_orders if state.by_client.get(o.client_id) == trade.trade_id]
        if not any(_protects(o, position) for o in own):
            side = "SELL" if position.amount > 0 else "BUY"
            actions.append(PlaceStop(symbol, side, trade.sl, trade.trade_id, "position without stop"))
    for symbol in sorted(orphan_symbols):
        position = pos_by_symbol[symbol]
        if orphan_policy != "protect":
            actions.append(
                Alert(symbol, f"orphan position {position.amount:g} {symbol} without a journal trade")
            )
            continue
        if any(_protects(o, position) for o in open_orders if o.symbol == symbol):
            continue
        direction = 1.0 if position.amount > 0 else -1.0
        stop = position.entry_price * (1.0 - direction * orphan_sl_pct / 100.0)
        actions.append(PlaceStop(symbol, "SELL" if direction > 0 else "BUY", stop, None, "orphan position"))
    return actions


__all__ = ["Action", "Alert", "CancelOrder", "MarkClosed", "PlaceStop", "plan"]
