"""Підпис запитів Binance: HMAC-SHA256 над рядком запиту; числа — без експоненти.

Чисті функції. Секрет приходить як `SecretStr` і розкривається лише тут, у виклику `hmac`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import urlencode

from pydantic import SecretStr


def format_number(value: float | int | Decimal) -> str:
    """Число для параметра Binance: `0.001`, `101.5`, ніколи `1e-05`."""
    if isinstance(value, bool):
        raise TypeError("bool is not a number parameter")
    if isinstance(value, int):
        return str(value)
    dec = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    text = format(dec.normalize(), "f")
    return text


def _param(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return format_number(value)
    return str(value)


def encode_params(params: Mapping[str, object]) -> str:
    """Рядок запиту в порядку ключів словника; None пропускаються."""
    return urlencode([(k, _param(v)) for k, v in params.items() if v is not None])


def sign(query: str, secret: SecretStr) -> str:
    """HMAC-SHA256 (hex) рядка запиту."""
    key = secret.get_secret_value().encode("utf-8")
    return hmac.new(key, query.encode("utf-8"), hashlib.sha256).hexdigest()


def signed_query(params: Mapping[str, object], secret: SecretStr) -> str:
    """`<params>&signature=<hex>`."""
    query = encode_params(params)
    return f"{query}&signature={sign(query, secret)}"


def verify(query: str, secret: SecretStr) -> bool:
    """Перевіряє підпис у рядку запиту (для симулятора): підпис — останній параметр."""
    body, sep, signature = query.rpartition("&signature=")
    if not sep:
        return False
    return hmac.compare_digest(sign(body, secret), signature)


__all__ = ["encode_params", "format_number", "sign", "signed_query", "verify"]
