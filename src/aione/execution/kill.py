"""Kill switch: файл-прапорець у каталозі даних і (за наявності) ключ Redis.

Поки прапорець стоїть, брокер не надсилає нових заявок входу; встановлення прапорця змушує
брокер скасувати всі відкриті заявки (і закрити позиції, якщо так налаштовано). Прапорець
знімає лише людина: `aione kill --clear`. Недоступний Redis означає «невідомо» — нові входи
блокуються (безпечніше не торгувати, ніж торгувати всупереч вимиканню).
"""

from __future__ import annotations

import time
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from aione.config.config import EXECUTION_KILL_FILENAME, EXECUTION_KILL_REDIS_KEY
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)


class KillSwitch:
    """Прапорець вимикання (файл + Redis)."""

    def __init__(
        self, data_dir: Path, redis_url: str | None = None, *, key: str = EXECUTION_KILL_REDIS_KEY
    ) -> None:
        self.path = Path(data_dir) / EXECUTION_KILL_FILENAME
        self.key = key
        self._redis_url = redis_url
        self._redis: aioredis.Redis | None = None
        self._redis_down_logged = False

    def _client(self) -> aioredis.Redis | None:
        if self._redis_url and self._redis is None:
            self._redis = aioredis.from_url(self._redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return self._redis

    async def is_set(self) -> bool:
        if self.path.exists():
            return True
        client = self._client()
        if client is None:
            return False
        try:
            value = await client.get(self.key)
        except (RedisError, OSError) as exc:
            if not self._redis_down_logged:
                self._redis_down_logged = True
                logger.error(
                    "kill flag unreadable in Redis (%s): new orders blocked",
                    type(exc).__name__,
                    extra=log_ctx("exec"),
                )
            return True
        self._redis_down_logged = False
        return value is not None

    async def set(self, reason: str = "manual") -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{int(time.time())} {reason}\n", encoding="utf-8")
        client = self._client()
        if client is not None:
            try:
                await client.set(self.key, reason)
            except (RedisError, OSError) as exc:
                logger.error(
                    "kill flag not written to Redis (%s); the file flag is set",
                    type(exc).__name__,
                    extra=log_ctx("exec"),
                )

    async def clear(self) -> None:
        self.path.unlink(missing_ok=True)
        client = self._client()
        if client is not None:
            await client.delete(self.key)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


__all__ = ["KillSwitch"]
