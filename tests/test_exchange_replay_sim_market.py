"""Реплей записаних барів і чиста модель ринку симулятора."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aione.data.bars import read_bars_parquet
from aione.exchange.endpoints import SPOT_SPEC, UM_SPEC
from aione.exchange.replay import iter_replay
from aione.exchange.sim_market import BarState, SimMarket, VirtualClock, alias_names, load_market_series

SYMS = ["ADAUSDT", "BTCUSDT", "ETHUSDT"]


# ── Реплей ──
def test_replay_merges_in_time_then_symbol_order(data_1m: Path) -> None:
    start = 1_746_814_680_000  # ADAUSDT починається тут
    events = list(
        iter_replay(
            data_1m,
            symbols=["ETHUSDT", "ADAUSDT", "BTCUSDT"],
            start_ms=start - 120_000,
            end_ms=start + 120_000,
        )
    )
    keys = [(e.bar.open_time, e.symbol) for e in events]
    assert keys == sorted(keys)
    assert [k for k in keys if k[0] < start] == [(start - 120_000, "BTCUSDT"), (start - 120_000, "ETHUSDT"),
                                                  (start - 60_000, "BTCUSDT"), (start - 60_000, "ETHUSDT")]  # fmt: skip
    assert keys[-1] == (start + 120_000, "ETHUSDT")  # межі включно
    assert all(e.bar.closed and e.timeframe == "1m" and e.recv_ts == 0.0 for e in events)
    btc = read_bars_parquet(data_1m / "BTCUSDT.parquet")
    i = int(np.searchsorted(btc.open_time, start))
    bar = next(e.bar for e in events if e.symbol == "BTCUSDT" and e.bar.open_time == start)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        btc.open[i], btc.high[i], btc.low[i], btc.close[i], btc.volume[i],
    )  # fmt: skip
    again = [(e.symbol, e.bar) for e in iter_replay(data_1m, symbols=["BTCUSDT", "ADAUSDT", "ETHUSDT"],
                                                    start_ms=start - 120_000, end_ms=start + 120_000)]  # fmt: skip
    assert again == [(e.symbol, e.bar) for e in events]


def test_replay_5m_timeframe_and_missing_symbol(data_5m: Path) -> None:
    first = next(iter_replay(data_5m, symbols=["BTCUSDT"]))
    assert first.timeframe == "5m"
    with pytest.raises(FileNotFoundError):
        next(iter_replay(data_5m, symbols=["NOPEUSDT"]))


# ── Модель ринку ──
@pytest.fixture(scope="module")
def market(data_1m: Path) -> SimMarket:
    return SimMarket(load_market_series(data_1m, SYMS, aliases=4), UM_SPEC, updates_per_bar=4)


def test_aliases_replay_recorded_series(market: SimMarket) -> None:
    assert alias_names(["BTCUSDT", "ETHUSDT"], 3) == [
        ("BTCX1USDT", "BTCUSDT"),
        ("ETHX1USDT", "ETHUSDT"),
        ("BTCX2USDT", "BTCUSDT"),
    ]
    assert set(market.series) == {*SYMS, "ADAX1USDT", "BTCX1USDT", "ETHX1USDT", "ADAX2USDT"}
    assert market.series["BTCX1USDT"].bars is market.series["BTCUSDT"].bars


def test_intra_bar_updates_converge_to_recorded_bar(market: SimMarket) -> None:
    bars = market.series["BTCUSDT"].bars
    for i in range(2000, 2040):
        parts = [market.partial("BTCUSDT", BarState(i, k)) for k in range(1, 5)]
        assert parts[-1][:5] == (bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i])
        highs, lows, vols = [p[1] for p in parts], [p[2] for p in parts], [p[4] for p in parts]
        assert highs == sorted(highs) and lows == sorted(lows, reverse=True) and vols == sorted(vols)
        assert all(p[2] <= p[3] <= p[1] and p[2] <= p[0] <= p[1] for p in parts)


def test_klines_never_leak_the_future_and_aggregate_days(market: SimMarket) -> None:
    bars = market.series["BTCUSDT"].bars
    now = int(bars.open_time[3000]) + 20_000  # бар 3000 відкритий, крок 1 з 4
    rows = market.kline_rows("BTCUSDT", 60_000, now, limit=10)
    assert rows[-1][0] == bars.open_time[3000] and rows[-1][6] >= now  # останній — ще не закритий
    assert float(rows[-1][5]) == pytest.approx(bars.volume[3000] / 4)
    assert [r[0] for r in rows] == bars.open_time[2991:3001].tolist()
    assert float(rows[-2][4]) == bars.close[2999]
    page = market.kline_rows("BTCUSDT", 60_000, now, start=int(bars.open_time[100]) - 1, limit=5)
    assert [r[0] for r in page] == bars.open_time[100:105].tolist()
    days = market.kline_rows("BTCUSDT", 86_400_000, now, limit=3)
    day_start = days[-2][0]
    sel = (bars.open_time >= day_start) & (bars.open_time < day_start + 86_400_000)
    assert float(days[-2][2]) == bars.high[sel].max() and float(days[-2][3]) == bars.low[sel].min()
    assert float(days[-2][5]) == pytest.approx(bars.volume[sel].sum())
    assert days[-1][0] <= now < days[-1][6]
    assert market.kline_rows("ADAUSDT", 60_000, int(bars.open_time[0])) == []  # ADA ще не торгується


def test_steps_between_and_payloads(market: SimMarket) -> None:
    steps = market.steps_between("BTCUSDT", BarState(5, 3), BarState(7, 1))
    assert [(s.index, s.k) for s in steps] == [(5, 4), (6, 1), (6, 2), (6, 3), (6, 4), (7, 1)]
    payload = market.kline_payload("BTCUSDT", BarState(5, 4), 1)
    assert payload["k"]["x"] is True and isinstance(payload["k"]["o"], str)
    spot = SimMarket(market.series, SPOT_SPEC)
    assert "e" not in spot.book_payload("BTCUSDT", BarState(5, 2), 1)
    assert market.book_payload("BTCUSDT", BarState(5, 2), 1)["e"] == "bookTicker"


def test_virtual_clock_stops_at_end() -> None:
    clock = VirtualClock(1_000, speed=1e9, end_ms=5_000)
    assert clock() == 5_000
    assert VirtualClock(0, 60.0).wall_seconds(60_000) == 1.0
