"""Дедуплікація та охолодження алертів Stage1 (чиста логіка, час — час подій).

Рішення «новий алерт» ухвалюється лише на ЗАКРИТИХ барах:
- епізод — послідовність закритих барів поспіль із сигналом ALERT в одному напрямі
  (напрям None — окремий ключ "none"). Поки епізод триває, алерт не повторюється: його
  причина не зникла. Зміна напряму чи NORMAL між ними завершує епізод;
- новий епізод дає новий алерт, якщо для його напряму минуло щонайменше `cooldown_ms` від
  часу (open_time бару) попереднього виданого алерту в тому ж напрямі. Епізод, що почався під
  охолодженням, придушено повністю, навіть якщо триває довше за охолодження: це продовження
  того самого руху, а не нова подія.
"""

from __future__ import annotations

# ── Ворота ──
NO_DIRECTION = "none"


class AlertGate:
    """Стан воріт одного символу."""

    __slots__ = ("_episode", "cooldown_ms", "last_emit_ms")

    def __init__(self, cooldown_ms: int) -> None:
        self.cooldown_ms = cooldown_ms
        self._episode: str | None = None
        self.last_emit_ms: dict[str, int] = {}

    @property
    def episode_direction(self) -> str | None:
        """Ключ напряму поточного епізоду ALERT (None — епізоду немає)."""
        return self._episode

    def decide(self, alert: bool, direction: str | None, ts_ms: int) -> bool:
        """Враховує закритий бар; True — видати новий алерт."""
        if not alert:
            self._episode = None
            return False
        key = direction or NO_DIRECTION
        if self._episode == key:
            return False
        self._episode = key
        last = self.last_emit_ms.get(key)
        if last is not None and ts_ms - last < self.cooldown_ms:
            return False
        self.last_emit_ms[key] = ts_ms
        return True

    def would_emit(self, alert: bool, direction: str | None, ts_ms: int) -> bool:
        """Те саме рішення без зміни стану (для відкритого бару, лише як підказка)."""
        if not alert:
            return False
        key = direction or NO_DIRECTION
        if self._episode == key:
            return False
        last = self.last_emit_ms.get(key)
        return last is None or ts_ms - last >= self.cooldown_ms

    def reset_episode(self) -> None:
        """Завершує епізод (після розриву в барах); історія охолодження лишається."""
        self._episode = None


__all__ = ["NO_DIRECTION", "AlertGate"]
