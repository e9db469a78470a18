"""Список `fast_symbols` — символи під наглядом, кожен зі своїм терміном дії (час подій, мс).

Правила:
- `set(symbols, source, now_ms)` замінює всі записи цього джерела (`auto` — від префільтра,
  `manual` — від людини); записи іншого джерела не чіпає. Термін — `now_ms + TTL джерела`
  (`FAST_SYMBOLS_TTL_AUTO` / `FAST_SYMBOLS_TTL_MANUAL`);
- `get(now_ms)` відкидає прострочені записи; seed-список `MANUAL_FAST_SYMBOLS_SEED` присутній
  завжди. Порядок: seed, далі ручні, далі автоматичні — кожні в тому порядку, в якому їх подали
  (префільтр подає за рангом), без повторів.
Настінного годинника тут немає: час передає викликач.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from aione.config.config import FAST_SYMBOLS_TTL_AUTO, FAST_SYMBOLS_TTL_MANUAL, MANUAL_FAST_SYMBOLS_SEED

Source = Literal["auto", "manual"]
_TTL_SEC: Mapping[str, int] = {"auto": FAST_SYMBOLS_TTL_AUTO, "manual": FAST_SYMBOLS_TTL_MANUAL}


class FastSymbols:
    """Реєстр символів під наглядом із TTL за джерелом."""

    def __init__(self, seed: Sequence[str] = MANUAL_FAST_SYMBOLS_SEED) -> None:
        self.seed: tuple[str, ...] = tuple(seed)
        # джерело → {символ: мс, коли запис стає простроченим}; dict зберігає порядок подачі
        self._entries: dict[str, dict[str, int]] = {"manual": {}, "auto": {}}
        self.version = 0  # росте на кожній зміні (для write-behind)

    def set(self, symbols: Iterable[str], *, source: Source, now_ms: int) -> None:
        """Замінює записи джерела `source`; кожен символ живе TTL джерела від `now_ms`."""
        if source not in _TTL_SEC:
            raise ValueError(f"unknown fast_symbols source {source!r}; expected 'auto' or 'manual'")
        expires = now_ms + _TTL_SEC[source] * 1000
        self._entries[source] = {s: expires for s in dict.fromkeys(symbols) if s}
        self.version += 1

    def get(self, now_ms: int) -> list[str]:
        """Чинні символи (seed завжди перші); прострочені записи видаляються."""
        out: dict[str, None] = dict.fromkeys(self.seed)
        for source in ("manual", "auto"):
            entries = self._entries[source]
            expired = [s for s, until in entries.items() if until <= now_ms]
            for s in expired:
                del entries[s]
            if expired:
                self.version += 1
            out.update(dict.fromkeys(entries))
        return list(out)

    def expiry(self, symbol: str) -> int | None:
        """Найпізніший термін дії символу серед джерел (мс) або None; seed — None."""
        times = [e[symbol] for e in self._entries.values() if symbol in e]
        return max(times) if times else None

    # ── Серіалізація (для Redis і диска) ──
    def to_dict(self) -> dict[str, Any]:
        return {source: dict(entries) for source, entries in self._entries.items()}

    def load_dict(self, data: Mapping[str, Any]) -> None:
        """Відновлює записи з `to_dict()`; невідомі джерела та нецілі терміни пропускаються."""
        for source in ("manual", "auto"):
            raw = data.get(source)
            if isinstance(raw, Mapping):
                self._entries[source] = {
                    str(s): int(t) for s, t in raw.items() if isinstance(t, int) and not isinstance(t, bool)
                }
        self.version += 1


__all__ = ["FastSymbols", "Source"]
