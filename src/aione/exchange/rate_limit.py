"""Бюджет ваги запитів Binance за хвилинним вікном (чиста логіка, годинник ін'єктується).

Правила:
- вікно — хвилина за годинником клієнта (`clock() // 60000`), як у біржі за її часом;
- вага резервується ДО відправлення, тож паралельні запити не перескакують ліміт;
- запити, що ще летять на зміні вікна, зараховуються й новому вікну (біржа могла
  порахувати їх там) — консервативно;
- заголовок `X-MBX-USED-WEIGHT-1M` лише підвищує оцінку (інші процеси теж витрачають);
- після 429 ефективний ліміт зменшується вдвічі (не нижче 1/4) і відновлюється
  на 25 % за кожне нове вікно.
"""

from __future__ import annotations

from collections.abc import Callable

# ── Бюджет ──


class WeightBudget:
    """Облік використаної ваги в поточному вікні."""

    MIN_THROTTLE = 0.25
    RECOVERY = 1.25

    def __init__(self, limit: int, clock: Callable[[], int], window_ms: int = 60_000) -> None:
        if limit <= 0:
            raise ValueError("weight limit must be positive")
        self.limit = limit
        self._clock = clock
        self._window_ms = window_ms
        self._window = clock() // window_ms
        self._used = 0
        self._in_flight = 0
        self.throttle = 1.0
        self.max_used = 0  # найбільша вага, зарезервована в одному вікні (для перевірок)

    @property
    def effective_limit(self) -> int:
        """Ліміт з урахуванням пригальмування після 429."""
        self._roll()
        return self._effective()

    def _effective(self) -> int:
        return max(1, int(self.limit * self.throttle))

    @property
    def used(self) -> int:
        """Оцінка використаної ваги в поточному вікні."""
        self._roll()
        return self._used

    def _roll(self) -> int:
        now = self._clock()
        window = now // self._window_ms
        if window != self._window:
            self._window = window
            self._used = self._in_flight
            self.throttle = min(1.0, self.throttle * self.RECOVERY)
        return now

    def try_acquire(self, weight: int) -> int | None:
        """Резервує `weight`; None — можна йти, інакше мс до наступного вікна."""
        now = self._roll()
        fits = self._used + weight <= self._effective()
        if fits or (self._used == 0 and self._in_flight == 0):  # вага більша за ліміт: не блокуватись навіки
            self._used += weight
            self._in_flight += weight
            self.max_used = max(self.max_used, self._used)
            return None
        return (self._window + 1) * self._window_ms - now

    def release(self, weight: int) -> None:
        """Запит завершився (відповідь чи помилка): вага вже врахована, лише не «в польоті»."""
        self._in_flight = max(0, self._in_flight - weight)

    def observe(self, used_weight: int) -> None:
        """Значення заголовка від біржі для поточного вікна: оцінка не може бути меншою."""
        self._roll()
        if used_weight > self._used:
            self._used = used_weight
            self.max_used = max(self.max_used, self._used)

    def on_rate_limited(self) -> None:
        """Біржа відповіла 429: ліміт зменшується (коли повторювати, каже `Retry-After` клієнту)."""
        self._roll()
        self.throttle = max(self.MIN_THROTTLE, self.throttle / 2.0)


__all__ = ["WeightBudget"]
