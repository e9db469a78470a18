"""Деривативи симулятора: детерміновані, без погляду вперед, узгоджені з барами; REST і WS дають ті
самі числа; несправності книги вмикаються з CLI."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import numpy as np
import orjson
from typer.testing import CliRunner

from aione.app.demo import sample_data_dir
from aione.cli import app
from aione.data.bars import BarArrays
from aione.data.book_checks import book_reason
from aione.exchange.deriv_parsers import (
    BookSnapshot,
    Liquidation,
    MarkFunding,
    OpenInterestPoint,
    parse_depth_snapshot,
    parse_open_interest,
    parse_open_interest_hist,
    parse_premium_index,
    parse_stream_frame,
)
from aione.exchange.sim_derivs import FUNDING_PERIOD_MS, derive_arrays
from aione.exchange.sim_faults import all_faults
from aione.exchange.sim_market import load_market_series
from aione.exchange.simulator import BinanceSimulator

MIN = 60_000


def _bars(close: np.ndarray, low: np.ndarray | None = None, high: np.ndarray | None = None) -> BarArrays:
    n = close.shape[0]
    t = np.arange(n, dtype=np.int64) * MIN
    o = np.concatenate(([close[0]], close[:-1]))
    hi = np.maximum(o, close) * 1.0005 if high is None else high
    lo = np.minimum(o, close) * 0.9995 if low is None else low
    v = np.full(n, 10.0)
    return BarArrays(
        t, o, hi, lo, close, v, v * close, np.full(n, 5, dtype=np.int64), v * 0.5, v * 0.5 * close
    )


# ── Чисті похідні ──
def test_derivations_are_deterministic_and_never_look_ahead() -> None:
    series = load_market_series(sample_data_dir(), ["BTCUSDT"])["BTCUSDT"]
    a = derive_arrays(series.bars, series.taker_buy)
    b = derive_arrays(series.bars, series.taker_buy)
    for name in a.__dataclass_fields__:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    # зміна бару i не змінює значень під час бару i (фінансування, книга) — лише наступні
    i = 5_000
    bars = series.bars
    close = bars.close.copy()
    close[i] *= 1.05
    changed = BarArrays(
        bars.open_time, bars.open, np.maximum(bars.high, close), bars.low, close, *list(bars)[5:]
    )
    c = derive_arrays(changed, series.taker_buy)
    assert np.array_equal(a.funding[: i + 1], c.funding[: i + 1])
    assert a.funding[i + 1] != c.funding[i + 1]
    assert np.array_equal(a.book_tilt[: i + 1], c.book_tilt[: i + 1])
    assert np.all(a.oi > 0) and np.all(np.abs(a.funding) <= 0.003)


def test_funding_follows_the_premium_and_oi_follows_taker_flow() -> None:
    up = _bars(np.linspace(100.0, 130.0, 300))
    flat = _bars(np.full(300, 100.0))
    assert derive_arrays(up, up.taker_buy_volume).funding[-1] > 0.0001 > -0.0001
    assert derive_arrays(flat, flat.taker_buy_volume).funding[-1] == 0.0001
    buying = flat.taker_buy_volume.copy()
    buying[150:] = flat.volume[150:] * 0.9  # тейкери купують
    oi = derive_arrays(flat, buying).oi
    assert oi[-1] > oi[149] and np.all(np.diff(oi[150:]) >= 0)


def test_a_large_lower_wick_liquidates_longs_at_the_low() -> None:
    close = np.full(200, 100.0)
    low = np.minimum(close, close) * 0.9995
    low[150] = 97.0  # тінь 3 % при середньому діапазоні ~0.05 %
    d = derive_arrays(_bars(close, low=low), np.full(200, 5.0))
    assert np.flatnonzero(d.liq_long_qty).tolist() == [150]
    assert d.liq_short_qty.sum() == 0


# ── Через сервер ──
async def test_rest_and_ws_derivs_agree_with_the_bars(data_1m: Path) -> None:
    async with BinanceSimulator(data_1m, speed=600, symbols=["BTCUSDT", "ETHUSDT"]) as sim:
        series = sim.market.series["BTCUSDT"]
        d = sim.market.derivs("BTCUSDT")
        url = f"{sim.ws_url}/stream?streams=btcusdt@depth20@100ms/btcusdt@markPrice@1s/!forceOrder@arr"
        events: list[object] = []
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                while sum(isinstance(e, Liquidation) for e in events) < 1 or len(events) < 40:
                    msg = await asyncio.wait_for(ws.receive(), 10)
                    events.append(parse_stream_frame(msg.data))
            now = sim.clock()

            async def get(path: str) -> object:
                async with session.get(sim.rest_url + path) as resp:
                    assert resp.status == 200, await resp.text()
                    return orjson.loads(await resp.read())

            oi = parse_open_interest(await get("/fapi/v1/openInterest?symbol=BTCUSDT"))
            hist = parse_open_interest_hist(
                await get("/futures/data/openInterestHist?symbol=BTCUSDT&period=5m&limit=12")
            )
            prem = parse_premium_index(await get("/fapi/v1/premiumIndex?symbol=BTCUSDT"))
            depth = parse_depth_snapshot(await get("/fapi/v1/depth?symbol=BTCUSDT&limit=20"), "BTCUSDT")
    t = series.bars.open_time
    books = [e for e in events if isinstance(e, BookSnapshot)]
    marks = [e for e in events if isinstance(e, MarkFunding)]
    liqs = [e for e in events if isinstance(e, Liquidation)]
    assert books and marks and liqs
    for book in books:
        assert book_reason(book) is None and book.bids.shape[0] == 20
        st = sim.market.state("BTCUSDT", book.event_time)
        assert st is not None and abs(book.best_bid - sim.market.partial("BTCUSDT", st)[3]) < 1e-9
    for mark in marks:
        i = int(np.searchsorted(t, mark.event_time, side="right")) - 1
        assert mark.funding_rate == float(d.funding[i])
        assert mark.next_funding_time % FUNDING_PERIOD_MS == 0 and mark.next_funding_time > mark.event_time
    for liq in liqs:
        if liq.symbol != "BTCUSDT":
            continue
        i = int(np.searchsorted(t, liq.trade_time, side="right")) - 1
        qty = float(d.liq_long_qty[i] if liq.side == "SELL" else d.liq_short_qty[i])
        assert liq.filled_qty == qty > 0
        assert liq.price == float(series.bars.low[i] if liq.side == "SELL" else series.bars.high[i])
    # REST: OI останнього закритого бару, історія на межах 5 хв, та сама ставка й книга
    assert isinstance(oi, OpenInterestPoint)
    last_closed = int(np.searchsorted(t, now - MIN, side="right")) - 1
    assert oi.open_interest in {float(d.oi[last_closed]), float(d.oi[last_closed + 1])}
    assert isinstance(hist, tuple) and len(hist) == 12
    assert all(p.time % (5 * MIN) == 0 for p in hist)
    for p in hist:
        j = int(np.searchsorted(t, p.time - MIN, side="right")) - 1
        assert p.open_interest == float(d.oi[j])
    assert isinstance(prem, MarkFunding) and abs(prem.funding_rate) <= 0.003
    assert isinstance(depth, BookSnapshot) and book_reason(depth) is None


def test_simulate_help_documents_the_book_fault_switches() -> None:
    result = CliRunner().invoke(app, ["simulate", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    for switch in ("--book-gap-every", "--book-gap-seconds", "--book-disorder-every", "--book-crossed-every"):
        assert switch in text, switch
    plan = all_faults()
    assert {"book_gap", "book_disorder", "book_crossed"} <= set(plan.periods())
