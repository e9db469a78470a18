"""Оборот за 24 год наростаючим підсумком: на записаних барах після кожного закритого бару —
те саме число, що й перерахунок усього вікна (`turnover_24h`, точно округлена сума), без повного
перерахунку; вставка бару всередину вікна (дозаповнення) перераховує вікно."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from aione.app.turnover import BARS_PER_DAY, Turnover24h, turnover_24h
from aione.data.bars import BarEvent, read_bars_parquet
from aione.data.ram_store import RamStore


def _recompute(store: RamStore, symbol: str) -> float | None:
    bars = store.get_bars(symbol, "1m", BARS_PER_DAY)
    return turnover_24h(bars.open_time, bars.quote_volume)


def test_rolling_sum_equals_the_recompute_on_every_closed_bar(data_1m: Path) -> None:
    full = read_bars_parquet(data_1m / "ETHUSDT.parquet")
    store = RamStore()
    store.put_bars("ETHUSDT", "1m", full.slice(0, 1000))
    tracker = Turnover24h(store)
    assert tracker("ETHUSDT") == _recompute(store, "ETHUSDT")
    for i in range(1000, 4000):  # понад дві доби: вікно заповнюється й зсувається
        bar = dataclasses.replace(full.bar(i), closed=True)
        assert store.apply(BarEvent("ETHUSDT", "1m", bar))
        value = tracker("ETHUSDT")
        assert value == _recompute(store, "ETHUSDT"), i
    assert tracker.recomputed == 1  # лише перший виклик рахував усе вікно
    window = full.quote_volume[4000 - BARS_PER_DAY : 4000]
    assert value == math.fsum(window.tolist())
    assert math.isclose(value, float(np.sum(window)), rel_tol=1e-12)  # np.sum — інший порядок доданків


def test_a_bar_filled_inside_the_window_is_counted(data_1m: Path) -> None:
    full = read_bars_parquet(data_1m / "SOLUSDT.parquet")
    store = RamStore()
    store.put_bars("SOLUSDT", "1m", full.slice(0, 1500))
    store.put_bars("SOLUSDT", "1m", full.slice(1501, 2000))  # дірка всередині вікна
    tracker = Turnover24h(store)
    before = tracker("SOLUSDT")
    store.put_bars("SOLUSDT", "1m", full.slice(1500, 1501))  # дозаповнення
    assert store.apply(BarEvent("SOLUSDT", "1m", dataclasses.replace(full.bar(2000), closed=True)))
    value = tracker("SOLUSDT")
    assert value == _recompute(store, "SOLUSDT") and value != before
    assert tracker.recomputed == 2
