"""Журнал виконання: append-only JSON-рядки в каталозі даних, до і після кожної відправки.

Кожен запис — один рядок (`kind`, `trade_id`, …), дописується й скидається в ОС одразу
(переживає SIGKILL процесу). `fold` — чиста згортка записів у стан, з якого брокер після
перезапуску знає свої угоди, їхні заявки та вже враховані виконання.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from aione.execution.risk import DailyPnl
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)

# Види записів.
J_INTENT = "intent"  # заявку буде надіслано (до відправки)
J_ACK = "ack"  # біржа відповіла (після)
J_FILL = "fill"
J_OPEN = "trade_open"  # угода прийнята брокером (розмір, SL, TP)
J_SL = "sl_moved"
J_CLOSED = "trade_closed"
J_REJECTED = "trade_rejected"
J_ALERT = "alert"


@dataclass(slots=True)
class JournalTrade:
    """Угода брокера за журналом."""

    trade_id: str
    symbol: str
    side: str
    qty: float
    sl: float
    tp: float
    entry_ts: int = 0
    sl_revision: int = 0
    filled: float = 0.0  # кількість у позиції за виконаннями (вхід +, вихід −)
    entry_cost: float = 0.0  # Σ qty·ціна входу
    entry_qty: float = 0.0
    realized: float = 0.0
    closed: bool = False
    orders: dict[str, str] = field(default_factory=dict)  # client id → нога
    order_ids: dict[str, int] = field(default_factory=dict)  # client id → id біржі
    fill_qty: dict[str, float] = field(default_factory=dict)  # client id → враховані виконання

    @property
    def avg_entry(self) -> float:
        return self.entry_cost / self.entry_qty if self.entry_qty else 0.0

    @property
    def notional(self) -> float:
        return self.qty * (self.avg_entry or self.sl)


@dataclass(slots=True)
class JournalState:
    trades: dict[str, JournalTrade] = field(default_factory=dict)
    fill_ids: set[str] = field(default_factory=set)
    by_client: dict[str, str] = field(default_factory=dict)  # client id → trade id
    daily: DailyPnl = field(default_factory=DailyPnl)

    def open_trades(self) -> list[JournalTrade]:
        return [t for t in self.trades.values() if not t.closed]


def apply(state: JournalState, rec: Mapping[str, Any]) -> None:
    """Застосовує один запис до стану (та сама функція і в живому брокері, і при відновленні)."""
    kind = rec.get("kind")
    tid = str(rec.get("trade_id", ""))
    trade = state.trades.get(tid)
    if kind == J_OPEN:
        state.trades[tid] = JournalTrade(
            tid, str(rec["symbol"]), str(rec["side"]), float(rec["qty"]), float(rec["sl"]), float(rec["tp"]),
            entry_ts=int(rec.get("entry_ts", 0)),
        )  # fmt: skip
    elif trade is None:
        return
    elif kind == J_INTENT:
        cid = str(rec["client_id"])
        trade.orders[cid] = str(rec["leg"])
        state.by_client[cid] = tid
    elif kind == J_ACK:
        if rec.get("order_id") is not None:
            trade.order_ids[str(rec["client_id"])] = int(rec["order_id"])
    elif kind == J_SL:
        trade.sl = float(rec["sl"])
        trade.sl_revision = int(rec["revision"])
    elif kind == J_FILL:
        fid = str(rec["fill_id"])
        if fid in state.fill_ids:
            return
        state.fill_ids.add(fid)
        qty, price, fee = float(rec["qty"]), float(rec["price"]), float(rec.get("fee", 0.0))
        cid = str(rec.get("client_id", ""))
        trade.fill_qty[cid] = trade.fill_qty.get(cid, 0.0) + qty
        direction = 1.0 if trade.side == "BUY" else -1.0
        if rec.get("leg") == "entry":
            trade.filled += qty
            trade.entry_cost += qty * price
            trade.entry_qty += qty
            pnl = -fee
        else:
            trade.filled -= qty
            pnl = direction * (price - trade.avg_entry) * qty - fee
        trade.realized += pnl
        state.daily.add(pnl, int(rec.get("ts", 0)))
    elif kind in (J_CLOSED, J_REJECTED):
        trade.closed = True


def fold(records: Iterable[Mapping[str, Any]]) -> JournalState:
    state = JournalState()
    for rec in records:
        apply(state, rec)
    return state


class Journal:
    """Файл журналу (`EXECUTION_JOURNAL_FILENAME` у каталозі даних)."""

    def __init__(self, path: Path, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "ab")  # noqa: SIM115 - файл живе стільки, скільки брокер
        self.written = 0

    def append(self, record: Mapping[str, Any]) -> None:
        self._fh.write(orjson.dumps(record) + b"\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())
        self.written += 1

    def records(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if not self.path.exists():
            return out
        for n, line in enumerate(self.path.read_bytes().splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                # обірваний останній рядок (SIGKILL під час запису) — пропускаємо, решта ціла
                logger.warning("journal line %d unreadable: skipped", n, extra=log_ctx("exec"))
        return out

    def close(self) -> None:
        self._fh.close()


__all__ = [
    "J_ACK",
    "J_ALERT",
    "J_CLOSED",
    "J_FILL",
    "J_INTENT",
    "J_OPEN",
    "J_REJECTED",
    "J_SL",
    "Journal",
    "JournalState",
    "JournalTrade",
    "apply",
    "fold",
]
