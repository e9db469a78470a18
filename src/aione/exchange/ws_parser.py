"""Чистий розбір кадрів WebSocket Binance (combined `{"stream","data"}` і сирих).

`parse_frame` повертає типізоване повідомлення, `None` для службових кадрів (відповідь
на SUBSCRIBE), або кидає `MalformedFrameError` — і ніколи жодного іншого винятку.
Spot bookTicker не має `e`/`E`/`T`: його впізнає форма (u, s, b, B, a, A).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from aione.data.bars import Bar
from aione.exchange.errors import MalformedFrameError

# ── Повідомлення ──
Levels = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class KlineUpdate:
    """Оновлення kline; `bar.closed` береться з поля `x`."""

    symbol: str
    interval: str
    bar: Bar
    event_time: int = 0


@dataclass(frozen=True, slots=True)
class BookTicker:
    """Найкращі bid/ask."""

    symbol: str
    bid: float
    bid_qty: float
    ask: float
    ask_qty: float
    update_id: int = 0
    event_time: int = 0  # 0 для spot (поля `E` немає)


@dataclass(frozen=True, slots=True)
class MarkPrice:
    """Марк-ціна та фінансування (`markPriceUpdate`, лише ф'ючерси)."""

    symbol: str
    mark_price: float
    index_price: float
    funding_rate: float
    next_funding_time: int
    event_time: int = 0


@dataclass(frozen=True, slots=True)
class AggTrade:
    """Агрегована угода."""

    symbol: str
    agg_id: int
    price: float
    qty: float
    trade_time: int
    buyer_is_maker: bool
    event_time: int = 0


@dataclass(frozen=True, slots=True)
class DepthUpdate:
    """Диференційне оновлення книги; `prev_final_update_id` — None для spot (немає `pu`)."""

    symbol: str
    first_update_id: int
    final_update_id: int
    prev_final_update_id: int | None
    bids: Levels
    asks: Levels
    event_time: int = 0


ParsedMessage = KlineUpdate | BookTicker | MarkPrice | AggTrade | DepthUpdate


# ── Примітиви ──
class _Bad(Exception):
    """Внутрішній сигнал «кадр зіпсований» з причиною."""


def _f(value: Any) -> float:
    if type(value) is str or type(value) is float or type(value) is int:
        out = float(value)
        if math.isfinite(out):
            return out
    raise _Bad(f"bad number {value!r}")


def _nonneg(value: Any) -> float:
    out = _f(value)
    if out < 0:
        raise _Bad(f"negative {value!r}")
    return out


def _i(value: Any) -> int:
    if type(value) is int:
        return value
    raise _Bad(f"bad integer {value!r}")


def _s(value: Any) -> str:
    if type(value) is str and value:
        return value
    raise _Bad(f"bad string {value!r}")


def _levels(raw: Any) -> Levels:
    if type(raw) is not list:
        raise _Bad("levels: expected array")
    out = []
    for level in raw:
        if type(level) is not list or len(level) < 2:
            raise _Bad("level: expected [price, qty]")
        out.append((_nonneg(level[0]), _nonneg(level[1])))
    return tuple(out)


def _taker_quote(value: Any) -> float:
    """`Q` (taker buy quote volume); немає поля — NaN (невідомо), а не вигадане значення."""
    return math.nan if value is None else _nonneg(value)


# ── Розбір за типом ──
def _kline(d: dict[str, Any]) -> KlineUpdate:
    k = d["k"]
    if type(k) is not dict:
        raise _Bad("k: expected object")
    closed = k["x"]
    if type(closed) is not bool:
        raise _Bad("x: expected bool")
    high, low = _f(k["h"]), _f(k["l"])
    if high < low:
        raise _Bad("high < low")
    bar = Bar(
        open_time=_i(k["t"]),
        open=_f(k["o"]),
        high=high,
        low=low,
        close=_f(k["c"]),
        volume=_nonneg(k["v"]),
        quote_volume=_nonneg(k["q"]),
        trades=_i(k["n"]),
        taker_buy_volume=_nonneg(k["V"]),
        closed=closed,
        taker_buy_quote=_taker_quote(k.get("Q")),
    )
    return KlineUpdate(symbol=_s(k.get("s", d.get("s"))), interval=_s(k["i"]), bar=bar, event_time=_i(d["E"]))


def _book(d: dict[str, Any]) -> BookTicker:
    event_time = d.get("E", 0)
    return BookTicker(
        symbol=_s(d["s"]),
        bid=_nonneg(d["b"]),
        bid_qty=_nonneg(d["B"]),
        ask=_nonneg(d["a"]),
        ask_qty=_nonneg(d["A"]),
        update_id=_i(d["u"]),
        event_time=_i(event_time),
    )


def _mark(d: dict[str, Any]) -> MarkPrice:
    return MarkPrice(
        symbol=_s(d["s"]),
        mark_price=_nonneg(d["p"]),
        index_price=_nonneg(d.get("i", d["p"])),
        funding_rate=_f(d.get("r", "0")),
        next_funding_time=_i(d.get("T", 0)),
        event_time=_i(d["E"]),
    )


def _agg(d: dict[str, Any]) -> AggTrade:
    maker = d["m"]
    if type(maker) is not bool:
        raise _Bad("m: expected bool")
    return AggTrade(
        symbol=_s(d["s"]),
        agg_id=_i(d["a"]),
        price=_nonneg(d["p"]),
        qty=_nonneg(d["q"]),
        trade_time=_i(d["T"]),
        buyer_is_maker=maker,
        event_time=_i(d["E"]),
    )


def _depth(d: dict[str, Any]) -> DepthUpdate:
    pu = d.get("pu")
    return DepthUpdate(
        symbol=_s(d["s"]),
        first_update_id=_i(d["U"]),
        final_update_id=_i(d["u"]),
        prev_final_update_id=None if pu is None else _i(pu),
        bids=_levels(d["b"]),
        asks=_levels(d["a"]),
        event_time=_i(d["E"]),
    )


_BY_EVENT: dict[str, Callable[[dict[str, Any]], ParsedMessage]] = {
    "kline": _kline,
    "bookTicker": _book,
    "markPriceUpdate": _mark,
    "aggTrade": _agg,
    "depthUpdate": _depth,
}
_SPOT_BOOK_KEYS = frozenset({"u", "s", "b", "B", "a", "A"})


def _dispatch(d: dict[str, Any]) -> ParsedMessage | None:
    event = d.get("e")
    if event is None:
        if _SPOT_BOOK_KEYS.issubset(d):
            return _book(d)
        if "result" in d and "id" in d:
            return None  # відповідь на SUBSCRIBE/UNSUBSCRIBE
        raise _Bad("no event type")
    handler = _BY_EVENT.get(event) if type(event) is str else None
    if handler is None:
        raise _Bad(f"unknown event {event!r}")
    return handler(d)


# ── Точка входу ──
def parse_frame(raw: str | bytes) -> ParsedMessage | None:
    """Розбирає один кадр; зіпсований — `MalformedFrameError`, службовий — None."""
    try:
        msg = orjson.loads(raw)
        if type(msg) is not dict:
            raise _Bad("frame is not an object")
        if "stream" in msg and "data" in msg:
            data = msg["data"]
            if type(data) is not dict:
                raise _Bad("data is not an object")
            return _dispatch(data)
        return _dispatch(msg)
    except KeyError as exc:
        raise MalformedFrameError(f"missing field {exc}", _excerpt(raw)) from None
    except (_Bad, orjson.JSONDecodeError, TypeError, ValueError, OverflowError) as exc:
        raise MalformedFrameError(str(exc) or type(exc).__name__, _excerpt(raw)) from None


def _excerpt(raw: str | bytes) -> str:
    return raw[:120] if isinstance(raw, str) else bytes(raw[:120]).decode("utf-8", "replace")


__all__ = [
    "AggTrade",
    "BookTicker",
    "DepthUpdate",
    "KlineUpdate",
    "Levels",
    "MarkPrice",
    "ParsedMessage",
    "parse_frame",
]
