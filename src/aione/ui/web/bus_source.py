"""Джерело кадрів із внутрішньопроцесної `StateBus`: спершу її знімок, далі кожен опублікований кадр."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aione.data.ws_worker import StateBus


class StateBusSource:
    """Підписується на шину під час ітерації й відписується, коли ітерацію зупинено.

    Підписка й читання знімка відбуваються без `await` між ними, тож кадр не губиться й не
    дублюється: усе, що опубліковано пізніше, прийде через чергу підписки."""

    def __init__(self, bus: StateBus, queue_size: int | None = None) -> None:
        self._bus = bus
        self._queue_size = queue_size

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        sub = self._bus.subscribe(self._queue_size)
        try:
            snapshot = self._bus.snapshot
            if snapshot is not None:
                yield snapshot
            async for frame in sub:
                yield frame
        finally:
            sub.close()


__all__ = ["StateBusSource"]
