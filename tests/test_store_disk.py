"""Дисковий шар: round trip через parquet, атомарний запис, аварія між тимчасовим файлом і rename."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aione.config.config import SymbolInfo
from aione.data import disk_layer
from aione.data.bars import Bar, BarArrays, BarEvent, read_bars_parquet
from aione.data.resample import DailyAggregator
from aione.data.unified_store import UnifiedDataStore

T0 = 1_748_000_000_000


async def eventually(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    """Чекає, доки умова стане істинною (замість фіксованих пауз)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def _daily(arrays: BarArrays) -> list[Bar]:
    """Закриті денні бари з 1m барів (агрегатор проєкту)."""
    agg = DailyAggregator()
    return [d for i in range(len(arrays)) for d in agg.add(arrays.bar(i)) if d.closed]


async def test_disk_roundtrip(tmp_path: Path, data_1m: Path) -> None:
    btc = read_bars_parquet(data_1m / "BTCUSDT.parquet")
    eth = read_bars_parquet(data_1m / "ETHUSDT.parquet").slice(0, 700)
    store = UnifiedDataStore(data_dir=tmp_path)
    await store.start()
    store.put_bars("BTCUSDT", "1m", btc.slice(0, 1440))
    store.put_bars("BTCUSDT", "1d", _daily(btc.slice(0, 8 * 1440)))
    store.put_bars("ETHUSDT", "1m", eth)
    for i in range(1440, 1500):
        assert store.apply(BarEvent("BTCUSDT", "1m", btc.bar(i)))
    store.set_symbol_info(SymbolInfo(symbol="BTCUSDT", tick_size=0.1, step_size=0.001))
    store.set_fast_symbols(["SOLUSDT"], source="auto", now_ms=T0)
    await store.close()
    assert disk_layer.bars_path(tmp_path, "BTCUSDT", "1m").exists()
    assert store.stats.disk_flushes >= 1 and store.stats.last_flush_ms > 0

    fresh = UnifiedDataStore(data_dir=tmp_path)
    await fresh.start()
    try:
        for symbol, tf in (("BTCUSDT", "1m"), ("BTCUSDT", "1d"), ("ETHUSDT", "1m")):
            a, b = store.get_bars(symbol, tf), fresh.get_bars(symbol, tf)
            assert len(a) == len(b) > 0
            for x, y in zip(a, b, strict=True):
                assert np.array_equal(x, y, equal_nan=True)
        assert np.array_equal(fresh.get_bars("BTCUSDT", "1m").close, btc.close[60:1500])
        assert fresh.get_symbol_info("BTCUSDT") == store.get_symbol_info("BTCUSDT")
        assert "SOLUSDT" in fresh.get_fast_symbols(T0)
        # щойно завантажене не переписується: диск уже має ці версії
        assert await fresh.flush() and fresh.stats.disk_flushes == 0
    finally:
        await fresh.close()


async def test_periodic_flush_writes_behind(tmp_path: Path, data_1m: Path) -> None:
    sol = read_bars_parquet(data_1m / "SOLUSDT.parquet")
    store = UnifiedDataStore(data_dir=tmp_path, flush_interval=0.02, disk_flush_interval=0.05)
    await store.start()
    try:
        path = disk_layer.bars_path(tmp_path, "SOLUSDT", "1m")
        for i in range(30):
            store.apply(BarEvent("SOLUSDT", "1m", sol.bar(i)))
        await eventually(lambda: path.exists() and len(read_bars_parquet(path)) == 30)
        for i in range(30, 40):
            store.apply(BarEvent("SOLUSDT", "1m", sol.bar(i)))
        await eventually(lambda: len(read_bars_parquet(path)) == 40)
        assert np.array_equal(read_bars_parquet(path).close, sol.close[:40])
    finally:
        await store.close()


def test_crash_before_rename_keeps_previous_file(tmp_path: Path, data_1m: Path) -> None:
    bars = read_bars_parquet(data_1m / "LINKUSDT.parquet")
    path = disk_layer.bars_path(tmp_path, "LINKUSDT", "1m")
    disk_layer.write_bars_atomic(path, bars.slice(0, 100))
    seen: list[Path] = []

    def crash(tmp: Path) -> None:
        seen.append(tmp)
        assert tmp.exists() and tmp.stat().st_size > 0  # тимчасовий файл уже повністю записано
        raise KeyboardInterrupt("simulated crash between temp write and rename")

    with pytest.raises(KeyboardInterrupt):
        disk_layer.write_bars_atomic(path, bars.slice(0, 500), before_replace=crash)
    back = read_bars_parquet(path)
    assert len(back) == 100 and np.array_equal(back.close, bars.close[:100])
    assert seen and not seen[0].exists()


async def test_orphan_temp_and_corrupt_file_on_start(tmp_path: Path, data_1m: Path) -> None:
    bars = read_bars_parquet(data_1m / "BNBUSDT.parquet").slice(0, 200)
    good = disk_layer.bars_path(tmp_path, "BNBUSDT", "1m")
    disk_layer.write_bars_atomic(good, bars)
    # процес «упав» посеред запису: лишився обрізаний тимчасовий файл поруч із цілим
    orphan = good.with_name(good.name + ".4242" + disk_layer.TMP_SUFFIX)
    orphan.write_bytes(good.read_bytes()[:100])
    broken = disk_layer.bars_path(tmp_path, "BADUSDT", "1m")
    broken.write_bytes(b"PAR1 definitely not parquet")
    store = UnifiedDataStore(data_dir=tmp_path)
    await store.start()
    try:
        assert not orphan.exists()
        assert np.array_equal(store.get_bars("BNBUSDT", "1m").close, bars.close)
        assert store.bar_count("BADUSDT", "1m") == 0 and store.stats.disk_errors == 1
    finally:
        await store.close()
