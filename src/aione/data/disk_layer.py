"""Дисковий шар сховища: parquet на символ і таймфрейм, атомарний запис.

Розкладка каталогу `data_dir`:
- `bars/{timeframe}/{symbol}.parquet` — стовпці `BAR_COLUMNS` (ті самі, що в ../shared/data, плюс
  quote_volume, trades, taker_buy_volume);
- `meta.json` — метадані символів і `fast_symbols`.
Запис атомарний: тимчасовий файл поруч → fsync → `os.replace` → fsync каталогу. Аварія до
перейменування лишає попередній файл цілим; осиротілі тимчасові файли прибираються при завантаженні.
Функції синхронні (блокувальний I/O): сховище викликає їх через `asyncio.to_thread`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from aione.config.config import TIMEFRAME_MS
from aione.data.bars import BAR_COLUMNS, BarArrays, read_bars_parquet
from aione.logging_setup import get_logger

logger = get_logger(__name__)

TMP_SUFFIX = ".tmp"
BARS_DIR = "bars"
META_FILE = "meta.json"
_SCHEMA = pa.schema(
    [(name, pa.int64() if name in ("open_time", "trades") else pa.float64()) for name in BAR_COLUMNS]
)


# ── Шляхи ──
def bars_path(data_dir: str | Path, symbol: str, timeframe: str) -> Path:
    """Файл барів символу й таймфрейму."""
    return Path(data_dir) / BARS_DIR / timeframe / f"{symbol}.parquet"


def meta_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / META_FILE


# ── Атомарний запис ──
def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(
    path: Path, write: Callable[[Any], None], before_replace: Callable[[Path], None] | None
) -> None:
    """Пише через тимчасовий файл; `before_replace(tmp)` — точка для тестів, що імітують аварію."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace(tmp)
        os.replace(tmp, path)
    except BaseException:
        # Аварія посеред запису: попередній файл не зачеплено; тимчасовий прибираємо, якщо можемо.
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_bars_atomic(
    path: str | Path, arrays: BarArrays, *, before_replace: Callable[[Path], None] | None = None
) -> None:
    """Записує бари у parquet атомарно."""
    table = pa.Table.from_arrays([pa.array(col) for col in arrays], schema=_SCHEMA)
    _atomic_write(Path(path), lambda fh: pq.write_table(table, fh, compression="zstd"), before_replace)


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Записує JSON атомарно."""
    payload = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    _atomic_write(Path(path), lambda fh: fh.write(payload), None)


# ── Читання ──
def remove_stale_temps(data_dir: str | Path) -> int:
    """Прибирає тимчасові файли, що лишилися після аварії; повертає їх кількість."""
    root = Path(data_dir)
    removed = 0
    for tmp in root.rglob(f"*{TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


def iter_bar_files(data_dir: str | Path) -> Iterator[tuple[str, str, Path]]:
    """(symbol, timeframe, path) для кожного файлу барів відомого таймфрейму."""
    root = Path(data_dir) / BARS_DIR
    if not root.is_dir():
        return
    for tf_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if tf_dir.name not in TIMEFRAME_MS:
            continue
        for path in sorted(tf_dir.glob("*.parquet")):
            yield path.stem, tf_dir.name, path


def load_bar_files(data_dir: str | Path) -> tuple[list[tuple[str, str, BarArrays]], int]:
    """Читає всі файли барів; пошкоджений файл журналюється й пропускається. → (дані, помилки)."""
    out: list[tuple[str, str, BarArrays]] = []
    errors = 0
    for symbol, timeframe, path in iter_bar_files(data_dir):
        try:
            out.append((symbol, timeframe, read_bars_parquet(path)))
        except (OSError, ValueError, pa.ArrowException) as exc:
            errors += 1
            logger.warning("disk_bars_unreadable path=%s error=%r", path, exc)
    return out, errors


def read_json(path: str | Path) -> Any:
    """JSON з файлу або None, якщо файлу немає чи він пошкоджений (журналюється)."""
    p = Path(path)
    if not p.exists():
        return None
    try:
        return orjson.loads(p.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        logger.warning("disk_json_unreadable path=%s error=%r", p, exc)
        return None


__all__ = [
    "BARS_DIR",
    "META_FILE",
    "TMP_SUFFIX",
    "bars_path",
    "iter_bar_files",
    "load_bar_files",
    "meta_path",
    "read_json",
    "remove_stale_temps",
    "write_bars_atomic",
    "write_json_atomic",
]
