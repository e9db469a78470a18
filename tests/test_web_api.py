"""API веб-панелі лише для читання: документ OpenAPI 3.1, відповіді за його схемами, стрічка
сигналів з продовженням (кільце в пам'яті й справжній Redis Stream), угоди, помилки 400."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from aione.data.bars import BarArrays
from aione.data.redis_keys import SIGNAL_STREAM_KEY
from aione.notify.model import KIND_SIGNAL, KIND_TRADE_CLOSED, KIND_TRADE_OPENED, Alert
from aione.notify.stream import SignalStream
from aione.signals.lifecycle import LifecycleBook, SignalPlan
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_model import EVENT_CLOSED, EVENT_OPENED, Trade, TradeEvent
from aione.ui.web import MappingBarsProvider, create_web_app
from aione.ui.web.api_models import ApiError, SignalsPage
from aione.ui.web.api_routes import FEED_KEY
from aione.ui.web.openapi import build_openapi, operations, response_model
from aione.ui.web.server import HUB_KEY
from aione.ui.web.signal_feed import PART_MAX, SignalRing, parse_since
from aione.utils.utils import get_tick_size, round_to_tick
from tests.redis_server import RedisServer
from tests.web_helpers import QueueFrameSource, eventually, load_recorded, visible_bars

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT")
T0 = 1_747_000_000_000  # травень 2025 — усередині записаних барів


# ── Сценарій: справжній агрегатор над записаними барами ──
@dataclass
class Scenario:
    """Агрегатор стану, книга життєвих циклів і записані бари: кожен крок — новий сигнал."""

    bars: dict[str, BarArrays]
    agg: AssetStateAggregator
    book: LifecycleBook
    promoted: list[str]
    step_no: int = 0

    def price(self, symbol: str, t_ms: int) -> float:
        arrays = self.bars[symbol]
        return float(arrays.close[visible_bars(arrays, t_ms) - 1])

    def step(self, *, watch: bool = False) -> dict[str, Any]:
        """Один сигнал, що пройшов ворота (і, за бажання, кандидат watch іншого символу) → кадр."""
        k = self.step_no
        self.step_no += 1
        t_ms = T0 + k * 60_000
        symbol = SYMBOLS[k % len(SYMBOLS)]
        side = "BUY" if k % 2 == 0 else "SELL"
        price = self.price(symbol, t_ms)
        tick = get_tick_size(symbol, price)
        sign = 1.0 if side == "BUY" else -1.0
        sid = f"{symbol}:{t_ms}"
        self.agg.on_stage2(
            {
                "symbol": symbol,
                "timestamp": t_ms,
                "status": "completed",
                "recommendation": "STRONG_BUY" if side == "BUY" else "STRONG_SELL",
                "market_context": {"price": price, "scenario": "BREAKOUT"},
                "confidence_metrics": {"composite_confidence": 0.7},
                "risk_parameters": {"tick_size": tick},
                "narrative": f"{symbol}: пробій.",
                "signal": {
                    "id": sid,
                    "kind": f"{side}|breakout",
                    "side": side,
                    "surfaced": True,
                    "rank": {"score": 0.8},
                    "reason": "promoted",
                },
            }
        )
        plan = SignalPlan(
            side,
            round_to_tick(price * (1 - 0.001), tick),
            round_to_tick(price, tick),
            round_to_tick(price * (1 + sign * 0.01), tick),
            round_to_tick(price * (1 - sign * 0.005), tick),
            1.8,
        )
        self.agg.on_lifecycles(self.book.start(sid, symbol, t_ms, plan))
        self.promoted.append(sid)
        if watch:
            other = SYMBOLS[(k + 1) % len(SYMBOLS)]
            self.agg.on_watch(
                {
                    "symbol": other,
                    "timestamp": t_ms,
                    "status": "completed",
                    "market_context": {"price": self.price(other, t_ms)},
                    "signal": {"id": f"{other}:{t_ms}:watch", "surfaced": False, "reason": "market_budget"},
                }
            )
        if k % 3 == 1:
            self._trades(symbol, side, price, tick, t_ms)
        return self.agg.build_frame(t_ms + 1_000)

    def _trades(self, symbol: str, side: str, price: float, tick: float, t_ms: int) -> None:
        sign = 1.0 if side == "BUY" else -1.0
        trade = Trade(
            trade_id=f"{symbol}-{t_ms}",
            symbol=symbol,
            side=side,  # type: ignore[arg-type]
            status="open",
            decision_ts=t_ms,
            recommendation="STRONG_BUY" if side == "BUY" else "STRONG_SELL",
            confidence=0.7,
            planned_entry=price,
            tp=round_to_tick(price * (1 + sign * 0.01), tick),
            sl=round_to_tick(price * (1 - sign * 0.005), tick),
            initial_sl=round_to_tick(price * (1 - sign * 0.005), tick),
            atr=price * 0.002,
            tick_size=tick,
            fee_rate=0.0004,
            entry_price=price,
            entry_ts=t_ms,
            last_price=price,
            last_ts=t_ms,
        )
        self.agg.on_trade_events([TradeEvent(EVENT_OPENED, trade)])
        if self.step_no > 3:  # кожна друга відкрита угода одразу й закривається (недавні закриті)
            exit_price = self.price(symbol, t_ms + 600_000)
            closed = replace(
                trade,
                status="closed",
                exit_price=exit_price,
                exit_ts=t_ms + 600_000,
                close_reason="time_exit",
            )
            self.agg.on_trade_events([TradeEvent(EVENT_CLOSED, closed)])


@pytest.fixture(scope="module")
def recorded(data_1m: Path) -> dict[str, BarArrays]:
    return load_recorded(data_1m, SYMBOLS)


@pytest.fixture
def scenario(recorded: dict[str, BarArrays]) -> Scenario:
    return Scenario(recorded, AssetStateAggregator(SYMBOLS), LifecycleBook(), [])


@pytest.fixture
async def served(
    recorded: dict[str, BarArrays],
) -> AsyncIterator[tuple[QueueFrameSource, TestClient[Any, Any]]]:
    source = QueueFrameSource()
    app = create_web_app(source, MappingBarsProvider(recorded), locale="en", market="um")
    async with TestClient(TestServer(app)) as client:
        yield source, client


async def _push(source: QueueFrameSource, client: TestClient[Any, Any], frame: dict[str, Any]) -> None:
    hub = client.app[HUB_KEY]  # type: ignore[index]
    before = hub.frames
    source.put(frame)
    await eventually(lambda: hub.frames == before + 1)


async def _get(client: TestClient[Any, Any], url: str, status: int = 200) -> Any:
    resp = await client.get(url)
    body = await resp.read()
    assert resp.status == status, (url, resp.status, body[:300])
    assert resp.content_type == "application/json"
    return orjson.loads(body)


def _assert_one_line_error(body: Any) -> None:
    err = ApiError.model_validate(body)
    assert "\n" not in err.error and err.error.strip() == err.error and err.error


# ── Документ OpenAPI ──
EXAMPLES = {
    "/api/frame": "/api/frame",
    "/api/bars/{symbol}": "/api/bars/BTCUSDT?n=30&tf=5m",
    "/api/sparklines": "/api/sparklines?minutes=60&points=12",
    "/api/signals": "/api/signals?limit=5",
    "/api/trades": "/api/trades",
    "/api/config": "/api/config",
    "/api/openapi.json": "/api/openapi.json",
    "/healthz": "/healthz",
}
BAD = [
    ("/api/bars/{symbol}", "/api/bars/BTCUSDT?n=0", 400),
    ("/api/bars/{symbol}", "/api/bars/BTCUSDT?tf=2m", 400),
    ("/api/sparklines", "/api/sparklines?minutes=x", 400),
    ("/api/signals", "/api/signals?since=abc", 400),
    ("/api/signals", "/api/signals?since=1-2-3", 400),
    ("/api/signals", "/api/signals?since=-5", 400),
    ("/api/signals", "/api/signals?since=99999999999999999999-0", 400),
    ("/api/signals", "/api/signals?since=0-0%0Aevil", 400),
    ("/api/signals", "/api/signals?limit=0", 400),
    ("/api/signals", "/api/signals?limit=many", 400),
    ("/api/trades", "/api/trades?symbol=not%20a%20symbol", 400),
]


def _undocumented(app: web.Application) -> set[str]:
    documented = {op.path for op in operations()}
    out = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith("/api/") and path not in documented:
            out.add(path)
    return out


async def _secret(request: web.Request) -> web.Response:
    return web.json_response({})


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


async def test_openapi_document_is_3_1_and_covers_every_api_route(
    served: tuple[QueueFrameSource, TestClient[Any, Any]],
) -> None:
    _, client = served
    doc = await _get(client, "/api/openapi.json")
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert set(doc["paths"]) == {op.path for op in operations()}
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):  # кожен $ref веде в components/schemas (не в $defs поза документом)
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
    for path, item in doc["paths"].items():
        get = item["get"]
        assert get["operationId"] and get["responses"]["200"]["description"]
        for param in get["parameters"]:
            assert param["in"] in ("query", "path") and "schema" in param
            if param["in"] == "path":
                assert "{" + param["name"] + "}" in path and param["required"] is True
        for code, reply in get["responses"].items():
            if code.startswith(("4", "5")) and code != "421":
                assert reply["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ApiError"
                }
    signals = {p["name"]: p for p in doc["paths"]["/api/signals"]["get"]["parameters"]}
    assert set(signals) == {"since", "limit"}
    assert "400" in doc["paths"]["/api/signals"]["get"]["responses"]
    # Кожен маршрут /api/* сервера описаний; маршрут без опису виявляється.
    app = client.app
    assert app is not None
    assert _undocumented(app) == set()
    extra = create_web_app(QueueFrameSource(), locale="en", market="um")
    extra.router.add_get("/api/secret", _secret)
    assert _undocumented(extra) == {"/api/secret"}
    assert build_openapi() == doc


async def test_every_documented_path_answers_with_its_schema(
    served: tuple[QueueFrameSource, TestClient[Any, Any]], scenario: Scenario
) -> None:
    source, client = served
    assert set(EXAMPLES) == {op.path for op in operations()}  # новий маршрут — новий приклад тут
    for path in ("/api/frame", "/api/trades"):  # кадру ще немає
        body = await _get(client, path, 503)
        _assert_one_line_error(body)
        assert response_model(path, 503) is ApiError
    for _ in range(6):
        await _push(source, client, scenario.step(watch=True))
    for path, url in EXAMPLES.items():
        body = await _get(client, url)
        model = response_model(path, 200)
        if model is None:
            assert isinstance(body, dict) and body["openapi"] == "3.1.0"
            continue
        model.model_validate(body)
    trades = await _get(client, "/api/trades")
    assert trades["open"] and trades["recent"]  # сценарій має відкриті й закриті угоди
    assert {t["status"] for t in trades["open"]} <= {"open", "pending"}
    assert {t["status"] for t in trades["recent"]} == {"closed"}
    only = await _get(client, f"/api/trades?symbol={trades['open'][0]['symbol'].lower()}")
    assert only["open"] and {t["symbol"] for t in only["open"] + only["recent"]} == {
        trades["open"][0]["symbol"]
    }
    for path, url, status in BAD:
        body = await _get(client, url, status)
        _assert_one_line_error(body)
        assert response_model(path, status) is ApiError


async def test_host_check_covers_the_api(served: tuple[QueueFrameSource, TestClient[Any, Any]]) -> None:
    _, client = served
    for url in ("/api/signals", "/api/trades", "/api/openapi.json"):
        resp = await client.get(url, headers={"Host": "evil.example:8080"})
        assert resp.status == 421


# ── Кільце в пам'яті ──
def test_parse_since_forms() -> None:
    assert parse_since(None) is None
    assert parse_since("0") is None
    assert parse_since("1700000000000-3") == (1_700_000_000_000, 3)
    assert parse_since("1700000000000") == (1_699_999_999_999, PART_MAX)  # мс — включно з цією мс
    for bad in ("", "x", "1-", "-1", "1-2-3", "1.5", str(2**64) + "-0", "0-" + str(2**64)):
        with pytest.raises(ValueError):
            parse_since(bad)


def test_ring_takes_each_gated_signal_once(scenario: Scenario) -> None:
    ring = SignalRing(size=100)
    frames = [scenario.step(watch=True) for _ in range(8)]
    for frame in frames:
        ring.observe(frame)
        ring.observe(frame)  # той самий кадр ще раз (сигнал видно в багатьох кадрах)
    items, next_since = ring.tail(100)
    assert [it["id"] for it in items] == scenario.promoted  # watch-кандидати не потрапляють
    positions = [tuple(map(int, it["stream_id"].split("-"))) for it in items]
    assert positions == sorted(set(positions))
    assert next_since == items[-1]["stream_id"]
    first = items[0]
    assert first["side"] == "BUY" and first["recommendation"] == "STRONG_BUY" and first["rank"] == 0.8
    assert first["entry_lo"] is not None and first["tp"] is not None
    assert first["ts"] == T0 + 60_000  # час видачі сигналу — закриття бару
    page, nxt, truncated = ring.page(positions[2], 3)
    assert [it["id"] for it in page] == scenario.promoted[3:6] and nxt == page[-1]["stream_id"]
    assert truncated is False
    small = SignalRing(size=3)
    small.extend(frames)
    _, _, cut = small.page(None, 10)
    assert cut is True  # найстаріші витіснено — клієнт знає, що частину пропустив


async def test_signals_resume_from_memory_ring_without_loss_or_duplicates(
    served: tuple[QueueFrameSource, TestClient[Any, Any]], scenario: Scenario
) -> None:
    source, client = served
    got: list[dict[str, Any]] = []
    since = "0"
    for round_no in range(12):
        await _push(source, client, scenario.step(watch=round_no % 2 == 0))
        if round_no % 3 == 2:  # читаємо не після кожного кадру й малими сторінками
            page = SignalsPage.model_validate(await _get(client, f"/api/signals?since={since}&limit=2"))
            assert page.source == "memory" and page.truncated is False
            got += [s.model_dump() for s in page.signals]
            since = page.next_since
    for _ in range(200):  # межа: зациклене продовження — провал, а не зависання
        page = SignalsPage.model_validate(await _get(client, f"/api/signals?since={since}&limit=2"))
        if not page.signals:
            assert page.next_since == since
            break
        got += [s.model_dump() for s in page.signals]
        since = page.next_since
    else:
        pytest.fail("the feed never ran dry")
    assert [s["id"] for s in got] == scenario.promoted
    tail = SignalsPage.model_validate(await _get(client, "/api/signals?limit=3"))
    assert [s.id for s in tail.signals] == scenario.promoted[-3:]  # новіші останніми
    assert tail.next_since == got[-1]["stream_id"]
    from_ms = got[4]["stream_id"].split("-")[0]
    by_time = SignalsPage.model_validate(await _get(client, f"/api/signals?since={from_ms}&limit=100"))
    assert [s.id for s in by_time.signals] == [
        s["id"] for s in got if int(s["stream_id"].split("-")[0]) >= int(from_ms)
    ]


# ── Redis Stream ──
def _signal(k: int) -> Alert:
    return Alert(
        kind=KIND_SIGNAL,
        id=f"BTCUSDT:{T0 + k}",
        symbol="BTCUSDT",
        ts=T0 + k,
        side="BUY",
        recommendation="STRONG_BUY",
        rank=0.8,
        confidence=0.7,
        entry=100.0,
        tp=101.0,
        sl=99.5,
    )


def _trade_event(k: int) -> Alert:
    kind = KIND_TRADE_OPENED if k % 2 else KIND_TRADE_CLOSED
    return Alert(kind=kind, id=f"t{k}:{kind}", symbol="BTCUSDT", ts=T0 + k, side="BUY", trade_id=f"t{k}")


@pytest.mark.redis
async def test_signals_resume_from_redis_stream_exactly_once(
    redis_server: RedisServer, recorded: dict[str, BarArrays]
) -> None:
    client_redis = aioredis.from_url(redis_server.url)
    stream = SignalStream(client=client_redis, key=SIGNAL_STREAM_KEY)
    app = create_web_app(QueueFrameSource(), MappingBarsProvider(recorded), locale="en", market="um")
    app[FEED_KEY].redis_url = redis_server.url
    expected: list[str] = []
    k = 0

    async def publish(n_signals: int) -> None:
        nonlocal k
        for _ in range(n_signals):
            for _ in range(3):  # події угод у тому ж потоці між сигналами
                stream.publish(_trade_event(k))
                k += 1
            stream.publish(_signal(k))
            expected.append(f"BTCUSDT:{T0 + k}")
            k += 1
        assert await stream.flush()

    try:
        async with TestClient(TestServer(app)) as client:
            empty = SignalsPage.model_validate(await _get(client, "/api/signals"))
            assert empty.source == "redis" and empty.signals == [] and empty.next_since == "0-0"
            got: list[str] = []
            since = "0-0"
            for round_no in range(6):
                await publish(5 + round_no)
                page = SignalsPage.model_validate(await _get(client, f"/api/signals?since={since}&limit=4"))
                got += [s.id for s in page.signals]
                since = page.next_since  # «розрив» — наступний запит продовжує з останньої позиції
            for _ in range(200):  # межа: зациклене продовження — провал, а не зависання
                page = SignalsPage.model_validate(await _get(client, f"/api/signals?since={since}&limit=4"))
                if not page.signals:
                    break
                got += [s.id for s in page.signals]
                since = page.next_since
            else:
                pytest.fail("the stream never ran dry")
            assert got == expected  # кожен сигнал рівно раз, по порядку; події угод пропущено
            tail = SignalsPage.model_validate(await _get(client, "/api/signals?limit=5"))
            assert [s.id for s in tail.signals] == expected[-5:]
            assert tail.signals[-1].entry == 100.0 and tail.signals[-1].side == "BUY"
            await publish(2)
            after_tail = SignalsPage.model_validate(
                await _get(client, f"/api/signals?since={tail.next_since}")
            )
            assert [s.id for s in after_tail.signals] == expected[-2:]
            redis_server.stop()
            body = await _get(client, f"/api/signals?since={since}", 503)
            _assert_one_line_error(body)
    finally:
        await client_redis.aclose()
