"""Нагляд за фоновими задачами: кожна задача стартує через один помічник, що журналює її збій."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from aione.logging_setup import get_logger

logger = get_logger(__name__)


class TaskSupervisor:
    """Тримає фонові задачі процесу; падіння задачі журналюється, зупинка — упорядкована."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.failures: list[tuple[str, BaseException]] = []

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Запускає задачу з ім'ям; її виняток не губиться, а журналюється й запам'ятовується."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._on_done)
        return task

    def _on_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.failures.append((task.get_name(), exc))
            logger.error("task_failed name=%s error=%r", task.get_name(), exc, exc_info=exc)

    @property
    def running(self) -> list[str]:
        return sorted(t.get_name() for t in self._tasks)

    async def stop(self, timeout: float = 5.0) -> None:
        """Скасовує всі задачі й чекає їх завершення не довше `timeout`."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)


__all__ = ["TaskSupervisor"]
