"""Кеші над деривативними рядами: лічильник змін `SeriesRing.version` і кадровий `FrameDerivs`,
що на кожен виклик дає рівно `deriv_summary` — після кожного виду зміни ряду (додано, заміщено в
кошику, заміщено з тим самим часом, забуто старі, ряд замінено цілком) і коли час кадру переходить
межі свіжості книги, OI, фінансування та край вікна ліквідацій."""

from __future__ import annotations

import numpy as np

from aione.data.deriv_series import ACCEPTED, OUT_OF_ORDER, REPLACED, SeriesRing
from aione.data.deriv_store import DerivStore
from aione.data.deriv_view import FrameDerivs, deriv_summary
from aione.exchange.deriv_parsers import BookSnapshot, Liquidation, MarkFunding, OpenInterestPoint
from aione.signals.deriv_context import DEFAULT_DERIV_PARAMS

MIN = 60_000
T0 = 1_700_000_000_000


# ── version ──
def test_version_grows_on_every_change_and_only_then() -> None:
    ring = SeriesRing(("v",), capacity=4, bucket_ms=1_000)
    assert ring.version == 0
    assert ring.append(10_000, (1.0,)) == ACCEPTED and ring.version == 1
    assert ring.append(10_500, (2.0,)) == REPLACED and ring.version == 2  # той самий кошик
    assert ring.append(9_000, (3.0,)) == OUT_OF_ORDER and ring.version == 2  # нічого не змінено
    for k in range(1, 8):  # понад ємність: старі точки витісняються, кожна вставка — зміна
        ring.append(10_000 + k * 1_000, (float(k),))
    assert ring.version == 9 and len(ring) == 4
    assert ring.drop_before(0) == 0 and ring.version == 9  # нічого не забуто
    assert ring.drop_before(16_000) == 2 and ring.version == 10
    same_ts = SeriesRing(("v",), capacity=4)
    same_ts.append(5, (1.0,))
    same_ts.append(5, (1.0,))  # заміщення тим самим значенням — теж запис
    assert same_ts.version == 2


# ── FrameDerivs == deriv_summary ──
def _book(symbol: str, t: int, uid: int, bid: float, ask: float, bid_qty: float) -> BookSnapshot:
    bids = np.array([(bid, bid_qty), (bid * 0.995, 2.0)])
    asks = np.array([(ask, 3.0), (ask * 1.005, 1.0)])
    return BookSnapshot(symbol, bids, asks, uid, t)


def _check(derivs: FrameDerivs, store: DerivStore, clock: list[int], symbol: str) -> None:
    got = derivs(symbol)
    want = deriv_summary(store, symbol, clock[0], params=DEFAULT_DERIV_PARAMS)
    assert got == want, (clock[0] - T0, got, want)
    if got is not None:
        assert list(got) == list(want or {})  # порядок полів кадру той самий


def test_frame_derivs_follow_every_kind_of_series_change() -> None:
    store = DerivStore()
    clock = [T0]
    derivs = FrameDerivs(store, DEFAULT_DERIV_PARAMS, lambda: clock[0])
    sym = "BTCUSDT"
    _check(derivs, store, clock, sym)  # символу ще немає
    store.apply_mark(MarkFunding(sym, 100.0, 99.9, 1e-4, 0, T0))
    _check(derivs, store, clock, sym)  # книги немає: missing
    for k in range(70):  # історія фінансування для перцентиля (не менше funding_min_points)
        store.apply_mark(MarkFunding(sym, 100.0, 99.9, 1e-4 * (1 + k % 7), 0, T0 + k * MIN))
    clock[0] = T0 + 69 * MIN
    _check(derivs, store, clock, sym)
    # заміщення в кошику марк-ряду: та сама довжина, новий час і нова ставка
    store.apply_mark(MarkFunding(sym, 101.0, 99.9, 9e-4, 0, T0 + 69 * MIN + 500))
    clock[0] += 1_000
    _check(derivs, store, clock, sym)
    # заміщення з тим самим часом (OI): довжина, перший і останній час ті самі, інше значення
    store.apply_open_interest(OpenInterestPoint(sym, clock[0] - 100, 1e6))
    _check(derivs, store, clock, sym)
    store.apply_open_interest(OpenInterestPoint(sym, clock[0] - 100, 2e6))
    _check(derivs, store, clock, sym)
    # книга: точка новіша за годинник кадру не входить у знімок, поки час її не дожене
    store.apply_book(_book(sym, clock[0] - 300, 1, 99.9, 100.1, 5.0))
    _check(derivs, store, clock, sym)
    store.apply_book(_book(sym, clock[0] + 1_500, 2, 99.8, 100.2, 9.0))
    _check(derivs, store, clock, sym)
    clock[0] += 1_500
    _check(derivs, store, clock, sym)
    # та сама секунда книги: заміщення в кошику з іншим дисбалансом
    store.apply_book(_book(sym, clock[0] + 200, 3, 99.8, 100.2, 1.0))
    clock[0] += 200
    _check(derivs, store, clock, sym)
    # схрещена книга (спред ≤ 0 у ряді метрик) — через відновлення ряду, як з диска
    crossed = {
        "ts": np.array([clock[0] + 1_000], dtype=np.int64),
        "mid": np.array([100.0]),
        "spread_bps": np.array([0.0]),
        "bid_usd": np.array([10.0]),
        "ask_usd": np.array([20.0]),
        "imbalance": np.array([-1 / 3]),
    }
    assert store.restore_series(sym, "book", crossed) == 1
    clock[0] += 1_000
    _check(derivs, store, clock, sym)
    # ліквідації: додано, а потім забуто старі (drop_before змінює лише початок ряду)
    store.apply_liquidation(Liquidation(sym, "SELL", 100.0, 100.0, 2.0, 2.0, "FILLED", clock[0], clock[0]))
    _check(derivs, store, clock, sym)
    clock[0] += 25 * 3_600_000  # > доби: книга застара, OI/марк застарі, ліквідація поза вікнами
    _check(derivs, store, clock, sym)
    store.apply_liquidation(Liquidation(sym, "BUY", 100.0, 100.0, 1.0, 1.0, "FILLED", clock[0], clock[0]))
    _check(derivs, store, clock, sym)
    # ряд OI замінено цілком (пакет preload старший за наявні точки): новий об'єкт ряду
    older = [OpenInterestPoint(sym, T0 - (k + 1) * MIN, 9e5 + k) for k in range(5)][::-1]
    store.put_open_interest(older)
    _check(derivs, store, clock, sym)


def test_frame_derivs_cross_freshness_and_window_edges_as_time_passes() -> None:
    """Без нових точок поля кадру змінюються лише з часом: межа свіжості книги (5 с), OI і
    фінансування, край 15-хвилинного вікна ліквідацій і доби «чи був потік ліквідацій» — кеш, що
    не помічає жодної з цих меж, тут розходиться з прямим підсумком."""
    store = DerivStore()
    sym = "ETHUSDT"
    for k in range(80):
        store.apply_mark(MarkFunding(sym, 100.0, 99.9, 1e-4 * (k % 5), 0, T0 + k * MIN))
        store.apply_open_interest(OpenInterestPoint(sym, T0 + k * MIN, 1e6 + 1e3 * k))
    end = T0 + 79 * MIN
    for k in range(3, -1, -1):
        t = end - k * 4 * MIN
        store.apply_liquidation(Liquidation(sym, "SELL", 100.0, 100.0, 1.0 + k, 1.0 + k, "FILLED", t, t))
    store.apply_book(_book(sym, end, 1, 99.9, 100.1, 5.0))
    clock = [end]
    derivs = FrameDerivs(store, DEFAULT_DERIV_PARAMS, lambda: clock[0])
    seen: dict[str, set[object]] = {
        "book_state": set(),
        "oi": set(),
        "funding_pct_rank": set(),
        "liq_usd_15m": set(),
    }
    step = 700  # не кратний жодній межі: проходить крізь кожну з точністю до кроку
    while clock[0] < end + 25 * 3_600_000:
        _check(derivs, store, clock, sym)
        got = derivs(sym)
        assert got is not None
        for name, values in seen.items():
            values.add(got[name])
        clock[0] += step if clock[0] < end + 40 * MIN else 37 * MIN
    assert seen["book_state"] == {"fresh", "stale"}
    assert None in seen["oi"] and len(seen["oi"]) > 1
    assert None in seen["funding_pct_rank"] and len(seen["funding_pct_rank"]) > 1
    assert len(seen["liq_usd_15m"]) >= 4 and 0.0 in seen["liq_usd_15m"]
    assert derivs.refreshed < 200  # проміжки без змін обслуговує кеш, а не повний знімок


def test_unchanged_symbol_costs_no_snapshot() -> None:
    """Поки ряди не змінюються і час кадру не дійшов до межі, запис символу не збирається заново."""
    store = DerivStore()
    sym = "SOLUSDT"
    store.apply_open_interest(OpenInterestPoint(sym, T0, 1e6))
    store.apply_book(_book(sym, T0, 1, 99.9, 100.1, 5.0))
    clock = [T0 + 10]
    derivs = FrameDerivs(store, DEFAULT_DERIV_PARAMS, lambda: clock[0])
    derivs(sym)
    refreshed, recomputed = derivs.refreshed, derivs.recomputed
    for _ in range(20):
        clock[0] += 100
        _check(derivs, store, clock, sym)
    assert (derivs.refreshed, derivs.recomputed) == (refreshed, recomputed)
    store.apply_book(_book(sym, clock[0], 2, 99.9, 100.1, 7.0))
    _check(derivs, store, clock, sym)
    assert derivs.refreshed == refreshed + 1
    assert derivs.recomputed == recomputed  # змінилась лише книга: частини OI/марк/ліквідацій з кешу


def test_mark_price_replacements_reuse_the_funding_rank_but_a_new_rate_does_not() -> None:
    """Заміщення в кошику марк-ряду з тією самою ставкою (рух марк-ціни) не перераховує перцентиль;
    нова ставка в тому ж кошику, нова точка чи старіння точки — перераховують, і поля завжди ті самі,
    що в прямому підсумку."""
    store = DerivStore()
    sym = "XRPUSDT"
    for k in range(70):
        store.apply_mark(MarkFunding(sym, 100.0, 99.9, 1e-4 * (1 + k % 7), 0, T0 + k * MIN))
    clock = [T0 + 69 * MIN + 1_000]
    derivs = FrameDerivs(store, DEFAULT_DERIV_PARAMS, lambda: clock[0])
    _check(derivs, store, clock, sym)
    base = derivs.recomputed
    rate = store.series(sym, "mark").last("funding_rate")  # type: ignore[union-attr]
    for k in range(5):  # марк-ціна рухається, ставка та сама
        clock[0] += 2_000
        store.apply_mark(MarkFunding(sym, 100.0 + k, 99.9, rate, 0, clock[0] - 500))
        _check(derivs, store, clock, sym)
    assert derivs.recomputed == base
    store.apply_mark(MarkFunding(sym, 100.0, 99.9, 7.5e-4, 0, clock[0]))  # нова ставка в тому ж кошику
    _check(derivs, store, clock, sym)
    assert derivs.recomputed == base + 1
    clock[0] += MIN  # нова точка в новому кошику з тією самою ставкою: вікно перцентиля зсунулось
    store.apply_mark(MarkFunding(sym, 100.0, 99.9, 7.5e-4, 0, clock[0]))
    _check(derivs, store, clock, sym)
    assert derivs.recomputed == base + 2
    clock[0] += DEFAULT_DERIV_PARAMS.mark_max_age_ms + 1  # точка застаріла
    _check(derivs, store, clock, sym)
    got = derivs(sym)
    assert got is not None and got["funding_rate"] is None
