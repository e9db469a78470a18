"""Лічильники й показники `UnifiedDataStore` — прості атрибути, які помічник метрик віддає Prometheus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class StoreStats:
    """Стан сховища для журналів і метрик.

    - `accepted` — прийнятих закритих барів (live і пакетних), `open_updates` — оновлень відкритих;
    - `rejected` — відкинутих за причиною (див. `bar_validation`), `gaps` — закритих барів після пропуску;
    - `bulk_overlap` — барів пакета (`put_bars`), час яких уже був збережений (пропущено, не помилка);
    - `redis_up`, `redis_errors`, `redis_pending` (ключів, ще не записаних у Redis), `redis_flushes`,
      `redis_resyncs` (повних перезаписів після збою або перезапуску Redis), `redis_bad_blocks`;
    - `ahead_dropped` — кілець, відкинутих на старті як кеш «з майбутнього» (новіший за стрічку);
    - `disk_flushes`, `disk_errors`, `last_flush_ms` (настінний час останнього успішного скидання на
      диск, мс епохи; 0 — ще не було), `last_flush_duration_ms`.
    """

    accepted: int = 0
    open_updates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    gaps: int = 0
    bulk_overlap: int = 0
    redis_up: bool = False
    redis_errors: int = 0
    redis_pending: int = 0
    redis_flushes: int = 0
    redis_resyncs: int = 0
    redis_bad_blocks: int = 0
    ahead_dropped: int = 0
    disk_flushes: int = 0
    disk_errors: int = 0
    last_flush_ms: int = 0
    last_flush_duration_ms: float = 0.0
    memory_fn: Callable[[], int] = field(default=lambda: 0, repr=False)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def memory_bytes(self) -> int:
        """Байти RAM під буферами барів (виділені numpy-масиви)."""
        return self.memory_fn()


__all__ = ["StoreStats"]
