"""Запис Stage1 як словник: NaN/±inf → None в усіх вкладених словниках, решта значень як є."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from aione.stage1.result import Stage1Result


def _reference(x: object) -> object:
    return None if isinstance(x, float) and not math.isfinite(x) else x


VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.floats(allow_nan=True, allow_infinity=True).map(np.float64),
)


@given(st.dictionaries(st.text(max_size=4), VALUES, max_size=12))
def test_to_dict_cleans_exactly_the_non_finite_floats(values: dict[str, object]) -> None:
    res = Stage1Result(
        "X", 1, "NORMAL", False, None, ["a"], ["a"], {"a": dict(values)}, dict(values), dict(values), True
    )  # type: ignore[arg-type]
    out = res.to_dict()
    expected = {k: _reference(v) for k, v in values.items()}
    for part in (out["stats"], out["thresholds"], out["trigger_details"]["a"]):
        assert list(part) == list(expected)
        for k, v in part.items():
            want = expected[k]
            assert (v is None) == (want is None)
            if want is not None:
                assert v is values[k]
    assert out["stats"] is not res.stats  # копія, не той самий словник
