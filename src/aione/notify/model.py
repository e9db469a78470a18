"""Подія сповіщення (`Alert`) і повідомлення каналу (`Message`): чисті дані з рішень і угод.

`Alert` будується з рішення Stage2, що пройшло ворота сигналів (`decision["signal"]`), або з
події угоди Stage3; він несе все, що потрібно тексту, без посилань на живі об'єкти, тож
однаково серіалізується в outbox, Redis Stream і тіло вебхука. Час `ts` — час події (мс UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from aione.stage3.trade_model import EVENT_CLOSED, EVENT_OPENED, TradeEvent
from aione.utils.utils import finite_or_none, get_tick_size

# ── Види подій ──
KIND_SIGNAL = "signal"
KIND_TRADE_OPENED = "trade_opened"
KIND_TRADE_CLOSED = "trade_closed"
KIND_DIGEST = "digest"
KIND_TEST = "test"
TRADE_KINDS = {EVENT_OPENED: KIND_TRADE_OPENED, EVENT_CLOSED: KIND_TRADE_CLOSED}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class Alert:
    """Що сталося: сигнал, відкриття чи закриття угоди, дайджест або тест."""

    kind: str
    id: str  # id сигналу (`символ:бар`) або `trade_id:вид`; ключ дедуплікації й споживачів
    symbol: str
    ts: int
    side: str | None = None
    recommendation: str | None = None
    rank: float | None = None
    confidence: float | None = None
    entry: float | None = None
    tp: float | None = None
    sl: float | None = None
    tick: float | None = None
    scenario: str | None = None
    signal_kind: str | None = None
    record: dict[str, Any] | None = None  # виміряний запис типу сигналу (cases, tp_first_rate, …)
    decision: dict[str, Any] | None = None  # поля рішення для короткого наративу (market_context, …)
    narrative: str | None = None  # готовий текст (тест, дайджест) — коли рішення немає
    trade_id: str | None = None
    exit_price: float | None = None
    close_reason: str | None = None
    pnl_pct: float | None = None
    pnl_r: float | None = None
    items: list[dict[str, Any]] = field(default_factory=list)  # дайджест: вкладені Alert.to_dict()

    @property
    def tick_size(self) -> float:
        """Тік для цін повідомлення: з рішення/угоди, інакше запасний шлях за символом і ціною."""
        return self.tick if self.tick and self.tick > 0 else get_tick_size(self.symbol, self.entry)

    def to_dict(self) -> dict[str, Any]:
        """Поля як словник (без глибокої копії: вкладені словники лише читаються й серіалізуються)."""
        return {f.name: getattr(self, f.name) for f in _ALERT_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


_ALERT_FIELDS = fields(Alert)


# ── Побудова з рішень і угод ──
_DECISION_KEYS = ("symbol", "timestamp", "recommendation", "side", "scenario", "market_context", "risk_parameters")


def alert_from_decision(decision: Mapping[str, Any]) -> Alert | None:
    """Сигнал з рішення Stage2 (після воріт); None — не завершене рішення без символу чи часу."""
    symbol, ts = decision.get("symbol"), decision.get("timestamp")
    if not isinstance(symbol, str) or not isinstance(ts, int | float) or decision.get("status") != "completed":
        return None
    meta, risk = _mapping(decision.get("signal")), _mapping(decision.get("risk_parameters"))
    conf = _mapping(decision.get("confidence_metrics"))
    rank = meta.get("rank")
    record = meta.get("record")
    side = decision.get("side") if decision.get("side") in ("BUY", "SELL") else meta.get("side")
    return Alert(
        kind=KIND_SIGNAL,
        id=_str(meta.get("id")) or f"{symbol}:{int(ts)}",
        symbol=symbol,
        ts=int(ts),
        side=side if side in ("BUY", "SELL") else None,
        recommendation=_str(decision.get("recommendation")),
        rank=finite_or_none(rank.get("score")) if isinstance(rank, Mapping) else None,
        confidence=finite_or_none(conf.get("composite_confidence")),
        entry=finite_or_none(risk.get("entry")),
        tp=finite_or_none(risk.get("tp")),
        sl=finite_or_none(risk.get("sl")),
        tick=finite_or_none(risk.get("tick_size")),
        scenario=_str(decision.get("scenario")),
        signal_kind=_str(meta.get("kind")),
        record=dict(record) if isinstance(record, Mapping) else None,
        decision={
            **{k: decision.get(k) for k in _DECISION_KEYS},
            "confidence_metrics": {"composite_confidence": conf.get("composite_confidence")},
        },
        narrative=_str(decision.get("narrative")),  # мовою конвеєра: запасний, якщо короткий не збереться
    )


def alert_from_trade_event(event: TradeEvent) -> Alert | None:
    """Відкриття або закриття угоди; інші події (pending, updated, cancelled) не сповіщаються."""
    kind = TRADE_KINDS.get(event.kind)
    if kind is None:
        return None
    t = event.trade
    closed = kind == KIND_TRADE_CLOSED
    ts = (t.exit_ts if closed else t.entry_ts) or t.last_ts or t.decision_ts
    return Alert(
        kind=kind,
        id=f"{t.trade_id}:{kind}",
        symbol=t.symbol,
        ts=int(ts),
        side=t.side,
        recommendation=t.recommendation,
        confidence=finite_or_none(t.confidence),
        entry=t.entry_price if t.entry_price is not None else t.planned_entry,
        tp=t.tp,
        sl=t.sl,
        tick=t.tick_size,
        trade_id=t.trade_id,
        exit_price=t.exit_price if closed else None,
        close_reason=t.close_reason if closed else None,
        pnl_pct=finite_or_none(t.pnl_pct()) if closed else None,
        pnl_r=finite_or_none(t.r_multiple()) if closed else None,
    )


# ── Повідомлення каналу ──
@dataclass(slots=True)
class Message:
    """Одне повідомлення в черзі каналу; зберігається в outbox до доставки."""

    id: str  # унікальний у каналі: `канал|alert.id`
    channel: str
    alert: Alert
    seq: int  # порядок постановки (відновлення outbox у тому самому порядку)
    digestable: bool = True  # переповнена черга спершу викидає такі (сигнали, дайджести)
    created: float = 0.0  # monotonic постановки (затримка доставки; не зберігається)
    attempts: int = 0
    persisted: bool = False  # уже лежить в outbox
    done: bool = False  # доставлено, відхилено сервісом або викинуто з черги

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "alert": self.alert.to_dict(),
            "seq": self.seq,
            "digestable": self.digestable,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(
            id=str(data["id"]),
            channel=str(data["channel"]),
            alert=Alert.from_dict(data["alert"]),
            seq=int(data.get("seq") or 0),
            digestable=bool(data.get("digestable", True)),
            persisted=True,
        )


__all__ = [
    "KIND_DIGEST",
    "KIND_SIGNAL",
    "KIND_TEST",
    "KIND_TRADE_CLOSED",
    "KIND_TRADE_OPENED",
    "Alert",
    "Message",
    "alert_from_decision",
    "alert_from_trade_event",
]
