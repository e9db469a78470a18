"""Підписаний торговий клієнт проти симулятора: фільтри, підпис, ідемпотентні повтори, несправності."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.errors import RequestRejectedError
from aione.exchange.sim_trading import SIM_API_KEY, SIM_API_SECRET
from aione.exchange.simulator import BinanceSimulator
from aione.execution.binance_trading import BinanceTradingClient
from aione.execution.filters import OrderFilterError, parse_exchange_filters
from aione.execution.model import OrderIntent, client_order_id
from aione.execution.signing import format_number, sign

FIXTURES = Path("/work/shared/fixtures/binance")
SYMS = ["BTCUSDT", "ETHUSDT"]


# ── Фільтри й підпис (чисте) ──
def _btc_filters():  # type: ignore[no-untyped-def]
    payload = json.loads((FIXTURES / "um_exchangeInfo_2021-07-22.json").read_text())
    return parse_exchange_filters(payload)["BTCUSDT"]


@pytest.mark.parametrize(
    ("kwargs", "kind"),
    [
        ({"quantity": 0.0005, "price": None, "market": True}, "MARKET_LOT_SIZE"),  # < minQty 0.001
        ({"quantity": 0.0015, "price": 30000.0, "market": False}, "LOT_SIZE"),  # не кратне кроку
        ({"quantity": 2000.0, "price": 30000.0, "market": False}, "LOT_SIZE"),  # > maxQty
        ({"quantity": 0.001, "price": 3000.0, "market": False}, "MIN_NOTIONAL"),  # 3 USDT < 5
        ({"quantity": 0.01, "price": 30000.005, "market": False}, "PRICE_FILTER"),  # не кратне тіку
        ({"quantity": 0.01, "price": 500.0, "market": False}, "PRICE_FILTER"),  # < minPrice
        ({"quantity": 0.01, "price": 36000.0, "market": False, "mark_price": 30000.0}, "PERCENT_PRICE"),
        ({"quantity": 0.01, "price": 25000.0, "market": False, "mark_price": 30000.0}, "PERCENT_PRICE"),
    ],
)
def test_filter_violation_is_a_clear_local_error(kwargs: dict[str, object], kind: str) -> None:
    filters = _btc_filters()
    with pytest.raises(OrderFilterError) as info:
        filters.check(reference_price=30000.0, **kwargs)  # type: ignore[arg-type]
    assert info.value.filter_type == kind and "BTCUSDT" in str(info.value)


def test_filters_pass_and_round() -> None:
    filters = _btc_filters()
    filters.check(quantity=0.002, price=30000.1, reference_price=30000.0, market=False, mark_price=30000.0)
    filters.check(
        quantity=0.001, price=None, reference_price=3000.0, market=True, reduce_only=True
    )  # без MIN_NOTIONAL
    assert filters.floor_qty(0.0019) == 0.001 and filters.floor_qty(50 / 30000.0) == 0.001
    assert filters.round_price(30000.006) == 30000.01
    assert format_number(1e-05) == "0.00001" and format_number(0.1 + 0.2) == "0.30000000000000004"


def test_signature_matches_binance_reference_vector() -> None:
    # Приклад з документації Binance (HMAC-SHA256 над рядком запиту).
    secret = SecretStr("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    query = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    assert sign(query, secret) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


# ── Проти симулятора ──
def _client(sim: BinanceSimulator, rest: BinanceRestClient, **kw: object) -> BinanceTradingClient:
    return BinanceTradingClient(
        rest,
        SecretStr(SIM_API_KEY),
        SecretStr(SIM_API_SECRET),
        timeout=0.3,
        retry_pause=0.01,
        **kw,  # type: ignore[arg-type]
    )


def _market(trade_id: str, side: str = "BUY", qty: float = 0.01) -> OrderIntent:
    return OrderIntent(trade_id, "entry", "BTCUSDT", side, "MARKET", qty, client_order_id(trade_id, "entry"))  # type: ignore[arg-type]


async def test_timeout_after_accept_then_retry_creates_exactly_one_order(data_1m: Path) -> None:
    async with (
        BinanceSimulator(data_1m, speed=60, symbols=SYMS) as sim,
        BinanceRestClient(sim.rest_url) as rest,
    ):
        await rest.sync_time()
        client = _client(sim, rest)
        sim.trading.hang_seconds = 1.0  # довше за тайм-аут клієнта (0.3 с)
        sim.trading.inject("timeout")
        state = await client.place_order(_market("BTCUSDT-BUY-1"))
        assert state.status == "FILLED" and state.client_id == client_order_id("BTCUSDT-BUY-1", "entry")
        assert sim.trading.orders_accepted == 1  # без запиту за id повтор дав би другий ордер
        assert client.order_lookups == 1
        assert sim.trading.account.positions["BTCUSDT"].amount == pytest.approx(0.01)
        # Дубль того самого id, поки заявка відкрита, біржа відхиляє; клієнт повертає наявну.
        stop = OrderIntent(
            "BTCUSDT-BUY-1", "sl", "BTCUSDT", "SELL", "STOP_MARKET", None,
            client_order_id("BTCUSDT-BUY-1", "sl"), stop_price=1000.0, close_position=True,
        )  # fmt: skip
        first = await client.place_order(stop)
        again = await client.place_order(stop)
        assert again.order_id == first.order_id and sim.trading.orders_accepted == 2


async def test_5xx_timestamp_and_margin_faults(data_1m: Path) -> None:
    async with (
        BinanceSimulator(data_1m, speed=60, symbols=SYMS) as sim,
        BinanceRestClient(sim.rest_url) as rest,
    ):
        await rest.sync_time()
        client = _client(sim, rest)
        sim.trading.inject("http5xx")
        assert (await client.place_order(_market("T-5xx"))).status == "FILLED"
        assert sim.trading.orders_accepted == 1 and client.order_lookups == 1
        sim.trading.inject("timestamp")
        assert (await client.place_order(_market("T-1021", side="SELL"))).status == "FILLED"
        assert client.time_resyncs == 1 and sim.trading.orders_accepted == 2
        sim.trading.inject("margin")
        with pytest.raises(RequestRejectedError) as info:
            await client.place_order(_market("T-2019"))
        assert info.value.code == -2019 and sim.trading.orders_accepted == 2
        assert await client.query_order("BTCUSDT", client_order_id("T-2019", "entry")) is None
        assert await client.positions() == []  # купили й продали 0.01
        assert await client.balance() < 10_000.0  # комісії й прослизання


async def test_bad_signature_and_key_are_rejected(data_1m: Path) -> None:
    async with (
        BinanceSimulator(data_1m, speed=60, symbols=SYMS) as sim,
        BinanceRestClient(sim.rest_url) as rest,
    ):
        bad = BinanceTradingClient(rest, SecretStr(SIM_API_KEY), SecretStr("wrong"), timeout=0.3)
        with pytest.raises(RequestRejectedError) as info:
            await bad.open_orders("BTCUSDT")
        assert info.value.code == -1022
        nokey = BinanceTradingClient(rest, SecretStr("nope"), SecretStr(SIM_API_SECRET), timeout=0.3)
        with pytest.raises(RequestRejectedError) as info:
            await nokey.new_listen_key()
        assert info.value.code == -2015


async def test_secrets_never_logged(data_1m: Path, caplog: pytest.LogCaptureFixture) -> None:
    key, secret = "KEY-must-not-leak-123", "SECRET-must-not-leak-456"
    caplog.set_level(logging.DEBUG)
    async with (
        BinanceSimulator(data_1m, speed=60, symbols=SYMS) as sim,
        BinanceRestClient(sim.rest_url) as rest,
    ):
        sim.trading.api_key = key
        sim.trading._secret = SecretStr(secret)
        client = BinanceTradingClient(rest, SecretStr(key), SecretStr(secret), timeout=0.3, retry_pause=0.01)
        await rest.sync_time()
        sim.trading.inject("timestamp")
        sim.trading.inject("timeout")
        sim.trading.hang_seconds = 0.6
        await client.place_order(_market("LEAK-1"))
        await client.new_listen_key()
        text = caplog.text + repr(client)
        assert key not in text and secret not in text
        assert caplog.records  # журнал справді щось писав (повтор, ресинхронізація)
