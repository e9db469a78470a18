"""Реплей записаних барів без мережі: ті самі `BarEvent`, що дає живий потік (лише закриті).

Порядок детермінований: за open_time, при рівності — за назвою символу. Межі часу —
як у Binance `startTime`/`endTime`: open_time у [start_ms, end_ms] включно.
Таймфрейм визначається з кроку open_time у файлах (1m для основного набору).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from aione.config.config import TIMEFRAME_MS
from aione.data.bars import Bar, BarArrays, BarEvent, list_symbols, read_bars_parquet

# ── Допоміжне ──


def detect_timeframe(open_time: np.ndarray) -> str:
    """Назва таймфрейму за медіанним кроком open_time; невідомий крок — ValueError."""
    if open_time.shape[0] < 2:
        return "1m"
    step = int(np.median(np.diff(open_time)))
    for name, ms in TIMEFRAME_MS.items():
        if ms == step:
            return name
    raise ValueError(f"unsupported bar step {step} ms")


def load_series(data_dir: str | Path, symbols: Iterable[str] | None = None) -> dict[str, BarArrays]:
    """Бари кожного символу каталогу (або лише заданих), відсортовано за назвою."""
    root = Path(data_dir)
    names = sorted(set(symbols)) if symbols is not None else list_symbols(root)
    out: dict[str, BarArrays] = {}
    for name in names:
        path = root / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"no recorded bars for {name} in {root}")
        out[name] = read_bars_parquet(path)
    return out


# ── Реплей ──


def iter_replay(
    data_dir: str | Path,
    symbols: Iterable[str] | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> Iterator[BarEvent]:
    """Закриті бари всіх символів, злиті в часовому порядку (рівність — за назвою символу)."""
    series = load_series(data_dir, symbols)
    if not series:
        return
    names = list(series)  # уже відсортовані за назвою
    timeframe = detect_timeframe(next(iter(series.values())).open_time)
    parts_t, parts_sym, parts_row = [], [], []
    for idx, name in enumerate(names):
        t = series[name].open_time
        lo = 0 if start_ms is None else int(np.searchsorted(t, start_ms, side="left"))
        hi = t.shape[0] if end_ms is None else int(np.searchsorted(t, end_ms, side="right"))
        parts_t.append(t[lo:hi])
        parts_sym.append(np.full(hi - lo, idx, dtype=np.int64))
        parts_row.append(np.arange(lo, hi, dtype=np.int64))
    all_t = np.concatenate(parts_t)
    all_sym = np.concatenate(parts_sym)
    all_row = np.concatenate(parts_row)
    order = np.lexsort((all_sym, all_t))  # спершу час, далі індекс символу (= порядок назв)
    # Колонки як списки Python: індексація списку значно дешевша за numpy-скаляри.
    cols = [tuple(col.tolist() for col in series[name]) for name in names]
    for sym_idx, i in zip(all_sym[order].tolist(), all_row[order].tolist(), strict=True):
        t, o, h, low, c, v, q, n, tb, tq = cols[sym_idx]
        yield BarEvent(
            symbol=names[sym_idx],
            timeframe=timeframe,
            bar=Bar(t[i], o[i], h[i], low[i], c[i], v[i], q[i], n[i], tb[i], True, tq[i]),
        )


__all__ = ["detect_timeframe", "iter_replay", "load_series"]
