"""Сховище й запуск при збоях: кеш Redis «з майбутнього», Redis недоступний на старті, невідомий
символ, «прийнято 0 барів» — не вихід 0, швидке повернення ключів після перезапуску Redis."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import redis.asyncio as aioredis

from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, RunReport, StartupError, run_pipeline
from aione.data import redis_keys
from aione.data.bars import BarArrays, read_bars_parquet
from aione.data.unified_store import REDIS_RETRY_MAX_SEC, UnifiedDataStore
from aione.exchange.simulator import BinanceSimulator
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_store import RedisTradeStore, save_manager
from tests.redis_server import free_port

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
DAY_MS = 86_400_000


def _shifted(bars: BarArrays, shift_ms: int, n: int = 300) -> BarArrays:
    part = bars.slice(len(bars) - n)
    return BarArrays(part.open_time + shift_ms, *part[1:])


async def _seed_future_cache(redis_url: str, days_ahead: int = 30) -> None:
    """Кеш, який залишив би запуск з пізнішим часом: бари BTCUSDT на `days_ahead` діб після кінця зразка."""
    btc = read_bars_parquet(sample_data_dir() / "BTCUSDT.parquet")
    seed = UnifiedDataStore(redis_url=redis_url)
    await seed.start()
    seed.put_bars("BTCUSDT", "1m", _shifted(btc, days_ahead * DAY_MS))
    await seed.close()


async def _run(redis_url: str | None, symbols: list[str] = SYMBOLS) -> tuple[RunReport, BinanceSimulator]:
    sim = BinanceSimulator(sample_data_dir(), speed=120, symbols=SYMBOLS, market="um")
    await sim.start()
    try:
        opts = RunOptions(
            rest_url=sim.rest_url,
            ws_url=sim.ws_url,
            market="um",
            clock=sim.clock,
            redis_url=redis_url,
            symbols=symbols,
            duration=3.0,
            progress=False,
            install_signal_handlers=False,
        )
        return await run_pipeline(opts), sim
    finally:
        await sim.stop()


# ── Кеш «з майбутнього» ──
@pytest.mark.redis
async def test_store_drops_a_cache_ahead_of_the_feed_in_one_line(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await _seed_future_cache(redis_url)
    btc = read_bars_parquet(sample_data_dir() / "BTCUSDT.parquet")
    now_ms = int(btc.open_time[-1])
    store = UnifiedDataStore(redis_url=redis_url)
    with caplog.at_level(logging.WARNING):
        await store.start(now_ms=now_ms)
    try:
        lines = [r.getMessage() for r in caplog.records if "ahead of the feed clock" in r.getMessage()]
        assert len(lines) == 1 and "BTCUSDT" in lines[0]
        assert store.bar_count("BTCUSDT", "1m") == 0 and store.stats.ahead_dropped == 1
        client = aioredis.from_url(redis_url)
        try:
            assert await client.get(redis_keys.bars_key("BTCUSDT", "1m")) is None
            assert not await client.sismember(redis_keys.BARS_INDEX_KEY, "BTCUSDT:1m")
        finally:
            await client.aclose()
    finally:
        await store.close()


@pytest.mark.redis
async def test_second_run_over_a_later_cache_starts_clean_and_screens(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await _seed_future_cache(redis_url)
    # угода, збережена запуском з пізнішим часом: не відновлюється (її ніколи не оновило б)
    manager = TradeManager()
    btc = read_bars_parquet(sample_data_dir() / "BTCUSDT.parquet")
    later = int(btc.open_time[-1]) + 30 * DAY_MS
    manager.on_decision(
        {
            "symbol": "BTCUSDT",
            "timestamp": later,
            "status": "completed",
            "recommendation": "STRONG_BUY",
            "side": "BUY",
            "market_context": {"price": 100.0, "atr": 1.0},
            "confidence_metrics": {"composite_confidence": 0.9},
            "risk_parameters": {"entry": 100.0, "tp": 103.0, "sl": 99.0, "atr": 1.0, "tick_size": 0.1},
        }
    )
    assert manager.active_trades()
    trades = RedisTradeStore(redis_url)
    await save_manager(trades, manager)
    await trades.aclose()
    with caplog.at_level(logging.WARNING):
        report, sim = await _run(redis_url)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("ahead of the feed clock" in m for m in messages) == 1
    assert any("not restored" in m for m in messages)
    assert report.failures == [] and report.counters["bars"] > 0
    last = report.last_closed_ms["BTCUSDT"]
    assert last is not None and abs(last - sim.clock()) < 5 * 60_000  # символ іде за стрічкою
    assert report.open_trades == 0


@pytest.mark.redis
async def test_accepting_nothing_is_a_failure_not_success(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed_future_cache(redis_url)
    # Кеш, якого детектор не бачить (як до виправлення): стрічка працює, а прийнято нічого.
    monkeypatch.setattr(UnifiedDataStore, "rings_ahead", lambda self, now_ms, tolerance_ms=0: [])
    report, _ = await _run(redis_url, ["BTCUSDT"])
    assert report.ws["messages"] > 0 and report.counters["bars"] == 0
    assert any(f.startswith("accepted 0 of") for f in report.failures), report.failures


# ── Redis недоступний на старті ──
async def test_redis_unreachable_at_start_carries_on_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        report, _ = await _run(f"redis://127.0.0.1:{free_port()}/0")
    assert report.failures == [] and report.counters["bars"] > 0
    assert all(r.exc_info is None for r in caplog.records), [r.getMessage() for r in caplog.records if r.exc_info]
    assert any("redis_unavailable_at_start" in r.getMessage() for r in caplog.records)


# ── Невідомий символ ──
async def test_unknown_symbol_is_reported_as_unknown() -> None:
    with pytest.raises(StartupError, match="unknown symbol NOPEUSDT"):
        await _run(None, ["NOPEUSDT"])


# ── Повтор після збою Redis ──
def test_redis_retry_pause_is_short_by_default(tmp_path: Path) -> None:
    """Після перезапуску порожнього Redis ключі мають повернутися за секунди, а не після 30 с паузи."""
    store = UnifiedDataStore(redis_url="redis://127.0.0.1:1/0", data_dir=tmp_path)
    assert store.redis_retry_max == REDIS_RETRY_MAX_SEC <= 2.0
    assert np.isfinite(store.flush_interval)
