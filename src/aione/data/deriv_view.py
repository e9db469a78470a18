"""Короткий підсумок деривативних рядів символу для рядка кадру (`deriv`): чиста функція над `DerivStore`.

Поля (None — даних немає, нічого не вигадується):
- `book_imbalance` — (bid − ask) / (bid + ask) обсягів у смузі ±`book_band_pct` % останньої книги;
- `depth_usd` — bid_usd + ask_usd тієї ж книги; `book_age_sec` — вік книги за годинником біржі;
  `book_state` — fresh | stale | missing (старіша за `book_stale_ms` — stale);
- `oi` — останній відкритий інтерес; `oi_change_15m_pct` — зміна до точки 15 хв тому (на момент або раніше);
- `funding_rate` — остання ставка (частка: 0.0001 = 0.01 %); `funding_pct_rank` — частка історії
  ставок символу (ряд `mark`), не більша за поточну, у % (від `MIN_FUNDING_HISTORY` точок);
- `liq_usd_15m` — сума ліквідацій символу за 15 хв (0.0, якщо ряд є, а ліквідацій не було).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aione.data.deriv_store import DerivStore

WINDOW_MS = 15 * 60_000
MIN_FUNDING_HISTORY = 10


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def deriv_summary(
    store: DerivStore, symbol: str, now_ms: int, book_stale_ms: int | None = None
) -> dict[str, Any] | None:
    """Підсумок символу на `now_ms` (час біржі) або None, якщо сховище про символ нічого не має.
    `book_stale_ms` — межа свіжості книги, з якою її бачить Stage2 (None — межа сховища)."""
    book = store.series(symbol, "book")
    if book is None:
        return None
    oi = store.series(symbol, "oi")
    mark = store.series(symbol, "mark")
    liq = store.series(symbol, "liq")
    status = store.book_status(symbol, now_ms)
    state = status.state
    if book_stale_ms is not None and state in ("fresh", "stale") and status.age_ms is not None:
        state = "stale" if status.age_ms > book_stale_ms else "fresh"
    out: dict[str, Any] = {
        "book_state": state,
        "book_age_sec": None if status.age_ms is None else round(max(0, status.age_ms) / 1000.0, 1),
        "book_imbalance": None,
        "depth_usd": None,
        "oi": None,
        "oi_change_15m_pct": None,
        "funding_rate": None,
        "funding_pct_rank": None,
        "liq_usd_15m": None,
    }
    if len(book):
        out["book_imbalance"] = _finite(book.last("imbalance"))
        out["depth_usd"] = _finite(book.last("bid_usd") + book.last("ask_usd"))
    if oi is not None and len(oi):
        last = oi.last("open_interest")
        out["oi"] = _finite(last)
        before = oi.value_at("open_interest", now_ms - WINDOW_MS)
        if math.isfinite(before) and before > 0 and math.isfinite(last):
            out["oi_change_15m_pct"] = (last / before - 1.0) * 100.0
    if mark is not None and len(mark):
        rate = mark.last("funding_rate")
        out["funding_rate"] = _finite(rate)
        history = mark.column("funding_rate")
        if len(history) >= MIN_FUNDING_HISTORY and math.isfinite(rate):
            out["funding_pct_rank"] = float(np.count_nonzero(history <= rate)) / len(history) * 100.0
    if liq is not None:
        _, notional = liq.since(now_ms - WINDOW_MS, "notional")
        out["liq_usd_15m"] = float(notional.sum())
    return out


__all__ = ["MIN_FUNDING_HISTORY", "WINDOW_MS", "deriv_summary"]
