"""Марк-ціна всього ринку одним потоком (`!markPrice@arr@1s`, issues 16/22): чистий розбір масиву,
сміття в елементах, кількість підписок не росте з кількістю символів, наскрізно проти симулятора
(той самий ряд у сховищі, ті самі значення, що й у потоках символів, несправності)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.app.demo import sample_data_dir
from aione.data.deriv_store import DerivStore
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.deriv_feed import MARK_ALL_MIN_SYMBOLS, DerivFeed, DerivStreamClient
from aione.exchange.deriv_parsers import (
    MarkFunding,
    MarkPriceBatch,
    Reject,
    parse_mark_price_all,
    parse_stream_frame,
    stream_kind,
)
from aione.exchange.endpoints import SPOT_SPEC, UM_SPEC
from aione.exchange.simulator import DERIV_JUNK_FRAMES, BinanceSimulator

ALL = "!markPrice@arr@1s"

# Форма з документації Binance USDT-M («Mark Price Stream for All market»): масив markPriceUpdate.
DOC_ARRAY: list[dict[str, Any]] = [
    {"e": "markPriceUpdate", "E": 1562305380000, "s": "BTCUSDT", "p": "11185.87786614",
     "i": "11784.62659091", "P": "11784.25641265", "r": "0.00030000", "T": 1562306400000},
    {"e": "markPriceUpdate", "E": 1562305380000, "s": "ETHUSDT", "p": "290.11000000",
     "i": "290.05000000", "P": "290.05000000", "r": "-0.00012500", "T": 1562306400000},
    {"e": "markPriceUpdate", "E": 1562305380000, "s": "XRPUSDT", "p": "0.40010000",
     "i": "0.40000000", "P": "0.40000000", "r": "0.00010000", "T": 1562306400000},
]  # fmt: skip


async def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# ── Чистий розбір ──
def test_doc_format_array_parses_into_one_event_per_symbol() -> None:
    batch = parse_mark_price_all(DOC_ARRAY)
    assert isinstance(batch, MarkPriceBatch) and batch.skipped == 0 and batch.rejected == ()
    assert batch.events[0] == MarkFunding(
        "BTCUSDT", 11185.87786614, 11784.62659091, 0.0003, 1562306400000, 1562305380000
    )
    assert [e.symbol for e in batch.events] == ["BTCUSDT", "ETHUSDT", "XRPUSDT"]
    assert batch.events[1].funding_rate == -0.000125
    # combined-кадр потоку → та сама партія; назва потоку розпізнається (і без `@1s`)
    framed = parse_stream_frame(orjson.dumps({"stream": ALL, "data": DOC_ARRAY}))
    assert framed == batch
    assert stream_kind(ALL) == stream_kind("!markPrice@arr") == "mark_price_all"
    assert UM_SPEC.stream_name("mark_price_all") == ALL
    assert "mark_price_all" not in SPOT_SPEC.ws_global_streams  # spot марк-ціни не має


def test_symbols_not_watched_are_skipped_without_parsing() -> None:
    junk_other = {"e": "markPriceUpdate", "s": "DOGEUSDT", "p": "NaN"}  # чужий символ: навіть не розбирається
    batch = parse_mark_price_all([*DOC_ARRAY, junk_other], frozenset({"ETHUSDT"}))
    assert isinstance(batch, MarkPriceBatch)
    assert [e.symbol for e in batch.events] == ["ETHUSDT"]
    assert batch.skipped == 3 and batch.rejected == ()
    framed = parse_stream_frame(orjson.dumps({"stream": ALL, "data": DOC_ARRAY}), {"BTCUSDT"})
    assert isinstance(framed, MarkPriceBatch) and [e.symbol for e in framed.events] == ["BTCUSDT"]


def test_bad_elements_are_rejected_one_by_one_and_the_rest_is_kept() -> None:
    good = DOC_ARRAY[0]
    bad: list[Any] = [
        7,
        None,
        "markPriceUpdate",
        [good],
        {**good, "p": "NaN"},
        {**good, "p": "0"},
        {**good, "r": None},
        {**good, "s": 5},
        {**good, "s": ""},
        {k: v for k, v in good.items() if k != "E"},
        {**good, "e": "forceOrder"},
    ]
    batch = parse_mark_price_all([bad[0], good, *bad[1:], DOC_ARRAY[1]], frozenset({"BTCUSDT", "ETHUSDT"}))
    assert isinstance(batch, MarkPriceBatch)
    assert [e.symbol for e in batch.events] == ["BTCUSDT", "ETHUSDT"]
    assert len(batch.rejected) == len(bad) and all(r.reason for r in batch.rejected)
    assert Reject("p: non-finite") in batch.rejected
    # сам кадр не масив — одна відмова кадру
    assert parse_mark_price_all({"e": "markPriceUpdate"}) == Reject("markPrice@arr: expected array")
    assert isinstance(parse_stream_frame(orjson.dumps({"stream": ALL, "data": "x"})), Reject)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values | st.just(DOC_ARRAY[0]), max_size=8))
def test_any_array_never_raises_and_every_element_is_accounted(items: list[Any]) -> None:
    batch = parse_mark_price_all(items, frozenset({"BTCUSDT"}))
    assert isinstance(batch, MarkPriceBatch)
    assert len(batch.events) + batch.skipped + len(batch.rejected) == len(items)
    assert all(e.symbol == "BTCUSDT" and e.mark_price > 0 for e in batch.events)


# ── Підписки: не ростуть з кількістю символів ──
def _subscribed(client: DerivStreamClient) -> list[str]:
    return [n for shard in client._shards for s in sorted(shard.symbols) for n in client._stream_names(s)]


async def test_mark_subscriptions_do_not_grow_with_symbols_above_the_threshold() -> None:
    assert 2 <= MARK_ALL_MIN_SYMBOLS <= 200  # 500–1000 символів бенча завжди йдуть одним потоком
    async with BinanceRestClient("http://127.0.0.1:9") as rest:
        counts: dict[int, int] = {}
        for n in (MARK_ALL_MIN_SYMBOLS - 1, MARK_ALL_MIN_SYMBOLS, 200, 1000):
            client = DerivStreamClient("ws://127.0.0.1:9", rest, DerivStore(), max_book_symbols=10)
            await client.set_symbols([f"S{i:04d}USDT" for i in range(n)])
            names = _subscribed(client)
            counts[n] = sum("markPrice" in name for name in names)
            assert client.mark_streams == counts[n]
            if n >= MARK_ALL_MIN_SYMBOLS:
                assert client.mark_all and ALL in names
                assert len(names) == 10 + 1 + 1  # книги короткого списку + марк ринку + ліквідації
        assert counts[MARK_ALL_MIN_SYMBOLS - 1] == MARK_ALL_MIN_SYMBOLS - 1  # мало символів — потік на символ
        assert counts[MARK_ALL_MIN_SYMBOLS] == counts[200] == counts[1000] == 1
        # spot: марк-ціни немає ні так, ні так
        spot = DerivStreamClient("ws://127.0.0.1:9", rest, DerivStore(), market="spot")
        await spot.set_symbols([f"S{i:04d}USDT" for i in range(200)])
        assert spot.mark_streams == 0 and not any("markPrice" in n for n in _subscribed(spot))


async def test_feed_puts_every_watched_element_into_the_store_and_counts_bad_ones() -> None:
    store = DerivStore()
    async with BinanceRestClient("http://127.0.0.1:9") as rest:
        client = DerivStreamClient(
            "ws://127.0.0.1:9", rest, store, recv_clock=lambda: 1, mark_all_min_symbols=2
        )
        await client.set_symbols(["BTCUSDT", "ETHUSDT"])
        data: list[Any] = [*DOC_ARRAY, {**DOC_ARRAY[0], "p": "NaN"}, 5]
        await client.handle_frame(orjson.dumps({"stream": ALL, "data": data}), 0.0)
        rng = random.Random(22)
        for _ in range(500):  # сміття в масиві й навколо нього не валить обробку
            junk = [rng.choice([None, 1, "x", {}, {"s": "BTCUSDT"}, {**DOC_ARRAY[1], "E": "z"}, DOC_ARRAY[2]])
                    for _ in range(rng.randrange(4))]  # fmt: skip
            text = orjson.dumps({"stream": ALL, "data": junk}).decode()
            await client.handle_frame(text[: rng.randrange(1, len(text) + 1)], 0.0)
    for symbol in ("BTCUSDT", "ETHUSDT"):
        ring = store.series(symbol, "mark")
        assert ring is not None and len(ring) == 1
    assert float(store.series("BTCUSDT", "mark").column("funding_rate")[0]) == 0.0003  # type: ignore[union-attr]
    assert store.series("XRPUSDT", "mark") is None  # поза наглядом
    assert client.events == 2 and client.callback_errors == 0
    assert client.rejected["mark_all.p"] >= 1 and client.malformed >= 2
    assert client.mark_skipped >= 1


# ── Симулятор ──
def test_simulator_array_carries_the_same_events_as_the_per_symbol_streams() -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=60, market="um", aliases=3)
    per_symbol = {f"{s.lower()}@markPrice@1s" for s in sim.symbols}
    now = sim.clock()
    frames = sim.deriv_frames(now, {ALL, *per_symbol})
    singles = [
        e for name, f in frames if name in per_symbol and isinstance(e := parse_stream_frame(f), MarkFunding)
    ]
    arrays = [parse_stream_frame(f) for name, f in frames if name == ALL]
    assert len(arrays) == 1 and isinstance(arrays[0], MarkPriceBatch)
    assert len(singles) == len([n for n, _ in frames if n in per_symbol]) == len(sim.symbols)
    assert sorted(arrays[0].events, key=lambda e: e.symbol) == sorted(singles, key=lambda e: e.symbol)
    # симулятор лише з потоком ринку на той самий момент — ті самі значення (детерміновано)
    alone = BinanceSimulator(sample_data_dir(), speed=60, market="um", aliases=3)
    (name, frame), *rest = alone.deriv_frames(now, {ALL})
    assert name == ALL and rest == []
    assert parse_stream_frame(frame) == arrays[0]
    d = sim.market.derivs("BTCUSDT")
    btc = next(e for e in arrays[0].events if e.symbol == "BTCUSDT")
    i = int(np.searchsorted(sim.market.series["BTCUSDT"].bars.open_time, btc.event_time, side="right")) - 1
    assert btc.funding_rate == float(d.funding[i])


async def test_feed_uses_one_stream_for_many_symbols_against_the_simulator() -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=60, market="um", aliases=MARK_ALL_MIN_SYMBOLS)
    symbols = sim.symbols[: MARK_ALL_MIN_SYMBOLS + 2]
    await sim.start()
    try:
        async with BinanceRestClient(sim.rest_url) as rest:
            store = DerivStore()
            feed = DerivFeed(sim.ws_url, rest, store, clock=sim.clock, max_book_symbols=2)
            await feed.set_symbols(symbols)
            task = asyncio.create_task(feed.run())
            try:
                await _until(lambda: all(store.series(s, "mark") for s in symbols), 15, "mark of all")
                served = set().union(*(c.streams for c in sim._conns if not c.ws.closed))
                marks = {n for n in served if "markPrice" in n}
                assert marks == {ALL}  # один потік на всі символи
                assert feed.stats()["mark_stream"] == "all" and feed.stats()["mark_streams"] == 1
                ring = store.series(symbols[0], "mark")
                assert ring is not None and np.all(np.abs(ring.column("funding_rate")) <= 0.003)
                # сміття симулятора (серед нього масиви із зіпсованими елементами) рахується
                sim.inject_deriv_junk(len(DERIV_JUNK_FRAMES))  # увесь набір сміття, разом з масивами
                await _until(lambda: sim._pending_deriv_junk == 0, 10, "junk sent")
                assert any(k.startswith("mark_all.") for k in feed.streams.rejected)
                # пропуск кадрів деривативів: масив теж не надходить, потім потік іде далі
                sim.faults = sim.faults.__class__(book_gap_seconds=0.5)
                dropped = sim.deriv_frames_dropped
                sim.fire("book_gap")
                await _until(lambda: sim.deriv_frames_dropped > dropped, 10, "frames dropped in the gap")
                before = feed.streams.events
                await _until(lambda: feed.streams.events > before + len(symbols), 10, "marks after the gap")
            finally:
                await feed.stop()
                await task
    finally:
        await sim.stop()
    assert sum(ALL in j for j in DERIV_JUNK_FRAMES) == 2
    assert feed.streams.callback_errors == 0 and feed.streams.reconnects == 0
