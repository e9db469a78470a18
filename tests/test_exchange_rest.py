"""REST-клієнт: бюджет ваги, 429/418/5xx, погані відповіді — проти справжнього HTTP-сервера-заглушки."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.errors import (
    BadResponseError,
    BannedError,
    RateLimitedError,
    RequestRejectedError,
    TransientError,
)
from aione.exchange.rate_limit import WeightBudget


class FakeClock:
    """Керований годинник у мс."""

    def __init__(self, now: int = 0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


# ── Бюджет ваги ──
def test_budget_waits_for_next_window_and_counts_in_flight() -> None:
    clock = FakeClock(10_000)
    budget = WeightBudget(10, clock)
    assert budget.try_acquire(6) is None
    assert budget.try_acquire(5) == 50_000  # не влазить: чекати до 60 000
    budget.release(6)
    assert budget.try_acquire(4) is None  # рівно 10 — можна
    clock.now = 60_000  # нове вікно; 4 ще «в польоті» — зараховуються й сюди
    assert budget.used == 4
    budget.release(4)
    budget.observe(9)  # інший процес витратив більше, ніж ми думали
    assert budget.try_acquire(2) == 60_000
    assert budget.max_used == 10


def test_budget_slows_down_after_429_and_recovers() -> None:
    clock = FakeClock(0)
    budget = WeightBudget(100, clock)
    budget.on_rate_limited()
    assert budget.effective_limit == 50
    assert budget.try_acquire(50) is None and budget.try_acquire(1) is not None
    budget.release(50)
    clock.now = 60_000
    assert budget.effective_limit == 62
    for minute in range(2, 10):
        clock.now = minute * 60_000
        budget.try_acquire(1)
    assert budget.effective_limit == 100


# ── Сервер-заглушка ──
@dataclass
class Script:
    """Черга відповідей: (status, body, headers); порожня — 200 із `default`."""

    responses: list[tuple[int, str | bytes, dict[str, str]]] = field(default_factory=list)
    default: str = '{"serverTime": 1}'
    hits: int = 0
    delay: float = 0.0
    active: int = 0
    peak: int = 0  # найбільше одночасних запитів


@pytest.fixture
async def stub() -> AsyncIterator[tuple[Script, str]]:
    script = Script()

    async def handler(request: web.Request) -> web.Response:
        script.hits += 1
        script.active += 1
        script.peak = max(script.peak, script.active)
        try:
            if script.delay:
                await asyncio.sleep(script.delay)
        finally:
            script.active -= 1
        status, body, headers = script.responses.pop(0) if script.responses else (200, script.default, {})
        return web.Response(status=status, body=body, headers=headers, content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield script, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def _client(url: str, **kw: object) -> BinanceRestClient:
    opts: dict[str, object] = {"backoff_base": 0.001, "max_retries": 3, "timeout": 2.0} | kw
    return BinanceRestClient(url, **opts)  # type: ignore[arg-type]


async def test_429_honours_retry_after_then_succeeds(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.responses = [(429, '{"code":-1003,"msg":"Too many requests"}', {"Retry-After": "0.2"})]
    async with _client(url, clock=FakeClock(0)) as rest:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        assert await rest.server_time() == 1
        assert loop.time() - t0 >= 0.2
        assert (rest.http_429, rest.retries, script.hits) == (1, 1, 2)
        assert rest.budget.throttle == 0.5


async def test_429_forever_raises_rate_limited(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.responses = [(429, "{}", {"Retry-After": "0"})] * 10
    async with _client(url, max_retries=2) as rest:
        with pytest.raises(RateLimitedError):
            await rest.server_time()
        assert rest.http_429 == 3


async def test_418_bans_and_stops_calls(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.responses = [(418, '{"code":-1003,"msg":"banned"}', {"Retry-After": "30"})]
    async with _client(url) as rest:
        with pytest.raises(BannedError) as info:
            await rest.server_time()
        with pytest.raises(BannedError):
            await rest.server_time()  # без звернення до сервера
        assert script.hits == 1 and rest.bans == 1 and info.value.until_ms > 0


async def test_5xx_and_timeouts_retry_with_backoff(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.responses = [(502, "<html>Bad Gateway</html>", {}), (503, "", {})]
    async with _client(url) as rest:
        assert await rest.server_time() == 1
        assert rest.retries == 2
    script.responses = [(500, "", {})] * 10
    async with _client(url, max_retries=2) as rest:
        with pytest.raises(TransientError):
            await rest.server_time()
    script.delay = 0.5
    async with _client(url, max_retries=1, timeout=0.1) as rest:
        with pytest.raises(TransientError):
            await rest.server_time()
        assert rest.retries == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>maintenance</body></html>",
        b'[[1,"1","2","0.5"',
        b'[[1,"1","2","0.5","1","10",60000,"15",3,"5","7","0"],[2,"1","NaN"]]',
        b'[[1,"1","2","0.5","1","10",60000,"15",3,"5","7","0"],{"x":1}]',
    ],
)
async def test_bad_response_raises_one_typed_error(stub: tuple[Script, str], body: bytes) -> None:
    script, url = stub
    script.responses = [(200, body, {})]
    async with _client(url) as rest:
        with pytest.raises(BadResponseError) as info:
            await rest.klines("BTCUSDT", "1m")
        assert info.value.endpoint == "/fapi/v1/klines"
        assert info.value.excerpt and rest.bad_responses == 1 and rest.retries == 0


async def test_rejected_request_is_not_retried(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.responses = [(400, '{"code":-1121,"msg":"Invalid symbol."}', {})]
    async with _client(url) as rest:
        with pytest.raises(RequestRejectedError) as info:
            await rest.open_interest("NOPE")
        assert info.value.code == -1121 and script.hits == 1


async def test_used_weight_header_is_tracked(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.responses = [(200, '{"serverTime": 5}', {"X-MBX-USED-WEIGHT-1M": "1234"})]
    clock = FakeClock(1_000)
    async with _client(url, clock=clock) as rest:
        assert await rest.server_time() == 5
        assert rest.used_weight == 1234 and rest.weight_limit == 2400


async def test_concurrency_limited_per_family(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.default = '{"openInterest":"1","symbol":"X","time":1}'
    script.delay = 0.05
    async with _client(url, family_limits={"open_interest": 2}) as rest:
        results = await asyncio.gather(*(rest.open_interest("X") for _ in range(6)))
    assert results == [1.0] * 6
    assert script.hits == 6 and script.peak == 2


async def test_argument_validation() -> None:
    rest = BinanceRestClient("http://127.0.0.1:9", market="spot")
    with pytest.raises(ValueError):
        await rest.klines("BTCUSDT", "7m")
    with pytest.raises(ValueError):
        await rest.depth("BTCUSDT", limit=7)
    with pytest.raises(NotImplementedError):
        await rest.open_interest("BTCUSDT")
    await rest.close()


async def test_time_offset_decides_closed_flag(stub: tuple[Script, str]) -> None:
    script, url = stub
    row = '[0,"1","2","0.5","1.5","10",59999,"15",3,"5","7","0"]'
    clock = FakeClock(70_000)  # локальний годинник поспішає: сервер ще в барі 0
    script.responses = [
        (200, '{"serverTime": 59000}', {}),
        (200, "[" + row + "]", {}),
        (200, "[" + row + "]", {}),
    ]
    async with _client(url, clock=clock) as rest:
        assert await rest.sync_time() == -11_000
        assert (await rest.klines("BTCUSDT", "1m"))[0].closed is False
        clock.now = 71_001
        assert (await rest.klines("BTCUSDT", "1m"))[0].closed is True
