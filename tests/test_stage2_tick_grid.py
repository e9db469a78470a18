"""Ціни цілими тіками (`TickGrid`) — ті самі double, що й `round(k * tick, dec)` / `round_to_tick`."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from aione.stage2.tick_grid import TickGrid
from aione.utils.utils import round_to_tick, tick_decimals

TICKS = [
    1e-8,
    1e-7,
    3e-7,
    1e-6,
    1e-5,
    0.00025,
    0.0005,
    0.001,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.2,
    0.25,
    0.5,
    1.0,
    5.0,
    10.0,
]


def _same(a: float, b: float) -> bool:
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@settings(max_examples=3000, deadline=None)
@given(tick=st.sampled_from(TICKS), k=st.integers(-(10**16), 10**16))
def test_node_equals_round(tick: float, k: int) -> None:
    grid = TickGrid.of(tick)
    assert grid.units > 0  # десятковий тік — точна гілка
    assert _same(grid.node(k), round(k * tick, tick_decimals(tick)))


@settings(max_examples=3000, deadline=None)
@given(tick=st.sampled_from(TICKS), x=st.floats(0.0, 1e9, allow_nan=False))
def test_snap_equals_round_to_tick(tick: float, x: float) -> None:
    assert _same(TickGrid.of(tick).snap(x), round_to_tick(x, tick))


def test_tick_not_a_decimal_fraction_falls_back_to_round() -> None:
    tick = 1.0 / 3.0  # не m / 10^dec: вузли рахує сам round
    grid = TickGrid.of(tick)
    assert grid.units == 0
    for k in (0, 1, 7, 12345, -99):
        assert _same(grid.node(k), round(k * tick, grid.dec))


def test_large_multiple_falls_back_to_round() -> None:
    grid = TickGrid.of(0.1)
    k = 2**53 + 1  # |k·m| поза точною гілкою
    assert _same(grid.node(k), round(k * 0.1, 1))
