"""Stage2Processor: дані зі сховища/REST, семафор, вимикач, помилки без винятків назовні."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np

from aione.config.config import STAGE2_CONFIG, STAGE2_STATUS, SymbolInfo
from aione.data.bars import Bar, BarArrays, read_bars_parquet
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.processor import Stage2Processor
from aione.stage2.qde_core import decide
from aione.utils.utils import deep_merge
from tests.test_stage2_scenarios import breakout_case


class StubStore:
    """Мінімальне сховище: бари за (символ, таймфрейм), метадані, необов'язкова затримка."""

    def __init__(
        self, bars: dict[tuple[str, str], BarArrays], info: SymbolInfo | None = None, delay: float = 0.0
    ) -> None:
        self.bars = bars
        self.info = info
        self.delay = delay
        self.calls: list[tuple[str, str, int | None]] = []

    async def get_bars(self, symbol: str, timeframe: str, n: int | None = None) -> BarArrays | None:
        self.calls.append((symbol, timeframe, n))
        if self.delay:
            await asyncio.sleep(self.delay)
        arr = self.bars.get((symbol, timeframe))
        if arr is None:
            return None
        return arr.slice(max(0, len(arr) - n)) if n else arr

    def get_symbol_info(self, symbol: str) -> SymbolInfo | None:
        return self.info


class StubRest:
    """REST-клієнт з методом `klines`, що повертає закриті `Bar` з масивів."""

    def __init__(self, bars: dict[tuple[str, str], BarArrays]) -> None:
        self.bars = bars
        self.requests: list[tuple[str, str, int | None, int]] = []

    async def klines(
        self,
        symbol: str,
        interval: str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
    ) -> list[Bar]:
        self.requests.append((symbol, interval, end_time, limit))
        arr = self.bars.get((symbol, interval))
        if arr is None:
            return []
        keep = np.flatnonzero(arr.open_time <= end_time) if end_time is not None else np.arange(len(arr))
        keep = keep[-limit:]
        return [arr.bar(int(i)) for i in keep]


class BrokenStore(StubStore):
    def get_symbol_info(self, symbol: str) -> SymbolInfo | None:
        raise RuntimeError("boom")


async def test_process_uses_store_and_matches_core() -> None:
    s1, inputs, _ = breakout_case()
    store = StubStore({("TESTUSDT", "1m"): inputs.bars_1m}, info=inputs.symbol_info)
    proc = Stage2Processor(store)
    res = await proc.process(s1)
    assert res["status"] == STAGE2_STATUS["COMPLETED"]
    direct = decide(s1, Stage2Inputs(bars_1m=inputs.bars_1m, symbol_info=inputs.symbol_info))
    assert res == direct
    assert ("TESTUSDT", "1m", None) in store.calls


async def test_window_is_cut_at_the_stage1_bar() -> None:
    s1, inputs, _ = breakout_case()
    bars = inputs.bars_1m
    ts_prev = int(bars.open_time[-2])
    store = StubStore({("TESTUSDT", "1m"): bars}, info=inputs.symbol_info)
    res = await Stage2Processor(store).process({**s1, "timestamp": ts_prev, "stats": {}})
    direct = decide(
        {**s1, "timestamp": ts_prev, "stats": {}},
        Stage2Inputs(bars_1m=bars.slice(0, len(bars) - 1), symbol_info=inputs.symbol_info),
    )
    assert res == direct


async def test_missing_data_fetched_over_rest_else_no_data() -> None:
    s1, inputs, _ = breakout_case()
    empty = StubStore({}, info=inputs.symbol_info)
    no_rest = await Stage2Processor(empty).process(s1)
    assert no_rest["status"] == STAGE2_STATUS["SKIPPED"] and no_rest["reason"] == "no_data"
    rest = StubRest({("TESTUSDT", "1m"): inputs.bars_1m})
    proc = Stage2Processor(empty, rest=rest)
    res = await proc.process(s1)
    assert res["status"] == STAGE2_STATUS["COMPLETED"]
    assert rest.requests and rest.requests[0][1] == "1m"
    assert proc.counters["rest_fetches"] >= 1


async def test_semaphore_limits_parallel_decisions() -> None:
    s1, inputs, _ = breakout_case()
    store = StubStore({("TESTUSDT", "1m"): inputs.bars_1m}, info=inputs.symbol_info, delay=0.01)
    proc = Stage2Processor(store, max_parallel=3)
    results = await proc.process_many([s1] * 12)
    assert len(results) == 12 and all(r["status"] == STAGE2_STATUS["COMPLETED"] for r in results)
    assert proc.max_in_flight == 3


async def test_switch_off_passes_stage1_through() -> None:
    s1, inputs, _ = breakout_case()
    store = StubStore({("TESTUSDT", "1m"): inputs.bars_1m})
    proc = Stage2Processor(store, params={"switches": {"use_qde": False}})
    res = await proc.process(s1)
    assert res["status"] == STAGE2_STATUS["SKIPPED"] and res["reason"] == "qde_disabled"
    assert res["trigger_reasons"] == s1["trigger_reasons"] and res["stats"] == s1["stats"]
    assert store.calls == []  # Stage2 вимкнено: сховище не чіпається


async def test_errors_become_status_not_exceptions() -> None:
    s1, inputs, _ = breakout_case()
    broken = BrokenStore({("TESTUSDT", "1m"): inputs.bars_1m})
    proc = Stage2Processor(broken)
    res = await proc.process(s1)
    assert res["status"] == STAGE2_STATUS["ERROR"] and res["reason"] == "internal_error"
    bad: Any = ["not", "a", "dict"]
    assert (await proc.process(bad))["status"] == STAGE2_STATUS["ERROR"]
    assert (await proc.process({"symbol": ""}))["reason"] == "invalid_stage1_result"
    assert proc.counters["error"] == 3


async def test_locale_and_params_are_honoured() -> None:
    s1, inputs, _ = breakout_case()
    store = StubStore({("TESTUSDT", "1m"): inputs.bars_1m}, info=inputs.symbol_info)
    en = await Stage2Processor(store, locale="en").process(s1)
    assert "upside breakout" in en["narrative"]
    # Пробій з плаского 12-годинного фону чекає тренду старшого ТФ; тут — лише поріг R/R.
    strict = deep_merge(STAGE2_CONFIG, {"min_risk_reward": 50.0, "htf_trend_min": -1.0})
    res = await Stage2Processor(store, params=strict).process(s1)
    assert res["side"] is None and "rr_below_min" in res["risk_parameters"]["tags"]


async def test_with_real_unified_store_in_ram(data_1m: Path) -> None:
    from aione.data.unified_store import UnifiedDataStore

    bars = read_bars_parquet(data_1m / "LINKUSDT.parquet").slice(10_000, 11_440)
    store = UnifiedDataStore()
    await store.start()
    try:
        assert store.put_bars("LINKUSDT", "1m", bars) == len(bars)
        store.set_symbol_info(SymbolInfo(symbol="LINKUSDT", tick_size=0.001))
        ts = int(bars.open_time[1000])  # сховище вже пішло вперед від бару Stage1
        s1 = {"symbol": "LINKUSDT", "timestamp": ts, "trigger_reasons": ["breakout_up"], "stats": {}}
        res = await Stage2Processor(store).process(s1)
        assert res["status"] == STAGE2_STATUS["COMPLETED"]
        assert res["risk_parameters"]["tick_size"] == 0.001
        window = bars.slice(1001 - STAGE2_CONFIG["context_bars"], 1001)
        direct = decide(
            s1, Stage2Inputs(bars_1m=window, symbol_info=SymbolInfo(symbol="LINKUSDT", tick_size=0.001))
        )
        assert res == direct
    finally:
        await store.close()
