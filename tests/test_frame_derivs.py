"""`deriv` рядка кадру — з того самого знімка, що бачить Stage2 (`deriv_context`), і кеш
`FrameDerivs` дає ті самі числа, що прямий підсумок, поки йде час і надходять точки."""

from __future__ import annotations

import numpy as np

from aione.data.deriv_store import DerivStore
from aione.data.deriv_view import WINDOW_MS, FrameDerivs, deriv_summary
from aione.exchange.deriv_parsers import BookSnapshot, Liquidation, MarkFunding, OpenInterestPoint
from aione.signals.deriv_context import DEFAULT_DERIV_PARAMS, deriv_context, paced
from tests.test_stage3_trades import T0

MIN = 60_000


def _store(rng: np.random.Generator, t_end: int) -> DerivStore:
    store = DerivStore()
    for k in range(200):
        t = t_end - (200 - k) * MIN
        store.apply_mark(MarkFunding("BTCUSDT", 100.0, 99.9, float(rng.normal(1e-4, 5e-5)), t + MIN, t))
        if k % 3:  # пропуски опитувань OI
            store.apply_open_interest(OpenInterestPoint("BTCUSDT", t, 1e6 + float(rng.normal(0, 5e3))))
        if k % 17 == 0:
            side = "SELL" if k % 2 else "BUY"
            store.apply_liquidation(Liquidation("BTCUSDT", side, 100.0, 100.0, 3.0, 3.0, "FILLED", t, t))
    bids, asks = np.array([(99.9, 5.0), (99.5, 2.0)]), np.array([(100.1, 4.0), (100.6, 1.0)])
    store.apply_book(BookSnapshot("BTCUSDT", bids, asks, 1, t_end - 2_000))
    return store


def test_frame_deriv_agrees_with_the_stage2_snapshot() -> None:
    t = T0 + 400 * MIN
    store = _store(np.random.default_rng(3), t)
    params = paced(DEFAULT_DERIV_PARAMS, 60.0)
    for now in (t, t + 30_000, t + 200_000, t + 20 * MIN):
        shown = deriv_summary(store, "BTCUSDT", now, params=params)
        ctx = deriv_context(store.series, "BTCUSDT", now, params)
        assert shown is not None
        assert shown["oi"] == ctx.oi and shown["oi_change_15m_pct"] == ctx.oi_change_pct
        assert shown["funding_rate"] == ctx.funding_rate and shown["funding_pct_rank"] == ctx.funding_pct_rank
        assert shown["book_state"] == ctx.book_state and shown["book_imbalance"] == ctx.book_imbalance
        assert shown["depth_usd"] == ctx.depth_usd
    # без прискорення OI старший за 3 хв — невідомий, як у Stage2 (раніше кадр показував останній)
    late = deriv_summary(store, "BTCUSDT", t + 10 * MIN)
    assert late is not None and late["oi"] is None and late["funding_pct_rank"] is None
    assert late["oi_change_15m_pct"] is None


def test_cached_frame_derivs_equal_the_direct_summary_as_time_passes_and_points_arrive() -> None:
    rng = np.random.default_rng(11)
    t = T0 + 400 * MIN
    store = _store(rng, t)
    params = DEFAULT_DERIV_PARAMS
    clock = [t]
    derivs = FrameDerivs(store, params, lambda: clock[0])
    steps = 0
    while clock[0] < t + 30 * MIN:  # крізь межі свіжості OI/фінансування і краї вікна ліквідацій
        clock[0] += int(rng.integers(1_000, 40_000))
        event = int(rng.integers(0, 6))
        if event == 0:
            store.apply_open_interest(OpenInterestPoint("BTCUSDT", clock[0], 1e6 + float(rng.normal(0, 5e3))))
        elif event == 1:
            store.apply_mark(MarkFunding("BTCUSDT", 100.0, 99.9, float(rng.normal(1e-4, 5e-5)), 0, clock[0]))
        elif event == 2:
            store.apply_liquidation(
                Liquidation("BTCUSDT", "BUY", 100.0, 100.0, 1.5, 1.5, "FILLED", clock[0], clock[0])
            )
        got = derivs("BTCUSDT")
        want = deriv_summary(store, "BTCUSDT", clock[0], params=params)
        assert got == want, clock[0] - t
        steps += 1
    assert steps > 40
    assert derivs.recomputed < 3 * steps  # частини рахуються заново не на кожен виклик
    liq_window = deriv_summary(store, "BTCUSDT", clock[0], params=params)
    assert liq_window is not None and liq_window["liq_usd_15m"] is not None
    assert WINDOW_MS == 15 * MIN


def test_an_unchanged_deriv_summary_is_the_same_object() -> None:
    t = T0 + 400 * MIN
    store = _store(np.random.default_rng(5), t)
    store.apply_mark(MarkFunding("ETHUSDT", 100.0, 99.9, 1e-4, 0, t))  # символ без книги
    derivs = FrameDerivs(store, DEFAULT_DERIV_PARAMS, lambda: t + 1)
    first = derivs("ETHUSDT")
    assert first is not None and first["book_state"] == "missing"
    assert derivs("ETHUSDT") is first
    assert derivs("NOPEUSDT") is None
