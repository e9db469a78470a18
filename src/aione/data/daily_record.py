"""Денні бари біржі в каталозі запису `aione record`: `{root}/1d/{SYMBOL}.parquet`.

Навіщо: живий процес на старті бере закриті денні бари з REST (`app.preload`, `PRELOAD_DAILY_DAYS`)
і з них ставить денні рівні Stage1 першої доби та закриті дні Stage2. Запис, що почався посеред
доби, має вчорашню добу в 1m барах неповною, тож без цих барів бектест запису рівня не мав би.
`aione record` пише сюди ті самі закриті дні (на старті — як preload, далі — кожну закриту добу
UTC), а бектест (`read_daily_bars`) бере день біржі там, де він є, і ресемплінг 1m барів там, де
його немає. Формат — той самий parquet барів, що й плоскі `{SYMBOL}.parquet` (`read_bars_parquet`),
по файлу на символ (денних барів мало). Запис атомарний (`write_bars_atomic`: тимчасовий файл →
fsync → rename) і з об'єднанням з наявним файлом: новий бар того самого дня замінює старий.
Функції синхронні (блокувальний I/O).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from aione.data.bar_validation import value_reasons
from aione.data.bars import BarArrays, read_bars_parquet
from aione.data.disk_layer import write_bars_atomic

DAILY_DIR = "1d"


# ── Чиста логіка ──
def merge_bars(old: BarArrays, new: BarArrays) -> BarArrays:
    """Бари `old` поза часом `new` + `new`, за часом (новіше важить більше)."""
    keep = ~np.isin(old.open_time, new.open_time)
    cols = [np.concatenate((a[keep], b)) for a, b in zip(old, new, strict=True)]
    order = np.argsort(cols[0], kind="stable")
    return BarArrays(*(c[order] for c in cols))


def clean_days(days: BarArrays) -> BarArrays:
    """Лише коректні бари (ті самі правила значень, що й у сховища), один на час, за часом."""
    ok = np.ones(len(days), dtype=np.bool_)
    for mask in value_reasons(days).values():
        ok &= ~mask
    t = days.open_time
    order = np.argsort(t, kind="stable")
    order = order[ok[order]]
    if order.shape[0] > 1:
        ts = t[order]
        order = order[np.r_[ts[1:] != ts[:-1], True]]  # повтор часу — останній
    return BarArrays(*(np.ascontiguousarray(col[order]) for col in days))  # type: ignore[arg-type]


# ── Диск ──
def daily_path(root: str | Path, symbol: str) -> Path:
    """Файл денних барів символу в каталозі запису."""
    return Path(root) / DAILY_DIR / f"{symbol}.parquet"


def write_daily_bars(root: str | Path, symbol: str, days: BarArrays) -> Path | None:
    """Додає закриті денні бари символу до його файлу (атомарно); None — нічого писати."""
    if not len(days):
        return None
    path = daily_path(root, symbol)
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = merge_bars(read_bars_parquet(path), days) if path.is_file() else days
    write_bars_atomic(path, merged)
    return path


def read_daily_bars(root: str | Path, symbols: Iterable[str]) -> dict[str, BarArrays]:
    """Записані денні бари символів (`clean_days`); символ без файлу чи без барів пропущено —
    тоді бектест бере дні лише з 1m барів, як раніше."""
    out: dict[str, BarArrays] = {}
    for symbol in symbols:
        path = daily_path(root, symbol)
        if not path.is_file():
            continue
        days = clean_days(read_bars_parquet(path))
        if len(days):
            out[symbol] = days
    return out


__all__ = ["DAILY_DIR", "clean_days", "daily_path", "merge_bars", "read_daily_bars", "write_daily_bars"]
