"""Бар — спільна одиниця ринкових даних для всіх стадій і джерел.

Час — мс від епохи, UTC. `closed=False` — оновлення ще відкритого бару (live kline
кожні ~250 мс), яке замінює останній бар; `closed=True` — закритий бар, що додається.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow.parquet as pq

# ── Колонки ──
# Порядок колонок барів у RAM, Redis і parquet.
BAR_COLUMNS: tuple[str, ...] = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "quote_volume",
    "trades",
    "taker_buy_volume",
)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Bar:
    """Один бар (kline). Похідні поля, яких немає в записаних даних, можуть бути 0."""

    open_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float = 0.0
    trades: int = 0
    taker_buy_volume: float = 0.0
    closed: bool = True


@dataclass(frozen=True, slots=True)
class BarEvent:
    """Бар певного символу й таймфрейму, як його бачить конвеєр."""

    symbol: str
    timeframe: str
    bar: Bar
    recv_ts: float = 0.0  # time.perf_counter() при отриманні; 0 — невідомо (реплей)


class BarArrays(NamedTuple):
    """Стовпці барів як numpy-масиви однакової довжини (для batch-обчислень)."""

    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    quote_volume: FloatArray
    trades: IntArray
    taker_buy_volume: FloatArray

    def __len__(self) -> int:
        return int(self.open_time.shape[0])

    def slice(self, start: int, stop: int | None = None) -> BarArrays:
        """Зріз усіх колонок (view, без копіювання)."""
        return BarArrays(*(col[start:stop] for col in self))  # type: ignore[arg-type]

    def bar(self, i: int) -> Bar:
        """i-й бар як `Bar` (закритий)."""
        return Bar(
            open_time=int(self.open_time[i]),
            open=float(self.open[i]),
            high=float(self.high[i]),
            low=float(self.low[i]),
            close=float(self.close[i]),
            volume=float(self.volume[i]),
            quote_volume=float(self.quote_volume[i]),
            trades=int(self.trades[i]),
            taker_buy_volume=float(self.taker_buy_volume[i]),
        )


def copy_upto(
    bars: BarArrays, last_open_time: int | None, n: int | None = None, *, copy: bool = True
) -> BarArrays:
    """Копія останніх `n` барів з open_time ≤ `last_open_time` (None — без обрізання).

    Копія, бо view сховища живе лише до наступного запису; обрізання за часом прибирає бари,
    що прийшли після рішення (без погляду вперед). `copy=False` — ті самі рядки як view, для
    масивів, що не змінюються (пакетний бектест тримає їх лише для читання)."""
    stop = len(bars)
    if last_open_time is not None and stop and int(bars.open_time[-1]) > last_open_time:
        stop = int(np.searchsorted(bars.open_time, last_open_time, side="right"))
    start = 0 if n is None else max(0, stop - n)
    if copy:
        return BarArrays(*[col[start:stop].copy() for col in bars])  # type: ignore[arg-type]
    return BarArrays(*[col[start:stop] for col in bars])  # type: ignore[arg-type]


# ── Читання записаних даних ──
def derive_quote_volume(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray
) -> FloatArray:
    """ПОХІДНЕ значення: quote volume ≈ volume × (high + low + close) / 3 (записи його не мають)."""
    return np.asarray(volume * (high + low + close) / 3.0, dtype=np.float64)


def read_bars_parquet(path: str | Path) -> BarArrays:
    """Читає parquet з барами (формат ../shared/data). Відсутні колонки виводяться й позначені як похідні:
    quote_volume — за формулою вище, trades і taker_buy_volume — 0 (невідомо)."""
    table = pq.read_table(path)
    names = set(table.column_names)
    missing = {"open_time", "open", "high", "low", "close", "volume"} - names
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")

    def col(name: str, dtype: type) -> npt.NDArray[np.generic]:
        return np.ascontiguousarray(table.column(name).to_numpy(), dtype=dtype)

    high, low, close, volume = (col(n, np.float64) for n in ("high", "low", "close", "volume"))
    n = len(close)
    quote = (
        col("quote_volume", np.float64)
        if "quote_volume" in names
        else derive_quote_volume(high, low, close, volume)  # type: ignore[arg-type]
    )
    trades = col("trades", np.int64) if "trades" in names else np.zeros(n, dtype=np.int64)
    taker = (
        col("taker_buy_volume", np.float64) if "taker_buy_volume" in names else np.zeros(n, dtype=np.float64)
    )
    return BarArrays(
        col("open_time", np.int64),  # type: ignore[arg-type]
        col("open", np.float64),  # type: ignore[arg-type]
        high,  # type: ignore[arg-type]
        low,  # type: ignore[arg-type]
        close,  # type: ignore[arg-type]
        volume,  # type: ignore[arg-type]
        quote,  # type: ignore[arg-type]
        trades,  # type: ignore[arg-type]
        taker,  # type: ignore[arg-type]
    )


def list_symbols(data_dir: str | Path) -> list[str]:
    """Символи каталогу записаних даних (ім'я файлу без `.parquet`), відсортовані."""
    return sorted(p.stem for p in Path(data_dir).glob("*.parquet"))


__all__ = [
    "BAR_COLUMNS",
    "Bar",
    "BarArrays",
    "BarEvent",
    "copy_upto",
    "FloatArray",
    "IntArray",
    "derive_quote_volume",
    "list_symbols",
    "read_bars_parquet",
]
