"""Сховище деривативних рядів: межа пам'яті, перевірка книги на вході, свіжість, вікна, parquet."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from aione.data.deriv_disk import day_path, flush_store, read_series_days, restore_store, write_series_days
from aione.data.deriv_series import SeriesRing
from aione.data.deriv_store import DerivStore, DerivWindows, ram_bytes
from aione.exchange.deriv_parsers import (
    BookSnapshot,
    Liquidation,
    MarkFunding,
    OpenInterestPoint,
    parse_depth_snapshot,
)

T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


def _book(
    bids: list[tuple[float, float]], asks: list[tuple[float, float]], uid: int = 1, t: int = T0
) -> BookSnapshot:
    b = np.array(bids, dtype=np.float64).reshape(-1, 2)
    a = np.array(asks, dtype=np.float64).reshape(-1, 2)
    return BookSnapshot("BTCUSDT", b, a, uid, t)


GOOD = ([(100.0, 2.0), (99.5, 1.0)], [(100.5, 1.0), (101.0, 3.0)])


def _mark(t: int, rate: float = 0.0001) -> MarkFunding:
    return MarkFunding("BTCUSDT", 100.0, 99.9, rate, T0 + 8 * 3_600_000, t)


def _liq(t: int, side: str = "SELL") -> Liquidation:
    return Liquidation("BTCUSDT", side, 100.0, 100.0, 2.0, 2.0, "FILLED", t, t)  # type: ignore[arg-type]


# ── Книга на вході ──
@pytest.mark.parametrize(
    ("bids", "asks", "reason"),
    [
        ([(101.0, 1.0)], [(100.0, 1.0)], "crossed"),
        ([(100.0, 1.0)], [(100.0, 1.0)], "crossed"),  # «замкнена» книга
        ([(99.0, 1.0), (100.0, 1.0)], [(101.0, 1.0)], "inverted"),
        ([(100.0, 1.0)], [(102.0, 1.0), (101.0, 1.0)], "inverted"),
        ([], [(101.0, 1.0)], "empty"),
        ([(100.0, math.nan)], [(101.0, 1.0)], "non_finite"),
        ([(100.0, 1.0)], [(0.0, 1.0)], "bad_value"),
    ],
)
def test_bad_book_rejected_and_counted(bids: list, asks: list, reason: str) -> None:
    store = DerivStore()
    assert store.apply_book(_book(*GOOD, uid=1))
    assert not store.apply_book(_book(bids, asks, uid=2, t=T0 + 100))
    assert store.stats.rejected == {f"book.{reason}": 1}
    assert store.book("BTCUSDT") is not None and store.book("BTCUSDT").update_id == 1  # type: ignore[union-attr]


def test_older_update_id_rejected_and_book_metrics_recorded() -> None:
    store = DerivStore()
    assert store.apply_book(_book(*GOOD, uid=10))
    assert not store.apply_book(_book(*GOOD, uid=9, t=T0 + 1_000))
    assert store.stats.rejected == {"book.out_of_order": 1}
    ring = store.series("BTCUSDT", "book")
    assert ring is not None and len(ring) == 1
    assert ring.last("mid") == 100.25
    # смуга ±1 % від 100.25: усі рівні; bid = 100·2 + 99.5·1, ask = 100.5 + 303
    assert ring.last("bid_usd") == 299.5 and ring.last("ask_usd") == 403.5
    assert math.isclose(ring.last("imbalance"), (299.5 - 403.5) / 703.0)


def test_stale_book_reported_as_stale() -> None:
    store = DerivStore(DerivWindows(book_stale_ms=5_000))
    assert store.book_status("BTCUSDT", T0).state == "missing"
    store.apply_book(_book(*GOOD))
    assert store.book_status("BTCUSDT", T0 + 4_000).fresh
    status = store.book_status("BTCUSDT", T0 + 6_000)
    assert status.state == "stale" and status.age_ms == 6_000
    assert store.fresh_book("BTCUSDT", T0 + 6_000) is None
    assert store.fresh_book("BTCUSDT", T0 + 1_000) is not None


def test_spot_partial_book_uses_receive_time(binance_fixtures: Path) -> None:
    line = (binance_fixtures / "spot_http_depth_2021-10-12.txt").read_text().splitlines()[0]
    payload = json.loads(line.split(" -> ", 1)[1].split(": ", 1)[1])
    book = parse_depth_snapshot(payload, "NKNUSDT")
    assert isinstance(book, BookSnapshot) and book.event_time == 0
    store = DerivStore()
    assert not store.apply_book(book)  # без часу біржі й без часу отримання — не приймається
    assert store.apply_book(book, recv_ms=1633998512320)
    kept = store.book("NKNUSDT")
    assert kept is not None and kept.bids.shape[0] == 100  # з 609 рівнів лишається book_levels
    assert store.book_status("NKNUSDT", 1633998513000).fresh


# ── Межа пам'яті ──
def test_memory_is_bounded_by_windows() -> None:
    w = DerivWindows(book_points=50, oi_points=40, mark_points=30, liq_points=20, book_levels=5)
    store = DerivStore(w)
    for i in range(2_000):
        t = T0 + i * 60_000
        store.apply_open_interest(OpenInterestPoint("BTCUSDT", t, 1000.0 + i))
        store.apply_mark(_mark(t))
        store.apply_liquidation(_liq(t))
        store.apply_book(_book(*GOOD, uid=i + 1, t=t))
    lens = {k: len(store.series("BTCUSDT", k)) for k in ("book", "oi", "mark", "liq")}  # type: ignore[arg-type]
    assert lens == {"book": 50, "oi": 40, "mark": 30, "liq": 20}
    assert store.ram_bytes("BTCUSDT") <= ram_bytes(w)
    assert store.series("BTCUSDT", "oi").last("open_interest") == 2999.0  # type: ignore[union-attr]


def test_default_windows_fit_400_kb_per_symbol() -> None:
    assert ram_bytes() < 400 * 1024
    store = DerivStore()
    w = store.windows
    for i in range(max(w.book_points, w.oi_points, w.mark_points, w.liq_points) + 50):
        t = T0 + i * 60_000
        store.apply_open_interest(OpenInterestPoint("ETHUSDT", t, 1.0))
        store.apply_mark(MarkFunding("ETHUSDT", 10.0, 10.0, 0.0, 0, t))
        store.apply_liquidation(Liquidation("ETHUSDT", "BUY", 10.0, 10.0, 1.0, 1.0, "FILLED", t, t))
    assert 0 < store.ram_bytes("ETHUSDT") <= ram_bytes()


def test_symbol_count_is_bounded() -> None:
    store = DerivStore(max_symbols=2)
    for s in ("A", "B", "C"):
        store.apply_open_interest(OpenInterestPoint(s, T0, 1.0))
    assert store.symbols() == ["A", "B"] and store.stats.rejected == {"oi.too_many_symbols": 1}


# ── Ряди і вікна ──
def test_oi_series_window_queries_without_lookahead() -> None:
    store = DerivStore()
    for i in range(10):
        assert store.apply_open_interest(OpenInterestPoint("BTCUSDT", T0 + i * 60_000, 100.0 + i))
    assert not store.apply_open_interest(OpenInterestPoint("BTCUSDT", T0, 5.0))  # старіший час
    assert store.apply_open_interest(OpenInterestPoint("BTCUSDT", T0 + 9 * 60_000, 120.0))  # той самий час
    ring = store.series("BTCUSDT", "oi")
    assert ring is not None and len(ring) == 10 and ring.last("open_interest") == 120.0
    assert ring.value_at("open_interest", T0 + 3 * 60_000 + 59_999) == 103.0
    assert math.isnan(ring.value_at("open_interest", T0 - 1))
    t, v = ring.since(T0 + 7 * 60_000, "open_interest")
    assert t.tolist() == [T0 + 7 * 60_000, T0 + 8 * 60_000, T0 + 9 * 60_000] and v.tolist() == [
        107.0,
        108.0,
        120.0,
    ]
    assert not v.flags.writeable
    assert store.stats.rejected == {"oi.out_of_order": 1} and store.stats.replaced == 1
    assert not store.apply_open_interest(OpenInterestPoint("BTCUSDT", T0 + 10**7, math.nan))


def test_mark_is_thinned_to_one_point_per_minute() -> None:
    store = DerivStore()
    for s in range(180):  # три хвилини щосекундних markPrice
        store.apply_mark(_mark(T0 - T0 % 60_000 + s * 1_000, rate=s * 1e-6))
    ring = store.series("BTCUSDT", "mark")
    assert ring is not None and len(ring) == 3
    assert ring.column("funding_rate").tolist() == pytest.approx([59e-6, 119e-6, 179e-6])


def test_liquidations_keep_equal_times_and_forget_old() -> None:
    store = DerivStore(DerivWindows(liq_window_ms=3_600_000))
    store.apply_liquidation(_liq(T0))
    store.apply_liquidation(_liq(T0, "BUY"))  # той самий час — окрема подія
    ring = store.series("BTCUSDT", "liq")
    assert ring is not None and len(ring) == 2 and ring.column("side").tolist() == [-1.0, 1.0]
    store.apply_liquidation(_liq(T0 + 2 * 3_600_000))
    assert len(ring) == 1 and ring.last("notional") == 200.0


def test_series_ring_wraps_and_keeps_latest() -> None:
    ring = SeriesRing(("x",), 5)
    for i in range(100):
        ring.append(i, (float(i),))
    assert ring.times().tolist() == [95, 96, 97, 98, 99] and ring.column("x").tolist() == [
        95.0,
        96.0,
        97.0,
        98.0,
        99.0,
    ]
    assert ring.nbytes() <= SeriesRing.nbytes_at_capacity(1, 5)


# ── Parquet ──
def test_parquet_by_day_roundtrip_and_merge(tmp_path: Path) -> None:
    store = DerivStore()
    day = 86_400_000
    start = T0 - T0 % day + day - 3 * 60_000  # три хвилини до півночі UTC
    for i in range(6):
        store.apply_open_interest(OpenInterestPoint("BTCUSDT", start + i * 60_000, 10.0 + i, 1e6))
        store.apply_mark(_mark(start + i * 60_000))
    assert flush_store(store, tmp_path) == 4  # 2 ряди × 2 доби
    assert day_path(tmp_path, "oi", "2023-11-14", "BTCUSDT").exists()
    assert day_path(tmp_path, "oi", "2023-11-15", "BTCUSDT").exists()
    assert not list(tmp_path.rglob("*.tmp"))
    cols = read_series_days(tmp_path, "oi", "BTCUSDT")
    assert cols["open_interest"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    # новий шматок заміщує рядки свого проміжку і не чіпає решту
    write_series_days(tmp_path, "oi", "BTCUSDT", {"ts": np.array([start + 60_000]), "open_interest": np.array([99.0]),
                                                  "value": np.array([1.0])})  # fmt: skip
    cols = read_series_days(tmp_path, "oi", "BTCUSDT", start_ms=start, end_ms=start + 2 * 60_000)
    assert cols["open_interest"].tolist() == [10.0, 99.0, 12.0]
    fresh = DerivStore()
    assert restore_store(fresh, tmp_path, ["BTCUSDT"]) == 12
    assert fresh.series("BTCUSDT", "oi").last("open_interest") == 15.0  # type: ignore[union-attr]
