"""Пауза циклічного збирача сміття на час обчислювального проходу (бектест).

Бектест накопичує сотні тисяч живих записів (рішення, сигнали, угоди), а циклів майже не
створює (на місяці 16 символів — кілька тисяч об'єктів): пам'ять звільняє підрахунок посилань.
Збирач же за кожним порогом знову обходить усі ці живі записи — до ~5 % часу прогону даремно.
Тому на час проходу він вимкнений, а після — повертається в той стан, в якому був.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Вимикає `gc` на час блоку; вмикає знову, лише якщо він був увімкнений (вкладення безпечне)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["gc_paused"]
