"""Перевірка знімка книги на вході сховища і похідні величини книги (чиста логіка, без I/O).

Причини відмови (англійські, як ключі лічильників):
- `empty` — одна зі сторін порожня;
- `non_finite` — NaN/inf у ціні чи кількості (парсер їх не пропускає, але знімок може прийти
  й не з парсера: симулятор, реплей);
- `bad_value` — ціна ≤ 0 або кількість < 0;
- `inverted` — bids не строго спадають або asks не строго зростають;
- `crossed` — найкращий bid ≥ найкращого ask (книга схрещена або «замкнена»).
"""

from __future__ import annotations

import math

import numpy as np

from aione.exchange.deriv_parsers import BookSnapshot, Levels

# ── Причини ──
REJECT_EMPTY = "empty"
REJECT_NON_FINITE = "non_finite"
REJECT_BAD_VALUE = "bad_value"
REJECT_INVERTED = "inverted"
REJECT_CROSSED = "crossed"
BOOK_REJECT_REASONS = (REJECT_EMPTY, REJECT_NON_FINITE, REJECT_BAD_VALUE, REJECT_INVERTED, REJECT_CROSSED)


def _side_reason(levels: Levels, descending: bool) -> str | None:
    if levels.ndim != 2 or levels.shape[0] == 0 or levels.shape[1] < 2:
        return REJECT_EMPTY
    if not np.isfinite(levels[:, :2]).all():
        return REJECT_NON_FINITE
    if (levels[:, 0] <= 0.0).any() or (levels[:, 1] < 0.0).any():
        return REJECT_BAD_VALUE
    if levels.shape[0] > 1:
        step = np.diff(levels[:, 0])
        if (step >= 0.0).any() if descending else (step <= 0.0).any():
            return REJECT_INVERTED
    return None


def _whole_book_ok(bids: Levels, asks: Levels) -> bool:
    """Ціла книга одним проходом: ціни від найгіршого bid до найгіршого ask строго зростають (це
    водночас порядок обох сторін і відсутність схрещення), усе скінченне, ціни > 0, кількості ≥ 0.
    False — щось не так (причину шукає `book_reason` по сторонах)."""
    if bids.ndim != 2 or asks.ndim != 2 or bids.shape[1] != 2 or asks.shape[1] != 2:
        return False
    if bids.shape[0] == 0 or asks.shape[0] == 0:
        return False
    levels = np.concatenate((bids[::-1], asks))
    prices = levels[:, 0]
    return bool(
        np.isfinite(levels).all()
        and prices[0] > 0.0
        and levels[:, 1].min() >= 0.0
        and (prices[1:] > prices[:-1]).all()
    )


def book_reason(book: BookSnapshot) -> str | None:
    """Причина відмови знімка або None, якщо книга ціла."""
    if _whole_book_ok(book.bids, book.asks):
        return None
    reason = _side_reason(book.bids, True) or _side_reason(book.asks, False)
    if reason is not None:
        return reason
    if book.bids[0, 0] >= book.asks[0, 0]:
        return REJECT_CROSSED
    return None


# ── Похідні величини ──
def mid_price(book: BookSnapshot) -> float:
    """Середина між найкращими bid і ask (NaN, якщо сторона порожня)."""
    return (book.best_bid + book.best_ask) / 2.0


def spread_bps(book: BookSnapshot) -> float:
    """Спред у базисних пунктах від середини."""
    mid = mid_price(book)
    return (book.best_ask - book.best_bid) / mid * 1e4 if mid > 0 else math.nan


def depth_within(levels: Levels, mid: float, band_pct: float, bid_side: bool) -> float:
    """Сума price × qty рівнів у смузі ±`band_pct` % від середини (у валюті котирування).

    Сторона впорядкована від найкращої ціни (перевірено `book_reason`), тож рівні в смузі — префікс
    сторони: рахується його довжина, далі один скалярний добуток."""
    if levels.shape[0] == 0 or not mid > 0:
        return 0.0
    prices = levels[:, 0]
    if bid_side:
        inside = int(np.count_nonzero(prices >= mid * (1.0 - band_pct / 100.0)))
    else:
        inside = int(np.count_nonzero(prices <= mid * (1.0 + band_pct / 100.0)))
    return float(np.dot(prices[:inside], levels[:inside, 1]))


def imbalance(bid_usd: float, ask_usd: float) -> float:
    """(bid − ask) / (bid + ask) у [−1, 1]; NaN, якщо обидві сторони порожні."""
    total = bid_usd + ask_usd
    return (bid_usd - ask_usd) / total if total > 0 else math.nan


def truncate(book: BookSnapshot, max_levels: int) -> BookSnapshot:
    """Той самий знімок, але не більше `max_levels` рівнів на сторону (копії, щоб не тримати
    великий масив REST-відповіді живим через view)."""
    if book.bids.shape[0] <= max_levels and book.asks.shape[0] <= max_levels:
        return book
    bids = np.array(book.bids[:max_levels], dtype=np.float64)
    asks = np.array(book.asks[:max_levels], dtype=np.float64)
    bids.flags.writeable = False
    asks.flags.writeable = False
    return BookSnapshot(
        book.symbol, bids, asks, book.update_id, book.event_time, book.transact_time, book.kind
    )


__all__ = [
    "BOOK_REJECT_REASONS",
    "REJECT_BAD_VALUE",
    "REJECT_CROSSED",
    "REJECT_EMPTY",
    "REJECT_INVERTED",
    "REJECT_NON_FINITE",
    "book_reason",
    "depth_within",
    "imbalance",
    "mid_price",
    "spread_bps",
    "truncate",
]
