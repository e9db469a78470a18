"""Прискорений ринок (демо ×300/×1000): межі свіжості книги, OI й марк-ціни — у настінному часі.
Без цього в демо кожна книга «застаріла» (вік у часі біржі = затримка × швидкість), і Stage2
перетворював кожен сигнал на WAIT_FOR_CONFIRMATION з причиною book_unusable."""

from __future__ import annotations

import orjson

from aione.data.deriv_store import DerivStore
from aione.data.deriv_view import deriv_summary
from aione.exchange.deriv_parsers import BookSnapshot, parse_stream_frame
from aione.signals.deriv_context import DEFAULT_DERIV_PARAMS, deriv_context, paced


def test_paced_scales_only_freshness_limits() -> None:
    p = paced(DEFAULT_DERIV_PARAMS, 300.0)
    assert p.book_stale_ms == DEFAULT_DERIV_PARAMS.book_stale_ms * 300
    assert p.oi_max_age_ms == DEFAULT_DERIV_PARAMS.oi_max_age_ms * 300
    assert p.mark_max_age_ms == DEFAULT_DERIV_PARAMS.mark_max_age_ms * 300
    assert p.oi_window_ms == DEFAULT_DERIV_PARAMS.oi_window_ms  # вікна ознак — у часі біржі
    assert p.liq_window_ms == DEFAULT_DERIV_PARAMS.liq_window_ms
    assert paced(DEFAULT_DERIV_PARAMS, 1.0) is DEFAULT_DERIV_PARAMS
    assert paced(DEFAULT_DERIV_PARAMS, 0.5) is DEFAULT_DERIV_PARAMS


def _store_with_book(ts: int) -> DerivStore:
    store = DerivStore()
    frame = {
        "stream": "btcusdt@depth20@100ms",
        "data": {
            "e": "depthUpdate", "E": ts, "T": ts, "s": "BTCUSDT", "U": 1, "u": 2, "pu": 0,
            "b": [["100.0", "5"], ["99.9", "5"]], "a": [["100.1", "4"], ["100.2", "4"]],
        },
    }  # fmt: skip
    event = parse_stream_frame(orjson.dumps(frame))
    assert isinstance(event, BookSnapshot) and store.apply(event)
    return store


def test_a_book_20_s_old_in_exchange_time_is_fresh_at_x1000_and_stale_at_x1() -> None:
    t0 = 1_700_000_000_000
    store = _store_with_book(t0)
    t = t0 + 20_000  # 20 с біржі = 20 мс настінного часу на ×1000
    live = deriv_context(store.series, "BTCUSDT", t, DEFAULT_DERIV_PARAMS)
    fast = deriv_context(store.series, "BTCUSDT", t, paced(DEFAULT_DERIV_PARAMS, 1000.0))
    assert live.book_state == "stale" and not live.book_fresh
    assert fast.book_state == "fresh" and fast.book_fresh
    # Рядок кадру показує книгу так само, як її бачить Stage2.
    assert deriv_summary(store, "BTCUSDT", t)["book_state"] == "stale"  # type: ignore[index]
    shown = deriv_summary(store, "BTCUSDT", t, paced(DEFAULT_DERIV_PARAMS, 1000.0).book_stale_ms)
    assert shown is not None and shown["book_state"] == "fresh"
