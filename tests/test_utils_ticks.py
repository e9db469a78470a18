"""Знаки тіку й прив'язка ціни до сітки тіку, зокрема для тіків з двома значущими цифрами (0.25)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aione.utils.utils import round_to_tick, tick_decimals


def test_known_ticks() -> None:
    cases = {0.25: 2, 0.025: 3, 0.5: 1, 0.05: 2, 0.1: 1, 0.01: 2, 1e-8: 8, 1.0: 0, 5.0: 0, 10.0: 0}
    assert {t: tick_decimals(t) for t in cases} == cases
    assert tick_decimals(0.0) == tick_decimals(-1.0) == tick_decimals(float("nan")) == 8
    assert round_to_tick(159.74, 0.25) == 159.75  # а не 159.8, як давав порядок величини тіку


@given(st.integers(1, 99), st.integers(0, 8), st.floats(0.001, 1e6))
def test_prices_land_on_the_tick_grid(mantissa: int, places: int, price: float) -> None:
    tick_dec = Decimal(mantissa).scaleb(-places)
    tick = float(tick_dec)
    assert tick_decimals(tick) == max(0, -tick_dec.normalize().as_tuple().exponent)
    snapped = round_to_tick(price, tick)
    steps = Decimal(repr(snapped)) / tick_dec
    assert steps == steps.to_integral_value()  # рівно на сітці в десятковому записі
    assert abs(snapped - price) <= tick / 2 + 1e-9 * max(1.0, price)
