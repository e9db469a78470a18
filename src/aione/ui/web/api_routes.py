"""Маршрути API лише для читання: `/api/signals`, `/api/trades`, `/api/openapi.json`.

`add_api_routes` реєструє їх у застосунку панелі (поруч з рештою маршрутів у `server.py`; перевірка
`Host` і решта middleware сервера діють і тут) і повертає джерело кадрів, що, крім передачі
кадрів насосу, наповнює кільце сигналів (`signal_feed.SignalRing`) кадрами, які хаб прийняв.
Сигнали читаються з Redis Stream `asset_signals`, коли сервер працює над Redis (джерело —
`RedisFrameSource` або явний `redis_url`), інакше — з кільця. Помилка параметра — 400 з одним
рядком `{"error": ...}`; недоступний Redis — 503. Будівники відповідей — чисті функції в
`signal_feed` і `api_payloads`; тут лише HTTP і Redis.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from redis.exceptions import RedisError

from aione.data.redis_keys import SIGNAL_STREAM_KEY
from aione.data.ws_worker import make_redis_client
from aione.logging_setup import get_logger, log_ctx
from aione.ui.web.api_payloads import parse_limit, parse_symbol, trades_page
from aione.ui.web.hub import FrameHub, FrameSource
from aione.ui.web.openapi import build_openapi
from aione.ui.web.redis_source import RedisFrameSource
from aione.ui.web.signal_feed import (
    ZERO_ID,
    Position,
    SignalRing,
    parse_since,
    redis_min,
    take_signals,
)

logger = get_logger(__name__)

STREAM_BATCH = 500  # записів потоку за один XRANGE
STREAM_SCAN_MAX = 20_000  # записів, які один запит переглядає найбільше (події угод пропускаються)


# ── Стан API ──
@dataclass(slots=True)
class SignalFeed:
    """Звідки `/api/signals` бере сигнали: Redis Stream (якщо є `redis_url`) або кільце."""

    hub: FrameHub
    ring: SignalRing = field(default_factory=SignalRing)
    redis_url: str | None = None
    stream_key: str = SIGNAL_STREAM_KEY
    client: Any = None  # redis.asyncio.Redis після старту застосунку
    openapi_json: bytes | None = None


FEED_KEY: web.AppKey[SignalFeed] = web.AppKey("signal_feed")


def _json(data: Any, status: int = 200) -> web.Response:
    body = orjson.dumps(data, default=str, option=orjson.OPT_SERIALIZE_NUMPY)
    return web.Response(body=body, status=status, content_type="application/json")


def _error(message: str, status: int) -> web.Response:
    return _json({"error": " ".join(message.split())}, status=status)


# ── Джерело з відгалуженням у кільце ──
async def _tapped(source: FrameSource, feed: SignalFeed) -> AsyncIterator[Mapping[str, Any]]:
    """Кадри джерела як є; кадр, який хаб прийняв (пройшов схему), потрапляє в кільце сигналів.

    Генератор відновлюється, коли насос хаба просить наступний кадр, тобто вже після `publish`:
    `hub.latest is frame` означає, що кадр прийнято (відкинутий схемою кадр кільце не бачить)."""
    async for frame in source:
        yield frame
        if feed.hub.latest is frame:
            feed.ring.observe(frame)


class TappedSource:
    """`FrameSource`, що відгалужує прийняті хабом кадри в кільце сигналів."""

    def __init__(self, source: FrameSource, feed: SignalFeed) -> None:
        self.source = source
        self.feed = feed

    def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        return _tapped(self.source, self.feed)


# ── Redis Stream ──
async def read_stream_after(
    client: Any, key: str, cursor: Position | None, limit: int
) -> tuple[list[dict[str, Any]], str]:
    """До `limit` сигналів потоку після `cursor` і наступний `since` (id останнього переглянутого запису)."""
    items: list[dict[str, Any]] = []
    lower = redis_min(cursor)
    next_since = ZERO_ID if cursor is None else lower.lstrip("(")
    scanned = 0
    while len(items) < limit and scanned < STREAM_SCAN_MAX:
        batch = await client.xrange(key, min=lower, max="+", count=STREAM_BATCH)
        if not batch:
            break
        entries = [(_decode(entry_id), fields) for entry_id, fields in batch]
        got, consumed = take_signals(entries, limit - len(items))
        items.extend(got)
        scanned += len(entries)
        if consumed is None:
            break
        next_since = consumed
        lower = "(" + consumed
        if len(batch) < STREAM_BATCH:
            break
    return items, next_since


async def read_stream_tail(client: Any, key: str, limit: int) -> tuple[list[dict[str, Any]], str]:
    """Останні `limit` сигналів потоку (старіші першими) і `since` — id найновішого запису потоку."""
    newest: str | None = None
    items: list[dict[str, Any]] = []
    upper = "+"
    scanned = 0
    while len(items) < limit and scanned < STREAM_SCAN_MAX:
        batch = await client.xrevrange(key, max=upper, min="-", count=STREAM_BATCH)
        if not batch:
            break
        entries = [(_decode(entry_id), fields) for entry_id, fields in batch]
        newest = newest or entries[0][0]
        got, consumed = take_signals(entries, limit - len(items))
        items.extend(got)
        scanned += len(entries)
        if consumed is None or len(batch) < STREAM_BATCH:
            break
        upper = "(" + consumed
    items.reverse()
    return items, newest or ZERO_ID


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# ── Обробники ──
async def _signals(request: web.Request) -> web.Response:
    feed = request.app[FEED_KEY]
    since_text = request.query.get("since")
    try:
        cursor = parse_since(since_text)
        limit = parse_limit(request.query.get("limit"))
    except ValueError as exc:
        return _error(str(exc), 400)
    truncated: bool | None
    if feed.client is not None:
        source = "redis"
        truncated = None
        try:
            if since_text is None:
                items, next_since = await read_stream_tail(feed.client, feed.stream_key, limit)
            else:
                items, next_since = await read_stream_after(feed.client, feed.stream_key, cursor, limit)
        except (RedisError, OSError) as exc:
            logger.warning("web_signals_redis_failed error=%s", type(exc).__name__, extra=log_ctx("web"))
            return _error("the signal stream is unavailable right now", 503)
    else:
        source = "memory"
        if since_text is None:
            items, next_since = feed.ring.tail(limit)
            truncated = False
        else:
            items, next_since, truncated = feed.ring.page(cursor, limit)
    return _json(
        {
            "source": source,
            "since": since_text,
            "next_since": next_since,
            "truncated": truncated,
            "signals": items,
        }
    )


async def _trades(request: web.Request) -> web.Response:
    try:
        symbol = parse_symbol(request.query.get("symbol"))
    except ValueError as exc:
        return _error(str(exc), 400)
    latest = request.app[FEED_KEY].hub.latest
    if latest is None:
        return _error("no frame received yet", 503)
    return _json(trades_page(latest, symbol))


async def _openapi(request: web.Request) -> web.Response:
    feed = request.app[FEED_KEY]
    if feed.openapi_json is None:
        feed.openapi_json = orjson.dumps(build_openapi())
    return web.Response(body=feed.openapi_json, content_type="application/json")


# ── Життєвий цикл ──
async def _open_redis(app: web.Application) -> None:
    feed = app[FEED_KEY]
    if feed.redis_url is not None and feed.client is None:
        feed.client = make_redis_client(feed.redis_url)


async def _close_redis(app: web.Application) -> None:
    feed = app[FEED_KEY]
    if feed.client is not None:
        with contextlib.suppress(RedisError, OSError):
            await feed.client.aclose()
        feed.client = None


# ── Реєстрація ──
def add_api_routes(
    app: web.Application,
    hub: FrameHub,
    source: FrameSource,
    *,
    redis_url: str | None = None,
    stream_key: str = SIGNAL_STREAM_KEY,
) -> FrameSource:
    """Реєструє `/api/signals`, `/api/trades`, `/api/openapi.json`; повертає джерело для насоса хаба
    (те саме `source`, що ще й наповнює кільце сигналів). Redis — з `redis_url` або з `RedisFrameSource`."""
    if redis_url is None and isinstance(source, RedisFrameSource):
        redis_url = source.url
    feed = SignalFeed(hub=hub, redis_url=redis_url, stream_key=stream_key)
    app[FEED_KEY] = feed
    app.router.add_get("/api/signals", _signals)
    app.router.add_get("/api/trades", _trades)
    app.router.add_get("/api/openapi.json", _openapi)
    app.on_startup.append(_open_redis)
    app.on_cleanup.append(_close_redis)
    return TappedSource(source, feed)


__all__ = [
    "FEED_KEY",
    "SignalFeed",
    "TappedSource",
    "add_api_routes",
    "read_stream_after",
    "read_stream_tail",
]
