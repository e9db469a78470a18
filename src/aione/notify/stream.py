"""Redis Stream сигналів і подій угод (`asset_signals`): споживач продовжує з останнього id.

Pub/sub губить повідомлення, поки споживача немає; потік — ні: кожен запис має id, і споживач
після розриву читає `XREAD ... STREAMS asset_signals <останній id>` — отримує кожен запис рівно
один раз. Видавець (`SignalStream`) приймає події синхронно в обмежену чергу (конвеєр не чекає
Redis), пише пачками `XADD asset_signals MAXLEN ~ N * type … id … symbol … ts … data <JSON>`,
а поки Redis недоступний — тримає чергу і повторює з паузою.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from aione.config.config import (
    NOTIFY_RETRY_BACKOFF_SEC,
    NOTIFY_STREAM_KEY,
    NOTIFY_STREAM_MAXLEN,
    NOTIFY_STREAM_QUEUE,
)
from aione.logging_setup import get_logger, log_ctx
from aione.notify.model import Alert

logger = get_logger(__name__)
_CTX = log_ctx("notify-stream")
STREAM_BATCH = 500  # записів на один конвеєр XADD


def stream_fields(alert: Alert) -> dict[str, bytes | str]:
    """Поля запису потоку: вид, id, символ, час і вся подія JSON-ом."""
    return {
        "type": alert.kind,
        "id": alert.id,
        "symbol": alert.symbol,
        "ts": str(alert.ts),
        "data": orjson.dumps(alert.to_dict()),
    }


def parse_entry(fields: dict[Any, Any]) -> dict[str, Any]:
    """Запис потоку → подія (`Alert.to_dict()`), як її записав видавець."""
    raw = fields.get(b"data", fields.get("data"))
    data = orjson.loads(raw) if isinstance(raw, bytes | str) else None
    return data if isinstance(data, dict) else {}


class SignalStream:
    """Видавець подій у Redis Stream."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: aioredis.Redis | None = None,
        key: str = NOTIFY_STREAM_KEY,
        maxlen: int = NOTIFY_STREAM_MAXLEN,
        queue_size: int = NOTIFY_STREAM_QUEUE,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if client is None and url is None:
            raise ValueError("SignalStream needs a url or a client")
        self._client = client if client is not None else aioredis.from_url(url)  # type: ignore[arg-type]
        self._own = client is None
        self.key = key
        self.maxlen = maxlen
        self.sleep = sleep
        self._queue: deque[Alert] = deque(maxlen=queue_size)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.counters = {"published": 0, "dropped": 0, "errors": 0}

    def publish(self, alert: Alert) -> None:
        """У чергу без очікування; повна черга витісняє найстаріший запис (рахується)."""
        if len(self._queue) == self._queue.maxlen:
            self.counters["dropped"] += 1
        self._queue.append(alert)
        self._wake.set()

    async def flush(self) -> bool:
        """Пише все з черги; False — Redis недоступний (записи лишаються в черзі)."""
        while self._queue:
            batch = [self._queue[i] for i in range(min(STREAM_BATCH, len(self._queue)))]
            pipe = self._client.pipeline(transaction=False)
            for alert in batch:
                pipe.xadd(self.key, stream_fields(alert), maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
            try:
                await pipe.execute()
            except (RedisError, OSError) as exc:
                self.counters["errors"] += 1
                if self.counters["errors"] == 1 or self.counters["errors"] % 50 == 0:
                    logger.warning("signal stream write failed: %s", type(exc).__name__, extra=_CTX)
                return False
            for _ in batch:
                self._queue.popleft()
            self.counters["published"] += len(batch)
        return True

    async def _run(self) -> None:
        attempt = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            if await self.flush():
                attempt = 0
                if self._closing:
                    return
                continue
            if self._closing:
                return
            attempt += 1
            first, cap = NOTIFY_RETRY_BACKOFF_SEC
            await self.sleep(min(cap, first * 2 ** (attempt - 1)))
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="notify-stream")

    async def aclose(self, timeout: float = 2.0) -> None:
        """Дописує чергу (до `timeout` с) і закриває з'єднання."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            # задача допише чергу сама (без повторного запису пачки, яку вона вже пише)
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout)
            self._task = None
        else:
            await self.flush()
        if self._queue:
            logger.warning("signal stream: %d events not written", len(self._queue), extra=_CTX)
        if self._own:
            await self._client.aclose()


class StreamReader:
    """Споживач потоку, що пам'ятає останній id: після розриву продовжує з нього."""

    def __init__(self, client: aioredis.Redis, *, key: str = NOTIFY_STREAM_KEY, last_id: str = "0-0") -> None:
        self.client = client
        self.key = key
        self.last_id = last_id

    async def read(self, count: int = 100, block_ms: int | None = None) -> list[dict[str, Any]]:
        """Наступні записи після `last_id` (події як словники); `last_id` посувається."""
        reply: Any = await self.client.xread({self.key: self.last_id}, count=count, block=block_ms)
        out: list[dict[str, Any]] = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                out.append(parse_entry(fields))
                self.last_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        return out


__all__ = ["STREAM_BATCH", "SignalStream", "StreamReader", "parse_entry", "stream_fields"]
