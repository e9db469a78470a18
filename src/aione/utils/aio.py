"""Помічники asyncio, спільні для компонентів із власними фоновими задачами."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import MutableSequence
from typing import Any


async def cancel_and_wait(tasks: MutableSequence[asyncio.Task[Any]]) -> None:
    """Скасовує задачі, чекає кожну (очікувана відміна — не помилка; інший виняток задачі
    піднімається) і очищає список."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    tasks.clear()


__all__ = ["cancel_and_wait"]
