"""Два способи пошуку свінгових півотів (зсунуті порівняння і ковзні екстремуми) дають ті самі індекси."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aione.data.bars import read_bars_parquet
from aione.indicators import swing_pivots
from aione.indicators.levels import SHIFTED_PIVOTS_MAX_SPAN, _pivots_rolling, _pivots_shifted

# Ціни з малого набору значень: багато рівних сусідів (пласкі вершини — найтонше місце правила).
_price = st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0])


def _same(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> None:
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@settings(max_examples=300, deadline=None)
@given(
    high=arrays(np.float64, st.integers(1, 80), elements=_price),
    left=st.integers(1, 6),
    right=st.integers(0, 6),
)
def test_shifted_equals_rolling_on_plateaus(high: np.ndarray, left: int, right: int) -> None:
    low = high - 0.5
    if len(high) < left + right + 1:
        return
    _same(_pivots_shifted(high, low, left, right), _pivots_rolling(high, low, left, right))


def test_public_function_matches_bruteforce_rule() -> None:
    rng = np.random.default_rng(7)
    high = rng.integers(0, 6, 300).astype(np.float64)
    low = high - rng.integers(0, 3, 300)
    for left, right in ((1, 0), (2, 2), (3, 1), (SHIFTED_PIVOTS_MAX_SPAN, 1)):
        hi, lo = swing_pivots(high, low, left, right)
        want_hi = [
            i
            for i in range(left, len(high) - right)
            if all(high[i] > high[i - j] for j in range(1, left + 1))
            and all(high[i] >= high[i + j] for j in range(1, right + 1))
        ]
        want_lo = [
            i
            for i in range(left, len(low) - right)
            if all(low[i] < low[i - j] for j in range(1, left + 1))
            and all(low[i] <= low[i + j] for j in range(1, right + 1))
        ]
        assert hi.tolist() == want_hi
        assert lo.tolist() == want_lo
        assert hi.dtype == np.int64 and lo.dtype == np.int64


@pytest.mark.slow
def test_shifted_equals_rolling_on_real_month(data_1m: Path) -> None:
    bars = read_bars_parquet(data_1m / "BTCUSDT.parquet")
    for left, right in ((2, 2), (3, 3), (5, 2), (12, 12)):
        fast = _pivots_shifted(bars.high, bars.low, left, right)
        ref = _pivots_rolling(bars.high, bars.low, left, right)
        assert len(fast[0]) > 100 and len(fast[1]) > 100
        _same(fast, ref)


@settings(max_examples=100, deadline=None)
@given(
    high=arrays(np.float64, st.integers(0, 60), elements=_price),
    order=st.integers(1, 4),
)
def test_unchecked_call_equals_checked(high: np.ndarray, order: int) -> None:
    low = high - 0.25
    _same(swing_pivots(high, low, order, order, check=False), swing_pivots(high, low, order, order))
