"""Збереження угод Stage3 між перезапусками: Redis, коли він налаштований, інакше JSON на диску.

Формат однаковий для обох: `{"version": 1, "open": [...], "recent": [...]}`, де кожна угода —
`Trade.to_dict()`. orjson відтворює float точно, тож відновлення дає ті самі угоди біт у біт.
Файл пишеться атомарно: тимчасовий файл у тому ж каталозі, fsync, `os.replace`.

Збої сховища не зупиняють конвеєр: недоступний на старті Redis — один рядок і старт без
відновлених угод; збій збереження (`TradeSaver`) — один рядок на початку збою і один після
відновлення з кількістю невдалих спроб, а не traceback на кожне збереження.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

import orjson
from redis.exceptions import RedisError

from aione.data.redis_keys import TRADES_OPEN_KEY, TRADES_RECENT_KEY
from aione.data.ws_worker import make_redis_client
from aione.logging_setup import get_logger, log_ctx
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import Trade

logger = get_logger(__name__)
STORE_FORMAT_VERSION = 1
TRADES_FILE_NAME = "stage3_trades.json"


# ── Інтерфейс ──
class TradeStore(Protocol):
    """Сховище стану угод."""

    async def save(self, open_trades: list[Trade], recent: list[Trade]) -> None: ...

    async def load(self) -> tuple[list[Trade], list[Trade]]: ...


def _dump_list(trades: list[Trade]) -> bytes:
    return orjson.dumps([t.to_dict() for t in trades])


def _parse_list(raw: Any) -> list[Trade]:
    """Список угод з JSON-масиву; пошкоджений запис пропускається з попередженням."""
    trades: list[Trade] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            trades.append(Trade.from_dict(item))
        except (TypeError, ValueError) as exc:
            logger.warning("skip corrupt stored trade: %s", exc, extra=log_ctx("stage3"))
    return trades


# ── Диск ──
class DiskTradeStore:
    """JSON-файл під каталогом даних (типово `<data_dir>/stage3_trades.json`)."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self.path = path / TRADES_FILE_NAME if path.is_dir() or not path.suffix else path

    async def save(self, open_trades: list[Trade], recent: list[Trade]) -> None:
        payload = orjson.dumps(
            {
                "version": STORE_FORMAT_VERSION,
                "open": [t.to_dict() for t in open_trades],
                "recent": [t.to_dict() for t in recent],
            }
        )
        await asyncio.to_thread(self._write_atomic, payload)

    def _write_atomic(self, payload: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def load(self) -> tuple[list[Trade], list[Trade]]:
        if not self.path.exists():
            return [], []
        raw = await asyncio.to_thread(self.path.read_bytes)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            logger.error(
                "trade store file is corrupt, starting empty: %s", self.path, extra=log_ctx("stage3")
            )
            return [], []
        if not isinstance(data, dict):
            return [], []
        return _parse_list(data.get("open")), _parse_list(data.get("recent"))


# ── Redis ──
class RedisTradeStore:
    """Два ключі (`TRADES_OPEN_KEY`, `TRADES_RECENT_KEY`), записані однією транзакцією."""

    def __init__(self, redis_url: str | None = None, *, client: Any = None) -> None:
        if client is None:
            if redis_url is None:
                raise ValueError("RedisTradeStore needs redis_url or client")
            client = make_redis_client(redis_url)
        self.client = client

    async def save(self, open_trades: list[Trade], recent: list[Trade]) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(TRADES_OPEN_KEY, _dump_list(open_trades))
            pipe.set(TRADES_RECENT_KEY, _dump_list(recent))
            await pipe.execute()

    async def load(self) -> tuple[list[Trade], list[Trade]]:
        try:
            raw_open, raw_recent = await self.client.mget(TRADES_OPEN_KEY, TRADES_RECENT_KEY)
        except (RedisError, OSError) as exc:
            logger.warning(
                "trade store unavailable (%s); starting without restored trades",
                type(exc).__name__,
                extra=log_ctx("stage3"),
            )
            return [], []
        result: list[list[Trade]] = []
        for raw in (raw_open, raw_recent):
            try:
                result.append(_parse_list(orjson.loads(raw)) if raw else [])
            except orjson.JSONDecodeError:
                logger.error("stored trades in Redis are corrupt, ignoring", extra=log_ctx("stage3"))
                result.append([])
        return result[0], result[1]

    async def aclose(self) -> None:
        await self.client.aclose()


# ── Зручності ──
def make_trade_store(redis_url: str | None, data_dir: str | Path) -> TradeStore:
    """Redis, коли URL задано, інакше файл під `data_dir`."""
    if redis_url:
        return RedisTradeStore(redis_url)
    return DiskTradeStore(Path(data_dir) / TRADES_FILE_NAME)


async def save_manager(store: TradeStore, manager: TradeManager) -> None:
    """Зберігає активні (очікуючі й відкриті) та недавні угоди менеджера."""
    await store.save(manager.active_trades(), manager.recent_trades())


class TradeSaver:
    """Збереження угод з журналом збоїв: один рядок на початку збою, один — після відновлення.

    Під час збою спроби не частіші за `retry_sec` (кожна невдала рахується в `failures`)."""

    def __init__(self, store: TradeStore, *, retry_sec: float = 1.0) -> None:
        self.store = store
        self.retry_sec = retry_sec
        self.failures = 0  # невдалих спроб у поточному збої
        self.failures_total = 0
        self.outages = 0
        self._last_failure = -float("inf")

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def may_try(self, now: float | None = None) -> bool:
        """Чи можна пробувати зараз (під час збою — не частіше за `retry_sec`)."""
        moment = time.monotonic() if now is None else now
        return not self.failing or moment - self._last_failure >= self.retry_sec

    async def save(self, manager: TradeManager) -> bool:
        """True — збережено; False — збій (пораховано, журнал — раз на збій)."""
        try:
            await save_manager(self.store, manager)
        except (RedisError, OSError, TypeError, ValueError) as exc:  # збій сховища: рахуємо й повторимо
            self._last_failure = time.monotonic()
            self.failures += 1
            self.failures_total += 1
            if self.failures == 1:
                self.outages += 1
                logger.warning(
                    "trade store save failed (%s: %s); retrying, logged once per outage",
                    type(exc).__name__,
                    exc,
                    extra=log_ctx("stage3"),
                )
            return False
        if self.failures:
            logger.warning(
                "trade store save recovered after %d failed attempts", self.failures, extra=log_ctx("stage3")
            )
            self.failures = 0
        return True


AHEAD_TOLERANCE_MS = 60_000  # розбіжність годинників, яку ще не вважаємо угодою «з майбутнього»


async def restore_manager(store: TradeStore, manager: TradeManager, now_ms: int | None = None) -> int:
    """Відновлює менеджер зі сховища; повертає кількість активних угод.

    З `now_ms` (годинник стрічки) угоди, рішення яких пізніше за нього (збережені іншим запуском з
    пізнішим часом, як другий запуск демо), не відновлюються: вони ніколи не отримали б ціни."""
    active, recent = await store.load()
    if now_ms is not None:
        limit = now_ms + AHEAD_TOLERANCE_MS
        ahead = [t for t in (*active, *recent) if t.decision_ts > limit]
        if ahead:
            logger.warning(
                "%d stored trades are from a later time than the feed clock; not restored",
                len(ahead),
                extra=log_ctx("stage3"),
            )
            active = [t for t in active if t.decision_ts <= limit]
            recent = [t for t in recent if t.decision_ts <= limit]
    manager.restore(active, recent)
    return len(active)


__all__ = [
    "DiskTradeStore",
    "RedisTradeStore",
    "STORE_FORMAT_VERSION",
    "TRADES_FILE_NAME",
    "TradeSaver",
    "TradeStore",
    "make_trade_store",
    "restore_manager",
    "save_manager",
]
