"""Керування потоком каналу (чиста логіка): відро токенів і обмежена черга, що ніколи не блокує.

- `TokenBucket` — `rate` токенів за секунду, не більше `burst`; `wait_time()` каже, скільки чекати
  до наступного токена (годинник впорскується, тож тест не спить).
- `BoundedQueue` — черга повідомлень каналу; при переповненні викидає найстаріше повідомлення, яке
  можна відкласти в дайджест (сигнал), а якщо таких немає — найстаріше взагалі, і рахує викинуті.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from aione.notify.model import Message


class TokenBucket:
    """Відро токенів з годинником `clock` (секунди, монотонні)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = burst
        self._at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self._at) * self.rate)
        self._at = now

    def wait_time(self) -> float:
        """Секунд до наступного токена (0 — можна зараз)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> bool:
        """Забирає токен, якщо він є."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def drain(self) -> None:
        """Порожнє відро (сервіс сказав 429: наступний запит — не раніше за новий токен)."""
        self._refill()
        self.tokens = min(self.tokens, 0.0)


class BoundedQueue:
    """FIFO повідомлень з межею `maxlen`; `put` не блокує і повертає викинуте повідомлення."""

    def __init__(self, maxlen: int) -> None:
        if maxlen < 1:
            raise ValueError("queue needs maxlen >= 1")
        self.maxlen = maxlen
        self._items: deque[Message] = deque()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, message: Message) -> Message | None:
        """Додає в кінець; при переповненні викидає найстаріше відкладне (або найстаріше) і повертає його."""
        self._items.append(message)
        if len(self._items) <= self.maxlen:
            return None
        victim = next((m for m in self._items if m.digestable), self._items[0])
        self._items.remove(victim)
        self.dropped += 1
        return victim

    def put_front(self, message: Message) -> None:
        """Повертає повідомлення на початок (доставка не вдалась, повтор) — без межі: воно вже було в черзі."""
        self._items.appendleft(message)

    def pop(self) -> Message | None:
        return self._items.popleft() if self._items else None

    def items(self) -> list[Message]:
        return list(self._items)


__all__ = ["BoundedQueue", "TokenBucket"]
