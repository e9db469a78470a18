"""Відкритий денний бар живе в агрегаторі ядра: Stage2 бачить ті самі денні бари, що й тоді,
коли відкритий день писався у сховище на кожному 1m барі."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aione.app.pipeline import PipelineCore
from aione.data.bars import Bar, BarArrays, BarEvent, read_bars_parquet
from aione.data.resample import DAY_MS, DailyAggregator
from aione.data.unified_store import UnifiedDataStore
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage3.trade_manager import TradeManager


def _assert_same(a: BarArrays, b: BarArrays) -> None:
    assert len(a) == len(b)
    for name, x, y in zip(BarArrays._fields, a, b, strict=True):
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


def test_push_and_open_bar_agree_with_add(data_1m: Path) -> None:
    arr = read_bars_parquet(data_1m / "ETHUSDT.parquet").slice(700, 700 + 3 * 1440)
    old, new = DailyAggregator(), DailyAggregator()
    closed_days = 0
    for i in range(len(arr)):
        bar = arr.bar(i)
        out = old.add(bar)
        done = new.push(bar)
        if done is not None:
            closed_days += 1
            assert out[0] == done and done.closed
        assert out[-1] == new.open_bar()
        assert len(out) == (2 if done is not None else 1)
    assert closed_days == 3
    # бар старішої доби нічого не змінює
    before = new.open_bar()
    assert new.push(Bar(arr.bar(0).open_time - DAY_MS, 1.0, 2.0, 0.5, 1.5, 1.0)) is None
    assert new.open_bar() == before


def test_core_daily_bars_equal_store_with_open_day(data_1m: Path) -> None:
    arr = read_bars_parquet(data_1m / "SOLUSDT.parquet").slice(1000, 1000 + 4 * 1440)
    core = PipelineCore(UnifiedDataStore(), AssetMonitor(), TradeManager(), records=False)
    ref_store = UnifiedDataStore()  # старий шлях: кожен денний бар з `add` — у сховище
    ref_agg = DailyAggregator()
    checked = 0
    for i in range(len(arr)):
        bar = arr.bar(i)
        assert core.on_bar(BarEvent("SOLUSDT", "1m", bar)).accepted
        for day_bar in ref_agg.add(bar):
            assert ref_store.apply(BarEvent("SOLUSDT", "1d", day_bar))
        if i % 397 == 0 or i == len(arr) - 1:
            for n in (1, 2, 31):
                want = ref_store.get_bars("SOLUSDT", "1d", n, include_open=True)
                _assert_same(core.daily_bars("SOLUSDT", n), want)
            checked += 1
    assert checked > 10
    # у сховищі ядра — лише закриті дні
    assert core.store.open_bar("SOLUSDT", "1d") is None
    assert len(core.store.get_bars("SOLUSDT", "1d")) == 4


def test_core_daily_bars_fall_back_to_store_open_day() -> None:
    store = UnifiedDataStore()
    day = Bar(5 * DAY_MS, 10.0, 12.0, 9.0, 11.0, 100.0, closed=False)
    assert store.apply(BarEvent("XUSDT", "1d", day))
    core = PipelineCore(store, AssetMonitor(), TradeManager(), records=False)
    got = core.daily_bars("XUSDT", 3)
    assert got.open_time.tolist() == [5 * DAY_MS] and got.close.tolist() == [11.0]
    core.warmup("XUSDT")  # агрегатор продовжує відкритий день сховища
    nxt = Bar(5 * DAY_MS + 60_000, 11.0, 13.0, 10.5, 12.5, 5.0)
    assert core.on_bar(BarEvent("XUSDT", "1m", nxt)).accepted
    got = core.daily_bars("XUSDT", 3)
    assert got.high.tolist() == [13.0] and got.close.tolist() == [12.5] and got.volume.tolist() == [105.0]


def test_warmup_rebuilds_the_open_day_from_preloaded_1m_bars(data_1m: Path) -> None:
    """Після preload (лише закриті дні з REST) відкритий день = ресемпл 1m барів від 00:00 UTC —
    те саме, що має бектест, який ішов з початку дня."""
    arr = read_bars_parquet(data_1m / "ETHUSDT.parquet").slice(0, 3 * 1440 + 700)
    store = UnifiedDataStore()
    assert store.put_bars("ETHUSDT", "1m", arr.slice(len(arr) - 1440)) == 1440
    live = PipelineCore(store, AssetMonitor(), TradeManager(), records=False)
    live.warmup("ETHUSDT")
    backtest = PipelineCore(UnifiedDataStore(), AssetMonitor(), TradeManager(), records=False)
    for i in range(len(arr)):
        backtest.on_bar(BarEvent("ETHUSDT", "1m", arr.bar(i)))
    got = live.daily_bars("ETHUSDT", 3)
    want = backtest.daily_bars("ETHUSDT", 3)
    assert int(got.open_time[-1]) == int(want.open_time[-1])
    for col in ("open", "high", "low", "close"):
        assert float(getattr(got, col)[-1]) == float(getattr(want, col)[-1]), col
    assert np.isclose(float(got.volume[-1]), float(want.volume[-1]), rtol=1e-12)
