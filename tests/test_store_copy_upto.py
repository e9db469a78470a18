"""`copy_upto`: останні n барів з open_time ≤ межі — копією або view, без погляду вперед."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from aione.data.bars import BarArrays, copy_upto


def _bars(times: list[int]) -> BarArrays:
    t = np.array(sorted(set(times)), dtype=np.int64)
    f = t.astype(np.float64)
    return BarArrays(t, f, f + 1, f - 1, f, f, f, t.copy(), f)


@given(
    st.lists(st.integers(0, 500), max_size=40),
    st.one_of(st.none(), st.integers(-10, 520)),
    st.one_of(st.none(), st.integers(0, 50)),
    st.booleans(),
)
def test_copy_upto_matches_a_plain_filter(
    times: list[int], last: int | None, n: int | None, copy: bool
) -> None:
    bars = _bars(times)
    keep = [i for i, t in enumerate(bars.open_time.tolist()) if last is None or t <= last]
    if n is not None:
        keep = keep[max(0, len(keep) - n) :]
    out = copy_upto(bars, last, n, copy=copy)
    for col, src in zip(out, bars, strict=True):
        assert col.dtype == src.dtype
        np.testing.assert_array_equal(col, src[keep])  # NaN (невідомо) дорівнює NaN
        if len(col):
            assert np.shares_memory(col, src) is (not copy)
