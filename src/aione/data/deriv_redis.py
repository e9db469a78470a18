"""Redis-шар `DerivStore`: write-behind рядів OI, марк-ціни/фінансування, ліквідацій і метрик книги,
відновлення RAM на старті (Redis, потім parquet).

Що пишеться. Усі чотири ряди сховища (`SERIES_KINDS`), кожен у свій sorted set
`ai_one:deriv:{kind}:{symbol}` (score — час рядка в мс, член — JSON `[ts, значення…]`, NaN → null).
Ряд книги — це метрики знімка (середина, спред, глибина ±смуги, дисбаланс) раз на `book_bucket_ms`
(~50 байт на рядок, 900 рядків на символ); самі рівні книги (до 2×`book_levels` пар) не пишуться:
після перезапуску знімок старший за `book_stale_ms` (5 с) і все одно був би `stale`, а важив би
кілобайти на кожне оновлення 100 мс. Множина `ai_one:deriv:index` (`{symbol}:{kind}`) дає холодний
старт без SCAN.

Обмеження. Після кожного запису ряд обрізається до ємності кільця в RAM (`ZREMRANGEBYRANK`),
ліквідації — ще й до вікна `liq_window_ms` від найновішої; TTL ключа — горизонт ряду
(`series_horizon_ms`), тож ряд символу, який більше не дивимося, зникає сам.

Запис (раз на `flush_interval` с): для кожного ряду — рядки з часом ≥ останнього записаного
(останній рядок кошика міг замінитися в RAM): `ZREMRANGEBYSCORE` від початку його кошика до +inf і
`ZADD` усіх цих рядків — хвіст у Redis дорівнює хвосту в RAM, повтор ідемпотентний. Незмінений ряд
не пишеться. Перед записом звіряється `run_id` сервера: після перезапуску Redis (дані втрачено) усе
переписується (`stats.resyncs`).

Перевірка на вході в обидва боки: у Redis потрапляють лише рядки, прийняті сховищем (перевірені
`apply_*`); з Redis — член, що не розбирається як рядок виду, рахується в `stats.corrupt`, видаляється
й пропускається; значення перевіряє `DerivStore.restore_series` (`<вид>.bad_value` у `store.stats`).

Збій Redis: виняток ніколи не виходить назовні, RAM працює далі; перший збій кожного простою —
один рядок журналу `deriv_redis_down` (далі лише `stats.redis_errors`), відновлення — `deriv_redis_up`.
Повтор — з експоненційною затримкою до `retry_max` с; незаписане лишається в RAM і йде наступним разом.

Старт (`start`): спершу Redis, далі для рядів, яких Redis не дав, — parquet з `disk_dir` (розкладка
`deriv_disk`, як пише `aione record`). Рядки старші за горизонт ряду відкидаються; ряд, що сягає
далі за `now_ms + AHEAD_TOLERANCE_MS` (кеш іншого прогону демо з віртуальним годинником), видаляється
з Redis одним рядком журналу — інакше кожна жива точка була б `out_of_order`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from aione.data import redis_keys
from aione.data.deriv_disk import read_series_days
from aione.data.deriv_loader import recorded_symbols
from aione.data.deriv_store import SERIES_COLUMNS, SERIES_KINDS, DerivStore, DerivWindows
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)

# ── Налаштування ──
OI_STEP_MS = 60_000  # крок опитування OI: горизонт ряду OI — `oi_points` таких кроків
AHEAD_TOLERANCE_MS = 60_000  # розбіжність годинників, яку ще не вважаємо кешем «з майбутнього»
PIPELINE_CHUNK = 64  # рядів в одному pipeline
REDIS_RETRY_MAX_SEC = 2.0
_CTX = log_ctx("deriv_redis")
Columns = dict[str, npt.NDArray[np.generic]]


def series_horizon_ms(windows: DerivWindows, kind: str) -> int:
    """Скільки часу покриває ряд `kind` у RAM: старші рядки на старті не відновлюються, TTL ключа."""
    if kind == "book":
        return windows.book_points * windows.book_bucket_ms
    if kind == "mark":
        return windows.mark_points * windows.mark_bucket_ms
    if kind == "oi":
        return windows.oi_points * OI_STEP_MS
    return windows.liq_window_ms


def series_ttl_sec(windows: DerivWindows, kind: str) -> int:
    """TTL ключа ряду в Redis (с): горизонт ряду, не менше хвилини."""
    return max(60, series_horizon_ms(windows, kind) // 1000)


# ── Кодек рядка (чисті функції) ──
def encode_row(ts: int, values: Iterable[float]) -> bytes:
    """Рядок ряду → член sorted set: JSON `[ts, v1, …]`, NaN → null."""
    return orjson.dumps([ts, *(None if math.isnan(v) else v for v in values)])


def decode_row(raw: Any, n_values: int) -> tuple[int, list[float]] | None:
    """Член sorted set → (ts, значення) або None, якщо це не рядок ряду з `n_values` значеннями."""
    try:
        obj = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError):
        return None
    if not isinstance(obj, list) or len(obj) != n_values + 1:
        return None
    ts = obj[0]
    if type(ts) is not int or ts <= 0:
        return None
    values: list[float] = []
    for v in obj[1:]:
        if v is None:
            values.append(math.nan)
        elif type(v) in (int, float):
            values.append(float(v))
        else:
            return None
    return ts, values


def decode_series(members: Sequence[Any], kind: str) -> tuple[Columns, int]:
    """Члени ключа ряду → (стовпці за зростанням часу, кількість нерозібраних членів)."""
    names = SERIES_COLUMNS[kind]
    rows: list[tuple[int, list[float]]] = []
    corrupt = 0
    for raw in members:
        row = decode_row(raw, len(names))
        if row is None:
            corrupt += 1
        else:
            rows.append(row)
    rows.sort(key=lambda r: r[0])  # стабільно: рівний час лишається в порядку Redis
    cols: Columns = {"ts": np.array([r[0] for r in rows], dtype=np.int64)}
    for i, name in enumerate(names):
        cols[name] = np.array([r[1][i] for r in rows], dtype=np.float64)
    return cols, corrupt


def _since(cols: Columns, start_ms: int) -> Columns:
    ts = np.asarray(cols["ts"])
    lo = int(np.searchsorted(ts, start_ms, side="left"))
    return {name: col[lo:] for name, col in cols.items()}


# ── Стан ──
@dataclass(slots=True)
class DerivRedisStats:
    """Лічильники шару: стан з'єднання, записи, відновлення, відкинуті члени."""

    redis_up: bool = False
    redis_errors: int = 0  # невдалих операцій (усіх)
    outages: int = 0  # простоїв (переходів у «недоступний»)
    flushes: int = 0
    resyncs: int = 0  # повних перезаписів після перезапуску Redis
    rows_written: int = 0
    restored_redis: int = 0  # рядків, відновлених з Redis
    restored_disk: int = 0  # рядків, відновлених з parquet
    corrupt: int = 0  # членів, що не розбираються як рядок ряду (пропущено й видалено)
    ahead_dropped: int = 0  # рядів «з майбутнього», видалених на старті


@dataclass(frozen=True, slots=True)
class _Write:
    symbol: str
    kind: str
    floor: int  # ZREMRANGEBYSCORE від цього часу до +inf перед ZADD
    rows: dict[bytes, int]  # член → score
    last: tuple[int, bytes]
    capacity: int


# ── Шар ──
class DerivRedis:
    """Write-behind `DerivStore` → Redis і відновлення на старті (див. опис модуля)."""

    def __init__(
        self,
        url: str,
        store: DerivStore,
        *,
        disk_dir: str | Path | None = None,
        flush_interval: float = 5.0,
        retry_max: float = REDIS_RETRY_MAX_SEC,
        timeout: float = 2.0,
    ) -> None:
        self.url = url
        self.store = store
        self.disk_dir = Path(disk_dir) if disk_dir is not None else None
        self.flush_interval = flush_interval
        self.retry_max = retry_max
        self.stats = DerivRedisStats()
        # Власних повторів redis-py не вмикаємо: помилка має дійти до шару, затримку веде цикл.
        self._client = aioredis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        self._written: dict[tuple[str, str], tuple[int, bytes]] = {}  # останній записаний рядок ряду
        self._server_id: str | None = None
        self._down_logged = False
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ── Стан з'єднання ──
    def _mark_up(self) -> None:
        if not self.stats.redis_up and self._down_logged:
            logger.info("deriv_redis_up url=%s; writing again", self.url, extra=_CTX)
        self.stats.redis_up = True
        self._down_logged = False

    def _mark_down(self, op: str, exc: BaseException) -> None:
        self.stats.redis_errors += 1
        if not self._down_logged:
            self.stats.outages += 1
            logger.warning(
                "deriv_redis_down op=%s url=%s error=%r; derivative series stay in RAM "
                "(logged once per outage; counted in redis_errors)",
                op,
                self.url,
                exc,
                extra=_CTX,
            )
            self._down_logged = True
        self.stats.redis_up = False

    def _check_server(self, info: Any) -> None:
        """Новий `run_id` сервера — Redis перезапустився й міг утратити ключі: переписати все."""
        server_id = str(info.get("run_id", ""))
        if self._server_id is not None and server_id != self._server_id and self._written:
            self._written.clear()
            self.stats.resyncs += 1
        self._server_id = server_id

    # ── Життєвий цикл ──
    async def start(self, now_ms: int | None = None) -> int:
        """Відновлює RAM (Redis, потім parquet) і запускає фоновий запис; повертає відновлені рядки."""
        restored = await self.restore(now_ms)
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="deriv_redis_write_behind")
            self._task.add_done_callback(self._on_task_done)
        return restored

    async def close(self) -> None:
        """Зупиняє фоновий запис, робить останнє скидання, закриває з'єднання."""
        self._stop.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()
        try:
            await self._client.aclose()
        except (RedisError, OSError) as exc:
            logger.debug("deriv_redis_close_error error=%r", exc, extra=_CTX)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("deriv_redis_write_behind_failed error=%r", task.exception(), extra=_CTX)

    async def _run(self) -> None:
        """Цикл write-behind: кожні `flush_interval` с; при збої — з подвоєнням затримки до `retry_max`."""
        initial = min(0.5, self.flush_interval)
        backoff = initial
        delay = self.flush_interval
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
                return
            except TimeoutError:
                pass
            try:
                ok = await self.flush()
            except Exception:
                # Непередбачена помилка одного проходу не має зупиняти запис: журнал і наступний прохід.
                logger.exception("deriv_redis_flush_iteration_failed", extra=_CTX)
                ok = False
            if ok:
                backoff, delay = initial, self.flush_interval
            else:
                delay, backoff = backoff, min(backoff * 2, self.retry_max)

    # ── Відновлення ──
    async def restore(self, now_ms: int | None = None) -> int:
        """Redis → RAM, далі parquet для рядів, яких Redis не дав. Повертає прийняті сховищем рядки."""
        total = await self._restore_redis(now_ms)
        if self.disk_dir is not None:
            total += await self._restore_disk(self.disk_dir, now_ms)
        return total

    async def _fetch(self) -> list[tuple[str, str, list[Any]]] | None:
        """(символ, вид, члени) усіх рядів з індексу; мертві записи індексу прибирає. None — збій."""
        try:
            info = await self._client.info("server")
            raw: set[Any] = await self._client.smembers(redis_keys.DERIV_INDEX_KEY)
            pairs: list[tuple[str, str]] = []
            junk: list[Any] = []
            for member in sorted(raw):
                name = member.decode() if isinstance(member, bytes) else str(member)
                symbol, _, kind = name.rpartition(":")
                if symbol and kind in SERIES_KINDS:
                    pairs.append((symbol, kind))
                else:
                    junk.append(member)
            out: list[tuple[str, str, list[Any]]] = []
            for i in range(0, len(pairs), PIPELINE_CHUNK):
                chunk = pairs[i : i + PIPELINE_CHUNK]
                pipe = self._client.pipeline(transaction=False)
                for symbol, kind in chunk:
                    pipe.zrange(redis_keys.deriv_key(symbol, kind), 0, -1)
                values = await pipe.execute()
                for (symbol, kind), members in zip(chunk, values, strict=True):
                    if members:
                        out.append((symbol, kind, list(members)))
                    else:
                        junk.append(f"{symbol}:{kind}")  # ключ вичерпав TTL
            if junk:
                await self._client.srem(redis_keys.DERIV_INDEX_KEY, *junk)
        except (RedisError, OSError) as exc:
            self._mark_down("load", exc)
            return None
        self._mark_up()
        self._check_server(info)
        return out

    async def _restore_redis(self, now_ms: int | None) -> int:
        fetched = await self._fetch()
        if fetched is None:
            logger.warning(
                "deriv_redis_unavailable_at_start url=%s; derivative history from parquet/RAM only",
                self.url,
                extra=_CTX,
            )
            return 0
        windows = self.store.windows
        total = 0
        ahead: list[str] = []
        corrupt: dict[str, list[Any]] = {}
        for symbol, kind, members in fetched:
            cols, bad = decode_series(members, kind)
            if bad:
                self.stats.corrupt += bad
                names = len(SERIES_COLUMNS[kind])
                corrupt[redis_keys.deriv_key(symbol, kind)] = [
                    m for m in members if decode_row(m, names) is None
                ]
            ts = cols["ts"]
            if ts.shape[0] == 0:
                continue
            if now_ms is not None:
                if int(ts[-1]) > now_ms + AHEAD_TOLERANCE_MS:
                    ahead.append(redis_keys.deriv_key(symbol, kind))
                    continue
                cols = _since(cols, now_ms - series_horizon_ms(windows, kind))
            total += self.store.restore_series(symbol, kind, cols)  # type: ignore[arg-type]
            self._note_written(symbol, kind)
        if corrupt:
            logger.warning(
                "deriv_redis_corrupt entries=%d keys=%d; skipped and removed",
                sum(len(v) for v in corrupt.values()),
                len(corrupt),
                extra=_CTX,
            )
        if ahead:
            self.stats.ahead_dropped += len(ahead)
            logger.warning(
                "deriv_redis_ahead_dropped series=%d: cached rows are newer than the feed clock "
                "(another demo run?); removed from Redis",
                len(ahead),
                extra=_CTX,
            )
        await self._cleanup(corrupt, ahead)
        self.stats.restored_redis += total
        if total:
            logger.info("deriv_redis_restored rows=%d series=%d", total, len(fetched), extra=_CTX)
        return total

    async def _cleanup(self, corrupt: dict[str, list[Any]], ahead: list[str]) -> None:
        """Прибирає з Redis нерозібрані члени й ряди «з майбутнього» (збій лише рахується)."""
        if not corrupt and not ahead:
            return
        try:
            pipe = self._client.pipeline(transaction=False)
            for key, members in corrupt.items():
                pipe.zrem(key, *members)
            if ahead:
                pipe.delete(*ahead)
            await pipe.execute()
        except (RedisError, OSError) as exc:
            self._mark_down("cleanup", exc)

    async def _restore_disk(self, root: Path, now_ms: int | None) -> int:
        """Ряди, яких немає в RAM після Redis, — з parquet (`aione record`-розкладка) у межах горизонту."""
        windows = self.store.windows
        end = None if now_ms is None else now_ms + AHEAD_TOLERANCE_MS

        def read() -> list[tuple[str, str, Columns]]:
            out: list[tuple[str, str, Columns]] = []
            for symbol in recorded_symbols(root):
                for kind in SERIES_KINDS:
                    ring = self.store.series(symbol, kind)
                    if ring is not None and len(ring):
                        continue
                    start = None if now_ms is None else now_ms - series_horizon_ms(windows, kind)
                    cols = read_series_days(root, kind, symbol, start, end)
                    if cols and len(cols["ts"]):
                        out.append((symbol, kind, cols))
            return out

        try:
            found = await asyncio.to_thread(read)
        except (OSError, ValueError) as exc:  # пошкоджений parquet — старт без цієї історії
            logger.warning("deriv_disk_restore_failed dir=%s error=%r", root, exc, extra=_CTX)
            return 0
        total = 0
        for symbol, kind, cols in found:
            total += self.store.restore_series(symbol, kind, cols)  # type: ignore[arg-type]
        self.stats.restored_disk += total
        if total:
            logger.info("deriv_disk_restored rows=%d series=%d dir=%s", total, len(found), root, extra=_CTX)
        return total

    def _note_written(self, symbol: str, kind: str) -> None:
        """Позначає останній рядок ряду в RAM як уже наявний у Redis."""
        ring = self.store.series(symbol, kind)  # type: ignore[arg-type]
        if ring is not None and len(ring):
            i = len(ring) - 1
            ts = int(ring.times()[i])
            self._written[(symbol, kind)] = (
                ts,
                encode_row(ts, (float(ring.column(n)[i]) for n in ring.columns)),
            )

    # ── Запис ──
    def _collect(self) -> list[_Write]:
        """Рядки до запису: для кожного ряду — від останнього записаного (включно) до кінця."""
        out: list[_Write] = []
        for symbol, kind, ring in self.store.iter_series():
            ts = ring.times()
            n = int(ts.shape[0])
            mark = self._written.get((symbol, kind))
            lo = 0 if mark is None else int(np.searchsorted(ts, mark[0], side="left"))
            if lo >= n:
                continue
            vals = np.vstack([ring.column(name)[lo:] for name in ring.columns]).T.tolist()
            members = [encode_row(int(t), row) for t, row in zip(ts[lo:].tolist(), vals, strict=True)]
            last = (int(ts[-1]), members[-1])
            if mark is not None and n - lo == 1 and last == mark:
                continue  # ряд не змінився
            first = int(ts[lo])
            floor = first - first % ring.bucket_ms if ring.bucket_ms > 0 else first
            rows = dict(zip(members, ts[lo:].tolist(), strict=True))
            out.append(_Write(symbol, kind, floor, rows, last, ring.capacity))
        return out

    async def flush(self) -> bool:
        """Пише змінені ряди зараз. True — усе записано (або нічого писати); False — збій пораховано."""
        async with self._lock:
            try:
                self._check_server(await self._client.info("server"))
            except (RedisError, OSError) as exc:
                self._mark_down("info", exc)
                return False
            writes = self._collect()
            windows = self.store.windows
            try:
                for i in range(0, len(writes), PIPELINE_CHUNK):
                    chunk = writes[i : i + PIPELINE_CHUNK]
                    pipe = self._client.pipeline(transaction=False)
                    for w in chunk:
                        key = redis_keys.deriv_key(w.symbol, w.kind)
                        pipe.zremrangebyscore(key, w.floor, "+inf")
                        pipe.zadd(key, w.rows)
                        pipe.zremrangebyrank(key, 0, -(w.capacity + 1))
                        if w.kind == "liq":
                            pipe.zremrangebyscore(key, "-inf", f"({w.last[0] - windows.liq_window_ms}")
                        pipe.expire(key, series_ttl_sec(windows, w.kind))
                    pipe.sadd(redis_keys.DERIV_INDEX_KEY, *(f"{w.symbol}:{w.kind}" for w in chunk))
                    pipe.expire(
                        redis_keys.DERIV_INDEX_KEY, max(series_ttl_sec(windows, k) for k in SERIES_KINDS)
                    )
                    await pipe.execute()
                    for w in chunk:
                        self._written[(w.symbol, w.kind)] = w.last
                        self.stats.rows_written += len(w.rows)
            except (RedisError, OSError) as exc:
                self._mark_down("write", exc)
                return False
            self._mark_up()
            self.stats.flushes += 1
            return True


__all__ = [
    "AHEAD_TOLERANCE_MS",
    "OI_STEP_MS",
    "PIPELINE_CHUNK",
    "DerivRedis",
    "DerivRedisStats",
    "decode_row",
    "decode_series",
    "encode_row",
    "series_horizon_ms",
    "series_ttl_sec",
]
