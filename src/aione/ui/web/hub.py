"""Розсилка кадрів стану браузерам: один насос читає джерело, кожен клієнт має чергу «останній виграє».

Насос ніколи не чекає на браузер: кадр серіалізується в JSON один раз і кладеться в чергу
кожного клієнта без очікування; якщо черга повна, найстаріший кадр викидається (лічильник
`dropped`). Повільний браузер отримує пропущені кадри, а не зупинений сервер.
Кадр від джерела спершу проходить схему (`ui.frame_schema`): хибний відкидається й рахується
(`rejected`, одне попередження), сторінка бачить лише придатні кадри.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import orjson

from aione.logging_setup import get_logger, log_ctx
from aione.ui.frame_schema import FrameGuard

logger = get_logger(__name__)

Frame = Mapping[str, Any]


# ── Протокол джерела ──
class FrameSource(Protocol):
    """Будь-яке асинхронно-ітероване джерело кадрів (словників): підписка `StateBus`, Redis, тест."""

    def __aiter__(self) -> AsyncIterator[Frame]: ...


# ── Черга клієнта ──
class ClientQueue:
    """Обмежена черга (1–2 кадри) одного браузера: `offer` не чекає, повна черга втрачає найстаріший."""

    def __init__(self, maxsize: int = 1) -> None:
        if not 1 <= maxsize <= 2:
            raise ValueError("client queue size must be 1 or 2")
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def offer(self, text: str) -> None:
        """Кладе кадр; якщо місця немає — викидає найстаріший і рахує його як пропущений."""
        while self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(text)

    async def get(self) -> str:
        """Наступний (найсвіжіший доступний) кадр."""
        return await self._queue.get()

    def qsize(self) -> int:
        return self._queue.qsize()


# ── Розсилка ──
def frame_to_json(frame: Frame) -> str:
    """Кадр → рядок JSON для браузера; NaN/inf стають null, невідомі типи — рядками."""
    return orjson.dumps(frame, default=str, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def frame_ts_seconds(frame: Frame) -> float | None:
    """Час кадру в секундах епохи: приймає `ts` у секундах або мілісекундах; інше → None."""
    ts = frame.get("ts")
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not math.isfinite(ts) or ts <= 0:
        return None
    return float(ts) / 1000.0 if ts > 1e11 else float(ts)


class FrameHub:
    """Тримає останній кадр і розсилає його всім підписаним браузерам без очікування на них."""

    def __init__(self, queue_size: int = 1) -> None:
        self._queue_size = queue_size
        self._clients: set[ClientQueue] = set()
        self.latest: Frame | None = None
        self.latest_json: str | None = None
        self.frames = 0  # скільки кадрів прийнято від джерела
        self.dropped_total = 0  # пропущені кадри клієнтів, що вже від'єдналися
        self.received_at: float | None = None  # time.time() останнього кадру
        self.guard = FrameGuard(logger, "web")  # кадри, відкинуті схемою (`rejected`)

    # ── Клієнти ──
    def add_client(self) -> ClientQueue:
        """Нова черга браузера; якщо кадр уже є, він одразу в черзі."""
        client = ClientQueue(self._queue_size)
        if self.latest_json is not None:
            client.offer(self.latest_json)
        self._clients.add(client)
        return client

    def remove_client(self, client: ClientQueue) -> None:
        if client in self._clients:
            self._clients.discard(client)
            self.dropped_total += client.dropped

    @property
    def client_count(self) -> int:
        return len(self._clients)

    @property
    def dropped(self) -> int:
        """Усього пропущених кадрів (від'єднані й поточні клієнти)."""
        return self.dropped_total + sum(c.dropped for c in self._clients)

    # ── Кадри ──
    def publish(self, frame: Frame) -> None:
        """Приймає кадр: запам'ятовує і кладе в черги клієнтів. Синхронно, ніколи не чекає."""
        text = frame_to_json(frame)
        self.latest = frame
        self.latest_json = text
        self.frames += 1
        self.received_at = time.time()
        for client in self._clients:
            client.offer(text)

    async def pump(self, source: FrameSource) -> None:
        """Читає джерело до кінця; кадр, що не проходить схему, пропускається (лічильник, одне попередження)."""
        async for frame in source:
            if not self.guard.ok(frame):
                continue
            try:
                self.publish(frame)
            except (TypeError, orjson.JSONEncodeError) as exc:
                logger.warning("web_frame_not_serialisable error=%r", exc, extra=log_ctx("web"))
        logger.info("web_source_ended frames=%d", self.frames, extra=log_ctx("web"))

    def stats(self) -> dict[str, Any]:
        """Стан розсилки для `/healthz`."""
        latest = self.latest or {}
        ts = frame_ts_seconds(latest)
        return {
            "frames": self.frames,
            "clients": self.client_count,
            "dropped": self.dropped,
            "rejected": self.guard.rejected,
            "last_seq": latest.get("seq"),
            "frame_age_sec": None if ts is None else round(time.time() - ts, 3),
        }


__all__ = ["ClientQueue", "Frame", "FrameHub", "FrameSource", "frame_to_json", "frame_ts_seconds"]
