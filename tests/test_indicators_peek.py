"""`peek` оцінює відкритий бар без фіксації; `copy`/`reset` дають незалежний і чистий стан."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, asdict, replace
from pathlib import Path

import numpy as np
import pytest

from aione.data.bars import Bar
from aione.indicators import (
    ATR,
    EMA,
    RSI,
    SMA,
    ATRPercent,
    Donchian,
    IndicatorBundle,
    IndicatorSnapshot,
    RealizedVol,
    RollingStd,
    RollingVWAP,
    SessionVWAP,
    SwingPivots,
    VolumeZScore,
)
from tests.indicator_helpers import bars_of, load


def _all_indicators() -> list:
    return [
        RSI(5),
        ATR(5),
        ATRPercent(5),
        EMA(5),
        SMA(5),
        RollingVWAP(7),
        SessionVWAP(),
        VolumeZScore(7),
        Donchian(7),
        RollingStd(7),
        RealizedVol(7),
    ]


def _live_updates(bar: Bar, k: int = 4) -> list[Bar]:
    """Послідовність live-оновлень відкритого бару (ціна ходить, обсяг росте), остання = закритий бар."""
    out = []
    for j in range(1, k + 1):
        frac = j / k
        price = bar.open + (bar.close - bar.open) * frac
        out.append(
            Bar(
                bar.open_time,
                bar.open,
                max(bar.open, price),
                min(bar.open, price),
                price,
                bar.volume * frac,
                closed=False,
            )
        )
    out[-1] = bar
    return out


def test_peek_equals_update_and_leaves_state(data_1m: Path) -> None:
    bars = bars_of(load(data_1m / "LINKUSDT.parquet").slice(0, 400))
    inds = _all_indicators()
    twins = _all_indicators()  # ті самі бари, але без peek — еталон незмінності стану
    for bar in bars:
        for ind, twin in zip(inds, twins, strict=True):
            for live in _live_updates(bar):
                ind.peek(live)
            expected = ind.peek(bar)
            got = ind.update(bar)
            assert twin.update(bar) == got or (np.isnan(got) and np.isnan(expected))
            assert got == expected or (np.isnan(got) and np.isnan(expected)), type(ind).__name__
    assert all(ind.ready for ind in inds)


def test_bundle_peek_equals_update(data_1m: Path) -> None:
    bars = bars_of(load(data_1m / "SUIUSDT.parquet").slice(0, 300))
    bundle, twin = IndicatorBundle(), IndicatorBundle()
    for bar in bars:
        for live in _live_updates(bar):
            bundle.peek(live)
        peeked = bundle.peek(bar)
        snap = bundle.update(bar)
        assert twin.update(bar) == snap or not snap.ready
        for field, value in asdict(snap).items():
            other = getattr(peeked, field)
            assert value == other or (value != value and other != other), field
    assert bundle.last is snap and snap.ready


def test_snapshot_is_frozen_slots_dataclass() -> None:
    bundle = IndicatorBundle(3, 3, 3, 3, 3, 3)
    snap = bundle.update(Bar(0, 1.0, 1.0, 1.0, 1.0, 1.0))
    assert type(snap) is IndicatorSnapshot and not hasattr(snap, "__dict__")
    with pytest.raises(FrozenInstanceError):
        snap.rsi = 1.0  # type: ignore[misc]
    assert replace(snap, rsi=3.0).rsi == 3.0 and snap == IndicatorSnapshot(**asdict(snap))


def test_copy_is_independent_and_reset_restarts(data_1m: Path) -> None:
    bars = bars_of(load(data_1m / "BNBUSDT.parquet").slice(0, 250))
    bundle = IndicatorBundle(5, 5, 5, 7, 7, 7)
    first = [bundle.update(bar) for bar in bars[:150]]
    clone = bundle.copy()
    rest_a = [bundle.update(b) for b in bars[150:]]
    rest_b = [clone.update(b) for b in bars[150:]]
    assert rest_a == rest_b
    for ind in _all_indicators():
        for bar in bars[:100]:
            ind.update(bar)
        c = ind.copy()
        ind.update(bars[100])
        assert c.update(bars[100]) == ind.value or np.isnan(ind.value)
        ind.reset()
        assert not ind.ready and np.isnan(ind.value)
    bundle.reset()
    assert bundle.count == 0 and not bundle.ready and bundle.last is None
    again = [bundle.update(b) for b in bars[:150]]
    assert _nan_equal(again, first)


def _nan_equal(a: list[IndicatorSnapshot], b: list[IndicatorSnapshot]) -> bool:
    """Списки знімків рівні з урахуванням NaN (NaN != NaN у звичайному ==)."""
    return all(
        np.array_equal(
            np.array(list(asdict(x).values()), float),
            np.array(list(asdict(y).values()), float),
            equal_nan=True,
        )
        for x, y in zip(a, b, strict=True)
    )


def test_swing_pivots_peek_and_copy() -> None:
    sp = SwingPivots(2, 2)
    highs = [1, 2, 5, 3, 2, 4, 6, 4, 3]
    bars = [Bar(i, h, float(h), float(h) - 0.5, float(h), 1.0) for i, h in enumerate(highs)]
    for bar in bars[:4]:
        assert sp.update(bar) == []
    peeked = sp.peek(bars[4])
    clone = sp.copy()
    assert sp.update(bars[4]) == peeked and [p.index for p in peeked if p.kind == "high"] == [2]
    assert clone.pivots == [] and sp.pivots == peeked
