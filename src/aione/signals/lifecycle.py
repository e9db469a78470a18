"""Життєвий цикл сигналу: new → active → triggered → hit_tp / hit_sl / invalidated / expired.

Чисте ядро, кероване закритими 1m барами в часі подій (жодного годинника): наживо його веде ядро
конвеєра (`SignalGate.on_closed_bar`), у бектесті — `replay` на тих самих барах, тож стани
збігаються. План сигналу — власний план Stage2 (зона входу, TP, SL, R/R після комісій), він не
залежить від того, чи відкрито паперову угоду.

Правила (бар сигналу — open_time = `bar_ts`; сигнал видано на його закритті, `issued_ts`):
- new — сигнал видано, новішого бару ще не було;
- active — є новіший бар, ціна ще не торкнулась зони входу [entry_lo, entry_hi];
- triggered — діапазон бару [low, high] торкнувся зони входу. З цього ж бару TP/SL перевіряються
  правилом Stage3 (`stage3.trade_rules.exit_hit`: BUY — SL при low ≤ SL, TP при high ≥ TP, обидва
  в одному барі — SL), тож угода Stage3, що увійшла на тому самому барі з тим самим планом,
  закривається так само, поки Stage3 не посунула свій стоп (беззбиток, трейлінг і часова зупинка
  змінюють угоду, а не план сигналу);
- hit_tp / hit_sl — після входу бар зачепив TP / SL;
- invalidated — до входу: закриття бару за SL (BUY: close < SL, SELL: close > SL — правило, яке
  називає наратив: «ідею скасує закриття нижче/вище SL»), TP торкнуто до входу (рух минув без
  входу) або протилежний сигнал того самого символу (як злам контексту в Stage3);
- expired — немає входу за `entry_window_min` хвилин або ні TP, ні SL за `expiry_min` хвилин.
  Вікно — бари з bar_ts < open_time ≤ bar_ts + N·хв (як горизонти наслідків); стан ставиться на
  барі, що закриває вікно, або, якщо в даних пропуск, на першому барі після нього (з часом межі).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aione.config.config import SIGNAL_ENTRY_WINDOW_MIN, SIGNAL_EXPIRY_MIN
from aione.data.bars import BarArrays
from aione.stage3.trade_model import REASON_TP
from aione.stage3.trade_rules import exit_hit
from aione.utils.utils import finite_or_none

MINUTE_MS = 60_000

STATE_NEW = "new"
STATE_ACTIVE = "active"
STATE_TRIGGERED = "triggered"
STATE_HIT_TP = "hit_tp"
STATE_HIT_SL = "hit_sl"
STATE_INVALIDATED = "invalidated"
STATE_EXPIRED = "expired"
STATES = (STATE_NEW, STATE_ACTIVE, STATE_TRIGGERED, STATE_HIT_TP, STATE_HIT_SL, STATE_INVALIDATED, STATE_EXPIRED)
FINAL_STATES = frozenset({STATE_HIT_TP, STATE_HIT_SL, STATE_INVALIDATED, STATE_EXPIRED})

# Причини переходів (ключі для тексту в `stage2.narrative.lifecycle_reason_text`).
REASON_CLOSE_BEYOND_SL = "close_beyond_sl"
REASON_TP_BEFORE_ENTRY = "tp_before_entry"
REASON_OPPOSITE = "opposite_signal"
REASON_NO_ENTRY = "no_entry"
REASON_NO_EXIT = "no_exit"
REASON_ENTRY = "entry"
REASON_TP_HIT = "tp_hit"
REASON_SL_HIT = "sl_hit"

RULE_CLOSE_BELOW = "close_below"
RULE_CLOSE_ABOVE = "close_above"


# ── План ──
@dataclass(frozen=True, slots=True)
class SignalPlan:
    """Власний план сигналу: бік, зона входу, TP, SL, R/R після комісій."""

    side: str  # BUY | SELL
    entry_lo: float
    entry_hi: float
    tp: float
    sl: float
    rr_net: float | None = None

    @property
    def invalidation_rule(self) -> str:
        """Правило скасування до входу: закриття нижче SL (BUY) або вище SL (SELL)."""
        return RULE_CLOSE_BELOW if self.side == "BUY" else RULE_CLOSE_ABOVE

    def as_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "entry_lo": self.entry_lo,
            "entry_hi": self.entry_hi,
            "tp": self.tp,
            "sl": self.sl,
            "rr_net": self.rr_net,
        }


def plan_from_mapping(data: Mapping[str, Any] | None) -> SignalPlan | None:
    """План зі словника `SignalPlan.as_dict` (запис сигналу бектесту); некоректний — None."""
    if not isinstance(data, Mapping):
        return None
    side = data.get("side")
    lo, hi = finite_or_none(data.get("entry_lo")), finite_or_none(data.get("entry_hi"))
    tp, sl = finite_or_none(data.get("tp")), finite_or_none(data.get("sl"))
    if side not in ("BUY", "SELL") or lo is None or hi is None or tp is None or sl is None:
        return None
    if not 0 < lo <= hi:
        return None
    if (side == "BUY" and not sl < lo <= hi < tp) or (side == "SELL" and not tp < lo <= hi < sl):
        return None
    return SignalPlan(str(side), lo, hi, tp, sl, finite_or_none(data.get("rr_net")))


def plan_from_decision(decision: Mapping[str, Any]) -> SignalPlan | None:
    """План з рішення Stage2 (бік BUY/SELL, `risk_parameters`: entry_zone, tp, sl, rr_net) або None."""
    risk = decision.get("risk_parameters")
    if not isinstance(risk, Mapping):
        return None
    zone = risk.get("entry_zone")
    if not isinstance(zone, list | tuple) or len(zone) != 2:
        return None
    return plan_from_mapping(
        {
            "side": decision.get("side"),
            "entry_lo": zone[0],
            "entry_hi": zone[1],
            "tp": risk.get("tp"),
            "sl": risk.get("sl"),
            "rr_net": risk.get("rr_net"),
        }
    )


# ── Один сигнал ──
@dataclass(slots=True)
class SignalLifecycle:
    """Стан одного сигналу (правила — в описі модуля). Змінюється лише `on_bar` і `invalidate`."""

    signal_id: str
    symbol: str
    bar_ts: int
    plan: SignalPlan
    entry_window_min: int = SIGNAL_ENTRY_WINDOW_MIN
    expiry_min: int = SIGNAL_EXPIRY_MIN
    state: str = STATE_NEW
    reason: str | None = None
    triggered_ts: int | None = None
    final_ts: int | None = None
    exit_price: float | None = None
    last_bar_ts: int | None = None

    @property
    def issued_ts(self) -> int:
        """Час видачі: закриття бару сигналу (мс події)."""
        return self.bar_ts + MINUTE_MS

    @property
    def entry_deadline(self) -> int:
        return self.bar_ts + self.entry_window_min * MINUTE_MS

    @property
    def expiry_deadline(self) -> int:
        return self.bar_ts + self.expiry_min * MINUTE_MS

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def _finish(self, state: str, reason: str, ts: int) -> None:
        self.state = state
        self.reason = reason
        self.final_ts = ts

    def invalidate(self, ts: int, reason: str = REASON_OPPOSITE) -> bool:
        """Скасування ззовні (протилежний сигнал); лише до входу й не для завершеного."""
        if self.is_final or self.state == STATE_TRIGGERED:
            return False
        self._finish(STATE_INVALIDATED, reason, ts)
        return True

    def on_bar(self, open_time: int, high: float, low: float, close: float) -> bool:
        """Закритий бар символу; True — стан змінився."""
        if self.is_final or open_time <= self.bar_ts:
            return False
        if not (math.isfinite(high) and math.isfinite(low) and math.isfinite(close)):
            return False
        before = self.state
        self.last_bar_ts = open_time
        if self.state == STATE_NEW:
            self.state = STATE_ACTIVE
        if self.state == STATE_ACTIVE and open_time > self.entry_deadline:  # пропуск у даних
            self._finish(STATE_EXPIRED, REASON_NO_ENTRY, self.entry_deadline)
            return True
        if open_time > self.expiry_deadline:
            self._finish(STATE_EXPIRED, REASON_NO_EXIT, self.expiry_deadline)
            return True
        plan = self.plan
        if self.state == STATE_ACTIVE:
            if low <= plan.entry_hi and high >= plan.entry_lo:
                self.state = STATE_TRIGGERED
                self.reason = REASON_ENTRY
                self.triggered_ts = open_time
            elif (plan.side == "BUY" and high >= plan.tp) or (plan.side == "SELL" and low <= plan.tp):
                self._finish(STATE_INVALIDATED, REASON_TP_BEFORE_ENTRY, open_time)
            elif (plan.side == "BUY" and close < plan.sl) or (plan.side == "SELL" and close > plan.sl):
                self._finish(STATE_INVALIDATED, REASON_CLOSE_BEYOND_SL, open_time)
        if self.state == STATE_TRIGGERED:
            hit = exit_hit(plan.side, plan.tp, plan.sl, high, low)
            if hit is not None:
                reason, price = hit
                tp = reason == REASON_TP
                self._finish(STATE_HIT_TP if tp else STATE_HIT_SL, REASON_TP_HIT if tp else REASON_SL_HIT, open_time)
                self.exit_price = price
        if self.state == STATE_ACTIVE and open_time >= self.entry_deadline:
            self._finish(STATE_EXPIRED, REASON_NO_ENTRY, open_time)
        elif not self.is_final and open_time >= self.expiry_deadline:
            self._finish(STATE_EXPIRED, REASON_NO_EXIT, open_time)
        return self.state != before

    def view(self, now_ms: int | None = None) -> dict[str, Any]:
        """Запис для кадру: id, час видачі, стан, вік, план, правило скасування, причина."""
        plan = self.plan
        age = None
        if now_ms is not None:
            age = max(0, now_ms - self.issued_ts) // 1000
        return {
            "id": self.signal_id,
            "side": plan.side,
            "issued_ts": self.issued_ts,
            "state": self.state,
            "final": self.is_final,
            "age_sec": age,
            "plan": {k: v for k, v in plan.as_dict().items() if k != "side"},
            "invalidation": {"rule": plan.invalidation_rule, "level": plan.sl},
            "reason": self.reason,
            "triggered_ts": self.triggered_ts,
            "final_ts": self.final_ts,
            "expires_ts": self.entry_deadline if self.state in (STATE_NEW, STATE_ACTIVE) else self.expiry_deadline,
            "exit_price": self.exit_price,
            "entry_window_min": self.entry_window_min,
            "expiry_min": self.expiry_min,
        }


# ── Книга сигналів (наживо) ──
class LifecycleBook:
    """Незавершені сигнали за символами й останній сигнал кожного символу (для кадру)."""

    def __init__(self, entry_window_min: int = SIGNAL_ENTRY_WINDOW_MIN, expiry_min: int = SIGNAL_EXPIRY_MIN) -> None:
        self.entry_window_min = entry_window_min
        self.expiry_min = expiry_min
        self._open: dict[str, list[SignalLifecycle]] = {}
        self.latest: dict[str, SignalLifecycle] = {}
        self.final_counts: dict[str, int] = {}

    @property
    def open_count(self) -> int:
        return sum(len(v) for v in self._open.values())

    def start(self, signal_id: str, symbol: str, bar_ts: int, plan: SignalPlan) -> list[SignalLifecycle]:
        """Новий сигнал; протилежні незавершені сигнали символу до входу скасовуються.
        Повертає змінені (скасовані й новий)."""
        life = SignalLifecycle(signal_id, symbol, bar_ts, plan, self.entry_window_min, self.expiry_min)
        changed: list[SignalLifecycle] = []
        items = self._open.get(symbol, [])
        keep: list[SignalLifecycle] = []
        for old in items:
            if old.plan.side != plan.side and old.invalidate(life.issued_ts):
                changed.append(old)
                self._count(old)
            if not old.is_final:
                keep.append(old)
        keep.append(life)
        self._open[symbol] = keep
        self.latest[symbol] = life
        changed.append(life)
        return changed

    def on_bar(self, symbol: str, open_time: int, high: float, low: float, close: float) -> list[SignalLifecycle]:
        """Закритий бар символу; повертає сигнали, чий стан змінився."""
        items = self._open.get(symbol)
        if not items:
            return []
        changed = [life for life in items if life.on_bar(open_time, high, low, close)]
        if changed:
            keep = [life for life in items if not life.is_final]
            for life in changed:
                if life.is_final:
                    self._count(life)
            if keep:
                self._open[symbol] = keep
            else:
                del self._open[symbol]
        return changed

    def _count(self, life: SignalLifecycle) -> None:
        self.final_counts[life.state] = self.final_counts.get(life.state, 0) + 1


# ── Пакетна форма (бектест) ──
def replay(
    signals: Iterable[tuple[str, int, SignalPlan]],
    bars: BarArrays,
    *,
    entry_window_min: int = SIGNAL_ENTRY_WINDOW_MIN,
    expiry_min: int = SIGNAL_EXPIRY_MIN,
) -> dict[str, SignalLifecycle]:
    """Життєві цикли сигналів одного символу `(id, bar_ts, план)` на його барах — ті самі стани,
    що дає `LifecycleBook` наживо: сигнал стартує до бару, новішого за його бар (вердикт бюджету
    звучить на першій новішій події), протилежний сигнал скасовує ще не вхідний до наступного бару."""
    ordered = sorted(signals, key=lambda s: s[1])
    t = bars.open_time
    out: dict[str, SignalLifecycle] = {}
    for k, (sid, bar_ts, plan) in enumerate(ordered):
        life = SignalLifecycle(sid, "", bar_ts, plan, entry_window_min, expiry_min)
        out[sid] = life
        # Перший пізніший протилежний сигнал: бари з open_time ≤ його бару ще доходять до цього.
        cutoff: int | None = None
        for _, later_ts, later in ordered[k + 1 :]:
            if later.side != plan.side and later_ts > bar_ts:
                cutoff = later_ts
                break
        start = int(t.searchsorted(bar_ts, side="right"))
        for i in range(start, len(t)):
            open_time = int(t[i])
            if cutoff is not None and open_time > cutoff:
                if life.invalidate(cutoff + MINUTE_MS):
                    break
                cutoff = None  # уже після входу: протилежний сигнал план не скасовує
            life.on_bar(open_time, float(bars.high[i]), float(bars.low[i]), float(bars.close[i]))
            if life.is_final:
                break
    return out


def count_states(lives: Sequence[SignalLifecycle]) -> dict[str, int]:
    """Скільки сигналів у кожному стані (усі стани, нулі теж)."""
    counts = dict.fromkeys(STATES, 0)
    for life in lives:
        counts[life.state] += 1
    return counts


__all__ = [
    "FINAL_STATES",
    "LifecycleBook",
    "REASON_CLOSE_BEYOND_SL",
    "REASON_NO_ENTRY",
    "REASON_NO_EXIT",
    "REASON_OPPOSITE",
    "REASON_TP_BEFORE_ENTRY",
    "RULE_CLOSE_ABOVE",
    "RULE_CLOSE_BELOW",
    "STATES",
    "STATE_ACTIVE",
    "STATE_EXPIRED",
    "STATE_HIT_SL",
    "STATE_HIT_TP",
    "STATE_INVALIDATED",
    "STATE_NEW",
    "STATE_TRIGGERED",
    "SignalLifecycle",
    "SignalPlan",
    "count_states",
    "plan_from_decision",
    "plan_from_mapping",
    "replay",
]
