"""Знімок тіків біржі як дані пакета і тіки записаних барів для бектесту (край з I/O).

Файли `aione/sample_data/tick_sizes_{um,spot}.json` — `PRICE_FILTER.tickSize` кожного символу з
записаних відповідей exchangeInfo (`../shared/fixtures/binance/`), з датою запису у файлі. Вони
старі (2021): як поєднати їх із сіткою цін барів, вирішує `aione.utils.ticks.resolve_tick`.

Перезібрати знімок із записаної відповіді:
    python -m aione.data.tick_snapshot um um_exchangeInfo_2021-07-22.json src/aione/sample_data/tick_sizes_um.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow.parquet as pq

from aione.exchange.rest_parsers import arr, field, obj
from aione.utils.ticks import FloatArray, resolve_tick

SNAPSHOT_FILES = {"um": "tick_sizes_um.json", "spot": "tick_sizes_spot.json"}
SNAPSHOT_SCHEMA = 1
SNAPSHOT_ENDPOINTS = {
    "um": "Binance USDT-M GET /fapi/v1/exchangeInfo",
    "spot": "Binance spot GET /api/v3/exchangeInfo",
}


# ── Знімок ──
@dataclass(frozen=True, slots=True)
class TickSnapshot:
    """Тіки символів одного ринку на дату запису exchangeInfo."""

    market: str
    recorded: str  # дата запису (UTC, ISO) зі `serverTime` відповіді
    source: str
    ticks: Mapping[str, float]


def _plain(value: Any) -> str:
    """Рядок тіку Binance у найкоротшому десятковому записі ("0.00100000" → "0.001")."""
    return format(Decimal(str(value)).normalize(), "f")


def snapshot_from_exchange_info(payload: Any, market: str, source: str) -> dict[str, Any]:
    """Відповідь exchangeInfo → вміст файлу знімка (тіки рядками, символи за назвою)."""
    data = obj(payload, "exchangeInfo")
    ticks: dict[str, str] = {}
    for raw in arr(field(data, "symbols"), "symbols"):
        item = obj(raw, "symbol")
        filters = [f for f in arr(field(item, "filters"), "filters") if isinstance(f, dict)]
        price = next((f for f in filters if f.get("filterType") == "PRICE_FILTER"), None)
        if price is not None and "tickSize" in price and Decimal(str(price["tickSize"])) > 0:
            ticks[str(field(item, "symbol"))] = _plain(price["tickSize"])
    server_ms = int(field(data, "serverTime"))
    recorded = datetime.fromtimestamp(server_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "schema": SNAPSHOT_SCHEMA,
        "market": market,
        "recorded": recorded,
        "server_time": server_ms,
        "source": source,
        "note": "PRICE_FILTER.tickSize per symbol as of `recorded`; newer symbols are absent and "
        "some ticks changed since (see aione.utils.ticks.resolve_tick)",
        "tick_size": dict(sorted(ticks.items())),
    }


def parse_snapshot(payload: Any) -> TickSnapshot:
    """Вміст файлу знімка → `TickSnapshot` (невідома схема чи недодатний тік — ValueError)."""
    data = obj(payload, "tick snapshot")
    if data.get("schema") != SNAPSHOT_SCHEMA:
        raise ValueError(f"unsupported tick snapshot schema {data.get('schema')!r}")
    ticks = {str(k): float(v) for k, v in obj(field(data, "tick_size"), "tick_size").items()}
    bad = sorted(k for k, v in ticks.items() if not v > 0)
    if bad:
        raise ValueError(f"non-positive ticks in snapshot: {bad[:5]}")
    return TickSnapshot(str(data["market"]), str(data["recorded"]), str(data["source"]), ticks)


@lru_cache(maxsize=4)
def load_tick_snapshot(market: str = "um") -> TickSnapshot:
    """Знімок тіків ринку з даних пакета (um — ф'ючерси USDT-M, spot), читається раз."""
    name = SNAPSHOT_FILES.get(market)
    if name is None:
        raise ValueError(f"unknown market {market!r}; allowed: {', '.join(SNAPSHOT_FILES)}")
    text = (files("aione") / "sample_data" / name).read_text(encoding="utf-8")
    return parse_snapshot(json.loads(text))


# ── Тіки записаних барів ──
class _Prices(NamedTuple):
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray


@lru_cache(maxsize=512)
def _file_tick(path: str, mtime_ns: int, size: int, symbol: str, market: str) -> float:
    # mtime і розмір у ключі кешу: змінений файл читається знову.
    del mtime_ns, size
    table = pq.read_table(path, columns=["open", "high", "low", "close"])
    cols = [np.ascontiguousarray(table.column(n).to_numpy(), dtype=np.float64) for n in _Prices._fields]
    return resolve_tick(symbol, _Prices(*cols), load_tick_snapshot(market).ticks)


def recorded_ticks(data_dir: str | Path, symbols: Iterable[str], market: str = "um") -> dict[str, float]:
    """Тік кожного символу каталогу записаних барів (`resolve_tick` над УСІМ файлом символу).

    Тік — властивість біржі, а не ринку в момент рішення, тож рахується з усього запису, а не з
    вікна прогону: обрізаний прогін (перевірка погляду вперед, walk-forward) має ті самі тіки."""
    root = Path(data_dir)
    out: dict[str, float] = {}
    for name in sorted(set(symbols)):
        path = root / f"{name}.parquet"
        st = path.stat()
        out[name] = _file_tick(str(path.resolve()), st.st_mtime_ns, st.st_size, name, market)
    return out


# ── Командний рядок ──
def main(argv: Sequence[str] | None = None) -> int:
    """`python -m aione.data.tick_snapshot MARKET EXCHANGE_INFO_JSON OUT_JSON` — перезібрати знімок."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[0] not in SNAPSHOT_FILES:
        sys.stderr.write("usage: python -m aione.data.tick_snapshot {um|spot} EXCHANGE_INFO_JSON OUT_JSON\n")
        return 2
    market, src, dst = args
    payload = json.loads(Path(src).read_text(encoding="utf-8"))
    source = f"{SNAPSHOT_ENDPOINTS[market]}, recorded response {Path(src).name}"
    snap = snapshot_from_exchange_info(payload, market, source)
    Path(dst).write_text(json.dumps(snap, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "SNAPSHOT_ENDPOINTS",
    "SNAPSHOT_FILES",
    "SNAPSHOT_SCHEMA",
    "TickSnapshot",
    "load_tick_snapshot",
    "main",
    "parse_snapshot",
    "recorded_ticks",
    "snapshot_from_exchange_info",
]
