"""Єдине джерело констант, порогів, статусів і pydantic-моделей AiOne.

Лише дані та моделі, жодної бізнес-логіки. Значення з позначкою (seed) — ті, що
використовувала початкова система (див. ../shared/SPEC.md); решту обрано тут і
пояснено коментарем поруч.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# ── Базові константи ──
DEFAULT_LOOKBACK: Final[int] = 50  # (seed) вікно барів для Stage1/Stage2 за замовчуванням
DEFAULT_TIMEFRAME: Final[str] = "1m"  # (seed)
MIN_READY_PCT: Final[float] = 0.8  # (seed) частка барів вікна, потрібна для «готовності» символу
MAX_PARALLEL_STAGE2: Final[int] = 10  # (seed) одночасних задач Stage2
TRADE_REFRESH_INTERVAL: Final[int] = 60  # (seed) с між плановими оновленнями угод

# Таймфрейми, які знає система, та їхня тривалість у мс.
TIMEFRAME_MS: Final = MappingProxyType(
    {
        "1m": 60_000,
        "3m": 180_000,
        "5m": 300_000,
        "15m": 900_000,
        "30m": 1_800_000,
        "1h": 3_600_000,
        "4h": 14_400_000,
        "1d": 86_400_000,
    }
)
SUPPORTED_TIMEFRAMES: Final = frozenset(TIMEFRAME_MS)

# ── Рекомендації ──
RECOMMENDATIONS: Final = (
    "STRONG_BUY",
    "BUY_IN_DIPS",
    "HOLD",
    "WAIT_FOR_CONFIRMATION",
    "RANGE_TRADE",
    "SELL_ON_RALLIES",
    "STRONG_SELL",
    "AVOID",
    "AVOID_HIGH_RISK",
)
BUY_SET: Final = frozenset({"STRONG_BUY", "BUY_IN_DIPS"})
SELL_SET: Final = frozenset({"STRONG_SELL", "SELL_ON_RALLIES"})

# Сценарії ринку Stage2 (SPEC).
MARKET_SCENARIOS: Final = (
    "BULLISH_BREAKOUT",
    "BEARISH_REVERSAL",
    "BULLISH_CONTROL",
    "BEARISH_CONTROL",
    "RANGE_BOUND",
    "HIGH_VOLATILITY",
    "MANIPULATED",
    "UNCERTAIN",
)

# ── Redis: простір імен, канали, ключі ──
REDIS_NAMESPACE: Final[str] = "ai_one"  # (seed)
REDIS_CHANNEL_ASSET_STATE: Final[str] = "asset_state_update"  # (seed)
REDIS_SNAPSHOT_KEY: Final[str] = "asset_state_snapshot"  # (seed)
REDIS_SNAPSHOT_TTL: Final[int] = 180  # (seed) с
REDIS_CACHE_TTL: Final[int] = 3600  # с для метаданих символів; біржові фільтри змінюються рідко
# TTL барів у Redis за таймфреймом: бар має жити трохи довше, ніж вікно, яке з нього читають.
INTERVAL_TTL_MAP: Final = MappingProxyType(
    {
        "1m": 2 * 24 * 3600,  # 1440 барів за добу + запас на перезапуск
        "5m": 7 * 24 * 3600,
        "15m": 14 * 24 * 3600,
        "1h": 30 * 24 * 3600,
        "4h": 60 * 24 * 3600,
        "1d": 120 * 24 * 3600,  # PRELOAD_DAILY_DAYS із запасом
    }
)

# ── Інтерфейс користувача ──
UI_LOCALE: Final[str] = "uk"  # (seed) uk | en
UI_COLUMN_VOLUME: Final[str] = "Оборот 24 год, USD"  # (seed: «Оборот USD»; тепер оборот за добу)
UI_TOP_N: Final[int] = 50  # скільки рядків показує таблиця терміналу
UI_STALE_AFTER_SEC: Final[float] = 10.0  # дані старші за це позначаються як застарілі

# ── Розмір тіку ──
# Явні перевизначення для відомих символів (seed): ціна форматується за тіком біржі.
TICK_SIZE_MAP: Final = MappingProxyType(
    {
        "BTCUSDT": 0.1,
        "ETHUSDT": 0.01,
        "BNBUSDT": 0.01,
        "SOLUSDT": 0.01,
        "XRPUSDT": 0.0001,
        "ADAUSDT": 0.0001,
    }
)
# (верхня межа ціни, тік): перший рядок, де ціна < межі, дає тік (seed-підхід).
TICK_SIZE_BRACKETS: Final = (
    (0.001, 1e-8),
    (0.01, 1e-7),
    (0.1, 1e-6),
    (1.0, 1e-5),
    (10.0, 1e-4),
    (100.0, 1e-3),
    (1000.0, 1e-2),
    (10000.0, 1e-1),
)
TICK_SIZE_DEFAULT: Final[float] = 1.0  # (seed)

# ── Статуси ──
STAGE2_STATUS: Final = MappingProxyType(
    {
        "PENDING": "pending",
        "PROCESSING": "processing",
        "COMPLETED": "completed",
        "ERROR": "error",
        "SKIPPED": "skipped",
    }
)
ASSET_STATE: Final = MappingProxyType(
    {
        "INIT": "init",
        "ALERT": "alert",
        "NORMAL": "normal",
        "NO_TRADE": "no_trade",
        "WATCH": "watch",  # алерт є, але бюджет не пропустив його як сигнал (ранг нижчий за інші)
        "NO_DATA": "no_data",
        "SYNCING": "syncing",
        "ERROR": "error",
    }
)
SIGNAL_ALERT: Final[str] = "ALERT"
SIGNAL_NORMAL: Final[str] = "NORMAL"

# ── Тригери ──
TRIGGER_TAG_VOLUME_SPIKE: Final[str] = "volume_spike"
TRIGGER_TAG_RSI: Final[str] = "rsi"
TRIGGER_TAG_BREAKOUT: Final[str] = "breakout"
TRIGGER_TAG_VOLATILITY: Final[str] = "volatility_spike"
TRIGGER_TAG_VWAP: Final[str] = "vwap_deviation"
TRIGGER_TAGS: Final = (
    TRIGGER_TAG_VOLUME_SPIKE,
    TRIGGER_TAG_RSI,
    TRIGGER_TAG_BREAKOUT,
    TRIGGER_TAG_VOLATILITY,
    TRIGGER_TAG_VWAP,
)
# Тригери деривативів (issue 16): працюють лише з контекстом деривативів (`DerivContext`); без нього
# (бари без записаних рядів) не спрацьовують ніколи. У реєстрі стоять після `TRIGGER_TAGS`.
TRIGGER_TAG_OI_SURGE: Final[str] = "oi_surge"
TRIGGER_TAG_FUNDING: Final[str] = "funding_extreme"
TRIGGER_TAG_LIQUIDATIONS: Final[str] = "liquidation_cluster"
TRIGGER_TAG_TAKER: Final[str] = "taker_imbalance"
DERIV_TRIGGER_TAGS: Final = (
    TRIGGER_TAG_OI_SURGE,
    TRIGGER_TAG_FUNDING,
    TRIGGER_TAG_LIQUIDATIONS,
    TRIGGER_TAG_TAKER,
)
# Сирі назви причин → нормалізовані (seed). Нормалізована назва сама себе теж відображає.
TRIGGER_NAME_MAP: Final = MappingProxyType(
    {
        "volume_spike": "volume_spike",
        "volume_spike_bull": "bull_vol_spike",
        "bull_vol_spike": "bull_vol_spike",
        "volume_spike_bear": "bear_vol_spike",
        "bear_vol_spike": "bear_vol_spike",
        "volatility_spike": "volatility_burst",
        "volatility_burst": "volatility_burst",
        "breakout_up": "breakout_up",
        "breakout_down": "breakout_down",
        "near_high": "near_high",
        "near_low": "near_low",
        "near_daily_support": "near_daily_support",
        "near_daily_resistance": "near_daily_resistance",
        "bullish_divergence": "bullish_div",
        "bullish_div": "bullish_div",
        "bearish_divergence": "bearish_div",
        "bearish_div": "bearish_div",
        "rsi_overbought": "rsi_overbought",
        "rsi_oversold": "rsi_oversold",
        "vwap_deviation": "vwap_deviation",
        "liquidity_gap": "liquidity_gap",
        "order_imbalance": "order_imbalance",
        # тригери деривативів: сира назва = нормалізована
        "oi_surge_up": "oi_surge_up",
        "oi_surge_down": "oi_surge_down",
        "oi_surge": "oi_surge",
        "funding_extreme_high": "funding_extreme_high",
        "funding_extreme_low": "funding_extreme_low",
        "liquidation_cluster_long": "liquidation_cluster_long",
        "liquidation_cluster_short": "liquidation_cluster_short",
        "taker_buy_imbalance": "taker_buy_imbalance",
        "taker_sell_imbalance": "taker_sell_imbalance",
    }
)
# Теги угод (seed).
TRADE_TAG_SWAPPED_LONG: Final[str] = "tp_sl_swapped_long"
TRADE_TAG_SWAPPED_SHORT: Final[str] = "tp_sl_swapped_short"
TRADE_TAG_SIGNAL_GENERATED: Final[str] = "signal_generated"

# ── Ліміти конкурентності (самі семафори створює код, що працює в циклі подій) ──
OI_SEMAPHORE_LIMIT: Final[int] = 10  # (seed) паралельних запитів openInterest
KLINES_SEMAPHORE_LIMIT: Final[int] = 10  # (seed) паралельних запитів klines
DEPTH_SEMAPHORE_LIMIT: Final[int] = 5  # (seed) паралельних запитів depth (вага 5..50 кожен)

# ── Деривативні потоки (issue 16) ──
# Книга `<symbol>@depth20@100ms` — лише для короткого списку (угоди, алерти, далі ранг префільтра):
# кожен символ з книгою — 10 кадрів/с; на 500 символах з книгою для всіх (5 000 кадрів/с) цикл подій
# на цій 2-ядерній машині не встигав (bench/e2e.py --derivs: p99 ~1 с проти мети 300 мс). 100 символів —
# ~1 000 кадрів/с і вміщується в одне з'єднання (ліміт Binance — 1 024 потоки на з'єднання).
DERIV_BOOK_MAX_SYMBOLS: Final[int] = 100

# ── Preload і скринінг ──
PRELOAD_1M_LOOKBACK_INIT: Final[int] = 1440  # (seed) 1m барів на старті: доба
SCREENING_LOOKBACK: Final[int] = 240  # (seed) барів для скринінгу
PRELOAD_DAILY_DAYS: Final[int] = 30  # (seed) денних барів для макрорівнів
FAST_SYMBOLS_TTL_MANUAL: Final[int] = 3600  # (seed) с
FAST_SYMBOLS_TTL_AUTO: Final[int] = 600  # (seed) с
PREFILTER_INTERVAL_SEC: Final[int] = 600  # (seed) с
PREFILTER_DEPTH_LIMIT: Final[int] = 100  # рівнів книги на сторону для ±1 %: вага 5 на USDT-M, досить для альтів
MANUAL_FAST_SYMBOLS_SEED: Final = ("BTCUSDT", "ETHUSDT")  # (seed) завжди під наглядом


# ── Pydantic-моделі ──
class _FrozenModel(BaseModel):
    """База: незмінна модель, що відкидає невідомі ключі (друкарська помилка не мовчить)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SymbolInfo(_FrozenModel):
    """Біржові параметри символу (з exchangeInfo)."""

    symbol: str = Field(min_length=2)
    status: str = "TRADING"
    base_asset: str = ""
    quote_asset: str = "USDT"
    contract_type: str | None = None  # PERPETUAL для ф'ючерсів, None для spot
    tick_size: float = Field(default=TICK_SIZE_DEFAULT, gt=0)
    step_size: float = Field(default=1.0, gt=0)
    min_notional: float = Field(default=0.0, ge=0)
    price_precision: int = Field(default=8, ge=0, le=18)
    quantity_precision: int = Field(default=8, ge=0, le=18)


class FilterParams(_FrozenModel):
    """Пороги префільтра Stage1 (абсолютні значення; у динамічному режимі — нижні межі)."""

    min_quote_volume: float = Field(default=1_000_000.0, ge=0)  # (seed) USDT за 24 год
    min_price_change: float = Field(default=3.0, ge=0)  # (seed) |%| за 24 год
    use_price_change: bool = True  # можна вимкнути: тихий, але ліквідний ринок теж важить
    min_open_interest: float = Field(default=500_000.0, ge=0)  # (seed) USDT
    min_orderbook_depth: float = Field(default=50_000.0, ge=0)  # (seed) USDT у ±depth_band_pct
    depth_band_pct: float = Field(default=1.0, gt=0, le=10)  # (seed) ±% від середини
    min_atr_percent: float = Field(default=0.5, ge=0)  # (seed) %
    min_price: float = Field(default=0.0, ge=0)
    max_price: float = Field(default=1e9, gt=0)
    max_symbols: int = Field(default=350, ge=1)  # (seed)
    quote_asset: str = "USDT"  # (seed)
    dynamic: bool = False
    quote_volume_percentile: float = Field(default=40.0, ge=0, le=100)  # лишає верхні 60 %
    # Динамічний режим для ATR% і OI (бриф F): перцентиль універсу, 0 = лише абсолютна межа.
    atr_percentile: float = Field(default=0.0, ge=0, le=100)
    open_interest_percentile: float = Field(default=0.0, ge=0, le=100)
    timeframe: str = DEFAULT_TIMEFRAME

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, value: str) -> str:
        if value not in SUPPORTED_TIMEFRAMES:
            allowed = ", ".join(sorted(SUPPORTED_TIMEFRAMES, key=TIMEFRAME_MS.__getitem__))
            raise ValueError(f"unknown timeframe {value!r}; allowed: {allowed}")
        return value


class MetricResults(_FrozenModel):
    """Метрики символу, зібрані префільтром (для рангу та пояснень)."""

    symbol: str
    quote_volume: float = Field(ge=0)
    price_change_pct: float
    last_price: float = Field(ge=0)
    open_interest_usd: float | None = Field(default=None, ge=0)
    orderbook_depth_usd: float | None = Field(default=None, ge=0)
    atr_pct: float | None = Field(default=None, ge=0)
    score: float = 0.0


# ── Класи активів ──
# Клас визначає поріг VWAP-відхилення (seed 0.1 % … 1 % за класом).
ASSET_CLASS_MAPPING: Final = MappingProxyType(
    {
        "major": ("BTCUSDT", "ETHUSDT"),
        "large_cap": ("BNBUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "LTCUSDT", "BCHUSDT", "LINKUSDT"),
        "mid_cap": ("AVAXUSDT", "ETCUSDT", "XLMUSDT", "XMRUSDT", "SUIUSDT"),
        # усе інше — "alt"
    }
)
VWAP_DEVIATION_BY_CLASS: Final = MappingProxyType(
    {"major": 0.001, "large_cap": 0.003, "mid_cap": 0.005, "alt": 0.01}  # (seed) частки
)

# ── Stage2 (QDE) ──
# Комісія taker USDT-M за сторону: спільна для плану Stage2 (R/R після витрат) і PnL Stage3.
FEE_RATE_TAKER: Final[float] = 0.0004

STAGE2_CONFIG: Final = MappingProxyType(
    {
        "switches": MappingProxyType(
            {
                "use_qde": True,
                "triggers": MappingProxyType(
                    {
                        TRIGGER_TAG_VOLUME_SPIKE: True,
                        TRIGGER_TAG_RSI: True,
                        TRIGGER_TAG_BREAKOUT: True,
                        TRIGGER_TAG_VOLATILITY: True,
                        TRIGGER_TAG_VWAP: True,
                        TRIGGER_TAG_OI_SURGE: True,
                        TRIGGER_TAG_FUNDING: True,
                        TRIGGER_TAG_LIQUIDATIONS: True,
                        TRIGGER_TAG_TAKER: True,
                    }
                ),
            }
        ),
        # (seed) ваги факторів композитного скору; непорахований фактор відкидається,
        # решта ваг перенормовується.
        "weights": MappingProxyType(
            {
                "volume": 0.25,
                "rsi": 0.18,
                "atr": 0.20,
                "orderbook": 0.20,
                "vwap": 0.25,
                "velocity": 0.18,
                "volume_profile": 0.20,
                "levels": 0.20,  # не зафіксовано в seed: близькість до рівнів важить як ATR
            }
        ),
        # Фактори деривативів (issue 16): їхні ваги додаються до `weights` лише тоді, коли рішення
        # має контекст деривативів; рішення на самих барах важать рівно як раніше.
        "deriv_weights": MappingProxyType({"oi_price": 0.15, "funding": 0.10}),
        "deriv": MappingProxyType(
            {
                "oi_full_pct": 5.0,  # |зміна OI| 5 % за вікно — повна сила фактора oi_price
                "price_flat_pct": 0.2,  # |зміна ціни| за вікно OI менша — ціна «на місці» (фактор 0)
                "suppress_on_bad_book": True,  # книга stale/crossed: угоди немає, причина в рішенні
            }
        ),
        "sr_window": 50,  # (seed) барів для мікрорівнів
        "levels_merge_atr": 0.25,  # (seed) рівні ближчі за 0.25 ATR зливаються
        "low_gate": 0.0015,  # (seed) ATR% нижче — низька волатильність (частка)
        "high_gate": 0.0134,  # (seed) ATR% вище — висока волатильність (частка)
        "tp_mult": 3.0,  # (seed)
        "sl_mult": 1.0,  # (seed)
        "tp_buffer_eps": 0.0005,  # (seed) 0.05 %
        "min_risk_reward": 2.0,  # (seed)
        "min_confidence": 0.75,  # (seed)
        "low_vol_conf_override": 0.82,  # (seed)
        "value_area_pct": 0.70,  # (seed) частка обсягу у value area
        "volume_profile_bins": 40,  # кошиків ціни: досить для POC на 1440 барах, дешево
        # Stage2: контекст і рішення (не з seed; обрано так, щоб правила SPEC були перевірні).
        "context_bars": 720,  # 1m барів вікна: 12 годин дають мезорівням годинну структуру
        "min_bars": 60,  # менше барів — рішення не приймається (skipped, insufficient_data)
        "indicator_bars": 300,  # хвіст вікна для індикаторів, яких немає в stats Stage1
        "velocity_bars": 5,  # швидкість ціни за 5 барів у ATR·√k
        "trend_bars": 30,  # тренд: чистий рух за 30 барів в ATR·√30
        "trend_flat_atr": 0.5,  # |рух| < 0.5 ATR·√30 — тренду немає
        "rsi_overbought": 70.0,  # як у Stage1 (seed)
        "rsi_oversold": 30.0,
        "max_levels": 12,  # найближчих рівнів у контексті: решта UI не показує
        "sl_max_atr": 1.5,  # SL за рівнем, але не далі 1.5 ATR від входу
        "min_evidence": 0.75,  # менше балів у найкращого сценарію — UNCERTAIN
        "score_strong": 0.45,  # |скор| для STRONG_BUY/STRONG_SELL
        "score_entry": 0.20,  # |скор| для BUY_IN_DIPS/SELL_ON_RALLIES
        "min_confidence_entry": 0.55,  # нижче — WAIT_FOR_CONFIRMATION навіть при скорі
        "entry_zone_atr": 0.25,  # ширина зони входу від ціни в бік відкату
        # Витрати й база волатильності TP/SL (бриф J: на 1m ATR комісія кола ≈ 1R, стоп у шумі).
        # tp_mult/sl_mult/sl_max_atr/entry_zone_atr множать базу = max(k·ATR1m, ATR старшого ТФ).
        "atr_basis_minutes": 15,  # старший ТФ з вікна 1m; 0 — база лише k·ATR(1m), як у seed
        "atr_basis_period": 14,  # завершених барів старшого ТФ у середньому true range
        "atr_basis_floor_1m": 1.0,  # k: база не тісніша за k·ATR(1m)
        "fee_rate": FEE_RATE_TAKER,  # за сторону; R/R рахується після комісії кола
        "min_stop_cost_mult": 3.0,  # стоп тісніший за 3 комісії кола — не угода (WAIT)
        "htf_trend_bars": 720,  # тренд старшого ТФ: рух за 12 год вікна 1m
        "htf_trend_min": 0.5,  # угода лише за ним: рух у бік угоди ≥ 0.5 ATR_htf·√m; < 0 — вимкнено
        # Частини композитної впевненості: згода факторів, сила скору, ясність сценарію, повнота даних.
        "confidence_weights": MappingProxyType(
            {"agreement": 0.35, "conviction": 0.25, "clarity": 0.25, "completeness": 0.15}
        ),
        # Пороги аномалій (див. aione.stage2.anomaly).
        "anomaly": MappingProxyType(
            {
                "vol_z": 2.5,
                "flat_body_atr": 0.25,
                "wick_body_ratio": 2.0,
                "wick_atr": 1.0,
                "spike_atr": 4.0,
                "thin_book_usd": 50_000.0,  # як min_orderbook_depth префільтра (seed)
            }
        ),
    }
)

# Діапазони Optuna для калібрування (ключ → (min, max)).
# TP не шукається напряму: `tp_mult` = `tp_sl_ratio` · `sl_mult`. Нижню межу відношення калібрування
# ще й підтягує до мінімуму, за якого план Stage2 проходить `min_risk_reward` після комісій
# (див. `aione.calibrate`): з типовими Stage2 це 3.0, тобто рівно типові tp_mult/sl_mult = 3/1.
OPTUNA_PARAM_RANGES: Final = MappingProxyType(
    {
        "vol_z_threshold": (1.5, 4.0),
        "rsi_overbought": (60.0, 85.0),
        "rsi_oversold": (15.0, 40.0),
        "min_reasons_for_alert": (1, 3),
        "vwap_deviation": (0.001, 0.02),
        "volatility_k": (1.2, 3.0),
        "tp_sl_ratio": (3.0, 5.0),
        "sl_mult": (0.5, 2.0),
        "min_confidence": (0.5, 0.9),
        "weight_volume": (0.0, 0.5),
        "weight_rsi": (0.0, 0.5),
        "weight_vwap": (0.0, 0.5),
        "weight_atr": (0.0, 0.5),
    }
)
OPTUNA_SQLITE_URI: Final[str] = "sqlite:///aione_optuna.db"  # (seed)
OPTUNA_DB_FILENAME: Final[str] = "aione_optuna.db"  # типове сховище — цей файл у каталозі даних
OPTUNA_PARAMS_FILENAME: Final[str] = "aione_params.json"  # типовий файл найкращих перевизначень там само
OPTUNA_STUDY_PREFIX: Final[str] = "aione"  # типова назва дослідження: `aione-<відбиток>`
# Ціль калібрування: кожна угода, якої бракує до `--min-trades` на відрізку, рахується як втрата
# стількох % (≈ типовий стоп: медіанний збиток угоди з типовими параметрами на 16 символах травня
# 2025 — 0.6 %). Так «майже не торгувати» не виграє в набору, що торгує з малим мінусом.
OPTUNA_MISSING_TRADE_LOSS_PCT: Final[float] = 0.5

# ── Stage1 ──
STAGE1_PREFILTER_THRESHOLDS: Final = MappingProxyType(
    {
        "MIN_QUOTE_VOLUME": 1_000_000.0,  # (seed)
        "MIN_PRICE_CHANGE": 3.0,  # (seed)
        "MIN_OPEN_INTEREST": 500_000.0,  # (seed)
        "MIN_ORDERBOOK_DEPTH": 50_000.0,  # (seed)
        "MIN_ATR_PERCENT": 0.5,  # (seed)
        "MAX_SYMBOLS": 350,  # (seed)
    }
)
PREFILTER_BASE_PARAMS: Final = FilterParams()
# Ваги рангу префільтра (бриф F): ліквідність важить найбільше, далі активність і OI. Кожна ознака
# береться як перцентильний ранг серед тих, хто пройшов; відсутня ознака (OI на spot) відкидається.
PREFILTER_SCORE_WEIGHTS: Final = MappingProxyType(
    {"quote_volume": 0.5, "atr_pct": 0.2, "price_change": 0.1, "open_interest": 0.2}
)

STAGE1_MONITOR_PARAMS: Final = MappingProxyType(
    {
        "vol_z_threshold": 2.5,  # (seed)
        "rsi_overbought": 70.0,  # (seed)
        "rsi_oversold": 30.0,  # (seed)
        "min_reasons_for_alert": 2,  # (seed)
        "dynamic_rsi_multiplier": 1.1,  # (seed)
        "rsi_period": 14,
        "atr_period": 14,
        "volume_window": 60,  # вікно z-скору обсягу: година 1m барів
        "vwap_window": 60,
        "breakout_window": 60,  # «недавній» максимум/мінімум
        "breakout_buffer_pct": 0.0005,  # 0.05 %: пробій має бути не на шум
        "near_level_band_pct": 0.002,  # 0.2 %: «біля рівня»
        "pivot_left": 3,
        "pivot_right": 3,
        "divergence_lookback": 60,
        # TR% бару ≥ k × медіана за volatility_window; на 1m даних k = 2 горів на ~11 % барів
        # (binance-um-1m-2025-05), k = 3 — на ~3 %: сплеск, а не звичайний шум.
        "volatility_k": 3.0,
        "volatility_window": 240,
        "cooldown_sec": 300,  # (seed) на символ і напрям
        # Stage1 (бриф F): правила, яких немає в seed, обрано як очікував би трейдер.
        "max_gap_bars": 5,  # пропуск довший за стільки барів → історія не суцільна, стан скидається
        "divergence_hold_bars": 5,  # дивергенція активна стільки закритих барів після підтвердження півота
        "divergence_min_rsi_gap": 5.0,  # RSI двох півотів має різнитися щонайменше на стільки пунктів
        "vwap_min_std": 2.0,  # VWAP-тригер: ще й ≥ 2σ розкиду ціни навколо VWAP (смуга Боллінджера)
        # смуга «біля рівня» = min(near_level_band_pct, k × ATR%): міра — ATR, відсоток — стеля
        # (на 1m ATR BTC ≈ 0.05 %, тож 0.2 % покривало б пів вікна і near_high горів на 19 % барів).
        "near_level_atr_mult": 0.25,
        "trend_atr_mult": 2.0,  # стан trend_strong: |close − EMA| ≥ k × ATR
        "range_atr_mult": 5.0,  # стан range_bound: ширина Donchian ≤ k × ATR
        "high_vol_ratio": 1.8,  # стан high_volatility: ATR% ≥ k × медіана TR% за volatility_window
        "taker_bull_share": 0.55,  # частка taker-buy ≥ цього → бичачий сплеск обсягу, ≤ 1 − цього → ведмежий
    }
)
# Контекст і тригери деривативів (issue 16). Окрема стала, а не ключі `STAGE1_MONITOR_PARAMS`:
# пороги старих тригерів і записи Stage1 на самих барах лишаються такими, як були; тригер бере
# значення з параметрів монітора символу, якщо там є такий ключ (перевизначення), інакше — звідси.
DERIV_SIGNAL_PARAMS: Final = MappingProxyType(
    {
        # контекст: вікна та свіжість
        "oi_window_min": 15,  # зміна OI за 15 хв
        "oi_z_points": 60,  # z-скор зміни OI щодо 60 попередніх точок (опитування раз на хвилину)
        "oi_z_min_std_pct": 0.1,  # нижня межа σ зміни OI, п.п.: рівний OI не дає z від шуму
        "oi_max_age_ms": 180_000,  # точка OI старша за 3 хв — OI невідомий
        "funding_rank_points": 1_440,  # перцентиль фінансування щодо доби точок (раз на хвилину)
        "funding_min_points": 60,  # менше історії — перцентиля немає
        "mark_max_age_ms": 180_000,  # марк/фінансування старше за 3 хв — невідомі
        "liq_window_min": 5,  # сума ліквідацій за 5 хв
        "book_stale_ms": 5_000,  # книга старша за 5 с — stale (як `DerivWindows.book_stale_ms`)
        "taker_window_bars": 15,  # CVD і частка taker-buy за 15 барів
        # тригери
        "oi_z_threshold": 3.0,  # |z| зміни OI
        "oi_min_change_pct": 1.0,  # і |зміна OI| ≥ 1 % за вікно
        "oi_price_flat_pct": 0.2,  # |зміна ціни за вікно| < 0.2 % — ціна «на місці», без напряму
        "funding_pct_high": 95.0,  # перцентиль ≥ 95 і ставка ≥ funding_high_min — перегрів лонгів
        "funding_pct_low": 5.0,  # перцентиль ≤ 5 і ставка ≤ funding_low_max — перегрів шортів
        "funding_high_min": 0.0003,  # 0.03 % за період: утричі вище базових 0.01 %
        "funding_low_max": -0.0001,  # від'ємна ставка: шорти платять лонгам
        "liq_min_usd": 100_000.0,  # сума ліквідацій за вікно ≥ 100 тис. USDT
        "liq_volume_share": 0.05,  # і ≥ 5 % обороту тих самих барів
        "liq_side_share": 0.7,  # і один бік дає ≥ 70 % суми
        "taker_ratio_min": 0.25,  # |Σ(2·taker_buy − обсяг)| / Σобсяг за вікно
        "taker_follow_atr": 1.0,  # ціна пройшла в бік потоку менше за 1 ATR — потік поглинуто
    }
)
# Дельти порогів за станом ринку (SPEC: state-aware thresholds).
STAGE1_STATE_DELTAS: Final = MappingProxyType(
    {
        "range_bound": MappingProxyType({"vol_z_threshold": 0.0, "rsi_overbought": -2.0, "rsi_oversold": 2.0}),
        "trend_strong": MappingProxyType({"vol_z_threshold": 0.5, "rsi_overbought": 5.0, "rsi_oversold": -5.0}),
        "high_volatility": MappingProxyType({"vol_z_threshold": 1.0, "rsi_overbought": 5.0, "rsi_oversold": -5.0}),
    }
)

# ── Stage3 ──
STAGE3_TRADE_PARAMS: Final = MappingProxyType(
    {
        "min_confidence": 0.75,  # (seed)
        "low_vol_conf_override": 0.82,  # (seed)
        "breakeven_after_atr": 1.0,  # (SPEC) SL → беззбиток після +1 ATR
        "trail_after_atr": 2.0,  # (SPEC) трейлінг після +2 ATR
        "trail_atr_mult": 1.0,  # відстань трейлінгу, k × ATR
        "max_holding_sec": 4 * 3600,  # часова зупинка: 4 год для 1m сигналів
        "fee_rate": FEE_RATE_TAKER,  # taker USDT-M, за кожну сторону
        "recent_trades_keep": 200,  # скільки закритих угод зберігається
        "entry_timeout_sec": 300,  # очікуюча угода без ціни довше за це скасовується (план застарів)
        # (SPEC) зміна сценарію на протилежний = early_exit; вимкнено (бриф J): план міряється
        # базою 15m, а мітка сценарію 1m алерту — шум; на першій половині травня 2025 такі виходи
        # давали в середньому −0.36R. Протилежний сигнал, що проходить поріг, і далі закриває угоду.
        "exit_on_scenario_flip": False,
        # True: беззбиток = вхід ± комісія кола; на першій половині травня без помітної різниці.
        "breakeven_cover_fees": False,
        "min_stop_cost_mult": 3.0,  # як у Stage2: стоп ближчий за 3 комісії кола — угоди немає
    }
)

# ── Налаштування користувача ──
USER_SETTINGS_DEFAULT: Final = MappingProxyType(
    {
        "locale": UI_LOCALE,  # (seed)
        "narrative_style": "explain",  # (seed) pro | explain | short
        "show_top_n": UI_TOP_N,
    }
)

# ── Сигнали: ранг, бюджет алертів, наслідки ──
# Бюджет алертів (issue 15): до Stage3 і в UI як сигнал доходять лише найвище оцінені кандидати;
# решта лишається «watch» без рекомендації. Бюджет рахується в часі подій (однаково наживо й у бектесті).
ALERT_BUDGET: Final = MappingProxyType(
    {
        "enabled": True,
        "per_symbol_per_day": 3.0,  # середня стеля нових сигналів символу за добу (відро токенів)
        "per_symbol_burst": 2.0,  # місткість відра символу: стільки сигналів поспіль
        "market_per_hour": 6.0,  # стеля сигналів по всьому ринку за годину (відро ринку)
        "min_rank": 0.5,  # нижче — лише watch, навіть коли токени є
        "history": 500,  # останніх кандидатів символу, проти яких міряється незвичність
        "min_history": 20,  # менше історії — незвичність невідома (0.5)
        # Ваги частин рангу: незвичність відносно власної історії символу і переконаність Stage2.
        "rank_weights": MappingProxyType({"unusual": 0.5, "conviction": 0.5}),
    }
)
# Наслідки сигналу: горизонти форвардної доходності, хв; TP/SL перевіряються на найдовшому.
SIGNAL_OUTCOME_HORIZONS: Final = (5, 15, 60, 240)
SIGNAL_RECORD_MIN_CASES: Final[int] = 5  # менше випадків — запис типу сигналу не показується
# Життєвий цикл сигналу (`signals.lifecycle`): час події, хвилини від бару сигналу.
SIGNAL_ENTRY_WINDOW_MIN: Final[int] = 15  # без входу в зону за стільки хвилин сигнал застаріває
SIGNAL_EXPIRY_MIN: Final[int] = 240  # ні TP, ні SL за стільки хвилин — застарів (= найдовший горизонт)
# Рівні, які варто малювати й називати (`stage2.level_manager.select_levels`); Stage2 рахує
# свої рівні як раніше, це лише відбір для показу.
LEVELS_MAX_PER_SIDE: Final[int] = 3  # найсильніших рівнів на бік
LEVELS_DRAW_MERGE_ATR: Final[float] = 0.75  # рівні ближчі за 0.75 ATR показуються однією зоною
LEVELS_MAX_DISTANCE_PCT: Final[float] = 8.0  # далі від ціни рівні не показуються

# ── Демо ──
# 5 хвилин ринку за секунду: на 6 символах зразка перші сигнали й угоди — за перші пів хвилини;
# 7 діб зразка вистачає приблизно на 30 хвилин показу.
DEMO_SPEED: Final[float] = 300.0

# ── Публікація ──
STATE_SCHEMA_VERSION: Final[int] = 1
PUBLISH_MIN_INTERVAL_MS: Final[int] = 250  # не частіше: браузер і термінал більше не покажуть
MAX_FRAME_BYTES: Final[int] = 16 * 1024 * 1024  # межа розпакованого кадру
# Кошики гістограми e2e-затримки (бар отримано → кадр опубліковано), с: дрібні до 50 мс,
# щоб p99 було видно, і кілька грубих для хвоста.
E2E_LATENCY_BUCKETS: Final = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
    0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0,
)
STATE_BUS_QUEUE_SIZE: Final[int] = 8  # кадрів у черзі підписника шини; повільний втрачає старі
FRAME_RECENT_TRADES: Final[int] = 20  # закритих угод у кадрі для дашборду
UI_RECONNECT_BACKOFF_SEC: Final = (0.2, 5.0)  # (мін, макс) паузи перепідключення UI до Redis
UI_REFRESH_PER_SEC: Final[float] = 4.0  # частота перемальовування термінальної таблиці

# ── Сповіщення (notify/) ──
_Hour = Annotated[int, Field(ge=0, le=23)]


class NotifyRules(_FrozenModel):
    """Правила одного каналу сповіщень: фільтри й контроль шуму (час — час подій, мс UTC)."""

    min_rank: float | None = Field(default=None, ge=0, le=1)  # нижче — не надсилати
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    sides: tuple[Literal["BUY", "SELL"], ...] | None = None  # None — обидва боки
    symbols: tuple[str, ...] | None = None  # None — усі символи
    recommendations: tuple[str, ...] | None = None  # None — усі рекомендації сигналів
    kinds: tuple[Literal["signal", "trade_opened", "trade_closed"], ...] | None = None  # None — усі
    cooldown_min: float = Field(default=15.0, ge=0)  # після повідомлення про символ — пауза
    episode_gap_min: float = Field(default=30.0, ge=0)  # сигнали того ж символу й боку ближче — той самий епізод
    quiet_hours: tuple[_Hour, _Hour] | None = None  # (з, до) годин UTC; у тиші — у дайджест
    digest_minutes: float = Field(default=0.0, ge=0)  # > 0 — одне повідомлення-дайджест на N хвилин


NOTIFY_DEFAULT_RULES: Final = NotifyRules()
# Ліміти каналів у межах опублікованих правил сервісів: токени/с, місткість відра, черга, паралельність.
# Telegram: ~1 повідомлення/с у чат, 20/хв у групу; Discord webhook: 5 запитів за 2 с.
# JSON-вебхук публічного ліміту не має: сплеск до 1000 подій іде одразу (8 запитів паралельно), далі 500/с.
NOTIFY_CHANNEL_LIMITS: Final = MappingProxyType(
    {
        "telegram": MappingProxyType({"rate": 1.0, "burst": 3.0, "queue": 500, "concurrency": 1}),
        "telegram_group": MappingProxyType({"rate": 20.0 / 60.0, "burst": 3.0, "queue": 500, "concurrency": 1}),
        "discord": MappingProxyType({"rate": 2.5, "burst": 5.0, "queue": 500, "concurrency": 1}),
        "webhook": MappingProxyType({"rate": 500.0, "burst": 1000.0, "queue": 5000, "concurrency": 8}),
    }
)
NOTIFY_RETRY_BACKOFF_SEC: Final = (0.5, 30.0)  # (перша, найбільша) пауза повтору доставки
NOTIFY_HTTP_TIMEOUT_SEC: Final[float] = 10.0
NOTIFY_MAX_RETRY_AFTER_SEC: Final[float] = 600.0  # довший retry_after від сервісу обрізається
NOTIFY_SIGNATURE_HEADER: Final[str] = "X-AiOne-Signature"  # "sha256=<hex>" над "<ts>.<тіло>"
NOTIFY_TIMESTAMP_HEADER: Final[str] = "X-AiOne-Timestamp"  # секунди UTC
NOTIFY_SIGNATURE_TOLERANCE_SEC: Final[int] = 300  # старіший підпис приймач відкидає (повтор)
NOTIFY_OUTBOX_FILENAME: Final[str] = "notify_outbox.jsonl"  # у AIONE_DATA_DIR, коли Redis немає
NOTIFY_MUTE_MAX_HOURS: Final[float] = 7 * 24.0
NOTIFY_BOT_POLL_TIMEOUT_SEC: Final[int] = 25  # long polling getUpdates
NOTIFY_BOT_TOP_N: Final[int] = 5
NOTIFY_CLOSE_TIMEOUT_SEC: Final[float] = 5.0  # на зупинці стільки чекаємо доставки, решта — в outbox
# Redis Stream сигналів і подій угод для програм-споживачів (XREAD від останнього id).
NOTIFY_STREAM_KEY: Final[str] = "asset_signals"
NOTIFY_STREAM_MAXLEN: Final[int] = 100_000  # XADD MAXLEN ~
NOTIFY_STREAM_QUEUE: Final[int] = 10_000  # записів у черзі видавця, поки Redis недоступний

# ── Виконання (execution/): ліміти ризику, таймінги, файли ──
class ExecutionLimits(_FrozenModel):
    """Ліміти ризику живого виконання; перевіряються перед кожною заявкою входу (USDT, UTC-доба)."""

    max_notional_per_trade: float = Field(default=50.0, gt=0)  # вартість однієї позиції
    max_open_positions: int = Field(default=2, ge=0)
    max_total_exposure: float = Field(default=100.0, gt=0)  # сума вартостей відкритих позицій
    max_daily_loss: float = Field(default=20.0, gt=0)  # реалізований збиток за добу → стоп до кінця доби
    recommendations: tuple[str, ...] = ("STRONG_BUY", "STRONG_SELL")  # які рекомендації торгують
    min_rank: float = Field(default=0.0, ge=0, le=1)  # ранг сигналу (0 — будь-який)
    leverage: int = Field(default=2, ge=1, le=20)
    margin_type: Literal["ISOLATED", "CROSSED"] = "ISOLATED"
    orphan_position: Literal["protect", "report"] = "protect"  # позиція без журналу: поставити SL чи кричати
    orphan_sl_pct: float = Field(default=2.0, gt=0, le=50)  # SL сирітської позиції, % від ціни входу
    flatten_on_kill: bool = False  # kill switch також закриває позиції


EXECUTION_DEFAULT_LIMITS: Final = ExecutionLimits()
EXECUTION_RECV_WINDOW_MS: Final[int] = 5000  # recvWindow підписаних запитів
EXECUTION_ORDER_TIMEOUT_SEC: Final[float] = 3.0  # тайм-аут одного торгового запиту
EXECUTION_ORDER_RETRIES: Final[int] = 3  # повтори заявки (кожен — після запиту за client id)
EXECUTION_PROTECT_RETRIES: Final[int] = 3  # спроби поставити SL; далі позиція закривається
EXECUTION_LISTEN_KEY_KEEPALIVE_SEC: Final[float] = 30 * 60.0  # PUT listenKey (ключ живе 60 хв)
EXECUTION_STREAM_RECONNECT_SEC: Final = (0.2, 10.0)  # (мін, макс) пауза перепідключення потоку
EXECUTION_JOURNAL_FILENAME: Final[str] = "execution_journal.jsonl"  # у AIONE_DATA_DIR
EXECUTION_KILL_FILENAME: Final[str] = "KILL"  # файл-прапорець kill switch у AIONE_DATA_DIR
EXECUTION_KILL_REDIS_KEY: Final[str] = "ai_one:execution:kill"
EXECUTION_URLS: Final = MappingProxyType(
    {
        "testnet": MappingProxyType(
            {"rest": "https://testnet.binancefuture.com", "ws": "wss://stream.binancefuture.com"}
        ),
        "mainnet": MappingProxyType({"rest": "https://fapi.binance.com", "ws": "wss://fstream.binance.com"}),
    }
)

# Зручна форма для `aione config show`.
PUBLIC_CONSTANTS: Final[tuple[str, ...]] = (
    "DEFAULT_LOOKBACK",
    "DEFAULT_TIMEFRAME",
    "MIN_READY_PCT",
    "MAX_PARALLEL_STAGE2",
    "TRADE_REFRESH_INTERVAL",
    "REDIS_CHANNEL_ASSET_STATE",
    "REDIS_SNAPSHOT_KEY",
    "UI_LOCALE",
    "PRELOAD_1M_LOOKBACK_INIT",
    "PRELOAD_DAILY_DAYS",
    "PREFILTER_INTERVAL_SEC",
)

Timeframe = Literal["1m", "3m", "5m", "15m", "30m", "1h", "4h", "1d"]
JSONDict = dict[str, Any]

__all__ = [
    "EXECUTION_DEFAULT_LIMITS",
    "EXECUTION_JOURNAL_FILENAME",
    "EXECUTION_KILL_FILENAME",
    "EXECUTION_KILL_REDIS_KEY",
    "EXECUTION_LISTEN_KEY_KEEPALIVE_SEC",
    "EXECUTION_ORDER_RETRIES",
    "EXECUTION_ORDER_TIMEOUT_SEC",
    "EXECUTION_PROTECT_RETRIES",
    "EXECUTION_RECV_WINDOW_MS",
    "EXECUTION_STREAM_RECONNECT_SEC",
    "EXECUTION_URLS",
    "ExecutionLimits",
    "NOTIFY_BOT_POLL_TIMEOUT_SEC",
    "NOTIFY_BOT_TOP_N",
    "NOTIFY_CHANNEL_LIMITS",
    "NOTIFY_CLOSE_TIMEOUT_SEC",
    "NOTIFY_DEFAULT_RULES",
    "NOTIFY_HTTP_TIMEOUT_SEC",
    "NOTIFY_MAX_RETRY_AFTER_SEC",
    "NOTIFY_MUTE_MAX_HOURS",
    "NOTIFY_OUTBOX_FILENAME",
    "NOTIFY_RETRY_BACKOFF_SEC",
    "NOTIFY_SIGNATURE_HEADER",
    "NOTIFY_SIGNATURE_TOLERANCE_SEC",
    "NOTIFY_STREAM_KEY",
    "NOTIFY_STREAM_MAXLEN",
    "NOTIFY_STREAM_QUEUE",
    "NOTIFY_TIMESTAMP_HEADER",
    "NotifyRules",
    "ALERT_BUDGET",
    "ASSET_CLASS_MAPPING",
    "ASSET_STATE",
    "BUY_SET",
    "DEFAULT_LOOKBACK",
    "DEFAULT_TIMEFRAME",
    "DEMO_SPEED",
    "DEPTH_SEMAPHORE_LIMIT",
    "FAST_SYMBOLS_TTL_AUTO",
    "FEE_RATE_TAKER",
    "FAST_SYMBOLS_TTL_MANUAL",
    "INTERVAL_TTL_MAP",
    "LEVELS_DRAW_MERGE_ATR",
    "LEVELS_MAX_DISTANCE_PCT",
    "LEVELS_MAX_PER_SIDE",
    "JSONDict",
    "KLINES_SEMAPHORE_LIMIT",
    "MANUAL_FAST_SYMBOLS_SEED",
    "MARKET_SCENARIOS",
    "E2E_LATENCY_BUCKETS",
    "FRAME_RECENT_TRADES",
    "MAX_FRAME_BYTES",
    "MAX_PARALLEL_STAGE2",
    "MIN_READY_PCT",
    "OI_SEMAPHORE_LIMIT",
    "OPTUNA_DB_FILENAME",
    "OPTUNA_MISSING_TRADE_LOSS_PCT",
    "OPTUNA_PARAM_RANGES",
    "OPTUNA_PARAMS_FILENAME",
    "OPTUNA_SQLITE_URI",
    "OPTUNA_STUDY_PREFIX",
    "PREFILTER_BASE_PARAMS",
    "PREFILTER_DEPTH_LIMIT",
    "PREFILTER_SCORE_WEIGHTS",
    "PREFILTER_INTERVAL_SEC",
    "PRELOAD_1M_LOOKBACK_INIT",
    "PRELOAD_DAILY_DAYS",
    "PUBLIC_CONSTANTS",
    "PUBLISH_MIN_INTERVAL_MS",
    "RECOMMENDATIONS",
    "REDIS_CACHE_TTL",
    "REDIS_CHANNEL_ASSET_STATE",
    "REDIS_NAMESPACE",
    "REDIS_SNAPSHOT_KEY",
    "REDIS_SNAPSHOT_TTL",
    "SCREENING_LOOKBACK",
    "SELL_SET",
    "SIGNAL_ALERT",
    "SIGNAL_ENTRY_WINDOW_MIN",
    "SIGNAL_EXPIRY_MIN",
    "SIGNAL_OUTCOME_HORIZONS",
    "SIGNAL_RECORD_MIN_CASES",
    "SIGNAL_NORMAL",
    "STAGE1_MONITOR_PARAMS",
    "STAGE1_PREFILTER_THRESHOLDS",
    "STAGE1_STATE_DELTAS",
    "STAGE2_CONFIG",
    "STAGE2_STATUS",
    "STAGE3_TRADE_PARAMS",
    "STATE_SCHEMA_VERSION",
    "SUPPORTED_TIMEFRAMES",
    "TICK_SIZE_BRACKETS",
    "TICK_SIZE_DEFAULT",
    "TICK_SIZE_MAP",
    "TIMEFRAME_MS",
    "TRADE_REFRESH_INTERVAL",
    "TRADE_TAG_SIGNAL_GENERATED",
    "TRADE_TAG_SWAPPED_LONG",
    "TRADE_TAG_SWAPPED_SHORT",
    "DERIV_BOOK_MAX_SYMBOLS",
    "DERIV_SIGNAL_PARAMS",
    "DERIV_TRIGGER_TAGS",
    "TRIGGER_NAME_MAP",
    "TRIGGER_TAGS",
    "TRIGGER_TAG_FUNDING",
    "TRIGGER_TAG_LIQUIDATIONS",
    "TRIGGER_TAG_OI_SURGE",
    "TRIGGER_TAG_TAKER",
    "TRIGGER_TAG_BREAKOUT",
    "TRIGGER_TAG_RSI",
    "TRIGGER_TAG_VOLATILITY",
    "TRIGGER_TAG_VOLUME_SPIKE",
    "TRIGGER_TAG_VWAP",
    "Timeframe",
    "UI_COLUMN_VOLUME",
    "UI_LOCALE",
    "UI_STALE_AFTER_SEC",
    "UI_TOP_N",
    "STATE_BUS_QUEUE_SIZE",
    "UI_RECONNECT_BACKOFF_SEC",
    "UI_REFRESH_PER_SEC",
    "USER_SETTINGS_DEFAULT",
    "VWAP_DEVIATION_BY_CLASS",
    "FilterParams",
    "MetricResults",
    "SymbolInfo",
]
