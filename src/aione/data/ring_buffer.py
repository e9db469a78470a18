"""Кільцевий буфер барів одного символу й таймфрейму: numpy-стовпці, O(1) додавання, читання без копій.

Схема пам'яті. Кожна колонка — один масив з `rows` рядків; закриті бари лежать суцільно в
`[start, end)`, слот `end` зарезервовано під відкритий бар. Коли закритих стає більше за
`capacity`, `start` просто зсувається вперед; коли `end` доходить до кінця масиву, останні
`capacity` барів копіюються на початок («зсув назад»). Запас `slack = rows_max − capacity`
визначає, як рідко буває зсув: копія `capacity` рядків раз на `slack` додавань, тобто амортизовано
O(capacity / slack) = O(1) (для запасу 12.5 % — 8 рядків на додавання). Повна «подвійна» ємність дала б
1 рядок на додавання, але коштувала б удвічі більше RAM; тут обрано 12.5 %, щоб доба 1m барів з десятьма
стовпцями (разом із `taker_buy_quote`) вміщувалась у ~130 КБ (виміряно `bench/store.py`: швидкість
додавання та сама, що з запасом 25 %). Масиви ростуть подвоєнням від невеликого розміру, тож символ з короткою
історією не тримає повний буфер.

Читання (`view`) повертає зрізи-view тільки для читання: ніхто ззовні не зіпсує збережене.
View дійсні до наступного запису в цей буфер (зсув назад переписує початок масиву); хто тримає
дані довше — робить `np.copy`.
"""

from __future__ import annotations

import numpy as np

from aione.data.bars import BAR_COLUMNS, Bar, BarArrays

_INT_COLUMNS = (0, 7)  # open_time, trades — int64; решта — float64
_MIN_ROWS = 64


def _alloc(rows: int) -> list[np.ndarray]:
    return [np.zeros(rows, dtype=np.int64 if i in _INT_COLUMNS else np.float64) for i in range(len(BAR_COLUMNS))]


def _read_only(cols: list[np.ndarray]) -> list[np.ndarray]:
    """View усіх колонок без права запису: зрізи з них успадковують заборону без жодних витрат."""
    out = []
    for col in cols:
        v = col.view()
        v.flags.writeable = False
        out.append(v)
    return out


class BarRing:
    """Буфер закритих барів плюс (необов'язково) один відкритий бар."""

    __slots__ = ("capacity", "rows_max", "version", "last_time", "_cols", "_ro", "_start", "_end", "_open")

    def __init__(self, capacity: int, slack: int | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self.rows_max = capacity + max(8, capacity // 8 if slack is None else slack)
        self.version = 0  # росте на кожній зміні закритих барів (для write-behind)
        self.last_time: int | None = None  # open_time останнього закритого бару (кеш для гарячого шляху)
        self._cols: list[np.ndarray] = _alloc(min(self.rows_max, _MIN_ROWS))
        self._ro = _read_only(self._cols)
        self._start = 0
        self._end = 0
        self._open: Bar | None = None

    # ── Стан ──
    def __len__(self) -> int:
        return self._end - self._start

    @property
    def first_time(self) -> int | None:
        """open_time найстаршого збереженого закритого бару або None."""
        return int(self._cols[0][self._start]) if self._end > self._start else None

    @property
    def open_bar(self) -> Bar | None:
        return self._open

    def last_bar(self) -> Bar | None:
        """Останній закритий бар як `Bar` або None."""
        if self._end == self._start:
            return None
        i = self._end - 1
        c = self._cols
        return Bar(
            int(c[0][i]),
            float(c[1][i]),
            float(c[2][i]),
            float(c[3][i]),
            float(c[4][i]),
            float(c[5][i]),
            float(c[6][i]),
            int(c[7][i]),
            float(c[8][i]),
            True,
            float(c[9][i]),
        )

    def nbytes(self) -> int:
        """Байти numpy-буферів цього кільця (виділені, не лише зайняті)."""
        return sum(int(col.nbytes) for col in self._cols)

    # ── Запис ──
    def _write(self, i: int, bar: Bar) -> None:
        c = self._cols
        c[0][i] = bar.open_time
        c[1][i] = bar.open
        c[2][i] = bar.high
        c[3][i] = bar.low
        c[4][i] = bar.close
        c[5][i] = bar.volume
        c[6][i] = bar.quote_volume
        c[7][i] = bar.trades
        c[8][i] = bar.taker_buy_volume
        c[9][i] = bar.taker_buy_quote

    def _make_room(self) -> None:
        """Гарантує вільний слот за `end`: ріст подвоєнням до `rows_max`, далі — зсув назад."""
        rows = self._cols[0].shape[0]
        if self._end < rows:
            return
        start, end, count = self._start, self._end, self._end - self._start
        if rows < self.rows_max:
            new_rows = min(self.rows_max, rows * 2)
            fresh = _alloc(new_rows)
            for dst, src in zip(fresh, self._cols, strict=True):
                dst[:count] = src[start:end]
            self._cols = fresh
            self._ro = _read_only(fresh)
        else:
            for col in self._cols:
                col[:count] = col[start:end]  # numpy коректно копіює області, що перекриваються
        self._start, self._end = 0, count

    def append(self, bar: Bar) -> None:
        """Додає закритий бар (перевірки — справа викликача). Амортизовано O(1)."""
        self._write(self._end, bar)
        self._end += 1
        self.last_time = bar.open_time
        if self._end - self._start > self.capacity:
            self._start += 1
        self._make_room()
        self.version += 1
        opened = self._open
        if opened is not None:
            if opened.open_time <= bar.open_time:
                self._open = None
            else:
                self._write(self._end, opened)

    def set_open(self, bar: Bar) -> None:
        """Заміщує відкритий бар (слот одразу за останнім закритим). O(1)."""
        self._open = bar
        self._write(self._end, bar)

    def replace_all(self, arrays: BarArrays) -> None:
        """Повністю замінює закриті бари (уже відсортовані, унікальні й перевірені); лишає останні
        `capacity`. Відкритий бар зберігається, якщо він новіший за останній закритий."""
        n = min(len(arrays), self.capacity)
        src = arrays.slice(len(arrays) - n) if n else arrays
        rows = max(min(self.rows_max, _MIN_ROWS), min(self.rows_max, n + 1))
        if rows > self._cols[0].shape[0] or rows < self._cols[0].shape[0] // 2:
            self._cols = _alloc(rows)
            self._ro = _read_only(self._cols)
        for dst, col in zip(self._cols, src, strict=True):
            dst[:n] = col
        self._start, self._end = 0, n
        self.last_time = int(self._cols[0][n - 1]) if n else None
        self.version += 1
        opened = self._open
        if opened is not None:
            last = self.last_time
            if last is not None and opened.open_time <= last:
                self._open = None
            else:
                self._write(self._end, opened)

    # ── Читання ──
    def view(self, n: int | None = None, include_open: bool = False) -> BarArrays:
        """Останні `n` закритих барів (усі, якщо None) + відкритий за запитом; view лише для читання."""
        end = self._end
        start = self._start if n is None else max(self._start, end - max(n, 0))
        if include_open and self._open is not None:
            end += 1
        ro = self._ro
        return BarArrays(
            ro[0][start:end],
            ro[1][start:end],
            ro[2][start:end],
            ro[3][start:end],
            ro[4][start:end],
            ro[5][start:end],
            ro[6][start:end],
            ro[7][start:end],
            ro[8][start:end],
            ro[9][start:end],
        )


__all__ = ["BarRing"]
