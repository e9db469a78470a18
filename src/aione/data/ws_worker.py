"""Публікація стану: кодек кадру (orjson + lz4 frame), внутрішньопроцесна шина і публікатор.

Кодек:
- перед кодуванням числа округлюються: ціни — до знаків тіку символу (`tick_size` рядка чи
  угоди), решта float — до 6 знаків після коми (|x| < 0.001 — до 6 значущих цифр); NaN/inf → null;
- декодування обмежене: оголошений у заголовку lz4 розмір і фактичний потік розпаковки не
  можуть перевищити `MAX_FRAME_BYTES` (стиснена «бомба» відкидається, не роздуваючи пам'ять);
- декодований кадр перевіряється за схемою (`schema_version`, `seq`, `ts`, `assets`, `counters`).
Публікатор пише в Redis однією транзакцією SET `asset_state_snapshot` (TTL) + PUBLISH
`asset_state_update`; без Redis — у `StateBus`. Частоту обмежує `min_interval_ms` часу подій
(поле `ts` кадру), `force=True` публікує одразу (змінився сигнал чи угода).
Кодування (orjson + lz4) і запис у Redis виконує один окремий потік видавця (синхронний клієнт
redis-py): цикл подій не чекає на стискання й мережу, а момент, коли Redis прийняв кадр,
фіксується в потоці одразу (`published_at`), а не тоді, коли зайнятий цикл до нього дійде.
Один потік — кадри йдуть у Redis строго в порядку `seq`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import lz4.frame
import orjson

from aione.config.config import (
    MAX_FRAME_BYTES,
    PUBLISH_MIN_INTERVAL_MS,
    REDIS_SNAPSHOT_TTL,
    STATE_BUS_QUEUE_SIZE,
    STATE_SCHEMA_VERSION,
)
from aione.data.redis_keys import STATE_CHANNEL, STATE_SNAPSHOT_KEY
from aione.logging_setup import get_logger, log_ctx
from aione.utils.utils import tick_decimals

if TYPE_CHECKING:
    from aione.metrics import MetricsCollector

logger = get_logger(__name__)

# Поля, що є цінами й округлюються до тіку символу.
PRICE_FIELDS = frozenset(
    {
        "price",
        "tp",
        "sl",
        "entry",
        "entry_price",
        "exit_price",
        "last_price",
        "current_price",
        "planned_entry",
        "vwap",
        "nearest_support",
        "nearest_resistance",
    }
)
_DECIMALS = 6  # знаків після коми для не-цін (відсотки, впевненість, обсяги)
_SMALL = 1e-3  # менші за модулем не-ціни округлюються до 6 значущих цифр
_SIGNIFICANT = 6


# ── Клієнт Redis ──
def make_redis_client(url: str) -> Any:
    """Асинхронний клієнт redis-py, що повторює команду після розриву з'єднання
    (перезапуск сервера не лишає «мертве» з'єднання в пулі)."""
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return aioredis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        socket_connect_timeout=2.0,
    )


def make_sync_redis_client(url: str) -> Any:
    """Синхронний клієнт redis-py для потоку видавця: ті самі повтори після розриву, що й в
    асинхронного (`make_redis_client`)."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        socket_connect_timeout=2.0,
    )


# ── Округлення ──
def _round_sig(value: float) -> float:
    """6 значущих цифр (для малих за модулем чисел, де 6 знаків після коми замало)."""
    if value == 0.0:
        return 0.0
    digits = _SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))
    return round(value, max(0, min(15, digits)))


def _round_float(key: str | None, value: float, price_decimals: int) -> float | None:
    if not math.isfinite(value):
        return None
    if key in PRICE_FIELDS:
        return round(value, price_decimals)
    if -_SMALL < value < _SMALL:
        return _round_sig(value)
    return round(value, _DECIMALS)


def _round_obj(obj: Any, price_decimals: int, key: str | None = None) -> Any:
    kind = type(obj)
    if kind is dict:
        return _round_mapping(obj, price_decimals)
    if kind is list or kind is tuple:
        return [_round_obj(item, price_decimals, key) for item in obj]
    if kind is float:
        return _round_float(key, obj, price_decimals)
    return obj


def _round_mapping(obj: Mapping[str, Any], price_decimals: int) -> dict[str, Any]:
    # Гаряча петля (сотні рядків × десятки полів на кадр): перевірки типу через `type() is`.
    out: dict[str, Any] = {}
    for key, value in obj.items():
        kind = type(value)
        if kind is float:
            out[key] = _round_float(key, value, price_decimals)
        elif kind is dict or kind is list or kind is tuple:
            out[key] = _round_obj(value, price_decimals, key)
        else:
            out[key] = value
    return out


def row_decimals(row: Mapping[str, Any]) -> int:
    """Знаків після коми для цін рядка чи угоди: з її `tick_size` (немає — 8)."""
    tick = row.get("tick_size")
    return tick_decimals(float(tick)) if isinstance(tick, int | float) and tick > 0 else 8


def round_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Копія рядка кадру (чи угоди) з округленими числами, як у `round_frame`."""
    return _round_mapping(row, row_decimals(row))


def round_field(key: str, value: Any, price_decimals: int) -> Any:
    """Одне поле рядка `key` → значення, як його округлив би `round_row` рядка з такими знаками цін."""
    return _round_obj(value, price_decimals, key)


def round_frame(frame: Mapping[str, Any], *, assets_rounded: bool = False) -> dict[str, Any]:
    """Копія кадру з округленими числами: ціни рядка/угоди — до знаків їхнього тіку.

    `assets_rounded=True` — рядки вже округлені (`round_row`, кеш агрегатора): беруться як є."""
    out = {k: v for k, v in frame.items() if k not in ("assets", "trades")}
    out["counters"] = _round_obj(frame.get("counters", {}), 8)
    assets = frame.get("assets", [])
    out["assets"] = list(assets) if assets_rounded else [round_row(row) for row in assets]
    if "trades" in frame:
        trades = frame["trades"] or {}
        out["trades"] = {group: [round_row(t) for t in items] for group, items in trades.items()}
    return out


# ── Кодек ──
class FrameError(ValueError):
    """Кадр відкинуто: `reason` — too_large | corrupt | bad_json | bad_schema."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def encode_frame(frame: Mapping[str, Any], *, rounded: bool = False) -> bytes:
    """Кадр → lz4(orjson). Без `rounded=True` числа спершу округлюються (`round_frame`)."""
    body = orjson.dumps(frame if rounded else round_frame(frame))
    if len(body) > MAX_FRAME_BYTES:
        raise FrameError("too_large", f"{len(body)} bytes > {MAX_FRAME_BYTES}")
    return bytes(lz4.frame.compress(body, store_size=True, content_checksum=True))


def decode_frame(payload: bytes, *, max_bytes: int = MAX_FRAME_BYTES) -> dict[str, Any]:
    """lz4(orjson) → кадр. Кидає `FrameError`, якщо дані пошкоджені, завеликі чи не за схемою."""
    if not isinstance(payload, bytes | bytearray | memoryview) or len(payload) == 0:
        raise FrameError("corrupt", "empty or non-bytes payload")
    try:
        declared = lz4.frame.get_frame_info(bytes(payload[:32])).get("content_size", 0)
    except RuntimeError as exc:
        raise FrameError("corrupt", str(exc)) from None
    if declared and declared > max_bytes:
        raise FrameError("too_large", f"declared {declared} bytes > {max_bytes}")
    decompressor = lz4.frame.LZ4FrameDecompressor()
    try:
        body = decompressor.decompress(bytes(payload), max_length=max_bytes + 1)
    except RuntimeError as exc:
        raise FrameError("corrupt", str(exc)) from None
    if len(body) > max_bytes:
        raise FrameError("too_large", f"inflates past {max_bytes} bytes")
    if not decompressor.eof:
        raise FrameError("corrupt", "truncated lz4 frame")
    try:
        frame = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FrameError("bad_json", str(exc)) from None
    validate_frame(frame)
    return frame


def validate_frame(frame: Any) -> None:
    """Перевірка форми кадру (не значень): інакше `FrameError('bad_schema')`."""
    if not isinstance(frame, dict):
        raise FrameError("bad_schema", "frame is not an object")
    if frame.get("schema_version") != STATE_SCHEMA_VERSION:
        raise FrameError("bad_schema", f"schema_version {frame.get('schema_version')!r}")
    for key in ("seq", "ts"):
        if not isinstance(frame.get(key), int) or isinstance(frame.get(key), bool):
            raise FrameError("bad_schema", f"{key} is not an integer")
    if not isinstance(frame.get("assets"), list) or not isinstance(frame.get("counters"), dict):
        raise FrameError("bad_schema", "assets must be a list and counters an object")
    if not all(isinstance(row, dict) and isinstance(row.get("symbol"), str) for row in frame["assets"]):
        raise FrameError("bad_schema", "asset row without symbol")


# ── Внутрішньопроцесна шина ──
class BusSubscription:
    """Підписка на `StateBus`: обмежена черга; повільний підписник втрачає найстаріші кадри."""

    def __init__(self, bus: StateBus, maxsize: int) -> None:
        self._bus = bus
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def offer(self, frame: dict[str, Any]) -> None:
        """Кладе кадр без очікування; якщо черга повна — викидає найстаріший."""
        while self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(frame)

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()


class StateBus:
    """Розсилка кадрів у процесі (без Redis): кожен підписник має свою обмежену чергу,
    публікатор ніколи не чекає. Останній кадр зберігається як знімок для нових підписників."""

    def __init__(self, queue_size: int = STATE_BUS_QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._subs: list[BusSubscription] = []
        self.snapshot: dict[str, Any] | None = None

    def subscribe(self, maxsize: int | None = None) -> BusSubscription:
        sub = BusSubscription(self, maxsize or self.queue_size)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: BusSubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def publish(self, frame: dict[str, Any]) -> None:
        """Розсилає кадр усім (синхронно, без блокування) і запам'ятовує як знімок."""
        self.snapshot = frame
        for sub in list(self._subs):
            sub.offer(frame)


# ── Публікатор ──
class StatePublisher:
    """Публікує кадри в Redis (SET знімка з TTL + PUBLISH однією транзакцією) і/або в `StateBus`.

    Шина отримує кадр одразу (синхронно); Redis — з потоку видавця (кодування + запис), цикл
    лише чекає результату. `published_at` — `time.perf_counter()` моменту, коли кадр дійшов до
    всіх адресатів (для Redis — відповідь сервера в потоці). Помилка Redis не зупиняє роботу:
    рахується, журналюється один раз на серію, шина отримує кадр як звичайно. Повертає True,
    якщо кадр пішов хоча б в одне місце."""

    def __init__(
        self,
        redis_url: str | None = None,
        bus: StateBus | None = None,
        min_interval_ms: int = PUBLISH_MIN_INTERVAL_MS,
        *,
        client: Any = None,
        metrics: MetricsCollector | None = None,
        snapshot_ttl: int = REDIS_SNAPSHOT_TTL,
    ) -> None:
        # `client` — синхронний клієнт redis-py (викликається лише з потоку видавця)
        self.client = (
            client if client is not None else (make_sync_redis_client(redis_url) if redis_url else None)
        )
        self.bus = bus
        self.min_interval_ms = min_interval_ms
        self.metrics = metrics
        self.snapshot_ttl = snapshot_ttl
        self.last_ts: int | None = None
        self.published = 0
        self.published_at: float | None = None
        self.redis_failures = 0
        self._redis_failing = False
        self._executor: ThreadPoolExecutor | None = None

    def due(self, ts_ms: int) -> bool:
        """Чи минув мінімальний інтервал з останньої публікації (час подій)."""
        return self.last_ts is None or ts_ms < self.last_ts or ts_ms - self.last_ts >= self.min_interval_ms

    async def publish(self, frame: Mapping[str, Any], *, force: bool = False, rounded: bool = False) -> bool:
        """Кадр адресатам; `rounded=True` — числа кадру вже округлені (`round_frame`): без другого проходу."""
        ts = int(frame.get("ts", 0))
        if not force and not self.due(ts):
            return False
        rounded_frame = dict(frame) if rounded else round_frame(frame)
        sent = False
        done_at = 0.0
        if self.bus is not None:
            self.bus.publish(rounded_frame)
            done_at = time.perf_counter()
            sent = True
        if self.client is not None:
            redis_at = await self._publish_redis(rounded_frame)
            if redis_at is not None:
                done_at = max(done_at, redis_at)
                sent = True
        if sent:
            self.last_ts = ts
            self.published += 1
            self.published_at = done_at
            if self.metrics is not None:
                self.metrics.count_frame_published()
        return sent

    async def _publish_redis(self, rounded: dict[str, Any]) -> float | None:
        """Кадр у Redis з потоку видавця; `perf_counter()` прийняття сервером або None (збій)."""
        from redis.exceptions import RedisError

        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state-publisher")
        loop = asyncio.get_running_loop()
        try:
            done_at = await loop.run_in_executor(self._executor, self._write_redis, rounded)
        except FrameError:
            logger.exception("state frame not encodable", extra=log_ctx("publish"))
            return None
        except (RedisError, OSError) as exc:
            self.redis_failures += 1
            if self.metrics is not None:
                self.metrics.count_redis_error()
            if not self._redis_failing:
                logger.warning("redis publish failed: %s", exc, extra=log_ctx("publish"))
            self._redis_failing = True
            return None
        if self._redis_failing:
            logger.info("redis publish recovered", extra=log_ctx("publish"))
        self._redis_failing = False
        return float(done_at)

    def _write_redis(self, rounded: dict[str, Any]) -> float:
        """Потік видавця: кодування і одна транзакція SET + PUBLISH (lz4 відпускає GIL)."""
        assert self.client is not None
        payload = encode_frame(rounded, rounded=True)
        pipe = self.client.pipeline(transaction=True)
        pipe.set(STATE_SNAPSHOT_KEY, payload, ex=self.snapshot_ttl)
        pipe.publish(STATE_CHANNEL, payload)
        pipe.execute()
        return time.perf_counter()

    async def aclose(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            # дочекатися запису, що вже йде, не блокуючи цикл
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown, True)
        if self.client is not None:
            self.client.close()


__all__ = [
    "PRICE_FIELDS",
    "BusSubscription",
    "FrameError",
    "StateBus",
    "StatePublisher",
    "decode_frame",
    "encode_frame",
    "make_redis_client",
    "make_sync_redis_client",
    "round_field",
    "round_frame",
    "round_row",
    "row_decimals",
    "validate_frame",
]
