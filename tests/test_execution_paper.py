"""Інтерфейс брокера: Stage3 віддає події угод брокеру; паперовий брокер звітує виконаннями."""

from __future__ import annotations

from typing import Any

from aione.execution.broker import Broker, PaperBroker
from aione.execution.model import client_order_id, is_own_client_id
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import TradeEvent
from tests.test_stage3_trades import MIN, T0, decision


class _Recorder:
    """Брокер-записувач: що саме й з яким рішенням Stage3 віддав виконавцю."""

    name = "recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, Any] | None]] = []

    def on_trade_events(self, events: Any, decision: Any = None) -> None:
        self.calls.append(([e.kind for e in events], dict(decision) if decision is not None else None))

    def drain_events(self) -> list[Any]:
        return []


def _script(tm: TradeManager) -> list[TradeEvent]:
    """Той самий сценарій: рішення → вхід → бари → TP; потім друга угода → часовий вихід."""
    out: list[TradeEvent] = []
    tm.on_decision(decision(ts=T0))
    out += tm.last_events
    out += tm.on_price("SOLUSDT", 100.1, T0 + 1)
    out += tm.on_closed_bar("SOLUSDT", T0 + MIN, 100.2, 101.0, 99.8, 100.9)
    out += tm.on_closed_bar("SOLUSDT", T0 + 2 * MIN, 100.9, 103.5, 100.5, 103.2)  # TP
    tm.on_decision(decision(ts=T0 + 3 * MIN, rec="STRONG_SELL", tp=97.0, sl=104.0, entry=103.0))
    out += tm.last_events
    out += tm.on_price("SOLUSDT", 103.0, T0 + 3 * MIN + 1)
    out += tm.refresh(T0 + 3 * MIN + 10**9)  # часова зупинка
    return out


def test_paper_broker_keeps_stage3_identical_and_reports_fills() -> None:
    plain = _script(TradeManager())
    broker = PaperBroker(notional=100.0)
    assert isinstance(broker, Broker)
    routed = _script(TradeManager(broker=broker))
    assert routed == plain  # рішення Stage3 ті самі — брокер лише виконує
    fills = [e.fill for e in broker.drain_events()]
    assert [(f.leg, f.side) for f in fills if f] == [
        ("entry", "BUY"),
        ("exit", "SELL"),
        ("entry", "SELL"),
        ("exit", "BUY"),
    ]
    closed = [e.trade for e in plain if e.kind == "closed"]
    first = fills[0]
    assert first is not None and first.price == closed[0].entry_price and first.ts_ms == closed[0].entry_ts
    assert fills[1] is not None and fills[1].price == closed[0].exit_price
    assert abs(first.quantity * first.price - 100.0) < 1e-9
    expected = sum(
        t.direction * ((t.exit_price or 0) - (t.entry_price or 0)) * 100.0 / (t.entry_price or 1)
        for t in closed
    )
    assert abs(broker.realized_pnl - expected) < 1e-9
    assert broker.open_positions() == {} and broker.drain_events() == []


def test_broker_gets_the_decision_that_created_the_trade() -> None:
    rec = _Recorder()
    tm = TradeManager(broker=rec)
    assert tm.on_decision(decision(rec="WAIT_FOR_CONFIRMATION")) is None
    assert rec.calls == []  # немає подій — брокера не турбують
    tm.on_decision(decision())
    tm.on_price("SOLUSDT", 100.1, T0 + 1)
    kinds, first_decision = rec.calls[0]
    assert kinds == ["pending"] and first_decision is not None and first_decision["symbol"] == "SOLUSDT"
    assert rec.calls[1] == (["opened"], None)


def test_client_order_id_is_deterministic_and_binance_shaped() -> None:
    cid = client_order_id("SOLUSDT-BUY-1748000000000", "entry")
    assert cid == client_order_id("SOLUSDT-BUY-1748000000000", "entry")
    assert cid != client_order_id("SOLUSDT-BUY-1748000000000", "sl")
    assert client_order_id("X", "sl", 2).endswith("-sl2")
    assert len(cid) <= 36 and is_own_client_id(cid)
    import re

    assert re.fullmatch(r"[.A-Z:/a-z0-9_-]{1,36}", cid)
