"""Preload: кеш спершу, REST лише для відсутнього, обмежена конкурентність, звіт по символах."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from aione.app.preload import estimate_weight, missing_ranges, preload, target_window
from aione.config.config import KLINES_SEMAPHORE_LIMIT, TIMEFRAME_MS
from aione.data.bars import Bar, BarArrays, read_bars_parquet
from aione.data.resample import resample_daily
from aione.data.unified_store import UnifiedDataStore
from aione.exchange.endpoints import UM_SPEC

MIN = TIMEFRAME_MS["1m"]
DAY = TIMEFRAME_MS["1d"]


class StubRest:
    """Рукописна заглушка REST над записаними барами: повертає ЗАКРИТІ бари діапазону."""

    def __init__(self, data: dict[str, BarArrays], now_ms: int, fail: frozenset[str] = frozenset()) -> None:
        self.data = {s: {"1m": a, "1d": resample_daily(a)} for s, a in data.items()}
        self.now_ms = now_ms
        self.fail = fail
        self.calls: list[tuple[str, str, int, int]] = []
        self.active = 0
        self.max_active = 0

    async def klines_range(self, symbol: str, interval: str, start_time: int, end_time: int) -> list[Bar]:
        self.calls.append((symbol, interval, start_time, end_time))
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            if symbol in self.fail:
                raise ConnectionError("simulated REST failure")
            a = self.data[symbol][interval]
            tf = TIMEFRAME_MS[interval]
            m = (a.open_time >= start_time) & (a.open_time <= end_time) & (a.open_time + tf <= self.now_ms)
            return [a.bar(int(i)) for i in np.flatnonzero(m)]
        finally:
            self.active -= 1


@pytest.fixture(scope="module")
def recorded(data_1m: Path) -> dict[str, BarArrays]:
    return {p.stem: read_bars_parquet(p) for p in sorted(data_1m.glob("*.parquet"))[:4]}


def now_of(recorded: dict[str, BarArrays]) -> int:
    """Хвилина після останнього спільного закритого бару."""
    return int(min(a.open_time[-1] for a in recorded.values())) + MIN + 15_000


# ── Чиста логіка ──
def test_target_window_counts_closed_bars() -> None:
    first, last = target_window("1m", 1440, 10 * DAY + 30_000)
    assert last == 10 * DAY - MIN and (last - first) // MIN + 1 == 1440
    first_d, last_d = target_window("1d", 10, 10 * DAY + 5)
    assert last_d == 9 * DAY and first_d == 0


def test_missing_ranges_head_tail_and_gaps() -> None:
    t = np.arange(10, 20, dtype=np.int64) * MIN
    assert missing_ranges(t, 10 * MIN, 19 * MIN, MIN) == (10, [])
    assert missing_ranges(t, 5 * MIN, 24 * MIN, MIN) == (10, [(5 * MIN, 9 * MIN), (20 * MIN, 24 * MIN)])
    holes = np.delete(t, [3, 6])
    assert missing_ranges(holes, 10 * MIN, 19 * MIN, MIN) == (8, [(13 * MIN, 13 * MIN), (16 * MIN, 16 * MIN)])
    assert missing_ranges(t[:0], 0, 5 * MIN, MIN) == (0, [(0, 5 * MIN)])
    many = np.arange(0, 40, 2, dtype=np.int64) * MIN  # кожен другий бар відсутній
    cached, ranges = missing_ranges(many, 0, 39 * MIN, MIN)
    assert cached == 20 and ranges == [(MIN, 39 * MIN)]


def test_estimate_weight_pages() -> None:
    assert estimate_weight(UM_SPEC, 1440) == (1, UM_SPEC.klines_weight(UM_SPEC.max_kline_limit))
    assert estimate_weight(UM_SPEC, 3000)[0] == 3


# ── Завантаження ──
async def test_cold_preload_fetches_everything(recorded: dict[str, BarArrays]) -> None:
    now = now_of(recorded)
    rest = StubRest(recorded, now)
    store = UnifiedDataStore()
    report = await preload(store, rest, list(recorded), now_ms=now, progress=False)
    assert not report.errors and report.bars_from_cache == 0
    for s, a in recorded.items():
        item = report.symbols[s]
        days = rest.data[s]["1d"].open_time
        first_day, last_day = target_window("1d", 30, now)
        expected_days = int(((days >= first_day) & (days <= last_day)).sum())  # ADAUSDT має менше історії
        assert item.rest_1m == 1440 and item.rest_1d == expected_days >= 25 and item.weight > 0
        got = store.get_bars(s, "1m")
        last = int(np.flatnonzero(a.open_time + MIN <= now)[-1])
        assert np.array_equal(got.close, a.close[last - 1439 : last + 1])
        assert store.bar_count(s, "1d") == expected_days
    assert report.weight_used == sum(i.weight for i in report.symbols.values())


async def test_warm_preload_fetches_only_the_tail(recorded: dict[str, BarArrays]) -> None:
    now = now_of(recorded)
    store = UnifiedDataStore()
    first = await preload(
        store, StubRest(recorded, now - 100 * MIN), list(recorded), now_ms=now - 100 * MIN, progress=False
    )
    rest = StubRest(recorded, now)
    report = await preload(store, rest, list(recorded), now_ms=now, progress=False)
    same_day = target_window("1d", 30, now) == target_window("1d", 30, now - 100 * MIN)
    for s in recorded:
        item = report.symbols[s]
        assert item.cached_1m == 1340 and item.rest_1m == 100
        # символ із коротшою історією (ADAUSDT) щоразу перепитує початок денного вікна: REST не
        # каже «раніше барів немає», а preload не вгадує дату лістингу
        short_history = rest.data[s]["1d"].open_time[0] > target_window("1d", 30, now)[0]
        expected = ["1m"] if same_day and not short_history else ["1m", "1d"]
        assert [c[1] for c in rest.calls if c[0] == s] == expected
        if expected == ["1m"]:
            assert item.weight < first.symbols[s].weight
    tails = [c for c in rest.calls if c[1] == "1m"]
    assert all((end - start) // MIN + 1 == 100 for _, _, start, end in tails)


async def test_failure_of_one_symbol_is_reported(recorded: dict[str, BarArrays]) -> None:
    now = now_of(recorded)
    bad = next(iter(recorded))
    rest = StubRest(recorded, now, fail=frozenset({bad}))
    store = UnifiedDataStore()
    report = await preload(store, rest, list(recorded), now_ms=now, progress=False)
    assert set(report.errors) == {bad} and "ConnectionError" in report.errors[bad]
    assert store.bar_count(bad, "1m") == 0
    assert all(store.bar_count(s, "1m") == 1440 for s in recorded if s != bad)


async def test_concurrency_bounded_by_semaphore(recorded: dict[str, BarArrays]) -> None:
    now = now_of(recorded)
    base = next(iter(recorded.values())).slice(-3000)
    many = {f"S{i:02d}USDT": base for i in range(3 * KLINES_SEMAPHORE_LIMIT)}
    rest = StubRest(many, now)
    store = UnifiedDataStore()
    report = await preload(store, rest, list(many), lookback_1m=100, daily_days=1, now_ms=now, progress=False)
    assert 1 < rest.max_active <= KLINES_SEMAPHORE_LIMIT
    assert report.bars_from_rest == len(many) * 101


# ── Проти симулятора Binance ──
async def test_preload_against_simulator_then_warm_restart(tmp_path: Path, data_1m: Path) -> None:
    from aione.exchange.binance_rest import BinanceRestClient
    from aione.exchange.simulator import BinanceSimulator

    symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    sim = BinanceSimulator(data_1m, speed=1.0, symbols=symbols)
    await sim.start()
    try:
        async with BinanceRestClient(sim.rest_url, clock=sim.clock) as rest:
            store = UnifiedDataStore(data_dir=tmp_path)
            await store.start()
            cold = await preload(store, rest, symbols, now_ms=sim.clock(), progress=False)
            await store.close()
            assert not cold.errors and cold.bars_from_cache == 0
            for s in symbols:
                item = cold.symbols[s]
                assert item.rest_1m == 1440 and item.rest_1d >= 1
                times = store.get_bars(s, "1m").open_time
                assert np.all(np.diff(times) == MIN) and times[-1] + MIN <= sim.clock()
            requests_before = rest.requests

            warm_store = UnifiedDataStore(data_dir=tmp_path)
            await warm_store.start()
            warm = await preload(warm_store, rest, symbols, now_ms=sim.clock(), progress=False)
            await warm_store.close()
            assert not warm.errors
            assert all(warm.symbols[s].cached_1m >= 1438 for s in symbols)
            assert warm.bars_from_rest <= 2 * len(symbols)
            # оцінка запитів у звіті збігається з тим, що клієнт справді надіслав
            assert cold.requests == requests_before
            assert warm.requests == rest.requests - requests_before < requests_before
            assert warm.weight_used < cold.weight_used
    finally:
        await sim.stop()


async def test_progress_bar_silent_when_not_a_terminal(
    recorded: dict[str, BarArrays], capsys: pytest.CaptureFixture[str]
) -> None:
    now = now_of(recorded)
    store = UnifiedDataStore()
    report = await preload(store, StubRest(recorded, now), list(recorded)[:1], lookback_1m=10, now_ms=now)
    assert report.bars_from_rest > 0
    captured = capsys.readouterr()
    # Лише рядки журналу (він пише в поточний stderr), жодного кадру прогрес-бару.
    assert captured.out == ""
    assert all(" aione." in line for line in captured.err.splitlines()), captured.err
    assert "\r" not in captured.err and "━" not in captured.err
