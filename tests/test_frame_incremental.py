"""Кадр для публікації з кешу рядків: той самий вміст, що повна збірка з округленням, і незмінні
рядки не будуються заново."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson

from aione.data.ws_worker import StateBus, StatePublisher, round_frame
from aione.signals.lifecycle import SignalLifecycle, SignalPlan
from aione.stage3.asset_state import AssetRow, AssetStateAggregator
from aione.stage3.trade_manager import TradeManager
from aione.ui.publish_full_state import publish_full_state
from tests.test_publish_state import stage1
from tests.test_stage3_trades import T0, decision

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "ENAUSDT", "XRPUSDT"]
MIN = 60_000


def _watch(symbol: str, ts: int) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "timestamp": ts,
        "market_context": {"price": 2.0, "atr": 0.01, "atr_pct": 0.005, "rsi": 61.0, "scenario": "RANGE"},
        "signal": {
            "rank": {"score": 0.41, "unusual": 0.5},
            "surfaced": False,
            "reason": "budget",
            "kind": "k",
        },
    }


class _Twins:
    """Два агрегатори з тими самими подіями: один публікує з кешу, другий — повною збіркою."""

    def __init__(self, deriv: Callable[[str], dict[str, Any] | None] | None = None) -> None:
        self.cached = AssetStateAggregator(SYMBOLS, tick_sizes={"BTCUSDT": 0.1})
        self.full = AssetStateAggregator(SYMBOLS, tick_sizes={"BTCUSDT": 0.1})
        self.cached.deriv_source = self.full.deriv_source = deriv
        self.tm = {id(self.cached): TradeManager(), id(self.full): TradeManager()}

    def each(self, fn: Callable[..., None], *args: Any) -> None:
        for agg in (self.cached, self.full):
            fn(agg, self.tm[id(agg)], *args)

    def same_frame(self, ts: int) -> bytes:
        got = orjson.dumps(self.cached.build_frame(ts, rounded=True))
        want = orjson.dumps(round_frame(self.full.build_frame(ts)))
        assert got == want  # байт у байт: ті самі поля, порядок і округлення
        return got


def _life(symbol: str, ts: int) -> SignalLifecycle:
    return SignalLifecycle(f"{symbol}:1", symbol, ts, SignalPlan("SELL", 0.3726, 0.3735, 0.3623, 0.3761, 1.9))


def _event(
    agg: AssetStateAggregator, tm: TradeManager, kind: int, symbol: str, price: float, ts: int, step: int
) -> None:
    """Одна подія живого процесу, однаково для обох агрегаторів."""
    if kind == 0:
        agg.on_stage1(stage1(symbol, "ALERT" if step % 3 == 0 else "NORMAL", price=price, ts=ts))
    elif kind == 1:
        result = decision(symbol=symbol, entry=price, tp=price * 1.03, sl=price * 0.99, ts=ts)
        agg.on_stage2(result)
        if tm.on_decision(result) is not None:
            agg.on_trade_events(tm.last_events)
    elif kind == 2:
        agg.on_trade_events(tm.on_price(symbol, price, ts))
    elif kind == 3:
        agg.on_watch(_watch(symbol, ts))
    elif kind == 4:
        agg.on_lifecycles([_life(symbol, ts - 120_000)])
    elif kind == 5:
        agg.set_stale({symbol: f"no closed bar for {step} s"} if step % 2 else {})
    else:  # найчастіша подія живого процесу: нова ціна між результатами Stage1
        agg.on_price(symbol, price, ts)


def test_published_frame_equals_the_rounded_full_frame_after_every_kind_of_change() -> None:
    rng = random.Random(7)
    derivs: dict[str, dict[str, Any]] = {}
    twins = _Twins(derivs.get)
    ts = T0
    for step in range(400):
        ts += rng.choice((0, 1, 250, 1_000))
        symbol = rng.choice(SYMBOLS)
        kind = rng.randrange(10)
        price = round(rng.uniform(0.3, 120.0), 4)
        if kind == 6:  # новий підсумок деривативів символу
            derivs[symbol] = {"book_state": "fresh", "book_imbalance": rng.random() / 3, "oi": price * 1e5}
        else:
            twins.each(_event, kind, symbol, price, ts, step)
        twins.same_frame(ts)


def test_unchanged_rows_are_not_rebuilt_and_a_price_tick_only_patches_the_cached_row(
    monkeypatch: Any,
) -> None:
    agg = AssetStateAggregator(SYMBOLS)
    for s in SYMBOLS:
        agg.on_stage1(stage1(s, price=10.0))
    life = _life("ENAUSDT", T0)
    agg.on_lifecycles([life])
    built: list[str] = []
    to_dict = AssetRow.to_dict

    def counting(row: AssetRow, now_ms: int | None = None) -> dict[str, Any]:
        built.append(row.symbol)
        return to_dict(row, now_ms)

    monkeypatch.setattr(AssetRow, "to_dict", counting)
    agg.build_frame(T0 + 1_000, rounded=True)
    assert sorted(built) == sorted(SYMBOLS)
    built.clear()
    agg.on_price("BTCUSDT", 10.123456789, T0 + 2_000)  # лише ціна: рядок з кешу з новою ціною
    # результат Stage1 міняє лише свої поля: вони накладаються на кеш без перебудови рядка
    agg.on_stage1(stage1("ETHUSDT", "ALERT", price=11.0, ts=T0 + 2_000))
    agg.on_watch(_watch("SOLUSDT", T0 + 2_000))  # змінився не лише Stage1 — заново
    frame = agg.build_frame(T0 + 61_000, rounded=True)
    assert built == ["SOLUSDT"]
    rows = {r["symbol"]: r for r in frame["assets"]}
    assert rows["BTCUSDT"]["price"] == 10.1 and rows["BTCUSDT"]["updated_ts"] == T0 + 2_000
    assert rows["ETHUSDT"]["state"] == "alert" and rows["ETHUSDT"]["price"] == 11.0
    assert rows["SOLUSDT"]["state"] == "watch"
    # вік сигналу — на час кадру, без перебудови рядка
    assert rows["ENAUSDT"]["lifecycle"]["age_sec"] == (T0 + 61_000 - life.issued_ts) // 1000 > 0
    assert rows["ETHUSDT"]["signal"] == "ALERT"


def test_rows_with_an_active_trade_are_built_every_frame() -> None:
    agg, tm = AssetStateAggregator(["SOLUSDT"]), TradeManager()
    agg.on_stage1(stage1("SOLUSDT", "ALERT"))
    result = decision(symbol="SOLUSDT")
    agg.on_stage2(result)
    tm.on_decision(result)
    agg.on_trade_events(tm.last_events)
    agg.on_trade_events(tm.on_price("SOLUSDT", 100.0, T0 + 1))
    first = agg.build_frame(T0 + 2, rounded=True)["assets"][0]["pnl_pct"]
    agg.on_price("SOLUSDT", 101.0, T0 + 3)  # PnL відкритої угоди — за новою ціною
    second = agg.build_frame(T0 + 4, rounded=True)["assets"][0]
    assert second["trade_status"] == "open" and second["pnl_pct"] != first
    assert agg.rows["SOLUSDT"].frame_cache is None


async def test_publisher_sends_the_aggregators_rounded_frame_as_is() -> None:
    bus = StateBus()
    sub = bus.subscribe()
    agg = AssetStateAggregator(["BTCUSDT"])
    agg.on_stage1(stage1("BTCUSDT", price=104_000.123456789))
    reference = AssetStateAggregator(["BTCUSDT"])
    reference.on_stage1(stage1("BTCUSDT", price=104_000.123456789))
    assert await publish_full_state(agg, StatePublisher(None, bus), T0 + 5)
    sent = sub.queue.get_nowait()
    assert orjson.dumps(sent) == orjson.dumps(round_frame(reference.build_frame(T0 + 5)))


def test_stage1_results_between_frames_patch_the_cached_row_exactly() -> None:
    """Потік результатів Stage1 (кожне оновлення бару) між кадрами: зміна ціни, сигналу, причин,
    NaN і відсутні поля статистики, оборот 24 год з джерела, рядки після Stage2 і без тіку —
    кадр з кешу байт у байт той самий, що повна збірка з округленням."""
    rng = random.Random(19)
    turnover: dict[str, float | None] = {}
    twins = _Twins()
    for agg in (twins.cached, twins.full):
        agg.turnover_source = turnover.get
    twins.each(lambda agg, tm: agg.on_stage2(decision(symbol="ETHUSDT", entry=2.0, tp=2.1, sl=1.95, ts=T0)))
    ts = T0
    for step in range(300):
        ts += rng.choice((1, 250, 1_000))
        symbol = rng.choice(SYMBOLS)
        turnover[symbol] = rng.choice((None, rng.uniform(1e6, 1e9)))
        stats: dict[str, Any] = {"rsi": rng.choice((float("nan"), rng.uniform(0, 100)))}
        if step % 4 == 0:
            stats["price_change_pct"] = rng.uniform(-0.0009, 0.0009)  # малі: 6 значущих цифр
        signal = "ALERT" if step % 5 == 0 else "NORMAL"
        price = rng.uniform(0.0001, 90_000.0)
        result = stage1(symbol, signal, price=price, ts=ts, **stats)
        for agg in (twins.cached, twins.full):
            agg.on_stage1(result)
        if step % 3 == 0:
            twins.same_frame(ts)
