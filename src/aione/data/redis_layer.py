"""Redis-шар сховища: запис пачками (pipeline) і читання при холодному старті.

Ключі — з `data/redis_keys.py`: блок барів на символ+таймфрейм (`bar_codec`, TTL з
`INTERVAL_TTL_MAP`), множина-індекс блоків, JSON метаданих символу, JSON `fast_symbols`.
Кожен виклик або вдається цілком, або повертає False/порожній результат і рахує помилку:
виняток Redis ніколи не виходить назовні, щоб конвеєр не зупинявся. Стан з'єднання
(`redis_up`, `redis_errors`) пише в спільний `StoreStats`; перехід up→down і down→up журналюється
один раз. Повтори з затримкою веде викликач (цикл write-behind сховища).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from aione.data import redis_keys
from aione.data.store_stats import StoreStats
from aione.logging_setup import get_logger

logger = get_logger(__name__)

# Скільки ключів в одному pipeline: блок 1m ≈ 60–100 КБ, тож пачка тримається в межах кількох МБ.
PIPELINE_CHUNK = 64


@dataclass(frozen=True, slots=True)
class RedisSnapshot:
    """Усе, що сховище читає з Redis на старті (сирі байти; розбір — справа сховища)."""

    server_id: str
    blocks: dict[tuple[str, str], Any]
    meta: dict[str, Any]
    fast_symbols: Any


class RedisLayer:
    """Тонкий асинхронний адаптер Redis для `UnifiedDataStore`."""

    def __init__(self, url: str, stats: StoreStats, *, timeout: float = 2.0) -> None:
        self.url = url
        self.stats = stats
        # Власних повторів redis-py не вмикаємо: помилка має дійти до шару, а затримку веде цикл.
        self._client = aioredis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )

    # ── Стан з'єднання ──
    def _mark_up(self) -> None:
        if not self.stats.redis_up:
            logger.info("redis_up url=%s", self.url)
        self.stats.redis_up = True

    def _mark_down(self, op: str, exc: BaseException) -> None:
        self.stats.redis_errors += 1
        if self.stats.redis_up or self.stats.redis_errors == 1:
            logger.warning("redis_down op=%s url=%s error=%r; RAM layer keeps working", op, self.url, exc)
        self.stats.redis_up = False

    async def server_id(self) -> str | None:
        """`run_id` сервера (змінюється після перезапуску) або None, якщо Redis недоступний."""
        try:
            info = await self._client.info("server")
        except (RedisError, OSError) as exc:
            self._mark_down("info", exc)
            return None
        self._mark_up()
        return str(info.get("run_id", ""))

    # ── Читання ──
    async def load(self) -> RedisSnapshot | None:
        """Знімок для холодного старту: індекс → MGET блоків → MGET метаданих. None — Redis недоступний."""
        try:
            info = await self._client.info("server")
            raw_members: set[Any] = await self._client.smembers(redis_keys.BARS_INDEX_KEY)
            members = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in raw_members)
            pairs = [tuple(m.rsplit(":", 1)) for m in members if ":" in m]
            blocks: dict[tuple[str, str], Any] = {}
            if pairs:
                values = await self._client.mget([redis_keys.bars_key(s, tf) for s, tf in pairs])
                blocks = {(s, tf): v for (s, tf), v in zip(pairs, values, strict=True) if v is not None}
                gone = [f"{s}:{tf}" for (s, tf), v in zip(pairs, values, strict=True) if v is None]
                if gone:  # блок уже вичерпав TTL: прибираємо його з індексу
                    await self._client.srem(redis_keys.BARS_INDEX_KEY, *gone)
            symbols = sorted({s for s, _ in pairs})
            meta: dict[str, Any] = {}
            if symbols:
                values = await self._client.mget([redis_keys.meta_key(s) for s in symbols])
                meta = {s: v for s, v in zip(symbols, values, strict=True) if v is not None}
            fast = await self._client.get(redis_keys.FAST_SYMBOLS_KEY)
        except (RedisError, OSError) as exc:
            self._mark_down("load", exc)
            return None
        self._mark_up()
        return RedisSnapshot(str(info.get("run_id", "")), blocks, meta, fast)

    # ── Запис ──
    async def write(
        self,
        blocks: Sequence[tuple[str, str, bytes, int]],
        meta: Sequence[tuple[str, bytes, int]] = (),
        fast_symbols: tuple[bytes, int] | None = None,
        index_ttl: int = 0,
    ) -> bool:
        """Пише блоки `(symbol, tf, blob, ttl)`, метадані `(symbol, json, ttl)` і `fast_symbols`
        кількома pipeline без транзакції. True — усе записано; False — помилку пораховано."""
        try:
            for i in range(0, max(len(blocks), 1), PIPELINE_CHUNK):
                chunk = blocks[i : i + PIPELINE_CHUNK]
                pipe = self._client.pipeline(transaction=False)
                for symbol, tf, blob, ttl in chunk:
                    pipe.set(redis_keys.bars_key(symbol, tf), blob, ex=ttl)
                if chunk:
                    pipe.sadd(redis_keys.BARS_INDEX_KEY, *(f"{s}:{tf}" for s, tf, _, _ in chunk))
                    if index_ttl > 0:
                        pipe.expire(redis_keys.BARS_INDEX_KEY, index_ttl)
                if i == 0:
                    for symbol, payload, ttl in meta:
                        pipe.set(redis_keys.meta_key(symbol), payload, ex=ttl)
                    if fast_symbols is not None:
                        pipe.set(redis_keys.FAST_SYMBOLS_KEY, fast_symbols[0], ex=fast_symbols[1])
                if len(pipe) == 0:
                    continue
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._mark_down("write", exc)
            return False
        self._mark_up()
        self.stats.redis_flushes += 1
        return True

    async def delete_bars(self, pairs: Sequence[tuple[str, str]]) -> bool:
        """Видаляє ключі барів `(symbol, tf)` і їхні записи з індексу. True — видалено."""
        if not pairs:
            return True
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.delete(*(redis_keys.bars_key(s, tf) for s, tf in pairs))
            pipe.srem(redis_keys.BARS_INDEX_KEY, *(f"{s}:{tf}" for s, tf in pairs))
            await pipe.execute()
        except (RedisError, OSError) as exc:
            self._mark_down("delete", exc)
            return False
        self._mark_up()
        return True

    async def close(self) -> None:
        """Закриває пул з'єднань (помилки закриття лише журналюються)."""
        try:
            await self._client.aclose()
        except (RedisError, OSError) as exc:
            logger.debug("redis_close_error error=%r", exc)


__all__ = ["PIPELINE_CHUNK", "RedisLayer", "RedisSnapshot"]
