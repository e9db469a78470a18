"""Складання сповіщувача з налаштувань: канали, outbox, Redis Stream, бот.

`NotifySetup` — усе, що потрібно, без живих об'єктів (його носить `RunOptions`); `build_notifier`
створює канали й сховища вже в циклі подій. Секрети лишаються `SecretStr` до моменту створення
каналу і далі живуть лише в його полях.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from aione.config.config import NOTIFY_OUTBOX_FILENAME, NotifyRules
from aione.config.settings import Settings
from aione.notify.bot import BotPoller
from aione.notify.channels import (
    Channel,
    DeliveryError,
    DiscordChannel,
    TelegramBotApi,
    TelegramChannel,
    WebhookChannel,
)
from aione.notify.model import KIND_TEST, Alert
from aione.notify.notifier import Notifier
from aione.notify.outbox import FileOutbox, MemoryOutbox, Outbox, RedisOutbox
from aione.notify.stream import SignalStream
from aione.notify.text import TextContext


def split_ids(raw: str | None) -> tuple[str, ...]:
    """`"123, -100456"` → `("123", "-100456")`."""
    return tuple(p.strip() for p in (raw or "").split(",") if p.strip())


@dataclass(frozen=True, slots=True)
class NotifySetup:
    """Налаштування сповіщень одного запуску."""

    locale: str = "uk"
    market: str = "um"
    dashboard_url: str | None = None
    telegram_token: SecretStr | None = None
    telegram_chat_ids: tuple[str, ...] = ()
    telegram_allowed_chat_ids: tuple[str, ...] = ()  # порожньо — ті самі, що й chat_ids
    telegram_api_url: str = "https://api.telegram.org"
    discord_webhook_url: SecretStr | None = None
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: SecretStr | None = None
    rules: Mapping[str, NotifyRules] = field(default_factory=dict)
    stream: bool = True  # Redis Stream, коли є Redis
    bot: bool = True  # команди бота, коли є токен і дозволені чати

    @property
    def has_channels(self) -> bool:
        telegram = self.telegram_token is not None and bool(self.telegram_chat_ids)
        return telegram or self.discord_webhook_url is not None or bool(self.webhook_urls)

    @property
    def text(self) -> TextContext:
        return TextContext(locale=self.locale, dashboard_url=self.dashboard_url, market=self.market)


def build_channels(setup: NotifySetup) -> tuple[list[Channel], TelegramBotApi | None]:
    """Канали з налаштувань (і клієнт Bot API, спільний для чатів і бота)."""
    ctx = setup.text
    channels: list[Channel] = []
    api = None
    if setup.telegram_token is not None:
        api = TelegramBotApi(setup.telegram_token.get_secret_value(), api_url=setup.telegram_api_url)
        channels += [TelegramChannel(api, chat, ctx) for chat in setup.telegram_chat_ids]
    if setup.discord_webhook_url is not None:
        channels.append(DiscordChannel(setup.discord_webhook_url.get_secret_value(), ctx))
    secret = setup.webhook_secret.get_secret_value() if setup.webhook_secret else None
    for i, url in enumerate(dict.fromkeys(setup.webhook_urls)):
        channels.append(WebhookChannel(url, ctx, secret=secret, name="webhook" if i == 0 else f"webhook{i + 1}"))
    return channels, api


def make_outbox(redis_url: str | None, data_dir: Path | None) -> Outbox:
    """Redis, якщо є; інакше файл у каталозі даних; інакше пам'ять (без переживання перезапуску)."""
    if redis_url:
        return RedisOutbox(redis_url)
    if data_dir is not None:
        return FileOutbox(data_dir / NOTIFY_OUTBOX_FILENAME)
    return MemoryOutbox()


def build_notifier(setup: NotifySetup, *, redis_url: str | None, data_dir: Path | None) -> Notifier | None:
    """Сповіщувач або None, коли нема ні каналів, ні Redis для потоку."""
    stream = SignalStream(redis_url) if setup.stream and redis_url else None
    if not setup.has_channels and stream is None:
        return None
    channels, api = build_channels(setup)
    notifier = Notifier(channels, make_outbox(redis_url, data_dir), rules=setup.rules, stream=stream)
    allowed = setup.telegram_allowed_chat_ids or setup.telegram_chat_ids
    if setup.bot and api is not None and allowed:
        notifier.bot = BotPoller(api, allowed, notifier.memory, setup.text)
    return notifier


async def send_test(setup: NotifySetup, now_ms: int) -> list[tuple[str, str | None]]:
    """Одне тестове повідомлення в кожен канал (без черги й повторів): `(канал, None | помилка)`."""
    channels, _ = build_channels(setup)
    alert = Alert(kind=KIND_TEST, id=f"test:{now_ms}", symbol="*", ts=now_ms)
    results: list[tuple[str, str | None]] = []
    for channel in channels:
        try:
            await channel.send(alert)
            results.append((channel.name, None))
        except DeliveryError as exc:
            hint = "" if exc.retryable else " (check the token, chat id or URL)"
            results.append((channel.name, f"{exc}{hint}"))
    for channel in channels:
        await channel.close()
    return results


def setup_from_settings(settings: Settings, *, extra_webhooks: tuple[str, ...] = ()) -> NotifySetup:
    """`NotifySetup` з налаштувань (`AIONE_NOTIFY_*`) і вебхуків з командного рядка."""
    webhooks = ((settings.notify_webhook_url,) if settings.notify_webhook_url else ()) + tuple(extra_webhooks)
    return NotifySetup(
        locale=settings.notify_locale,
        market=settings.market,
        dashboard_url=settings.notify_dashboard_url or f"http://{settings.web_host}:{settings.web_port}",
        telegram_token=settings.notify_telegram_token,
        telegram_chat_ids=split_ids(settings.notify_telegram_chat_ids),
        telegram_allowed_chat_ids=split_ids(settings.notify_telegram_allowed_chat_ids),
        telegram_api_url=settings.notify_telegram_api_url,
        discord_webhook_url=settings.notify_discord_webhook_url,
        webhook_urls=webhooks,
        webhook_secret=settings.notify_webhook_secret,
        rules=dict(settings.notify_rules),
        stream=settings.notify_stream,
    )


__all__ = [
    "NotifySetup",
    "build_channels",
    "build_notifier",
    "make_outbox",
    "send_test",
    "setup_from_settings",
    "split_ids",
]
