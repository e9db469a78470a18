"""Фактори деривативів Stage2 (issue 16): книга, тонка книга, OI/ціна, фінансування, наратив з числами.

Головне: фактор стакана ЖИВИТЬСЯ, коли є свіжа книга (тест падає, якщо його відкинуто), а
застаріла чи схрещена книга відкидається з причиною в рішенні, і угода, що спиралась би на неї,
стає очікуванням з тією ж причиною.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aione.data.bar_validation import bars_to_arrays
from aione.data.bars import Bar, BarArrays, read_bars_parquet
from aione.data.deriv_store import DerivStore
from aione.exchange.deriv_parsers import BookSnapshot, MarkFunding, OpenInterestPoint
from aione.signals.deriv_context import DerivContext, deriv_context, recorded_source
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.narrative import build_narrative
from aione.stage2.qde_core import decide

MIN = 60_000
T0 = 1_748_736_000_000
SYM = "TESTUSDT"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance-um-1m-2025-05"


def calm_bars(n: int = 300) -> BarArrays:
    out = []
    for i in range(n):
        o, c = (99.98, 100.02) if i % 2 == 0 else (100.02, 99.98)
        out.append(Bar(T0 + i * MIN, o, 100.06, 99.94, c, 10.0, quote_volume=1000.0, trades=40, taker_buy_volume=6.0))
    return bars_to_arrays(out)


def s1(bars: BarArrays, triggers: list[str] | None = None, symbol: str = SYM) -> dict[str, Any]:
    return {"symbol": symbol, "timestamp": int(bars.open_time[-1]), "trigger_reasons": triggers or [], "stats": {}}


def t_end(bars: BarArrays) -> int:
    return int(bars.open_time[-1]) + MIN - 1


def fresh(t: int, bid: float = 300_000.0, ask: float = 100_000.0, **kw: Any) -> DerivContext:
    imb = (bid - ask) / (bid + ask)
    return DerivContext(t, book_state="fresh", book_age_ms=300, bid_usd=bid, ask_usd=ask, book_imbalance=imb, spread_bps=1.0, **kw)


# ── Книга ──
def test_orderbook_factor_is_fed_by_a_fresh_book() -> None:
    bars = calm_bars()
    plain = decide(s1(bars), Stage2Inputs(bars))
    assert "orderbook" not in plain["confidence_metrics"]["factor_scores"] and "derivatives" not in plain
    res = decide(s1(bars), Stage2Inputs(bars, deriv=fresh(t_end(bars))))
    cm = res["confidence_metrics"]
    assert cm["factor_scores"]["orderbook"] == 0.5  # (300k − 100k) / 400k
    assert cm["weights_used"]["orderbook"] > 0
    assert res["derivatives"]["book_state"] == "fresh" and res["derivatives"]["dropped"] == {}
    assert "thin_book" not in res["anomaly_detection"]["flags"]


def test_orderbook_factor_from_a_real_store_book() -> None:
    """Увесь шлях: знімок книги в сховищі → `deriv_context` → рішення з фактором стакана."""
    bars = calm_bars()
    store = DerivStore()
    t = t_end(bars)
    bids = np.array([[99.99, 2_000.0], [99.5, 1_000.0]])
    asks = np.array([[100.01, 500.0], [100.5, 500.0]])
    assert store.apply_book(BookSnapshot(SYM, bids, asks, 1, t - 1_500))
    ctx = deriv_context(store.series, SYM, t)
    assert ctx.book_state == "fresh" and ctx.depth_usd is not None and ctx.depth_usd > 50_000
    res = decide(s1(bars), Stage2Inputs(bars, deriv=ctx))
    assert res["confidence_metrics"]["factor_scores"]["orderbook"] == pytest.approx(ctx.book_imbalance, abs=1e-4)
    # 7.2 с по тому ж самому книга вже stale: фактор відкинуто з причиною
    late = deriv_context(store.series, SYM, t + 5_700)
    assert late.book_state == "stale"
    res = decide(s1(bars), Stage2Inputs(bars, deriv=late))
    assert "orderbook" not in res["confidence_metrics"]["factor_scores"]
    assert res["derivatives"]["dropped"] == {"orderbook": "book: stale 7.2 s"}


def test_crossed_recorded_book_is_dropped_with_a_reason() -> None:
    bars = calm_bars()
    t = t_end(bars)
    book = {"ts": np.array([t - 500]), "mid": np.array([100.0]), "spread_bps": np.array([-2.0]),
            "bid_usd": np.array([200_000.0]), "ask_usd": np.array([100_000.0]), "imbalance": np.array([1 / 3])}
    ctx = deriv_context(recorded_source({SYM: {"book": book}}), SYM, t)
    assert ctx.book_state == "crossed"
    res = decide(s1(bars), Stage2Inputs(bars, deriv=ctx))
    assert "orderbook" not in res["confidence_metrics"]["factor_scores"]
    assert res["derivatives"]["dropped"] == {"orderbook": "book: crossed"}


def test_thin_book_anomaly_from_a_fresh_book() -> None:
    bars = calm_bars()
    res = decide(s1(bars), Stage2Inputs(bars, deriv=fresh(t_end(bars), bid=8_000.0, ask=12_000.0)))
    assert "thin_book" in res["anomaly_detection"]["flags"]
    assert res["anomaly_detection"]["book_usd"] == 20_000.0


def _trade_window() -> tuple[dict[str, Any], BarArrays]:
    """Вікно реальних барів, на якому Stage2 дає угоду (side не None) зі свіжою книгою."""
    bars = read_bars_parquet(DATA / "BTCUSDT.parquet")
    for trig in (["breakout_up", "bull_vol_spike"], ["breakout_down", "bear_vol_spike"]):
        for i in range(900, len(bars), 997):
            sub = bars.slice(i - 719, i + 1)
            rec = s1(sub, trig, "BTCUSDT")
            if decide(rec, Stage2Inputs(sub, deriv=fresh(t_end(sub), bid=2e6, ask=2e6)))["side"] is not None:
                return rec, sub
    raise AssertionError("no trade window found")


@pytest.mark.skipif(not DATA.is_dir(), reason="shared data not mounted")
def test_signal_relying_on_a_stale_book_is_suppressed_with_the_reason() -> None:
    rec, sub = _trade_window()
    t = t_end(sub)
    ok = decide(rec, Stage2Inputs(sub, deriv=fresh(t, bid=2e6, ask=2e6)))
    stale = fresh(t, bid=2e6, ask=2e6)
    stale = replace(stale, book_state="stale", book_age_ms=7_200)
    res = decide(rec, Stage2Inputs(sub, deriv=stale))
    assert ok["side"] is not None and ok["reason"] is None
    assert res["side"] is None and res["recommendation"] == "WAIT_FOR_CONFIRMATION"
    assert res["reason"] == "book: stale 7.2 s" and "book_unusable" in res["risk_parameters"]["tags"]
    assert "книгу не взято: book: stale 7.2 s" in build_narrative(res, locale="uk")
    assert "book not used: book: stale 7.2 s" in build_narrative(res, locale="en")


# ── OI/ціна і фінансування ──
def test_oi_and_funding_factors_and_narrative_numbers() -> None:
    bars = calm_bars()
    ctx = fresh(
        t_end(bars),
        oi=123_000.0,
        oi_change_pct=6.2,
        oi_z=4.1,
        funding_rate=0.0005,
        funding_pct_rank=97.0,
        liq_long_usd=1_250_000.0,
        liq_short_usd=40_000.0,
    )
    res = decide(s1(bars, ["oi_surge"]), Stage2Inputs(bars, deriv=ctx))
    fs = res["confidence_metrics"]["factor_scores"]
    assert fs["oi_price"] == 0.0  # ціна на місці: OI росте, а бік невідомий
    assert fs["funding"] == pytest.approx(-0.94)
    assert {"oi_price", "funding", "orderbook"} <= set(res["confidence_metrics"]["weights_used"])
    d = res["derivatives"]
    assert d["price_flat"] is True and d["taker_buy_ratio"] == pytest.approx(0.6)
    uk = build_narrative(res, locale="uk")
    en = build_narrative(res, locale="en")
    assert "OI +6.2 % за 15 хв, а ціна на місці" in uk and "фінансування 0.0500 %, 97-й перцентиль" in uk
    assert "OI +6.2 % in 15 min while price flat" in en and "funding 0.0500 %, 97th percentile" in en
    assert "лонги 1.2 млн, шорти 40 тис. USDT" in uk and "longs 1.2M, shorts 40k USDT" in en
    assert "дисбаланс +0.50, глибина 400 тис. USDT" in uk and "imbalance +0.50, depth 400k USDT" in en
    assert "частка купівель тейкерів 60 %" in uk and "taker buy share 60 %" in en
    assert "сплеск OI при ціні на місці" in uk and "OI surge with price flat" in en
    assert "Деривативи:" in build_narrative(res, locale="uk", style="short").replace("деривативи", "Деривативи")


def test_oi_price_factor_follows_the_price_move() -> None:
    bars = calm_bars()
    up = bars.close.copy()
    up[-16:] = np.linspace(100.0, 101.0, 16)  # +1 % за 15 хв
    moved = BarArrays(
        bars.open_time, np.minimum(bars.open, up), np.maximum(bars.high, up + 0.05), np.minimum(bars.low, up - 0.05),
        up, bars.volume, bars.quote_volume, bars.trades, bars.taker_buy_volume, bars.taker_buy_quote,
    )
    res = decide(s1(moved), Stage2Inputs(moved, deriv=DerivContext(t_end(moved), oi_change_pct=-2.5)))
    assert res["confidence_metrics"]["factor_scores"]["oi_price"] == -0.5  # OI тане на рості: проти руху
    assert "OI -2.5 % in 15 min with price +" in build_narrative(res, locale="en")


def test_absent_series_add_nothing() -> None:
    """Знімок без жодного ряду: жодного фактора деривативів, книга «missing» без причини й без придушення."""
    bars = calm_bars()
    res = decide(s1(bars), Stage2Inputs(bars, deriv=DerivContext(t_end(bars))))
    fs = res["confidence_metrics"]["factor_scores"]
    assert not {"orderbook", "oi_price", "funding"} & set(fs)
    assert res["derivatives"]["dropped"] == {} and res["reason"] is None
    plain = decide(s1(bars), Stage2Inputs(bars))
    assert res["recommendation"] == plain["recommendation"] and fs == plain["confidence_metrics"]["factor_scores"]


def test_store_with_oi_and_funding_feeds_the_decision() -> None:
    bars = calm_bars()
    store = DerivStore()
    for i in range(len(bars)):
        t = int(bars.open_time[i]) + 30_000
        oi = 1000.0 * (1.08 if i >= len(bars) - 5 else 1.0) + (0.01 if i % 2 else 0.0)
        store.apply_open_interest(OpenInterestPoint(SYM, t, oi))
        rate = 0.0008 if i >= len(bars) - 3 else 0.0001
        store.apply_mark(MarkFunding(SYM, 100.0, 100.0, rate, t + 3_600_000, t))
    ctx = deriv_context(store.series, SYM, t_end(bars))
    assert ctx.oi_change_pct is not None and ctx.oi_change_pct > 7.0
    assert ctx.funding_pct_rank is not None and ctx.funding_pct_rank > 98.0
    res = decide(s1(bars), Stage2Inputs(bars, deriv=ctx))
    assert res["confidence_metrics"]["factor_scores"]["funding"] < -0.9
    assert "th percentile" in build_narrative(res, locale="en")


def test_pipeline_core_feeds_stage2_the_book_of_the_monitor_source() -> None:
    """Живе ядро: монітор із джерелом рядів → Stage2 бачить книгу на кінець бару алерту (фактор є)."""
    from aione.app.pipeline import PipelineCore
    from aione.data.bars import BarEvent
    from aione.data.unified_store import UnifiedDataStore
    from aione.stage1.asset_monitoring import AssetMonitor
    from aione.stage3.trade_manager import TradeManager

    bars = calm_bars()
    store = DerivStore()
    t = t_end(bars)
    bids = np.array([[99.99, 3_000.0], [99.5, 1_000.0]])
    asks = np.array([[100.01, 1_000.0], [100.5, 1_000.0]])
    assert store.apply_book(BookSnapshot(SYM, bids, asks, 1, t - 800))
    core = PipelineCore(UnifiedDataStore(), AssetMonitor(deriv_source=store.series), TradeManager(), None)
    for i in range(len(bars)):
        core.on_bar(BarEvent(SYM, "1m", bars.bar(i)))
    res = core.decide(s1(bars))
    assert res["status"] == "completed"
    imb = deriv_context(store.series, SYM, t).book_imbalance
    assert imb is not None and imb > 0.3
    assert res["confidence_metrics"]["factor_scores"]["orderbook"] == pytest.approx(imb, abs=1e-4)
    assert res["derivatives"]["book_state"] == "fresh"
    plain = PipelineCore(UnifiedDataStore(), AssetMonitor(), TradeManager(), None)
    for i in range(len(bars)):
        plain.on_bar(BarEvent(SYM, "1m", bars.bar(i)))
    assert "orderbook" not in plain.decide(s1(bars))["confidence_metrics"]["factor_scores"]
