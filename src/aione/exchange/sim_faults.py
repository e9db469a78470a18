"""План несправностей симулятора: що, як часто й наскільки сильно (чисті дані й розклад, без I/O).

Періоди — у секундах НАСТІННОГО часу (0 — вимкнено); перша несправність кожного виду — через
один період після старту. Дірки біржі (`missing_every`) — не періодичні: симулятор вирізає з
записів кожен N-й бар після старту (зсув свій для кожного символу), тож REST і WS їх не мають.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

FAULT_KINDS = (
    "drop",
    "http429",
    "ban",
    "malformed",
    "stall",
    "clock_jump",
    "book_gap",
    "book_disorder",
    "book_crossed",
)


# ── План ──
@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Несправності симулятора (див. модуль)."""

    drop_every: float = 0.0  # рвати всі WS-з'єднання
    http429_every: float = 0.0  # наступні `http429_count` REST-запитів — 429
    http429_count: int = 3
    http429_retry_after: float = 0.5
    ban_every: float = 0.0  # 418 на всі REST-запити `ban_seconds` с
    ban_seconds: float = 2.0
    malformed_every: float = 0.0  # `malformed_count` зіпсованих кадрів перед справжніми
    malformed_count: int = 5
    stall_every: float = 0.0  # WS мовчить `stall_seconds` с (кадри втрачено)
    stall_seconds: float = 2.0
    stall_rest: bool = False  # під час затримки й REST відповідає із затримкою
    clock_jump_every: float = 0.0  # годинник біржі стрибає вперед; кадри стрибка втрачено
    clock_jump_minutes: float = 3.0
    missing_every: int = 0  # біржа не має кожного N-го бару після старту (0 — немає дірок)
    faults_for: float = 0.0  # періодичні несправності лише перші N с (0 — весь час), далі — тиша
    # деривативні потоки (книга, марк-ціна, ліквідації):
    book_gap_every: float = 0.0  # кадри цих потоків не надсилаються `book_gap_seconds` с (пропуск `u`)
    book_gap_seconds: float = 2.0
    book_disorder_every: float = 0.0  # наступний кадр книги кожного символу має `u` менший за попередній
    book_crossed_every: float = 0.0  # наступний кадр книги кожного символу схрещений (bid ≥ ask)

    def periods(self) -> dict[str, float]:
        """Вид → період (с) для ввімкнених періодичних несправностей."""
        every = {
            "drop": self.drop_every,
            "http429": self.http429_every,
            "ban": self.ban_every,
            "malformed": self.malformed_every,
            "stall": self.stall_every,
            "clock_jump": self.clock_jump_every,
            "book_gap": self.book_gap_every,
            "book_disorder": self.book_disorder_every,
            "book_crossed": self.book_crossed_every,
        }
        return {kind: float(p) for kind, p in every.items() if p > 0}

    @property
    def active(self) -> bool:
        return bool(self.periods()) or self.missing_every > 0


def all_faults(every: float = 5.0, missing_every: int = 20) -> FaultPlan:
    """Усі несправності разом (для soak-прогону): періоди рознесено, щоб вони не збігались."""
    return FaultPlan(
        drop_every=every,
        http429_every=every * 0.7,
        ban_every=every * 2.3,
        ban_seconds=min(2.0, every / 2),
        malformed_every=every * 0.5,
        stall_every=every * 1.9,
        stall_seconds=min(2.0, every / 2),
        clock_jump_every=every * 1.3,
        missing_every=missing_every,
        book_gap_every=every * 1.7,
        book_gap_seconds=min(2.0, every / 2),
        book_disorder_every=every * 1.1,
        book_crossed_every=every * 0.9,
    )


def build_plan(everything: bool, overrides: Mapping[str, float | int | bool | None]) -> FaultPlan:
    """План для CLI: `all_faults()` чи порожній, поверх — задані (не None) поля."""
    base = all_faults() if everything else FaultPlan()
    given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    return replace(base, **given)


def describe(plan: FaultPlan) -> str:
    """Один рядок: що ввімкнено (для старту `aione simulate`)."""
    parts = [f"{kind} every {every:g}s" for kind, every in plan.periods().items()]
    if plan.missing_every:
        parts.append(f"exchange misses every {plan.missing_every}th bar")
    if parts and plan.faults_for > 0:
        parts.append(f"periodic faults for the first {plan.faults_for:g}s")
    return "faults: " + (", ".join(parts) if parts else "none")


# ── Розклад ──
class FaultSchedule:
    """Коли наступна несправність кожного виду (час — будь-який монотонний, у секундах)."""

    def __init__(self, periods: Mapping[str, float], start: float) -> None:
        self.periods = dict(periods)
        self.next_at = {kind: start + p for kind, p in self.periods.items()}
        self._end = float("inf")

    def stop_after(self, end: float) -> None:
        """Після моменту `end` несправностей більше немає."""
        self.next_at = {kind: at for kind, at in self.next_at.items() if at <= end}
        self._end = end

    def due(self, now: float) -> list[str]:
        """Види, час яких настав (кожен — раз; наступний — через свій період)."""
        out = [kind for kind, at in self.next_at.items() if at <= now]
        for kind in out:
            self.next_at[kind] = max(self.next_at[kind] + self.periods[kind], now)
            if self.next_at[kind] > self._end:
                del self.next_at[kind]
        return sorted(out, key=FAULT_KINDS.index)

    def wait(self, now: float) -> float:
        """Скільки чекати до найближчої несправності (безмежно — якщо жодної)."""
        return max(0.0, min(self.next_at.values()) - now) if self.next_at else float("inf")


# ── Дірки біржі ──
def hole_times(open_time: np.ndarray, start_ms: int, every: int, offset: int) -> list[int]:
    """open_time кожного `every`-го бару з тих, що відкриваються після `start_ms` (зі зсувом)."""
    if every <= 0:
        return []
    first = int(np.searchsorted(open_time, start_ms, side="right"))
    picked = open_time[first + offset % every :: every]
    return [int(t) for t in picked.tolist()]


def hole_plan(series_times: Mapping[str, np.ndarray], start_ms: int, every: int) -> dict[str, list[int]]:
    """Символ → open_time барів, яких біржа не матиме (зсув залежить від порядку символу)."""
    names: Iterable[str] = sorted(series_times)
    return {
        name: hole_times(series_times[name], start_ms, every, offset=every // 2 + 3 * i)
        for i, name in enumerate(names)
    }


__all__ = [
    "FAULT_KINDS",
    "FaultPlan",
    "FaultSchedule",
    "all_faults",
    "build_plan",
    "describe",
    "hole_plan",
    "hole_times",
]
