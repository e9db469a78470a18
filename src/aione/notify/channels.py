"""Транспорти каналів (aiohttp): Telegram Bot API, Discord webhook, підписаний JSON-вебхук.

Кожен канал уміє одне: надіслати `Alert` і сказати, що сталося. Невдача — `DeliveryError`:
`retryable` (мережа, тайм-аут, 5xx, 429 з `retry_after`) або ні (інші 4xx: хибний токен чи чат).
Секрети (токен бота, URL Discord з токеном, секрет підпису) живуть лише в полях каналу: текст
помилки будується з назви каналу, статусу й типу винятку, ніколи з URL чи тіла запиту.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import aiohttp
import orjson

from aione.config.config import NOTIFY_HTTP_TIMEOUT_SEC, NOTIFY_MAX_RETRY_AFTER_SEC
from aione.notify.model import Alert
from aione.notify.signing import sign_headers
from aione.notify.text import TextContext, discord_payload, telegram_html, webhook_body

TELEGRAM_API_URL = "https://api.telegram.org"
ID_HEADER = "X-AiOne-Id"  # id події: приймач відкидає повтор після перепосилання


class DeliveryError(Exception):
    """Доставка не вдалась; `retryable` — повторити пізніше (не раніше `retry_after` с, якщо задано)."""

    def __init__(
        self, message: str, *, retryable: bool, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


def redact(text: str, secrets: Sequence[str | None]) -> str:
    """Текст без жодного з секретів (замість них `***`)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class Channel(Protocol):
    """Що воркер доставки чекає від каналу."""

    name: str
    kind: str  # ключ лімітів у `NOTIFY_CHANNEL_LIMITS`

    async def send(self, alert: Alert) -> None: ...

    async def close(self) -> None: ...


# ── HTTP ──
class _Http:
    """Спільна сесія aiohttp каналу і розбір відповіді в `DeliveryError`."""

    def __init__(self, name: str, session: aiohttp.ClientSession | None, timeout: float) -> None:
        self.name = name
        self._session = session
        self._own = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._own = True
        return self._session

    async def close(self) -> None:
        if self._own and self._session is not None and not self._session.closed:
            await self._session.close()

    async def post(self, url: str, *, data: bytes, headers: Mapping[str, str]) -> tuple[int, Any]:
        """POST; (статус, JSON або None). Мережева помилка — `DeliveryError(retryable=True)` без URL."""
        try:
            async with self.session().post(url, data=data, headers=dict(headers)) as resp:
                raw = await resp.read()
                payload = _json_or_none(raw)
                if resp.status == 429:
                    raise DeliveryError(
                        f"{self.name}: HTTP 429 rate limited",
                        retryable=True,
                        retry_after=_retry_after(payload, resp.headers),
                        status=429,
                    )
                if resp.status >= 500:
                    raise DeliveryError(f"{self.name}: HTTP {resp.status}", retryable=True, status=resp.status)
                if resp.status >= 400:
                    raise DeliveryError(f"{self.name}: HTTP {resp.status}", retryable=False, status=resp.status)
                return resp.status, payload
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"{self.name}: {type(exc).__name__}", retryable=True) from None

    async def get(self, url: str, *, params: Mapping[str, str], timeout: float) -> tuple[int, Any]:
        try:
            async with self.session().get(
                url, params=dict(params), timeout=aiohttp.ClientTimeout(total=timeout)
            ) as resp:
                return resp.status, _json_or_none(await resp.read())
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"{self.name}: {type(exc).__name__}", retryable=True) from None


def _json_or_none(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def _retry_after(payload: Any, headers: Mapping[str, str]) -> float | None:
    """`retry_after` з тіла (Telegram: parameters.retry_after, Discord: retry_after) або заголовка."""
    value: Any = None
    if isinstance(payload, Mapping):
        params = payload.get("parameters")
        value = params.get("retry_after") if isinstance(params, Mapping) else payload.get("retry_after")
    if value is None:
        value = headers.get("Retry-After")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return min(max(seconds, 0.0), NOTIFY_MAX_RETRY_AFTER_SEC)


# ── Telegram ──
class TelegramBotApi:
    """Мінімальний клієнт Telegram Bot API: `sendMessage` (HTML) і `getUpdates` (long polling)."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str = TELEGRAM_API_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float = NOTIFY_HTTP_TIMEOUT_SEC,
    ) -> None:
        self._token = token
        self._base = api_url.rstrip("/")
        self.http = _Http("telegram", session, timeout)

    def __repr__(self) -> str:
        return f"TelegramBotApi(api_url={self._base!r}, token=***)"

    def _url(self, method: str) -> str:
        return f"{self._base}/bot{self._token}/{method}"

    async def send_message(self, chat_id: str | int, text: str) -> None:
        body = {"chat_id": chat_id, "text": text, "parse_mode": "HTML", "disable_web_page_preview": True}
        _, payload = await self.http.post(
            self._url("sendMessage"), data=orjson.dumps(body), headers={"Content-Type": "application/json"}
        )
        if isinstance(payload, Mapping) and payload.get("ok") is False:
            raise DeliveryError("telegram: API answered ok=false", retryable=False)

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        """Нові оновлення після `offset` (long polling `timeout` с)."""
        params = {"timeout": str(timeout), "allowed_updates": '["message"]'}
        if offset is not None:
            params["offset"] = str(offset)
        status, payload = await self.http.get(self._url("getUpdates"), params=params, timeout=timeout + 10)
        if status == 429 or status >= 500:
            raise DeliveryError(f"telegram: getUpdates HTTP {status}", retryable=True, status=status)
        if status >= 400 or not isinstance(payload, Mapping) or not payload.get("ok"):
            raise DeliveryError(f"telegram: getUpdates HTTP {status}", retryable=False, status=status)
        result = payload.get("result")
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []

    async def close(self) -> None:
        await self.http.close()


class TelegramChannel:
    """Повідомлення в один чат Telegram (ліміт — на чат; групи мають нижчий)."""

    def __init__(self, api: TelegramBotApi, chat_id: str, ctx: TextContext) -> None:
        self.api = api
        self.chat_id = chat_id
        self.ctx = ctx
        self.name = f"telegram:{chat_id}"
        self.kind = "telegram_group" if chat_id.startswith("-") else "telegram"

    async def send(self, alert: Alert) -> None:
        await self.api.send_message(self.chat_id, telegram_html(alert, self.ctx))

    async def close(self) -> None:
        await self.api.close()


# ── Discord ──
class DiscordChannel:
    """Discord webhook з embed; URL містить токен вебхука — це секрет."""

    kind = "discord"

    def __init__(
        self,
        webhook_url: str,
        ctx: TextContext,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = NOTIFY_HTTP_TIMEOUT_SEC,
    ) -> None:
        self._url = webhook_url
        self.ctx = ctx
        self.name = "discord"
        self.http = _Http(self.name, session, timeout)

    def __repr__(self) -> str:
        return "DiscordChannel(webhook_url=***)"

    async def send(self, alert: Alert) -> None:
        await self.http.post(
            self._url, data=orjson.dumps(discord_payload(alert, self.ctx)), headers={"Content-Type": "application/json"}
        )

    async def close(self) -> None:
        await self.http.close()


# ── JSON-вебхук ──
class WebhookChannel:
    """JSON POST з підписом HMAC-SHA256 (`signing`), коли заданий секрет."""

    kind = "webhook"

    def __init__(
        self,
        url: str,
        ctx: TextContext,
        *,
        secret: str | None = None,
        name: str = "webhook",
        session: aiohttp.ClientSession | None = None,
        timeout: float = NOTIFY_HTTP_TIMEOUT_SEC,
    ) -> None:
        self.url = url
        self._secret = secret
        self.ctx = ctx
        self.name = name
        self.http = _Http(name, session, timeout)

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r}, secret=***)"

    async def send(self, alert: Alert) -> None:
        body = orjson.dumps(webhook_body(alert, self.ctx))
        headers = {"Content-Type": "application/json", ID_HEADER: alert.id}
        if self._secret:
            headers.update(sign_headers(self._secret, body))
        await self.http.post(self.url, data=body, headers=headers)

    async def close(self) -> None:
        await self.http.close()


__all__ = [
    "ID_HEADER",
    "TELEGRAM_API_URL",
    "Channel",
    "DeliveryError",
    "DiscordChannel",
    "TelegramBotApi",
    "TelegramChannel",
    "WebhookChannel",
    "redact",
]
