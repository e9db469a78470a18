"""Контроль шуму каналу (чиста логіка, час — час подій): фільтри, дедуплікація за епізодом,
пауза після повідомлення, тихі години, приглушені символи і дайджест.

Маршрут кожної події для каналу (`NoiseGate.route`):
1. фільтр правил (вид, бік, символ, рекомендація, мінімальні ранг і впевненість) — `drop`;
2. символ приглушено (`/mute`) — `drop`;
3. той самий id уже бачили (повтор рішення, повторна подача) — `drop`;
4. сигнал того самого символу й боку ближче за `episode_gap_min` до попереднього — той самий
   епізод, `drop`; сигнал символу раніше за `cooldown_min` після надісланого — пауза: у дайджест,
   якщо він увімкнений, інакше `drop`;
5. тихі години або режим дайджесту — `digest`; інакше `send`.
Події угод (відкрито/закрито) проходять кроки 1–3 і 5: кожна з них унікальна.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from aione.config.config import NotifyRules
from aione.notify.model import KIND_DIGEST, KIND_SIGNAL, Alert

ROUTE_SEND = "send"
ROUTE_DIGEST = "digest"
ROUTE_DROP = "drop"
SEEN_IDS_KEEP = 10_000  # скільки id пам'ятає дедуплікація
MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class Route:
    """Куди йде подія: `send` | `digest` | `drop` і чому (для лічильників)."""

    action: str
    reason: str | None = None


# ── Фільтри ──
def filter_reason(rules: NotifyRules, alert: Alert) -> str | None:
    """Причина відхилити подію за правилами каналу; None — проходить."""
    if rules.kinds is not None and alert.kind not in rules.kinds:
        return "kind"
    if rules.symbols is not None and alert.symbol not in rules.symbols:
        return "symbol"
    if rules.sides is not None and alert.side not in rules.sides:
        return "side"
    if alert.kind != KIND_SIGNAL:
        return None
    if rules.recommendations is not None and alert.recommendation not in rules.recommendations:
        return "recommendation"
    if rules.min_rank is not None and (alert.rank is None or alert.rank < rules.min_rank):
        return "min_rank"
    if rules.min_confidence is not None and (alert.confidence is None or alert.confidence < rules.min_confidence):
        return "min_confidence"
    return None


def in_quiet_hours(ts_ms: int, hours: tuple[int, int] | None) -> bool:
    """Чи година UTC події в тихих годинах `(з, до)`; `(22, 7)` перетинає північ; `(h, h)` — без тиші."""
    if hours is None or hours[0] == hours[1]:
        return False
    hour = datetime.fromtimestamp(ts_ms / 1000, tz=UTC).hour
    start, end = hours
    return start <= hour < end if start < end else hour >= start or hour < end


# ── Маршрут ──
class NoiseGate:
    """Стан дедуплікації, епізодів і пауз одного каналу."""

    def __init__(self, rules: NotifyRules) -> None:
        self.rules = rules
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._episodes: dict[tuple[str, str | None], int] = {}
        self._last_sent: dict[str, int] = {}

    def _remember(self, alert_id: str) -> bool:
        """True — id новий (і тепер запам'ятований)."""
        if alert_id in self._seen:
            return False
        self._seen[alert_id] = None
        if len(self._seen) > SEEN_IDS_KEEP:
            self._seen.popitem(last=False)
        return True

    def route(self, alert: Alert, muted_until: Mapping[str, int] | None = None) -> Route:
        rules = self.rules
        reason = filter_reason(rules, alert)
        if reason is not None:
            return Route(ROUTE_DROP, reason)
        until = (muted_until or {}).get(alert.symbol)
        if until is not None and alert.ts < until:
            return Route(ROUTE_DROP, "muted")
        if not self._remember(alert.id):
            return Route(ROUTE_DROP, "duplicate")
        digest = rules.digest_minutes > 0
        if alert.kind == KIND_SIGNAL:
            key = (alert.symbol, alert.side)
            previous = self._episodes.get(key)
            self._episodes[key] = alert.ts if previous is None else max(previous, alert.ts)
            if previous is not None and 0 <= alert.ts - previous <= rules.episode_gap_min * MINUTE_MS:
                return Route(ROUTE_DROP, "same_episode")
            last = self._last_sent.get(alert.symbol)
            if last is not None and 0 <= alert.ts - last < rules.cooldown_min * MINUTE_MS:
                return Route(ROUTE_DIGEST, "cooldown") if digest else Route(ROUTE_DROP, "cooldown")
            self._last_sent[alert.symbol] = alert.ts
        if in_quiet_hours(alert.ts, rules.quiet_hours):
            return Route(ROUTE_DIGEST, "quiet_hours")
        return Route(ROUTE_DIGEST, "digest") if digest else Route(ROUTE_SEND)


# ── Дайджест ──
class DigestBuffer:
    """Події, відкладені в дайджест; одне повідомлення на вікно `digest_minutes` (час подій,
    із запасним настінним годинником, коли подій немає), і не в тихі години."""

    def __init__(self, rules: NotifyRules, clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = rules
        self.clock = clock
        self.items: list[Alert] = []
        self._start_ts: int | None = None
        self._start_wall = 0.0

    def add(self, alert: Alert) -> None:
        if not self.items:
            self._start_ts = alert.ts
            self._start_wall = self.clock()
        self.items.append(alert)

    def due(self, now_ts: int) -> bool:
        """Чи час віддати дайджест: вікно минуло (за часом подій або настінним) і зараз не тиша."""
        if not self.items or in_quiet_hours(now_ts, self.rules.quiet_hours):
            return False
        window_ms = self.rules.digest_minutes * MINUTE_MS
        started = self._start_ts if self._start_ts is not None else now_ts
        return now_ts - started >= window_ms or (self.clock() - self._start_wall) * 1000 >= window_ms

    def take(self) -> Alert | None:
        """Дайджест з накопиченого (і порожній буфер); None — нічого не накопичено."""
        if not self.items:
            return None
        items, self.items = self.items, []
        self._start_ts = None
        first, last = items[0], items[-1]
        return Alert(
            kind=KIND_DIGEST,
            id=f"digest:{first.id}:{last.id}:{len(items)}",
            symbol="*",
            ts=max(a.ts for a in items),
            items=[a.to_dict() for a in items],
        )


__all__ = [
    "ROUTE_DIGEST",
    "ROUTE_DROP",
    "ROUTE_SEND",
    "DigestBuffer",
    "NoiseGate",
    "Route",
    "filter_reason",
    "in_quiet_hours",
]
