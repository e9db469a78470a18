"""Дедуплікація та охолодження алертів Stage1 (чиста логіка, час — час подій).

Рішення «новий алерт» ухвалюється лише на ЗАКРИТИХ барах:
- епізод починається з закритого бару з сигналом ALERT; його ключ — напрям алерту (None —
  окремий ключ "none");
- епізод триває, поки його причина не зникла: на кожному наступному закритому барі або знову
  ALERT у тому ж напрямі, або хоч один тригер (навіть один, тобто NORMAL) тисне в той самий бік
  (для ключа "none" — будь-який тригер). Так тренд, у якому сигнал мерехтить ALERT/NORMAL,
  лишається одним алертом, а не новим кожні кілька хвилин;
- епізод завершується, коли на закритому барі в його бік не тисне жоден тригер, або коли
  з'являється ALERT в іншому напрямі (той відразу відкриває власний епізод);
- новий епізод дає новий алерт, якщо для його напряму минуло щонайменше `cooldown_ms` від часу
  (open_time бару) попереднього виданого алерту в тому ж напрямі. Епізод, що почався під
  охолодженням, придушено повністю, навіть якщо триває довше за охолодження: це продовження
  того самого руху, а не нова подія.
"""

from __future__ import annotations

from collections.abc import Collection

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
        """Ключ напряму поточного епізоду (None — епізоду немає)."""
        return self._episode

    def _continues(self, alert: bool, key: str, pressure: Collection[str | None]) -> bool:
        ep = self._episode
        if ep is None:
            return False
        if alert:
            return key == ep
        if ep == NO_DIRECTION:
            return len(pressure) > 0
        return ep in pressure

    def decide(
        self, alert: bool, direction: str | None, ts_ms: int, pressure: Collection[str | None] = ()
    ) -> bool:
        """Враховує закритий бар; True — видати новий алерт.

        `pressure` — напрями всіх тригерів, що спрацювали на барі (None для тригерів без напряму)."""
        key = direction or NO_DIRECTION
        if self._continues(alert, key, pressure):
            return False
        if not alert:
            self._episode = None
            return False
        self._episode = key
        last = self.last_emit_ms.get(key)
        if last is not None and ts_ms - last < self.cooldown_ms:
            return False
        self.last_emit_ms[key] = ts_ms
        return True

    def would_emit(
        self, alert: bool, direction: str | None, ts_ms: int, pressure: Collection[str | None] = ()
    ) -> bool:
        """Те саме рішення без зміни стану (для відкритого бару, лише як підказка)."""
        key = direction or NO_DIRECTION
        if not alert or self._continues(alert, key, pressure):
            return False
        last = self.last_emit_ms.get(key)
        return last is None or ts_ms - last >= self.cooldown_ms

    def reset_episode(self) -> None:
        """Завершує епізод (після розриву в барах); історія охолодження лишається."""
        self._episode = None


__all__ = ["NO_DIRECTION", "AlertGate"]
