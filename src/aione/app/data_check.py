"""Перевірка каталогу записаних барів до запуску демо, бектесту чи калібрування.

Користувач передає каталог — і має отримати ОДИН зрозумілий рядок, якщо каталог не той: не існує,
порожній, файли без потрібних колонок, бари не 1m, немає барів у вікні часу. Бектест уміє пропустити
окремий пошкоджений файл (`backtest.runner.usable_spec` називає його у звіті), тож з `skip_bad=True`
нечитаний файл чи файл без колонок не є помилкою, поки лишається хоч один придатний; бари не 1m —
помилка завжди (це не той набір даних). Перевірка дешева:
читаються лише схема parquet і перші рядки `open_time` кожного файлу (для вікна — лише колонка
`open_time`), самі бари — ні.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from aione.config.config import TIMEFRAME_MS

# ── Очікуваний формат ──
REQUIRED_COLUMNS: tuple[str, ...] = ("open_time", "open", "high", "low", "close", "volume")
EXPECTED_STEP_MS = TIMEFRAME_MS["1m"]
STEP_SAMPLE_ROWS = 256  # скільки перших open_time читати для кроку барів
EXPECTED = f"1m bar files <SYMBOL>.parquet with columns {', '.join(REQUIRED_COLUMNS)} (open_time in ms UTC)"


class DataDirError(ValueError):
    """Каталог барів не придатний; повідомлення — один рядок для користувача."""


def _fail(folder: Path, problem: str) -> DataDirError:
    return DataDirError(f"{folder}: {problem}; expected {EXPECTED}")


# ── Чисті перевірки ──
def step_name(step_ms: int) -> str:
    """Назва таймфрейму за кроком (`5m`) або `<N> ms`, якщо такого немає."""
    for name, ms in TIMEFRAME_MS.items():
        if ms == step_ms:
            return name
    return f"{step_ms} ms"


def bar_step_ms(open_time: np.ndarray) -> int | None:
    """Медіанний крок open_time, мс; менше двох рядків — None (крок невідомий)."""
    if open_time.shape[0] < 2:
        return None
    return int(np.median(np.diff(open_time.astype(np.int64))))


# ── Файли ──
def _file_problem(folder: Path, path: Path) -> str | None:
    """Чому файл непридатний (нечитаний, без колонок, порожній) або None; бари не 1m — `DataDirError`."""
    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
    except (OSError, pa.ArrowException) as exc:
        return f"{path.name} is not a readable parquet file ({exc})"
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return f"{path.name} lacks columns {', '.join(missing)}"
    if pf.metadata.num_rows == 0:
        return f"{path.name} has no rows"
    try:
        batch = next(pf.iter_batches(batch_size=STEP_SAMPLE_ROWS, columns=["open_time"]))
    except (OSError, pa.ArrowException, StopIteration) as exc:
        return f"{path.name}: cannot read open_time ({exc})"
    step = bar_step_ms(batch.column(0).to_numpy(zero_copy_only=False))
    if step is not None and step != EXPECTED_STEP_MS:
        raise _fail(folder, f"{path.name} holds {step_name(step)} bars, not 1m")
    return None


def check_bars_dir(folder: Path, symbols: Sequence[str] | None = None, *, skip_bad: bool = False) -> list[str]:
    """Придатні символи каталогу 1m барів (або із заданих `symbols`); інакше `DataDirError`.

    `skip_bad=True` — пошкоджені файли не додаються до списку (помилка лише коли не лишилось жодного)."""
    if not folder.exists():
        raise _fail(folder, "no such folder")
    if not folder.is_dir():
        raise _fail(folder, "not a folder")
    available = sorted(p.stem for p in folder.glob("*.parquet"))
    if not available:
        raise _fail(folder, "no *.parquet files")
    wanted = list(dict.fromkeys(symbols)) if symbols else available
    absent = [s for s in wanted if s not in available]
    if absent:
        raise _fail(folder, f"no bars for {', '.join(absent)} (found {', '.join(available[:8])}"
                    f"{', …' if len(available) > 8 else ''})")
    usable: list[str] = []
    problems: list[str] = []
    for name in wanted:
        problem = _file_problem(folder, folder / f"{name}.parquet")
        if problem is None:
            usable.append(name)
        else:
            problems.append(problem)
    if problems and (not skip_bad or not usable):
        raise _fail(folder, problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return usable


def check_window(folder: Path, symbols: Sequence[str], start_ms: int | None, end_ms: int | None) -> int:
    """Скільки барів потрапляє у вікно [start_ms, end_ms]; жодного — `DataDirError`."""
    total = 0
    first: int | None = None
    last: int | None = None
    for name in symbols:
        t = pq.read_table(folder / f"{name}.parquet", columns=["open_time"]).column(0).to_numpy()
        if t.shape[0]:
            first = int(t[0]) if first is None else min(first, int(t[0]))
            last = int(t[-1]) if last is None else max(last, int(t[-1]))
        lo = 0 if start_ms is None else int(np.searchsorted(t, start_ms, side="left"))
        hi = t.shape[0] if end_ms is None else int(np.searchsorted(t, end_ms, side="right"))
        total += max(0, hi - lo)
    if total == 0:
        span = f"the data covers {_iso(first)} .. {_iso(last)}" if first is not None else "the files are empty"
        raise DataDirError(
            f"{folder}: no bars between {_iso(start_ms)} and {_iso(end_ms)} ({span}); "
            "pick --start/--end inside the data"
        )
    return total


def _iso(ms: int | None) -> str:
    if ms is None:
        return "-"
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


__all__ = [
    "EXPECTED",
    "EXPECTED_STEP_MS",
    "REQUIRED_COLUMNS",
    "DataDirError",
    "bar_step_ms",
    "check_bars_dir",
    "check_window",
    "step_name",
]
