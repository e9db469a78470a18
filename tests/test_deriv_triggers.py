"""Тригери деривативів Stage1 (issue 16): oi_surge, funding_extreme, liquidation_cluster, taker_imbalance.

Кожен спрацьовує на ручному ряді й мовчить на рівному; без рядів (лише бари) не спрацьовує ніколи;
інкрементний монітор зі сховищем (`DerivStore.series`) і batch-двійник на записаних рядах
(`recorded_source`) дають побітово ті самі нові алерти; знімок на момент t не бачить точок після t.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from aione.config.config import DERIV_TRIGGER_TAGS, STAGE2_CONFIG
from aione.data.bar_validation import bars_to_arrays
from aione.data.bars import Bar, BarArrays, BarEvent, read_bars_parquet
from aione.data.deriv_store import DerivStore
from aione.exchange.deriv_parsers import BookSnapshot, Liquidation, MarkFunding, OpenInterestPoint
from aione.signals.deriv_context import (
    SeriesSource,
    deriv_columns,
    deriv_context,
    recorded_source,
    row,
)
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.batch_monitor import batch_new_alerts
from aione.stage1.result import Stage1Result

MIN = 60_000
T0 = 1_748_736_000_000  # 2025-06-01 00:00 UTC
SYM = "TESTUSDT"
N = 400  # барів: індикатори монітора готові задовго до подій
EVENT = 330  # хвилина, з якої в рядах відбувається подія
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance-um-1m-2025-05"
ALL_TAGS = tuple(STAGE2_CONFIG["switches"]["triggers"])
ONE_REASON = {"min_reasons_for_alert": 1, "cooldown_sec": 60}


# ── Побудова ──
def _bar(i: int, o: float, c: float, v: float = 10.0, taker: float | None = None) -> Bar:
    tb = v / 2 if taker is None else taker
    hi, lo = max(o, c) + 0.05, min(o, c) - 0.05
    return Bar(T0 + i * MIN, o, hi, lo, c, v, quote_volume=v * c, trades=50, taker_buy_volume=tb)


def flat_bars(n: int = N, *, taker_share: float = 0.5, trend: float = 0.0) -> list[Bar]:
    """Тихі бари навколо 100 (±0.05), опційно з дрейфом `trend` за бар і заданою часткою тейкерів."""
    out = []
    for i in range(n):
        base = 100.0 + trend * i
        o, c = (base - 0.025, base + 0.025) if i % 2 == 0 else (base + 0.025, base - 0.025)
        v = 10.0 * (1.05 if i % 2 else 0.95)
        out.append(_bar(i, o, c, v, v * taker_share))
    return out


def monitor(tags: Iterable[str], source: SeriesSource | None, **params: Any) -> AssetMonitor:
    wanted = set(tags)
    switches = {t: t in wanted for t in ALL_TAGS}
    return AssetMonitor(switches=switches, symbol_overrides={SYM: {**ONE_REASON, **params}}, deriv_source=source)


def run(mon: AssetMonitor, bars: Sequence[Bar], symbol: str = SYM) -> list[Stage1Result]:
    return [mon.update(BarEvent(symbol, "1m", b)) for b in bars]


def reasons(results: Sequence[Stage1Result]) -> set[str]:
    return {r for res in results for r in res.trigger_reasons}


def store_with(
    *,
    oi: Sequence[float] | None = None,
    funding: Sequence[float] | None = None,
    liqs: Sequence[tuple[int, str, float]] = (),
    books: Sequence[tuple[int, float, float]] = (),
    symbol: str = SYM,
) -> DerivStore:
    """Сховище з OI і фінансуванням раз на хвилину (у середині хвилини), ліквідаціями
    (хвилина, бік, USDT) і книгами (мс, bid qty, ask qty навколо 100)."""
    store = DerivStore()
    for i, v in enumerate(oi or ()):
        assert store.apply_open_interest(OpenInterestPoint(symbol, T0 + i * MIN + 30_000, v))
    for i, r in enumerate(funding or ()):
        assert store.apply_mark(MarkFunding(symbol, 100.0, 100.0, r, T0 + 8 * 3_600_000, T0 + i * MIN + 20_000))
    for k, (i, side, usd) in enumerate(sorted(liqs, key=lambda x: x[0])):
        t = T0 + i * MIN + 1_000 + k
        assert store.apply_liquidation(Liquidation(symbol, side, 100.0, 100.0, usd / 100.0, usd / 100.0, "FILLED", t, t))  # type: ignore[arg-type]
    for k, (t, bq, aq) in enumerate(books):
        bids = np.array([[99.99, bq], [99.5, bq]])
        asks = np.array([[100.01, aq], [100.5, aq]])
        assert store.apply_book(BookSnapshot(symbol, bids, asks, k + 1, t))
    return store


def recorded(store: DerivStore) -> SeriesSource:
    """Записані ряди сховища (як їх прочитає бектест) — джерело batch-двійника."""
    series: dict[str, dict[str, Any]] = {}
    for symbol, kind, ring in store.iter_series():
        series.setdefault(symbol, {})[kind] = ring.to_columns()
    return recorded_source(series)


def same_alerts(bars: Sequence[Bar], store: DerivStore | None, tags: Iterable[str], **params: Any) -> list[Stage1Result]:
    """Нові алерти монітора зі сховищем = batch-двійник на записаних рядах (побітово); повертає їх."""
    tags = list(tags)
    mon = monitor(tags, store.series if store is not None else None, **params)
    live = [r for r in run(mon, bars) if r.new_alert]
    switches = {t: t in tags for t in ALL_TAGS}
    batch = batch_new_alerts(
        SYM,
        bars_to_arrays(list(bars)),
        {**ONE_REASON, **params},
        switches=switches,
        deriv_source=recorded(store) if store is not None else None,
    )
    assert [orjson.dumps(r.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY) for r in batch] == [
        orjson.dumps(r.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY) for r in live
    ]
    return live


# ── oi_surge ──
def _oi_path(jump_pct: float) -> list[float]:
    """OI 1000 ± крихітний шум, з хвилини EVENT — ріст на jump_pct % за 5 хв."""
    out = []
    for i in range(N):
        v = 1000.0 + (0.01 if i % 2 else -0.01)
        if i >= EVENT:
            v *= 1.0 + jump_pct / 100.0 * min(1.0, (i - EVENT + 1) / 5.0)
        out.append(v)
    return out


def test_oi_surge_fires_on_a_surge_with_flat_price_and_not_on_flat_oi() -> None:
    bars = flat_bars()
    res = run(monitor(["oi_surge"], store_with(oi=_oi_path(6.0)).series), bars)
    hit = [r for r in res if "oi_surge" in r.trigger_reasons]
    assert hit and hit[0].timestamp >= T0 + EVENT * MIN
    d = hit[0].trigger_details["oi_surge"]
    assert d["oi_change_pct"] > 1.0 and d["oi_z"] >= 3.0 and abs(d["price_change_pct"]) < 0.2
    assert hit[0].direction is None
    assert not reasons(run(monitor(["oi_surge"], store_with(oi=_oi_path(0.0)).series), bars))


def test_oi_surge_takes_the_price_direction() -> None:
    bars = flat_bars(trend=0.02)  # +0.3 % за 15 хв
    res = run(monitor(["oi_surge"], store_with(oi=_oi_path(6.0)).series), bars)
    up = [r for r in res if "oi_surge_up" in r.trigger_reasons]
    assert up and up[0].direction == "up"


# ── funding_extreme ──
def test_funding_extreme_fires_at_a_high_percentile_and_not_on_flat_funding() -> None:
    bars = flat_bars()
    rates = [0.0001] * EVENT + [0.0006] * (N - EVENT)
    res = run(monitor(["funding_extreme"], store_with(funding=rates).series), bars)
    hit = [r for r in res if "funding_extreme_high" in r.trigger_reasons]
    assert hit and hit[0].direction == "down"
    assert hit[0].trigger_details["funding_extreme_high"]["funding_pct_rank"] >= 95.0
    low = [0.0001] * EVENT + [-0.0004] * (N - EVENT)
    res = run(monitor(["funding_extreme"], store_with(funding=low).series), bars)
    assert any("funding_extreme_low" in r.trigger_reasons for r in res)
    assert not reasons(run(monitor(["funding_extreme"], store_with(funding=[0.0003] * N).series), bars))


# ── liquidation_cluster ──
def test_liquidation_cluster_fires_on_a_cluster_and_not_without_one() -> None:
    bars = flat_bars()
    liqs = [(EVENT + k % 3, "SELL", 60_000.0) for k in range(6)] + [(EVENT, "BUY", 5_000.0)]
    res = run(monitor(["liquidation_cluster"], store_with(liqs=liqs).series), bars)
    hit = [r for r in res if "liquidation_cluster_long" in r.trigger_reasons]
    assert hit and hit[0].direction == "up" and hit[0].timestamp == T0 + EVENT * MIN
    longs = [r.trigger_details["liquidation_cluster_long"]["liq_long_usd"] for r in hit]
    assert longs[0] == 120_000.0 and max(longs) == 360_000.0  # сума за 5 хв: 2, потім усі 6 ліквідацій
    small = [(EVENT, "SELL", 20_000.0), (EVENT + 50, "BUY", 30_000.0)]
    assert not reasons(run(monitor(["liquidation_cluster"], store_with(liqs=small).series), bars))


# ── taker_imbalance ──
def test_taker_imbalance_fires_on_absorbed_buying_only_with_derivatives() -> None:
    bars = flat_bars()
    buying = bars[:EVENT] + [replace(b, taker_buy_volume=b.volume * 0.85) for b in bars[EVENT:]]
    res = run(monitor(["taker_imbalance"], DerivStore().series), buying)
    hit = [r for r in res if "taker_buy_imbalance" in r.trigger_reasons]
    assert hit and hit[0].direction == "up"
    assert hit[0].trigger_details["taker_buy_imbalance"]["cvd_ratio"] >= 0.25
    assert not reasons(run(monitor(["taker_imbalance"], DerivStore().series), bars))  # 50/50 — рівно
    assert not reasons(run(monitor(["taker_imbalance"], None), buying))  # лише бари — мовчить
    unknown = [replace(b, taker_buy_volume=math.nan) for b in buying]
    assert not reasons(run(monitor(["taker_imbalance"], DerivStore().series), unknown))


# ── Відсутні ряди ──
def test_absent_series_never_fire() -> None:
    bars = flat_bars()
    buying = bars[:EVENT] + [replace(b, taker_buy_volume=b.volume * 0.85) for b in bars[EVENT:]]
    other = store_with(oi=_oi_path(6.0), funding=[0.0001] * EVENT + [0.0006] * (N - EVENT), symbol="OTHERUSDT")
    for source in (None, DerivStore().series, other.series):
        res = run(monitor(DERIV_TRIGGER_TAGS, source), bars)
        assert not reasons(res)
    # без джерела жоден тригер деривативів не спрацьовує навіть на барах з потоком тейкерів
    assert not reasons(run(monitor(DERIV_TRIGGER_TAGS, None), buying))


# ── Інкрементна = пакетна ──
def _synthetic_store(bars: BarArrays, seed: int = 7) -> DerivStore:
    """OI, фінансування, ліквідації й книги навколо реальних барів: випадкові блукання зі сплесками."""
    rng = np.random.default_rng(seed)
    n = len(bars)
    store = DerivStore()
    oi = 50_000.0
    rate = 0.0001
    for i in range(n):
        t0 = int(bars.open_time[i])
        oi *= 1.0 + rng.normal(0, 0.0005) + (0.01 if i % 240 in range(200, 206) else 0.0)
        if i % 7 != 3:  # пропуски опитувань
            store.apply_open_interest(OpenInterestPoint(SYM, t0 + 15_000 + int(rng.integers(0, 20_000)), oi))
        rate = float(np.clip(rate + rng.normal(0, 0.00003), -0.001, 0.002))
        store.apply_mark(MarkFunding(SYM, float(bars.close[i]), float(bars.close[i]), rate, t0 + 3_600_000, t0 + 40_000))
        if rng.random() < 0.08:
            for k in range(int(rng.integers(1, 6))):
                side = "SELL" if rng.random() < 0.7 else "BUY"
                usd = float(rng.lognormal(10.5, 1.2))
                tt = t0 + 1_000 * (k + 1)
                store.apply_liquidation(Liquidation(SYM, side, 100.0, 100.0, usd / 100.0, usd / 100.0, "FILLED", tt, tt))  # type: ignore[arg-type]
        if i % 3:
            mid = float(bars.close[i])
            bids = np.array([[mid * 0.9999, rng.uniform(1, 9)], [mid * 0.995, rng.uniform(1, 9)]])
            asks = np.array([[mid * 1.0001, rng.uniform(1, 9)], [mid * 1.005, rng.uniform(1, 9)]])
            store.apply_book(BookSnapshot(SYM, bids, asks, i + 1, t0 + 59_000 - int(rng.integers(0, 9_000))))
    return store


def _real_bars(n: int = 2_000) -> BarArrays:
    arr = read_bars_parquet(DATA / "ETHUSDT.parquet").slice(10_000, 10_000 + n)
    share = np.clip(0.5 + (arr.close - arr.open) / np.maximum(arr.high - arr.low, 1e-9) * 0.4, 0.05, 0.95)
    # тейкери — як у симуляторі (частка за тілом бару), кількість угод відома
    return BarArrays(
        arr.open_time,
        arr.open,
        arr.high,
        arr.low,
        arr.close,
        arr.volume,
        arr.quote_volume,
        np.full(n, 100, dtype=np.int64),
        arr.volume * share,
        arr.quote_volume * share,
    )


@pytest.mark.skipif(not DATA.is_dir(), reason="shared data not mounted")
def test_monitor_with_store_equals_batch_twin_on_recorded_series() -> None:
    arrays = _real_bars()
    bars = [arrays.bar(i) for i in range(len(arrays))]
    store = _synthetic_store(arrays)
    loose = {"oi_z_threshold": 2.0, "oi_min_change_pct": 0.3, "funding_pct_high": 90.0, "funding_high_min": 0.0,
             "funding_pct_low": 10.0, "funding_low_max": 0.001, "liq_min_usd": 20_000.0, "liq_volume_share": 0.0,
             "taker_ratio_min": 0.15}
    deriv_only = same_alerts(bars, store, DERIV_TRIGGER_TAGS, **loose)
    fired = reasons(deriv_only)
    for prefix in ("oi_surge", "funding_extreme", "liquidation_cluster", "taker_"):
        assert any(r.startswith(prefix) for r in fired), (prefix, fired)
    everything = same_alerts(bars, store, ALL_TAGS, **loose)
    assert len(everything) > len(deriv_only) // 2 and reasons(everything) - fired


@pytest.mark.skipif(not DATA.is_dir(), reason="shared data not mounted")
def test_bars_only_gives_the_same_alerts_as_without_the_new_triggers() -> None:
    arrays = _real_bars()
    bars = [arrays.bar(i) for i in range(len(arrays))]
    old = [t for t in ALL_TAGS if t not in DERIV_TRIGGER_TAGS]
    with_new = same_alerts(bars, None, ALL_TAGS)
    without = same_alerts(bars, None, old)
    assert with_new and [r.to_dict() for r in with_new] == [r.to_dict() for r in without]
    assert not any(r.startswith(("oi_", "funding_", "liquidation_", "taker_")) for r in reasons(with_new))


# ── Знімок ──
def _ctx_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return orjson.dumps(a, option=orjson.OPT_SERIALIZE_NUMPY) == orjson.dumps(b, option=orjson.OPT_SERIALIZE_NUMPY)


@pytest.mark.skipif(not DATA.is_dir(), reason="shared data not mounted")
def test_context_scalar_equals_columns_and_never_looks_ahead() -> None:
    arrays = _real_bars(600)
    store = _synthetic_store(arrays, seed=3)
    src = recorded(store)
    times = arrays.open_time + (MIN - 1)
    cols = deriv_columns(src, SYM, times)
    seen = {"oi_z": 0, "funding_pct_rank": 0, "book_imbalance": 0, "liq_long_usd": 0}
    for i in range(0, len(arrays), 7):
        t = int(times[i])
        live = deriv_context(store.series, SYM, t)
        assert _ctx_equal(live.as_dict(), row(cols, i).as_dict())
        # точки після t нічого не змінюють: ряди, обрізані по t, дають той самий знімок
        cut = {SYM: {k: _upto(store, k, t) for k in ("oi", "mark", "liq", "book")}}
        assert _ctx_equal(deriv_context(recorded_source(cut), SYM, t).as_dict(), live.as_dict())
        for k in seen:
            seen[k] += getattr(live, k) is not None
    assert all(v > 0 for v in seen.values()), seen


def _upto(store: DerivStore, kind: str, t: int) -> dict[str, Any]:
    ring = store.series(SYM, kind)
    assert ring is not None
    cols = ring.to_columns()
    keep = cols["ts"] <= t
    return {k: v[keep] for k, v in cols.items()}


# ── Префільтр на живих значеннях ──
async def test_prefilter_uses_fresh_live_depth_and_oi_and_falls_back_to_rest() -> None:
    from aione.stage1.prefilter import run_prefilter
    from tests.test_stage1_prefilter import StubRest

    now = T0 + 3_600_000
    store = DerivStore()
    deep = np.array([[9.999, 9_000.0], [9.95, 1_000.0]]), np.array([[10.001, 9_000.0], [10.05, 1_000.0]])
    # S03: REST дала б 40 тис. (low_depth), жива свіжа книга — ~200 тис.; S06: книга застаріла — REST
    assert store.apply_book(BookSnapshot("S03USDT", deep[0], deep[1], 1, now - 2_000))
    assert store.apply_book(BookSnapshot("S06USDT", deep[0], deep[1], 1, now - 60_000))
    # S05: свіжий OI 1000 контрактів × 10 = 10 тис. USDT — нижче межі; S07: OI застарів — REST
    assert store.apply_open_interest(OpenInterestPoint("S05USDT", now - 30_000, 1_000.0))
    assert store.apply_open_interest(OpenInterestPoint("S07USDT", now - 600_000, 1_000.0))
    rest = StubRest()
    res = await run_prefilter(rest, now_ms=now, deriv_source=store.series)  # type: ignore[arg-type]
    assert rest.calls["depth"] == 5 and rest.calls["open_interest"] == 5  # S02..S07 без живих S03 / S05
    assert "S03USDT" in res.selected and res.rejected["S05USDT"] == "low_open_interest"
    assert "S06USDT" in res.selected and "S07USDT" in res.selected
    plain = await run_prefilter(StubRest(), now_ms=now)  # type: ignore[arg-type]
    assert plain.rejected["S03USDT"] == "low_depth" and "S05USDT" in plain.selected
