"""Веб-панель: невеликий aiohttp-сервер лише для читання, що штовхає кадри стану в браузер по WebSocket.

Маршрути: `/` (сторінка), `/static/…` (HTML/JS/CSS без збірки), `/static/vendor/plotly.min.js`
(з установленого пакета `plotly`), `/ws` (кадри JSON), `/api/frame`, `/api/bars/{symbol}?n=240&tf=5m`
(таймфрейм графіка 1m/5m/15m/1h — з 1m барів сховища), `/api/sparklines?minutes=240&points=48`
(закриття останніх годин для кожного символу останнього кадру: окремий запит раз на хвилину, а не
поле кадру, що йде 4 рази на секунду), `/api/config` (мова сторінки — `AIONE_UI_LOCALE`, ринок для
посилань на Binance), `/healthz`. Усі маршрути — GET; повідомлення від браузера ігноруються.

Захист від DNS rebinding: запит із заголовком `Host`, що не є loopback-адресою, `localhost` чи
адресою, на якій слухає сервер, отримує 421 (чужий сайт, чиє ім'я вказує на 127.0.0.1, не прочитає
стан). Якщо сервер слухає всі інтерфейси (`0.0.0.0`/`::`), дозволено й будь-яку IP-адресу (доступ
з локальної мережі за IP), але не чужі імена; про такий запуск — одне попередження.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import ipaddress
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import WSMsgType, web

from aione.config.config import (
    BUY_SET,
    SELL_SET,
    TICK_SIZE_BRACKETS,
    TICK_SIZE_DEFAULT,
    TICK_SIZE_MAP,
    UI_COLUMN_VOLUME,
    UI_STALE_AFTER_SEC,
)
from aione.config.settings import SettingsError, load_settings
from aione.logging_setup import get_logger, log_ctx
from aione.ui.labels import DEFAULT_LOCALE, norm_locale, ui_labels
from aione.ui.web.api_routes import add_api_routes
from aione.ui.web.bars_provider import (
    CHART_TIMEFRAMES,
    BarsProvider,
    fetch_chart_bars,
    fetch_recent_closes,
    spark_points,
)
from aione.ui.web.hub import FrameHub, FrameSource

logger = get_logger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
BARS_DEFAULT_N = 240
BARS_MAX_N = 1500
SPARK_MINUTES = 240  # спарклайн рядка — останні 4 години 1m барів
SPARK_MAX_MINUTES = 1440
SPARK_POINTS = 48
SPARK_YIELD_EVERY = 100
SEND_TIMEOUT_SEC = 30.0  # браузер, що не прийняв кадр за цей час, від'єднується
_SYMBOL_RE = re.compile(r"^[A-Z0-9_]{2,30}$")

HUB_KEY: web.AppKey[FrameHub] = web.AppKey("hub")
SOURCE_KEY: web.AppKey[FrameSource] = web.AppKey("source")
BARS_KEY: web.AppKey[BarsProvider | None] = web.AppKey("bars")
CONFIG_KEY: web.AppKey[dict[str, Any]] = web.AppKey("config")
SOCKETS_KEY: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("sockets")
PUMP_KEY: web.AppKey[asyncio.Task[None]] = web.AppKey("pump")
HOSTS_KEY: web.AppKey[set[str]] = web.AppKey("allowed_hosts")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
ANY_IP = "*ip"  # позначка в множині дозволених: будь-яка IP-адреса (сервер слухає всі інтерфейси)


# ── Допоміжне ──
def plotly_js_path() -> Path:
    """Шлях до `plotly.min.js` з установленого Python-пакета `plotly` (нічого не копіюється в репо)."""
    return Path(str(importlib.resources.files("plotly") / "package_data" / "plotly.min.js"))


def _json(data: Any, status: int = 200) -> web.Response:
    body = orjson.dumps(data, default=str, option=orjson.OPT_SERIALIZE_NUMPY)
    return web.Response(body=body, status=status, content_type="application/json")


def default_ui_settings() -> tuple[str, str]:
    """Мова сторінки (`AIONE_UI_LOCALE`) і ринок (`AIONE_MARKET`) з налаштувань; хибні — типові."""
    try:
        settings = load_settings()
    except SettingsError:
        return DEFAULT_LOCALE, "um"
    return settings.ui_locale, settings.market


def ui_config(stale_after_sec: float, locale: str = DEFAULT_LOCALE, market: str = "um") -> dict[str, Any]:
    """Константи, потрібні сторінці: єдине джерело — `config.py` і налаштування."""
    return {
        "locale": norm_locale(locale),
        "market": market,
        "timeframes": list(CHART_TIMEFRAMES),
        "spark_minutes": SPARK_MINUTES,
        "stale_after_sec": stale_after_sec,
        "volume_column": UI_COLUMN_VOLUME,
        "tick_size_map": dict(TICK_SIZE_MAP),
        "tick_size_brackets": [list(pair) for pair in TICK_SIZE_BRACKETS],
        "tick_size_default": TICK_SIZE_DEFAULT,
        "buy_set": sorted(BUY_SET),
        "sell_set": sorted(SELL_SET),
        "bars_default_n": BARS_DEFAULT_N,
        "labels": ui_labels(locale),  # людські назви й підказки колонок (ті самі, що в терміналі)
    }


def _origin_allowed(request: web.Request) -> bool:
    """WS лише з тієї ж адреси (або без Origin, як у curl/тестах): чужі сайти не читають стан."""
    origin = request.headers.get("Origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.host


# ── Заголовок Host ──
def host_name(host_header: str | None) -> str:
    """Ім'я хоста із заголовка `Host` без порту, у нижньому регістрі (`[::1]:8080` → `::1`)."""
    if not host_header:
        return ""
    return (urlsplit("//" + host_header).hostname or "").lower()


def host_allowed(host_header: str | None, allowed: set[str]) -> bool:
    """Чи дозволений `Host` (див. опис модуля)."""
    name = host_name(host_header)
    if name in allowed:
        return True
    if ANY_IP in allowed:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
    return False


def allow_bound_host(app: web.Application, host: str) -> None:
    """Додає адресу, на якій слухає сервер, до дозволених; для всіх інтерфейсів — попередження."""
    allowed = app.get(HOSTS_KEY)
    if allowed is None:  # не застосунок панелі (наприклад, /metrics): перевірки Host там немає
        return
    if host in WILDCARD_HOSTS:
        allowed.add(ANY_IP)
        logger.warning(
            "web dashboard listens on all interfaces (%s): anyone on the network can read the state; "
            "use --host 127.0.0.1 unless you mean it",
            host or "0.0.0.0",
            extra=log_ctx("web"),
        )
    else:
        allowed.add(host.strip("[]").lower())


@web.middleware
async def _host_check(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if not host_allowed(request.headers.get("Host"), request.app[HOSTS_KEY]):
        raise web.HTTPMisdirectedRequest(text="host not allowed (DNS rebinding protection)")
    return await handler(request)


# ── Обробники ──
async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def _plotly(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(plotly_js_path(), headers={"Cache-Control": "public, max-age=86400"})


async def _healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok", **request.app[HUB_KEY].stats()})


async def _config(request: web.Request) -> web.Response:
    return _json(request.app[CONFIG_KEY])


async def _frame(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    if hub.latest_json is None:
        return _json({"error": "no frame received yet"}, status=503)
    return web.Response(
        text=hub.latest_json, content_type="application/json", headers={"Cache-Control": "no-store"}
    )


async def _bars(request: web.Request) -> web.Response:
    symbol = request.match_info["symbol"].upper()
    if not _SYMBOL_RE.match(symbol):
        return _json({"error": f"bad symbol {symbol!r}"}, status=400)
    try:
        n = int(request.query.get("n", BARS_DEFAULT_N))
    except ValueError:
        return _json({"error": "n must be an integer"}, status=400)
    if not 1 <= n <= BARS_MAX_N:
        return _json({"error": f"n must be within 1..{BARS_MAX_N}"}, status=400)
    timeframe = request.query.get("tf", "1m")
    if timeframe not in CHART_TIMEFRAMES:
        return _json({"error": f"tf must be one of {', '.join(CHART_TIMEFRAMES)}"}, status=400)
    provider = request.app[BARS_KEY]
    if provider is None:
        return _json({"error": "no bars provider in this mode (the chart needs the in-process store)"}, 404)
    try:
        bars = await fetch_chart_bars(provider, symbol, n, timeframe)
    except Exception:
        logger.exception("web_bars_failed", extra=log_ctx("web", symbol))
        return _json({"error": "bars are unavailable right now"}, status=503)
    return _json({"symbol": symbol, "timeframe": timeframe, "bars": bars})


async def _sparklines(request: web.Request) -> web.Response:
    """Закриття останніх `minutes` хвилин (проріджені до `points`) для символів останнього кадру."""
    try:
        minutes = int(request.query.get("minutes", SPARK_MINUTES))
        points = int(request.query.get("points", SPARK_POINTS))
    except ValueError:
        return _json({"error": "minutes and points must be integers"}, status=400)
    if not (1 <= minutes <= SPARK_MAX_MINUTES and 2 <= points <= minutes):
        return _json({"error": f"minutes must be within 1..{SPARK_MAX_MINUTES}, points within 2..minutes"}, 400)
    provider = request.app[BARS_KEY]
    latest = request.app[HUB_KEY].latest or {}
    assets = latest.get("assets") if isinstance(latest, dict) else None
    symbols = [a["symbol"] for a in assets or [] if isinstance(a, dict) and isinstance(a.get("symbol"), str)]
    out: dict[str, list[float | None]] = {}
    if provider is not None:
        for k, symbol in enumerate(symbols):
            if k and k % SPARK_YIELD_EVERY == 0:
                await asyncio.sleep(0)  # тисяча символів не тримає цикл подій конвеєра одним шматком
            try:
                closes = await fetch_recent_closes(provider, symbol, minutes)
            except Exception:
                # спарклайн — прикраса: збій одного символу не ламає решту (повідомлення — в журналі)
                logger.exception("web_sparkline_failed", extra=log_ctx("web", symbol))
                continue
            out[symbol] = spark_points(closes, points)
    return _json({"minutes": minutes, "points": out})


async def _ws(request: web.Request) -> web.StreamResponse:
    if not _origin_allowed(request):
        raise web.HTTPForbidden(text="cross-origin WebSocket refused")
    # Без permessage-deflate: панель локальна, а стиснення кадру окремо для кожного браузера коштує CPU конвеєра.
    ws = web.WebSocketResponse(heartbeat=20.0, compress=False)
    await ws.prepare(request)
    hub = request.app[HUB_KEY]
    sockets = request.app[SOCKETS_KEY]
    client = hub.add_client()
    sockets.add(ws)

    async def writer() -> None:
        while True:
            text = await client.get()
            await asyncio.wait_for(ws.send_str(text), timeout=SEND_TIMEOUT_SEC)

    send_task = asyncio.create_task(writer(), name="web_ws_writer")
    # Читання потрібне, щоб отримати close/ping; зміст повідомлень браузера не використовується.
    read_task = asyncio.create_task(_drain(ws), name="web_ws_reader")
    try:
        done, _ = await asyncio.wait({send_task, read_task}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                logger.info("web_client_dropped error=%r", task.exception(), extra=log_ctx("web"))
    finally:
        send_task.cancel()
        read_task.cancel()
        hub.remove_client(client)
        sockets.discard(ws)
        if not ws.closed:
            with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
                await asyncio.wait_for(ws.close(), timeout=1.0)
    return ws


async def _drain(ws: web.WebSocketResponse) -> None:
    async for msg in ws:
        if msg.type == WSMsgType.ERROR:
            return


# ── Життєвий цикл ──
async def _start_pump(app: web.Application) -> None:
    app[PUMP_KEY] = asyncio.create_task(_run_pump(app[HUB_KEY], app[SOURCE_KEY]), name="web_frame_pump")


async def _run_pump(hub: FrameHub, source: FrameSource) -> None:
    try:
        await hub.pump(source)
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("web_pump_failed", extra=log_ctx("web"))


async def _close_sockets(app: web.Application) -> None:
    sockets = app[SOCKETS_KEY]
    for ws in list(sockets):
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
            await asyncio.wait_for(ws.close(code=1001, message=b"server shutdown"), timeout=1.0)


async def _stop_pump(app: web.Application) -> None:
    pump = app.get(PUMP_KEY)
    if pump is not None:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump


# ── Публічний API ──
def create_web_app(
    source: FrameSource,
    bars: BarsProvider | None = None,
    *,
    stale_after_sec: float = UI_STALE_AFTER_SEC,
    queue_size: int = 1,
    locale: str | None = None,
    market: str | None = None,
) -> web.Application:
    """Застосунок панелі: насос кадрів з `source`, графік з `bars` (None → `/api/bars` дає 404);
    `locale`/`market` None — з налаштувань (`AIONE_UI_LOCALE`, `AIONE_MARKET`)."""
    if not hasattr(source, "__aiter__"):
        raise TypeError("source must be an async iterable of frames")
    if bars is not None and not hasattr(bars, "get_recent_bars"):
        raise TypeError("bars must have get_recent_bars(symbol, n)")
    app = web.Application(middlewares=[_host_check])
    app[HOSTS_KEY] = set(LOOPBACK_HOSTS)
    app[HUB_KEY] = FrameHub(queue_size=queue_size)
    app[SOURCE_KEY] = source
    app[BARS_KEY] = bars
    if locale is None or market is None:
        env_locale, env_market = default_ui_settings()
        locale, market = locale or env_locale, market or env_market
    app[CONFIG_KEY] = ui_config(stale_after_sec, locale, market)
    app[SOCKETS_KEY] = set[web.WebSocketResponse]()
    app.router.add_get("/", _index)
    app.router.add_get("/static/vendor/plotly.min.js", _plotly)  # до add_static: інакше його перехопить
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/ws", _ws)
    app.router.add_get("/api/frame", _frame)
    app.router.add_get("/api/config", _config)
    app.router.add_get("/api/bars/{symbol}", _bars)
    app.router.add_get("/api/sparklines", _sparklines)
    app.router.add_get("/healthz", _healthz)
    app[SOURCE_KEY] = add_api_routes(app, app[HUB_KEY], source)  # /api/signals, /api/trades, /api/openapi.json
    app.on_startup.append(_start_pump)
    app.on_shutdown.append(_close_sockets)
    app.on_cleanup.append(_stop_pump)
    return app


__all__ = [
    "BARS_DEFAULT_N",
    "HOSTS_KEY",
    "HUB_KEY",
    "STATIC_DIR",
    "allow_bound_host",
    "create_web_app",
    "default_ui_settings",
    "host_allowed",
    "plotly_js_path",
    "ui_config",
]
