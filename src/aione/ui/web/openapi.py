"""Документ OpenAPI 3.1 API веб-панелі (`/api/openapi.json`), зібраний з моделей pydantic.

Схеми відповідей — `model_json_schema` тих самих моделей, якими перевіряються кадри
(`ui.frame_schema.FrameModel`) і відповіді (`ui.web.api_models`), тож опис не розходиться з
перевіркою. Таблиця `OPERATIONS` — єдиний перелік документованих маршрутів: тест звіряє її з
маршрутизатором сервера (новий `/api/*` без опису валить тест) і перевіряє кожну відповідь
моделлю зі своєї таблиці.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from aione import __version__
from aione.ui.frame_schema import FrameModel
from aione.ui.web.api_models import (
    STREAM_ID_PATTERN,
    ApiError,
    BarsPage,
    HealthModel,
    SignalsPage,
    SparklinesPage,
    TradesPage,
    UiConfigModel,
)
from aione.ui.web.api_payloads import SIGNALS_DEFAULT_LIMIT, SIGNALS_MAX_LIMIT
from aione.ui.web.bars_provider import CHART_TIMEFRAMES

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
HOST_REFUSED = (
    "Host header is not loopback or the server's own address (DNS rebinding protection); plain text"
)


# ── Опис операцій ──
@dataclass(frozen=True, slots=True)
class Param:
    """Параметр запиту або шляху."""

    name: str
    where: str  # query | path
    description: str
    schema: dict[str, Any]
    required: bool = False

    def to_openapi(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "description": self.description,
            "schema": self.schema,
        }


@dataclass(frozen=True, slots=True)
class Reply:
    """Відповідь з кодом: опис і модель тіла (None — довільний JSON-об'єкт)."""

    description: str
    model: type[BaseModel] | None


@dataclass(frozen=True, slots=True)
class Operation:
    """Один GET-маршрут лише для читання."""

    path: str
    operation_id: str
    summary: str
    description: str
    replies: dict[int, Reply]
    params: tuple[Param, ...] = field(default_factory=tuple)
    tag: str = "state"


def _int(minimum: int, maximum: int, default: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}


def operations() -> tuple[Operation, ...]:
    """Усі документовані маршрути. Межі параметрів — ті самі константи, що перевіряє сервер."""
    # Імпорт тут, а не вгорі: server.py реєструє API через api_routes, що імпортує цей модуль,
    # тож імпорт server на рівні модуля був би циклом.
    from aione.ui.web import server

    bad = Reply("bad query or path parameter", ApiError)
    return (
        Operation(
            "/api/frame",
            "getFrame",
            "Latest state frame",
            "The last frame the server accepted (the same JSON the WebSocket `/ws` pushes).",
            {200: Reply("state frame", FrameModel), 503: Reply("no frame received yet", ApiError)},
        ),
        Operation(
            "/api/bars/{symbol}",
            "getBars",
            "Chart bars of a symbol",
            "The last `n` bars of timeframe `tf`, resampled on the server from 1m bars of the store.",
            {
                200: Reply("bars, oldest first", BarsPage),
                400: bad,
                404: Reply("no bars provider in this mode", ApiError),
                503: Reply("bars are unavailable right now", ApiError),
            },
            (
                Param(
                    "symbol",
                    "path",
                    "symbol, e.g. BTCUSDT",
                    {"type": "string", "pattern": "^[A-Za-z0-9_]{2,30}$"},
                ),
                Param("n", "query", "number of bars", _int(1, server.BARS_MAX_N, server.BARS_DEFAULT_N)),
                Param(
                    "tf",
                    "query",
                    "chart timeframe",
                    {"type": "string", "enum": list(CHART_TIMEFRAMES), "default": "1m"},
                ),
            ),
            "market",
        ),
        Operation(
            "/api/sparklines",
            "getSparklines",
            "Recent closes per symbol",
            "Closes of the last `minutes` 1m bars, thinned to `points`, for every symbol of the last frame.",
            {200: Reply("closes per symbol", SparklinesPage), 400: bad},
            (
                Param(
                    "minutes",
                    "query",
                    "window in minutes",
                    _int(1, server.SPARK_MAX_MINUTES, server.SPARK_MINUTES),
                ),
                Param(
                    "points",
                    "query",
                    "points per symbol (2..minutes)",
                    _int(2, server.SPARK_MAX_MINUTES, server.SPARK_POINTS),
                ),
            ),
            "market",
        ),
        Operation(
            "/api/signals",
            "getSignals",
            "Signals that passed the gate, resumable",
            "Signals oldest first, newest last. Without `since` — the latest `limit` signals. With `since` — "
            "the signals after that position, at most `limit`; pass the page's `next_since` as the next "
            "`since` to read on without loss or repeats. Source: the Redis Stream `asset_signals` when "
            "the server runs over Redis, else a bounded in-memory ring fed by the frames the server sees "
            "(its positions restart with the server).",
            {
                200: Reply("a page of signals", SignalsPage),
                400: bad,
                503: Reply("the signal stream is unavailable right now", ApiError),
            },
            (
                Param(
                    "since",
                    "query",
                    "the last position received (`<ms>-<seq>`, exclusive) or a time in ms (inclusive)",
                    {
                        "type": "string",
                        "pattern": r"^[0-9]{1,20}(-[0-9]{1,20})?$",
                        "examples": ["1700000000000-0"],
                    },
                ),
                Param("limit", "query", "page size", _int(1, SIGNALS_MAX_LIMIT, SIGNALS_DEFAULT_LIMIT)),
            ),
            "signals",
        ),
        Operation(
            "/api/trades",
            "getTrades",
            "Open and recently closed paper trades",
            "Trades from the last frame: pending and open (with the current price, PnL in % and R) "
            "and the recently closed ones, newest first. Read-only.",
            {200: Reply("trades", TradesPage), 400: bad, 503: Reply("no frame received yet", ApiError)},
            (Param("symbol", "query", "only this symbol, e.g. BTCUSDT", {"type": "string"}),),
            "signals",
        ),
        Operation(
            "/api/config",
            "getConfig",
            "Page constants",
            "Locale, market, chart timeframes, tick sizes and column labels the page needs.",
            {200: Reply("page constants", UiConfigModel)},
            tag="meta",
        ),
        Operation(
            "/api/openapi.json",
            "getOpenApi",
            "This document",
            "The OpenAPI 3.1 description of this read-only API.",
            {200: Reply("OpenAPI document", None)},
            tag="meta",
        ),
        Operation(
            "/healthz",
            "getHealth",
            "Health of the frame fan-out",
            "Frames received, connected clients, dropped and rejected frames, age of the last frame.",
            {200: Reply("health", HealthModel)},
            tag="meta",
        ),
    )


# ── Документ ──
def _models(ops: tuple[Operation, ...]) -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for op in ops:
        for reply in op.replies.values():
            if reply.model is not None:
                seen.setdefault(reply.model.__name__, reply.model)
    return list(seen.values())


def _content(reply: Reply) -> dict[str, Any]:
    schema: dict[str, Any] = (
        {"$ref": REF_TEMPLATE.format(model=reply.model.__name__)}
        if reply.model is not None
        else {"type": "object"}
    )
    return {"description": reply.description, "content": {"application/json": {"schema": schema}}}


def build_openapi() -> dict[str, Any]:
    """Документ OpenAPI 3.1 (словник для JSON)."""
    ops = operations()
    _, defs = models_json_schema([(model, "validation") for model in _models(ops)], ref_template=REF_TEMPLATE)
    paths: dict[str, Any] = {}
    for op in ops:
        responses = {str(code): _content(reply) for code, reply in sorted(op.replies.items())}
        responses["421"] = {"description": HOST_REFUSED}
        paths[op.path] = {
            "get": {
                "operationId": op.operation_id,
                "summary": op.summary,
                "description": op.description,
                "tags": [op.tag],
                "parameters": [p.to_openapi() for p in op.params],
                "responses": responses,
            }
        }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "AiOne dashboard read-only API",
            "version": __version__,
            "description": (
                "Read-only JSON API of the AiOne web dashboard. Every route is GET; errors are "
                '`{"error": "<one line>"}`. Requests whose Host header is not loopback or the '
                "server's own address get 421. Signal positions look like Redis Stream ids "
                f"(`{STREAM_ID_PATTERN}`) and compare as (ms, seq)."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "state", "description": "the state frame"},
            {"name": "market", "description": "bars for charts"},
            {"name": "signals", "description": "signals and paper trades"},
            {"name": "meta", "description": "configuration, health, this document"},
        ],
        "paths": paths,
        "components": {"schemas": defs.get("$defs", {})},
    }


def response_model(path: str, status: int) -> type[BaseModel] | None:
    """Модель тіла відповіді маршруту з кодом `status` за таблицею (для перевірок); KeyError — не описано."""
    for op in operations():
        if op.path == path:
            return op.replies[status].model
    raise KeyError(path)


__all__ = [
    "OPENAPI_VERSION",
    "Operation",
    "Param",
    "Reply",
    "build_openapi",
    "operations",
    "response_model",
]
