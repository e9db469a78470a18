"""Таблиця ринків Binance: шляхи REST, ваги запитів, ліміти WS — особливості як дані.

Значення взято з документації Binance (USDⓈ-M Futures і Spot). Код клієнтів не містить
жодного `if market == ...`: усе, що відрізняє ринки, лежить тут.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Market = Literal["um", "spot"]

# ── Типи ──
# Сходинки ваги: (найбільший limit включно, вага). Перша сходинка, де limit ≤ межі, дає вагу.
WeightSteps = tuple[tuple[int, int], ...]


def weight_for_limit(steps: WeightSteps, limit: int) -> int:
    """Вага запиту за параметром `limit` (остання сходинка — для всього більшого)."""
    for max_limit, weight in steps:
        if limit <= max_limit:
            return weight
    return steps[-1][1]


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """Усе, що відрізняє один ринок Binance від іншого."""

    market: Market
    rest_base_url: str
    ws_base_url: str
    paths: Mapping[str, str]  # логічна назва → шлях REST
    weights: Mapping[str, int]  # фіксовані ваги за логічною назвою
    klines_weight_steps: WeightSteps
    depth_weight_steps: WeightSteps
    depth_limits: tuple[int, ...]  # дозволені значення `limit` для depth
    max_kline_limit: int
    default_kline_limit: int
    weight_limit_per_minute: int  # REQUEST_WEIGHT за хвилину (за замовчуванням; exchangeInfo уточнює)
    ws_max_streams_per_conn: int
    ws_max_incoming_msgs_per_sec: int  # SUBSCRIBE/UNSUBSCRIBE/PONG від клієнта
    ws_max_conn_age_sec: int  # Binance розриває з'єднання через 24 год
    ws_server_ping_sec: int
    ws_combined_path: str = "/stream"
    has_open_interest: bool = False
    has_premium_index: bool = False
    book_ticker_has_event_type: bool = True  # spot bookTicker приходить без `e`/`E`/`T`
    depth_has_prev_update_id: bool = True  # spot depthUpdate не має `pu`
    used_weight_header: str = "X-MBX-USED-WEIGHT-1M"
    min_notional_keys: tuple[str, ...] = field(default=("notional", "minNotional"))
    # Суфікси потоків WS за логічною назвою: повна назва — `{symbol}@{суфікс}` (символ малими
    # літерами); глобальні потоки (без символу) — у `ws_global_streams`.
    ws_stream_suffixes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ws_global_streams: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    oi_hist_periods: tuple[str, ...] = ()  # дозволені `period` для openInterestHist
    oi_hist_max_limit: int = 0
    oi_hist_ip_limit_per_5min: int = 0  # окремий ліміт IP на openInterestHist (вага запиту 0)

    def path(self, name: str) -> str:
        """Шлях REST для логічної назви або KeyError, якщо ринок її не має."""
        return self.paths[name]

    def klines_weight(self, limit: int) -> int:
        """Вага запиту klines за `limit`."""
        return weight_for_limit(self.klines_weight_steps, limit)

    def depth_weight(self, limit: int) -> int:
        """Вага запиту depth за `limit`."""
        return weight_for_limit(self.depth_weight_steps, limit)

    def stream_name(self, kind: str, symbol: str = "", **params: object) -> str:
        """Назва потоку WS: `stream_name("partial_depth", "BTCUSDT", levels=20)` →
        `btcusdt@depth20@100ms`; KeyError, якщо ринок такого потоку не має."""
        if kind in self.ws_global_streams:
            return self.ws_global_streams[kind]
        return f"{symbol.lower()}@{self.ws_stream_suffixes[kind].format(**params)}"


# ── USDⓈ-M ф'ючерси ──
UM_SPEC = MarketSpec(
    market="um",
    rest_base_url="https://fapi.binance.com",
    ws_base_url="wss://fstream.binance.com",
    paths=MappingProxyType(
        {
            "time": "/fapi/v1/time",
            "exchange_info": "/fapi/v1/exchangeInfo",
            "klines": "/fapi/v1/klines",
            "ticker_24h": "/fapi/v1/ticker/24hr",
            "open_interest": "/fapi/v1/openInterest",
            "depth": "/fapi/v1/depth",
            "premium_index": "/fapi/v1/premiumIndex",
            "open_interest_hist": "/futures/data/openInterestHist",
        }
    ),
    weights=MappingProxyType(
        {
            "time": 1,
            "exchange_info": 1,
            "ticker_24h": 40,  # без symbol — усі символи
            "open_interest": 1,
            "premium_index": 1,  # з symbol
            "open_interest_hist": 0,  # вага 0, але окремий ліміт IP: oi_hist_ip_limit_per_5min
        }
    ),
    # klines: [1,100) → 1, [100,500) → 2, [500,1000] → 5, > 1000 → 10
    klines_weight_steps=((99, 1), (499, 2), (1000, 5), (1500, 10)),
    # depth: 5/10/20/50 → 2, 100 → 5, 500 → 10, 1000 → 20
    depth_weight_steps=((50, 2), (100, 5), (500, 10), (1000, 20)),
    depth_limits=(5, 10, 20, 50, 100, 500, 1000),
    max_kline_limit=1500,
    default_kline_limit=500,
    weight_limit_per_minute=2400,
    ws_max_streams_per_conn=1024,
    ws_max_incoming_msgs_per_sec=10,
    ws_max_conn_age_sec=24 * 3600,
    ws_server_ping_sec=180,
    has_open_interest=True,
    has_premium_index=True,
    ws_stream_suffixes=MappingProxyType(
        {
            "kline": "kline_{interval}",
            "partial_depth": "depth{levels}@100ms",  # levels: 5, 10, 20
            "depth_diff": "depth@100ms",
            "mark_price": "markPrice@1s",
            "agg_trade": "aggTrade",
            "force_order": "forceOrder",
        }
    ),
    ws_global_streams=MappingProxyType(
        {"force_order_all": "!forceOrder@arr", "mark_price_all": "!markPrice@arr@1s"}  # усі символи ринку
    ),
    oi_hist_periods=("5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"),
    oi_hist_max_limit=500,
    oi_hist_ip_limit_per_5min=1000,
)

# ── Spot ──
SPOT_SPEC = MarketSpec(
    market="spot",
    rest_base_url="https://api.binance.com",
    ws_base_url="wss://stream.binance.com:9443",
    paths=MappingProxyType(
        {
            "time": "/api/v3/time",
            "exchange_info": "/api/v3/exchangeInfo",
            "klines": "/api/v3/klines",
            "ticker_24h": "/api/v3/ticker/24hr",
            "depth": "/api/v3/depth",
        }
    ),
    weights=MappingProxyType(
        {
            "time": 1,
            "exchange_info": 20,
            "ticker_24h": 80,  # без symbol — усі символи
        }
    ),
    klines_weight_steps=((1000, 2),),  # spot: 2 за будь-який limit
    # depth: 1–100 → 5, 101–500 → 25, 501–1000 → 50, 1001–5000 → 250
    depth_weight_steps=((100, 5), (500, 25), (1000, 50), (5000, 250)),
    depth_limits=(5, 10, 20, 50, 100, 500, 1000, 5000),
    max_kline_limit=1000,
    default_kline_limit=500,
    weight_limit_per_minute=6000,
    ws_max_streams_per_conn=1024,
    ws_max_incoming_msgs_per_sec=5,
    ws_max_conn_age_sec=24 * 3600,
    ws_server_ping_sec=20,
    book_ticker_has_event_type=False,
    depth_has_prev_update_id=False,
    ws_stream_suffixes=MappingProxyType(
        {
            "kline": "kline_{interval}",
            "partial_depth": "depth{levels}@100ms",  # spot: {lastUpdateId, bids, asks} без символу
            "depth_diff": "depth@100ms",
            "agg_trade": "aggTrade",
        }
    ),
)

MARKETS: Mapping[str, MarketSpec] = MappingProxyType({"um": UM_SPEC, "spot": SPOT_SPEC})

# Інтервали klines, які приймає Binance, та їхня тривалість у мс.
KLINE_INTERVAL_MS: Mapping[str, int] = MappingProxyType(
    {
        "1m": 60_000,
        "3m": 180_000,
        "5m": 300_000,
        "15m": 900_000,
        "30m": 1_800_000,
        "1h": 3_600_000,
        "2h": 7_200_000,
        "4h": 14_400_000,
        "6h": 21_600_000,
        "8h": 28_800_000,
        "12h": 43_200_000,
        "1d": 86_400_000,
    }
)


def market_spec(market: str) -> MarketSpec:
    """Специфікація ринку `um` або `spot`; інше — ValueError з переліком."""
    try:
        return MARKETS[market]
    except KeyError:
        raise ValueError(f"unknown market {market!r}; expected one of {sorted(MARKETS)}") from None


__all__ = [
    "KLINE_INTERVAL_MS",
    "MARKETS",
    "Market",
    "MarketSpec",
    "SPOT_SPEC",
    "UM_SPEC",
    "WeightSteps",
    "market_spec",
    "weight_for_limit",
]
