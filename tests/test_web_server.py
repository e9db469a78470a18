"""Веб-панель: сервер, WebSocket-розсилка, повільний клієнт, API та статичні файли."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer

from aione.config.config import UI_COLUMN_VOLUME
from aione.ui.web import MappingBarsProvider, create_web_app, start_web_server
from aione.ui.web.server import HUB_KEY, plotly_js_path
from tests.web_helpers import (
    QueueFrameSource,
    big_frame,
    build_frame,
    eventually,
    load_recorded,
    visible_bars,
)


@pytest.fixture
async def served() -> AsyncIterator[tuple[QueueFrameSource, TestClient[Any, Any]]]:
    source = QueueFrameSource()
    async with TestClient(TestServer(create_web_app(source))) as client:
        yield source, client


def _frame(seq: int, **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "seq": seq,
        "ts": 1_700_000_000_000 + seq,
        "assets": [],
        "counters": {},
        **extra,
    }


async def _recv_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=10)
    assert msg.type == WSMsgType.TEXT, msg
    data = orjson.loads(msg.data)
    assert isinstance(data, dict)
    return data


# ── WebSocket ──
async def test_ws_receives_pushed_frames(served: tuple[QueueFrameSource, TestClient[Any, Any]]) -> None:
    source, client = served
    ws = await client.ws_connect("/ws")
    hub = client.app[HUB_KEY]  # type: ignore[index]
    await eventually(lambda: hub.client_count == 1)
    source.put(_frame(1, assets=[{"symbol": "BTCUSDT", "price": 101_234.5}]))
    first = await _recv_json(ws)
    assert first["seq"] == 1
    assert first["assets"] == [{"symbol": "BTCUSDT", "price": 101_234.5}]
    source.put(_frame(2))
    assert (await _recv_json(ws))["seq"] == 2
    await ws.close()
    await eventually(lambda: hub.client_count == 0)


async def test_new_client_gets_latest_frame_at_once(
    served: tuple[QueueFrameSource, TestClient[Any, Any]],
) -> None:
    source, client = served
    hub = client.app[HUB_KEY]  # type: ignore[index]
    for seq in range(1, 6):
        source.put(_frame(seq))
    await eventually(lambda: hub.frames == 5)
    ws = await client.ws_connect("/ws")
    assert (await _recv_json(ws))["seq"] == 5
    await ws.close()


async def test_slow_client_gets_dropped_frames_not_a_stalled_publisher(
    served: tuple[QueueFrameSource, TestClient[Any, Any]],
) -> None:
    """1000 кадрів по ~45 КБ клієнту, що не читає: без черги «останній виграє» насос став би після ~5 МБ."""
    source, client = served
    hub = client.app[HUB_KEY]  # type: ignore[index]
    ws = await client.ws_connect("/ws")
    await eventually(lambda: hub.client_count == 1)
    for seq in range(1000):
        source.put(big_frame(seq))
    # Насос приймає всі кадри, хоча браузер не прочитав жодного.
    await eventually(lambda: hub.frames == 1000, timeout=30)
    assert hub.dropped > 0
    received: list[int] = []
    while not received or received[-1] != 999:
        received.append((await _recv_json(ws))["seq"])
    assert received == sorted(set(received)), "frames arrive in order, without repeats"
    assert len(received) < 1000
    await ws.close()


async def test_non_mapping_items_are_skipped(served: tuple[QueueFrameSource, TestClient[Any, Any]]) -> None:
    source, client = served
    hub = client.app[HUB_KEY]  # type: ignore[index]
    source.put(b"not a frame")
    source.put(["also", "not"])
    source.put(_frame(7))
    await eventually(lambda: hub.frames == 1)
    assert hub.latest is not None and hub.latest["seq"] == 7


async def test_cross_origin_websocket_is_refused(
    served: tuple[QueueFrameSource, TestClient[Any, Any]],
) -> None:
    _, client = served
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await client.ws_connect("/ws", headers={"Origin": "http://evil.example"})
    assert err.value.status == 403
    ws = await client.ws_connect("/ws", headers={"Origin": f"http://{client.host}:{client.port}"})
    await ws.close()


# ── HTTP API ──
async def test_api_frame_and_healthz(served: tuple[QueueFrameSource, TestClient[Any, Any]]) -> None:
    source, client = served
    resp = await client.get("/api/frame")
    assert resp.status == 503
    assert "no frame" in (await resp.json())["error"]
    source.put(_frame(42, counters={"assets": 3}, price=float("nan")))
    hub = client.app[HUB_KEY]  # type: ignore[index]
    await eventually(lambda: hub.frames == 1)
    resp = await client.get("/api/frame")
    assert resp.status == 200
    body = await resp.json()
    assert body["seq"] == 42 and body["counters"] == {"assets": 3}
    assert body["price"] is None  # NaN не ламає JSON
    health = await (await client.get("/healthz")).json()
    assert health["status"] == "ok" and health["frames"] == 1 and health["last_seq"] == 42


async def test_api_bars_from_recorded_data(data_1m: Path) -> None:
    bars = load_recorded(data_1m, ("BTCUSDT", "ETHUSDT"))
    provider = MappingBarsProvider(bars)
    t_ms = int(bars["BTCUSDT"].open_time[5000])
    provider.cursor = {s: visible_bars(b, t_ms) for s, b in bars.items()}
    async with TestClient(TestServer(create_web_app(QueueFrameSource(), provider))) as client:
        resp = await client.get("/api/bars/btcusdt?n=240")
        assert resp.status == 200
        body = await resp.json()
        assert body["symbol"] == "BTCUSDT"
        got = body["bars"]
        assert len(got) == 240
        assert got[-1]["open_time"] == int(bars["BTCUSDT"].open_time[4999])
        assert got[-1]["close"] == float(bars["BTCUSDT"].close[4999])
        assert all(b["low"] <= min(b["open"], b["close"]) for b in got)
        assert [b["open_time"] for b in got] == sorted(b["open_time"] for b in got)
        default = await (await client.get("/api/bars/ETHUSDT")).json()
        assert len(default["bars"]) == 240
        assert (await (await client.get("/api/bars/DOGEUSDT?n=5")).json())["bars"] == []
        for bad in (
            "/api/bars/BTCUSDT?n=0",
            "/api/bars/BTCUSDT?n=abc",
            "/api/bars/BTCUSDT?n=100000",
            "/api/bars/BT-C",
        ):
            assert (await client.get(bad)).status == 400, bad


async def test_api_bars_without_provider_is_404(
    served: tuple[QueueFrameSource, TestClient[Any, Any]],
) -> None:
    _, client = served
    resp = await client.get("/api/bars/BTCUSDT")
    assert resp.status == 404
    assert "no bars provider" in (await resp.json())["error"]


async def test_static_page_and_plotly_are_served(
    served: tuple[QueueFrameSource, TestClient[Any, Any]],
) -> None:
    _, client = served
    page = await (await client.get("/")).text()
    assert "/static/vendor/plotly.min.js" in page and "/static/app.js" in page
    for path in ("/static/app.js", "/static/style.css"):
        assert (await client.get(path)).status == 200, path
    resp = await client.get("/static/vendor/plotly.min.js")
    assert resp.status == 200
    body = await resp.read()
    assert body == plotly_js_path().read_bytes()
    config = await (await client.get("/api/config")).json()
    assert config["volume_column"] == UI_COLUMN_VOLUME == "Оборот 24 год, USD"
    assert config["labels"]["outcome"]["uk"]["trailing_stop"] == "трейлінг-стоп"
    assert config["tick_size_map"]["BTCUSDT"] == 0.1
    assert "BUY_IN_DIPS" in config["buy_set"]


async def test_real_looking_frame_round_trips(data_1m: Path) -> None:
    bars = load_recorded(data_1m)
    frame = build_frame(bars, int(bars["ADAUSDT"].open_time[2000]), seq=3)
    source = QueueFrameSource()
    async with TestClient(TestServer(create_web_app(source))) as client:
        ws = await client.ws_connect("/ws")
        source.put(frame)
        got = await _recv_json(ws)
        assert got == orjson.loads(orjson.dumps(frame))
        await ws.close()


# ── Запуск і зупинка ──
async def test_start_web_server_on_ephemeral_port_and_shutdown_closes_clients() -> None:
    source = QueueFrameSource()
    runner = await start_web_server(create_web_app(source), "127.0.0.1", 0)
    try:
        assert runner.port > 0 and runner.url == f"http://127.0.0.1:{runner.port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(runner.url + "/healthz") as resp:
                assert (await resp.json())["status"] == "ok"
            ws = await session.ws_connect(runner.url + "/ws")
            source.put(_frame(1))
            assert (await _recv_json(ws))["seq"] == 1
            await runner.cleanup()
            msg = await ws.receive(timeout=10)
            assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    finally:
        await runner.cleanup()


async def test_source_that_ends_or_fails_leaves_server_up() -> None:
    class Failing:
        async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
            yield _frame(1)
            raise RuntimeError("source broke")

    async with TestClient(TestServer(create_web_app(Failing()))) as client:
        hub = client.app[HUB_KEY]  # type: ignore[index]
        await eventually(lambda: hub.frames == 1)
        await asyncio.sleep(0)
        assert (await client.get("/healthz")).status == 200
        assert (await (await client.get("/api/frame")).json())["seq"] == 1


def test_create_web_app_rejects_wrong_arguments() -> None:
    with pytest.raises(TypeError):
        create_web_app([_frame(1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        create_web_app(QueueFrameSource(), bars=object())  # type: ignore[arg-type]


async def test_failing_bars_provider_gives_503_not_a_crash() -> None:
    class Broken:
        async def get_recent_bars(self, symbol: str, n: int) -> list[dict[str, Any]]:
            raise ConnectionError("store is down")

    async with TestClient(TestServer(create_web_app(QueueFrameSource(), Broken()))) as client:
        resp = await client.get("/api/bars/BTCUSDT")
        assert resp.status == 503
        assert "unavailable" in (await resp.json())["error"]
        assert (await client.get("/healthz")).status == 200
