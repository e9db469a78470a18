"""Чисті будівники відповідей API лише для читання: угоди з кадру й розбір параметрів запиту.

Помилка параметра — `ValueError` з одним рядком англійською; обробник віддає його як 400
`{"error": "..."}`. Жодного I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SIGNALS_DEFAULT_LIMIT = 100
SIGNALS_MAX_LIMIT = 1_000
_SYMBOL_RE = re.compile(r"^[A-Z0-9_]{2,30}$")


# ── Параметри ──
def parse_limit(
    text: str | None, default: int = SIGNALS_DEFAULT_LIMIT, maximum: int = SIGNALS_MAX_LIMIT
) -> int:
    """`limit` у межах 1..maximum; відсутній — `default`."""
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"limit must be an integer within 1..{maximum}") from None
    if not 1 <= value <= maximum:
        raise ValueError(f"limit must be an integer within 1..{maximum}")
    return value


def parse_symbol(text: str | None) -> str | None:
    """Необов'язковий фільтр `symbol` (великими літерами, як `BTCUSDT`)."""
    if text is None:
        return None
    symbol = text.strip().upper()
    if not _SYMBOL_RE.match(symbol):
        raise ValueError("symbol must be like BTCUSDT (2..30 letters, digits or _)")
    return symbol


# ── Угоди ──
def _trades(value: Any, symbol: str | None) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [
        dict(t) for t in value if isinstance(t, Mapping) and (symbol is None or t.get("symbol") == symbol)
    ]


def trades_page(frame: Mapping[str, Any], symbol: str | None = None) -> dict[str, Any]:
    """Активні й недавно закриті паперові угоди з кадру стану (`trades.open`, `trades.recent`)."""
    trades = frame.get("trades")
    trades = trades if isinstance(trades, Mapping) else {}
    return {
        "seq": frame.get("seq"),
        "ts": frame.get("ts"),
        "open": _trades(trades.get("open"), symbol),
        "recent": _trades(trades.get("recent"), symbol),
    }


__all__ = [
    "SIGNALS_DEFAULT_LIMIT",
    "SIGNALS_MAX_LIMIT",
    "parse_limit",
    "parse_symbol",
    "trades_page",
]
