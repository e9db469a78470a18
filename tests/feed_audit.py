"""Звірка збережених барів із записаними: очікувано / збережено / бракує / дублікати / хибні.

Бари, яких біржа (симулятор) не має (`removed`), не очікуються — вони рахуються окремо як дірки.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aione.data.bars import BarArrays, read_bars_parquet
from aione.data.disk_layer import bars_path

_VALUE_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(slots=True)
class FeedAudit:
    """Підсумок звірки одного чи кількох символів."""

    expected: int = 0
    stored: int = 0
    missing: int = 0
    duplicate: int = 0
    wrong: int = 0
    holes: int = 0  # барів, яких біржа не має (у вікні звірки)
    missing_at: list[str] = field(default_factory=list)  # open_time відсутніх (для діагностики)

    def add(self, other: FeedAudit) -> None:
        for name in ("expected", "stored", "missing", "duplicate", "wrong", "holes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missing_at.extend(other.missing_at)

    def line(self) -> str:
        return (
            f"bars expected={self.expected} stored={self.stored} missing={self.missing} "
            f"duplicate={self.duplicate} wrong={self.wrong} (exchange holes excepted: {self.holes})"
            + (f" missing at {self.missing_at[:10]}" if self.missing_at else "")
        )


def audit_bars(
    stored: BarArrays, recorded: BarArrays, removed: Iterable[int], since: int, until: int
) -> FeedAudit:
    """Звіряє збережені бари з open_time у [since, until] із записаними (без вирізаних біржею)."""
    gone = np.asarray(sorted(set(removed)), dtype=np.int64)
    rec_in = (recorded.open_time >= since) & (recorded.open_time <= until)
    holes = rec_in & np.isin(recorded.open_time, gone)
    want = rec_in & ~holes
    st_in = (stored.open_time >= since) & (stored.open_time <= until)
    st_times = stored.open_time[st_in]
    uniq, counts = np.unique(st_times, return_counts=True)
    rec_times = recorded.open_time[want]
    absent = rec_times[~np.isin(rec_times, uniq)]
    missing = int(absent.shape[0])
    wrong = int(np.count_nonzero(~np.isin(uniq, rec_times)))  # бар, якого біржа не мала
    idx_st = np.searchsorted(st_times, uniq)
    common = np.isin(uniq, rec_times)
    idx_rec = np.searchsorted(recorded.open_time, uniq[common])
    for col in _VALUE_COLUMNS:
        a = getattr(stored, col)[st_in][idx_st[common]]
        b = getattr(recorded, col)[idx_rec]
        wrong += int(np.count_nonzero(a != b))
    return FeedAudit(
        expected=int(np.count_nonzero(want)),
        stored=int(st_times.shape[0]),
        missing=missing,
        duplicate=int((counts - 1).sum()),
        wrong=wrong,
        holes=int(np.count_nonzero(holes)),
        missing_at=[str(t) for t in absent.tolist()],
    )


def audit_run(
    data_dir: Path,
    recorded_dir: Path,
    symbols: Iterable[str],
    removed: dict[str, list[int]],
    since: int,
    until: int,
) -> FeedAudit:
    """Звірка 1m барів, які `run_pipeline` зберіг на диск у `data_dir`, для кількох символів."""
    total = FeedAudit()
    for symbol in symbols:
        stored = read_bars_parquet(bars_path(data_dir, symbol, "1m"))
        recorded = read_bars_parquet(recorded_dir / f"{symbol}.parquet")
        one = audit_bars(stored, recorded, removed.get(symbol, []), since, until)
        one.missing_at = [f"{symbol}@{t}" for t in one.missing_at]
        total.add(one)
    return total


__all__ = ["FeedAudit", "audit_bars", "audit_run"]
