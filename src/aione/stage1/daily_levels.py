"""Денні рівні символу: підтримка й опір для тригера пробою.

Правила:
- автоматичні рівні — мінімум і максимум ПОПЕРЕДНЬОЇ UTC-доби, зібрані з закритих 1m барів
  самим монітором (тож бектест і live бачать однакові рівні). Добу враховано, лише якщо її
  перший бар прийшов не пізніше `max_gap_ms` після 00:00 UTC: половина доби — не «вчорашній
  діапазон»;
- денні бари в `warmup` (якщо передані) задають автоматичні рівні з останнього денного бару,
  що закінчився до поточної доби;
- денні бари біржі (`known`: номер доби → (low, high), `exchange_levels`; наживо — закриті дні
  preload, у бектесті — записані `aione record`) мають перевагу: на переході в добу D (і на
  першому барі після скидання) рівні — діапазон біржового дня D−1, якщо він є, навіть коли 1m
  бари цієї доби неповні чи відсутні; без нього — правило 1m барів вище. Доба D−1 на той момент
  уже закрита, тож погляду вперед немає;
- `set_manual(support, resistance)` (наприклад, макрорівні Stage2) перекриває автоматичні,
  доки не буде знято викликом з обома None.
"""

from __future__ import annotations

from collections.abc import Mapping

from aione.data.bars import Bar, BarArrays

DAY_MS = 86_400_000
KnownDays = Mapping[int, tuple[float, float]]  # номер доби UTC → (low, high) денного бару біржі


def exchange_levels(days: BarArrays, before_ms: int | None = None) -> dict[int, tuple[float, float]]:
    """Денні бари біржі → {номер доби: (low, high)}; `before_ms` — лише дні, що почалися раніше
    (відкритий день сховища сюди не потрапляє)."""
    out: dict[int, tuple[float, float]] = {}
    for t, lo, hi in zip(days.open_time.tolist(), days.low.tolist(), days.high.tolist(), strict=True):
        if before_ms is None or t < before_ms:
            out[int(t) // DAY_MS] = (float(lo), float(hi))
    return out


# ── Рівні ──
class DailyLevels:
    """Автоматичні рівні з потоку барів плюс ручне перевизначення."""

    __slots__ = (
        "_auto_res",
        "_auto_sup",
        "_day",
        "_day_complete",
        "_day_high",
        "_day_low",
        "_man_res",
        "_man_sup",
        "_manual",
        "known",
        "max_gap_ms",
    )

    def __init__(self, max_gap_ms: int, known: KnownDays | None = None) -> None:
        self.max_gap_ms = max_gap_ms
        self.known = known  # дні біржі (див. модуль); `reset` їх не забуває — це дані, не стан
        self._manual = False
        self._man_sup: float | None = None
        self._man_res: float | None = None
        self.reset()

    def reset(self) -> None:
        """Забуває автоматичні рівні та поточну добу (ручні лишаються)."""
        self._auto_sup: float | None = None
        self._auto_res: float | None = None
        self._day = -1
        self._day_complete = False
        self._day_high = float("-inf")
        self._day_low = float("inf")

    def on_closed(self, bar: Bar) -> None:
        """Враховує закритий бар; на переході доби переносить діапазон повної доби в рівні."""
        day = bar.open_time // DAY_MS
        if day != self._day:
            known = self.known
            prev = known.get(day - 1) if known else None
            if prev is not None:
                self._auto_sup, self._auto_res = prev
            elif self._day >= 0 and self._day_complete and day == self._day + 1:
                self._auto_sup, self._auto_res = self._day_low, self._day_high
            elif self._day >= 0 and day != self._day + 1:
                self._auto_sup = self._auto_res = None  # пропущено цілу добу: рівні застаріли
            self._day = day
            self._day_complete = bar.open_time - day * DAY_MS <= self.max_gap_ms
            self._day_high = bar.high
            self._day_low = bar.low
        else:
            if bar.high > self._day_high:
                self._day_high = bar.high
            if bar.low < self._day_low:
                self._day_low = bar.low

    def seed(self, support: float, resistance: float) -> None:
        """Автоматичні рівні з денного бару (попередньої доби)."""
        self._auto_sup, self._auto_res = support, resistance

    def set_manual(self, support: float | None, resistance: float | None) -> None:
        """Ручні рівні; обидва None — повернення до автоматичних."""
        self._manual = support is not None or resistance is not None
        self._man_sup, self._man_res = support, resistance

    def peek(self, bar: Bar) -> tuple[float | None, float | None]:
        """(підтримка, опір), якими користувався б бар, не змінюючи стану (для відкритого бару:
        перший бар нової доби вже бачить діапазон щойно завершеної)."""
        if self._manual:
            return self._man_sup, self._man_res
        day = bar.open_time // DAY_MS
        if day != self._day and self.known:
            prev = self.known.get(day - 1)
            if prev is not None:
                return prev
        if day == self._day + 1 and self._day >= 0:
            if self._day_complete:
                return self._day_low, self._day_high
        elif day != self._day and self._day >= 0:
            return None, None
        return self._auto_sup, self._auto_res

    @property
    def manual(self) -> bool:
        """Чи діють ручні рівні."""
        return self._manual

    @property
    def support(self) -> float | None:
        """Чинна підтримка."""
        return self._man_sup if self._manual else self._auto_sup

    @property
    def resistance(self) -> float | None:
        """Чинний опір."""
        return self._man_res if self._manual else self._auto_res

    @property
    def current_day(self) -> int:
        """Номер поточної UTC-доби (мс // DAY_MS); -1, поки барів не було."""
        return self._day


__all__ = ["DAY_MS", "DailyLevels", "KnownDays", "exchange_levels"]
