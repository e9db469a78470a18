"""Ворота сигналів ядра: ранг → бюджет → наслідки → записи типів. Одне місце, яке ядро кличе.

Кожне рішення Stage2 на алерт стає кандидатом: отримує ранг (`ranking`), тип і id, чекає на
вердикт бюджету (`budget`) і, якщо має напрямок, потрапляє до трекера наслідків (`outcomes`).
Завершені наслідки поповнюють записи типів (`records`), які бачать кадр, UI і пояснення.
До рішення дописується словник `signal`: id, тип, бік, ранг, вердикт (`surfaced`, `reason`) і
виміряний запис типу на момент рішення (лише коли трекер увімкнено — наживо), а також власний
план сигналу (`plan`: зона входу, TP, SL, R/R після комісій), якщо Stage2 дав напрямок і план.
Наживо сигнал, що пройшов бюджет, отримує життєвий цикл (`lifecycle`): закриті бари ведуть його
new → active → triggered → hit_tp / hit_sl / invalidated / expired; у бектесті ті самі стани дає
`lifecycle.replay` на тих самих барах.
Символ із застарілим фідом (`set_stale`) сигналів не дає: його кандидат одразу стає watch з
причиною `stale_feed`, бюджет його не бачить.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aione.config.config import ALERT_BUDGET
from aione.signals.budget import AlertBudget, Candidate, Verdict
from aione.signals.lifecycle import LifecycleBook, SignalLifecycle, plan_from_decision, plan_from_mapping
from aione.signals.outcomes import OutcomeTracker
from aione.signals.ranking import RankScorer
from aione.signals.records import RecordBook, signal_kind, signal_side
from aione.utils.utils import finite_or_none

STALE_FEED_REASON = "stale_feed"


def signal_id(symbol: str, ts: int) -> str:
    """Id сигналу: символ і open_time бару алерту (на символ і бар — не більше одного алерту)."""
    return f"{symbol}:{ts}"


def outcome_plan(decision: Mapping[str, Any], side: str | None) -> tuple[float | None, float | None]:
    """TP/SL для наслідків: план Stage2, а без плану — ті самі множники від бази волатильності."""
    risk = decision.get("risk_parameters") or {}
    tp, sl = finite_or_none(risk.get("tp")), finite_or_none(risk.get("sl"))
    if tp is not None and sl is not None:
        return tp, sl
    entry, atr = finite_or_none(risk.get("entry")), finite_or_none(risk.get("atr"))
    tp_mult, sl_mult = finite_or_none(risk.get("tp_mult")), finite_or_none(risk.get("sl_mult"))
    if side is None or entry is None or not atr or tp_mult is None or sl_mult is None:
        return None, None
    sign = 1.0 if side == "BUY" else -1.0
    return entry + sign * tp_mult * atr, entry - sign * sl_mult * atr


class SignalGate:
    """Ранг, бюджет, наслідки й записи для кандидатів ядра."""

    def __init__(self, params: Mapping[str, Any] = ALERT_BUDGET, *, track: bool = True) -> None:
        self.budget_params = params
        self.scorer = RankScorer(params)
        self.budget = AlertBudget(params)
        self.track = track
        self.tracker = OutcomeTracker()
        self.book = RecordBook()
        self.lifecycles = LifecycleBook()
        self.changed: list[SignalLifecycle] = []  # цикли, змінені з останнього `take_changed`
        self._kinds: dict[str, str] = {}
        self.stale: dict[str, str] = {}  # символ → чому фід застарів

    def set_stale(self, stale: Mapping[str, str]) -> None:
        """Символи із застарілим фідом (символ → причина); порожній — усі свіжі."""
        self.stale = dict(stale)

    # ── Кандидати ──
    def offer(self, alert: Mapping[str, Any], decision: dict[str, Any]) -> list[Verdict]:
        """Кандидат: ранг, тип, трекер; повертає вердикти, які вже можна дати."""
        symbol = str(decision.get("symbol") or alert.get("symbol") or "")
        ts = int(decision.get("timestamp") or alert.get("timestamp") or 0)
        rank = self.scorer.score(alert, decision)
        side = signal_side(decision, alert)
        kind = signal_kind(side, alert.get("trigger_reasons") or ())
        sid = signal_id(symbol, ts)
        meta: dict[str, Any] = {"id": sid, "kind": kind, "side": side, "rank": rank.as_dict()}
        plan = plan_from_decision(decision)
        if plan is not None:
            meta["plan"] = plan.as_dict()
        if self.track:
            meta["record"] = self.book.record(kind)
            entry = finite_or_none((alert.get("stats") or {}).get("close"))
            if side is not None and entry is not None:
                tp, sl = outcome_plan(decision, side)
                self.tracker.add(sid, symbol, ts, 1.0 if side == "BUY" else -1.0, entry, tp, sl)
                self._kinds[sid] = kind
        decision["signal"] = meta
        if symbol in self.stale:  # бари не йдуть: рішення на старих даних сигналом не стає
            return [self._stamp(Verdict(Candidate(alert, decision, rank), False, STALE_FEED_REASON))]
        return [self._stamp(v) for v in self.budget.offer(Candidate(alert, decision, rank))]

    def release(self, before_ts: int) -> list[Verdict]:
        """Вердикти всіх кандидатів з ts < `before_ts`."""
        return [self._stamp(v) for v in self.budget.release(before_ts)]

    def release_all(self) -> list[Verdict]:
        return [self._stamp(v) for v in self.budget.release_all()]

    def _stamp(self, verdict: Verdict) -> Verdict:
        meta = verdict.candidate.decision.setdefault("signal", {})
        meta["surfaced"] = verdict.promoted
        meta["reason"] = verdict.reason
        if self.track and verdict.promoted:
            plan = plan_from_mapping(meta.get("plan"))
            symbol = verdict.candidate.decision.get("symbol")
            ts = verdict.candidate.decision.get("timestamp")
            if plan is not None and isinstance(symbol, str) and isinstance(ts, int):
                self.changed.extend(self.lifecycles.start(str(meta.get("id")), symbol, ts, plan))
        return verdict

    # ── Наслідки ──
    def on_closed_bar(self, symbol: str, open_time: int, high: float, low: float, close: float) -> int:
        """Закритий бар для трекера; повертає, скільки наслідків щойно завершилось."""
        if not self.track:
            return 0
        self.changed.extend(self.lifecycles.on_bar(symbol, open_time, high, low, close))
        done = self.tracker.on_bar(symbol, open_time, high, low, close)
        for key, outcome in done:
            kind = self._kinds.pop(key, None)
            if kind is not None:
                self.book.add(kind, outcome)
        return len(done)

    def record(self, kind: str) -> dict[str, Any] | None:
        return self.book.record(kind)

    # ── Життєві цикли ──
    def take_changed(self) -> list[SignalLifecycle]:
        """Цикли, чий стан змінився з попереднього виклику (кожен раз, навіть якщо змінювався двічі)."""
        changed, self.changed = self.changed, []
        return list({id(life): life for life in changed}.values())


__all__ = ["STALE_FEED_REASON", "SignalGate", "outcome_plan", "signal_id"]
