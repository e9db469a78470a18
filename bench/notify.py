"""Бенчмарк сповіщень: затримка «подія → доставлено» під сплеском 1000 сигналів.

Сповіщувач (`Notifier`) з одним підписаним JSON-вебхуком (HMAC-SHA256, ліміти вебхука з
`NOTIFY_CHANNEL_LIMITS`, outbox у файлі — як `aione run` без Redis) отримує 1000 сигналів за
один прохід циклу подій (сплеск), кожен — окремий символ, тож контроль шуму нічого не відсіює.
Приймач — aiohttp на 127.0.0.1 у тому самому процесі, перевіряє підпис і записує час отримання
(`perf_counter`); затримка — від `submit` до отримання приймачем. «Втрачено» — сигнали, яких
приймач не отримав (або отримав не раз). Еталон у тому ж прогоні: ті самі 1000 тіл, надіслані
напряму однією сесією aiohttp по одному запиту (без черги, outbox і підпису).
Останній рядок — p99 затримки проти цілі 1000 мс і 0 втрат.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

from aione.config.config import NotifyRules
from aione.notify.channels import WebhookChannel
from aione.notify.model import Alert
from aione.notify.notifier import Notifier
from aione.notify.outbox import FileOutbox
from aione.notify.signing import verify_signature
from aione.notify.text import TextContext, webhook_body

N_SIGNALS = 1000
TARGET_MS = 1000.0
SECRET = "bench-secret"
T0 = 1_747_981_140_000


def burst() -> list[Alert]:
    return [
        Alert(kind="signal", id=f"S{i:04d}USDT:{T0}", symbol=f"S{i:04d}USDT", ts=T0, side="BUY" if i % 2 else "SELL",
              recommendation="STRONG_BUY" if i % 2 else "STRONG_SELL", rank=0.5 + (i % 50) / 100, confidence=0.7,
              entry=100.0 + i, tp=102.0 + i, sl=99.0 + i, tick=0.01,
              record={"cases": 40, "tp_first_rate": 0.4, "median_move_pct": 0.1, "horizon_min": 60})  # fmt: skip
        for i in range(N_SIGNALS)
    ]


async def receiver(received: dict[str, list[float]], bad: list[int]) -> tuple[web.AppRunner, str]:
    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        if not verify_signature(SECRET, body, request.headers):
            bad.append(1)
            return web.Response(status=401)
        received.setdefault(orjson.loads(body)["id"], []).append(time.perf_counter())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/hook"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_notifier(url: str, alerts: list[Alert], received: dict[str, list[float]], outbox: Path) -> list[float]:
    notifier = Notifier(
        [WebhookChannel(url, TextContext("en", "http://127.0.0.1:8080"), secret=SECRET)],
        FileOutbox(outbox),
        rules={"webhook": NotifyRules(cooldown_min=0, episode_gap_min=0)},
    )
    await notifier.start()
    sent: dict[str, float] = {}
    for alert in alerts:  # сплеск: усі в одному проході циклу, конвеєр не чекає
        sent[alert.id] = time.perf_counter()
        notifier.submit(alert)
    submit_ms = (time.perf_counter() - sent[alerts[0].id]) * 1000
    deadline = time.monotonic() + 30
    while len(received) < len(alerts) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    await notifier.aclose(timeout=5)
    stats = notifier.stats()["channels"]["webhook"]
    print(f"submit of {len(alerts)} signals: {submit_ms:.1f} ms (pipeline side, never blocks)")
    print(f"channel counters: {stats}")
    return [(received[a.id][0] - sent[a.id]) * 1000 for a in alerts if a.id in received]


async def run_direct(url: str, alerts: list[Alert]) -> float:
    ctx = TextContext("en")
    bodies = [orjson.dumps(webhook_body(a, ctx)) for a in alerts]
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for body in bodies:
            async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                await resp.read()
    return (time.perf_counter() - started) * 1000


async def main() -> None:
    alerts = burst()
    received: dict[str, list[float]] = {}
    bad: list[int] = []
    runner, url = await receiver(received, bad)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            latencies = await run_notifier(url, alerts, received, Path(tmp) / "outbox.jsonl")
        delivered_once = sum(1 for a in alerts if len(received.get(a.id, [])) == 1)
        lost = len(alerts) - delivered_once
    finally:
        await runner.cleanup()
    plain: dict[str, list[float]] = {}
    runner2, url2 = await _plain_receiver(plain)
    try:
        direct_ms = await run_direct(url2, alerts)
    finally:
        await runner2.cleanup()
    p50, p99, worst = pct(latencies, 0.5), pct(latencies, 0.99), max(latencies)
    print(f"alert -> delivered over {len(latencies)} signals: p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms, "
          f"mean {statistics.fmean(latencies):.0f} ms")  # fmt: skip
    print(f"reference: the same {N_SIGNALS} bodies posted one by one on one session, no queue/outbox/signature: "
          f"{direct_ms:.0f} ms for the whole burst; bad signatures at the receiver: {len(bad)}")  # fmt: skip
    met = p99 < TARGET_MS and lost == 0
    print(f"alert to delivery p99: {p99:.0f} ms (target < {TARGET_MS:.0f} ms), {lost} lost: {'met' if met else 'NOT met'}")


async def _plain_receiver(received: dict[str, list[float]]) -> tuple[web.AppRunner, str]:
    async def hook(request: web.Request) -> web.Response:
        received.setdefault(orjson.loads(await request.read())["id"], []).append(time.perf_counter())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/plain", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/plain"


if __name__ == "__main__":
    asyncio.run(main())
