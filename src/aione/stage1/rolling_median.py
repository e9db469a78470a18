"""Ковзна медіана за вікно фіксованої довжини: O(log n) пошук + O(n) зсув пам'яті, без numpy.

Для вікон у кілька сотень значень це дешевше за `np.median` на кожному оновленні
(немає виклику numpy і копіювання масиву). NaN у вікно не потрапляють (ігноруються).
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque


# ── Медіана ──
class RollingMedian:
    """Медіана останніх `window` скінченних значень; NaN, поки вікно не заповнене повністю."""

    __slots__ = ("_order", "_sorted", "window")

    def __init__(self, window: int) -> None:
        if window < 1:
            raise ValueError(f"RollingMedian: window must be >= 1, got {window}")
        self.window = window
        self._order: deque[float] = deque()
        self._sorted: list[float] = []

    def push(self, x: float) -> None:
        """Додає значення; найстаріше випадає, коли вікно повне."""
        if not math.isfinite(x):
            return
        if len(self._order) == self.window:
            old = self._order.popleft()
            del self._sorted[bisect_left(self._sorted, old)]
        self._order.append(x)
        insort(self._sorted, x)

    @property
    def full(self) -> bool:
        """Чи вікно заповнене."""
        return len(self._order) == self.window

    @property
    def value(self) -> float:
        """Медіана повного вікна, інакше NaN."""
        n = len(self._sorted)
        if n < self.window:
            return math.nan
        mid = n // 2
        if n % 2:
            return self._sorted[mid]
        return (self._sorted[mid - 1] + self._sorted[mid]) / 2.0

    def reset(self) -> None:
        """Очищає вікно."""
        self._order.clear()
        self._sorted.clear()

    def __len__(self) -> int:
        return len(self._order)


__all__ = ["RollingMedian"]
