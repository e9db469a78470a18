"""Заглушки для тестів сповіщень: фейковий Telegram Bot API, Discord, приймач вебхуків (aiohttp на
127.0.0.1), фейковий час і рішення-сигнал, зібране справжнім Stage2."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from aione.notify.signing import verify_signature
from aione.stage2.qde_core import decide
from aione.stage3.trade_model import Trade
from tests.test_stage2_scenarios import breakout_case

TOKEN = "123456:AAH-very-secret-bot-token-xyz"
SECRET = "whsec-very-secret-hmac-key"


# ── Дані ──
def signal_decision(
    symbol: str = "DOTUSDT", ts: int = 1_747_981_140_000, *, side: str = "BUY", rank: float = 0.82
) -> dict[str, Any]:
    """Рішення Stage2 (справжній `decide`) як сигнал воріт: рекомендація, план TP/SL поза сіткою тіку."""
    s1, inputs, _ = breakout_case()
    d = copy.deepcopy(decide(s1, inputs))
    d["symbol"], d["timestamp"] = symbol, ts
    d["recommendation"] = "STRONG_BUY" if side == "BUY" else "STRONG_SELL"
    d["side"] = side
    rp = d["risk_parameters"]
    rp.update(entry=4.12345, tp=4.25678, sl=4.05011, tick_size=0.001, entry_zone=[4.11, 4.13], rr=2.1)
    d["confidence_metrics"]["composite_confidence"] = 0.71
    d["signal"] = {
        "id": f"{symbol}:{ts}",
        "kind": f"{side}|breakout_up+bull_vol_spike",
        "side": side,
        "rank": {"score": rank, "unusual": 0.9, "conviction": 0.74, "history": 40},
        "record": {"cases": 41, "tp_first_rate": 0.39, "median_move_pct": 0.12, "horizon_min": 60},
        "surfaced": True,
        "reason": "promoted",
    }
    return d


def closed_trade(symbol: str = "DOTUSDT") -> Trade:
    """Закрита за TP угода BUY: вхід 4.000, TP 4.100, стоп 3.950 (ризик 1.25 %)."""
    return Trade(
        trade_id=f"{symbol}-1",
        symbol=symbol,
        side="BUY",
        status="closed",
        decision_ts=1_747_981_140_000,
        recommendation="STRONG_BUY",
        confidence=0.7,
        planned_entry=4.0,
        tp=4.1,
        sl=3.95,
        initial_sl=3.95,
        atr=0.02,
        tick_size=0.001,
        fee_rate=0.0,
        entry_price=4.0,
        entry_ts=1_747_981_200_000,
        exit_price=4.1,
        exit_ts=1_747_984_800_000,
        close_reason="tp_hit",
    )


# ── Час ──
@dataclass
class FakeTime:
    """Монотонний годинник, який рухає лише `sleep` (тести не сплять, паузи записуються)."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        import asyncio

        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


# ── Сервери ──
@dataclass
class Stub:
    """Один aiohttp-сервер на 127.0.0.1; `responses` — черга (статус, тіло) для наступних запитів."""

    received: list[dict[str, Any]] = field(default_factory=list)
    responses: list[tuple[int, Any]] = field(default_factory=list)
    default: tuple[int, Any] = (200, {"ok": True, "result": {}})
    updates: list[dict[str, Any]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    url: str = ""

    def next_response(self) -> web.Response:
        status, body = self.responses.pop(0) if self.responses else self.default
        return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")

    async def start(self, routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]]) -> None:
        app = web.Application()
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


async def fake_telegram() -> Stub:
    """Bot API: `sendMessage` записує тіло; `getUpdates` віддає `updates` один раз."""
    stub = Stub()

    async def send(request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        stub.received.append(await request.json())
        return stub.next_response()

    async def updates(request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        offset = int(request.query.get("offset", "0"))
        fresh = [u for u in stub.updates if u["update_id"] >= offset]
        return web.json_response({"ok": True, "result": fresh})

    await stub.start([("POST", "/bot{token}/sendMessage", send), ("GET", "/bot{token}/getUpdates", updates)])
    return stub


async def fake_discord() -> Stub:
    stub = Stub(default=(204, None))

    async def hook(request: web.Request) -> web.Response:
        stub.received.append(await request.json())
        status, body = stub.responses.pop(0) if stub.responses else stub.default
        if status == 204:
            return web.Response(status=204)
        return web.json_response(body, status=status)

    await stub.start([("POST", "/api/webhooks/1/secret-discord-token", hook)])
    stub.url += "/api/webhooks/1/secret-discord-token"
    return stub


async def webhook_receiver(secret: str | None = SECRET) -> Stub:
    """Приймач вебхуків: перевіряє підпис (401, якщо не збігся), записує тіло й `verified`."""
    stub = Stub(default=(200, {"ok": True}))

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        status, payload = stub.responses.pop(0) if stub.responses else stub.default
        if status != 200:
            return web.json_response(payload, status=status)
        verified = verify_signature(secret, body, request.headers) if secret else None
        if secret and not verified:
            return web.json_response({"error": "bad signature"}, status=401)
        stub.received.append({"body": orjson.loads(body), "verified": verified, "headers": dict(request.headers)})
        return web.json_response({"ok": True})

    await stub.start([("POST", "/hook", hook)])
    stub.url += "/hook"
    return stub
