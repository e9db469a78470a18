"""Чисті парсери деривативних і книжкових даних Binance: книга, марк-ціна, ліквідації, OI, aggTrade.

Кожен парсер приймає вже декодований JSON (або сирий кадр — `parse_stream_frame`) і повертає
або подію (малий заморожений dataclass), або `Reject` з причиною. Жоден виняток назовні не
виходить: сміття (випадкові байти, не ті типи, відсутні поля, рядки "NaN") — це `Reject`.

Форми (за документацією Binance і записами в ../shared/fixtures/binance):
- `<symbol>@depth<N>@100ms` (часткова книга): ф'ючерси — `depthUpdate` з `b`/`a` (верхні N рівнів);
  spot — `{"lastUpdateId", "bids", "asks"}` без символу (символ — з назви потоку);
- `<symbol>@depth@100ms` (диференційна): `depthUpdate` з `U`/`u` (і `pu` лише на ф'ючерсах);
- REST `depth`: `{"lastUpdateId", ["E", "T",] "bids", "asks"}` (id та час бувають рядками);
- `<symbol>@markPrice@1s`: `markPriceUpdate` (p, i, P, r, T); REST `premiumIndex` — те саме словами;
- `!markPrice@arr@1s` (або `!markPrice@arr`, усі символи ринку одним потоком): масив тих самих
  `markPriceUpdate` → `MarkPriceBatch` (`parse_mark_price_all`): один прохід, елементи символів поза
  набором пропускаються без розбору, зіпсований елемент відкидається з причиною, решта приймаються;
- `!forceOrder@arr`: `forceOrder` з вкладеним `o` (s, S, q, p, ap, X, l, z, T);
- REST `openInterest`: `{"openInterest", "symbol", "time"}`; `openInterestHist`: масив
  `{"symbol", "sumOpenInterest", "sumOpenInterestValue", "timestamp"}`;
- aggTrade: WS `aggTrade` (a, p, q, f, l, T, m) і REST `aggTrades` (без `s`, числа бувають рядками).
Перевірка книги на схрещення/інверсію — справа сховища (`data/book_checks.py`): парсер лише
гарантує, що кожне число скінченне й невід'ємне.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson

# ── Типи подій ──
Levels = npt.NDArray[np.float64]  # форма (n, 2): price, qty
BookKind = Literal["partial", "rest"]
Side = Literal["BUY", "SELL"]

_EMPTY_LEVELS: Levels = np.zeros((0, 2), dtype=np.float64)
_EMPTY_LEVELS.flags.writeable = False


@dataclass(frozen=True, slots=True)
class Reject:
    """Кадр/відповідь відкинуто; `reason` — коротка англійська причина для лічильників і журналу."""

    reason: str


@dataclass(frozen=True, slots=True, eq=False)
class BookSnapshot:
    """Повний знімок верху книги: часткова книга WS (`partial`) або REST depth (`rest`).

    `bids` — як прийшли (очікувано за спаданням), `asks` — за зростанням; масиви лише для читання.
    `event_time` — мс біржі (0, якщо невідомо: spot partial і spot REST його не мають)."""

    symbol: str
    bids: Levels
    asks: Levels
    update_id: int
    event_time: int = 0
    transact_time: int = 0
    kind: BookKind = "partial"

    @property
    def best_bid(self) -> float:
        """Найкращий bid або NaN для порожньої сторони."""
        return float(self.bids[0, 0]) if self.bids.shape[0] else math.nan

    @property
    def best_ask(self) -> float:
        """Найкращий ask або NaN для порожньої сторони."""
        return float(self.asks[0, 0]) if self.asks.shape[0] else math.nan


@dataclass(frozen=True, slots=True, eq=False)
class DepthDiff:
    """Диференційне оновлення книги (`@depth@100ms`); кількість 0 — рівень зник.

    `prev_final_update_id` — None на spot (поля `pu` немає)."""

    symbol: str
    first_update_id: int
    final_update_id: int
    prev_final_update_id: int | None
    bids: Levels
    asks: Levels
    event_time: int = 0
    transact_time: int = 0


@dataclass(frozen=True, slots=True)
class MarkFunding:
    """Марк-ціна, індекс і ставка фінансування (WS `markPriceUpdate` або REST `premiumIndex`)."""

    symbol: str
    mark_price: float
    index_price: float
    funding_rate: float  # частка за період фінансування (0.0001 = 0.01 %)
    next_funding_time: int  # мс епохи
    event_time: int


@dataclass(frozen=True, slots=True)
class Liquidation:
    """Примусове закриття (`forceOrder`). `side` — сторона ордера ліквідації: SELL закриває лонг."""

    symbol: str
    side: Side
    price: float
    avg_price: float
    qty: float  # початкова кількість ордера
    filled_qty: float  # накопичено виконано (`z`)
    status: str
    trade_time: int
    event_time: int

    @property
    def notional(self) -> float:
        """Виконаний обсяг у валюті котирування: середня ціна × виконана кількість (ціна ордера,
        якщо середньої немає)."""
        price = self.avg_price if self.avg_price > 0 else self.price
        return price * self.filled_qty


@dataclass(frozen=True, slots=True)
class OpenInterestPoint:
    """Відкритий інтерес у базовому активі на момент `time`; `value` — у USDT (лише з `openInterestHist`)."""

    symbol: str
    time: int
    open_interest: float
    value: float = math.nan


@dataclass(frozen=True, slots=True)
class AggTradeEvent:
    """Агрегована угода; `buyer_is_maker=True` означає, що тейкер продавав."""

    symbol: str
    agg_id: int
    price: float
    qty: float
    first_trade_id: int
    last_trade_id: int
    trade_time: int
    buyer_is_maker: bool
    event_time: int = 0

    @property
    def taker_buy(self) -> bool:
        """Тейкер купував (агресор — покупець)."""
        return not self.buyer_is_maker


@dataclass(frozen=True, slots=True)
class MarkPriceBatch:
    """Кадр `!markPrice@arr@1s`: прийняті події, кількість пропущених (символ поза набором) і
    відкинуті елементи (по `Reject` на елемент)."""

    events: tuple[MarkFunding, ...]
    skipped: int = 0
    rejected: tuple[Reject, ...] = ()


DerivEvent = BookSnapshot | DepthDiff | MarkFunding | Liquidation | OpenInterestPoint | AggTradeEvent


# ── Примітиви (кидають _Bad лише всередині модуля) ──
class _Bad(Exception):
    """Внутрішній сигнал «payload зіпсований» з причиною."""


def _num(value: Any, name: str) -> float:
    if type(value) is str or type(value) is float or type(value) is int:
        try:
            out = float(value)
        except ValueError:
            raise _Bad(f"{name}: not a number") from None
        if math.isfinite(out):
            return out
        raise _Bad(f"{name}: non-finite")
    raise _Bad(f"{name}: expected number")


def _nonneg(value: Any, name: str) -> float:
    out = _num(value, name)
    if out < 0:
        raise _Bad(f"{name}: negative")
    return out


def _int(value: Any, name: str) -> int:
    """Ціле (мс, id); рядок із цілим теж (REST іноді передає id рядком)."""
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            raise _Bad(f"{name}: not an integer") from None
    raise _Bad(f"{name}: expected integer")


def _str(value: Any, name: str) -> str:
    if type(value) is str and value:
        return value
    raise _Bad(f"{name}: expected non-empty string")


def _obj(value: Any, name: str) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    raise _Bad(f"{name}: expected object")


def _get(data: Mapping[str, Any], key: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise _Bad(f"missing field {key!r}") from None


def _levels(raw: Any, name: str) -> Levels:
    """`[["price", "qty"], ...]` → масив (n, 2) лише для читання.

    Звичайна форма (рівні — пари рядків чи чисел, усе скінченне й невід'ємне) перетворюється одним
    викликом numpy; будь-що інше йде поелементним розбором, який і називає ваду."""
    if type(raw) is not list:
        raise _Bad(f"{name}: expected array")
    if not raw:
        return _EMPTY_LEVELS
    try:
        fast = np.array(raw, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        fast = None  # нерівні рядки, не числа — розбір нижче назве причину
    if (
        fast is not None
        and fast.shape == (len(raw), 2)
        and np.isfinite(fast).all()
        and fast.min() >= 0.0
        and not any(type(v) is bool for level in raw for v in level)
    ):
        fast.flags.writeable = False
        return fast
    out = np.empty((len(raw), 2), dtype=np.float64)
    for i, level in enumerate(raw):
        if type(level) is not list or len(level) < 2:
            raise _Bad(f"{name}: expected [price, qty]")
        out[i, 0] = _nonneg(level[0], f"{name}.price")
        out[i, 1] = _nonneg(level[1], f"{name}.qty")
    out.flags.writeable = False
    return out


def _guard(fn: Callable[[], Any]) -> Any:
    """Виконує розбір; будь-яку ваду форми перетворює на `Reject`."""
    try:
        return fn()
    except _Bad as exc:
        return Reject(str(exc))
    except (KeyError, IndexError, TypeError, ValueError, OverflowError) as exc:
        # Захист від форм, яких примітиви не передбачили: парсер не кидає за жодного входу.
        return Reject(f"malformed: {type(exc).__name__}")


# ── Книга ──
def _book_from_update(d: Mapping[str, Any], symbol: str | None) -> BookSnapshot:
    raw_symbol = d.get("s", symbol)
    return BookSnapshot(
        symbol=_str(raw_symbol, "s").upper(),
        bids=_levels(_get(d, "b"), "b"),
        asks=_levels(_get(d, "a"), "a"),
        update_id=_int(_get(d, "u"), "u"),
        event_time=_int(d.get("E", 0), "E"),
        transact_time=_int(d.get("T", 0), "T"),
        kind="partial",
    )


def _book_from_snapshot(d: Mapping[str, Any], symbol: str | None, kind: BookKind) -> BookSnapshot:
    return BookSnapshot(
        symbol=_str(symbol, "symbol").upper(),
        bids=_levels(_get(d, "bids"), "bids"),
        asks=_levels(_get(d, "asks"), "asks"),
        update_id=_int(_get(d, "lastUpdateId"), "lastUpdateId"),
        event_time=_int(d.get("E", 0), "E"),
        transact_time=_int(d.get("T", 0), "T"),
        kind=kind,
    )


def parse_partial_depth(data: Any, symbol: str | None = None) -> BookSnapshot | Reject:
    """Часткова книга `<symbol>@depth<N>@100ms`: ф'ючерсна форма (`depthUpdate`) або spot
    (`lastUpdateId`/`bids`/`asks`, символ — з `symbol`, тобто з назви потоку)."""

    def run() -> BookSnapshot:
        d = _obj(data, "depth")
        if "lastUpdateId" in d:
            return _book_from_snapshot(d, symbol, "partial")
        if d.get("e") != "depthUpdate":
            raise _Bad("not a depth frame")
        return _book_from_update(d, symbol)

    out: BookSnapshot | Reject = _guard(run)
    return out


def parse_depth_snapshot(payload: Any, symbol: str) -> BookSnapshot | Reject:
    """REST `GET /fapi/v1/depth` або `/api/v3/depth` → `BookSnapshot(kind="rest")`."""
    out: BookSnapshot | Reject = _guard(lambda: _book_from_snapshot(_obj(payload, "depth"), symbol, "rest"))
    return out


def parse_depth_diff(data: Any) -> DepthDiff | Reject:
    """Диференційне оновлення `depthUpdate` (`<symbol>@depth@100ms`)."""

    def run() -> DepthDiff:
        d = _obj(data, "depthUpdate")
        if d.get("e") != "depthUpdate":
            raise _Bad("not a depthUpdate")
        first, final = _int(_get(d, "U"), "U"), _int(_get(d, "u"), "u")
        if final < first:
            raise _Bad("u < U")
        pu = d.get("pu")
        return DepthDiff(
            symbol=_str(_get(d, "s"), "s").upper(),
            first_update_id=first,
            final_update_id=final,
            prev_final_update_id=None if pu is None else _int(pu, "pu"),
            bids=_levels(_get(d, "b"), "b"),
            asks=_levels(_get(d, "a"), "a"),
            event_time=_int(_get(d, "E"), "E"),
            transact_time=_int(d.get("T", 0), "T"),
        )

    out: DepthDiff | Reject = _guard(run)
    return out


# ── Марк-ціна і фінансування ──
def parse_mark_price(data: Any) -> MarkFunding | Reject:
    """WS `markPriceUpdate` (`<symbol>@markPrice@1s`)."""

    def run() -> MarkFunding:
        d = _obj(data, "markPriceUpdate")
        if d.get("e") != "markPriceUpdate":
            raise _Bad("not a markPriceUpdate")
        mark = _nonneg(_get(d, "p"), "p")
        if mark <= 0:
            raise _Bad("p: non-positive")
        return MarkFunding(
            symbol=_str(_get(d, "s"), "s").upper(),
            mark_price=mark,
            index_price=_nonneg(_get(d, "i"), "i"),
            funding_rate=_num(_get(d, "r"), "r"),
            next_funding_time=_int(_get(d, "T"), "T"),
            event_time=_int(_get(d, "E"), "E"),
        )

    out: MarkFunding | Reject = _guard(run)
    return out


def parse_premium_index(payload: Any) -> MarkFunding | Reject:
    """REST `premiumIndex?symbol=` → та сама подія, що й WS markPrice."""

    def run() -> MarkFunding:
        d = _obj(payload, "premiumIndex")
        mark = _nonneg(_get(d, "markPrice"), "markPrice")
        if mark <= 0:
            raise _Bad("markPrice: non-positive")
        return MarkFunding(
            symbol=_str(_get(d, "symbol"), "symbol").upper(),
            mark_price=mark,
            index_price=_nonneg(_get(d, "indexPrice"), "indexPrice"),
            funding_rate=_num(_get(d, "lastFundingRate"), "lastFundingRate"),
            next_funding_time=_int(_get(d, "nextFundingTime"), "nextFundingTime"),
            event_time=_int(_get(d, "time"), "time"),
        )

    out: MarkFunding | Reject = _guard(run)
    return out


def parse_mark_price_all(data: Any, wanted: Collection[str] | None = None) -> MarkPriceBatch | Reject:
    """Масив `markPriceUpdate` з `!markPrice@arr@1s` за один прохід.

    `wanted` — символи (верхній регістр), які потрібні: елемент іншого символу лише рахується в
    `skipped` (його поля не розбираються); None — приймаються всі. Зіпсований елемент (не об'єкт, без
    символу, NaN, бракує полів) потрапляє в `rejected` і не заважає решті. `Reject` — лише коли сам
    кадр не масив. Ніколи не кидає."""
    if type(data) is not list:
        return Reject("markPrice@arr: expected array")
    events: list[MarkFunding] = []
    rejected: list[Reject] = []
    skipped = 0
    for item in data:
        if wanted is not None:
            symbol = item.get("s") if type(item) is dict else None
            if type(symbol) is str and symbol and symbol not in wanted and symbol.upper() not in wanted:
                skipped += 1
                continue
        out = parse_mark_price(item)
        if isinstance(out, Reject):
            rejected.append(out)
        else:
            events.append(out)
    return MarkPriceBatch(tuple(events), skipped, tuple(rejected))


# ── Ліквідації ──
def parse_force_order(data: Any) -> Liquidation | Reject:
    """`forceOrder` (з потоку `!forceOrder@arr` або `<symbol>@forceOrder`)."""

    def run() -> Liquidation:
        d = _obj(data, "forceOrder")
        if d.get("e") != "forceOrder":
            raise _Bad("not a forceOrder")
        o = _obj(_get(d, "o"), "o")
        side = _get(o, "S")
        if side != "BUY" and side != "SELL":
            raise _Bad("S: expected BUY or SELL")
        price = _nonneg(_get(o, "p"), "p")
        avg = _nonneg(o.get("ap", "0"), "ap")
        if price <= 0 and avg <= 0:
            raise _Bad("p/ap: non-positive")
        return Liquidation(
            symbol=_str(_get(o, "s"), "s").upper(),
            side=side,
            price=price,
            avg_price=avg,
            qty=_nonneg(_get(o, "q"), "q"),
            filled_qty=_nonneg(o.get("z", o.get("l", "0")), "z"),
            status=_str(o.get("X", "FILLED"), "X"),
            trade_time=_int(_get(o, "T"), "T"),
            event_time=_int(_get(d, "E"), "E"),
        )

    out: Liquidation | Reject = _guard(run)
    return out


# ── Відкритий інтерес ──
def parse_open_interest(payload: Any) -> OpenInterestPoint | Reject:
    """REST `GET /fapi/v1/openInterest?symbol=`."""

    def run() -> OpenInterestPoint:
        d = _obj(payload, "openInterest")
        return OpenInterestPoint(
            symbol=_str(_get(d, "symbol"), "symbol").upper(),
            time=_int(_get(d, "time"), "time"),
            open_interest=_nonneg(_get(d, "openInterest"), "openInterest"),
        )

    out: OpenInterestPoint | Reject = _guard(run)
    return out


def parse_open_interest_hist(payload: Any) -> tuple[OpenInterestPoint, ...] | Reject:
    """REST `GET /futures/data/openInterestHist` → точки, відсортовані за часом.

    Один зіпсований елемент відкидає всю відповідь (половинчастої історії не буває)."""

    def run() -> tuple[OpenInterestPoint, ...]:
        if type(payload) is not list:
            raise _Bad("openInterestHist: expected array")
        points = []
        for raw in payload:
            d = _obj(raw, "openInterestHist")
            points.append(
                OpenInterestPoint(
                    symbol=_str(_get(d, "symbol"), "symbol").upper(),
                    time=_int(_get(d, "timestamp"), "timestamp"),
                    open_interest=_nonneg(_get(d, "sumOpenInterest"), "sumOpenInterest"),
                    value=_nonneg(_get(d, "sumOpenInterestValue"), "sumOpenInterestValue"),
                )
            )
        return tuple(sorted(points, key=lambda p: p.time))

    out: tuple[OpenInterestPoint, ...] | Reject = _guard(run)
    return out


# ── Угоди ──
def parse_agg_trade(data: Any, symbol: str | None = None) -> AggTradeEvent | Reject:
    """WS `aggTrade` або елемент REST `aggTrades` (там немає `s`/`E` — символ з `symbol`)."""

    def run() -> AggTradeEvent:
        d = _obj(data, "aggTrade")
        maker = _get(d, "m")
        if type(maker) is not bool:
            raise _Bad("m: expected bool")
        price = _nonneg(_get(d, "p"), "p")
        if price <= 0:
            raise _Bad("p: non-positive")
        return AggTradeEvent(
            symbol=_str(d.get("s", symbol), "s").upper(),
            agg_id=_int(_get(d, "a"), "a"),
            price=price,
            qty=_nonneg(_get(d, "q"), "q"),
            first_trade_id=_int(_get(d, "f"), "f"),
            last_trade_id=_int(_get(d, "l"), "l"),
            trade_time=_int(_get(d, "T"), "T"),
            buyer_is_maker=maker,
            event_time=_int(d.get("E", 0), "E"),
        )

    out: AggTradeEvent | Reject = _guard(run)
    return out


# ── Кадр WS ──
def stream_kind(stream: str) -> str | None:
    """Вид потоку за назвою: `partial_depth`, `depth_diff`, `mark_price`, `mark_price_all`
    (`!markPrice@arr[@1s]`), `force_order`, `agg_trade` або None (потік не деривативний: kline,
    bookTicker тощо)."""
    if "@" not in stream:
        return None
    name, _, rest = stream.partition("@")
    if name == "!forceOrder" or rest.startswith("forceOrder"):
        return "force_order"
    if name == "!markPrice":
        return "mark_price_all" if rest.startswith("arr") else None
    if rest.startswith("markPrice"):
        return "mark_price"
    if rest.startswith("aggTrade"):
        return "agg_trade"
    if rest.startswith("depth"):
        head = rest[5:].split("@", 1)[0]
        return "partial_depth" if head.isdigit() else "depth_diff" if head == "" else None
    return None


_BY_EVENT: Mapping[str, str] = {
    "markPriceUpdate": "mark_price",
    "forceOrder": "force_order",
    "aggTrade": "agg_trade",
    "depthUpdate": "depth_diff",
}


def _dispatch(kind: str, data: Any, symbol: str | None) -> DerivEvent | Reject:
    if kind == "partial_depth":
        return parse_partial_depth(data, symbol)
    if kind == "depth_diff":
        return parse_depth_diff(data)
    if kind == "mark_price":
        return parse_mark_price(data)
    if kind == "force_order":
        return parse_force_order(data)
    return parse_agg_trade(data, symbol)


def parse_stream_frame(
    raw: str | bytes, wanted: Collection[str] | None = None
) -> DerivEvent | MarkPriceBatch | Reject | None:
    """Сирий кадр WS → подія, `MarkPriceBatch` (потік `!markPrice@arr`), `Reject` (зіпсований) або
    None (не деривативний потік, службова відповідь).

    Combined-кадр `{"stream", "data"}` розпізнається за назвою потоку (так spot partial depth без
    символу отримує символ із назви); сирий кадр — за полем `e`.
    `wanted` фільтрує лише елементи `!markPrice@arr` (див. `parse_mark_price_all`). Ніколи не кидає."""
    try:
        msg = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
        return Reject(f"bad json: {type(exc).__name__}")
    if type(msg) is not dict:
        return Reject("frame is not an object")
    stream = msg.get("stream")
    if type(stream) is str and "data" in msg:
        kind = stream_kind(stream)
        if kind is None:
            return None
        if kind == "mark_price_all":
            return parse_mark_price_all(msg["data"], wanted)
        symbol = stream.split("@", 1)[0]
        return _dispatch(kind, msg["data"], None if symbol.startswith("!") else symbol)
    event = msg.get("e")
    if type(event) is str:
        found = _BY_EVENT.get(event)
        return None if found is None else _dispatch(found, msg, None)
    if "result" in msg and "id" in msg:
        return None  # відповідь на SUBSCRIBE/UNSUBSCRIBE
    return None


__all__ = [
    "AggTradeEvent",
    "BookKind",
    "BookSnapshot",
    "DepthDiff",
    "DerivEvent",
    "Levels",
    "Liquidation",
    "MarkFunding",
    "MarkPriceBatch",
    "OpenInterestPoint",
    "Reject",
    "Side",
    "parse_agg_trade",
    "parse_depth_diff",
    "parse_depth_snapshot",
    "parse_force_order",
    "parse_mark_price",
    "parse_mark_price_all",
    "parse_open_interest",
    "parse_open_interest_hist",
    "parse_partial_depth",
    "parse_premium_index",
    "parse_stream_frame",
    "stream_kind",
]
