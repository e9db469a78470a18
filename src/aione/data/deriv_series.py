"""Обмежений часовий ряд одного символу: стовпець часу (int64, мс) і кілька float64-стовпців.

Схема пам'яті та сама, що в `ring_buffer.BarRing`: рядки лежать суцільно в `[start, end)`;
коли їх стає більше за `capacity`, `start` зсувається; коли `end` доходить до кінця масивів,
останні `capacity` рядків копіюються на початок (амортизовано O(1), запас — чверть ємності).
Масиви ростуть подвоєнням від малого розміру, тож рідкісний ряд (ліквідації) не тримає повний буфер.

Час не спадає: точка зі старішим часом відкидається (`out_of_order`), з тим самим часом —
заміщує останню (крім рядів подій, `unique_ts=False`) (повторне опитування OI, кілька марк-цін в одному кошику). `bucket_ms` > 0
проріджує щільний потік: точка в тому ж кошику часу, що й остання, заміщує її (лишається
останнє значення кошика, з часом цієї точки).
Читання повертає view лише для читання, дійсні до наступного запису.
`version` — лічильник змін: росте на кожному записі, що змінив ряд (додано, заміщено, забуто
старі точки), тож кеш над рядом (кадр, Stage1) перевіряє «чи змінився ряд» одним порівнянням.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_MIN_ROWS = 32

# ── Результат запису ──
ACCEPTED = "accepted"
REPLACED = "replaced"
OUT_OF_ORDER = "out_of_order"


class SeriesRing:
    """Обмежений ряд `(ts, *columns)` із запитами «останнє», «на момент», «вікно від»."""

    __slots__ = (
        "columns",
        "capacity",
        "bucket_ms",
        "unique_ts",
        "rows_max",
        "version",
        "_ts",
        "_vals",
        "_start",
        "_end",
    )

    def __init__(
        self, columns: Sequence[str], capacity: int, *, bucket_ms: int = 0, unique_ts: bool = True
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.columns = tuple(columns)
        self.capacity = capacity
        self.bucket_ms = bucket_ms
        self.unique_ts = unique_ts  # False — події (ліквідації): рівний час додається, а не заміщує
        self.rows_max = capacity + max(8, capacity // 4)
        rows = min(self.rows_max, _MIN_ROWS)
        self._ts: IntArray = np.zeros(rows, dtype=np.int64)
        self._vals: FloatArray = np.zeros((len(self.columns), rows), dtype=np.float64)
        self._start = 0
        self._end = 0
        self.version = 0  # росте на кожній зміні ряду (append, заміщення, drop_before)

    # ── Стан ──
    def __len__(self) -> int:
        return self._end - self._start

    def nbytes(self) -> int:
        """Виділені байти numpy-буферів."""
        return int(self._ts.nbytes + self._vals.nbytes)

    @staticmethod
    def nbytes_at_capacity(n_columns: int, capacity: int) -> int:
        """Байти буферів ряду, заповненого до `capacity` (для оцінки RAM за замовчуванням)."""
        rows = capacity + max(8, capacity // 4)
        return rows * 8 * (1 + n_columns)

    @property
    def last_ts(self) -> int | None:
        return int(self._ts[self._end - 1]) if self._end > self._start else None

    # ── Запис ──
    def _make_room(self) -> None:
        rows = self._ts.shape[0]
        if self._end < rows:
            return
        start, end, count = self._start, self._end, self._end - self._start
        if rows < self.rows_max:
            new_rows = min(self.rows_max, rows * 2)
            ts = np.zeros(new_rows, dtype=np.int64)
            vals = np.zeros((self._vals.shape[0], new_rows), dtype=np.float64)
            ts[:count] = self._ts[start:end]
            vals[:, :count] = self._vals[:, start:end]
            self._ts, self._vals = ts, vals
        else:
            self._ts[:count] = self._ts[start:end]
            self._vals[:, :count] = self._vals[:, start:end]
        self._start, self._end = 0, count

    def append(self, ts: int, values: Sequence[float]) -> str:
        """Додає точку; повертає `accepted`, `replaced` або `out_of_order` (нічого не змінено).

        Значення перевіряє викликач (сховище); тут — лише порядок часу."""
        last = self.last_ts
        if last is not None:
            if ts < last:
                return OUT_OF_ORDER
            bucket = self.bucket_ms
            same = (ts == last and self.unique_ts) or (bucket > 0 and ts // bucket == last // bucket)
            if same:
                i = self._end - 1
                self._ts[i] = ts
                self._vals[:, i] = values
                self.version += 1
                return REPLACED
        self._ts[self._end] = ts
        self._vals[:, self._end] = values
        self._end += 1
        self.version += 1
        if self._end - self._start > self.capacity:
            self._start += 1
        self._make_room()
        return ACCEPTED

    def drop_before(self, ts: int) -> int:
        """Забуває точки, старші за `ts` (межа вікна за часом); повертає їх кількість."""
        cut = int(np.searchsorted(self._ts[self._start : self._end], ts, side="left"))
        if cut:
            self._start += cut
            self.version += 1
        return cut

    # ── Читання ──
    def times(self) -> IntArray:
        """Час усіх точок (view лише для читання)."""
        v = self._ts[self._start : self._end]
        v.flags.writeable = False
        return v

    def column(self, name: str) -> FloatArray:
        """Стовпець `name` усіх точок (view лише для читання)."""
        v = self._vals[self.columns.index(name), self._start : self._end]
        v.flags.writeable = False
        return v

    def last(self, name: str) -> float:
        """Останнє значення стовпця або NaN, якщо ряд порожній."""
        if self._end == self._start:
            return math.nan
        return float(self._vals[self.columns.index(name), self._end - 1])

    def index_at(self, ts: int) -> int | None:
        """Позиція (від 0) останньої точки з часом ≤ `ts` або None."""
        pos = int(np.searchsorted(self._ts[self._start : self._end], ts, side="right")) - 1
        return pos if pos >= 0 else None

    def value_at(self, name: str, ts: int) -> float:
        """Значення стовпця в останній точці з часом ≤ `ts` (без погляду вперед) або NaN."""
        pos = self.index_at(ts)
        if pos is None:
            return math.nan
        return float(self._vals[self.columns.index(name), self._start + pos])

    def since(self, ts: int, name: str) -> tuple[IntArray, FloatArray]:
        """(час, значення) точок з часом ≥ `ts` (view лише для читання)."""
        t = self.times()
        lo = int(np.searchsorted(t, ts, side="left"))
        return t[lo:], self.column(name)[lo:]

    def window(self, start: int, end: int, name: str) -> tuple[IntArray, FloatArray]:
        """(час, значення) точок з `start` ≤ час ≤ `end`."""
        t = self.times()
        lo = int(np.searchsorted(t, start, side="left"))
        hi = int(np.searchsorted(t, end, side="right"))
        return t[lo:hi], self.column(name)[lo:hi]

    def to_columns(self) -> dict[str, npt.NDArray[np.generic]]:
        """Копія всього ряду як {"ts": …, стовпець: …} (для запису на диск і в Redis)."""
        out: dict[str, npt.NDArray[np.generic]] = {"ts": self._ts[self._start : self._end].copy()}
        for i, name in enumerate(self.columns):
            out[name] = self._vals[i, self._start : self._end].copy()
        return out


__all__ = ["ACCEPTED", "OUT_OF_ORDER", "REPLACED", "FloatArray", "IntArray", "SeriesRing"]
