"""WS-клієнт: послідовність закритих барів, дозаповнення, стійкість до сміття, шардинг."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aione.data.bars import Bar, BarEvent
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.errors import TransientError
from aione.exchange.simulator import BinanceSimulator

MIN = 60_000


def _bar(t: int, closed: bool = True) -> Bar:
    return Bar(open_time=t * MIN, open=1.0, high=2.0, low=0.5, close=1.5, volume=float(t), closed=closed)


def _frame(symbol: str, bar: Bar) -> str:
    k = {"t": bar.open_time, "T": bar.open_time + MIN - 1, "s": symbol, "i": "1m", "o": str(bar.open),
         "c": str(bar.close), "h": str(bar.high), "l": str(bar.low), "v": str(bar.volume), "n": 1,
         "x": bar.closed, "q": "1", "V": "0"}  # fmt: skip
    return json.dumps(
        {"stream": f"{symbol.lower()}@kline_1m", "data": {"e": "kline", "E": 1, "s": symbol, "k": k}}
    )


class StubRest:
    """Заглушка REST: віддає закриті бари з пам'яті, може падати або чекати на дозвіл."""

    def __init__(self, bars: dict[str, list[Bar]]) -> None:
        self.bars = bars
        self.calls: list[tuple[str, int, int]] = []
        self.fail = 0
        self.gate: asyncio.Event | None = None

    def clock(self) -> int:
        return 10**6 * MIN

    async def klines_range(self, symbol: str, interval: str, start: int, end: int) -> list[Bar]:
        self.calls.append((symbol, start, end))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            self.fail -= 1
            raise TransientError("/fapi/v1/klines", "stub failure")
        return [b for b in self.bars.get(symbol, []) if start <= b.open_time <= end]


def _client(rest: object, sink: list[BarEvent], **kw: object) -> BinanceWsClient:
    return BinanceWsClient("ws://127.0.0.1:9", rest, sink.append, **kw)  # type: ignore[arg-type]


async def _eventually(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "condition not met in time"
        await asyncio.sleep(0.01)


def _closed(sink: list[BarEvent], symbol: str = "BTCUSDT") -> list[int]:
    return [e.bar.open_time // MIN for e in sink if e.symbol == symbol and e.bar.closed]


# ── Послідовність ──
async def test_gap_is_backfilled_and_duplicates_dropped() -> None:
    rest = StubRest({"BTCUSDT": [_bar(t) for t in range(1, 20)]})
    sink: list[BarEvent] = []
    ws = _client(rest, sink)
    await ws.set_symbols(["btcusdt", "ETHUSDT"])
    for raw in (
        _frame("BTCUSDT", _bar(1)),
        _frame("BTCUSDT", _bar(2, closed=False)),
        _frame("BTCUSDT", _bar(2)),
    ):
        await ws.handle_frame(raw, 1.0)
    await ws.handle_frame(_frame("BTCUSDT", _bar(2)), 1.0)  # дублікат
    await ws.handle_frame(_frame("BTCUSDT", _bar(6)), 2.0)  # 3..5 втрачено
    await ws.handle_frame(_frame("BTCUSDT", _bar(7, closed=False)), 3.0)
    await _eventually(lambda: _closed(sink) == [1, 2, 3, 4, 5, 6])
    assert rest.calls == [("BTCUSDT", 3 * MIN, 6 * MIN - 1)]
    assert ws.duplicates == 1 and ws.backfilled_bars == 3
    assert sink[-1].bar.open_time == 7 * MIN and not sink[-1].bar.closed  # відкритий — після закритих
    assert [e.recv_ts for e in sink if e.bar.open_time == 6 * MIN] == [2.0]
    await ws.handle_frame(_frame("BTCUSDT", _bar(3, closed=False)), 4.0)  # застаріле оновлення
    assert sink[-1].bar.open_time == 7 * MIN
    await ws.stop()


async def test_frames_during_backfill_are_buffered_in_order() -> None:
    rest = StubRest({"BTCUSDT": [_bar(t) for t in range(1, 30)]})
    rest.gate = asyncio.Event()
    sink: list[BarEvent] = []
    ws = _client(rest, sink)
    await ws.set_symbols(["BTCUSDT"])
    ws.seed_last_closed("BTCUSDT", 1 * MIN)
    await ws.handle_frame(_frame("BTCUSDT", _bar(4)), 1.0)
    for t in (5, 6, 8):
        await ws.handle_frame(_frame("BTCUSDT", _bar(t)), 1.0)
    assert sink == []
    rest.gate.set()
    await _eventually(lambda: _closed(sink) == [2, 3, 4, 5, 6, 7, 8])
    assert len(rest.calls) == 2  # друге дозаповнення — для 7
    await ws.stop()


async def test_failed_backfill_is_retried_by_later_frames() -> None:
    rest = StubRest({"BTCUSDT": [_bar(t) for t in range(1, 30)]})
    rest.fail = 1
    sink: list[BarEvent] = []
    ws = _client(rest, sink, backfill_retry_delay=0.0)
    await ws.set_symbols(["BTCUSDT"])
    ws.seed_last_closed("BTCUSDT", 1 * MIN)
    await ws.handle_frame(_frame("BTCUSDT", _bar(4)), 1.0)
    await _eventually(lambda: ws.backfill_failures == 1)
    assert sink == []
    await ws.handle_frame(_frame("BTCUSDT", _bar(5)), 1.0)
    await _eventually(lambda: _closed(sink) == [2, 3, 4, 5])
    await ws.stop()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.binary(max_size=40), st.text(max_size=40), st.sampled_from([
    '{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":"x"}}}',
    '{"e":"kline","E":1,"s":"BTCUSDT","k":[]}', '{"result":null,"id":1}', '{"e":"depthUpdate"}',
    '{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"-1","A":"1"}}',
])), max_size=12))  # fmt: skip
def test_random_junk_never_escapes_the_client(frames: list[str | bytes]) -> None:
    async def scenario() -> None:
        sink: list[BarEvent] = []
        books: list[object] = []
        ws = BinanceWsClient("ws://127.0.0.1:9", StubRest({}), sink.append, on_book=books.append)  # type: ignore[arg-type]
        await ws.set_symbols(["BTCUSDT"])
        for raw in frames:
            await ws.handle_frame(raw, 0.0)
        assert ws.messages == len(frames)
        assert ws.malformed + len(sink) + len(books) <= len(frames)
        await ws.stop()

    asyncio.run(scenario())


async def test_awaitable_callback_and_callback_errors_are_isolated() -> None:
    got: list[int] = []

    async def on_bar(ev: BarEvent) -> None:
        await asyncio.sleep(0)
        if ev.bar.open_time == 2 * MIN:
            raise RuntimeError("consumer bug")
        got.append(ev.bar.open_time // MIN)

    ws = BinanceWsClient("ws://127.0.0.1:9", StubRest({}), on_bar)  # type: ignore[arg-type]
    await ws.set_symbols(["BTCUSDT"])
    for t in (1, 2, 3):
        await ws.handle_frame(_frame("BTCUSDT", _bar(t)), 0.0)
    assert got == [1, 3] and ws.callback_errors == 1
    await ws.stop()


# ── Проти симулятора ──
async def _run(ws: BinanceWsClient) -> Callable[[], Awaitable[None]]:
    task = asyncio.create_task(ws.run())

    async def finish() -> None:
        await ws.stop()
        await task

    return finish


async def test_sharding_and_runtime_symbol_changes(data_1m: Path) -> None:
    syms = ["ADAUSDT", "BNBUSDT", "BTCUSDT", "ETHUSDT", "SOLUSDT"]
    async with BinanceSimulator(data_1m, speed=600, symbols=syms) as sim:
        async with BinanceRestClient(sim.rest_url, clock=sim.clock) as rest:
            sink: list[BarEvent] = []
            books: list[object] = []
            ws = BinanceWsClient(
                sim.ws_url, rest, sink.append, streams=("kline_1m", "bookTicker"), on_book=books.append,
                max_streams_per_conn=4, backoff_base=0.05,
            )  # fmt: skip
            await ws.set_symbols(syms[:3])
            finish = await _run(ws)
            await _eventually(lambda: {e.symbol for e in sink} == set(syms[:3]) and len(books) > 3)
            assert ws.shard_count == 2 and len(sim._conns) == 2  # 2 символи × 2 потоки на з'єднання
            await ws.set_symbols(["BTCUSDT", "ETHUSDT", "SOLUSDT"])  # ADA/BNB геть, ETH/SOL — SUBSCRIBE
            mark = len(sink)
            await _eventually(lambda: {e.symbol for e in sink[mark:]} >= {"ETHUSDT", "SOLUSDT"})
            await asyncio.sleep(0.3)
            late = {e.symbol for e in sink[mark + 50 :]}
            assert "ADAUSDT" not in late and "BNBUSDT" not in late
            await finish()
            assert ws.reconnects == 0 and ws.malformed == 0
