"""Швидкий шлях `TradeManager` проти прямолінійного еталона з чистих правил `trade_rules`.

Еталон нижче — буквальна композиція правил (кожне оновлення ціни: вихід → екстремуми →
час → адаптація стопу; рішення: злам контексту → план), як менеджер працював до оптимізацій.
Менеджер мусить давати ті самі події, ті самі копії угод, ту саму `version` і той самий
`last_events` на випадкових сценаріях (гепи, погані ціни, обидві сторони, перевороти) і на
записаних барах.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import pytest

from aione.config.config import STAGE3_TRADE_PARAMS
from aione.data.bars import Bar, read_bars_parquet
from aione.stage3 import trade_rules as rules
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import Trade, TradeEvent

T0 = 1_748_000_000_000
MIN = 60_000
SYMBOLS = ("SOLUSDT", "ETHUSDT", "XRPUSDT")
RARE = "ADAUSDT"  # рішення приходять, а ціни рідко: очікуючі угоди доживають до тайм-ауту


# ── Еталон ──
def _ok(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _clone(trade: Trade) -> Trade:
    return replace(trade, tags=list(trade.tags))


class Reference:
    """Прямолінійна модель менеджера: лише публічні правила, без жодних скорочень."""

    def __init__(self, params: Mapping[str, Any], stop_rules: Sequence[rules.StopRule] | None) -> None:
        self.params = dict(params)
        self.stop_rules = tuple(stop_rules) if stop_rules is not None else rules.default_stop_rules(params)
        self.active: dict[tuple[str, str], Trade] = {}
        self.recent: deque[Trade] = deque(maxlen=int(self.params["recent_trades_keep"]))
        self.last_price: dict[str, float] = {}
        self.last_events: list[TradeEvent] = []
        self.version = 0
        self.last_refresh: int | None = None

    def finish(self, events: list[TradeEvent]) -> list[TradeEvent]:
        if events:
            self.version += 1
        self.last_events = events
        return events

    def close_trade(self, trade: Trade, reason: str, price: float, ts: int) -> TradeEvent:
        trade.status, trade.close_reason, trade.exit_price, trade.exit_ts = "closed", reason, price, ts
        trade.last_price, trade.last_ts = price, ts
        self.active.pop((trade.symbol, trade.side), None)
        self.recent.append(trade)
        return TradeEvent("closed", _clone(trade))

    def cancel(self, trade: Trade, reason: str, ts: int) -> TradeEvent:
        trade.status, trade.close_reason, trade.exit_ts = "cancelled", reason, ts
        self.active.pop((trade.symbol, trade.side), None)
        return TradeEvent("cancelled", _clone(trade))

    def exit_reference(self, trade: Trade, result: Mapping[str, Any]) -> float:
        price = self.last_price.get(trade.symbol) or trade.last_price
        if price is None:
            context = result.get("market_context") or {}
            candidate = context.get("price") if isinstance(context, Mapping) else None
            price = float(candidate) if isinstance(candidate, int | float) and _ok(candidate) else None
        return price or trade.entry_price or trade.planned_entry

    def on_decision(self, result: Mapping[str, Any]) -> Trade | None:
        events: list[TradeEvent] = []
        symbol = result.get("symbol")
        created = None
        if isinstance(symbol, str):
            raw = result.get("timestamp")
            ts = (
                None
                if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw)
                else int(raw)
            )
            for side in ("BUY", "SELL"):
                trade = self.active.get((symbol, side))
                if trade is None or ts is None or not rules.is_context_break(trade, result, self.params):
                    continue
                if trade.status == "pending":
                    events.append(self.cancel(trade, "invalidated", ts))
                else:
                    events.append(
                        self.close_trade(trade, "early_exit", self.exit_reference(trade, result), ts)
                    )
            plan = rules.plan_trade(result, self.params)
            if plan is not None and (symbol, plan.side) not in self.active:
                self.active[(symbol, plan.side)] = plan
                created = _clone(plan)
                events.append(TradeEvent("pending", created))
        self.finish(events)
        return created

    def follow(self, trade: Trade, price: float, hi: float, lo: float, ts: int) -> TradeEvent | None:
        hit = rules.check_exit(trade, hi, lo)
        if hit is not None:
            reason, exit_price = hit
            if reason == "tp_hit" and trade.side == "BUY":
                rules.track_extremes(trade, exit_price, lo)
            elif reason == "tp_hit":
                rules.track_extremes(trade, hi, exit_price)
            best, worst = trade.best_price, trade.worst_price
            d = trade.direction
            favourable = d * (exit_price - (trade.entry_price or exit_price)) >= 0
            if favourable and (best is None or d * (exit_price - best) > 0):
                best = exit_price
            if not favourable and (worst is None or d * (exit_price - worst) < 0):
                worst = exit_price
            trade.best_price, trade.worst_price = best, worst
            return self.close_trade(trade, reason, exit_price, ts)
        rules.track_extremes(trade, hi, lo)
        trade.last_price, trade.last_ts = price, ts
        if rules.time_exit_due(trade, ts, self.params):
            return self.close_trade(trade, "time_exit", price, ts)
        new_sl = rules.tightened_stop(trade, self.stop_rules)
        if new_sl is None:
            return None
        trade.sl = new_sl
        trade.breakeven_done = (
            trade.breakeven_done or trade.direction * (new_sl - (trade.entry_price or 0)) >= 0
        )
        trade.trailing_active = trade.trailing_active or any(
            isinstance(r, rules.TrailingRule) and r.propose(trade) is not None for r in self.stop_rules
        )
        self.version += 1
        return TradeEvent("updated", _clone(trade))

    def on_price(
        self, symbol: str, price: float, ts: int, *, high: float | None = None, low: float | None = None
    ) -> list[TradeEvent]:
        events: list[TradeEvent] = []
        if not _ok(price):
            return self.finish(events)
        hi = max(price, high) if high is not None and _ok(high) else price
        lo = min(price, low) if low is not None and _ok(low) else price
        self.last_price[symbol] = price
        for side in ("BUY", "SELL"):
            trade = self.active.get((symbol, side))
            if trade is None:
                continue
            event: TradeEvent | None
            if trade.status == "pending":
                if ts <= trade.decision_ts:
                    event = None
                elif rules.entry_invalid(trade, price):
                    event = self.cancel(trade, "invalidated", ts)
                else:
                    trade.status, trade.entry_price, trade.entry_ts = "open", price, ts
                    trade.last_price, trade.last_ts, trade.best_price, trade.worst_price = (
                        price,
                        ts,
                        price,
                        price,
                    )
                    event = TradeEvent("opened", _clone(trade))
            else:
                event = self.follow(trade, price, hi, lo, ts)
            if event is not None:
                events.append(event)
        return self.finish(events)

    def on_bar(self, symbol: str, bar: Bar) -> list[TradeEvent]:
        if not bar.closed:
            return self.on_price(symbol, bar.close, bar.open_time)
        events = list(self.on_price(symbol, bar.open, bar.open_time))
        events.extend(self.on_price(symbol, bar.close, bar.open_time, high=bar.high, low=bar.low))
        return self.finish(events)

    def refresh(self, ts: int) -> list[TradeEvent]:
        events: list[TradeEvent] = []
        for trade in list(self.active.values()):
            if trade.status == "open" and rules.time_exit_due(trade, ts, self.params):
                events.append(self.close_trade(trade, "time_exit", self.exit_reference(trade, {}), ts))
            elif trade.status == "pending" and rules.entry_timed_out(trade, ts, self.params):
                events.append(self.cancel(trade, "entry_timeout", ts))
        return self.finish(events)

    def refresh_if_due(self, ts: int, interval_ms: int) -> list[TradeEvent]:
        if self.last_refresh is not None and ts - self.last_refresh < interval_ms:
            return self.finish([])
        self.last_refresh = ts
        return self.refresh(ts)


# ── Порівняння ──
def _events(events: Sequence[TradeEvent]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.kind, e.trade.to_dict()) for e in events]


def _assert_same(tm: TradeManager, ref: Reference, got: Any, want: Any, step: str) -> None:
    if isinstance(want, list):
        assert isinstance(got, list) and got is tm.last_events, step
        assert _events(got) == _events(want), step
    else:
        assert (got.to_dict() if got is not None else None) == (
            want.to_dict() if want is not None else None
        ), step
    assert _events(tm.last_events) == _events(ref.last_events), step
    assert tm.version == ref.version, step
    assert [t.to_dict() for t in tm.active_trades()] == [_clone(t).to_dict() for t in ref.active.values()], (
        step
    )
    if ref.last_events:  # недавні змінюються лише разом з подіями
        assert [t.to_dict() for t in tm.recent_trades()] == [t.to_dict() for t in ref.recent], step
    assert tm.active_symbols() == frozenset(s for s, _ in ref.active), step


def _num(rng: random.Random, value: float) -> float:
    """Інколи псує ціну (NaN, нуль, нескінченність, від'ємна) — погані дані не мають нічого ламати."""
    roll = rng.random()
    if roll < 0.01:
        return float("nan")
    if roll < 0.015:
        return 0.0
    if roll < 0.02:
        return float("inf")
    if roll < 0.025:
        return -value
    return value


def _decision(rng: random.Random, symbol: str, price: float, ts: int) -> dict[str, Any]:
    rec = rng.choice(
        ["STRONG_BUY", "BUY_IN_DIPS", "STRONG_SELL", "SELL_ON_RALLIES", "HOLD", "AVOID_HIGH_RISK"]
    )
    buy = "BUY" in rec
    atr = price * rng.uniform(0.002, 0.02)
    wrong = rng.random() < 0.1
    sign = (1 if buy else -1) * (-1 if wrong else 1)
    entry = price * rng.uniform(0.995, 1.005)
    risk: dict[str, Any] = {
        "entry": entry,
        "tp": entry + sign * atr * rng.uniform(0.5, 4.0),
        "sl": entry - sign * atr * rng.uniform(0.05, 1.5),
        "atr": rng.choice([atr, atr, 0.0, None]),
    }
    if rng.random() < 0.7:
        risk["tick_size"] = rng.choice([0.01, 0.001, 0.25])
    if rng.random() < 0.3:
        risk["tags"] = ["signal_generated", 7]
    stamp: Any = rng.choice([ts, ts, ts, float(ts), None, True, float("nan")])
    result: dict[str, Any] = {
        "symbol": symbol if rng.random() > 0.02 else None,
        "timestamp": stamp,
        "status": rng.choice(["completed"] * 6 + ["error", "skipped"]),
        "recommendation": rec,
        "market_context": {
            "scenario": rng.choice(
                ["BULLISH_BREAKOUT", "BEARISH_REVERSAL", "RANGE_BOUND", "BEARISH_CONTROL"]
            ),
            "volatility_regime": rng.choice(["normal", "normal", "low", "high"]),
            "atr": atr,
            "price": rng.choice([price, None, float("nan")]),
        },
        "confidence_metrics": {"composite_confidence": rng.uniform(0.6, 0.95)},
        "risk_parameters": risk,
    }
    return result


@dataclass(frozen=True, slots=True)
class HalfwayRule:
    """Стороннє правило (не з `trade_rules`): стоп на півдорозі від початкового до найкращої ціни."""

    def propose(self, trade: Trade) -> float | None:
        if trade.best_price is None:
            return None
        return (trade.initial_sl + trade.best_price) / 2.0


def _params(**overrides: Any) -> dict[str, Any]:
    return {**STAGE3_TRADE_PARAMS, **overrides}


VARIANTS: dict[str, tuple[dict[str, Any], tuple[rules.StopRule, ...] | None]] = {
    "default": (_params(), None),
    "scenario_flip_short_hold": (_params(exit_on_scenario_flip=True, max_holding_sec=1800), None),
    "cover_fees_no_trail": (_params(breakeven_cover_fees=True, trail_after_atr=0), None),
    "no_stop_rules": (_params(breakeven_after_atr=0, trail_after_atr=0, entry_timeout_sec=0), None),
    "tight_rules": (_params(max_holding_sec=0), (rules.BreakEvenRule(0.3), rules.TrailingRule(0.6, 0.4))),
    "custom_rule": (_params(), (rules.BreakEvenRule(0.5), HalfwayRule(), rules.TrailingRule(1.0, 0.5))),
    "nan_rule": (_params(), (rules.TrailingRule(float("nan"), 0.7),)),
}


def _drive(variant: str, seed: int, steps: int = 1500) -> None:
    params, stop_rules = VARIANTS[variant]
    interval = 60
    tm = TradeManager(params, stop_rules, refresh_interval_sec=interval)
    ref = Reference(params, stop_rules)
    rng = random.Random(seed)
    prices = {s: rng.uniform(1.0, 200.0) for s in (*SYMBOLS, RARE)}
    ts = T0
    for i in range(steps):
        if i == steps // 2 and variant == "default":
            # Набір правил замінили посеред життя угод: кешовані висновки про старі правила не діють.
            tm.stop_rules = ref.stop_rules = (rules.BreakEvenRule(0.2), rules.TrailingRule(0.5, 0.3))
        ts += rng.choice([MIN, MIN, MIN, 0, 1, 250])
        roll = rng.random()
        symbol = RARE if rng.random() < (0.02 if roll < 0.65 else 0.25) else rng.choice(SYMBOLS)
        price = prices[symbol]
        step = f"{variant}/{seed}/{i}"
        if roll < 0.55:
            move = price * rng.gauss(0.0, 0.006)
            close = max(0.01, price + move)
            spread = price * rng.uniform(0.0, 0.006)
            bar = Bar(
                ts,
                _num(rng, price),
                _num(rng, max(price, close) + spread),
                _num(rng, min(price, close) - spread),
                _num(rng, close),
                1.0,
                closed=rng.random() > 0.05,
            )
            prices[symbol] = close
            if bar.closed and i % 2:  # той самий закритий бар числами (шлях пакетного бектесту)
                got = tm.on_closed_bar(symbol, bar.open_time, bar.open, bar.high, bar.low, bar.close)
            else:
                got = tm.on_bar(symbol, bar)
            _assert_same(tm, ref, got, ref.on_bar(symbol, bar), step)
        elif roll < 0.65:
            high = rng.choice([None, price * 1.003, float("nan")])
            low = rng.choice([None, price * 0.997, float("inf")])
            px = _num(rng, price)
            _assert_same(
                tm,
                ref,
                tm.on_price(symbol, px, ts, high=high, low=low),
                ref.on_price(symbol, px, ts, high=high, low=low),
                step,
            )
        elif roll < 0.85:
            result = _decision(rng, symbol, price, ts)
            _assert_same(tm, ref, tm.on_decision(result), ref.on_decision(result), step)
        elif roll < 0.97:
            _assert_same(tm, ref, tm.refresh_if_due(ts), ref.refresh_if_due(ts, interval * 1000), step)
        else:
            _assert_same(tm, ref, tm.refresh(ts), ref.refresh(ts), step)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_manager_matches_reference_on_random_scenarios(variant: str, seed: int) -> None:
    _drive(variant, seed)


@pytest.mark.slow
def test_manager_matches_reference_on_recorded_bars(data_1m: Path) -> None:
    """Записані 1m бари двох символів; рішення — з випадкових барів, ціль/стоп від діапазону."""
    rng = random.Random(7)
    tm, ref = TradeManager(), Reference(STAGE3_TRADE_PARAMS, None)
    series = {s: read_bars_parquet(data_1m / f"{s}.parquet").slice(0, 5000) for s in ("SOLUSDT", "ETHUSDT")}
    n = min(len(b.open_time) for b in series.values())
    for i in range(n):
        for symbol, bars in series.items():
            bar = bars.bar(i)
            step = f"{symbol}/{i}"
            _assert_same(tm, ref, tm.on_bar(symbol, bar), ref.on_bar(symbol, bar), step)
            if rng.random() < 0.02:
                result = _decision(rng, symbol, bar.close, bar.open_time)
                result["symbol"], result["timestamp"], result["status"] = symbol, bar.open_time, "completed"
                _assert_same(tm, ref, tm.on_decision(result), ref.on_decision(result), step)
        ts = int(series["SOLUSDT"].open_time[i])
        _assert_same(tm, ref, tm.refresh_if_due(ts), ref.refresh_if_due(ts, tm.refresh_interval_ms), str(i))
    assert len(ref.recent) > 20


def test_events_carry_independent_copies() -> None:
    """Подія несе копію: зміна її угоди (і тегів) не чіпає стан менеджера."""
    tm = TradeManager()
    result = _decision(random.Random(0), "SOLUSDT", 100.0, T0)
    result.update(status="completed", recommendation="STRONG_BUY", timestamp=T0, symbol="SOLUSDT")
    result["confidence_metrics"]["composite_confidence"] = 0.9
    result["risk_parameters"].update(entry=100.0, tp=103.0, sl=99.0, atr=1.0, tags=["x"])
    created = tm.on_decision(result)
    assert created is not None
    created.tags.append("mutated")
    created.sl = 1.0
    events = tm.on_bar("SOLUSDT", Bar(T0 + MIN, 100.0, 101.5, 99.8, 101.4, 1.0))
    assert [e.kind for e in events] == ["opened", "updated"]
    for event in events:
        event.trade.tags.append("again")
        event.trade.best_price = 0.0
    inner = tm.get("SOLUSDT", "BUY")
    assert inner is not None and inner.tags == ["x"] and inner.sl == 100.0 and inner.best_price == 101.5
    assert events[0].trade is not events[1].trade


def test_swapping_stop_rules_drops_cached_quiet_checks() -> None:
    """Після «тихої» перевірки (правила нічого не дали) заміна набору правил діє одразу,
    навіть якщо найкраща ціна і стоп не змінились."""
    tm, ref = TradeManager(), Reference(STAGE3_TRADE_PARAMS, None)
    result = _decision(random.Random(0), "SOLUSDT", 100.0, T0)
    result.update(status="completed", recommendation="STRONG_BUY", timestamp=T0, symbol="SOLUSDT")
    result["confidence_metrics"]["composite_confidence"] = 0.9
    result["risk_parameters"].update(entry=100.0, tp=110.0, sl=98.0, atr=1.0, tick_size=0.01)
    bars = [
        Bar(T0 + MIN, 100.0, 101.5, 99.9, 101.2, 1.0),  # вхід і +1.5 ATR: беззбиток
        Bar(T0 + 2 * MIN, 101.2, 101.4, 100.8, 101.0, 1.0),  # без нового максимуму: тиха перевірка
        Bar(T0 + 3 * MIN, 101.0, 101.3, 100.9, 101.1, 1.0),  # те саме: відповідь з кешу
    ]
    _assert_same(tm, ref, tm.on_decision(result), ref.on_decision(result), "decision")
    for i, bar in enumerate(bars):
        _assert_same(tm, ref, tm.on_bar("SOLUSDT", bar), ref.on_bar("SOLUSDT", bar), f"bar {i}")
    assert tm.get("SOLUSDT", "BUY").sl == 100.0  # type: ignore[union-attr]
    tm.stop_rules = ref.stop_rules = (rules.TrailingRule(after_atr=1.0, mult=0.5),)
    bar = Bar(T0 + 4 * MIN, 101.2, 101.3, 101.1, 101.2, 1.0)
    events = tm.on_bar("SOLUSDT", bar)
    _assert_same(tm, ref, events, ref.on_bar("SOLUSDT", bar), "swapped")
    assert [e.kind for e in events] == ["updated"] and events[0].trade.sl == 101.0


# ── Помічники швидкого шляху ──
def _random_trade(rng: random.Random) -> Trade:
    side = rng.choice(["BUY", "SELL"])
    d = 1 if side == "BUY" else -1
    entry = rng.uniform(1.0, 200.0)
    atr = rng.choice([entry * rng.uniform(0.001, 0.03), 0.0, -1.0])
    best = entry + d * rng.uniform(-0.5, 4.0) * (abs(atr) or 1.0)
    return Trade(
        trade_id=f"T-{rng.random()}",
        symbol=rng.choice(SYMBOLS),
        side=side,  # type: ignore[arg-type]
        status=rng.choice(["pending", "open", "closed", "cancelled"]),
        decision_ts=T0,
        recommendation="STRONG_BUY",
        confidence=rng.random(),
        planned_entry=entry,
        tp=entry + d * 3.0,
        sl=entry - d * rng.uniform(0.0, 2.0) * (abs(atr) or 1.0),
        initial_sl=entry - d * 1.0,
        atr=atr,
        tick_size=rng.choice([0.01, 0.001, 0.25, 1.0]),
        fee_rate=rng.choice([0.0004, 0.0, 0.002]),
        scenario=rng.choice([None, "RANGE_BOUND"]),
        tags=[str(i) for i in range(rng.randint(0, 3))],
        entry_price=rng.choice([entry, entry, None]),
        entry_ts=T0 + 1,
        last_price=best,
        best_price=rng.choice([best, best, None]),
        worst_price=entry - d * rng.random(),
        breakeven_done=rng.random() < 0.5,
    )


def test_copy_matches_dataclasses_replace_with_own_tags() -> None:
    """`_copy` (усі поля в конструктор) = `dataclasses.replace` з новим списком тегів."""
    from aione.stage3.trade_manager import _copy

    # Копія через позиційний конструктор бачить кожне поле лише так: усі в __init__, жодного kw_only.
    assert all(f.init and not f.kw_only for f in fields(Trade))
    rng = random.Random(5)
    for _ in range(200):
        trade = _random_trade(rng)
        clone = _copy(trade)
        assert clone == _clone(trade) and clone is not trade
        assert clone.tags == trade.tags and clone.tags is not trade.tags


def test_proposal_floor_only_for_known_rules() -> None:
    assert rules.proposal_floor((rules.BreakEvenRule(1.0), rules.TrailingRule(2.0, 1.0))) == 1.0
    assert rules.proposal_floor((rules.TrailingRule(0.7, 1.0), rules.BreakEvenRule(0.0))) == 0.7
    assert rules.proposal_floor((rules.BreakEvenRule(0.0), rules.TrailingRule(-1.0, 1.0))) == math.inf
    assert rules.proposal_floor(()) == math.inf
    assert rules.proposal_floor((rules.BreakEvenRule(1.0), HalfwayRule())) is None
    assert rules.proposal_floor((rules.TrailingRule(float("nan"), 1.0),)) is None

    @dataclass(frozen=True, slots=True)
    class EagerTrailing(rules.TrailingRule):
        def propose(self, trade: Trade) -> float | None:
            return trade.best_price

    assert rules.proposal_floor((EagerTrailing(5.0, 1.0),)) is None  # підклас може не мовчати


@pytest.mark.parametrize(
    "stop_rules",
    [
        (rules.BreakEvenRule(1.0), rules.TrailingRule(2.0, 1.0)),
        (rules.BreakEvenRule(0.4, cover_fees=True), rules.TrailingRule(0.9, 0.3)),
        (rules.TrailingRule(1.5, 0.0), rules.BreakEvenRule(-1.0)),
    ],
)
def test_below_floor_no_rule_proposes(stop_rules: tuple[rules.StopRule, ...]) -> None:
    """Нижче порогу `proposal_floor` (рух як у `_favourable_atr`) `tightened_stop` завжди None."""
    floor = rules.proposal_floor(stop_rules)
    assert floor is not None
    rng = random.Random(11)
    below = 0
    for _ in range(3000):
        trade = _random_trade(rng)
        entry, best = trade.entry_price, trade.best_price
        fav = (
            0.0
            if entry is None or best is None or trade.atr <= 0
            else trade.direction * (best - entry) / trade.atr
        )
        if fav < floor:
            below += 1
            assert rules.tightened_stop(trade, stop_rules) is None
    assert below > 500


# ── Швидкі шляхи правил плану ──
def _num_reference(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def _gate_reference(result: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    if result.get("status") != "completed" or rules.side_of(result.get("recommendation")) is None:
        return False
    metrics = result.get("confidence_metrics") or {}
    confidence = _num_reference(metrics.get("composite_confidence")) if isinstance(metrics, Mapping) else None
    context = result.get("market_context") or {}
    regime = context.get("volatility_regime") if isinstance(context, Mapping) else None
    return confidence is not None and confidence >= rules.confidence_threshold(regime, params)


class FloatLike(float):
    """Підклас float (як numpy.float64): іде повільним шляхом, результат той самий."""


def test_num_fast_path_matches_definition() -> None:
    values: list[Any] = [0, 7, -3, 1.5, -0.0, float("nan"), float("inf"), -float("inf"), True, False]
    values += [None, "1.0", [1.0], FloatLike(2.5), FloatLike("nan"), 10**20, 1_748_000_000_000]
    for value in values:
        got, want = rules._num(value), _num_reference(value)
        assert got == want or (got is None and want is None), value
        assert type(got) is type(want), value
    with pytest.raises(OverflowError):
        _num_reference(10**400)
    with pytest.raises(OverflowError):
        rules._num(10**400)  # те саме виключення, що й до швидкого шляху


def _as_proxies(result: dict[str, Any]) -> dict[str, Any]:
    """Той самий результат, але вкладені словники — незмінні Mapping (не dict)."""
    from types import MappingProxyType

    out = dict(result)
    for key in ("market_context", "confidence_metrics", "risk_parameters"):
        if isinstance(out.get(key), dict):
            out[key] = MappingProxyType(out[key])
    return out


def test_gate_and_plan_match_definition_for_dicts_and_other_mappings() -> None:
    """`passes_gate` = пряме означення; `plan_trade` однаковий для dict і інших Mapping, а його
    впевненість — `decision_confidence` результату; не-Mapping контекст чи ризик — плану немає."""
    rng = random.Random(21)
    planned = 0
    for i in range(3000):
        params = VARIANTS[rng.choice(sorted(VARIANTS))][0]
        result = _decision(rng, rng.choice(SYMBOLS), rng.uniform(1.0, 200.0), T0 + i * MIN)
        if rng.random() < 0.05:
            result[rng.choice(["market_context", "confidence_metrics", "risk_parameters"])] = "broken"
        for variant in (result, _as_proxies(result)):
            assert rules.passes_gate(variant, params) is _gate_reference(variant, params)
        plan = rules.plan_trade(result, params)
        twin = rules.plan_trade(_as_proxies(result), params)
        assert (plan.to_dict() if plan else None) == (twin.to_dict() if twin else None)
        if plan is not None:
            planned += 1
            assert plan.confidence == (rules.decision_confidence(result) or 0.0)
            assert _gate_reference(result, params)
    assert planned > 300
