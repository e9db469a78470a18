"""Налаштування часу виконання з оточення та `.env` (префікс `AIONE_`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from aione.config.config import ExecutionLimits, NotifyRules

# ── Адреси Binance за ринком ──
DEFAULT_REST_URLS = {"um": "https://fapi.binance.com", "spot": "https://api.binance.com"}
DEFAULT_WS_URLS = {"um": "wss://fstream.binance.com", "spot": "wss://stream.binance.com:9443"}

Market = Literal["um", "spot"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingsError(ValueError):
    """Хибне налаштування: одне зрозуміле речення з назвою змінної та дозволеними значеннями."""


class Settings(BaseSettings):
    """Налаштування процесу. Без Redis URL працює вбудований RAM-режим."""

    model_config = SettingsConfigDict(
        env_prefix="AIONE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    redis_url: SecretStr | None = None  # None = вбудований режим без сервера
    market: Market = "um"
    rest_base_url: str | None = None  # None = адреса Binance для обраного ринку
    ws_base_url: str | None = None
    metrics_port: int = Field(default=8001, ge=0, le=65535)  # 0 = не відкривати /metrics
    log_level: LogLevel = "INFO"
    data_dir: Path = Path("aione_data")  # parquet-шар сховища та стан угод
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    api_key: SecretStr | None = None  # не потрібен для ринкових даних; маскується у виводі
    # ── Живе виконання (execution/): вимкнене, доки AIONE_EXECUTION=live і є ключ із секретом ──
    api_secret: SecretStr | None = None  # секрет API; у `config show` і журналі — `***`
    execution: Literal["paper", "live"] = "paper"
    execution_env: Literal["testnet", "mainnet"] = "testnet"  # mainnet — ще й --i-understand-real-money
    execution_rest_url: str | None = None  # None — адреса мережі env (або AIONE_REST_BASE_URL)
    execution_ws_url: str | None = None
    execution_limits: ExecutionLimits = Field(default_factory=ExecutionLimits)  # JSON: {"max_daily_loss": 10}
    ui_locale: Literal["uk", "en"] = "uk"  # мова веб-панелі, поки користувач не обрав іншу
    # ── Сповіщення (notify/): секрети — SecretStr, у `config show` і журналі — `***` ──
    notify_locale: Literal["uk", "en"] = "uk"
    notify_telegram_token: SecretStr | None = None  # токен бота від @BotFather
    notify_telegram_chat_ids: str = ""  # чати через кому (групи — від'ємні id)
    notify_telegram_allowed_chat_ids: str = ""  # хто може давати команди боту; порожньо — ті самі чати
    notify_telegram_api_url: str = "https://api.telegram.org"
    notify_discord_webhook_url: SecretStr | None = None  # URL містить токен вебхука
    notify_webhook_url: str | None = None  # JSON-вебхук
    notify_webhook_secret: SecretStr | None = None  # ключ HMAC-SHA256 підпису вебхука
    notify_dashboard_url: str | None = None  # None — http://WEB_HOST:WEB_PORT
    notify_rules: dict[str, NotifyRules] = Field(default_factory=dict)  # JSON: {"telegram": {"min_rank": 0.7}}
    notify_stream: bool = True  # Redis Stream `asset_signals`, коли є Redis

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str):
            problem = redis_url_problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value

    # ── Похідні значення ──
    @property
    def effective_rest_url(self) -> str:
        return (self.rest_base_url or DEFAULT_REST_URLS[self.market]).rstrip("/")

    @property
    def effective_ws_url(self) -> str:
        return (self.ws_base_url or DEFAULT_WS_URLS[self.market]).rstrip("/")

    @property
    def redis_dsn(self) -> str | None:
        return self.redis_url.get_secret_value() if self.redis_url else None

    def masked(self) -> dict[str, object]:
        """Ефективні налаштування для показу: секрети замасковано."""
        shown: dict[str, object] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown[name] = _mask_secret(name, value.get_secret_value())
            elif isinstance(value, Path):
                shown[name] = str(value)
            else:
                shown[name] = value
        shown["effective_rest_url"] = self.effective_rest_url
        shown["effective_ws_url"] = self.effective_ws_url
        return shown


# ── URL Redis ──
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_url_problem(url: str) -> str | None:
    """Чому рядок не є придатним URL Redis (схема, хост, порт, номер бази) або None."""
    if not url.startswith(REDIS_SCHEMES):
        return "must start with redis://, rediss:// or unix://"
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return None if parts.path else "unix:// needs a socket path"
    try:
        port = parts.port
    except ValueError:
        return "port must be a number 1..65535"
    if not parts.hostname:
        return "needs a host (redis://HOST:PORT/DB)"
    if port == 0:
        return "port must be a number 1..65535"
    db = parts.path.strip("/")
    if db and not db.isdigit():
        return "database must be a number (redis://HOST:PORT/0)"
    return None


def mask_redis_url(raw: str) -> str:
    """URL Redis без пароля (`redis://***@host:6379/0`); рядок без `@` — як є."""
    if "@" not in raw:
        return raw
    scheme, sep, rest = raw.partition("://")
    _, _, host = rest.rpartition("@")
    return f"{scheme}{sep}***@{host}" if sep else "***@" + host


def _mask_secret(name: str, raw: str) -> str:
    """Маскує пароль у URL Redis і повністю — ключі."""
    if name == "redis_url":
        return mask_redis_url(raw)
    return "***" if raw else ""


_SECRET_FIELDS = frozenset(
    {
        "redis_url",
        "api_key",
        "api_secret",
        "notify_telegram_token",
        "notify_discord_webhook_url",
        "notify_webhook_secret",
    }
)


def format_validation_error(exc: ValidationError) -> str:
    """Перетворює помилку pydantic на один рядок: змінна, що не так, що дозволено."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "?"
        var = f"AIONE_{field.upper()}"
        given = err.get("input")
        if isinstance(given, str) and field in _SECRET_FIELDS:
            given = _mask_secret(field, given)  # хибний URL не показується з паролем
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "literal_error":
            msg = "must be one of " + msg.split("Input should be ", 1)[-1]
        parts.append(f"{var}={given!r}: {msg}")
    return "invalid setting: " + "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    """Читає налаштування; хибне значення → `SettingsError` з одним зрозумілим рядком."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(format_validation_error(exc)) from None


__all__ = [
    "DEFAULT_REST_URLS",
    "DEFAULT_WS_URLS",
    "LogLevel",
    "Market",
    "Settings",
    "SettingsError",
    "REDIS_SCHEMES",
    "format_validation_error",
    "load_settings",
    "mask_redis_url",
    "redis_url_problem",
]
