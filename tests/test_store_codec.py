"""Бінарний блок барів для Redis: точний round trip і відмова на чужих/пошкоджених даних."""

from __future__ import annotations

import numpy as np
import pytest

from aione.data.bar_codec import ROW_BYTES, BarBlockError, decode_bars, encode_bars
from aione.data.bars import read_bars_parquet
from aione.data.ram_store import columns_to_arrays


def test_roundtrip_real_bars_exact(data_1m) -> None:  # type: ignore[no-untyped-def]
    arrays = read_bars_parquet(data_1m / "XRPUSDT.parquet").slice(100, 1540)
    blob = encode_bars(arrays)
    back = decode_bars(blob)
    assert len(back) == 1440
    for a, b in zip(arrays, back, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")  # NaN — невідомо
    assert len(blob) < 1440 * ROW_BYTES  # стиснення хоч щось дає (час різницями)


def test_empty_roundtrip() -> None:
    empty = columns_to_arrays(np.zeros(0, dtype=np.int64 if i in (0, 7) else np.float64) for i in range(9))
    back = decode_bars(encode_bars(empty))
    assert len(back) == 0 and back.open_time.dtype == np.int64


@pytest.mark.parametrize(
    "blob",
    [b"", b"XXXX\x01\x00\x00\x00garbage", b"AIB1\x05\x00\x00\x00not-lz4", b"AIB1\xff\xff\xff\x7f"],
)
def test_bad_blocks_rejected(blob: bytes) -> None:
    with pytest.raises(BarBlockError):
        decode_bars(blob)


def test_truncated_block_rejected(data_1m) -> None:  # type: ignore[no-untyped-def]
    blob = encode_bars(read_bars_parquet(data_1m / "BTCUSDT.parquet").slice(0, 100))
    with pytest.raises(BarBlockError):
        decode_bars(blob[:-10])
