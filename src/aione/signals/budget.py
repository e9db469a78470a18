"""Бюджет алертів: до угод і в UI як сигнал доходять лише найвище оцінені кандидати.

Правила (усе в часі подій, без годинника):
- кандидат — рішення Stage2 на новий алерт Stage1 разом з рангом (`ranking.RankScorer`);
- «дієвий» кандидат — статус completed і рекомендація BUY/SELL (`BUY_SET`/`SELL_SET`); решта
  одразу лишається watch (`not_actionable`);
- дієвий кандидат з рангом нижче `min_rank` — watch (`below_rank`);
- далі два відра токенів: символу (`per_symbol_per_day` на добу, місткість `per_symbol_burst`,
  на старті один токен) і ринку (`market_per_hour` на годину, на старті повне). Сигнал забирає по
  токену з обох; бракує токена символу — `symbol_budget`, ринку — `market_budget`;
- кандидати однієї хвилини (того самого `ts`) вирішуються разом, за спаданням рангу (рівність —
  за назвою символу), коли надходить подія новішого часу (`release(before_ts)`), тож порядок
  їхнього приходу (шарди WS, асинхронний Stage2) не змінює результату. Кандидат, що прийшов уже
  після того, як його хвилину вирішено, вирішується сам одразу (`late`, лічильник).
Вимкнений бюджет (`enabled=False`) пропускає кожного кандидата одразу (`budget_off`), як до нього.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aione.config.config import ALERT_BUDGET, BUY_SET, SELL_SET, STAGE2_STATUS
from aione.signals.ranking import Rank

HOUR_MS = 3_600_000
DAY_MS = 86_400_000

REASON_PROMOTED = "promoted"
REASON_BUDGET_OFF = "budget_off"
REASON_NOT_ACTIONABLE = "not_actionable"
REASON_BELOW_RANK = "below_rank"
REASON_SYMBOL_BUDGET = "symbol_budget"
REASON_MARKET_BUDGET = "market_budget"
REASONS: tuple[str, ...] = (
    REASON_PROMOTED,
    REASON_BUDGET_OFF,
    REASON_NOT_ACTIONABLE,
    REASON_BELOW_RANK,
    REASON_SYMBOL_BUDGET,
    REASON_MARKET_BUDGET,
)


# ── Кандидат і вердикт ──
@dataclass(slots=True)
class Candidate:
    """Рішення Stage2 на алерт разом з рангом."""

    alert: Mapping[str, Any]
    decision: dict[str, Any]
    rank: Rank

    @property
    def symbol(self) -> str:
        return str(self.decision.get("symbol") or self.alert.get("symbol") or "")

    @property
    def ts(self) -> int:
        raw = self.decision.get("timestamp") or self.alert.get("timestamp") or 0
        return int(raw)

    @property
    def actionable(self) -> bool:
        d = self.decision
        rec = d.get("recommendation")
        return d.get("status") == STAGE2_STATUS["COMPLETED"] and (rec in BUY_SET or rec in SELL_SET)


@dataclass(slots=True)
class Verdict:
    """Що бюджет вирішив про кандидата: сигнал (`promoted`) чи watch, і чому."""

    candidate: Candidate
    promoted: bool
    reason: str
    late: bool = False


# ── Відро токенів ──
class TokenBucket:
    """Відро токенів у часі подій: `rate` токенів за мс, не більше `capacity`."""

    __slots__ = ("capacity", "last_ts", "rate", "tokens")

    def __init__(self, capacity: float, rate_per_ms: float, initial: float) -> None:
        self.capacity = capacity
        self.rate = rate_per_ms
        self.tokens = min(capacity, initial)
        self.last_ts: int | None = None

    def level(self, ts: int) -> float:
        """Токени на момент `ts` (час не йде назад: старіший `ts` нічого не додає)."""
        if self.last_ts is None:
            self.last_ts = ts
        elif ts > self.last_ts:
            self.tokens = min(self.capacity, self.tokens + (ts - self.last_ts) * self.rate)
            self.last_ts = ts
        return self.tokens

    def take(self) -> None:
        self.tokens -= 1.0


# ── Бюджет ──
class AlertBudget:
    """Ворота кандидатів (правила — в описі модуля)."""

    def __init__(self, params: Mapping[str, Any] = ALERT_BUDGET) -> None:
        self.enabled = bool(params["enabled"])
        self.min_rank = float(params["min_rank"])
        self.per_day = float(params["per_symbol_per_day"])
        self.burst = max(1.0, float(params["per_symbol_burst"]))
        per_hour = float(params["market_per_hour"])
        self.market = TokenBucket(max(1.0, per_hour), per_hour / HOUR_MS, max(1.0, per_hour))
        self._symbols: dict[str, TokenBucket] = {}
        self._pending: dict[int, list[Candidate]] = {}
        self.watermark: int | None = None  # усі хвилини з ts < watermark уже вирішено
        self.counters: dict[str, int] = {reason: 0 for reason in REASONS}
        self.counters["late"] = 0

    def next_due(self) -> int | None:
        """Найстаріший ts кандидатів, що чекають рішення (None — нікого)."""
        return min(self._pending) if self._pending else None

    def offer(self, cand: Candidate) -> list[Verdict]:
        """Кандидат до бюджету; повертає вердикти, які вже можна дати (зазвичай порожньо)."""
        if not self.enabled:
            return [self._count(Verdict(cand, True, REASON_BUDGET_OFF))]
        if self.watermark is not None and cand.ts < self.watermark:
            self.counters["late"] += 1
            verdict = self._decide(cand)
            verdict.late = True
            return [verdict]
        self._pending.setdefault(cand.ts, []).append(cand)
        return []

    def release(self, before_ts: int) -> list[Verdict]:
        """Вирішує всіх кандидатів з ts < `before_ts` (хвилинами за часом, у хвилині — за рангом)."""
        if self.watermark is None or before_ts > self.watermark:
            self.watermark = before_ts
        if not self._pending:
            return []
        due = sorted(ts for ts in self._pending if ts < before_ts)
        out: list[Verdict] = []
        for ts in due:
            group = self._pending.pop(ts)
            group.sort(key=lambda c: (-c.rank.score, c.symbol))
            out.extend(self._decide(c) for c in group)
        return out

    def release_all(self) -> list[Verdict]:
        """Вирішує всіх, хто чекає (кінець прогону чи зупинка)."""
        if not self._pending:
            return []
        return self.release(max(self._pending) + 1)

    def _decide(self, cand: Candidate) -> Verdict:
        if not cand.actionable:
            return self._count(Verdict(cand, False, REASON_NOT_ACTIONABLE))
        if cand.rank.score < self.min_rank:
            return self._count(Verdict(cand, False, REASON_BELOW_RANK))
        ts = cand.ts
        bucket = self._symbols.get(cand.symbol)
        if bucket is None:
            bucket = self._symbols[cand.symbol] = TokenBucket(self.burst, self.per_day / DAY_MS, 1.0)
        if bucket.level(ts) < 1.0:
            return self._count(Verdict(cand, False, REASON_SYMBOL_BUDGET))
        if self.market.level(ts) < 1.0:
            return self._count(Verdict(cand, False, REASON_MARKET_BUDGET))
        bucket.take()
        self.market.take()
        return self._count(Verdict(cand, True, REASON_PROMOTED))

    def _count(self, verdict: Verdict) -> Verdict:
        self.counters[verdict.reason] += 1
        return verdict


__all__ = [
    "REASONS",
    "REASON_BELOW_RANK",
    "REASON_BUDGET_OFF",
    "REASON_MARKET_BUDGET",
    "REASON_NOT_ACTIONABLE",
    "REASON_PROMOTED",
    "REASON_SYMBOL_BUDGET",
    "AlertBudget",
    "Candidate",
    "TokenBucket",
    "Verdict",
]
