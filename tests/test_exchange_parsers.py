"""Розбір записаних відповідей REST і кадрів WS Binance (fixtures), погані payload-и."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.exchange.endpoints import SPOT_SPEC, UM_SPEC, market_spec
from aione.exchange.errors import MalformedFrameError
from aione.exchange.rest_parsers import (
    PayloadError,
    parse_depth,
    parse_exchange_info,
    parse_klines,
    parse_open_interest,
    parse_premium_index,
    parse_ticker_24h,
    parse_weight_limit,
)
from aione.exchange.ws_parser import AggTrade, BookTicker, DepthUpdate, KlineUpdate, MarkPrice, parse_frame


def _session_frames(path: Path) -> tuple[str, list[str]]:
    lines = path.read_text().splitlines()
    frames = [line.split(": ", 1)[1] for line in lines[1:] if line.strip()]
    return lines[0], frames


# ── Таблиця ринків ──
def test_weights_follow_binance_tables() -> None:
    assert [UM_SPEC.klines_weight(n) for n in (1, 99, 100, 499, 500, 1000, 1001, 1500)] == [
        1,
        1,
        2,
        2,
        5,
        5,
        10,
        10,
    ]
    assert [UM_SPEC.depth_weight(n) for n in (5, 50, 100, 500, 1000)] == [2, 2, 5, 10, 20]
    assert [SPOT_SPEC.depth_weight(n) for n in (5, 100, 500, 1000, 5000)] == [5, 5, 25, 50, 250]
    assert SPOT_SPEC.klines_weight(1000) == 2
    assert market_spec("spot").paths["klines"] == "/api/v3/klines"
    with pytest.raises(ValueError):
        market_spec("coinm")


# ── REST ──
@pytest.mark.parametrize(
    ("name", "count", "limit"),
    [("um_exchangeInfo_2021-07-22.json", 122, 2400), ("spot_exchangeInfo_2021-10-12.json", 1695, 1200)],
)
def test_exchange_info_fixtures(binance_fixtures: Path, name: str, count: int, limit: int) -> None:
    payload = json.loads((binance_fixtures / name).read_text())
    infos = parse_exchange_info(payload)
    assert len(infos) == count
    assert parse_weight_limit(payload) == limit
    by_symbol = {i.symbol: i for i in infos}
    if name.startswith("um"):
        btc = by_symbol["BTCUSDT"]
        assert (btc.tick_size, btc.step_size, btc.min_notional, btc.contract_type) == (
            0.01,
            0.001,
            5.0,
            "PERPETUAL",
        )
    else:
        eth = by_symbol["ETHBTC"]
        assert (eth.tick_size, eth.step_size, eth.min_notional, eth.contract_type) == (1e-6, 1e-4, 1e-4, None)
        assert eth.price_precision == 6
    raw = payload["symbols"][0]
    for value in (raw["filters"][0] | {"tickSize": "NaN"}, raw["filters"][0] | {"tickSize": "0"}):
        broken = {"symbols": [raw | {"filters": [value, *raw["filters"][1:]]}]}
        with pytest.raises(PayloadError):
            parse_exchange_info(broken)


def test_rest_samples(binance_fixtures: Path) -> None:
    samples = json.loads((binance_fixtures / "rest_samples_ccxt.json").read_text())
    rows = samples["fetchOHLCV_swap_BTCUSDT_1m_limit3"]
    bars = parse_klines(rows, now_ms=rows[-1][6])  # останній бар ще не закритий на цей момент
    assert [b.open_time for b in bars] == [r[0] for r in rows]
    assert bars[1].low == 70459.4 and bars[1].trades == 9 and bars[1].taker_buy_volume == 0.061
    assert [b.closed for b in bars] == [True, True, False]
    spot_row = samples["fetchOHLCV_spot_BTCUSDT_1h_since1706628191000_limit3"]
    assert parse_klines(spot_row, now_ms=10**15)[0].quote_volume == 891428.4285807
    ticker = parse_ticker_24h([samples["fetchTicker_spot_BTCUSDT_24hr"]])[0]
    assert (ticker.last_price, ticker.price_change_pct, ticker.count) == (73369.84, 1.647, 3187938)
    book = parse_depth(samples["fetchOrderBook_swap_BTCUSDT_limit5"], "BTCUSDT")
    assert book.bids.shape == (2, 2) and book.asks[0, 0] == 42878.0


def test_kline_csv_rows_parse(binance_fixtures: Path) -> None:
    lines = (binance_fixtures / "spot_kline_raw_12col_ADABTC-1m-2021-11-27.csv").read_text().split()
    rows = [[int(x) if i in (0, 6, 8) else x for i, x in enumerate(line.split(","))] for line in lines]
    bars = parse_klines(rows, now_ms=10**15)
    assert len(bars) == len(lines) and all(b.closed for b in bars)
    assert bars[0].close == 0.00002854


@pytest.mark.parametrize("name", ["um_http_depth_2021-07-22.txt", "spot_http_depth_2021-10-12.txt"])
def test_depth_fixtures(binance_fixtures: Path, name: str) -> None:
    for line in (binance_fixtures / name).read_text().splitlines():
        if not line.strip():
            continue
        url, rest = line.split(" -> ", 1)
        payload = json.loads(rest.split(": ", 1)[1])
        book = parse_depth(payload, url.split("symbol=")[1].split("&")[0])
        assert book.bids.shape[0] > 0 and book.bids[0, 0] < book.asks[0, 0]
        mid = (book.bids[0, 0] + book.asks[0, 0]) / 2
        inside = book.bids[book.bids[:, 0] >= mid * 0.99]
        expected = float(np.sum(inside[:, 0] * inside[:, 1]))
        asks = book.asks[book.asks[:, 0] <= mid * 1.01]
        expected += float(np.sum(asks[:, 0] * asks[:, 1]))
        assert book.depth_usd_within(1.0) == pytest.approx(expected)
        assert book.depth_usd_within(0.1) <= book.depth_usd_within(1.0)


def test_documented_shapes_and_bad_values() -> None:
    assert (
        parse_open_interest({"openInterest": "10659.509", "symbol": "BTCUSDT", "time": 1589437530011})
        == 10659.509
    )
    premium = parse_premium_index(
        {
            "symbol": "BTCUSDT",
            "markPrice": "11793.63104562",
            "indexPrice": "11781.80495970",
            "lastFundingRate": "0.00038246",
            "nextFundingTime": 1597392000000,
            "time": 1597370495002,
        }
    )
    assert premium.funding_rate == 0.00038246 and premium.next_funding_time == 1597392000000
    for bad in ({"openInterest": "inf"}, {"openInterest": "-1"}, {}, [], {"openInterest": True}):
        with pytest.raises(PayloadError):
            parse_open_interest(bad)
    good = [1, "1", "2", "0.5", "1.5", "10", 60000, "15", 3, "5", "7", "0"]
    with pytest.raises(PayloadError):
        parse_klines([good, good], now_ms=0)  # не строго зростають
    with pytest.raises(PayloadError):
        parse_klines([good[:5]], now_ms=0)  # обрізаний рядок
    with pytest.raises(PayloadError):
        parse_klines([[*good[:2], "NaN", *good[3:]]], now_ms=0)
    with pytest.raises(PayloadError):
        parse_depth({"bids": [["2", "1"], ["3", "1"]], "asks": []}, "X")  # bids не за спаданням


# ── WS ──
@pytest.mark.parametrize("name", ["um_ws_session_2021-07-22.txt", "spot_ws_session_2021-10-12.txt"])
def test_every_recorded_ws_frame_parses(binance_fixtures: Path, name: str) -> None:
    url, frames = _session_frames(binance_fixtures / name)
    streams = url.split("streams=")[1].split(" ")[0].split("/")
    kinds = {s.split("@", 1)[1] for s in streams}
    seen: dict[type, int] = {}
    for raw in frames:
        msg = parse_frame(raw)
        assert msg is not None
        seen[type(msg)] = seen.get(type(msg), 0) + 1
        data = json.loads(raw)["data"]
        assert msg.symbol == data["s"]
        if isinstance(msg, KlineUpdate):
            assert msg.bar.closed is data["k"]["x"] and msg.bar.close == float(data["k"]["c"])
            assert msg.interval == "1m"
        if isinstance(msg, DepthUpdate):
            assert (msg.prev_final_update_id is None) == name.startswith("spot")
        if isinstance(msg, BookTicker) and name.startswith("spot"):
            assert msg.event_time == 0 and msg.bid == float(data["b"])
    assert set(seen) == {KlineUpdate, BookTicker, AggTrade, DepthUpdate}
    assert len(kinds) == 4
    # сирий (не combined) кадр теж розбирається
    raw_data = json.dumps(json.loads(frames[0])["data"])
    assert type(parse_frame(raw_data)) is type(parse_frame(frames[0]))


def test_mark_price_and_service_frames() -> None:
    frame = '{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"11794.1","i":"11784.6","P":"11784.2","r":"0.00038","T":2}'
    msg = parse_frame(frame)
    assert isinstance(msg, MarkPrice) and msg.mark_price == 11794.1 and msg.funding_rate == 0.00038
    assert parse_frame('{"result":null,"id":1}') is None


@pytest.mark.parametrize(
    "raw",
    [
        "<html>502</html>",
        '{"stream":"x@kline_1m","data":{"e":"kline","E":1,"s":"X","k":{"t":1',
        '{"e":"kline","E":1,"s":"X","k":{"t":0,"T":1,"s":"X","i":"1m","o":"1","c":"1","h":"1","l":"2",'
        '"v":"1","n":1,"x":true,"q":"1","V":"0"}}',
        '{"e":"kline","E":1,"s":"X","k":{"t":0,"T":1,"s":"X","i":"1m","o":"Infinity","c":"1","h":"1","l":"1",'
        '"v":"1","n":1,"x":true,"q":"1","V":"0"}}',
        '{"e":"kline","E":1,"s":"X","k":{"t":0,"T":1,"s":"X","i":"1m","o":"1","c":"1","h":"1","l":"1",'
        '"v":"1","n":1,"x":"true","q":"1","V":"0"}}',
        '{"e":"bookTicker","s":"X"}',
        '{"e":"trade"}',
        b"\xff\xfe",
        "null",
    ],
)
def test_junk_frames_raise_typed_error(raw: str | bytes) -> None:
    with pytest.raises(MalformedFrameError):
        parse_frame(raw)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=64), st.text(max_size=64), _json_values.map(lambda v: json.dumps(v))))
def test_random_junk_never_raises_other_errors(raw: str | bytes) -> None:
    try:
        parse_frame(raw)
    except MalformedFrameError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["o", "h", "l", "c", "v", "q", "V", "n", "t", "x", "i", "s"]),
    _json_values,
)
def test_mutated_kline_field_is_either_valid_or_typed_error(key: str, value: object) -> None:
    k = {"t": 0, "T": 59999, "s": "BTCUSDT", "i": "1m", "o": "1", "c": "1", "h": "2", "l": "1"}
    k |= {"v": "1", "n": 1, "x": False, "q": "1", "V": "0", key: value}
    raw = json.dumps({"stream": "btcusdt@kline_1m", "data": {"e": "kline", "E": 1, "s": "BTCUSDT", "k": k}})
    try:
        msg = parse_frame(raw)
    except MalformedFrameError:
        return
    assert isinstance(msg, KlineUpdate)
    assert all(np.isfinite([msg.bar.open, msg.bar.high, msg.bar.low, msg.bar.close, msg.bar.volume]))
    assert msg.bar.high >= msg.bar.low
