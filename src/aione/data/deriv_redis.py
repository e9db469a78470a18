"""Redis-шар `DerivStore`: write-behind рядів OI, марк-ціни/фінансування, ліквідацій і метрик книги,
відновлення RAM на старті (Redis, потім parquet).

Що пишеться. Усі чотири ряди сховища (`SERIES_KINDS`), кожен у свій sorted set
`ai_one:deriv:{kind}:{symbol}`: член — блок рядків одного проміжку часу `BLOCK_MS[kind]` (книга —
хвилина, решта — година; стовпці numpy, стиснуті lz4, як `bar_codec`), score — початок проміжку (мс).
Блоками, а не рядком на член: повне відновлення чи перезапис 100 символів — тисячі членів, а не
пів мільйона (кожен член — окремий розбір у redis-py і Python). Ряд книги — це метрики знімка
(середина, спред, глибина ±смуги, дисбаланс) раз на `book_bucket_ms`; самі рівні книги (до
2×`book_levels` пар) не пишуться: після перезапуску знімок старший за `book_stale_ms` (5 с) і все одно
був би `stale`, а важив би кілобайти на кожне оновлення 100 мс. Множина `ai_one:deriv:index`
(`{symbol}:{kind}`) дає холодний старт без SCAN.

Обмеження. Після кожного запису з ключа видаляються блоки, що починаються раніше за блок
найстаршого рядка ряду в RAM (ємність кільця; ліквідації — ще й вікно `liq_window_ms`), тож у Redis
лежить те саме вікно, що й у RAM; TTL ключа — горизонт ряду (`series_horizon_ms`), тож ряд символу,
який більше не дивимося, зникає сам.

Запис (раз на `flush_interval` с): для кожного ряду, що змінився від останнього запису (новий рядок
або заміщений останній — кошик книги/марк-ціни, повторне опитування OI), блоки від блоку першого
зміненого рядка до кінця будуються з RAM наново: `ZREMRANGEBYSCORE` від початку цього блоку до +inf і
`ZADD` — хвіст у Redis дорівнює хвосту в RAM, повтор ідемпотентний. Зазвичай це один останній блок.
Ряди обробляються пачками по `PIPELINE_CHUNK` з `await` між ними, тож повний перезапис не тримає цикл
подій. Перед записом звіряється `run_id` сервера: після перезапуску Redis (дані втрачено) усе
переписується (`stats.resyncs`).

Перевірка на вході в обидва боки: у Redis потрапляють лише рядки, прийняті сховищем (перевірені
`apply_*`); з Redis — блок, що не розбирається (чужий заголовок, не та кількість стовпців, пошкоджений
lz4, не той розмір, час ≤ 0 або спадає), рахується в `stats.corrupt`, видаляється й пропускається;
значення рядків перевіряє `DerivStore.restore_series` (`<вид>.bad_value` у `store.stats`).

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
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lz4.block
import numpy as np
import numpy.typing as npt
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from aione.data import redis_keys
from aione.data.deriv_disk import read_series_days
from aione.data.deriv_loader import recorded_symbols
from aione.data.deriv_series import SeriesRing
from aione.data.deriv_store import SERIES_COLUMNS, SERIES_KINDS, DerivStore, DerivWindows
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)

# ── Налаштування ──
OI_STEP_MS = 60_000  # номінальний крок опитування OI: горизонт ряду OI — `oi_points` таких кроків
MIN_HORIZON_MS = 24 * 3_600_000  # найкоротший горизонт OI, марк-ціни й ліквідацій
AHEAD_TOLERANCE_MS = 60_000  # розбіжність годинників, яку ще не вважаємо кешем «з майбутнього»
PIPELINE_CHUNK = 64  # рядів в одному pipeline
BLOCK_MS: dict[str, int] = {"book": 60_000, "oi": 3_600_000, "mark": 3_600_000, "liq": 3_600_000}
MAX_BLOCK_ROWS = 1_000_000  # блок, що оголошує більше рядків, — пошкоджений
REDIS_RETRY_MAX_SEC = 2.0
_CTX = log_ctx("deriv_redis")
Columns = dict[str, npt.NDArray[np.generic]]


def series_horizon_ms(windows: DerivWindows, kind: str) -> int:
    """Скільки часу покриває ряд `kind` у RAM: старші рядки на старті не відновлюються, TTL ключа.
    Книга — її вікно (15 хв: старші метрики вже нічого не кажуть про теперішню книгу); OI, марк-ціна
    й ліквідації — вікно за номінальним кроком, але не менше доби (опитування OI для сотень символів
    повільніше за хвилину, а перцентилю фінансування й z-оцінці OI потрібна історія)."""
    if kind == "book":
        return windows.book_points * windows.book_bucket_ms
    if kind == "mark":
        nominal = windows.mark_points * windows.mark_bucket_ms
    elif kind == "oi":
        nominal = windows.oi_points * OI_STEP_MS
    else:
        nominal = windows.liq_window_ms
    return max(nominal, MIN_HORIZON_MS)


def series_ttl_sec(windows: DerivWindows, kind: str) -> int:
    """TTL ключа ряду в Redis (с): горизонт ряду, не менше хвилини."""
    return max(60, series_horizon_ms(windows, kind) // 1000)


# ── Кодек блоку (чисті функції) ──
MAGIC = b"ADB1"
_HEADER = struct.Struct("<4sHI")  # magic, стовпців значень, рядків


def encode_block(ts: npt.NDArray[np.int64], vals: npt.NDArray[np.float64]) -> bytes:
    """Рядки блоку (`ts` довжини n, `vals` форми (стовпців, n)) → член sorted set: заголовок + lz4."""
    n, ncols = int(ts.shape[0]), int(vals.shape[0])
    body = np.asarray(ts, dtype="<i8").tobytes() + np.ascontiguousarray(vals, dtype="<f8").tobytes()
    return _HEADER.pack(MAGIC, ncols, n) + lz4.block.compress(body, store_size=False)


def decode_block(raw: Any, ncols: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
    """Член sorted set → (час, значення форми (стовпців, n)) або None, якщо це не блок ряду з `ncols`
    стовпцями: чужий заголовок, пошкоджений lz4, не той розмір, час ≤ 0 або спадає."""
    if not isinstance(raw, bytes | bytearray) or len(raw) < _HEADER.size:
        return None
    magic, nc, n = _HEADER.unpack_from(raw)
    if magic != MAGIC or nc != ncols or not 0 < n <= MAX_BLOCK_ROWS:
        return None
    size = n * 8 * (1 + ncols)
    try:
        body = lz4.block.decompress(bytes(raw[_HEADER.size :]), uncompressed_size=size)
    except lz4.block.LZ4BlockError:
        return None
    if len(body) != size:
        return None
    ts = np.frombuffer(body, dtype="<i8", count=n).astype(np.int64)
    vals = np.frombuffer(body, dtype="<f8", offset=n * 8).reshape(ncols, n).astype(np.float64)
    if ts[0] <= 0 or (n > 1 and bool((np.diff(ts) < 0).any())):
        return None
    return ts, vals


def decode_series(members: Sequence[Any], kind: str) -> tuple[Columns, list[Any]]:
    """Члени ключа ряду (за зростанням score) → (стовпці за часом, нерозібрані члени)."""
    names = SERIES_COLUMNS[kind]
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
    corrupt: list[Any] = []
    for raw in members:
        block = decode_block(raw, len(names))
        if block is None:
            corrupt.append(raw)
        else:
            parts.append(block)
    parts.sort(key=lambda p: int(p[0][0]))  # стабільно: блоки з рівним початком лишаються в порядку Redis
    ts = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    vals = np.hstack([p[1] for p in parts]) if parts else np.zeros((len(names), 0))
    cols: Columns = {"ts": ts}
    for i, name in enumerate(names):
        cols[name] = vals[i]
    return cols, corrupt


def series_blocks(ring: SeriesRing, kind: str, start: int) -> dict[bytes, int]:
    """Блоки ряду з рядків з часом ≥ `start` (межа блоку): член → score (початок блоку)."""
    ts = ring.times()
    lo = int(np.searchsorted(ts, start, side="left"))
    ts = ts[lo:]
    if ts.shape[0] == 0:
        return {}
    vals = np.vstack([ring.column(name)[lo:] for name in ring.columns])
    span = BLOCK_MS[kind]
    starts = ts - ts % span
    cuts = np.flatnonzero(np.diff(starts)) + 1
    out: dict[bytes, int] = {}
    for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), ts.shape[0]], strict=True):
        out[encode_block(ts[a:b], vals[:, a:b])] = int(starts[a])
    return out


def _tail(ring: SeriesRing, since_ts: int) -> bytes:
    """Байти рядків з часом ≥ `since_ts` (час і значення): ознака, що хвіст ряду не змінився."""
    ts = ring.times()
    lo = int(np.searchsorted(ts, since_ts, side="left"))
    return ts[lo:].tobytes() + b"".join(ring.column(name)[lo:].tobytes() for name in ring.columns)


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
    corrupt: int = 0  # блоків, що не розбираються (пропущено й видалено)
    ahead_dropped: int = 0  # рядів «з майбутнього», видалених на старті


@dataclass(frozen=True, slots=True)
class _Write:
    symbol: str
    kind: str
    floor: int  # ZREMRANGEBYSCORE від цього часу до +inf перед ZADD (початок першого зміненого блоку)
    keep_from: int  # блоки, що починаються раніше, — поза вікном RAM
    blocks: dict[bytes, int]  # член → score
    mark: tuple[int, bytes]  # час останнього рядка і байти рядків з цим часом
    rows: int


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
                self.stats.corrupt += len(bad)
                corrupt[redis_keys.deriv_key(symbol, kind)] = bad
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
                "deriv_redis_corrupt blocks=%d keys=%d; skipped and removed",
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
        """Позначає поточний хвіст ряду в RAM як уже наявний у Redis."""
        ring = self.store.series(symbol, kind)  # type: ignore[arg-type]
        if ring is not None and ring.last_ts is not None:
            self._written[(symbol, kind)] = (ring.last_ts, _tail(ring, ring.last_ts))

    # ── Запис ──
    def _plan(self, symbol: str, kind: str, ring: SeriesRing) -> _Write | None:
        """Що переписати в ряді: блоки від блоку першого зміненого рядка; None — ряд не змінився."""
        last = ring.last_ts
        if last is None:
            return None
        span = BLOCK_MS[kind]
        mark = self._written.get((symbol, kind))
        if mark is None:
            changed_from = int(ring.times()[0])
        elif _tail(ring, mark[0]) == mark[1]:
            return None
        else:
            changed_from = mark[0]  # рядки з часом ≥ останнього записаного могли змінитися
        floor = changed_from - changed_from % span
        blocks = series_blocks(ring, kind, floor)
        first = int(ring.times()[0])
        return _Write(
            symbol,
            kind,
            floor,
            first - first % span,
            blocks,
            (last, _tail(ring, last)),
            int(len(ring) - np.searchsorted(ring.times(), floor, side="left")),
        )

    def _pipe_write(self, pipe: Any, w: _Write) -> None:
        key = redis_keys.deriv_key(w.symbol, w.kind)
        pipe.zremrangebyscore(key, w.floor, "+inf")
        if w.blocks:
            pipe.zadd(key, w.blocks)
        pipe.zremrangebyscore(key, "-inf", f"({w.keep_from}")
        pipe.expire(key, series_ttl_sec(self.store.windows, w.kind))

    async def flush(self) -> bool:
        """Пише змінені ряди зараз. True — усе записано (або нічого писати); False — збій пораховано."""
        async with self._lock:
            try:
                self._check_server(await self._client.info("server"))
            except (RedisError, OSError) as exc:
                self._mark_down("info", exc)
                return False
            windows = self.store.windows
            index_ttl = max(series_ttl_sec(windows, k) for k in SERIES_KINDS)
            series = list(
                self.store.iter_series()
            )  # знімок посилань: символ, доданий під час запису, — наступного разу
            try:
                for i in range(0, len(series), PIPELINE_CHUNK):
                    # план пачки будується синхронно (ряди між await не змінюються посеред ряду)
                    plans = [
                        w for w in (self._plan(s, k, r) for s, k, r in series[i : i + PIPELINE_CHUNK]) if w
                    ]
                    if not plans:
                        continue
                    pipe = self._client.pipeline(transaction=False)
                    for w in plans:
                        self._pipe_write(pipe, w)
                    pipe.sadd(redis_keys.DERIV_INDEX_KEY, *(f"{w.symbol}:{w.kind}" for w in plans))
                    pipe.expire(redis_keys.DERIV_INDEX_KEY, index_ttl)
                    await pipe.execute()
                    for w in plans:
                        self._written[(w.symbol, w.kind)] = w.mark
                        self.stats.rows_written += w.rows
            except (RedisError, OSError) as exc:
                self._mark_down("write", exc)
                return False
            self._mark_up()
            self.stats.flushes += 1
            return True


__all__ = [
    "AHEAD_TOLERANCE_MS",
    "BLOCK_MS",
    "MAGIC",
    "MIN_HORIZON_MS",
    "OI_STEP_MS",
    "PIPELINE_CHUNK",
    "DerivRedis",
    "DerivRedisStats",
    "decode_block",
    "decode_series",
    "encode_block",
    "series_blocks",
    "series_horizon_ms",
    "series_ttl_sec",
]
