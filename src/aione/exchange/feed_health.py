"""Чиста логіка здоров'я фіду барів: дірки біржі, затримка повторів, застарілі символи.

- Дірка — бари, яких біржа не має: відповідь дозаповнення порожня чи коротка для відрізка,
  кінець якого біржа вже довела закритим (показала пізніший бар). Дірка записується один раз,
  послідовність символу йде далі з наступного бару.
- Збій дозаповнення (429, 418, 5xx, обрив) — не дірка: повтор з експоненційною затримкою.
- Застарілий символ — немає жодного закритого бару `STALE_AFTER_INTERVALS` інтервалів за
  годинником біржі; кадр позначає його `stale`, ворота сигналів придушують його сигнали
  (`signals.gate.STALE_FEED_REASON`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

STALE_AFTER_INTERVALS = 3  # інтервалів без закритого бару — символ застарілий
# Ще й стільки секунд настінного часу без закритого бару: на прискореному симуляторі (×1000)
# три інтервали — це 0.18 с, і звичайна затримка обробки інакше «заморожувала» б усі символи.
STALE_MIN_SILENT_SEC = 3.0
MAX_HOLES_KEPT = 1_000  # останніх дірок у пам'яті (для звіту й тестів); лічильники — без меж


# ── Дірки ──
@dataclass(frozen=True, slots=True)
class Hole:
    """Бари з open_time у [first, last] (крок `interval_ms`), яких біржа не має."""

    symbol: str
    first: int
    last: int
    interval_ms: int

    @property
    def bars(self) -> int:
        return (self.last - self.first) // self.interval_ms + 1


def missing_spans(times: Iterable[int], start: int, stop: int, interval_ms: int) -> list[tuple[int, int]]:
    """Відрізки [перший, останній] open_time, яких бракує серед `times` у [start, stop)."""
    spans: list[tuple[int, int]] = []
    expected = start
    for t in sorted(x for x in times if start <= x < stop):
        if t > expected:
            spans.append((expected, t - interval_ms))
        expected = max(expected, t + interval_ms)
    if expected < stop:
        spans.append((expected, expected + (stop - 1 - expected) // interval_ms * interval_ms))
    return spans


@dataclass(slots=True)
class HoleBook:
    """Записані дірки: лічильники без меж і останні `MAX_HOLES_KEPT` записів."""

    holes: int = 0
    hole_bars: int = 0
    recent: deque[Hole] = field(default_factory=lambda: deque(maxlen=MAX_HOLES_KEPT))

    def add(self, hole: Hole) -> None:
        self.holes += 1
        self.hole_bars += hole.bars
        self.recent.append(hole)

    def bars_of(self, symbol: str) -> set[int]:
        """open_time усіх записаних барів-дірок символу (з тих, що ще в пам'яті)."""
        out: set[int] = set()
        for h in self.recent:
            if h.symbol == symbol:
                out.update(range(h.first, h.last + 1, h.interval_ms))
        return out


# ── Повтори ──
def retry_delay(failures: int, base: float, cap: float) -> float:
    """Затримка перед повтором після `failures` невдач поспіль: base·2^(n−1), не більше cap."""
    if failures <= 0:
        return 0.0
    return min(cap, base * 2 ** min(failures - 1, 30))


# ── Застарілість ──
def stale_reason(
    last_closed: int | None, now_ms: int, interval_ms: int, after: int = STALE_AFTER_INTERVALS
) -> str | None:
    """Причина застарілості символу або None: останній закритий бар відкрився `last_closed` і
    закрився через інтервал; якщо відтоді минуло `after` інтервалів без нового — застарілий."""
    if last_closed is None:
        return None
    silent = now_ms - (last_closed + interval_ms)
    if silent < after * interval_ms:
        return None
    return f"no closed bar for {silent // interval_ms} intervals"


def stale_symbols(
    last_closed: Mapping[str, int | None],
    now_ms: int,
    interval_ms: int,
    after: int = STALE_AFTER_INTERVALS,
    silent_sec: Mapping[str, float] | None = None,
    min_silent_sec: float = STALE_MIN_SILENT_SEC,
) -> dict[str, str]:
    """Символ → причина для всіх застарілих. `silent_sec` — скільки секунд настінного часу символ
    не отримував закритого бару (None — не зважати): менше за `min_silent_sec` — ще не застарілий."""
    out: dict[str, str] = {}
    for symbol, last in last_closed.items():
        if silent_sec is not None and silent_sec.get(symbol, float("inf")) < min_silent_sec:
            continue
        reason = stale_reason(last, now_ms, interval_ms, after)
        if reason is not None:
            out[symbol] = reason
    return out


__all__ = [
    "MAX_HOLES_KEPT",
    "STALE_AFTER_INTERVALS",
    "STALE_MIN_SILENT_SEC",
    "Hole",
    "HoleBook",
    "missing_spans",
    "retry_delay",
    "stale_reason",
    "stale_symbols",
]
