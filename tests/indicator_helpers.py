"""Допоміжні функції тестів індикаторів: бари з масивів, порівняння з допуском."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aione.data.bars import Bar, BarArrays, read_bars_parquet

RTOL = 1e-9  # допуск «до 1e-9 відносно» з вимог


def bars_of(b: BarArrays) -> list[Bar]:
    """Усі рядки як закриті `Bar`."""
    return [
        Bar(t, o, h, lo, c, v)
        for t, o, h, lo, c, v in zip(
            b.open_time.tolist(),
            b.open.tolist(),
            b.high.tolist(),
            b.low.tolist(),
            b.close.tolist(),
            b.volume.tolist(),
            strict=True,
        )
    ]


@cache
def load(path: Path) -> BarArrays:
    """Кешоване читання parquet (дані спільні для кількох тестів)."""
    return read_bars_parquet(path)


def assert_close(
    actual: npt.ArrayLike, expected: npt.ArrayLike, rtol: float = RTOL, scale: float = 0.0, what: str = ""
) -> None:
    """Однакові позиції NaN і |a − e| ≤ rtol·max(|e|, scale) на кожному елементі.

    `scale` — природний масштаб величини, що проходить через 0 (напр. z-скор: 1),
    щоб відносний допуск мав сенс біля нуля."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    bad = np.flatnonzero(nan_a != nan_e)
    assert bad.size == 0, f"{what}: NaN mismatch at {bad[:5]} (a={a.flat[bad[0]]}, e={e.flat[bad[0]]})"
    m = ~nan_e
    err = np.abs(a[m] - e[m])
    lim = rtol * np.maximum(np.abs(e[m]), scale)
    worst = int(np.argmax(err - lim)) if err.size else 0
    assert np.all(err <= lim), f"{what}: max excess at {worst}: a={a[m][worst]!r} e={e[m][worst]!r}"


def assert_same(actual: npt.ArrayLike, expected: npt.ArrayLike, what: str = "") -> None:
    """Побітова рівність значень (NaN на тих самих місцях)."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if not np.array_equal(a, e, equal_nan=True):
        diff = np.flatnonzero(~((a == e) | (np.isnan(a) & np.isnan(e))))
        raise AssertionError(
            f"{what}: first difference at {diff[0]}: {a.flat[diff[0]]!r} != {e.flat[diff[0]]!r}"
        )


__all__ = ["RTOL", "assert_close", "assert_same", "bars_of", "load"]
