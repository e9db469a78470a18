"""Дисковий шар деривативних рядів: parquet, розбитий за добою UTC, атомарний запис.

Розкладка: `{root}/{kind}/{YYYY-MM-DD}/{symbol}.parquet`, стовпці `ts` (int64, мс) і стовпці виду
(`deriv_store.SERIES_COLUMNS`, float64). Запис доби: наявний файл читається, його рядки з часом
у проміжку нового шматка замінюються новими (новіше важить більше), решта лишається; результат
пишеться в тимчасовий файл поруч → fsync → `os.replace` → fsync каталогу. Аварія до перейменування
лишає попередній файл цілим. Функції синхронні (блокувальний I/O): викликати через `asyncio.to_thread`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from aione.data.deriv_store import SERIES_KINDS, DerivStore

DAY_MS = 86_400_000
TMP_SUFFIX = ".tmp"
Columns = Mapping[str, npt.NDArray[np.generic]]


# ── Шляхи ──
def day_label(ts_ms: int) -> str:
    """`YYYY-MM-DD` доби UTC для часу в мс."""
    return datetime.fromtimestamp(ts_ms // 1000, tz=UTC).strftime("%Y-%m-%d")


def day_path(root: str | Path, kind: str, day: str, symbol: str) -> Path:
    """Файл доби `day` ряду `kind` символу."""
    return Path(root) / kind / day / f"{symbol}.parquet"


# ── Атомарний запис ──
def _write_atomic(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # попередній файл не зачеплено
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _table(cols: Columns) -> pa.Table:
    arrays = [pa.array(np.asarray(cols["ts"], dtype=np.int64))]
    names = ["ts"]
    for name, col in cols.items():
        if name != "ts":
            arrays.append(pa.array(np.asarray(col, dtype=np.float64)))
            names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _merge(old: pa.Table, new: Columns) -> Columns:
    """Рядки `old` поза проміжком часу `new` + усі рядки `new`, за часом (стабільно)."""
    ts_new = np.asarray(new["ts"], dtype=np.int64)
    ts_old = old.column("ts").to_numpy()
    keep = (ts_old < ts_new[0]) | (ts_old > ts_new[-1])
    out: dict[str, npt.NDArray[np.generic]] = {}
    for name in new:
        old_col = (
            old.column(name).to_numpy()[keep]
            if name in old.column_names
            else np.full(int(keep.sum()), np.nan)
        )
        out[name] = np.concatenate((old_col, np.asarray(new[name])))
    order = np.argsort(out["ts"], kind="stable")
    return {name: col[order] for name, col in out.items()}


def write_series_days(root: str | Path, kind: str, symbol: str, cols: Columns) -> list[Path]:
    """Пише ряд (стовпці `ts` і значення; `ts` за зростанням) по файлах діб; повертає записані шляхи."""
    ts = np.asarray(cols["ts"], dtype=np.int64)
    if ts.shape[0] == 0:
        return []
    days = ts // DAY_MS
    bounds = np.flatnonzero(np.r_[True, days[1:] != days[:-1]]).tolist() + [ts.shape[0]]
    written: list[Path] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        part = {name: np.asarray(col)[a:b] for name, col in cols.items()}
        path = day_path(root, kind, day_label(int(ts[a])), symbol)
        if path.exists():
            part = dict(_merge(pq.read_table(path), part))
        _write_atomic(path, _table(part))
        written.append(path)
    return written


# ── Читання ──
def read_series_days(
    root: str | Path, kind: str, symbol: str, start_ms: int | None = None, end_ms: int | None = None
) -> dict[str, npt.NDArray[np.generic]]:
    """Ряд символу з файлів діб у [start_ms, end_ms] (межі включно; None — без межі).

    Порожній результат — словник без рядків; файлів немає — порожній словник."""
    base = Path(root) / kind
    if not base.is_dir():
        return {}
    parts = []
    first = day_label(start_ms) if start_ms is not None else ""
    last = day_label(end_ms) if end_ms is not None else "~"
    for day_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        if not first <= day_dir.name <= last:  # доба поза межами: файл не читається
            continue
        path = day_dir / f"{symbol}.parquet"
        if path.exists():
            parts.append(pq.read_table(path))
    if not parts:
        return {}
    table = pa.concat_tables(parts, promote_options="default")
    out = {name: table.column(name).to_numpy() for name in table.column_names}
    ts = out["ts"]
    mask = np.ones(ts.shape[0], dtype=bool)
    if start_ms is not None:
        mask &= ts >= start_ms
    if end_ms is not None:
        mask &= ts <= end_ms
    return {name: np.ascontiguousarray(col[mask]) for name, col in out.items()}


# ── Сховище ↔ диск ──
def flush_store(store: DerivStore, root: str | Path) -> int:
    """Пише всі непорожні ряди сховища по файлах діб; повертає кількість записаних файлів."""
    return sum(
        len(write_series_days(root, kind, symbol, ring.to_columns()))
        for symbol, kind, ring in store.iter_series()
    )


def restore_store(
    store: DerivStore, root: str | Path, symbols: Iterable[str], since_ms: int | None = None
) -> int:
    """Відновлює ряди `symbols` з диска (не старші за `since_ms`); повертає кількість рядків."""
    total = 0
    for symbol in symbols:
        for kind in SERIES_KINDS:
            cols = read_series_days(root, kind, symbol, since_ms)
            if cols and len(cols["ts"]):
                total += store.restore_series(symbol, kind, cols)
    return total


def remove_stale_temps(root: str | Path) -> int:
    """Прибирає тимчасові файли, що лишилися після аварії; повертає їх кількість."""
    removed = 0
    for tmp in Path(root).rglob(f"*{TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


__all__ = [
    "DAY_MS",
    "TMP_SUFFIX",
    "day_label",
    "day_path",
    "flush_store",
    "read_series_days",
    "remove_stale_temps",
    "restore_store",
    "write_series_days",
]
