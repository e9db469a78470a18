"""Модель виконання: намір заявки, виконання (fill), подія брокера, детермінований client id.

Чисті дані без I/O. `client_order_id` залежить лише від id угоди, ноги й ревізії, тож повтор
після тайм-ауту надсилає той самий id — біржа не прийме другий ордер, а запит за id знайде перший.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

# ── Ноги угоди ──
Leg = Literal["entry", "sl", "tp", "exit"]
LEG_ENTRY: Leg = "entry"
LEG_SL: Leg = "sl"
LEG_TP: Leg = "tp"
LEG_EXIT: Leg = "exit"
OrderSide = Literal["BUY", "SELL"]
OrderType = Literal["MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET"]

# Види подій брокера.
EXEC_ACK = "ack"  # біржа прийняла заявку
EXEC_FILL = "fill"  # виконання (частина чи вся заявка)
EXEC_REJECTED = "rejected"  # заявку відхилено локально (фільтри, ризик) чи біржею
EXEC_BLOCKED = "blocked"  # нові заявки заблоковано (kill switch, денний збиток)
EXEC_CANCELLED = "cancelled"
EXEC_ALERT = "alert"  # гучне повідомлення (сирітська позиція, SL не поставлено)
EXEC_PLACED = "placed"  # заявку надіслано (до відповіді біржі)
EXEC_RECONCILED = "reconciled"  # звірку з біржею завершено (скільки дій)
EXEC_KILL = "kill"  # kill switch встановлено (detail "on") чи знято ("off")

_CLIENT_ID_PREFIX = "a1"
_CLIENT_ID_MAX = 36  # обмеження Binance для newClientOrderId


def client_order_id(trade_id: str, leg: str, revision: int = 0) -> str:
    """Детермінований `newClientOrderId`: `a1-<20 hex sha1(trade_id)>-<leg><revision>`.

    Відповідає шаблону Binance `^[.A-Z:/a-z0-9_-]{1,36}$`; однаковий для повторів тієї самої ноги."""
    digest = hashlib.sha1(trade_id.encode("utf-8")).hexdigest()[:20]
    suffix = leg if revision == 0 else f"{leg}{revision}"
    cid = f"{_CLIENT_ID_PREFIX}-{digest}-{suffix}"
    if len(cid) > _CLIENT_ID_MAX:
        raise ValueError(f"client order id too long: {cid}")
    return cid


def is_own_client_id(cid: str) -> bool:
    """Чи створено id цим модулем (чужі ордери на рахунку не чіпаємо без потреби)."""
    return cid.startswith(_CLIENT_ID_PREFIX + "-")


def opposite(side: OrderSide) -> OrderSide:
    """Протилежний бік заявки (закриття позиції)."""
    return "SELL" if side == "BUY" else "BUY"


# ── Заявка ──
@dataclass(frozen=True, slots=True)
class OrderIntent:
    """Що брокер хоче надіслати. `quantity` None — лише для `close_position`."""

    trade_id: str
    leg: Leg
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: float | None
    client_id: str
    price: float | None = None
    stop_price: float | None = None
    reduce_only: bool = False
    close_position: bool = False


@dataclass(frozen=True, slots=True)
class OrderState:
    """Стан заявки на біржі (відповідь REST або подія потоку)."""

    symbol: str
    order_id: int
    client_id: str
    side: OrderSide
    order_type: str
    status: str  # NEW | PARTIALLY_FILLED | FILLED | CANCELED | EXPIRED | REJECTED
    quantity: float
    executed_qty: float
    avg_price: float
    stop_price: float = 0.0
    reduce_only: bool = False
    close_position: bool = False
    update_ms: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")


@dataclass(frozen=True, slots=True)
class Fill:
    """Одне виконання. `fill_id` унікальний на біржі (trade id) — за ним прибираються дублікати."""

    trade_id: str
    leg: str
    symbol: str
    side: OrderSide
    quantity: float
    price: float
    fee: float
    ts_ms: int
    order_id: int
    fill_id: str


@dataclass(frozen=True, slots=True)
class ExecEvent:
    """Подія брокера для Stage3/агрегатора/журналу."""

    kind: str
    trade_id: str
    leg: str = ""
    symbol: str = ""
    detail: str = ""
    fill: Fill | None = None
    extra: dict[str, object] = field(default_factory=dict)


__all__ = [
    "EXEC_ACK",
    "EXEC_ALERT",
    "EXEC_BLOCKED",
    "EXEC_CANCELLED",
    "EXEC_FILL",
    "EXEC_KILL",
    "EXEC_PLACED",
    "EXEC_RECONCILED",
    "EXEC_REJECTED",
    "LEG_ENTRY",
    "LEG_EXIT",
    "LEG_SL",
    "LEG_TP",
    "ExecEvent",
    "Fill",
    "Leg",
    "OrderIntent",
    "OrderSide",
    "OrderState",
    "OrderType",
    "client_order_id",
    "is_own_client_id",
    "opposite",
]
