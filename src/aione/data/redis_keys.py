"""Усі ключі й канали Redis AiOne в одному місці — як шаблони (простір імен `ai_one`).

Схема (документована також у README):
- `ai_one:bars:{symbol}:{tf}` — бари символу й таймфрейму (рядок байтів: стиснуті numpy-колонки),
  TTL з `INTERVAL_TTL_MAP`;
- `ai_one:bars:index` — множина `{symbol}:{tf}` усіх записаних ключів барів (для холодного старту
  одним SMEMBERS + MGET замість SCAN), TTL — найдовший з `INTERVAL_TTL_MAP`;
- `ai_one:meta:{symbol}` — метадані символу (JSON `SymbolInfo`), TTL `REDIS_CACHE_TTL`;
- `ai_one:fast_symbols` — поточний список `fast_symbols` (JSON), TTL за джерелом;
- `ai_one:deriv:{kind}:{symbol}` — ряд `DerivStore` (`book`, `oi`, `mark`, `liq`): sorted set,
  член — lz4-блок рядків одного проміжку (книга — хвилина, решта — година), score — початок
  проміжку (мс); обрізаний до вікна ряду в RAM (`data/deriv_redis.py`);
- `ai_one:deriv:index` — множина `{symbol}:{kind}` записаних рядів (холодний старт без SCAN);
- `ai_one:trades:open`, `ai_one:trades:recent` — стан угод Stage3;
- `asset_signals` — Redis Stream сигналів і подій угод (XADD MAXLEN ~; споживач читає з останнього id);
- `ai_one:notify:outbox:{channel}` — недоставлені сповіщення каналу (хеш id → JSON);
- канал `asset_state_update` і ключ `asset_state_snapshot` — публікація стану (seed-імена без
  простору імен, бо їх читають зовнішні споживачі).
"""

from __future__ import annotations

from aione.config.config import (
    NOTIFY_STREAM_KEY,
    REDIS_CHANNEL_ASSET_STATE,
    REDIS_NAMESPACE,
    REDIS_SNAPSHOT_KEY,
)

# ── Шаблони ──
BARS_KEY = REDIS_NAMESPACE + ":bars:{symbol}:{timeframe}"
BARS_INDEX_KEY = REDIS_NAMESPACE + ":bars:index"  # UnifiedDataStore: перелік ключів барів для старту
META_KEY = REDIS_NAMESPACE + ":meta:{symbol}"
FAST_SYMBOLS_KEY = REDIS_NAMESPACE + ":fast_symbols"
DERIV_KEY = REDIS_NAMESPACE + ":deriv:{kind}:{symbol}"
DERIV_INDEX_KEY = REDIS_NAMESPACE + ":deriv:index"  # DerivRedis: перелік рядів для старту
TRADES_OPEN_KEY = REDIS_NAMESPACE + ":trades:open"
TRADES_RECENT_KEY = REDIS_NAMESPACE + ":trades:recent"
STATE_CHANNEL = REDIS_CHANNEL_ASSET_STATE
STATE_SNAPSHOT_KEY = REDIS_SNAPSHOT_KEY
OPTUNA_JOURNAL_KEY = REDIS_NAMESPACE + ":optuna:journal"
SIGNAL_STREAM_KEY = NOTIFY_STREAM_KEY  # без простору імен: його читають зовнішні програми
NOTIFY_OUTBOX_KEY = REDIS_NAMESPACE + ":notify:outbox:{channel}"


def bars_key(symbol: str, timeframe: str) -> str:
    """Ключ барів символу й таймфрейму."""
    return BARS_KEY.format(symbol=symbol, timeframe=timeframe)


def meta_key(symbol: str) -> str:
    """Ключ метаданих символу."""
    return META_KEY.format(symbol=symbol)


def deriv_key(symbol: str, kind: str) -> str:
    """Ключ деривативного ряду `kind` символу."""
    return DERIV_KEY.format(kind=kind, symbol=symbol)


__all__ = [
    "BARS_INDEX_KEY",
    "BARS_KEY",
    "DERIV_INDEX_KEY",
    "DERIV_KEY",
    "FAST_SYMBOLS_KEY",
    "META_KEY",
    "NOTIFY_OUTBOX_KEY",
    "OPTUNA_JOURNAL_KEY",
    "SIGNAL_STREAM_KEY",
    "STATE_CHANNEL",
    "STATE_SNAPSHOT_KEY",
    "TRADES_OPEN_KEY",
    "TRADES_RECENT_KEY",
    "bars_key",
    "deriv_key",
    "meta_key",
]
