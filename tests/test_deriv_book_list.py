"""Книга лише для короткого списку: чистий вибір списку й підписки проти симулятора (issue 16:
«depth for the watched short list, bounded by the per-connection stream limits»)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from aione.app.demo import sample_data_dir
from aione.data.deriv_store import DerivStore
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.deriv_feed import DerivFeed, book_short_list
from aione.exchange.simulator import BinanceSimulator


async def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_short_list_puts_trades_then_alerts_then_rank_and_caps() -> None:
    ranked = ["A", "B", "C", "D", "E"]
    assert book_short_list(ranked, [], [], 3) == ["A", "B", "C"]
    assert book_short_list(ranked, ["E"], ["D", "A"], 3) == ["E", "D", "A"]
    assert book_short_list(ranked, ["E"], ["D"], 4) == ["E", "D", "A", "B"]
    # символи поза наглядом не потрапляють у список, повтори — один раз
    assert book_short_list(ranked, ["ZZZ", "B"], ["B"], 2) == ["B", "A"]
    assert book_short_list(ranked, [], [], 0) == []


async def test_depth_only_for_the_short_list_and_resubscribed_when_it_changes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=60, market="um", aliases=4)
    symbols = sim.symbols[:6]
    await sim.start()
    try:
        async with BinanceRestClient(sim.rest_url) as rest:
            store = DerivStore()
            feed = DerivFeed(sim.ws_url, rest, store, clock=sim.clock, max_book_symbols=2)

            def served() -> set[str]:
                return set().union(*(c.streams for c in sim._conns if not c.ws.closed))

            def depth_streams() -> set[str]:
                return {n for n in served() if "@depth" in n}

            first, second = symbols[:2], symbols[2:4]
            await feed.set_symbols(symbols, [*first, symbols[4]])  # третій — понад ліміт
            task = asyncio.create_task(feed.run())
            try:
                await _until(lambda: all(store.book(s) is not None for s in first), 10, "books of the list")
                await _until(lambda: all(store.series(s, "mark") for s in symbols), 10, "mark of all")
                assert feed.streams.book_symbols == frozenset(first)
                assert "order book streamed for 2 of 3 symbols" in caplog.text  # обрізання видно в журналі
                assert depth_streams() == {f"{s.lower()}@depth20@100ms" for s in first}
                assert {f"{s.lower()}@markPrice@1s" for s in symbols} <= served()
                assert all(store.book(s) is None for s in symbols[2:])
                await feed.set_book_symbols(second)
                await _until(lambda: all(store.book(s) is not None for s in second), 10, "books after change")
                await _until(
                    lambda: depth_streams() == {f"{s.lower()}@depth20@100ms" for s in second},
                    10,
                    "unsubscribe",
                )
                # зміна списку — SUBSCRIBE/UNSUBSCRIBE на відкритих з'єднаннях, не перепідключення
                assert feed.streams.reconnects == 0
                assert feed.stats()["book_symbols"] == 2
            finally:
                await feed.stop()
                await task
    finally:
        await sim.stop()
