"""Парсери книги, марк-ціни, ліквідацій, OI і aggTrade: записані кадри Binance і сміття."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.deriv_parsers import (
    AggTradeEvent,
    BookSnapshot,
    DepthDiff,
    Liquidation,
    MarkFunding,
    OpenInterestPoint,
    Reject,
    parse_agg_trade,
    parse_depth_diff,
    parse_depth_snapshot,
    parse_force_order,
    parse_mark_price,
    parse_open_interest,
    parse_open_interest_hist,
    parse_partial_depth,
    parse_premium_index,
    parse_stream_frame,
    stream_kind,
)
from aione.exchange.endpoints import SPOT_SPEC, UM_SPEC
from aione.exchange.errors import BadResponseError


# ── Читання записів (формат cryptofeed: `<recv_ts>: <json>`, REST — `<url> -> <recv_ts>: <json>`) ──
def _ws_frames(path: Path) -> list[str]:
    lines = path.read_text().splitlines()
    return [line.split(": ", 1)[1] for line in lines[1:] if line.strip()]


def _http_records(path: Path) -> list[tuple[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        url, rest = line.split(" -> ", 1)
        symbol = url.split("symbol=", 1)[1].split("&", 1)[0]
        out.append((symbol, json.loads(rest.split(": ", 1)[1])))
    return out


def _valid_book(book: BookSnapshot) -> bool:
    b, a = book.bids, book.asks
    return (
        b.shape[1] == 2
        and a.shape[1] == 2
        and bool((b >= 0).all() and (a >= 0).all())
        and (b.shape[0] == 0 or a.shape[0] == 0 or book.best_bid < book.best_ask)
    )


# ── Записані кадри ──
@pytest.mark.parametrize(
    ("name", "diffs", "trades"),
    [("um_ws_session_2021-07-22.txt", 764, 91), ("spot_ws_session_2021-10-12.txt", 177, 2)],
)
def test_every_recorded_depth_and_aggtrade_frame_parses(
    binance_fixtures: Path, name: str, diffs: int, trades: int
) -> None:
    kinds: Counter[str] = Counter()
    for raw in _ws_frames(binance_fixtures / name):
        stream = orjson.loads(raw)["stream"]
        kind = stream_kind(stream)
        event = parse_stream_frame(raw)
        if kind is None:
            assert event is None, stream  # kline і bookTicker — не наші потоки
            continue
        assert not isinstance(event, Reject), (stream, event)
        kinds[type(event).__name__] += 1
        if isinstance(event, DepthDiff):
            assert event.symbol == stream.split("@")[0].upper()
            assert event.first_update_id <= event.final_update_id and event.event_time > 0
            assert (event.prev_final_update_id is None) == name.startswith("spot")
        else:
            assert isinstance(event, AggTradeEvent) and event.price > 0 and event.trade_time > 0
    assert kinds == {"DepthDiff": diffs, "AggTradeEvent": trades}


@pytest.mark.parametrize(
    ("name", "market"), [("um_http_depth_2021-07-22.txt", "um"), ("spot_http_depth_2021-10-12.txt", "spot")]
)
def test_every_recorded_rest_depth_snapshot_parses(binance_fixtures: Path, name: str, market: str) -> None:
    records = _http_records(binance_fixtures / name)
    assert len(records) == 4
    for symbol, payload in records:
        book = parse_depth_snapshot(payload, symbol)
        assert isinstance(book, BookSnapshot), book
        assert book.kind == "rest" and book.symbol == symbol and book.update_id == payload["lastUpdateId"]
        assert book.bids.shape[0] == len(payload["bids"]) > 100 and _valid_book(book)
        assert (book.event_time > 0) == (market == "um")  # spot REST depth не має часу


def test_ccxt_rest_samples_depth_and_aggtrades(binance_fixtures: Path) -> None:
    data = json.loads((binance_fixtures / "rest_samples_ccxt.json").read_text())
    book = parse_depth_snapshot(data["fetchOrderBook_swap_BTCUSDT_limit5"], "BTCUSDT")
    assert isinstance(book, BookSnapshot)
    assert book.update_id == 35263532345 and book.event_time == 1706803917264  # id і час рядками
    assert (book.best_bid, book.best_ask) == (42651.1, 42878.0) and _valid_book(book)
    trades = [parse_agg_trade(raw, "BTCUSDT") for raw in data["fetchTrades_spot_BTCUSDT_aggTrades"]]
    assert len(trades) == 1 and isinstance(trades[0], AggTradeEvent)
    assert trades[0].agg_id == 2913537567 and trades[0].taker_buy and trades[0].qty == 0.00109


def test_diff_and_snapshot_of_the_same_recording_line_up(binance_fixtures: Path) -> None:
    """REST-знімок SUSHIUSDT лягає всередину потоку диференцій того ж запису (як у процедурі
    локальної книги Binance): є перше оновлення з U ≤ lastUpdateId ≤ u, далі ланцюжок `pu` без розривів."""
    snapshot = dict(_http_records(binance_fixtures / "um_http_depth_2021-07-22.txt"))["SUSHIUSDT"]
    last_id = snapshot["lastUpdateId"]
    diffs = [
        e
        for e in (
            parse_stream_frame(raw) for raw in _ws_frames(binance_fixtures / "um_ws_session_2021-07-22.txt")
        )
        if isinstance(e, DepthDiff) and e.symbol == "SUSHIUSDT"
    ]
    start = next(i for i, e in enumerate(diffs) if e.first_update_id <= last_id <= e.final_update_id)
    chain = diffs[start:]
    assert len(chain) > 10
    assert all(
        cur.prev_final_update_id == prev.final_update_id for prev, cur in zip(chain, chain[1:], strict=False)
    )


# ── Документовані форми (записів markPrice, forceOrder і OI у fixtures немає) ──
MARK = {"e": "markPriceUpdate", "E": 1562305380000, "s": "BTCUSDT", "p": "11794.15000000", "i": "11784.62659091",
        "P": "11784.25641265", "r": "0.00038167", "T": 1562306400000}  # fmt: skip
FORCE = {"e": "forceOrder", "E": 1568014460893, "o": {"s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC",
         "q": "0.014", "p": "9910", "ap": "9910", "X": "FILLED", "l": "0.014", "z": "0.014", "T": 1568014460893}}  # fmt: skip
OI = {"openInterest": "10659.509", "symbol": "BTCUSDT", "time": 1589437530011}
OI_HIST = [
    {"symbol": "BTCUSDT", "sumOpenInterest": "20403.63700000", "sumOpenInterestValue": "150570784.07809979",
     "timestamp": 1583128200000},
    {"symbol": "BTCUSDT", "sumOpenInterest": "20401.36700000", "sumOpenInterestValue": "149940752.14464448",
     "timestamp": 1583127900000},
]  # fmt: skip
PREMIUM = {"symbol": "BTCUSDT", "markPrice": "11793.63104562", "indexPrice": "11781.80495970",
           "estimatedSettlePrice": "11781.16138815", "lastFundingRate": "0.00038246",
           "nextFundingTime": 1597392000000, "interestRate": "0.00010000", "time": 1597370495002}  # fmt: skip
FUT_PARTIAL = {"e": "depthUpdate", "E": 1571889248277, "T": 1571889248276, "s": "BTCUSDT", "U": 390497796,
               "u": 390497878, "pu": 390497794, "b": [["7403.89", "0.002"], ["7403.90", "3.906"]][::-1],
               "a": [["7405.96", "3.340"], ["7406.63", "4.525"]]}  # fmt: skip
SPOT_PARTIAL = {"lastUpdateId": 160, "bids": [["0.0024", "10"]], "asks": [["0.0026", "100"]]}


def test_documented_mark_funding_liquidation_and_oi_shapes() -> None:
    mark = parse_mark_price(MARK)
    assert mark == MarkFunding("BTCUSDT", 11794.15, 11784.62659091, 0.00038167, 1562306400000, 1562305380000)
    framed = parse_stream_frame(orjson.dumps({"stream": "btcusdt@markPrice@1s", "data": MARK}))
    assert framed == mark
    premium = parse_premium_index(PREMIUM)
    assert isinstance(premium, MarkFunding) and premium.funding_rate == 0.00038246
    liq = parse_stream_frame(orjson.dumps({"stream": "!forceOrder@arr", "data": FORCE}))
    assert isinstance(liq, Liquidation) and liq.side == "SELL" and liq.filled_qty == 0.014
    assert math.isclose(liq.notional, 9910 * 0.014)
    assert parse_force_order(FORCE) == liq
    assert parse_open_interest(OI) == OpenInterestPoint("BTCUSDT", 1589437530011, 10659.509)
    hist = parse_open_interest_hist(OI_HIST)
    assert isinstance(hist, tuple) and [p.time for p in hist] == [1583127900000, 1583128200000]
    assert hist[1].value == 150570784.07809979


def test_partial_depth_futures_and_spot_shapes() -> None:
    fut = parse_stream_frame(orjson.dumps({"stream": "btcusdt@depth20@100ms", "data": FUT_PARTIAL}))
    assert isinstance(fut, BookSnapshot) and fut.kind == "partial" and fut.update_id == 390497878
    assert (fut.best_bid, fut.best_ask) == (7403.90, 7405.96)
    spot = parse_stream_frame(orjson.dumps({"stream": "bnbbtc@depth10@100ms", "data": SPOT_PARTIAL}))
    assert isinstance(spot, BookSnapshot) and spot.symbol == "BNBBTC" and spot.event_time == 0
    assert parse_partial_depth(SPOT_PARTIAL) == Reject("symbol: expected non-empty string")
    assert stream_kind("btcusdt@depth@100ms") == "depth_diff"
    assert stream_kind("btcusdt@depth5") == "partial_depth"
    assert stream_kind("btcusdt@kline_1m") is None and stream_kind("nonsense") is None


# ── Сміття ──
PARSERS = (
    parse_mark_price,
    parse_premium_index,
    parse_force_order,
    parse_open_interest,
    parse_open_interest_hist,
    parse_depth_diff,
    lambda p: parse_partial_depth(p, "btcusdt"),
    lambda p: parse_depth_snapshot(p, "BTCUSDT"),
    lambda p: parse_agg_trade(p, "BTCUSDT"),
)
SAMPLES: tuple[Any, ...] = (MARK, FORCE, OI, OI_HIST, PREMIUM, FUT_PARTIAL, SPOT_PARTIAL)
JUNK_VALUES: tuple[Any, ...] = ("NaN", "nan", "inf", "-1", "", None, True, [], {}, "1e999", -5, 1.5, "x")


def _mutate(value: Any, rng: random.Random) -> Any:
    """Випадкова вада: не той тип, NaN-рядок, вилучене поле, обрізаний рівень — рекурсивно."""
    if isinstance(value, dict) and value:
        out = dict(value)
        key = rng.choice(list(out))
        if rng.random() < 0.3:
            del out[key]
        else:
            out[key] = _mutate(out[key], rng) if rng.random() < 0.5 else rng.choice(JUNK_VALUES)
        return out
    if isinstance(value, list) and value:
        out_list = list(value)
        i = rng.randrange(len(out_list))
        out_list[i] = _mutate(out_list[i], rng) if rng.random() < 0.6 else rng.choice(JUNK_VALUES)
        return out_list
    return rng.choice(JUNK_VALUES)


def test_seeded_mutations_never_raise() -> None:
    rng = random.Random(16)
    rejected = 0
    for _ in range(3000):
        payload = _mutate(rng.choice(SAMPLES), rng)
        for parse in PARSERS:
            out = parse(payload)  # не кидає
            if isinstance(out, Reject):
                rejected += 1
                assert out.reason
        raw = orjson.dumps({"stream": rng.choice(["x@depth20", "x@depth@100ms", "!forceOrder@arr", "x@markPrice@1s",
                                                  "x@aggTrade"]), "data": payload})  # fmt: skip
        parse_stream_frame(raw)
    assert rejected > 3000


def test_nan_strings_and_negative_values_are_rejected_with_reason() -> None:
    assert parse_mark_price({**MARK, "p": "NaN"}) == Reject("p: non-finite")
    assert parse_open_interest({**OI, "openInterest": "-3"}) == Reject("openInterest: negative")
    assert isinstance(parse_depth_snapshot({**SPOT_PARTIAL, "bids": [["1", "inf"]]}, "X"), Reject)
    assert parse_force_order({**FORCE, "o": {**FORCE["o"], "S": "UP"}}) == Reject("S: expected BUY or SELL")
    assert parse_open_interest_hist({"a": 1}) == Reject("openInterestHist: expected array")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(raw: bytes) -> None:
    out = parse_stream_frame(raw)
    assert out is None or isinstance(out, Reject) or hasattr(out, "symbol")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(list("eEsSpPirTuUbaoqz")), inner)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_never_raises(payload: Any) -> None:
    for parse in PARSERS:
        parse(payload)


# ── REST-клієнт і назви потоків ──
async def test_rest_client_open_interest_calls_against_local_stub() -> None:
    seen: list[tuple[str, dict[str, str]]] = []
    bodies = {"/fapi/v1/openInterest": OI, "/futures/data/openInterestHist": OI_HIST}

    async def handler(request: web.Request) -> web.Response:
        seen.append((request.path, dict(request.query)))
        body = bodies.get(request.path, {"code": -1, "msg": "unknown"})
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with BinanceRestClient(
            str(server.make_url("")).rstrip("/"), max_retries=1, timeout=2.0
        ) as rest:
            point = await rest.open_interest_point("BTCUSDT")
            hist = await rest.open_interest_hist("BTCUSDT", period="5m", limit=2, start_time=1)
            bodies["/futures/data/openInterestHist"] = [{**OI_HIST[0], "sumOpenInterest": "NaN"}]
            with pytest.raises(BadResponseError):
                await rest.open_interest_hist("BTCUSDT")
            with pytest.raises(ValueError):
                await rest.open_interest_hist("BTCUSDT", period="7m")
    finally:
        await server.close()
    assert point == OpenInterestPoint("BTCUSDT", 1589437530011, 10659.509)
    assert [p.open_interest for p in hist] == [20401.367, 20403.637]
    assert seen[1] == ("/futures/data/openInterestHist", {"symbol": "BTCUSDT", "period": "5m", "limit": "2",
                                                          "startTime": "1"})  # fmt: skip


def test_stream_names_per_market() -> None:
    assert UM_SPEC.stream_name("partial_depth", "BTCUSDT", levels=20) == "btcusdt@depth20@100ms"
    assert UM_SPEC.stream_name("mark_price", "ETHUSDT") == "ethusdt@markPrice@1s"
    assert UM_SPEC.stream_name("force_order_all") == "!forceOrder@arr"
    assert stream_kind(UM_SPEC.stream_name("force_order_all")) == "force_order"
    assert SPOT_SPEC.stream_name("partial_depth", "BNBBTC", levels=10) == "bnbbtc@depth10@100ms"
    with pytest.raises(KeyError):
        SPOT_SPEC.stream_name("mark_price", "BTCUSDT")
    assert UM_SPEC.weights["open_interest_hist"] == 0 and UM_SPEC.oi_hist_ip_limit_per_5min == 1000
