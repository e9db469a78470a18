"""Читання запису `aione record`: бари з колонками тейкера і деривативні ряди, розбиті за добою.

Розкладка каталогу запису (`root`):
- `bars/{YYYY-MM-DD}/{SYMBOL}.parquet` — закриті 1m бари (`ts` = open_time, решта `BAR_COLUMNS`);
- `book|oi|mark|liq/{YYYY-MM-DD}/{SYMBOL}.parquet` — ряди `DerivStore` (`deriv_disk`);
- `{SYMBOL}.parquet` — усі бари одним файлом (пише `aione record` на виході; для `aione backtest`
  і `aione simulate`, які читають плоский каталог барів);
- `record.json` — маніфест (ринок, символи, початок і кінець запису).
Чого в каталозі немає, того немає: з лише барами деривативні ряди відсутні, нічого не вигадується.

`DerivReplay` віддає записані рядки в ряди сховища в порядку часу (`advance(store, until_ms)`) —
так бектест бачить на момент бару рівно ті числа, що мав живий клієнт, і лише до цього моменту
(ємність рядів `DerivStore` обмежена). Рядки кладуться як є (`restore_series`): метрики книги — ті
самі до біта, але знімка рівнів книги (`store.book`) у бектесті немає — стан книги читається з ряду
`book`. `row_events` дає ті самі рядки як події (двома рівнями книги, як симулятор з запису).
Функції синхронні (блокувальний I/O).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aione.data.bars import BAR_COLUMNS, TRADES_UNKNOWN, BarArrays
from aione.data.deriv_disk import read_series_days
from aione.data.deriv_store import SERIES_KINDS, DerivStore
from aione.exchange.deriv_parsers import (
    BookSnapshot,
    DerivEvent,
    Liquidation,
    MarkFunding,
    OpenInterestPoint,
    Side,
)
from aione.exchange.sim_derivs import RecordedSeries

BARS_KIND = "bars"
RECORD_MANIFEST = "record.json"
Columns = dict[str, npt.NDArray[np.generic]]


# ── Виявлення ──
def is_recorded_dir(root: str | Path) -> bool:
    """Каталог — запис `aione record` (є маніфест або хоч один деривативний ряд)."""
    base = Path(root)
    return (base / RECORD_MANIFEST).is_file() or any((base / kind).is_dir() for kind in SERIES_KINDS)


def recorded_symbols(root: str | Path) -> list[str]:
    """Символи, для яких у записі є бари або хоч один ряд."""
    base = Path(root)
    names: set[str] = set()
    for kind in (BARS_KIND, *SERIES_KINDS):
        kind_dir = base / kind
        if kind_dir.is_dir():
            names.update(p.stem for p in kind_dir.glob("*/*.parquet"))
    return sorted(names)


# ── Бари ──
def bars_from_columns(cols: Mapping[str, npt.NDArray[np.generic]]) -> BarArrays:
    """Стовпці денних файлів барів (`ts` + `BAR_COLUMNS` як float) → `BarArrays`."""
    n = int(np.asarray(cols["ts"]).shape[0])

    def f(name: str) -> npt.NDArray[np.float64]:
        col = cols.get(name)
        return np.full(n, math.nan) if col is None else np.ascontiguousarray(col, dtype=np.float64)

    trades_raw = cols.get("trades")
    trades = (
        np.full(n, TRADES_UNKNOWN, dtype=np.int64)
        if trades_raw is None
        else np.nan_to_num(np.asarray(trades_raw, dtype=np.float64), nan=TRADES_UNKNOWN).astype(np.int64)
    )
    return BarArrays(
        np.ascontiguousarray(cols["ts"], dtype=np.int64),
        f("open"),
        f("high"),
        f("low"),
        f("close"),
        f("volume"),
        f("quote_volume"),
        trades,
        f("taker_buy_volume"),
        f("taker_buy_quote"),
    )


def bars_to_columns(bars: BarArrays) -> Columns:
    """`BarArrays` → стовпці для денних файлів (`ts` = open_time, решта float64)."""
    out: Columns = {"ts": np.asarray(bars.open_time, dtype=np.int64)}
    for name, col in zip(BAR_COLUMNS[1:], list(bars)[1:], strict=True):
        out[name] = np.asarray(col, dtype=np.float64)
    return out


def load_recorded_bars(
    root: str | Path,
    symbols: Iterable[str] | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> dict[str, BarArrays]:
    """Бари запису (з денних файлів) для символів у [start_ms, end_ms]; символ без барів пропущено."""
    out: dict[str, BarArrays] = {}
    for symbol in sorted(symbols) if symbols is not None else recorded_symbols(root):
        cols = read_series_days(root, BARS_KIND, symbol, start_ms, end_ms)
        if cols and len(cols["ts"]):
            out[symbol] = bars_from_columns(cols)
    return out


# ── Деривативні ряди ──
def load_deriv_columns(
    root: str | Path, symbol: str, start_ms: int | None = None, end_ms: int | None = None
) -> dict[str, Columns]:
    """Вид → стовпці записаного ряду символу (лише наявні види)."""
    out: dict[str, Columns] = {}
    for kind in SERIES_KINDS:
        cols = read_series_days(root, kind, symbol, start_ms, end_ms)
        if cols and len(cols["ts"]):
            out[kind] = cols
    return out


def load_recorded_columns(
    root: str | Path,
    symbols: Iterable[str] | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> dict[str, dict[str, Columns]]:
    """`{символ: {вид: стовпці}}` запису — вхід `signals.deriv_context.recorded_source` для бектесту;
    каталог лише з барами — порожній словник (рядів немає, нічого не вигадується)."""
    if not is_recorded_dir(root):
        return {}
    names = sorted(symbols) if symbols is not None else recorded_symbols(root)
    out = {s: load_deriv_columns(root, s, start_ms, end_ms) for s in names}
    return {s: kinds for s, kinds in out.items() if kinds}


def load_recorded_series(root: str | Path, symbols: Iterable[str] | None = None) -> dict[str, RecordedSeries]:
    """Записані ряди символів для симулятора (символ без жодного ряду пропущено)."""
    if not is_recorded_dir(root):
        return {}
    out: dict[str, RecordedSeries] = {}
    for symbol in sorted(symbols) if symbols is not None else recorded_symbols(root):
        kinds = load_deriv_columns(root, symbol)
        if kinds:
            out[symbol] = RecordedSeries(**kinds)
    return out


def row_events(symbol: str, kind: str, cols: Mapping[str, npt.NDArray[np.generic]], i: int) -> DerivEvent:
    """Записаний рядок `i` ряду `kind` → подія сховища (та сама, що дав би симулятор з запису)."""
    ts = int(cols["ts"][i])
    if kind == "book":
        mid, spread = float(cols["mid"][i]), float(cols["spread_bps"][i])
        half = spread / 2e4
        bid, ask = mid * (1.0 - half), mid * (1.0 + half)
        bid_usd, ask_usd = float(cols["bid_usd"][i]), float(cols["ask_usd"][i])
        bids = np.array([[bid, bid_usd / bid if bid > 0 else 0.0]], dtype=np.float64)
        asks = np.array([[ask, ask_usd / ask if ask > 0 else 0.0]], dtype=np.float64)
        bids.flags.writeable = False
        asks.flags.writeable = False
        return BookSnapshot(symbol, bids, asks, ts, ts, ts, "partial")
    if kind == "mark":
        return MarkFunding(
            symbol,
            float(cols["mark_price"][i]),
            float(cols["index_price"][i]),
            float(cols["funding_rate"][i]),
            int(cols["next_funding_time"][i]),
            ts,
        )
    if kind == "oi":
        return OpenInterestPoint(symbol, ts, float(cols["open_interest"][i]), float(cols["value"][i]))
    qty, notional = float(cols["qty"][i]), float(cols["notional"][i])
    price = float(cols["price"][i])
    avg = notional / qty if qty > 0 else price
    side: Side = "BUY" if float(cols["side"][i]) > 0 else "SELL"
    return Liquidation(symbol, side, price, avg, qty, qty, "FILLED", ts, ts)


# ── Реплей у сховище ──
class DerivReplay:
    """Записані ряди символів, що подаються в `DerivStore` у порядку часу до заданої межі."""

    def __init__(self, series: Mapping[str, Mapping[str, Columns]]) -> None:
        self.series = {sym: dict(kinds) for sym, kinds in series.items()}
        self._pos: dict[tuple[str, str], int] = {}
        self.applied = 0

    @classmethod
    def from_dir(
        cls,
        root: str | Path,
        symbols: Iterable[str] | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> DerivReplay:
        """Реплей запису `root` (None для символів — усі записані); без рядів — порожній реплей."""
        names = sorted(symbols) if symbols is not None else recorded_symbols(root)
        return cls({s: load_deriv_columns(root, s, start_ms, end_ms) for s in names})

    @property
    def empty(self) -> bool:
        return not any(self.series.values())

    def advance(self, store: DerivStore, until_ms: int) -> int:
        """Подає в `store` усі ще не подані рядки з часом ≤ `until_ms`; повертає кількість поданих."""
        fed = 0
        for symbol, kinds in self.series.items():
            for kind, cols in kinds.items():
                key = (symbol, kind)
                start = self._pos.get(key, 0)
                ts = np.asarray(cols["ts"])
                stop = int(np.searchsorted(ts, until_ms, side="right"))
                if stop <= start:
                    continue
                part = {name: col[start:stop] for name, col in cols.items()}
                accepted = store.restore_series(symbol, kind, part)  # type: ignore[arg-type]
                self.applied += accepted  # відмови (старіший час тощо) — у store.stats.rejected
                fed += stop - start
                self._pos[key] = stop
        return fed


def load_store(
    root: str | Path,
    symbols: Iterable[str] | None = None,
    until_ms: int | None = None,
    store: DerivStore | None = None,
) -> DerivStore:
    """Сховище, заповнене записом до `until_ms` (None — весь запис): останні рядки кожного ряду
    в межах його ємності, як у живого сховища на той момент."""
    out = store if store is not None else DerivStore()
    replay = DerivReplay.from_dir(root, symbols, None, until_ms)
    replay.advance(out, until_ms if until_ms is not None else 2**62)
    return out


__all__ = [
    "BARS_KIND",
    "RECORD_MANIFEST",
    "DerivReplay",
    "bars_from_columns",
    "bars_to_columns",
    "is_recorded_dir",
    "load_deriv_columns",
    "load_recorded_columns",
    "load_recorded_bars",
    "load_recorded_series",
    "load_store",
    "recorded_symbols",
    "row_events",
]
