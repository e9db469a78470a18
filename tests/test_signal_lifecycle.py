"""Життєвий цикл сигналу: скасування за названим правилом, старіння, TP/SL як у Stage3, кадр,
підрахунок кінцевих станів у бектесті і однакові стани наживо та в бектесті."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aione.config.config import STAGE3_TRADE_PARAMS
from aione.data.bars import Bar, BarArrays, read_bars_parquet
from aione.signals.lifecycle import (
    LifecycleBook,
    SignalLifecycle,
    SignalPlan,
    count_states,
    plan_from_decision,
    replay,
)
from aione.stage2.narrative import confidence_text, invalidation_sentence, lifecycle_text
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_manager import TradeManager

MIN = 60_000
T0 = 1_746_400_000_000 - 1_746_400_000_000 % MIN
# План із тексту issue 20: STRONG_SELL, вхід 0.3726–0.3735, TP 0.3623, SL 0.3761.
SELL = SignalPlan("SELL", 0.3726, 0.3735, 0.3623, 0.3761, 1.9)


def _life(plan: SignalPlan = SELL, **kw: Any) -> SignalLifecycle:
    return SignalLifecycle("ENAUSDT:1", "ENAUSDT", T0, plan, **kw)


# ── Правила ──
def test_invalidated_by_a_close_beyond_the_stated_level_and_not_by_a_wick() -> None:
    life = _life()
    assert life.state == "new"
    assert not life.on_bar(T0, 0.38, 0.37, 0.38)  # бар самого сигналу не рахується
    # Гепом вище зони: хвіст над SL без закриття вище — ще чекаємо.
    assert life.on_bar(T0 + MIN, 0.3765, 0.3740, 0.3750) and life.state == "active"
    assert life.on_bar(T0 + 2 * MIN, 0.3770, 0.3740, 0.3765)
    assert (life.state, life.reason, life.final_ts) == ("invalidated", "close_beyond_sl", T0 + 2 * MIN)
    # Наратив і кадр називають те саме правило й той самий рівень.
    assert invalidation_sentence("SELL", SELL.sl, 0.0001, "en") == "A close above 0.3761 invalidates the idea"
    view = life.view(T0 + 10 * MIN)
    assert view["invalidation"] == {"rule": "close_above", "level": 0.3761}
    assert lifecycle_text(view, 0.0001, "en") == "invalidated: a close above 0.3761"
    assert lifecycle_text(view, 0.0001, "uk") == "скасований: закриття вище 0.3761"
    assert not life.on_bar(T0 + 3 * MIN, 0.3, 0.2, 0.25)  # завершений стан більше не змінюється


def test_tp_before_entry_and_opposite_signal_invalidate() -> None:
    missed = _life()
    missed.on_bar(T0 + MIN, 0.3720, 0.3620, 0.3630)  # униз до TP, не торкнувшись зони
    assert (missed.state, missed.reason) == ("invalidated", "tp_before_entry")
    book = LifecycleBook()
    book.start("A", "ENAUSDT", T0, SELL)
    buy = SignalPlan("BUY", 0.3700, 0.3710, 0.3800, 0.3650, 1.5)
    changed = book.start("B", "ENAUSDT", T0 + 5 * MIN, buy)
    old = next(life for life in changed if life.signal_id == "A")
    assert (old.state, old.reason, old.final_ts) == ("invalidated", "opposite_signal", T0 + 6 * MIN)
    assert book.latest["ENAUSDT"].signal_id == "B" and book.open_count == 1
    assert book.final_counts == {"invalidated": 1}


def test_expires_without_entry_and_without_exit() -> None:
    idle = _life(entry_window_min=15, expiry_min=240)
    for k in range(1, 15):
        idle.on_bar(T0 + k * MIN, 0.3720, 0.3710, 0.3715)  # під зоною входу SELL
        assert idle.state == "active"
    idle.on_bar(T0 + 15 * MIN, 0.3720, 0.3710, 0.3715)
    assert (idle.state, idle.reason, idle.final_ts) == ("expired", "no_entry", T0 + 15 * MIN)
    assert lifecycle_text(idle.view(), 0.0001, "en") == "expired: no entry within 15 min"

    flat = _life(entry_window_min=15, expiry_min=240)
    flat.on_bar(T0 + MIN, 0.3730, 0.3725, 0.3728)
    assert flat.state == "triggered" and flat.triggered_ts == T0 + MIN
    for k in range(2, 240):
        flat.on_bar(T0 + k * MIN, 0.3730, 0.3725, 0.3728)
    assert flat.state == "triggered"
    flat.on_bar(T0 + 240 * MIN, 0.3730, 0.3725, 0.3728)
    assert (flat.state, flat.reason, flat.final_ts) == ("expired", "no_exit", T0 + 240 * MIN)

    gap = _life(entry_window_min=15)
    gap.on_bar(T0 + 40 * MIN, 0.3730, 0.3725, 0.3728)  # пропуск у даних за межу входу
    assert (gap.state, gap.reason, gap.final_ts) == ("expired", "no_entry", T0 + 15 * MIN)


# ── Узгодженість зі Stage3 ──
def _decision(plan: SignalPlan, ts: int, atr: float) -> dict[str, Any]:
    entry = plan.entry_hi if plan.side == "BUY" else plan.entry_lo
    return {
        "symbol": "ENAUSDT",
        "timestamp": ts,
        "status": "completed",
        "recommendation": "STRONG_BUY" if plan.side == "BUY" else "STRONG_SELL",
        "side": plan.side,
        "confidence_metrics": {"composite_confidence": 0.9},
        "market_context": {"volatility_regime": "normal", "scenario": "X"},
        "risk_parameters": {
            "entry": entry,
            "entry_zone": [plan.entry_lo, plan.entry_hi],
            "tp": plan.tp,
            "sl": plan.sl,
            "rr_net": plan.rr_net,
            "atr": atr,
            "tick_size": 1e-8,
        },
    }


def test_hit_tp_and_hit_sl_agree_with_stage3_trades_on_real_bars(data_1m: Path) -> None:
    """Той самий план на тих самих барах: сигнал, що увійшов на барі входу угоди Stage3, закривається
    тим самим TP/SL на тому самому барі (правила стопу Stage3 вимкнено: вони міняють угоду, не план)."""
    bars = read_bars_parquet(data_1m / "ENAUSDT.parquet").slice(0, 20_000)
    params = {
        **STAGE3_TRADE_PARAMS,
        "breakeven_after_atr": 0.0,
        "trail_after_atr": 0.0,
        "max_holding_sec": 10**6,
        "min_stop_cost_mult": 0.0,
    }
    rng = np.random.default_rng(7)
    seen = {"hit_tp": 0, "hit_sl": 0}
    for i in rng.choice(np.arange(100, len(bars) - 300), size=120, replace=False):
        i = int(i)
        close, atr = float(bars.close[i]), float(np.mean(bars.high[i - 14 : i + 1] - bars.low[i - 14 : i + 1]))
        k = float(rng.uniform(1.0, 4.0))
        if i % 2:
            plan = SignalPlan("BUY", close - 0.25 * atr, close, close + 2 * k * atr, close - k * atr)
        else:
            plan = SignalPlan("SELL", close, close + 0.25 * atr, close - 2 * k * atr, close + k * atr)
        ts = int(bars.open_time[i])
        assert plan_from_decision(_decision(plan, ts, atr)) == plan
        tm = TradeManager(params)
        assert tm.on_decision(_decision(plan, ts, atr)) is not None
        life = SignalLifecycle("x", "ENAUSDT", ts, plan)
        trade_exit: tuple[str, int] | None = None
        entry_ts: int | None = None
        for j in range(i + 1, i + 241):
            b = Bar(int(bars.open_time[j]), *(float(c[j]) for c in (bars.open, bars.high, bars.low, bars.close)), 1.0)
            for ev in tm.on_bar("ENAUSDT", b):
                if ev.kind == "opened":
                    entry_ts = ev.trade.entry_ts
                if ev.kind == "closed" and trade_exit is None:
                    trade_exit = (str(ev.trade.close_reason), int(ev.trade.exit_ts or 0))
            life.on_bar(b.open_time, b.high, b.low, b.close)
        if entry_ts is None or life.triggered_ts != entry_ts:
            continue  # угода ввійшла за ринком не в зоні сигналу: порівнювати нічого
        if life.state in ("hit_tp", "hit_sl"):
            seen[life.state] += 1
            want = "tp_hit" if life.state == "hit_tp" else "sl_hit"
            assert trade_exit == (want, life.final_ts), (i, plan, life)
        else:
            assert trade_exit is None or trade_exit[1] > life.bar_ts + 240 * MIN, (i, plan, life)
    assert seen["hit_tp"] >= 5 and seen["hit_sl"] >= 5  # обидва виходи справді перевірено


# ── Бектест: пакетна форма = книга наживо, підрахунок станів ──
def _series(n: int, seed: int) -> BarArrays:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    openp = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(openp, close) * (1 + rng.uniform(0, 0.001, n))
    low = np.minimum(openp, close) * (1 - rng.uniform(0, 0.001, n))
    t = T0 + np.arange(n, dtype=np.int64) * MIN
    vol = np.ones(n)
    return BarArrays(t, openp, high, low, close, vol, vol, np.zeros(n, dtype=np.int64), vol / 2)


def _signals(bars: BarArrays, step: int) -> list[tuple[str, int, SignalPlan]]:
    out = []
    for k, i in enumerate(range(50, len(bars) - 10, step)):
        c = float(bars.close[i])
        side = "BUY" if k % 3 else "SELL"
        sign = 1.0 if side == "BUY" else -1.0
        # Зона входу на відкаті 0–0.6 %: частина сигналів чекає входу, частину скасовує новий.
        off = 0.002 * (k % 3)
        lo, hi = (c * (0.998 - off), c * (1 - off)) if side == "BUY" else (c * (1 + off), c * (1.002 + off))
        plan = SignalPlan(side, lo, hi, c * (1 + sign * 0.01), c * (1 - sign * 0.008))
        out.append((f"S:{i}", int(bars.open_time[i]), plan))
    return out


def test_replay_equals_the_live_book_bar_by_bar() -> None:
    bars = _series(3000, 3)
    signals = _signals(bars, 11)
    batch = replay(signals, bars)
    book = LifecycleBook()
    live: dict[str, SignalLifecycle] = {}
    pending = list(signals)
    for i in range(len(bars)):
        t = int(bars.open_time[i])
        while pending and pending[0][1] < t:  # вердикт звучить на першій новішій події
            sid, ts, plan = pending.pop(0)
            live.update({life.signal_id: life for life in book.start(sid, "X", ts, plan)})
        book.on_bar("X", t, float(bars.high[i]), float(bars.low[i]), float(bars.close[i]))
    got = {k: (v.state, v.reason, v.triggered_ts, v.final_ts) for k, v in live.items()}
    want = {k: (v.state, v.reason, v.triggered_ts, v.final_ts) for k, v in batch.items()}
    assert got == want
    counts = count_states(list(batch.values()))
    assert counts["invalidated"] > 0 and counts["expired"] > 0 and counts["hit_tp"] > 0 and counts["hit_sl"] > 0


def test_backtest_report_counts_signals_by_final_state() -> None:
    from aione.backtest.signal_quality import attach_lifecycles, quality_section

    bars = _series(2000, 5)
    recs: list[dict[str, Any]] = []
    for sid, ts, plan in _signals(bars, 53):
        recs.append({"symbol": "X", "signal_id": sid, "ts": ts, "surfaced": True, "plan": plan.as_dict()})
    recs.append({"symbol": "X", "signal_id": "W", "ts": T0, "surfaced": False, "plan": recs[0]["plan"]})
    assert attach_lifecycles(recs, {"X": bars}) == len(recs) - 1
    assert recs[-1]["lifecycle"] is None  # watch не має життєвого циклу
    section = quality_section(recs, {"X": 2000 * MIN})["lifecycle"]
    want = count_states(list(replay(_signals(bars, 53), bars).values()))
    assert section["by_state"] == want and section["signals"] == len(recs) - 1
    assert sum(v for k, v in section["by_reason"].items() if k.startswith("expired:")) == want["expired"]


# ── Кадр ──
def test_frame_carries_plan_state_age_and_honest_confidence() -> None:
    agg = AssetStateAggregator(["ENAUSDT"], tick_sizes={"ENAUSDT": 0.0001}, locale="en")
    life = _life()
    life.on_bar(T0 + MIN, 0.3765, 0.3740, 0.3750)
    agg.on_lifecycles([life])
    row = agg.build_frame(T0 + 11 * MIN)["assets"][0]
    lc = row["lifecycle"]
    assert lc["id"] == "ENAUSDT:1" and lc["issued_ts"] == T0 + MIN and lc["state"] == "active"
    assert lc["age_sec"] == 600
    assert lc["plan"] == {"entry_lo": 0.3726, "entry_hi": 0.3735, "tp": 0.3623, "sl": 0.3761, "rr_net": 1.9}
    assert lc["invalidation_text"] == "A close above 0.3761 invalidates the idea"
    assert lc["text"] == "awaiting entry: entry 0.3726–0.3735"
    assert row["trade_status"] is None  # план і стан видно без угоди
    # Чесна впевненість: запис типу — частота; без запису — «score», не відсоток.
    record = {"cases": 412, "tp_first_rate": 0.31}
    assert confidence_text(record, 0.99, "en") == "TP first in 31 % of 412 similar cases"
    assert confidence_text(None, 0.99, "en") == "score 0.99"
    assert confidence_text(None, 0.99, "uk") == "оцінка 0.99"
    agg.on_stage2(
        {
            "symbol": "ENAUSDT",
            "timestamp": T0,
            "status": "completed",
            "recommendation": "STRONG_SELL",
            "confidence_metrics": {"composite_confidence": 0.99},
            "narrative": "Scenario: x.",
        }
    )
    row = agg.build_frame(T0 + 12 * MIN)["assets"][0]
    assert row["confidence_text"] == "score 0.99" and "%" not in row["confidence_text"]


# ── Наживо = бектест на справжніх барах ──
SYMBOLS = ["SOLUSDT", "SUIUSDT", "ENAUSDT"]
HOUR = 3_600_000


async def test_live_pipeline_and_backtest_give_the_same_final_states(data_1m: Path) -> None:
    from aione.app.pipeline import PipelineCore
    from aione.app.screening_producer import ScreeningProducer
    from aione.backtest.runner import RunSpec, make_core, run_backtest
    from aione.backtest.session import window_series
    from aione.backtest.signal_quality import attach_lifecycles
    from aione.data.ws_worker import StateBus, StatePublisher
    from aione.exchange.replay import iter_replay
    from aione.stage2.processor import Stage2Processor
    from tests.test_app_pipeline import _with_intrabar

    spec = RunSpec(data_1m, tuple(SYMBOLS), None, 1746373980000 + 36 * HOUR)
    overrides = {"budget": {"min_rank": 0.0, "per_symbol_per_day": 24.0, "market_per_hour": 30.0}}
    batch = run_backtest(spec, overrides)
    attach_lifecycles(batch.signals, window_series(spec))
    want = {
        s["signal_id"]: (s["lifecycle"]["state"], s["lifecycle"]["reason"], s["lifecycle"]["final_ts"])
        for s in batch.signals
        if s.get("lifecycle")
    }
    assert len(want) >= 5

    base = make_core(spec, overrides)
    agg = AssetStateAggregator(SYMBOLS)
    core = PipelineCore(base.store, base.monitor, base.trades, agg, budget_params=base.gate.budget_params)
    seen: dict[str, SignalLifecycle] = {}
    original = agg.on_lifecycles

    def spy(lives: Any) -> None:
        lives = list(lives)
        seen.update({life.signal_id: life for life in lives})
        original(lives)

    agg.on_lifecycles = spy  # type: ignore[method-assign]
    producer = ScreeningProducer(core, Stage2Processor(core.store), StatePublisher(bus=StateBus()))
    for ev in _with_intrabar(iter_replay(data_1m, SYMBOLS, None, spec.end_ms)):
        producer.on_bar(ev)
        await asyncio.sleep(0)
    await producer.drain()
    got = {k: (v.state, v.reason, v.final_ts) for k, v in seen.items()}
    assert got == want
    frame = agg.build_frame(spec.end_ms or 0)
    assert any(row.get("lifecycle") for row in frame["assets"])


@pytest.mark.parametrize("side", ["BUY", "SELL"])
def test_plan_from_decision_rejects_plans_on_the_wrong_side(side: str) -> None:
    good = SignalPlan(side, 1.0, 1.1, 1.5 if side == "BUY" else 0.5, 0.8 if side == "BUY" else 1.3)
    assert plan_from_decision(_decision(good, T0, 0.1)) == good
    bad = _decision(good, T0, 0.1)
    bad["risk_parameters"]["tp"], bad["risk_parameters"]["sl"] = good.sl, good.tp
    assert plan_from_decision(bad) is None
    assert plan_from_decision({"side": None, "risk_parameters": {"entry_zone": None}}) is None
