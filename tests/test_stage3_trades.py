"""Життєвий цикл паперових угод Stage3: поріг, вхід, TP/SL, гірший випадок, адаптація стопу, час."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.config.config import STAGE3_TRADE_PARAMS
from aione.data.bars import Bar
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_rules import BreakEvenRule, TrailingRule
from aione.utils.utils import deep_merge

T0 = 1_748_000_000_000
MIN = 60_000


def decision(
    symbol: str = "SOLUSDT",
    rec: str = "STRONG_BUY",
    conf: float = 0.8,
    entry: float = 100.0,
    tp: float = 103.0,
    sl: float = 99.0,
    atr: float = 1.0,
    ts: int = T0,
    regime: str = "normal",
    scenario: str = "BULLISH_BREAKOUT",
) -> dict[str, Any]:
    """Результат Stage2 за контрактом (лише поля, які читає Stage3)."""
    side = "BUY" if "BUY" in rec else ("SELL" if "SELL" in rec else None)
    return {
        "symbol": symbol,
        "timestamp": ts,
        "status": "completed",
        "recommendation": rec,
        "side": side,
        "market_context": {"scenario": scenario, "price": entry, "atr": atr, "volatility_regime": regime},
        "confidence_metrics": {"composite_confidence": conf},
        "risk_parameters": {"entry": entry, "tp": tp, "sl": sl, "rr": 3.0, "atr": atr, "tick_size": 0.01},
    }


def opened_buy(tm: TradeManager, **kw: Any) -> None:
    assert tm.on_decision(decision(**kw)) is not None
    events = tm.on_price(kw.get("symbol", "SOLUSDT"), kw.get("entry", 100.0), T0 + 1)
    assert [e.kind for e in events] == ["opened"]


# ── Поріг і вхід ──
@pytest.mark.parametrize(
    ("conf", "regime", "accepted"),
    [(0.74, "normal", False), (0.75, "normal", True), (0.80, "low", False), (0.82, "low", True)],
)
def test_confidence_gate(conf: float, regime: str, accepted: bool) -> None:
    tm = TradeManager()
    assert (tm.on_decision(decision(conf=conf, regime=regime)) is not None) is accepted


def test_non_trade_recommendation_and_bad_plan_rejected() -> None:
    tm = TradeManager()
    assert tm.on_decision(decision(rec="WAIT_FOR_CONFIRMATION", conf=0.99)) is None
    assert tm.on_decision(decision(tp=98.0, sl=99.0)) is None  # TP не з того боку
    assert tm.on_decision({**decision(), "status": "error"}) is None
    assert tm.pending_trades() == []


def test_entry_at_next_price_after_decision() -> None:
    tm = TradeManager()
    trade = tm.on_decision(decision())
    assert trade is not None and trade.status == "pending"
    assert tm.last_events[0].kind == "pending"
    assert tm.on_price("SOLUSDT", 100.2, T0) == []  # той самий момент, що й рішення: ще не «після»
    events = tm.on_price("SOLUSDT", 100.3, T0 + 250)
    assert [e.kind for e in events] == ["opened"]
    opened = tm.open_trades()[0]
    assert opened.entry_price == 100.3 and opened.entry_ts == T0 + 250


def test_one_trade_per_symbol_and_side() -> None:
    tm = TradeManager()
    assert tm.on_decision(decision()) is not None
    assert tm.on_decision(decision(ts=T0 + MIN)) is None
    assert tm.on_decision(decision(symbol="ETHUSDT")) is not None
    assert len(tm.pending_trades()) == 2


def test_entry_beyond_targets_cancels_plan() -> None:
    tm = TradeManager()
    tm.on_decision(decision())
    events = tm.on_price("SOLUSDT", 98.5, T0 + 1)  # ціна вже під стопом
    assert [e.kind for e in events] == ["cancelled"]
    assert tm.active_trades() == [] and tm.recent_trades() == []


# ── Вихід ──
def test_tp_hit_intrabar_closes_at_target_with_pnl() -> None:
    tm = TradeManager()
    opened_buy(tm)
    assert tm.on_price("SOLUSDT", 100.6, T0 + 2, high=100.8, low=99.7) == []
    events = tm.on_price("SOLUSDT", 102.8, T0 + 3, high=103.2, low=102.0)
    assert [e.kind for e in events] == ["closed"]
    trade = events[0].trade
    assert trade.close_reason == "tp_hit" and trade.exit_price == 103.0
    fees = STAGE3_TRADE_PARAMS["fee_rate"] * (1 + 1.03) * 100
    assert trade.pnl_pct() == pytest.approx(3.0 - fees)
    assert trade.r_multiple() == pytest.approx((3.0 - fees) / 1.0)
    assert trade.mfe_pct == pytest.approx(3.0)
    assert trade.mae_pct == pytest.approx(0.3)
    assert trade.holding_ms() == 2
    assert tm.open_trades() == [] and tm.recent_trades()[-1].trade_id == trade.trade_id


def test_sl_hit_for_sell() -> None:
    tm = TradeManager()
    tm.on_decision(decision(rec="STRONG_SELL", entry=100.0, tp=97.0, sl=101.0, scenario="BEARISH_CONTROL"))
    tm.on_price("SOLUSDT", 100.0, T0 + 1)
    events = tm.on_price("SOLUSDT", 100.6, T0 + 2, high=101.3, low=99.9)
    trade = events[0].trade
    assert trade.side == "SELL" and trade.close_reason == "sl_hit" and trade.exit_price == 101.0
    assert trade.r_multiple() < -1.0  # мінус 1R і комісії
    assert trade.mae_pct == pytest.approx(1.0)


def test_both_targets_in_one_bar_assumes_stop() -> None:
    tm = TradeManager()
    tm.on_decision(decision())
    bar_fill = Bar(open_time=T0 + MIN, open=100.0, high=100.5, low=99.5, close=100.2, volume=1.0)
    events = tm.on_bar("SOLUSDT", bar_fill)
    assert [e.kind for e in events] == ["opened"]
    wide = Bar(open_time=T0 + 2 * MIN, open=100.2, high=103.5, low=98.5, close=101.0, volume=1.0)
    events = tm.on_bar("SOLUSDT", wide)
    assert events[0].trade.close_reason == "sl_hit" and events[0].trade.exit_price == 99.0
    assert events[0].trade.mfe_pct == pytest.approx(0.5)  # максимум бару-виходу не зараховано


def test_gap_through_stop_fills_at_bar_open() -> None:
    tm = TradeManager()
    tm.on_decision(decision())
    tm.on_bar("SOLUSDT", Bar(T0 + MIN, 100.0, 100.4, 99.6, 100.1, 1.0))
    events = tm.on_bar("SOLUSDT", Bar(T0 + 2 * MIN, 98.0, 98.2, 97.5, 97.8, 1.0))
    assert events[0].trade.close_reason == "sl_hit" and events[0].trade.exit_price == 98.0


def test_bar_decision_fills_on_next_bar_open_not_same_bar() -> None:
    tm = TradeManager()
    bar_t = Bar(T0, 99.0, 100.5, 98.9, 100.0, 1.0)
    tm.on_decision(decision(ts=T0))
    assert tm.on_bar("SOLUSDT", bar_t) == []
    events = tm.on_bar("SOLUSDT", Bar(T0 + MIN, 100.1, 100.3, 99.8, 100.2, 1.0))
    assert events[0].kind == "opened" and events[0].trade.entry_price == 100.1


# ── Адаптація стопу ──
def test_breakeven_then_trailing_never_widens() -> None:
    tm = TradeManager()
    opened_buy(tm)
    events = tm.on_price("SOLUSDT", 100.9, T0 + 2, high=101.2, low=100.5)
    assert [e.kind for e in events] == ["updated"]
    assert events[0].trade.sl == 100.0 and events[0].trade.breakeven_done
    events = tm.on_price("SOLUSDT", 102.2, T0 + 3, high=102.5, low=101.0)
    assert events[0].trade.sl == pytest.approx(101.5) and events[0].trade.trailing_active
    assert tm.on_price("SOLUSDT", 101.8, T0 + 4, high=102.0, low=101.6) == []  # стоп не відступає
    assert tm.get("SOLUSDT", "BUY").sl == pytest.approx(101.5)
    events = tm.on_price("SOLUSDT", 101.4, T0 + 5, high=101.7, low=101.3)
    trade = events[0].trade
    assert trade.close_reason == "sl_hit" and trade.exit_price == pytest.approx(101.5)
    assert trade.r_multiple() > 1.0


def test_breakeven_covering_fees_sits_above_entry_by_round_trip() -> None:
    params = deep_merge(STAGE3_TRADE_PARAMS, {"breakeven_cover_fees": True, "trail_after_atr": 0})
    tm = TradeManager(params)
    opened_buy(tm)
    tm.on_price("SOLUSDT", 100.9, T0 + 2, high=101.2, low=100.5)
    fee = STAGE3_TRADE_PARAMS["fee_rate"]
    trade = tm.get("SOLUSDT", "BUY")
    assert trade is not None and trade.sl == pytest.approx(round(100.0 * (1 + fee) / (1 - fee), 2))
    # Вихід на цьому стопі — нуль після комісій з точністю до тіку (0.01 %), а на вході був би мінус.
    events = tm.on_price("SOLUSDT", 100.0, T0 + 3, high=100.5, low=99.9)
    closed = events[0].trade
    assert closed.close_reason == "sl_hit" and abs(closed.pnl_pct()) < 0.01
    assert closed.pnl_pct(100.0) < -0.05


def test_breakeven_covering_fees_falls_back_to_entry_when_move_is_smaller_than_fees() -> None:
    rule = BreakEvenRule(after_atr=0.0005, cover_fees=True)
    tm = TradeManager(stop_rules=(rule,))
    opened_buy(tm)
    tm.on_price("SOLUSDT", 100.05, T0 + 2, high=100.06, low=100.0)  # +0.06 < комісії 0.08
    trade = tm.get("SOLUSDT", "BUY")
    assert trade is not None and trade.sl == 100.0


def test_stop_inside_round_trip_costs_is_not_a_trade() -> None:
    tm = TradeManager()
    # 0.2 % стопу < 3 × 0.08 % комісії кола: угоди немає.
    assert tm.on_decision(decision(entry=100.0, sl=99.8, tp=100.6)) is None
    assert tm.on_decision(decision(entry=100.0, sl=99.7, tp=101.0)) is not None
    loose = TradeManager(deep_merge(STAGE3_TRADE_PARAMS, {"min_stop_cost_mult": 0}))
    assert loose.on_decision(decision(entry=100.0, sl=99.8, tp=100.6)) is not None


def test_stop_rules_are_configurable() -> None:
    params = deep_merge(STAGE3_TRADE_PARAMS, {"breakeven_after_atr": 0, "trail_after_atr": 0})
    tm = TradeManager(params)
    opened_buy(tm)
    assert tm.on_price("SOLUSDT", 102.0, T0 + 2, high=102.9, low=101.0) == []
    assert tm.get("SOLUSDT", "BUY").sl == 99.0
    tight = TradeManager(stop_rules=(BreakEvenRule(0.5), TrailingRule(after_atr=1.0, mult=0.5)))
    opened_buy(tight)
    tight.on_price("SOLUSDT", 101.0, T0 + 2, high=101.2, low=100.6)
    assert tight.get("SOLUSDT", "BUY").sl == pytest.approx(100.7)


# ── Час, протилежний сигнал, ручне закриття ──
def test_time_stop_via_refresh_and_price() -> None:
    tm = TradeManager(deep_merge(STAGE3_TRADE_PARAMS, {"max_holding_sec": 600}))
    opened_buy(tm)
    tm.on_price("SOLUSDT", 100.4, T0 + 5 * MIN)
    assert tm.refresh(T0 + 9 * MIN) == []
    events = tm.refresh(T0 + 10 * MIN + 1)
    assert events[0].trade.close_reason == "time_exit" and events[0].trade.exit_price == 100.4
    opened_buy(tm, symbol="ETHUSDT")
    events = tm.on_price("ETHUSDT", 100.2, T0 + 11 * MIN)
    assert events[0].trade.close_reason == "time_exit"


def test_refresh_if_due_follows_event_time() -> None:
    tm = TradeManager(deep_merge(STAGE3_TRADE_PARAMS, {"max_holding_sec": 150}), refresh_interval_sec=60)
    opened_buy(tm)  # вхід у T0 + 1
    assert tm.refresh_if_due(T0 + 1) == []  # перше оновлення
    assert tm.refresh_if_due(T0 + 120_000) == []  # оновлення відбулось, угоді лише 120 с
    assert tm.refresh_if_due(T0 + 160_000) == []  # угоді вже 160 с, але 60 с від оновлення не минуло
    assert [e.trade.close_reason for e in tm.refresh_if_due(T0 + 180_001)] == ["time_exit"]


def test_close_rejects_unknown_reason() -> None:
    tm = TradeManager()
    opened_buy(tm)
    with pytest.raises(ValueError, match="unknown close reason"):
        tm.close("SOLUSDT", "BUY", "oops")


def test_pending_entry_times_out() -> None:
    tm = TradeManager()
    tm.on_decision(decision())
    timeout_ms = STAGE3_TRADE_PARAMS["entry_timeout_sec"] * 1000
    assert tm.refresh(T0 + timeout_ms - 1) == []
    assert [e.kind for e in tm.refresh(T0 + timeout_ms)] == ["cancelled"]


def test_opposite_signal_exits_early_and_opens_other_side() -> None:
    tm = TradeManager()
    opened_buy(tm)
    tm.on_price("SOLUSDT", 100.6, T0 + MIN)
    sell = decision(
        rec="SELL_ON_RALLIES", entry=100.6, tp=97.6, sl=101.6, ts=T0 + 2 * MIN, scenario="RANGE_BOUND"
    )
    created = tm.on_decision(sell)
    kinds = [(e.kind, e.trade.side) for e in tm.last_events]
    assert kinds == [("closed", "BUY"), ("pending", "SELL")]
    closed = tm.last_events[0].trade
    assert closed.close_reason == "early_exit" and closed.exit_price == 100.6
    assert created is not None and created.side == "SELL"


def test_scenario_flip_exits_early_and_low_conf_opposite_does_not() -> None:
    tm = TradeManager(deep_merge(STAGE3_TRADE_PARAMS, {"exit_on_scenario_flip": True}))
    opened_buy(tm)
    tm.on_decision(decision(rec="STRONG_SELL", conf=0.5, tp=97.0, sl=101.0, scenario="RANGE_BOUND"))
    assert tm.open_trades() and tm.last_events == []
    tm.on_decision(decision(rec="HOLD", scenario="BEARISH_REVERSAL", ts=T0 + MIN))
    assert tm.last_events[0].trade.close_reason == "early_exit"


def test_scenario_flip_alone_keeps_trade_by_default_but_passing_opposite_signal_exits() -> None:
    # Типово мітка сценарію 1m алерту не закриває угоду: план міряється старшим ТФ.
    tm = TradeManager()
    opened_buy(tm)
    tm.on_decision(decision(rec="HOLD", scenario="BEARISH_REVERSAL", ts=T0 + MIN))
    assert tm.open_trades() and tm.last_events == []
    tm.on_decision(decision(rec="STRONG_SELL", conf=0.9, tp=97.0, sl=101.0, ts=T0 + 2 * MIN))
    assert tm.last_events[0].trade.close_reason == "early_exit"


def test_manual_close_uses_last_price() -> None:
    tm = TradeManager()
    opened_buy(tm)
    tm.on_price("SOLUSDT", 100.7, T0 + 5)
    events = tm.close("SOLUSDT", "BUY", "manual", ts_ms=T0 + 6)
    assert events[0].trade.close_reason == "manual" and events[0].trade.exit_price == 100.7
    assert tm.close("SOLUSDT", "BUY", "manual") == []


def test_bad_prices_are_ignored() -> None:
    tm = TradeManager()
    opened_buy(tm)
    assert tm.on_price("SOLUSDT", float("nan"), T0 + 2) == []
    assert tm.on_price("SOLUSDT", -1.0, T0 + 3) == []
    assert tm.on_price("SOLUSDT", 100.5, T0 + 4, high=float("inf"), low=0.0) == []
    assert tm.get("SOLUSDT", "BUY").last_price == 100.5


# ── Властивості ──
@settings(max_examples=60, deadline=None)
@given(
    side=st.sampled_from(["BUY", "SELL"]),
    moves=st.lists(st.tuples(st.floats(-1.5, 1.5), st.floats(0.0, 1.0)), min_size=1, max_size=40),
)
def test_stop_never_widens_and_exit_is_inside_ranges(side: str, moves: list[tuple[float, float]]) -> None:
    tm = TradeManager()
    if side == "BUY":
        tm.on_decision(decision(rec="STRONG_BUY", entry=100.0, tp=104.0, sl=99.0))
    else:
        tm.on_decision(decision(rec="STRONG_SELL", entry=100.0, tp=96.0, sl=101.0, scenario="RANGE_BOUND"))
    tm.on_price("SOLUSDT", 100.0, T0 + 1)
    price, prev_sl, direction = 100.0, 99.0 if side == "BUY" else 101.0, 1 if side == "BUY" else -1
    for i, (step, spread) in enumerate(moves):
        new_price = max(1.0, price + step)
        high, low = max(price, new_price) + spread, min(price, new_price) - spread
        events = tm.on_price("SOLUSDT", new_price, T0 + 2 + i, high=high, low=low)
        price = new_price
        trade = tm.get("SOLUSDT", side)  # type: ignore[arg-type]
        if trade is None:
            closed = events[-1].trade
            assert closed.status == "closed"
            assert closed.close_reason in {"tp_hit", "sl_hit"}
            assert low - 1e-9 <= closed.exit_price <= high + 1e-9 or closed.exit_price in (
                closed.sl,
                closed.tp,
            )
            break
        assert direction * (trade.sl - prev_sl) >= 0
        prev_sl = trade.sl
