"""Модель угоди Stage3: стани, причини закриття, подія зміни, точна (де)серіалізація.

Життєвий цикл: `pending` (рішення прийнято, чекаємо наступну ціну) → `open` → `closed`
з причиною (`tp_hit` | `sl_hit` | `time_exit` | `early_exit` | `manual`). Очікуюча угода,
план якої втратив сенс до входу (ціна вже за TP/SL або минув тайм-аут), стає `cancelled`.

Одиниці: ціни в USDT, час — мс події (не годинник), відсотки — у % від ціни входу,
R — у ризиках початкового стопу: `R = pnl_pct / risk_pct`, `risk_pct = |entry − initial_sl| / entry`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

# ── Стани й причини ──
TradeStatus = Literal["pending", "open", "closed", "cancelled"]
Side = Literal["BUY", "SELL"]
STATUS_PENDING: TradeStatus = "pending"
STATUS_OPEN: TradeStatus = "open"
STATUS_CLOSED: TradeStatus = "closed"
STATUS_CANCELLED: TradeStatus = "cancelled"
ACTIVE_STATUSES = frozenset({STATUS_PENDING, STATUS_OPEN})

REASON_TP = "tp_hit"
REASON_SL = "sl_hit"
REASON_TIME = "time_exit"
REASON_EARLY = "early_exit"
REASON_MANUAL = "manual"
CLOSE_REASONS = (REASON_TP, REASON_SL, REASON_TIME, REASON_EARLY, REASON_MANUAL)
# Причини скасування очікуючої угоди (вхід так і не відбувся).
CANCEL_INVALIDATED = "invalidated"  # ціна входу вже за TP або SL
CANCEL_TIMEOUT = "entry_timeout"  # немає ціни довше за entry_timeout_sec

# Види подій, які менеджер повертає агрегатору.
EVENT_PENDING = "pending"
EVENT_OPENED = "opened"
EVENT_UPDATED = "updated"  # змінилися стоп чи ціль (адаптація)
EVENT_CLOSED = "closed"
EVENT_CANCELLED = "cancelled"


# ── Угода ──
@dataclass(slots=True)
class Trade:
    """Паперова угода. Змінюється лише `TradeManager`; решта читає."""

    trade_id: str
    symbol: str
    side: Side
    status: TradeStatus
    decision_ts: int
    recommendation: str
    confidence: float
    planned_entry: float
    tp: float
    sl: float
    initial_sl: float
    atr: float
    tick_size: float
    fee_rate: float
    scenario: str | None = None
    volatility_regime: str | None = None
    tags: list[str] = field(default_factory=list)
    entry_price: float | None = None
    entry_ts: int | None = None
    last_price: float | None = None
    last_ts: int | None = None
    best_price: float | None = None  # найвигідніша ціна після входу (для MFE і трейлінгу)
    worst_price: float | None = None  # найгірша ціна після входу (для MAE)
    exit_price: float | None = None
    exit_ts: int | None = None
    close_reason: str | None = None
    breakeven_done: bool = False
    trailing_active: bool = False

    # ── Похідні величини ──
    @property
    def direction(self) -> int:
        """+1 для BUY, −1 для SELL."""
        return 1 if self.side == "BUY" else -1

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def move_pct(self, price: float) -> float:
        """Рух ціни від входу в бік угоди, % (без комісій)."""
        if self.entry_price is None or self.entry_price <= 0:
            return 0.0
        return self.direction * (price - self.entry_price) / self.entry_price * 100.0

    def fees_pct(self, exit_price: float) -> float:
        """Комісії входу й виходу у % від вартості входу."""
        if self.entry_price is None or self.entry_price <= 0:
            return 0.0
        return self.fee_rate * (1.0 + exit_price / self.entry_price) * 100.0

    def pnl_pct(self, price: float | None = None) -> float | None:
        """Чистий PnL, %: за ціною виходу (закрита) або поточною/заданою (відкрита)."""
        ref = (
            price
            if price is not None
            else (self.exit_price if self.exit_price is not None else self.last_price)
        )
        if ref is None or self.entry_price is None:
            return None
        return self.move_pct(ref) - self.fees_pct(ref)

    @property
    def risk_pct(self) -> float | None:
        """Початковий ризик (вхід → початковий стоп), % від входу."""
        if self.entry_price is None or self.entry_price <= 0:
            return None
        risk = abs(self.entry_price - self.initial_sl) / self.entry_price * 100.0
        return risk if risk > 0 else None

    def r_multiple(self, price: float | None = None) -> float | None:
        """Чистий PnL у R (ризиках початкового стопу)."""
        pnl, risk = self.pnl_pct(price), self.risk_pct
        if pnl is None or risk is None:
            return None
        return pnl / risk

    @property
    def mfe_pct(self) -> float:
        """Максимальний сприятливий рух, % (≥ 0)."""
        return max(0.0, self.move_pct(self.best_price)) if self.best_price is not None else 0.0

    @property
    def mae_pct(self) -> float:
        """Максимальний несприятливий рух, % (≥ 0, модуль)."""
        return max(0.0, -self.move_pct(self.worst_price)) if self.worst_price is not None else 0.0

    def holding_ms(self, now_ms: int | None = None) -> int:
        """Час утримання: від входу до виходу (або до `now_ms` / останньої ціни)."""
        if self.entry_ts is None:
            return 0
        end = self.exit_ts if self.exit_ts is not None else (now_ms if now_ms is not None else self.last_ts)
        return max(0, (end or self.entry_ts) - self.entry_ts)

    # ── Серіалізація ──
    def to_dict(self) -> dict[str, Any]:
        """Усі поля (для збереження, точне відновлення через `from_dict`)."""
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trade:
        """Відновлює угоду; невідомі ключі відкидаються, обов'язкові мають бути."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["tags"] = list(kwargs.get("tags") or [])
        return cls(**kwargs)

    def view(self) -> dict[str, Any]:
        """Компактний опис для кадру публікації (з похідними PnL, R, MAE/MFE, віком)."""
        pnl, r = self.pnl_pct(), self.r_multiple()
        return {
            "id": self.trade_id,
            "symbol": self.symbol,
            "side": self.side,
            "status": self.status,
            "recommendation": self.recommendation,
            "confidence": self.confidence,
            "entry_price": self.entry_price,
            "entry_ts": self.entry_ts,
            "tp": self.tp,
            "sl": self.sl,
            "last_price": self.last_price,
            "exit_price": self.exit_price,
            "exit_ts": self.exit_ts,
            "close_reason": self.close_reason,
            "trailing": self.trailing_active,  # стоп підтягнуто трейлінгом (для назви наслідку в UI)
            "breakeven": self.breakeven_done,
            "pnl_pct": _finite_or_none(pnl),
            "pnl_r": _finite_or_none(r),
            "mfe_pct": self.mfe_pct,
            "mae_pct": self.mae_pct,
            "holding_sec": self.holding_ms() / 1000.0,
            "opened_at": self.entry_ts,
            "closed_at": self.exit_ts,
            "tick_size": self.tick_size,
        }


@dataclass(frozen=True, slots=True)
class TradeEvent:
    """Що змінилося з угодою: вид (`opened`, `closed`, …) і копія угоди після зміни."""

    kind: str
    trade: Trade


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


__all__ = [
    "ACTIVE_STATUSES",
    "CANCEL_INVALIDATED",
    "CANCEL_TIMEOUT",
    "CLOSE_REASONS",
    "EVENT_CANCELLED",
    "EVENT_CLOSED",
    "EVENT_OPENED",
    "EVENT_PENDING",
    "EVENT_UPDATED",
    "REASON_EARLY",
    "REASON_MANUAL",
    "REASON_SL",
    "REASON_TIME",
    "REASON_TP",
    "STATUS_CANCELLED",
    "STATUS_CLOSED",
    "STATUS_OPEN",
    "STATUS_PENDING",
    "Side",
    "Trade",
    "TradeEvent",
    "TradeStatus",
]
