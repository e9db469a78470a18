"""Точність віконних batch-форм проти незалежних еталонів (пряме обчислення кожного вікна).

Доводить, що на довгому ряду (43k барів, ціни ~1e5) немає дрейфу й скорочення:
до 1e-9 відносно на кожному барі."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view as windows

from aione.indicators import (
    realized_vol,
    rolling_std,
    rolling_vwap_bands,
    session_vwap_bands,
    volume_zscore,
    vwap_deviation_std,
)
from aione.indicators.vwap import DAY_MS
from tests.indicator_helpers import assert_close, load

pytestmark = pytest.mark.slow


def _pad(x: np.ndarray, k: int) -> np.ndarray:
    """Еталон довжини n-k → довжина n з NaN на початку."""
    return np.concatenate((np.full(k, np.nan), x))


def test_rolling_vwap_and_std_against_direct_windows(data_1m: Path) -> None:
    b = load(data_1m / "BTCUSDT.parquet")
    w = 60
    tp = (b.high + b.low + b.close) / 3.0
    tw, vwn = windows(tp, w), windows(b.volume, w)
    vwap_ref = (tw * vwn).sum(axis=1) / vwn.sum(axis=1)
    std_ref = np.sqrt((vwn * (tw - vwap_ref[:, None]) ** 2).sum(axis=1) / vwn.sum(axis=1))
    vw, std = rolling_vwap_bands(b.high, b.low, b.close, b.volume, w)
    assert_close(vw, _pad(vwap_ref, w - 1), what="vwap")
    assert_close(std, _pad(std_ref, w - 1), what="vwap std")
    dev_ref = (b.close[w - 1 :] - vwap_ref) / std_ref
    # Відхилення в σ проходить через 0: масштаб — сама σ-одиниця.
    assert_close(vwap_deviation_std(b.close, vw, std), _pad(dev_ref, w - 1), scale=1.0, what="dev std")


def test_volume_zscore_against_direct_windows(data_1m: Path) -> None:
    b = load(data_1m / "ETHUSDT.parquet")
    w = 60
    base = windows(b.volume, w)[:-1]
    z_ref = (b.volume[w:] - base.mean(axis=1)) / base.std(axis=1)
    assert_close(volume_zscore(b.volume, w), _pad(z_ref, w), scale=1.0, what="volume z")


def test_rolling_std_and_realized_vol_against_direct_windows(data_1m: Path) -> None:
    b = load(data_1m / "BTCUSDT.parquet")
    assert_close(rolling_std(b.close, 30), _pad(windows(b.close, 30).std(axis=1), 29), what="std")
    r = np.log(b.close[1:] / b.close[:-1])
    assert_close(realized_vol(b.close, 60), _pad(windows(r, 60).std(axis=1), 60), what="realized vol")


def test_session_vwap_against_per_day_reference(data_1m: Path) -> None:
    b = load(data_1m / "SOLUSDT.parquet")
    vw, std = session_vwap_bands(b.open_time, b.high, b.low, b.close, b.volume)
    tp = (b.high + b.low + b.close) / 3.0
    day = b.open_time // DAY_MS
    ref = np.empty_like(tp)
    for d in np.unique(day):
        idx = np.flatnonzero(day == d)
        ref[idx] = np.cumsum(tp[idx] * b.volume[idx]) / np.cumsum(b.volume[idx])
    assert_close(vw, ref, what="session vwap")
    starts = np.concatenate(([0], np.flatnonzero(np.diff(day)) + 1))
    assert np.array_equal(vw[starts], tp[starts]), "сесія починається з типової ціни першого бару"
    # std — вибірково (пряме обчислення від початку сесії до бару i).
    for i in range(0, tp.size, 97):
        j = slice(starts[np.searchsorted(starts, i, side="right") - 1], i + 1)
        expected = np.sqrt(np.sum(b.volume[j] * (tp[j] - ref[i]) ** 2) / np.sum(b.volume[j]))
        assert abs(std[i] - expected) <= 1e-9 * expected, (i, std[i], expected)
