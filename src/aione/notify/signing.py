"""Підпис JSON-вебхука: HMAC-SHA256 над `"<timestamp>.<тіло>"` (чиста логіка).

Відправник шле заголовки `X-AiOne-Timestamp: <секунди UTC>` і
`X-AiOne-Signature: sha256=<hex>`; приймач перевіряє `verify_signature(secret, body, headers)`:
підпис збігається (порівняння за сталий час) і мітка часу не старша за допуск, тож перехоплений
запит не можна повторити пізніше, а змінене тіло не пройде.

Приклад приймача (aiohttp)::

    body = await request.read()
    if not verify_signature(SECRET, body, request.headers):
        return web.Response(status=401)
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from aione.config.config import (
    NOTIFY_SIGNATURE_HEADER,
    NOTIFY_SIGNATURE_TOLERANCE_SEC,
    NOTIFY_TIMESTAMP_HEADER,
)

SIGNATURE_PREFIX = "sha256="


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` над `"<timestamp>.".encode() + body`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def sign_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Заголовки підпису для тіла `body` на момент `now` (секунди; типово зараз)."""
    ts = int(time.time() if now is None else now)
    return {NOTIFY_TIMESTAMP_HEADER: str(ts), NOTIFY_SIGNATURE_HEADER: compute_signature(secret, ts, body)}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # звичайний dict без нечутливості до регістру
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def verify_signature(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    tolerance_sec: float = NOTIFY_SIGNATURE_TOLERANCE_SEC,
) -> bool:
    """True — тіло підписане цим секретом і мітка часу в межах допуску від `now`."""
    raw_ts, given = _header(headers, NOTIFY_TIMESTAMP_HEADER), _header(headers, NOTIFY_SIGNATURE_HEADER)
    if not raw_ts or not given or not raw_ts.strip().isdigit():
        return False
    ts = int(raw_ts)
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_sec:
        return False
    return hmac.compare_digest(compute_signature(secret, ts, body), given.strip())


__all__ = ["SIGNATURE_PREFIX", "compute_signature", "sign_headers", "verify_signature"]
