"""Префільтр Stage1: чистий відбір, причини відмови, динамічні пороги, ранг, async-прохід зі стабом."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np
import pytest

from aione.config.config import FilterParams, SymbolInfo
from aione.stage1.prefilter import PrefilterError, PrefilterScheduler, run_prefilter
from aione.stage1.prefilter_select import proxy_atr_pct, select_symbols


@dataclass(frozen=True)
class T:
    """Мінімальний тікер тієї ж форми, що `Ticker24h`."""

    symbol: str
    last_price: float = 10.0
    price_change_pct: float = 5.0
    quote_volume: float = 5e7
    high: float = 10.5
    low: float = 9.5
    volume: float = 0.0
    count: int = 0


def info(sym: str, **kw: object) -> SymbolInfo:
    base: dict[str, object] = {"symbol": sym, "contract_type": "PERPETUAL"}
    base.update(kw)
    return SymbolInfo(**base)  # type: ignore[arg-type]


# ── Чистий відбір ──
def test_each_rule_rejects_with_its_reason() -> None:
    infos = [
        info("GOODUSDT"),
        info("NOTKUSDT"),
        info("HALTUSDT", status="BREAK"),
        info("ABCBUSD", quote_asset="BUSD"),
        info("QTRUSDT", contract_type="CURRENT_QUARTER"),
        info("THINUSDT"),
        info("PRICYUSDT"),
        info("CALMUSDT"),
        info("FLATUSDT"),
        info("LOWOIUSDT"),
        info("NOOIUSDT"),
        info("SHALLOWUSDT"),
        info("NODEPTHUSDT"),
    ]
    tickers = [
        T("GOODUSDT"),
        T("HALTUSDT"),
        T("ABCBUSD"),
        T("QTRUSDT"),
        T("THINUSDT", quote_volume=999_999.0),
        T("PRICYUSDT", last_price=2e9, high=2.1e9, low=1.9e9),
        T("CALMUSDT", price_change_pct=-2.9),
        T("FLATUSDT", high=10.02, low=10.0),  # діапазон 0.2 % < 0.5 %
        T("LOWOIUSDT"),
        T("NOOIUSDT"),
        T("SHALLOWUSDT"),
        T("NODEPTHUSDT"),
    ]
    syms = [i.symbol for i in infos if i.symbol not in ("NOOIUSDT",)]
    oi = dict.fromkeys(syms, 1e6) | {"LOWOIUSDT": 499_999.0}
    depth = {s: 1e5 for s in syms if s != "NODEPTHUSDT"} | {"SHALLOWUSDT": 49_000.0}
    res = select_symbols(infos, tickers, open_interest_usd=oi, depth_usd=depth)
    assert res.selected == ["GOODUSDT"]
    assert res.rejected == {
        "NOTKUSDT": "no_ticker",
        "HALTUSDT": "status",
        "ABCBUSD": "quote_asset",
        "QTRUSDT": "not_perpetual",
        "THINUSDT": "low_volume",
        "PRICYUSDT": "price_range",
        "CALMUSDT": "low_price_change",
        "FLATUSDT": "low_volatility",
        "LOWOIUSDT": "low_open_interest",
        "NOOIUSDT": "no_open_interest",
        "SHALLOWUSDT": "low_depth",
        "NODEPTHUSDT": "no_depth",
    }
    assert sum(res.counts.values()) == len(res.rejected)
    assert res.counts["status"] == 1
    # Метрики зібрано для кожного символу універсу; скор > 0 лише у того, хто пройшов.
    assert res.metrics["GOODUSDT"].open_interest_usd == 1e6
    assert res.metrics["LOWOIUSDT"].score == 0.0


def test_spot_market_ignores_contract_type_and_open_interest() -> None:
    infos = [info("AUSDT", contract_type=None), info("BUSDT", contract_type=None)]
    res = select_symbols(infos, [T("AUSDT"), T("BUSDT")], open_interest_usd={}, market="spot")
    assert sorted(res.selected) == ["AUSDT", "BUSDT"]
    assert res.metrics["AUSDT"].open_interest_usd is None


def test_price_change_switch_keeps_quiet_liquid_market() -> None:
    infos = [info("CALMUSDT")]
    tick = [T("CALMUSDT", price_change_pct=0.4)]
    assert select_symbols(infos, tick).rejected == {"CALMUSDT": "low_price_change"}
    res = select_symbols(infos, tick, params=FilterParams(use_price_change=False))
    assert res.selected == ["CALMUSDT"]


def test_given_atr_pct_overrides_daily_range_proxy() -> None:
    infos = [info("AUSDT")]
    tick = [T("AUSDT")]  # проксі 10 %
    assert proxy_atr_pct(tick[0]) == pytest.approx(10.0)
    assert select_symbols(infos, tick, atr_pct={"AUSDT": 0.3}).rejected == {"AUSDT": "low_volatility"}
    assert select_symbols(infos, tick, atr_pct={"AUSDT": 0.7}).selected == ["AUSDT"]


def test_rank_by_liquidity_and_cutoff() -> None:
    names = [f"S{i:02d}USDT" for i in range(10)]
    infos = [info(s) for s in names]
    # обсяг росте з номером, решта ознак однакова → ранг = зворотний порядок номерів
    tick = [T(s, quote_volume=2e6 * (i + 1)) for i, s in enumerate(names)]
    res = select_symbols(infos, tick, params=FilterParams(max_symbols=3))
    assert res.selected == ["S09USDT", "S08USDT", "S07USDT"]
    assert all(res.rejected[s] == "rank_cutoff" for s in names[:7])
    assert res.counts == {"rank_cutoff": 7}
    scores = [res.metrics[s].score for s in res.selected]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


def test_equal_scores_break_ties_by_name() -> None:
    infos = [info(s) for s in ("BUSDT", "AUSDT", "CUSDT")]
    res = select_symbols(infos, [T("CUSDT"), T("AUSDT"), T("BUSDT")])
    assert res.selected == ["AUSDT", "BUSDT", "CUSDT"]


def test_dynamic_percentile_threshold_has_absolute_floor() -> None:
    names = [f"S{i:02d}USDT" for i in range(10)]
    infos = [info(s) for s in names]
    vols = [1e7 * (i + 1) for i in range(10)]
    tick = [T(s, quote_volume=v) for s, v in zip(names, vols, strict=True)]
    dyn = FilterParams(dynamic=True, quote_volume_percentile=50.0)
    res = select_symbols(infos, tick, params=dyn)
    expected_thr = float(np.percentile(vols, 50.0))
    assert res.thresholds["min_quote_volume"] == pytest.approx(expected_thr)
    assert sorted(res.selected) == [s for s, v in zip(names, vols, strict=True) if v >= expected_thr]
    # Тонкий універс: перцентиль нижче межі → діє абсолютна межа.
    thin = [T(s, quote_volume=v / 1e2) for s, v in zip(names, vols, strict=True)]  # 1e5 … 1e6
    res2 = select_symbols(infos, thin, params=dyn)
    assert res2.thresholds["min_quote_volume"] == 1_000_000.0
    assert res2.selected == ["S09USDT"]


def test_fast_symbols_merges_manual_seed() -> None:
    res = select_symbols([info("AUSDT")], [T("AUSDT")])
    assert res.fast_symbols(("BTCUSDT", "AUSDT")) == ["AUSDT", "BTCUSDT"]


# ── Асинхронний прохід ──
class Book:
    def __init__(self, usd: float) -> None:
        self.usd = usd

    def depth_usd_within(self, pct: float) -> float:
        return self.usd if pct == 1.0 else 0.0


class StubRest:
    """Ручний стаб REST: рахує виклики та одночасність запитів за символом."""

    def __init__(self, n: int = 8, fail: set[str] | None = None) -> None:
        self.names = [f"S{i:02d}USDT" for i in range(n)]
        self.fail = fail or set()
        self.calls: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.down = False

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    async def exchange_info(self) -> list[SymbolInfo]:
        self._count("exchange_info")
        if self.down:
            raise ConnectionError("exchange down")
        return [info(s) for s in self.names] + [info("DEADUSDT", status="SETTLING")]

    async def ticker_24h(self) -> list[T]:
        self._count("ticker_24h")
        lows = [T(s, quote_volume=1e5) for s in self.names[:2]]  # відсіюються дешево
        return (
            lows + [T(s, quote_volume=1e7 * (i + 1)) for i, s in enumerate(self.names[2:])] + [T("DEADUSDT")]
        )

    async def _per_symbol(self, name: str, sym: str) -> None:
        self._count(name)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0)
        self.in_flight -= 1
        if sym in self.fail:
            raise TimeoutError(sym)

    async def open_interest(self, symbol: str) -> float:
        await self._per_symbol("open_interest", symbol)
        return 1e5  # контрактів × ціна 10 = 1e6 USDT

    async def depth(self, symbol: str, limit: int = 100) -> Book:
        await self._per_symbol("depth", symbol)
        return Book(40_000.0 if symbol == "S03USDT" else 1e5)


class StubStore:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], str, int]] = []

    def set_fast_symbols(self, symbols: list[str], *, source: str, now_ms: int) -> None:
        self.calls.append((tuple(symbols), source, now_ms))


async def test_run_prefilter_spends_per_symbol_calls_only_on_short_list() -> None:
    rest = StubRest(fail={"S04USDT"})
    store = StubStore()
    res = await run_prefilter(rest, store=store, now_ms=1_000, manual_symbols=("BTCUSDT",))
    assert rest.calls["exchange_info"] == 1 and rest.calls["ticker_24h"] == 1
    assert rest.calls["open_interest"] == 6 and rest.calls["depth"] == 6  # S02..S07, не S00/S01/DEAD
    assert rest.max_in_flight >= 2  # запити йшли паралельно, але в межах семафорів
    assert res.rejected["S00USDT"] == "low_volume"
    assert res.rejected["DEADUSDT"] == "status"
    assert res.rejected["S03USDT"] == "low_depth"
    assert res.rejected["S04USDT"] == "no_open_interest"
    assert res.selected == ["S07USDT", "S06USDT", "S05USDT", "S02USDT"]
    assert res.elapsed_seconds > 0
    assert store.calls == [(tuple(res.selected), "auto", 1_000), (("BTCUSDT",), "manual", 1_000)]


async def test_short_list_cap_limits_requests() -> None:
    rest = StubRest()
    res = await run_prefilter(rest, now_ms=0, short_list_max=2)
    assert rest.calls["open_interest"] == 2 and rest.calls["depth"] == 2
    assert res.selected == ["S07USDT", "S06USDT"]
    assert res.rejected["S05USDT"] == "rank_cutoff"


async def test_mass_failure_raises_and_scheduler_keeps_previous_list() -> None:
    rest = StubRest()
    updates: list[int] = []
    sched = PrefilterScheduler(
        rest,
        clock=lambda: 5,
        manual_symbols=("BTCUSDT",),
        on_update=lambda r: updates.append(len(r.selected)),
    )
    assert sched.fast_symbols == ["BTCUSDT"]  # до першого успіху — лише seed
    first = await sched.refresh()
    assert first is not None and sched.fast_symbols[:-1] == first.selected
    rest.fail = set(rest.names)
    with pytest.raises(PrefilterError):
        await run_prefilter(rest, now_ms=0)
    again = await sched.refresh()
    assert again is first and sched.failures == 1 and "PrefilterError" in (sched.last_error or "")
    rest.fail = set()
    rest.down = True
    assert await sched.refresh() is first and sched.failures == 2
    assert updates == [5]


async def test_scheduler_run_loop_stops() -> None:
    rest = StubRest()
    sched = PrefilterScheduler(rest, interval_sec=0.01)

    async def stopper() -> None:
        while sched.refreshes < 2:
            await asyncio.sleep(0.005)
        sched.stop()

    await asyncio.wait_for(asyncio.gather(sched.run(), stopper()), timeout=5)
    assert sched.refreshes >= 2
