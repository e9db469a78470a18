"""BinanceBroker проти симулятора: вхід із захистом, рух стопу, вихід, збої, звірка, ліміти, kill switch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from aione.config.config import EXECUTION_JOURNAL_FILENAME, ExecutionLimits
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.sim_trading import SIM_API_KEY, SIM_API_SECRET, SimTrading
from aione.exchange.simulator import BinanceSimulator
from aione.execution import journal as jr
from aione.execution.binance_trading import BinanceTradingClient
from aione.execution.kill import KillSwitch
from aione.execution.live import BinanceBroker, kill_now
from aione.execution.model import OrderIntent, client_order_id
from aione.execution.risk import (
    BLOCK_EXPOSURE,
    BLOCK_MAX_POSITIONS,
    BLOCK_RANK,
    BLOCK_RECOMMENDATION,
    BLOCK_SYMBOL_BUSY,
    EntryRequest,
    check_entry,
)
from aione.stage3.trade_model import Trade, TradeEvent

SYMS = ["BTCUSDT", "ETHUSDT"]
LIMITS = ExecutionLimits(
    max_notional_per_trade=200.0, max_open_positions=2, max_total_exposure=400.0, max_daily_loss=50.0
)


@dataclass
class Env:
    sim: BinanceSimulator
    rest: BinanceRestClient
    client: BinanceTradingClient
    data: Path

    @property
    def engine(self) -> SimTrading:
        return self.sim.trading

    def broker(self, limits: ExecutionLimits = LIMITS, *, stream: bool = True) -> BinanceBroker:
        return BinanceBroker(
            self.client,
            jr.Journal(self.data / EXECUTION_JOURNAL_FILENAME),
            KillSwitch(self.data),
            ws_url=self.sim.ws_url if stream else None,
            limits=limits,
            kill_poll_sec=0.05,
        )

    def open_orders(self, symbol: str = "BTCUSDT") -> list[str]:
        return sorted(
            o.order_type
            for o in self.engine.account.orders.values()
            if o.symbol == symbol and o.status in ("NEW", "PARTIALLY_FILLED")
        )

    def position(self, symbol: str = "BTCUSDT") -> float:
        pos = self.engine.account.positions.get(symbol)
        return pos.amount if pos is not None else 0.0


@pytest.fixture
async def env(data_1m: Path, tmp_path: Path) -> AsyncIterator[Env]:
    async with (
        BinanceSimulator(data_1m, speed=1, symbols=SYMS) as sim,
        BinanceRestClient(sim.rest_url) as rest,
    ):
        await rest.sync_time()
        client = BinanceTradingClient(
            rest, SecretStr(SIM_API_KEY), SecretStr(SIM_API_SECRET), timeout=0.3, retry_pause=0.01
        )
        yield Env(sim, rest, client, tmp_path)


def trade(
    env: Env, tid: str = "BTCUSDT-BUY-1", side: str = "BUY", symbol: str = "BTCUSDT", rec: str = "STRONG_BUY"
) -> Trade:
    price = env.engine.price(symbol)
    assert price is not None
    d = 1 if side == "BUY" else -1
    return Trade(
        trade_id=tid, symbol=symbol, side=side, status="open", decision_ts=1, recommendation=rec,  # type: ignore[arg-type]
        confidence=0.9, planned_entry=price, tp=price * (1 + d * 0.05), sl=price * (1 - d * 0.05),
        initial_sl=price * (1 - d * 0.05), atr=price * 0.01, tick_size=0.01, fee_rate=0.0004,
        entry_price=price, entry_ts=env.sim.clock(),
    )  # fmt: skip


async def send(broker: BinanceBroker, kind: str, t: Trade) -> None:
    broker.on_trade_events([TradeEvent(kind, t)])
    await broker.wait_idle()


async def until(cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.01)


# ── Ліміти (чисте) ──
def test_risk_limits() -> None:
    limits = ExecutionLimits(
        max_notional_per_trade=100, max_open_positions=2, max_total_exposure=150, min_rank=0.5
    )
    req = EntryRequest("BTCUSDT", "STRONG_BUY", 0.6, 100.0)
    ok = {"open_notional": {}, "busy_symbols": set(), "realized_today": 0.0, "kill": False}
    assert check_entry(limits, req, **ok) is None  # type: ignore[arg-type]
    assert (
        check_entry(limits, EntryRequest("BTCUSDT", "BUY_IN_DIPS", 0.6, 100.0), **ok) == BLOCK_RECOMMENDATION
    )  # type: ignore[arg-type]
    assert check_entry(limits, EntryRequest("BTCUSDT", "STRONG_BUY", 0.4, 100.0), **ok) == BLOCK_RANK  # type: ignore[arg-type]
    assert check_entry(limits, req, **{**ok, "busy_symbols": {"BTCUSDT"}}) == BLOCK_SYMBOL_BUSY  # type: ignore[arg-type]
    assert check_entry(limits, req, **{**ok, "open_notional": {"a": 10, "b": 10}}) == BLOCK_MAX_POSITIONS  # type: ignore[arg-type]
    assert check_entry(limits, req, **{**ok, "open_notional": {"a": 60}}) == BLOCK_EXPOSURE  # type: ignore[arg-type]


# ── Життєвий цикл угоди ──
async def test_entry_protection_stop_move_and_exit(env: Env) -> None:
    broker = env.broker()
    await broker.start()
    try:
        await until(lambda: broker.stream is not None and broker.stream.connected.is_set())
        t = trade(env)
        await send(broker, "opened", t)
        assert env.position() > 0
        assert env.open_orders() == ["STOP_MARKET", "TAKE_PROFIT_MARKET"]
        t.sl = t.sl * 1.01  # Stage3 підтягнув стоп
        await send(broker, "updated", t)
        stops = [
            o
            for o in env.engine.account.orders.values()
            if o.order_type == "STOP_MARKET" and o.status == "NEW"
        ]
        assert len(stops) == 1 and stops[0].client_id.endswith("-sl1")
        assert abs(stops[0].stop_price - t.sl) <= 0.05  # округлено до тіку 0.1
        t.status, t.close_reason = "closed", "early_exit"
        await send(broker, "closed", t)
        assert env.position() == 0 and env.open_orders() == []
        await until(lambda: len(broker.state.fill_ids) == 2)  # вхід і вихід з потоку
        jt = broker.state.trades[t.trade_id]
        assert jt.closed and jt.filled == pytest.approx(0.0) and jt.realized < 0  # комісії + прослизання
        assert broker.latencies_ms and len(env.engine.account.trades) == 2
    finally:
        await broker.stop()


async def test_entry_timeout_then_retry_places_exactly_one_order(env: Env) -> None:
    broker = env.broker(stream=False)
    await broker.start()
    try:
        env.engine.hang_seconds = 1.0
        env.engine.inject("timeout")
        await send(broker, "opened", trade(env))
        entries = [o for o in env.engine.account.orders.values() if o.order_type == "MARKET"]
        assert len(entries) == 1 and env.client.order_lookups == 1
        assert env.open_orders() == ["STOP_MARKET", "TAKE_PROFIT_MARKET"]
    finally:
        await broker.stop()


async def test_stop_that_cannot_be_placed_closes_the_position(env: Env) -> None:
    broker = env.broker(stream=False)
    await broker.start()
    try:
        env.engine.inject("reject_stops", 3)  # усі спроби SL відхилено
        await send(broker, "opened", trade(env))
        assert env.position() == 0 and broker.emergency_closes == 1
        assert env.open_orders() == []
    finally:
        await broker.stop()


# ── Перезапуск і звірка ──
async def test_restart_after_kill_restores_protection_without_duplicates(env: Env) -> None:
    """SIGKILL між прийняттям входу і SL: журнал має намір, біржа — позицію без стопа."""
    t = trade(env)
    journal = jr.Journal(env.data / EXECUTION_JOURNAL_FILENAME)
    cid = client_order_id(t.trade_id, "entry")
    journal.append(
        {
            "kind": jr.J_OPEN,
            "trade_id": t.trade_id,
            "symbol": "BTCUSDT",
            "side": "BUY",
            "qty": 0.003,
            "sl": round(t.sl, 1),
            "tp": round(t.tp, 1),
        }
    )
    journal.append({"kind": jr.J_INTENT, "trade_id": t.trade_id, "leg": "entry", "client_id": cid})
    journal.close()
    await env.client.place_order(OrderIntent(t.trade_id, "entry", "BTCUSDT", "BUY", "MARKET", 0.003, cid))
    # сирітська заявка (наш префікс, журнал її не знає) і процес «помер»
    ghost = client_order_id("ghost", "tp")
    await env.client.place_order(
        OrderIntent("ghost", "tp", "ETHUSDT", "SELL", "LIMIT", 0.1, ghost, price=10**5)
    )
    broker = env.broker()
    await broker.start()  # новий процес над тим самим журналом і біржею
    try:
        assert env.open_orders() == ["STOP_MARKET"]  # захист відновлено
        assert env.open_orders("ETHUSDT") == []  # сирота скасована
        assert env.position() == pytest.approx(0.003)
        await send(broker, "opened", t)  # Stage3 після перезапуску ще раз каже «відкрито»
        assert len([o for o in env.engine.account.orders.values() if o.order_type == "MARKET"]) == 1
        assert broker.state.trades[t.trade_id].fill_qty.get(cid) == pytest.approx(0.003)  # виконання добрано
    finally:
        await broker.stop()


@pytest.mark.parametrize("policy", ["protect", "report"])
async def test_orphan_position_policy(env: Env, policy: str) -> None:
    await env.client.place_order(
        OrderIntent("manual", "entry", "ETHUSDT", "SELL", "MARKET", 0.05, "manual-1")
    )
    broker = env.broker(LIMITS.model_copy(update={"orphan_position": policy}), stream=False)
    await broker.start()
    try:
        if policy == "protect":
            stops = [o for o in env.engine.account.orders.values() if o.status == "NEW"]
            assert (
                len(stops) == 1
                and stops[0].side == "BUY"
                and stops[0].stop_price > env.engine.price("ETHUSDT")
            )  # type: ignore[operator]
        else:
            assert env.open_orders("ETHUSDT") == []
            assert any(e.kind == "alert" and "orphan" in e.detail for e in broker.drain_events())
    finally:
        await broker.stop()


# ── Потік користувача ──
async def test_user_stream_drop_loses_no_fill_and_duplicates_are_dropped(env: Env) -> None:
    broker = env.broker()
    await broker.start()
    try:
        await until(lambda: broker.stream is not None and broker.stream.connected.is_set())
        env.engine.drop_user_streams(hold_seconds=0.5)
        await until(lambda: not broker.stream.connected.is_set())  # type: ignore[union-attr]
        t = trade(env)
        await send(broker, "opened", t)  # вхід виконано, поки потоку немає
        await until(lambda: broker.stream.connections >= 2, timeout=10)  # type: ignore[union-attr]
        await until(lambda: len(broker.state.fill_ids) == 1)
        assert broker.recovered_fills == 1
        env.engine.inject("duplicate_fills", 5)
        t.status, t.close_reason = "closed", "manual"
        await send(broker, "closed", t)
        await until(lambda: len(broker.state.fill_ids) == 2)
        await asyncio.sleep(0.1)
        assert (
            broker.duplicate_fills >= 1 and len(broker.state.fill_ids) == len(env.engine.account.trades) == 2
        )
    finally:
        await broker.stop()


# ── Денний збиток і kill switch ──
async def test_daily_loss_limit_stops_new_orders(env: Env) -> None:
    broker = env.broker(LIMITS.model_copy(update={"max_daily_loss": 0.01}))
    await broker.start()
    try:
        await until(lambda: broker.stream is not None and broker.stream.connected.is_set())
        t = trade(env)
        await send(broker, "opened", t)
        t.status, t.close_reason = "closed", "early_exit"
        await send(broker, "closed", t)
        await until(lambda: len(broker.state.fill_ids) == 2)
        assert broker.state.daily.today(env.sim.clock()) < -0.01  # комісії й прослизання — збиток
        orders = len(env.engine.account.orders)
        await send(broker, "opened", trade(env, "ETHUSDT-BUY-2", symbol="ETHUSDT"))
        assert len(env.engine.account.orders) == orders and broker.blocked == {"daily_loss": 1}
    finally:
        await broker.stop()


@pytest.mark.parametrize("flatten", [False, True])
async def test_kill_switch_cancels_all_and_blocks(env: Env, flatten: bool) -> None:
    broker = env.broker(LIMITS.model_copy(update={"flatten_on_kill": flatten}), stream=False)
    await broker.start()
    try:
        await send(broker, "opened", trade(env))
        await send(
            broker, "opened", trade(env, "ETHUSDT-SELL-1", side="SELL", symbol="ETHUSDT", rec="STRONG_SELL")
        )
        assert len(env.open_orders()) == 2 and len(env.open_orders("ETHUSDT")) == 2
        await broker.kill.set("test")
        flat = lambda: env.position() == 0 and env.position("ETHUSDT") == 0  # noqa: E731
        await until(
            lambda: env.open_orders() == [] and env.open_orders("ETHUSDT") == [] and flat() is flatten
        )
        assert flat() is flatten
        before = len(env.engine.account.orders)
        await send(broker, "opened", trade(env, "BTCUSDT-BUY-9"))
        assert len(env.engine.account.orders) == before and broker.blocked.get("kill_switch") == 1
        await broker.kill.clear()
    finally:
        await broker.stop()


async def test_kill_now_without_a_broker(env: Env) -> None:
    await env.client.place_order(
        OrderIntent("x", "entry", "BTCUSDT", "BUY", "LIMIT", 0.01, "x-1", price=1000.0)
    )
    await env.client.place_order(OrderIntent("y", "entry", "ETHUSDT", "BUY", "MARKET", 0.05, "y-1"))
    result = await kill_now(env.client, flatten=True)
    assert result == {"cancelled": 1, "symbols": 1, "closed": 1}
    assert env.open_orders() == [] and env.position("ETHUSDT") == 0
