"""Чистий розбір відповідей REST Binance у типізовані значення.

Кожна функція або повертає повністю розібраний результат, або кидає `PayloadError`
(підклас ValueError) — половинчастий результат назовні не виходить. Числа Binance
передає рядками; тут вони стають float і перевіряються на скінченність.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from aione.config.config import SymbolInfo
from aione.data.bars import Bar
from aione.exchange.models import OrderBook, PremiumIndex, Ticker24h

# ── Примітиви ──


class PayloadError(ValueError):
    """Відповідь не відповідає очікуваній формі."""


def num(value: Any, name: str) -> float:
    """Скінченне число з рядка чи числа Binance; інакше PayloadError."""
    if isinstance(value, bool):
        raise PayloadError(f"{name}: bool is not a number")
    if isinstance(value, str | int | float):
        try:
            out = float(value)
        except ValueError:
            raise PayloadError(f"{name}: not a number: {value!r}") from None
        if not math.isfinite(out):
            raise PayloadError(f"{name}: non-finite {value!r}")
        return out
    raise PayloadError(f"{name}: expected number, got {type(value).__name__}")


def integer(value: Any, name: str) -> int:
    """Ціле (мс, id, кількість угод); рядок із цілим теж приймається."""
    if isinstance(value, bool):
        raise PayloadError(f"{name}: bool is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise PayloadError(f"{name}: not an integer: {value!r}") from None
    raise PayloadError(f"{name}: expected integer, got {type(value).__name__}")


def obj(value: Any, name: str) -> Mapping[str, Any]:
    """JSON-об'єкт або PayloadError."""
    if not isinstance(value, Mapping):
        raise PayloadError(f"{name}: expected object, got {type(value).__name__}")
    return value


def arr(value: Any, name: str) -> list[Any]:
    """JSON-масив або PayloadError."""
    if not isinstance(value, list):
        raise PayloadError(f"{name}: expected array, got {type(value).__name__}")
    return value


def field(data: Mapping[str, Any], key: str) -> Any:
    """Обов'язкове поле об'єкта."""
    try:
        return data[key]
    except KeyError:
        raise PayloadError(f"missing field {key!r}") from None


def _decimals(step: float) -> int:
    """Кількість знаків після коми для кроку 0.001 → 3."""
    text = f"{step:.12f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


# ── Час і exchangeInfo ──


def parse_server_time(payload: Any) -> int:
    """`{"serverTime": ms}` → ms."""
    return integer(field(obj(payload, "time"), "serverTime"), "serverTime")


def _symbol_info(raw: Any, min_notional_keys: tuple[str, ...]) -> SymbolInfo:
    data = obj(raw, "symbol")
    symbol = field(data, "symbol")
    if not isinstance(symbol, str):
        raise PayloadError("symbol: expected string")
    filters = {f.get("filterType"): f for f in arr(field(data, "filters"), "filters") if isinstance(f, dict)}
    price_filter = obj(filters.get("PRICE_FILTER"), f"{symbol}.PRICE_FILTER")
    lot = obj(filters.get("LOT_SIZE"), f"{symbol}.LOT_SIZE")
    tick = num(field(price_filter, "tickSize"), f"{symbol}.tickSize")
    step = num(field(lot, "stepSize"), f"{symbol}.stepSize")
    if tick <= 0 or step <= 0:
        raise PayloadError(f"{symbol}: non-positive tickSize/stepSize")
    min_notional = 0.0
    for ftype in ("MIN_NOTIONAL", "NOTIONAL"):
        flt = filters.get(ftype)
        if flt is None:
            continue
        for key in min_notional_keys:
            if key in flt:
                min_notional = num(flt[key], f"{symbol}.{key}")
                break
    contract = data.get("contractType")
    price_precision = data.get("pricePrecision")
    qty_precision = data.get("quantityPrecision")
    return SymbolInfo(
        symbol=symbol,
        status=str(field(data, "status")),
        base_asset=str(data.get("baseAsset", "")),
        quote_asset=str(data.get("quoteAsset", "")),
        contract_type=str(contract) if contract else None,
        tick_size=tick,
        step_size=step,
        min_notional=min_notional,
        price_precision=min(18, integer(price_precision, "pricePrecision"))
        if price_precision is not None
        else min(18, _decimals(tick)),
        quantity_precision=min(18, integer(qty_precision, "quantityPrecision"))
        if qty_precision is not None
        else min(18, _decimals(step)),
    )


def parse_exchange_info(
    payload: Any, min_notional_keys: tuple[str, ...] = ("notional", "minNotional")
) -> list[SymbolInfo]:
    """exchangeInfo → список `SymbolInfo` (усі символи, будь-який статус)."""
    data = obj(payload, "exchangeInfo")
    return [_symbol_info(raw, min_notional_keys) for raw in arr(field(data, "symbols"), "symbols")]


def parse_weight_limit(payload: Any) -> int | None:
    """Ліміт REQUEST_WEIGHT за хвилину з `rateLimits` exchangeInfo (None, якщо немає)."""
    data = obj(payload, "exchangeInfo")
    for item in data.get("rateLimits") or ():
        if (
            isinstance(item, dict)
            and item.get("rateLimitType") == "REQUEST_WEIGHT"
            and item.get("interval") == "MINUTE"
            and item.get("intervalNum") == 1
        ):
            return integer(item.get("limit"), "rateLimits.limit")
    return None


# ── Klines ──


def parse_kline_row(row: Any, now_ms: int) -> Bar:
    """Один 12-полевий рядок klines → `Bar`; `closed` = close_time < now_ms."""
    items = arr(row, "kline")
    if len(items) < 11:
        raise PayloadError(f"kline: expected 12 fields, got {len(items)}")
    open_time = integer(items[0], "kline.open_time")
    o, h, low, c = (num(items[i], name) for i, name in ((1, "open"), (2, "high"), (3, "low"), (4, "close")))
    volume = num(items[5], "volume")
    close_time = integer(items[6], "kline.close_time")
    if h < low or volume < 0 or close_time < open_time:
        raise PayloadError(f"kline {open_time}: inconsistent values")
    return Bar(
        open_time=open_time,
        open=o,
        high=h,
        low=low,
        close=c,
        volume=volume,
        quote_volume=num(items[7], "quote_volume"),
        trades=integer(items[8], "trades"),
        taker_buy_volume=num(items[9], "taker_buy_volume"),
        closed=close_time < now_ms,
        taker_buy_quote=num(items[10], "taker_buy_quote"),
    )


def parse_klines(payload: Any, now_ms: int) -> list[Bar]:
    """Масив klines → бари, строго зростаючі за open_time."""
    bars = [parse_kline_row(row, now_ms) for row in arr(payload, "klines")]
    for prev, cur in zip(bars, bars[1:], strict=False):
        if cur.open_time <= prev.open_time:
            raise PayloadError(f"klines not strictly increasing at {cur.open_time}")
    return bars


# ── Ринкові дані ──


def parse_ticker_24h(payload: Any) -> list[Ticker24h]:
    """`ticker/24hr` без symbol → список `Ticker24h`."""
    out: list[Ticker24h] = []
    for raw in arr(payload, "ticker_24h"):
        data = obj(raw, "ticker")
        symbol = field(data, "symbol")
        if not isinstance(symbol, str):
            raise PayloadError("ticker.symbol: expected string")
        out.append(
            Ticker24h(
                symbol=symbol,
                last_price=num(field(data, "lastPrice"), "lastPrice"),
                price_change_pct=num(field(data, "priceChangePercent"), "priceChangePercent"),
                quote_volume=num(field(data, "quoteVolume"), "quoteVolume"),
                high=num(field(data, "highPrice"), "highPrice"),
                low=num(field(data, "lowPrice"), "lowPrice"),
                volume=num(field(data, "volume"), "volume"),
                count=integer(field(data, "count"), "count"),
            )
        )
    return out


def parse_open_interest(payload: Any) -> float:
    """`openInterest` → кількість контрактів (базовий актив)."""
    value = num(field(obj(payload, "openInterest"), "openInterest"), "openInterest")
    if value < 0:
        raise PayloadError("openInterest: negative")
    return value


def _levels(raw: Any, name: str) -> np.ndarray:
    rows = arr(raw, name)
    out = np.empty((len(rows), 2), dtype=np.float64)
    for i, level in enumerate(rows):
        pair = arr(level, name)
        if len(pair) < 2:
            raise PayloadError(f"{name}[{i}]: expected [price, qty]")
        out[i, 0] = num(pair[0], f"{name}.price")
        out[i, 1] = num(pair[1], f"{name}.qty")
    if (out < 0).any():
        raise PayloadError(f"{name}: negative price or qty")
    return out


def parse_depth(payload: Any, symbol: str) -> OrderBook:
    """`depth` → `OrderBook` (bids за спаданням, asks за зростанням ціни — перевіряється)."""
    data = obj(payload, "depth")
    bids = _levels(field(data, "bids"), "bids")
    asks = _levels(field(data, "asks"), "asks")
    if bids.shape[0] > 1 and (np.diff(bids[:, 0]) >= 0).any():
        raise PayloadError("bids not strictly descending")
    if asks.shape[0] > 1 and (np.diff(asks[:, 0]) <= 0).any():
        raise PayloadError("asks not strictly ascending")
    return OrderBook(
        symbol=symbol,
        bids=bids,
        asks=asks,
        last_update_id=integer(data.get("lastUpdateId", 0), "lastUpdateId"),
    )


def parse_premium_index(payload: Any) -> PremiumIndex:
    """`premiumIndex?symbol=` → `PremiumIndex`."""
    data = obj(payload, "premiumIndex")
    symbol = field(data, "symbol")
    if not isinstance(symbol, str):
        raise PayloadError("premiumIndex.symbol: expected string")
    return PremiumIndex(
        symbol=symbol,
        mark_price=num(field(data, "markPrice"), "markPrice"),
        index_price=num(field(data, "indexPrice"), "indexPrice"),
        funding_rate=num(field(data, "lastFundingRate"), "lastFundingRate"),
        next_funding_time=integer(field(data, "nextFundingTime"), "nextFundingTime"),
    )


__all__ = [
    "PayloadError",
    "arr",
    "field",
    "integer",
    "num",
    "obj",
    "parse_depth",
    "parse_exchange_info",
    "parse_kline_row",
    "parse_klines",
    "parse_open_interest",
    "parse_premium_index",
    "parse_server_time",
    "parse_ticker_24h",
    "parse_weight_limit",
]
