"""Бінарний блок барів для Redis: усі стовпці одним значенням, стиснуті lz4.

Формат (little-endian): `b"AIB2"`, uint32 кількість рядків `n`, далі lz4-блок (без вбудованого
розміру) з 10 стовпців по `n` значень по 8 байтів у порядку `BAR_COLUMNS`; `open_time` записано
різницями (перше значення як є), щоб рівномірна сітка часу стискалася майже до нуля.
Старі блоки `b"AIB1"` (9 стовпців, без `taker_buy_quote`) читаються: цей стовпець у них NaN.
Розпакування обмежене: `n` більше за `max_rows` — відмова без виділення пам'яті.
"""

from __future__ import annotations

import struct

import lz4.block
import numpy as np

from aione.data.bars import BAR_COLUMNS, BarArrays

# ── Формат ──
MAGIC = b"AIB2"
_COLUMNS_BY_MAGIC = {b"AIB1": 9, MAGIC: len(BAR_COLUMNS)}
_HEADER = struct.Struct("<4sI")
ROW_BYTES = len(BAR_COLUMNS) * 8
MAX_ROWS_DEFAULT = 200_000


class BarBlockError(ValueError):
    """Блок не розібрано (чужий формат, обрізані дані, завеликий розмір): відкинути й порахувати."""


def encode_bars(arrays: BarArrays) -> bytes:
    """Стовпці → стиснутий блок (одна копія даних у буфер)."""
    n = len(arrays)
    times = np.asarray(arrays.open_time, dtype="<i8")
    deltas = np.empty(n, dtype="<i8")
    if n:
        deltas[0] = times[0]
        np.subtract(times[1:], times[:-1], out=deltas[1:])
    parts = [deltas.tobytes()]
    for i, col in enumerate(arrays[1:], start=1):
        parts.append(np.asarray(col, dtype="<i8" if i == 7 else "<f8").tobytes())
    body = lz4.block.compress(b"".join(parts), store_size=False)
    return _HEADER.pack(MAGIC, n) + body


def decode_bars(blob: bytes, max_rows: int = MAX_ROWS_DEFAULT) -> BarArrays:
    """Блок → нові масиви. `BarBlockError`, якщо блок не наш або пошкоджений."""
    if len(blob) < _HEADER.size:
        raise BarBlockError("block too short")
    magic, n = _HEADER.unpack_from(blob)
    width = _COLUMNS_BY_MAGIC.get(magic)
    if width is None:
        raise BarBlockError(f"unknown block magic {magic!r}")
    if n > max_rows:
        raise BarBlockError(f"block declares {n} rows > limit {max_rows}")
    try:
        raw = lz4.block.decompress(blob[_HEADER.size :], uncompressed_size=n * width * 8) if n else b""
    except lz4.block.LZ4BlockError as exc:
        raise BarBlockError(f"lz4: {exc}") from exc
    if len(raw) != n * width * 8:
        raise BarBlockError("block body has wrong size")
    flat = np.frombuffer(raw, dtype="<i8").reshape(width, n) if n else np.zeros((width, 0), dtype="<i8")
    cols: list[np.ndarray] = []
    for i in range(width):
        if i == 0:
            cols.append(np.cumsum(flat[0], dtype=np.int64))
        elif i == 7:
            cols.append(flat[7].astype(np.int64))
        else:
            cols.append(flat[i].view("<f8").astype(np.float64))
    return BarArrays(*cols)


__all__ = ["MAGIC", "MAX_ROWS_DEFAULT", "ROW_BYTES", "BarBlockError", "decode_bars", "encode_bars"]
