"""Дірки біржі: порожня чи коротка відповідь дозаповнення → дірка записана, символ іде далі;
збій REST — не дірка: повтори з експоненційною затримкою (і не раніше кінця бану)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from aione.data.bars import Bar, BarEvent
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.errors import BannedError, ExchangeError, TransientError
from aione.exchange.feed_health import missing_spans, retry_delay
from aione.utils.utils import wall_clock_ms

MIN = 60_000


def _bar(t: int, closed: bool = True) -> Bar:
    return Bar(open_time=t * MIN, open=1.0, high=2.0, low=0.5, close=1.5, volume=float(t), closed=closed)


def _frame(bar: Bar, symbol: str = "BTCUSDT") -> str:
    k = {"t": bar.open_time, "T": bar.open_time + MIN - 1, "s": symbol, "i": "1m", "o": "1", "c": "1.5",
         "h": "2", "l": "0.5", "v": str(bar.volume), "n": 1, "x": bar.closed, "q": "1", "V": "0"}  # fmt: skip
    data = {"e": "kline", "E": bar.open_time + MIN, "s": symbol, "k": k}
    return json.dumps({"stream": f"{symbol.lower()}@kline_1m", "data": data})


class ExchangeWithHoles:
    """Заглушка REST: біржа має бари `have`; `errors` — збої, які отримають наступні запити."""

    def __init__(self, have: list[int]) -> None:
        self.have = have
        self.calls: list[tuple[int, int]] = []
        self.errors: list[ExchangeError] = []

    def clock(self) -> int:
        return 10**6 * MIN

    async def klines_range(self, symbol: str, interval: str, start: int, end: int) -> list[Bar]:
        self.calls.append((start // MIN, end // MIN))
        if self.errors:
            raise self.errors.pop(0)
        return [_bar(t) for t in self.have if start <= t * MIN <= end]


def _client(rest: object, sink: list[BarEvent], **kw: object) -> BinanceWsClient:
    opts: dict[str, object] = {"hole_confirm_delay": 0.0} | kw
    return BinanceWsClient("ws://127.0.0.1:9", rest, sink.append, **opts)  # type: ignore[arg-type]


def _closed(sink: list[BarEvent]) -> list[int]:
    return [e.bar.open_time // MIN for e in sink if e.bar.closed]


async def _eventually(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition not met in time"
        await asyncio.sleep(0.01)


# ── Чиста логіка ──
def test_missing_spans_and_retry_delay() -> None:
    assert missing_spans([2, 5], 1, 8, 1) == [(1, 1), (3, 4), (6, 7)]
    assert missing_spans([], 3 * MIN, 5 * MIN, MIN) == [(3 * MIN, 4 * MIN)]
    assert missing_spans([3, 4], 3, 5, 1) == []
    assert [retry_delay(n, 0.5, 3.0) for n in range(5)] == [0.0, 0.5, 1.0, 2.0, 3.0]


# ── Дірки ──
async def test_empty_reply_records_a_hole_once_and_the_symbol_goes_on() -> None:
    rest = ExchangeWithHoles([t for t in range(1, 40) if t not in (3, 4)])
    sink: list[BarEvent] = []
    ws = _client(rest, sink)
    await ws.set_symbols(["BTCUSDT"])
    ws.seed_last_closed("BTCUSDT", 2 * MIN)
    await ws.handle_frame(_frame(_bar(5)), 1.0)  # 3 і 4 біржа не має
    await _eventually(lambda: _closed(sink) == [5])
    for t in range(6, 12):
        await ws.handle_frame(_frame(_bar(t, closed=False)), 1.0)
        await ws.handle_frame(_frame(_bar(t)), 1.0)
    assert _closed(sink) == [5, 6, 7, 8, 9, 10, 11]  # наступні живі бари приймаються
    assert rest.calls == [(3, 4), (3, 4)]  # один повторний запит-підтвердження, і все
    assert (ws.holes.holes, ws.holes.hole_bars) == (1, 2)
    assert ws.holes.bars_of("BTCUSDT") == {3 * MIN, 4 * MIN}
    assert ws.last_closed("BTCUSDT") == 11 * MIN
    await ws.stop()


async def test_short_reply_fills_what_exists_and_records_the_rest() -> None:
    rest = ExchangeWithHoles([t for t in range(1, 40) if t not in (4, 7, 8)])
    sink: list[BarEvent] = []
    ws = _client(rest, sink)
    await ws.set_symbols(["BTCUSDT"])
    ws.seed_last_closed("BTCUSDT", 1 * MIN)
    await ws.handle_frame(_frame(_bar(9, closed=False)), 1.0)  # 2..8 пропущено; 4, 7, 8 — дірки
    await _eventually(lambda: _closed(sink) == [2, 3, 5, 6])
    await _eventually(lambda: ws.holes.hole_bars == 3)
    await ws.handle_frame(_frame(_bar(9)), 1.0)
    assert _closed(sink) == [2, 3, 5, 6, 9]
    assert ws.holes.holes == 2 and len(rest.calls) == 2
    await ws.stop()


# ── Збої: не дірки, повтори з експоненційною затримкою ──
async def test_failures_are_retried_with_exponential_backoff_not_taken_for_holes() -> None:
    rest = ExchangeWithHoles(list(range(1, 40)))
    rest.errors = [TransientError("/fapi/v1/klines", "boom")] * 3
    sink: list[BarEvent] = []
    ws = _client(rest, sink, backfill_retry_delay=100.0, backfill_retry_cap=1000.0)
    await ws.set_symbols(["BTCUSDT"])
    ws.seed_last_closed("BTCUSDT", 1 * MIN)
    delays = []
    for attempt in range(3):
        await ws.handle_frame(_frame(_bar(5 + attempt)), 1.0)
        await _eventually(lambda n=attempt: ws.backfill_failures == n + 1)
        delays.append(ws._retry_at["BTCUSDT"] - time.monotonic())
        for t in range(5, 30):  # кадри до кінця затримки не б'ють у REST
            await ws.handle_frame(_frame(_bar(t, closed=False)), 1.0)
        assert len(rest.calls) == attempt + 1
        ws._retry_at["BTCUSDT"] = 0.0  # «час минув»
    assert 50 < delays[0] <= 100 and 150 < delays[1] <= 200 and 350 < delays[2] <= 400
    assert ws.holes.holes == 0 and sink == []
    await ws.handle_frame(_frame(_bar(8)), 1.0)  # біржа знову відповідає: усе на місці, без дірок
    await _eventually(lambda: _closed(sink) == list(range(2, 9)))
    assert ws.holes.holes == 0
    await ws.stop()


async def test_ban_defers_the_retry_to_the_end_of_the_ban() -> None:
    rest = ExchangeWithHoles(list(range(1, 40)))
    rest.errors = [BannedError(wall_clock_ms() + 300_000, "/fapi/v1/klines")]
    sink: list[BarEvent] = []
    ws = _client(rest, sink, backfill_retry_delay=0.01)
    await ws.set_symbols(["BTCUSDT"])
    ws.seed_last_closed("BTCUSDT", 1 * MIN)
    await ws.handle_frame(_frame(_bar(5)), 1.0)
    await _eventually(lambda: ws.backfill_failures == 1)
    assert ws._retry_at["BTCUSDT"] - time.monotonic() > 250
    await ws.handle_frame(_frame(_bar(6)), 1.0)
    assert len(rest.calls) == 1 and ws.holes.holes == 0
    await ws.stop()
