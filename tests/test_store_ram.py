"""RAM-шар сховища: кільцевий буфер, apply/put_bars, перевірка на вході, зрізи без копій."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.config.config import SymbolInfo
from aione.data.bars import BAR_COLUMNS, Bar, BarArrays, BarEvent, read_bars_parquet
from aione.data.ring_buffer import BarRing
from aione.data.unified_store import UnifiedDataStore

ROW_BYTES = 8 * len(BAR_COLUMNS)  # байтів на рядок кільця: усі стовпці по 8 байтів

MIN = 60_000


def mk(i: int, price: float = 100.0, closed: bool = True, **kw: float) -> Bar:
    """Бар номер i (час i хвилин), ціни навколо `price`."""
    fields = {
        "open": price,
        "high": price + 1.0,
        "low": price - 1.0,
        "close": price + 0.5,
        "volume": 10.0 + i,
        "quote_volume": (10.0 + i) * price,
        "taker_buy_volume": 5.0,
    }
    fields.update(kw)
    return Bar(open_time=i * MIN, trades=i, closed=closed, **fields)  # type: ignore[arg-type]


def ev(bar: Bar, symbol: str = "BTCUSDT", tf: str = "1m") -> BarEvent:
    return BarEvent(symbol, tf, bar)


# ── Кільцевий буфер ──
@settings(max_examples=40, deadline=None)
@given(capacity=st.integers(1, 50), n=st.integers(0, 400), slack=st.integers(1, 60))
def test_ring_matches_reference_list(capacity: int, n: int, slack: int) -> None:
    ring = BarRing(capacity, slack=slack)
    ref: list[Bar] = []
    for i in range(n):
        ring.append(mk(i, price=100.0 + i))
        ref.append(mk(i, price=100.0 + i))
        ref = ref[-capacity:]
    view = ring.view()
    assert len(ring) == len(ref) == len(view)
    assert view.open_time.tolist() == [b.open_time for b in ref]
    assert view.close.tolist() == [b.close for b in ref]
    assert view.trades.tolist() == [b.trades for b in ref]
    assert ring.nbytes() <= ring.rows_max * ROW_BYTES


def test_ring_memory_bounded_and_views_contiguous() -> None:
    ring = BarRing(1440)
    for i in range(5000):
        ring.append(mk(i))
    assert ring.nbytes() == ring.rows_max * ROW_BYTES < 2 * 1440 * ROW_BYTES
    view = ring.view(100)
    assert all(col.flags.c_contiguous for col in view)
    assert view.open_time[0] == (5000 - 100) * MIN


def test_open_bar_survives_append_of_older_closed_bar() -> None:
    ring = BarRing(10, slack=1)
    ring.append(mk(0))
    ring.set_open(mk(2, closed=False))
    ring.append(mk(1))  # закрився бар 1, відкритий 2 лишається
    assert ring.open_bar is not None and ring.open_bar.open_time == 2 * MIN
    assert ring.view(include_open=True).open_time.tolist() == [0, MIN, 2 * MIN]
    ring.append(mk(2))
    assert ring.open_bar is None


# ── apply ──
def test_apply_closed_and_open_bars() -> None:
    store = UnifiedDataStore()
    for i in range(5):
        assert store.apply(ev(mk(i)))
    assert store.apply(ev(mk(5, price=200.0, closed=False)))
    assert store.apply(ev(mk(5, price=201.0, closed=False)))  # заміщення відкритого
    assert store.bar_count("BTCUSDT", "1m") == 5
    assert store.last_closed_time("BTCUSDT", "1m") == 4 * MIN
    ob = store.open_bar("BTCUSDT", "1m")
    assert ob is not None and ob.open == 201.0 and not ob.closed
    with_open = store.get_bars("BTCUSDT", "1m", include_open=True)
    assert len(with_open) == 6 and with_open.open[-1] == 201.0
    assert len(store.get_bars("BTCUSDT", "1m", 3)) == 3
    assert store.apply(ev(mk(5, price=202.0)))  # бар закрився
    assert store.open_bar("BTCUSDT", "1m") is None
    last = store.last_closed("BTCUSDT", "1m")
    assert last is not None and last.open == 202.0 and last.closed
    assert store.stats.accepted == 6 and store.stats.open_updates == 2
    assert store.symbols("1m") == ["BTCUSDT"] and store.symbols("1d") == []


@pytest.mark.parametrize(
    ("bar", "reason"),
    [
        (mk(10, high=99.0), "bad_ohlc"),  # high < max(open, close)
        (mk(10, low=100.2), "bad_ohlc"),  # low > min(open, close)
        (mk(10, close=math.nan), "non_finite"),
        (mk(10, volume=math.inf), "non_finite"),
        (mk(10, taker_buy_volume=-math.inf), "non_finite"),
        (mk(10, volume=-1.0), "bad_value"),
        (mk(10, low=0.0, open=0.0), "bad_value"),
        (mk(3), "stale"),
        (mk(4), "duplicate"),
        (mk(4, closed=False), "stale"),
    ],
)
def test_apply_rejects_bad_bars_and_keeps_state(bar: Bar, reason: str) -> None:
    store = UnifiedDataStore()
    for i in range(5):
        store.apply(ev(mk(i)))
    before = [np.copy(c) for c in store.get_bars("BTCUSDT", "1m")]
    assert not store.apply(ev(bar))
    assert store.stats.rejected == {reason: 1}
    after = store.get_bars("BTCUSDT", "1m")
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(before, after, strict=True))
    assert store.open_bar("BTCUSDT", "1m") is None


def test_apply_rejects_older_open_update_and_unknown_timeframe() -> None:
    store = UnifiedDataStore()
    store.apply(ev(mk(0)))
    assert store.apply(ev(mk(2, closed=False)))
    assert not store.apply(ev(mk(1, closed=False)))
    assert not store.apply(ev(mk(3), tf="7m"))
    assert store.stats.rejected == {"stale": 1, "bad_timeframe": 1}
    assert store.open_bar("BTCUSDT", "1m") == mk(2, closed=False)


def test_gap_is_counted_but_accepted() -> None:
    store = UnifiedDataStore()
    store.apply(ev(mk(0)))
    assert store.apply(ev(mk(5)))
    assert store.stats.gaps == 1


def test_views_are_read_only() -> None:
    store = UnifiedDataStore()
    for i in range(3):
        store.apply(ev(mk(i)))
    view = store.get_bars("BTCUSDT", "1m")
    with pytest.raises(ValueError):
        view.close[0] = 1.0
    assert len(store.get_bars("NOPE", "1m")) == 0


# ── put_bars ──
def test_put_bars_validates_merges_and_trims(data_1m) -> None:  # type: ignore[no-untyped-def]
    real = read_bars_parquet(data_1m / "ETHUSDT.parquet").slice(0, 3000)
    store = UnifiedDataStore(capacity={"1m": 1000})
    # пакет із поганими рядками: NaN, зламаний high, повтор часу
    close = np.array(real.close[:500], copy=True)
    close[10] = np.nan
    high = np.array(real.high[:500], copy=True)
    high[20] = real.low[20] - 1.0
    part = real.slice(0, 500)
    batch = BarArrays(part.open_time, part.open, high, part.low, close, *part[5:])
    assert store.put_bars("ETHUSDT", "1m", batch) == 498
    assert store.stats.rejected == {"non_finite": 1, "bad_ohlc": 1}
    # перекриття з уже збереженим пропускається; нове додається
    assert store.put_bars("ETHUSDT", "1m", real.slice(400, 1200)) == 700
    assert store.stats.bulk_overlap == 100
    # заповнення пропусків (рядки 10 і 20 були відкинуті)
    assert store.put_bars("ETHUSDT", "1m", [real.bar(10), real.bar(20), real.bar(10)]) == 0  # старші за вікно
    got = store.get_bars("ETHUSDT", "1m")
    assert len(got) == 1000
    assert np.array_equal(got.open_time, real.open_time[200:1200])
    assert np.array_equal(got.close, real.close[200:1200])
    assert store.stats.rejected["duplicate"] == 1


def test_put_bars_fills_a_gap_in_the_middle(data_1m) -> None:  # type: ignore[no-untyped-def]
    real = read_bars_parquet(data_1m / "SOLUSDT.parquet").slice(0, 300)
    store = UnifiedDataStore()
    keep = np.r_[0:100, 150:300]
    store.put_bars("SOLUSDT", "1m", BarArrays(*(col[keep] for col in real)))
    assert store.bar_count("SOLUSDT", "1m") == 250
    assert store.put_bars("SOLUSDT", "1m", real.slice(90, 160)) == 50
    got = store.get_bars("SOLUSDT", "1m")
    assert np.array_equal(got.open_time, real.open_time) and np.array_equal(got.volume, real.volume)


def test_put_bars_then_live_apply_continues(data_1m) -> None:  # type: ignore[no-untyped-def]
    real = read_bars_parquet(data_1m / "BTCUSDT.parquet").slice(0, 2000)
    store = UnifiedDataStore()
    store.put_bars("BTCUSDT", "1m", real.slice(0, 1440))
    for i in range(1440, 2000):
        assert store.apply(ev(real.bar(i)))
    got = store.get_bars("BTCUSDT", "1m")
    assert np.array_equal(got.close, real.close[2000 - 1440 : 2000])
    assert store.memory_bytes() < 150_000


def test_symbol_info_roundtrip() -> None:
    store = UnifiedDataStore()
    info = SymbolInfo(symbol="BTCUSDT", tick_size=0.1, step_size=0.001, min_notional=5.0)
    store.set_symbol_info(info)
    assert store.get_symbol_info("BTCUSDT") == info
    assert store.get_symbol_info("ETHUSDT") is None
