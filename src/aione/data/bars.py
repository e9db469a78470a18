"""Бар — спільна одиниця ринкових даних для всіх стадій і джерел.

Колонки тейкера й угод (`trades`, `taker_buy_volume` — Binance `V`, тобто taker buy base, і
`taker_buy_quote` — `Q`) необов'язкові: є, коли їх дало джерело (klines REST/WS, parquet із цими
колонками), і відсутні, коли ні — NaN для обсягів, `TRADES_UNKNOWN` (−1) для кількості угод.
Їх ніколи не вигадують.

Час — мс від епохи, UTC. `closed=False` — оновлення ще відкритого бару (live kline
кожні ~250 мс), яке замінює останній бар; `closed=True` — закритий бар, що додається.
"""

from __future__ import annotations

import math
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
    "taker_buy_quote",
)
TRADES_UNKNOWN = -1  # кількість угод невідома (джерело її не дало)
# Інші назви тих самих колонок у чужих parquet-файлах.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "taker_buy_volume": ("taker_buy_base", "taker_buy_base_volume"),
    "taker_buy_quote": ("taker_buy_quote_volume",),
    "trades": ("count", "number_of_trades"),
}
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class Bar:
    """Один бар (kline). Справжні джерела передають усі поля; типові значення `trades` і
    `taker_buy_volume` (0) лишено для синтетичних барів тестів, `taker_buy_quote` типово невідомий."""

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
    taker_buy_quote: float = math.nan  # після `closed`, щоб позиційні виклики лишилися чинними

    def _key(self) -> tuple[object, ...]:
        """Поля для порівняння: NaN («невідомо») як None, щоб два однакові бари з невідомим полем
        були рівні (NaN != NaN) і мали однаковий хеш."""
        return tuple(
            None if v != v else v  # noqa: PLR0124 — саме перевірка на NaN
            for v in (
                self.open_time,
                self.open,
                self.high,
                self.low,
                self.close,
                self.volume,
                self.quote_volume,
                self.trades,
                self.taker_buy_volume,
                self.closed,
                self.taker_buy_quote,
            )
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Bar:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


@dataclass(frozen=True, slots=True)
class BarEvent:
    """Бар певного символу й таймфрейму, як його бачить конвеєр."""

    symbol: str
    timeframe: str
    bar: Bar
    recv_ts: float = 0.0  # time.perf_counter() при отриманні; 0 — невідомо (реплей)


class _BarColumns(NamedTuple):
    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    quote_volume: FloatArray
    trades: IntArray
    taker_buy_volume: FloatArray
    taker_buy_quote: FloatArray


class BarArrays(_BarColumns):
    """Стовпці барів як numpy-масиви однакової довжини (для batch-обчислень).

    `taker_buy_quote` можна не передавати (дев'ять стовпців, як до його появи): тоді він NaN."""

    __slots__ = ()

    def __new__(
        cls,
        open_time: IntArray,
        open: FloatArray,
        high: FloatArray,
        low: FloatArray,
        close: FloatArray,
        volume: FloatArray,
        quote_volume: FloatArray,
        trades: IntArray,
        taker_buy_volume: FloatArray,
        taker_buy_quote: FloatArray | None = None,
    ) -> BarArrays:
        if taker_buy_quote is None:
            taker_buy_quote = np.full(np.shape(open_time)[0], np.nan, dtype=np.float64)
        return super().__new__(
            cls, open_time, open, high, low, close, volume, quote_volume, trades, taker_buy_volume, taker_buy_quote
        )

    @property
    def taker_buy_base(self) -> FloatArray:
        """Інша назва `taker_buy_volume` (Binance `V`: обсяг купівель тейкера в базовому активі)."""
        return self.taker_buy_volume

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
            taker_buy_quote=float(self.taker_buy_quote[i]),
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
    """Читає parquet з барами (формат ../shared/data). quote_volume, якої немає, виводиться за формулою
    вище (ПОХІДНЕ); колонки тейкера й угод, яких немає, — відсутні: NaN і `TRADES_UNKNOWN`."""
    table = pq.read_table(path)
    names = set(table.column_names)
    missing = {"open_time", "open", "high", "low", "close", "volume"} - names
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")

    def col(name: str, dtype: type) -> npt.NDArray[np.generic]:
        return np.ascontiguousarray(table.column(name).to_numpy(), dtype=dtype)

    def optional(name: str, dtype: type, absent: float) -> npt.NDArray[np.generic]:
        for candidate in (name, *COLUMN_ALIASES.get(name, ())):
            if candidate in names:
                column = table.column(candidate)
                if column.null_count:  # null у файлі — теж «невідомо»
                    column = column.fill_null(absent)
                return np.ascontiguousarray(column.to_numpy(), dtype=dtype)
        return np.full(n, absent, dtype=dtype)

    high, low, close, volume = (col(n, np.float64) for n in ("high", "low", "close", "volume"))
    n = len(close)
    quote = (
        col("quote_volume", np.float64)
        if "quote_volume" in names
        else derive_quote_volume(high, low, close, volume)  # type: ignore[arg-type]
    )
    trades = optional("trades", np.int64, TRADES_UNKNOWN)
    taker = optional("taker_buy_volume", np.float64, math.nan)
    taker_quote = optional("taker_buy_quote", np.float64, math.nan)
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
        taker_quote,  # type: ignore[arg-type]
    )


def list_symbols(data_dir: str | Path) -> list[str]:
    """Символи каталогу записаних даних (ім'я файлу без `.parquet`), відсортовані."""
    return sorted(p.stem for p in Path(data_dir).glob("*.parquet"))


__all__ = [
    "BAR_COLUMNS",
    "COLUMN_ALIASES",
    "TRADES_UNKNOWN",
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
