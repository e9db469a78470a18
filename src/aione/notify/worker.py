"""Воркер доставки одного каналу: обмежена черга → відро токенів → канал, з повторами й outbox.

- `submit` синхронний і не блокує: повідомлення стає в чергу (переповнена черга викидає
  найстаріше відкладне й рахує це), збереження в outbox робить окрема задача пачками;
- доставка: токен з відра (ліміт сервісу), `send`; 429 — пауза рівно `retry_after` і порожнє
  відро; мережа/5xx — повтор з експоненційною паузою (повідомлення повертається на початок
  черги, тож під час збою нічого не губиться); інші 4xx — не повторюються (рахуються як `failed`);
- після доставки (або відмови, або викидання) повідомлення прибирається з outbox; доставлене
  раніше, ніж збережене, в outbox не потрапляє.
Паузи — через впорскнуту `sleep`, годинник відра — впорскнутий `clock` (тести не сплять).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from redis.exceptions import RedisError

from aione.config.config import NOTIFY_RETRY_BACKOFF_SEC
from aione.logging_setup import get_logger, log_ctx
from aione.notify.channels import Channel, DeliveryError
from aione.notify.flow import BoundedQueue, TokenBucket
from aione.notify.model import Message
from aione.notify.outbox import Outbox
from aione.utils.aio import cancel_and_wait

logger = get_logger(__name__)
_CTX = log_ctx("notify")

Sleep = Callable[[float], Awaitable[Any]]


def backoff_delay(attempt: int, backoff: tuple[float, float] = NOTIFY_RETRY_BACKOFF_SEC) -> float:
    """Пауза перед повтором номер `attempt` (1, 2, …): перша, подвоєння, не більше найбільшої."""
    first, cap = backoff
    return float(min(cap, first * 2 ** max(0, attempt - 1)))


class ChannelWorker:
    """Черга, ліміт, повтори і outbox одного каналу."""

    def __init__(
        self,
        channel: Channel,
        outbox: Outbox,
        limits: Mapping[str, float],
        *,
        backoff: tuple[float, float] = NOTIFY_RETRY_BACKOFF_SEC,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_delivered: Callable[[Message], None] | None = None,
    ) -> None:
        self.channel = channel
        self.outbox = outbox
        self.queue = BoundedQueue(int(limits["queue"]))
        self.bucket = TokenBucket(float(limits["rate"]), float(limits["burst"]), clock)
        self.concurrency = max(1, int(limits.get("concurrency", 1)))
        self.backoff = backoff
        self.sleep = sleep
        self.on_delivered = on_delivered
        self.counters: dict[str, int] = {
            "queued": 0,
            "delivered": 0,
            "failed": 0,
            "dropped": 0,
            "retries": 0,
            "rate_limited": 0,
            "restored": 0,
        }
        self.retry_waits: list[float] = []  # паузи перед повторами, с (для звіту й тестів)
        self._unpersisted: list[Message] = []
        self._to_remove: list[str] = []
        self._wake = asyncio.Event()
        self._persist_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._inflight = 0
        self._failing = False
        self._pause = asyncio.Lock()  # пауза повтору держить його: інші задачі каналу теж чекають

    @property
    def name(self) -> str:
        return self.channel.name

    @property
    def pending(self) -> int:
        """Недоставлених зараз: у черзі і в дорозі."""
        return len(self.queue) + self._inflight

    # ── Прийом ──
    def submit(self, message: Message) -> None:
        """У чергу без очікування; збереження в outbox — асинхронно, пачкою."""
        victim = self.queue.put(message)
        self.counters["queued"] += 1
        self._unpersisted.append(message)
        if victim is not None:
            self.counters["dropped"] += 1
            if self.counters["dropped"] == 1 or self.counters["dropped"] % 100 == 0:
                logger.warning(
                    "notify queue full: dropped %d messages so far", self.counters["dropped"], extra=self._ctx
                )
            self._finish(victim)
        self._wake.set()
        self._persist_wake.set()

    async def restore(self) -> int:
        """Повідомлення з outbox (після перезапуску) — на початок черги, у збереженому порядку."""
        try:
            restored = await self.outbox.load(self.name)
        except (RedisError, OSError, ValueError) as exc:
            logger.warning("notify outbox unreadable: %s", type(exc).__name__, extra=self._ctx)
            return 0
        for message in reversed(restored):
            message.created = time.monotonic()
            self.queue.put_front(message)
        self.counters["restored"] += len(restored)
        if restored:
            self._wake.set()
        return len(restored)

    @property
    def _ctx(self) -> dict[str, str]:
        return {**_CTX, "symbol": self.name}

    def _finish(self, message: Message) -> None:
        message.done = True
        if message.persisted:
            self._to_remove.append(message.id)
            self._persist_wake.set()

    # ── Задачі ──
    def start(self) -> None:
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._persist_loop(), name=f"notify-outbox-{self.name}"))
        for i in range(self.concurrency):
            self._tasks.append(asyncio.create_task(self._deliver_loop(), name=f"notify-{self.name}-{i}"))

    async def stop(self, timeout: float) -> None:
        """Чекає доставки до `timeout` с, зупиняє задачі, зберігає недоставлене в outbox."""
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline and not self._failing:
            await asyncio.sleep(0.01)
        await cancel_and_wait(self._tasks)
        await self.flush_outbox()
        await self.channel.close()

    # ── Outbox ──
    async def flush_outbox(self) -> bool:
        """Зберігає нові повідомлення і прибирає завершені; False — outbox недоступний (спроба пізніше)."""
        batch, self._unpersisted = self._unpersisted, []
        adds = [m for m in batch if not m.done and not m.persisted]
        try:
            await self.outbox.add_many(adds)
        except (RedisError, OSError) as exc:
            self._unpersisted = batch + self._unpersisted
            logger.warning("notify outbox write failed: %s", type(exc).__name__, extra=self._ctx)
            return False
        for m in adds:
            m.persisted = True
            if m.done:  # доставлено, поки зберігалось
                self._to_remove.append(m.id)
        removes, self._to_remove = self._to_remove, []
        try:
            await self.outbox.remove_many(self.name, removes)
        except (RedisError, OSError) as exc:
            self._to_remove = removes + self._to_remove
            logger.warning("notify outbox cleanup failed: %s", type(exc).__name__, extra=self._ctx)
            return False
        return True

    async def _persist_loop(self) -> None:
        attempt = 0
        while True:
            await self._persist_wake.wait()
            self._persist_wake.clear()
            if await self.flush_outbox():
                attempt = 0
                continue
            attempt += 1
            await self.sleep(backoff_delay(attempt, self.backoff))
            self._persist_wake.set()

    # ── Доставка ──
    async def _deliver_loop(self) -> None:
        while True:
            message = self.queue.pop()
            if message is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            self._inflight += 1
            try:
                await self._deliver(message)
            finally:
                self._inflight -= 1

    async def _deliver(self, message: Message) -> None:
        if self._pause.locked():
            async with self._pause:
                pass
        while (wait := self.bucket.wait_time()) > 0:
            await self.sleep(wait)
        self.bucket.take()
        try:
            await self.channel.send(message.alert)
        except DeliveryError as exc:
            await self._on_error(message, exc)
            return
        if self._failing:
            self._failing = False
            logger.info("notify channel recovered", extra=self._ctx)
        self.counters["delivered"] += 1
        if self.on_delivered is not None:
            self.on_delivered(message)
        self._finish(message)

    async def _on_error(self, message: Message, exc: DeliveryError) -> None:
        if not exc.retryable:
            self.counters["failed"] += 1
            logger.error("notify delivery rejected, not retried: %s", exc, extra=self._ctx)
            self._finish(message)
            return
        message.attempts += 1
        self.counters["retries"] += 1
        if exc.retry_after is not None:
            self.counters["rate_limited"] += 1
            self.bucket.drain()
            delay = exc.retry_after
        else:
            delay = backoff_delay(message.attempts, self.backoff)
        if not self._failing:
            self._failing = exc.retry_after is None
            logger.warning("notify delivery failed, retrying in %.1f s: %s", delay, exc, extra=self._ctx)
        self.queue.put_front(message)
        self.retry_waits.append(delay)
        async with self._pause:
            await self.sleep(delay)


__all__ = ["ChannelWorker", "backoff_delay"]
