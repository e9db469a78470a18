"""`UnifiedDataStore`: RAM-шар (`RamStore`) + write-behind у Redis і на диск, завантаження на старті.

Без `redis_url` і `data_dir` — чисто RAM (вбудований режим), `start`/`close` майже нічого не коштують.

Write-behind. Кожне кільце має лічильник версії; шари пам'ятають, яку версію вже записали.
Фонова задача раз на `flush_interval` с пише в Redis змінені блоки (один SET на символ+таймфрейм
із TTL з `INTERVAL_TTL_MAP`, пачками в pipeline), на диск — раз на `disk_flush_interval` с
(parquet, атомарно, у потоці). Гарячий шлях `apply` лише збільшує ціле число.

Збій Redis не зупиняє конвеєр: RAM працює далі, `stats.redis_up=False`, `stats.redis_errors` росте,
`stats.redis_pending` показує, скільки ключів чекає; повтор — з експоненційною затримкою
(від `min(0.5, flush_interval)` до `redis_retry_max` с). Перед кожним записом звіряється `run_id`
сервера: якщо Redis перезапустився (і втратив дані), усе переписується наново (`redis_resyncs`).

Старт: спершу диск, потім Redis (об'єднання за часом бару: те, чого бракує, додається), далі —
фонова задача. `close()` зупиняє задачу й робить останнє скидання на диск і в Redis.

Кеш «з майбутнього»: якщо `start(now_ms=…)` отримав годинник стрічки, а збережений закритий бар
символу закривається пізніше за `now_ms + STORE_AHEAD_TOLERANCE_MS` (наприклад, другий запуск демо
з тим самим Redis: віртуальний годинник почав з початку запису), такий кеш відкинув би кожен новий
бар як застарілий. Усі кільця таких символів скидаються в RAM і видаляються з Redis, про це — один
рядок журналу; далі символ наповнюється з біржі, як уперше (`stats.ahead_dropped` — скільки кілець).

Повтор після збою Redis — з експоненційною затримкою, але не довшою за `redis_retry_max`
(типово `REDIS_RETRY_MAX_SEC`): перевірка `run_id` коштує один INFO, тож після перезапуску
порожнього Redis ключі барів повертаються за секунди, а не після 30 с очікування.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
from pydantic import ValidationError

from aione.config.config import (
    FAST_SYMBOLS_TTL_MANUAL,
    INTERVAL_TTL_MAP,
    REDIS_CACHE_TTL,
    TIMEFRAME_MS,
    SymbolInfo,
)
from aione.data import disk_layer
from aione.data.bar_codec import BarBlockError, decode_bars, encode_bars
from aione.data.bars import BarArrays
from aione.data.ram_store import RamStore, RingKey, columns_to_arrays
from aione.data.redis_layer import RedisLayer, RedisSnapshot
from aione.logging_setup import get_logger

logger = get_logger(__name__)

_INDEX_TTL = max(INTERVAL_TTL_MAP.values())
STORE_AHEAD_TOLERANCE_MS = 60_000  # розбіжність годинників, яку ще не вважаємо кешем «з майбутнього»
REDIS_RETRY_MAX_SEC = 2.0  # найдовша пауза між спробами під час збою Redis
# Ключ `fast_symbols` живе стільки, скільки найдовший запис (ручний); строки записів — усередині JSON.
_FAST_KEY_TTL = FAST_SYMBOLS_TTL_MANUAL


def bars_ttl(timeframe: str, capacity: int) -> int:
    """TTL блоку барів у Redis: `INTERVAL_TTL_MAP`, а для таймфрейму без запису — час усього вікна."""
    ttl = INTERVAL_TTL_MAP.get(timeframe)
    return int(ttl) if ttl else max(60, capacity * TIMEFRAME_MS[timeframe] // 1000)


def _copy(arrays: BarArrays) -> BarArrays:
    return columns_to_arrays(np.array(col, copy=True) for col in arrays)


class UnifiedDataStore(RamStore):
    """Сховище барів і метаданих: RAM ⇄ Redis ⇄ диск (див. опис модуля)."""

    def __init__(
        self,
        *,
        redis_url: str | None = None,
        data_dir: str | Path | None = None,
        capacity: Mapping[str, int] | None = None,
        flush_interval: float = 5.0,
        disk_flush_interval: float | None = None,
        redis_retry_max: float = REDIS_RETRY_MAX_SEC,
    ) -> None:
        super().__init__(capacity=capacity)
        self.redis_url = redis_url
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.flush_interval = flush_interval
        # Диск — рідше за Redis: parquet дорожчий, а втрата кількох хвилин на диску покривається Redis/REST.
        self.disk_flush_interval = (
            disk_flush_interval if disk_flush_interval is not None else 6 * flush_interval
        )
        self.redis_retry_max = redis_retry_max
        self._redis: RedisLayer | None = None
        self._redis_server_id: str | None = None
        self._redis_ver: dict[RingKey, int] = {}
        self._disk_ver: dict[RingKey, int] = {}
        self._fast_redis_ver = -1
        self._fast_disk_ver = -1
        self._redis_lock = asyncio.Lock()
        self._disk_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self.ahead_dropped: list[str] = []  # символи, чий кеш був новішим за годинник стрічки

    # ── Життєвий цикл ──
    async def start(self, now_ms: int | None = None) -> None:
        """Завантажує диск, потім Redis; кеш, новіший за `now_ms` (годинник стрічки), відкидає;
        запускає фонове скидання (якщо є куди скидати)."""
        if self._started:
            return
        self._started = True
        if self.data_dir is not None:
            await self._load_disk(self.data_dir)
        if self.redis_url:
            self._redis = RedisLayer(self.redis_url, self.stats)
            snapshot = await self._redis.load()
            if snapshot is None:
                logger.warning(
                    "redis_unavailable_at_start url=%s; starting from disk/RAM only", self.redis_url
                )
            else:
                self._apply_redis_snapshot(snapshot)
        if now_ms is not None:
            await self._drop_ahead(now_ms)
        self._update_pending()
        if self._redis is not None or self.data_dir is not None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="store_write_behind")
            self._task.add_done_callback(self._on_task_done)

    async def flush(self) -> bool:
        """Скидає змінене зараз (Redis і диск). True — усе, що налаштовано, записано."""
        ok = True
        if self._redis is not None:
            ok = await self._flush_redis() and ok
        if self.data_dir is not None:
            ok = await self._flush_disk() and ok
        return ok

    async def close(self) -> None:
        """Зупиняє фонову задачу, робить останнє скидання, закриває з'єднання."""
        if not self._started:
            return
        self._stop.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()
        if self._redis is not None:
            await self._redis.close()
            self._redis = None
        self._started = False

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("store_write_behind_failed error=%r", task.exception(), exc_info=task.exception())

    async def _run(self) -> None:
        """Цикл write-behind: Redis кожні `flush_interval` с (при збої — з затримкою), диск — рідше."""
        loop = asyncio.get_running_loop()
        initial = min(0.5, self.flush_interval)
        backoff = initial
        next_redis = loop.time() + self.flush_interval
        next_disk = loop.time() + self.disk_flush_interval
        while not self._stop.is_set():
            deadlines = []
            if self._redis is not None:
                deadlines.append(next_redis)
            if self.data_dir is not None:
                deadlines.append(next_disk)
            delay = max(0.0, min(deadlines) - loop.time())
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
                return
            except TimeoutError:
                pass
            now = loop.time()
            try:
                if self._redis is not None and now >= next_redis:
                    if await self._flush_redis():
                        backoff = initial
                        next_redis = loop.time() + self.flush_interval
                    else:
                        next_redis = loop.time() + backoff
                        backoff = min(backoff * 2, self.redis_retry_max)
                if self.data_dir is not None and now >= next_disk:
                    await self._flush_disk()
                    next_disk = loop.time() + self.disk_flush_interval
            except Exception:
                # Непередбачена помилка одного проходу не має зупиняти write-behind: журнал і наступний прохід.
                logger.exception("store_write_behind_iteration_failed")
                next_redis = max(next_redis, loop.time() + backoff)
                next_disk = max(next_disk, loop.time() + self.disk_flush_interval)

    # ── Кеш «з майбутнього» ──
    def rings_ahead(self, now_ms: int, tolerance_ms: int = STORE_AHEAD_TOLERANCE_MS) -> list[RingKey]:
        """Кільця, чий останній закритий бар закривається пізніше за `now_ms + tolerance_ms`."""
        ahead = []
        for (symbol, timeframe), ring in self._rings.items():
            last = ring.last_time
            if last is not None and last + TIMEFRAME_MS.get(timeframe, 0) > now_ms + tolerance_ms:
                ahead.append((symbol, timeframe))
        return ahead

    async def _drop_ahead(self, now_ms: int) -> None:
        """Скидає всі кільця символів із кешем «з майбутнього» (RAM і Redis); один рядок журналу."""
        ahead = self.rings_ahead(now_ms)
        if not ahead:
            return
        symbols = sorted({s for s, _ in ahead})
        latest = max(self._rings[k].last_time or 0 for k in ahead)
        keys = [k for k in self._rings if k[0] in symbols]
        for key in keys:
            del self._rings[key]
            self._redis_ver.pop(key, None)
            self._disk_ver.pop(key, None)
        self.stats.ahead_dropped += len(keys)
        self.ahead_dropped = symbols
        if self._redis is not None:
            await self._redis.delete_bars(keys)
        logger.warning(
            "bar cache is %.1f h ahead of the feed clock for %d symbols (%s); dropped it and starting clean",
            (latest - now_ms) / 3_600_000,
            len(symbols),
            ", ".join(symbols[:8]) + (", …" if len(symbols) > 8 else ""),
        )

    # ── Redis ──
    def _apply_redis_snapshot(self, snapshot: RedisSnapshot) -> None:
        """Додає з Redis те, чого бракує; кільця, які Redis покриває повністю, позначає записаними."""
        self._redis_server_id = snapshot.server_id
        for (symbol, timeframe), blob in snapshot.blocks.items():
            if timeframe not in TIMEFRAME_MS:
                continue
            try:
                arrays = decode_bars(blob)
            except BarBlockError as exc:
                self.stats.redis_bad_blocks += 1
                logger.warning("redis_bad_block symbol=%s timeframe=%s error=%s", symbol, timeframe, exc)
                continue
            self.put_bars(symbol, timeframe, arrays)
            ring = self._rings.get((symbol, timeframe))
            if ring is not None and len(arrays) and len(ring) == len(arrays):
                view = ring.view()
                if view.open_time[0] == arrays.open_time[0] and view.open_time[-1] == arrays.open_time[-1]:
                    self._redis_ver[(symbol, timeframe)] = ring.version
        for symbol, payload in snapshot.meta.items():
            try:
                info = SymbolInfo.model_validate_json(payload)
            except ValidationError as exc:
                logger.warning("redis_bad_meta symbol=%s error=%s", symbol, exc)
                continue
            if self._info.get(symbol) != info:
                self._info[symbol] = info
                self._meta_disk_dirty = True
            self._meta_redis_dirty.discard(symbol)
        if snapshot.fast_symbols is not None:
            try:
                self._fast.load_dict(orjson.loads(snapshot.fast_symbols))
                self._fast_redis_ver = self._fast.version
            except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
                logger.warning("redis_bad_fast_symbols error=%r", exc)

    def _dirty_redis(self) -> list[RingKey]:
        return [k for k, r in self._rings.items() if len(r) and self._redis_ver.get(k) != r.version]

    def _update_pending(self) -> None:
        if self._redis is None:
            self.stats.redis_pending = 0
            return
        fast = int(self._fast.version != self._fast_redis_ver)
        self.stats.redis_pending = len(self._dirty_redis()) + len(self._meta_redis_dirty) + fast

    async def _flush_redis(self) -> bool:
        layer = self._redis
        if layer is None:
            return True
        async with self._redis_lock:
            try:
                server_id = await layer.server_id()
                if server_id is None:
                    return False
                if server_id != self._redis_server_id:
                    if self._redis_server_id is not None:
                        self.stats.redis_resyncs += 1
                        logger.warning("redis_restarted url=%s; rewriting everything from RAM", layer.url)
                    self._redis_server_id = server_id
                    self._redis_ver.clear()
                    self._meta_redis_dirty.update(self._info)
                    self._fast_redis_ver = -1
                keys = self._dirty_redis()
                versions = {k: self._rings[k].version for k in keys}
                blocks = [
                    (
                        s,
                        tf,
                        encode_bars(self._rings[(s, tf)].view()),
                        bars_ttl(tf, self._rings[(s, tf)].capacity),
                    )
                    for s, tf in keys
                ]
                meta_syms = sorted(s for s in self._meta_redis_dirty if s in self._info)
                meta = [(s, self._info[s].model_dump_json().encode(), REDIS_CACHE_TTL) for s in meta_syms]
                fast_ver = self._fast.version
                fast = None
                if fast_ver != self._fast_redis_ver:
                    fast = (orjson.dumps(self._fast.to_dict()), _FAST_KEY_TTL)
                if not blocks and not meta and fast is None:
                    return True
                if not await layer.write(blocks, meta, fast, _INDEX_TTL):
                    return False
                self._redis_ver.update(versions)
                self._meta_redis_dirty.difference_update(meta_syms)
                self._fast_redis_ver = fast_ver
                return True
            finally:
                self._update_pending()

    # ── Диск ──
    async def _load_disk(self, data_dir: Path) -> None:
        removed = await asyncio.to_thread(disk_layer.remove_stale_temps, data_dir)
        if removed:
            logger.warning("disk_stale_temps_removed count=%d dir=%s", removed, data_dir)
        loaded, errors = await asyncio.to_thread(disk_layer.load_bar_files, data_dir)
        self.stats.disk_errors += errors
        for symbol, timeframe, arrays in loaded:
            self.put_bars(symbol, timeframe, arrays)
            ring = self._rings.get((symbol, timeframe))
            if ring is not None:
                self._disk_ver[(symbol, timeframe)] = ring.version
        meta = await asyncio.to_thread(disk_layer.read_json, disk_layer.meta_path(data_dir))
        if isinstance(meta, dict):
            self._load_meta_dict(meta)
        logger.info("disk_loaded files=%d errors=%d dir=%s", len(loaded), errors, data_dir)

    def _load_meta_dict(self, meta: dict[str, Any]) -> None:
        for raw in meta.get("symbols", []):
            try:
                info = SymbolInfo.model_validate(raw)
            except ValidationError as exc:
                logger.warning("disk_bad_meta error=%s", exc)
                continue
            self._info[info.symbol] = info
            self._meta_redis_dirty.add(info.symbol)
        fast = meta.get("fast_symbols")
        if isinstance(fast, dict):
            self._fast.load_dict(fast)
            self._fast_disk_ver = self._fast.version

    async def _flush_disk(self) -> bool:
        data_dir = self.data_dir
        if data_dir is None:
            return True
        async with self._disk_lock:
            # Копії робляться тут, у циклі подій: потік пише знімок, поки `apply` міняє кільця.
            jobs = [
                (k, r.version, disk_layer.bars_path(data_dir, k[0], k[1]), _copy(r.view()))
                for k, r in self._rings.items()
                if len(r) and self._disk_ver.get(k) != r.version
            ]
            fast_ver = self._fast.version
            meta_payload = None
            if self._meta_disk_dirty or fast_ver != self._fast_disk_ver:
                meta_payload = {
                    "symbols": [i.model_dump() for _, i in sorted(self._info.items())],
                    "fast_symbols": self._fast.to_dict(),
                }
                self._meta_disk_dirty = False
            if not jobs and meta_payload is None:
                return True
            started = time.perf_counter()
            done, failed = await asyncio.to_thread(self._write_disk, data_dir, jobs, meta_payload)
            for key, version in done:
                self._disk_ver[key] = version
            if meta_payload is not None:
                if failed:
                    self._meta_disk_dirty = True
                else:
                    self._fast_disk_ver = fast_ver
            self.stats.disk_errors += failed
            if failed:
                return False
            self.stats.disk_flushes += 1
            self.stats.last_flush_ms = int(time.time() * 1000)
            self.stats.last_flush_duration_ms = (time.perf_counter() - started) * 1000.0
            return True

    @staticmethod
    def _write_disk(
        data_dir: Path,
        jobs: list[tuple[RingKey, int, Path, BarArrays]],
        meta_payload: dict[str, Any] | None,
    ) -> tuple[list[tuple[RingKey, int]], int]:
        """Виконується в потоці: пише файли по одному; збій одного не зупиняє решту."""
        done: list[tuple[RingKey, int]] = []
        failed = 0
        for key, version, path, arrays in jobs:
            try:
                disk_layer.write_bars_atomic(path, arrays)
                done.append((key, version))
            except (OSError, pa.ArrowException) as exc:
                failed += 1
                logger.warning("disk_write_failed path=%s error=%r", path, exc)
        if meta_payload is not None:
            try:
                disk_layer.write_json_atomic(disk_layer.meta_path(data_dir), meta_payload)
            except OSError as exc:
                failed += 1
                logger.warning("disk_meta_write_failed dir=%s error=%r", data_dir, exc)
        return done, failed


__all__ = ["UnifiedDataStore", "bars_ttl"]
