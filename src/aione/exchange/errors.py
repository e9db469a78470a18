"""Помилки біржових адаптерів. Назва каже, що з помилкою робить система.

- `BadResponseError` — відповідь не розібрано: відкинути й порахувати, нічого не зберігати;
- `MalformedFrameError` — кадр WS не розібрано: відкинути й порахувати;
- `RateLimitedError` — 429 після всіх повторів: пригальмувати й спробувати пізніше;
- `BannedError` — 418: зупинити всі виклики до `until_ms`;
- `TransientError` — 5xx/тайм-аут/обрив: повторити з експоненційною затримкою;
- `RequestRejectedError` — біржа відхилила запит (4xx з кодом): не повторювати, виправити запит.
"""

from __future__ import annotations

# ── Ієрархія ──


class ExchangeError(Exception):
    """База всіх помилок біржових адаптерів."""


class BadResponseError(ExchangeError):
    """Відповідь REST не розібрано (HTML, обрізаний JSON, бракує полів, нескінченні числа)."""

    def __init__(self, endpoint: str, excerpt: str, reason: str = "") -> None:
        self.endpoint = endpoint
        self.excerpt = excerpt[:200]
        self.reason = reason
        detail = f": {reason}" if reason else ""
        super().__init__(f"bad response from {endpoint}{detail}; excerpt={self.excerpt!r}")


class MalformedFrameError(ExchangeError):
    """Кадр WebSocket не розібрано; клієнт рахує його й відкидає."""

    def __init__(self, reason: str, excerpt: str = "") -> None:
        self.reason = reason
        self.excerpt = excerpt[:200]
        super().__init__(f"malformed frame: {reason}; excerpt={self.excerpt!r}")


class RateLimitedError(ExchangeError):
    """HTTP 429 повторювався довше, ніж дозволяють повтори; `retry_after` — секунди."""

    def __init__(self, endpoint: str, retry_after: float) -> None:
        self.endpoint = endpoint
        self.retry_after = retry_after
        super().__init__(f"rate limited on {endpoint}; retry after {retry_after:g}s")


class BannedError(ExchangeError):
    """HTTP 418: IP заблоковано до `until_ms` (мс епохи, настінний час). Виклики зупинено."""

    def __init__(self, until_ms: int, endpoint: str = "") -> None:
        self.until_ms = until_ms
        self.endpoint = endpoint
        super().__init__(f"banned by exchange until {until_ms} ms (endpoint {endpoint or '-'})")


class TransientError(ExchangeError):
    """Тимчасовий збій (5xx, тайм-аут, обрив з'єднання) — після вичерпання повторів."""

    def __init__(self, endpoint: str, reason: str) -> None:
        self.endpoint = endpoint
        self.reason = reason
        super().__init__(f"transient failure on {endpoint}: {reason}")


class RequestRejectedError(ExchangeError):
    """Біржа відхилила запит (4xx з кодом помилки Binance): повтор нічого не змінить."""

    def __init__(self, endpoint: str, status: int, code: int | None, message: str) -> None:
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"request to {endpoint} rejected: HTTP {status} code={code} {message}")


__all__ = [
    "BadResponseError",
    "BannedError",
    "ExchangeError",
    "MalformedFrameError",
    "RateLimitedError",
    "RequestRejectedError",
    "TransientError",
]
