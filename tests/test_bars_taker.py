"""Колонки тейкера й угод у барах: є, коли їх дало джерело, відсутні (NaN / −1), коли ні — не вигадані."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import lz4.block
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from aione.data.bar_codec import decode_bars, encode_bars
from aione.data.bar_validation import check_values, value_reasons
from aione.data.bars import TRADES_UNKNOWN, Bar, BarArrays, BarEvent, read_bars_parquet
from aione.data.disk_layer import write_bars_atomic
from aione.data.ram_store import RamStore
from aione.data.resample import DailyAggregator, resample_daily
from aione.exchange.rest_parsers import parse_klines
from aione.exchange.ws_parser import KlineUpdate, parse_frame


def _rest_rows(binance_fixtures: Path) -> list[list[object]]:
    data = json.loads((binance_fixtures / "rest_samples_ccxt.json").read_text())
    rows: list[list[object]] = data["fetchOHLCV_swap_BTCUSDT_1m_limit3"]
    return rows


def test_rest_klines_to_store_to_parquet_and_back(binance_fixtures: Path, tmp_path: Path) -> None:
    rows = _rest_rows(binance_fixtures)
    bars = parse_klines(rows, now_ms=2**62)
    assert [b.taker_buy_quote for b in bars] == [float(r[10]) for r in rows]  # type: ignore[arg-type]
    assert [b.trades for b in bars] == [int(r[8]) for r in rows]  # type: ignore[call-overload]
    store = RamStore()
    assert store.put_bars("BTCUSDT", "1m", bars) == 3
    got = store.get_bars("BTCUSDT", "1m")
    assert got.taker_buy_base.tolist() == [float(r[9]) for r in rows]  # type: ignore[arg-type]
    assert got.taker_buy_quote.tolist() == [float(r[10]) for r in rows]  # type: ignore[arg-type]
    path = tmp_path / "BTCUSDT.parquet"
    write_bars_atomic(path, got)
    assert "taker_buy_quote" in pq.read_schema(path).names
    back = read_bars_parquet(path)
    for name in ("trades", "taker_buy_volume", "taker_buy_quote"):
        assert getattr(back, name).tolist() == getattr(got, name).tolist(), name
    restored = decode_bars(encode_bars(back))  # і через блок Redis
    assert restored.taker_buy_quote.tolist() == back.taker_buy_quote.tolist()


def test_ws_kline_keeps_taker_quote_and_missing_q_is_unknown() -> None:
    k = {"t": 60_000, "T": 119_999, "s": "BTCUSDT", "i": "1m", "o": "10", "c": "11", "h": "12", "l": "9",
         "v": "5", "n": 7, "x": True, "q": "52", "V": "3", "Q": "31.5"}  # fmt: skip
    msg = parse_frame(orjson.dumps({"e": "kline", "E": 120_000, "s": "BTCUSDT", "k": k}))
    assert isinstance(msg, KlineUpdate)
    assert (msg.bar.trades, msg.bar.taker_buy_volume, msg.bar.taker_buy_quote) == (7, 3.0, 31.5)
    del k["Q"]
    msg = parse_frame(orjson.dumps({"e": "kline", "E": 120_000, "s": "BTCUSDT", "k": k}))
    assert isinstance(msg, KlineUpdate) and math.isnan(msg.bar.taker_buy_quote)


def test_bars_only_parquet_loads_with_columns_absent(data_1m: Path, tmp_path: Path) -> None:
    src = data_1m / "BTCUSDT.parquet"
    assert set(pq.read_schema(src).names) == {"open_time", "open", "high", "low", "close", "volume"}
    bars = read_bars_parquet(src)
    assert (bars.trades == TRADES_UNKNOWN).all()
    assert np.isnan(bars.taker_buy_volume).all() and np.isnan(bars.taker_buy_quote).all()
    store = RamStore()  # сховище приймає «невідомо» — це не вада бару
    assert store.put_bars("BTCUSDT", "1m", bars.slice(0, 100)) == 100 and not store.stats.rejected
    assert store.apply(BarEvent("BTCUSDT", "1m", bars.bar(100)))
    assert math.isnan(store.last_closed("BTCUSDT", "1m").taker_buy_quote)  # type: ignore[union-attr]
    # Чужий файл із синонімом і null: синонім прочитано, null — невідомо.
    table = pq.read_table(src).slice(0, 3)
    table = table.append_column("taker_buy_base", pa.array([1.0, None, 2.0])).append_column(
        "count", pa.array([5, None, 6], type=pa.int64())
    )
    pq.write_table(table, tmp_path / "X.parquet")
    other = read_bars_parquet(tmp_path / "X.parquet")
    assert other.taker_buy_volume[[0, 2]].tolist() == [1.0, 2.0] and math.isnan(other.taker_buy_volume[1])
    assert other.trades.tolist() == [5, TRADES_UNKNOWN, 6]


def test_unknown_propagates_through_daily_resample(data_1m: Path) -> None:
    bars = read_bars_parquet(data_1m / "ETHUSDT.parquet").slice(0, 3000)
    cols = list(bars)
    cols[7] = np.full(len(bars), 4, dtype=np.int64)
    cols[8] = np.full(len(bars), 1.0)
    cols[9] = np.full(len(bars), 2.0)
    cols[7][1500] = TRADES_UNKNOWN  # одна невідома хвилина робить невідомою свою добу, і лише її
    cols[9][1500] = math.nan
    known = BarArrays(*cols)
    days = resample_daily(known)
    bad_day = int(np.searchsorted(days.open_time, known.open_time[1500], side="right")) - 1
    for i in range(len(days)):
        unknown = i == bad_day
        assert (days.trades[i] == TRADES_UNKNOWN) == unknown and math.isnan(
            days.taker_buy_quote[i]
        ) == unknown
        assert days.taker_buy_volume[i] > 0
    agg = DailyAggregator()
    closed = [d for d in (agg.push(known.bar(i)) for i in range(len(known))) if d is not None]
    assert closed[bad_day].trades == TRADES_UNKNOWN and closed[0].trades == days.trades[0]


def test_validation_allows_unknown_but_not_inf_or_negative() -> None:
    base = Bar(0, 10.0, 11.0, 9.0, 10.5, 5.0, 50.0, TRADES_UNKNOWN, math.nan, True, math.nan)
    assert check_values(base) is None
    assert check_values(Bar(0, 10.0, 11.0, 9.0, 10.5, 5.0, 50.0, 3, math.inf, True)) == "non_finite"
    assert check_values(Bar(0, 10.0, 11.0, 9.0, 10.5, 5.0, 50.0, 3, 1.0, True, -1.0)) == "bad_value"
    assert check_values(Bar(0, 10.0, 11.0, 9.0, 10.5, 5.0, 50.0, -2, 1.0, True)) == "bad_value"
    arrays = BarArrays(
        np.arange(3, dtype=np.int64),
        *(np.full(3, v) for v in (10.0, 11.0, 9.0, 10.5, 5.0, 50.0)),
        np.array([TRADES_UNKNOWN, -2, 1], dtype=np.int64),
        np.array([math.nan, 1.0, -math.inf]),
    )
    masks = value_reasons(arrays)
    assert masks["bad_value"].tolist() == [False, True, False]
    assert masks["non_finite"].tolist() == [False, False, True]
    assert Bar(0, 1.0, 1.0, 1.0, 1.0, 1.0) == Bar(0, 1.0, 1.0, 1.0, 1.0, 1.0)  # NaN-поля не ламають рівність


def test_legacy_nine_column_redis_block_decodes_with_quote_absent() -> None:
    n = 2
    cols = [np.array([60_000, 60_000], dtype="<i8")] + [np.full(n, 1.0, dtype="<f8") for _ in range(6)]
    cols += [np.array([3, 4], dtype="<i8"), np.full(n, 0.5, dtype="<f8")]
    body = lz4.block.compress(b"".join(c.tobytes() for c in cols), store_size=False)
    old = decode_bars(struct.pack("<4sI", b"AIB1", n) + body)
    assert old.open_time.tolist() == [60_000, 120_000] and old.trades.tolist() == [3, 4]
    assert old.taker_buy_volume.tolist() == [0.5, 0.5] and np.isnan(old.taker_buy_quote).all()
