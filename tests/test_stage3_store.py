"""Перезапуск відновлює угоди точно: диск (атомарний JSON) і справжній Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_store import (
    DiskTradeStore,
    RedisTradeStore,
    TradeStore,
    make_trade_store,
    restore_manager,
    save_manager,
)
from tests.test_stage3_trades import MIN, T0, decision


def busy_manager() -> TradeManager:
    """Менеджер з відкритою угодою (зі зсунутим стопом), очікуючою і закритою."""
    tm = TradeManager()
    tm.on_decision(decision(symbol="SOLUSDT"))
    tm.on_price("SOLUSDT", 100.0, T0 + 1)
    tm.on_price("SOLUSDT", 101.1, T0 + 2, high=101.3, low=100.4)  # беззбиток
    tm.on_decision(decision(symbol="ETHUSDT", entry=2500.0, tp=2590.0, sl=2470.0, atr=30.0))
    tm.on_price("ETHUSDT", 2500.0, T0 + 3)
    tm.on_price("ETHUSDT", 2600.0, T0 + 4, high=2601.0, low=2499.0)  # TP
    tm.on_decision(decision(symbol="XRPUSDT", entry=2.1, tp=2.2, sl=2.05, atr=0.02, ts=T0 + MIN))
    return tm


async def roundtrip(store: TradeStore) -> None:
    before = busy_manager()
    assert before.get("SOLUSDT", "BUY").sl == 100.0  # type: ignore[union-attr]
    await save_manager(store, before)
    after = TradeManager()
    assert await restore_manager(store, after) == 2
    assert after.active_trades() == before.active_trades()
    assert after.recent_trades() == before.recent_trades()
    # Відновлений менеджер працює далі так само, як працював би оригінал.
    for tm in (before, after):
        tm.on_price("XRPUSDT", 2.11, T0 + MIN + 1)
        tm.on_price("SOLUSDT", 99.9, T0 + MIN + 2, high=100.2, low=99.8)
    assert after.recent_trades() == before.recent_trades()
    assert after.recent_trades()[-1].close_reason == "sl_hit"
    assert after.open_trades() == before.open_trades()


async def test_disk_store_restores_exactly(tmp_path: Path) -> None:
    store = make_trade_store(None, tmp_path / "data")
    assert isinstance(store, DiskTradeStore)
    assert await store.load() == ([], [])
    await roundtrip(store)
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["stage3_trades.json"]  # без тимчасових


async def test_disk_store_survives_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "trades.json"
    path.write_bytes(b"{not json")
    assert await DiskTradeStore(path).load() == ([], [])
    path.write_bytes(b'{"version":1,"open":[{"symbol":"X"}],"recent":[]}')
    assert await DiskTradeStore(path).load() == ([], [])


@pytest.mark.redis
async def test_redis_store_restores_exactly(redis_url: str) -> None:
    store = make_trade_store(redis_url, "unused")
    assert isinstance(store, RedisTradeStore)
    try:
        assert await store.load() == ([], [])
        await roundtrip(store)
    finally:
        await store.aclose()


@pytest.mark.redis
async def test_redis_store_survives_server_restart(redis_server) -> None:  # type: ignore[no-untyped-def]
    store = RedisTradeStore(redis_server.url)
    try:
        tm = busy_manager()
        await save_manager(store, tm)
        redis_server.restart()  # без persistence дані зникають: сховище має просто повернути порожнє
        assert await store.load() == ([], [])
        await save_manager(store, tm)
        active, _ = await store.load()
        assert active == tm.active_trades()
    finally:
        await store.aclose()
