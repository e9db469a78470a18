"""Денна агрегація з 1m барів збігається з ресемплом записаних даних."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aione.data.bars import BAR_COLUMNS, read_bars_parquet
from aione.data.resample import DAY_MS, DailyAggregator


def test_daily_bars_match_numpy_resample(data_1m: Path) -> None:
    arr = read_bars_parquet(data_1m / "BTCUSDT.parquet").slice(0, 4 * 1440)
    agg = DailyAggregator()
    closed = []
    last_open = None
    for i in range(len(arr)):
        for bar in agg.add(arr.bar(i)):
            if bar.closed:
                closed.append(bar)
            else:
                last_open = bar
    days = arr.open_time - arr.open_time % DAY_MS
    uniq = np.unique(days)
    assert len(closed) == len(uniq) - 1
    for bar, day in zip(closed, uniq[:-1], strict=True):
        mask = days == day
        assert bar.open_time == day
        assert bar.open == arr.open[mask][0]
        assert bar.close == arr.close[mask][-1]
        assert bar.high == arr.high[mask].max()
        assert bar.low == arr.low[mask].min()
        assert np.isclose(bar.volume, arr.volume[mask].sum(), rtol=1e-12)
    assert last_open is not None and last_open.open_time == uniq[-1] and not last_open.closed


def test_older_bar_is_ignored() -> None:
    from aione.data.bars import Bar

    agg = DailyAggregator()
    agg.add(Bar(DAY_MS * 3, 1, 2, 0.5, 1.5, 10))
    assert agg.add(Bar(DAY_MS * 2, 1, 2, 0.5, 1.5, 10)) == []


def test_batch_resample_equals_the_incremental_aggregator(data_1m: Path) -> None:
    from aione.data.resample import resample_daily

    arr = read_bars_parquet(data_1m / "SOLUSDT.parquet").slice(0, 5 * 1440 + 333)
    agg = DailyAggregator()
    days = []
    for i in range(len(arr)):
        closed = agg.push(arr.bar(i))
        if closed is not None:
            days.append(closed)
    last = agg.open_bar()
    assert last is not None
    days.append(last)
    batch = resample_daily(arr)
    assert len(batch) == len(days) == 6
    for i, bar in enumerate(days):
        assert batch.bar(i).open_time == bar.open_time
        for col in BAR_COLUMNS[1:]:
            x, y = getattr(batch, col)[i], getattr(bar, col)
            assert x == y or (x != x and y != y), col  # біт у біт, суми теж; NaN (невідомо) — з обох боків
    assert len(resample_daily(arr.slice(0, 0))) == 0
