"""Чиста модель ринку симулятора: віртуальний годинник, стан барів, похідні поля, payload-и.

Записані файли мають лише OHLCV. Усе інше тут ПОХІДНЕ (так і позначено в payload-ах):
- quote volume ≈ volume × (high + low + close) / 3 (як у `aione.data.bars`);
- кількість угод `n` ≈ quote volume / 2 000 USDT (середня угода), щонайменше 1;
- taker buy volume = volume × частка, що росте з (close − open) / (high − low), у межах 5…95 %;
- проміжні оновлення бару (x=false): ціна йде open → low → high → close для зростаючого
  бару (open → high → low → close для спадного), на частці k/U шляху; high/low — екстремуми
  пройденого шляху, volume — k/U від повного; останнє оновлення (k=U) — рівно записаний бар;
- книга, марк-ціна і фінансування, ліквідації, відкритий інтерес — детерміновано з барів або з
  запису `aione record` (`recorded`), як описано в `aione.exchange.sim_derivs`;
- записані колонки тейкера й угод (бари з `aione record` чи Binance) беруться як є, не виводяться.
Коли записи закінчуються, годинник зупиняється на закритті останнього бару (не зациклюється).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aione.data.bars import BarArrays, derive_quote_volume
from aione.data.tick_snapshot import load_tick_snapshot
from aione.exchange.endpoints import MarketSpec
from aione.exchange.replay import load_series
from aione.exchange.sim_derivs import (
    BOOK_LEVELS,
    DerivArrays,
    RecordedSeries,
    derive_arrays,
    derived_levels,
    next_funding_time,
)
from aione.utils.ticks import resolve_tick
from aione.utils.utils import tick_decimals

# ── Константи похідних полів ──
AVG_TRADE_QUOTE = 2_000.0  # USDT на одну угоду (похідне)
DAY_MS = 86_400_000


# ── Форматування чисел як у Binance (рядки) ──
def fmt(x: float) -> str:
    """Найкоротший рядок, що точно відновлює число, без експоненти."""
    text = repr(float(x))
    if "e" in text or "E" in text:
        text = np.format_float_positional(x, trim="-")
    return text


def _decimals_of(values: np.ndarray) -> int:
    best = 0
    for v in values[:500].tolist():
        text = fmt(v)
        if "." in text:
            best = max(best, len(text) - text.index(".") - 1)
    return min(best, 8)


# ── Віртуальний годинник ──
class VirtualClock:
    """Віртуальні мс = start + пройдений настінний час × speed; зупиняється на `end_ms`."""

    def __init__(self, start_ms: int, speed: float, end_ms: int | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start_ms = start_ms
        self.speed = speed
        self.end_ms = end_ms
        self._t0 = time.perf_counter()

    def restart(self) -> None:
        """Відлік заново від `start_ms` (викликається при старті сервера)."""
        self._t0 = time.perf_counter()

    def __call__(self) -> int:
        now = self.start_ms + int((time.perf_counter() - self._t0) * self.speed * 1000.0)
        return min(now, self.end_ms) if self.end_ms is not None else now

    def jump(self, virtual_ms: int) -> int:
        """Стрибок уперед на `virtual_ms` (не далі за `end_ms`); повертає фактичний стрибок."""
        before = self()
        self.start_ms += max(0, virtual_ms)
        return self() - before

    def wall_seconds(self, virtual_ms: float) -> float:
        """Скільки настінних секунд триває `virtual_ms` віртуального часу."""
        return virtual_ms / 1000.0 / self.speed


# ── Серії ──
@dataclass(frozen=True, slots=True)
class Series:
    """Записана серія під своїм ім'ям чи під псевдонімом."""

    name: str
    source: str
    bars: BarArrays
    decimals: int
    tick: float
    trades: np.ndarray  # похідні, int64
    taker_buy: np.ndarray  # похідні, float64


def alias_names(sources: list[str], count: int) -> list[tuple[str, str]]:
    """(псевдонім, джерело) для `count` додаткових символів: BTCUSDT → BTCX1USDT, BTCX2USDT…"""
    out: list[tuple[str, str]] = []
    for j in range(count):
        src = sources[j % len(sources)]
        base, quote = (src[:-4], "USDT") if src.endswith("USDT") else (src, "")
        out.append((f"{base}X{j // len(sources) + 1}{quote}", src))
    return out


def _with_quote(bars: BarArrays, quote: np.ndarray) -> BarArrays:
    cols: list[Any] = list(bars)  # решта стовпців (скільки б їх не було) — ті самі
    cols[BarArrays._fields.index("quote_volume")] = quote
    return BarArrays(*cols)


def build_series(
    raw: Mapping[str, BarArrays], aliases: int = 0, snapshot: Mapping[str, float] | None = None
) -> dict[str, Series]:
    """Серії з похідними полями; псевдоніми ділять масиви з джерелом.

    Тік символу (exchangeInfo, книга) — `resolve_tick` зі знімка `snapshot` і сітки цін барів;
    знаків у рядках цін — не менше, ніж у тіку."""
    base: dict[str, Series] = {}
    for name, bars in raw.items():
        quote = bars.quote_volume
        if not quote.any():
            quote = derive_quote_volume(bars.high, bars.low, bars.close, bars.volume)
        if len(bars) and bool((bars.trades >= 0).all()) and bool(np.isfinite(bars.taker_buy_volume).all()):
            trades, taker = bars.trades, bars.taker_buy_volume  # записані (aione record, Binance)
        else:
            trades = np.maximum(1, np.rint(quote / AVG_TRADE_QUOTE)).astype(np.int64)
            rng = bars.high - bars.low
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(rng > 0, 0.5 + 0.5 * (bars.close - bars.open) / rng, 0.5)
            taker = bars.volume * np.clip(share, 0.05, 0.95)
        tick = resolve_tick(name, bars, snapshot)
        decimals = max(_decimals_of(bars.close), tick_decimals(tick))
        base[name] = Series(name, name, _with_quote(bars, quote), decimals, tick, trades, taker)
    out = dict(base)
    for alias, src in alias_names(sorted(base), aliases):
        s = base[src]
        out[alias] = Series(alias, src, s.bars, s.decimals, s.tick, s.trades, s.taker_buy)
    return out


def without_bars(series: Series, open_times: Iterable[int]) -> Series:
    """Серія без барів з цими open_time (дірки біржі); власні масиви, псевдоніми не зачіпає."""
    drop = np.asarray(sorted(set(open_times)), dtype=np.int64)
    keep = ~np.isin(series.bars.open_time, drop)
    cols: list[Any] = [col[keep] for col in series.bars]  # усі стовпці, скільки б їх не було
    bars = BarArrays(*cols)
    return Series(
        series.name,
        series.source,
        bars,
        series.decimals,
        series.tick,
        series.trades[keep],
        series.taker_buy[keep],
    )


def load_market_series(
    data_dir: str | Path, symbols: Iterable[str] | None = None, aliases: int = 0
) -> dict[str, Series]:
    """Серії з каталогу записаних барів (+ псевдоніми); тіки — зі знімка USDT-M і сітки цін.

    Каталог запису `aione record` без плоских файлів барів читається з денних файлів."""
    from aione.data.deriv_loader import is_recorded_dir, load_recorded_bars

    if is_recorded_dir(data_dir) and not any(Path(data_dir).glob("*.parquet")):
        raw = load_recorded_bars(data_dir, symbols)
        if not raw:
            raise FileNotFoundError(f"no recorded bars in {data_dir}")
    else:
        raw = load_series(data_dir, symbols)
    return build_series(raw, aliases, load_tick_snapshot("um").ticks)


# ── Стан бару в момент часу ──
@dataclass(frozen=True, slots=True)
class BarState:
    """Бар `index` на кроці `k` з `updates` (k = updates — бар закрито)."""

    index: int
    k: int


class SimMarket:
    """Ринок над серіями: стан, проміжні бари, REST- і WS-payload-и. Без I/O."""

    def __init__(
        self,
        series: Mapping[str, Series],
        spec: MarketSpec,
        updates_per_bar: int = 4,
        recorded: Mapping[str, RecordedSeries] | None = None,
    ) -> None:
        if not series:
            raise ValueError("no series to simulate")
        if updates_per_bar < 1:
            raise ValueError("updates_per_bar must be >= 1")
        self.series = dict(series)
        self.spec = spec
        self.updates = updates_per_bar
        first = next(iter(self.series.values())).bars.open_time
        self.step_ms = int(np.median(np.diff(first))) if first.shape[0] > 1 else 60_000
        self.first_ms = max(int(s.bars.open_time[0]) for s in self.series.values())
        self.end_ms = max(int(s.bars.open_time[-1]) for s in self.series.values()) + self.step_ms
        self.recorded: dict[str, RecordedSeries] = dict(recorded or {})  # ряди `aione record`
        for rec in self.recorded.values():  # запис триває й після останнього закритого бару
            for kind in ("book", "mark", "oi", "liq"):
                cols = getattr(rec, kind)
                if cols is not None and len(cols["ts"]):
                    self.end_ms = max(self.end_ms, int(cols["ts"][-1]) + 1)
        self._derivs: dict[str, DerivArrays] = {}
        # остання книга символу: (index, k, рівні, схрещена) → (bids, asks); ціна стоїть між оновленнями бару
        self._book_cache: dict[
            str, tuple[tuple[int, int, int, bool], tuple[list[list[str]], list[list[str]]]]
        ] = {}

    def derivs(self, symbol: str) -> DerivArrays:
        """Похідні ряди символу (обчислюються раз; `forget_derivs` після зміни барів)."""
        found = self._derivs.get(symbol)
        if found is None:
            s = self.series[symbol]
            found = self._derivs[symbol] = derive_arrays(s.bars, s.taker_buy)
        return found

    def forget_derivs(self, symbol: str) -> None:
        """Бари символу змінилися (дірки біржі): похідні ряди перераховуються."""
        self._derivs.pop(symbol, None)
        self._book_cache.pop(symbol, None)

    @property
    def interval_name(self) -> str:
        """Назва базового інтервалу (1m, 5m…)."""
        minutes = self.step_ms // 60_000
        return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h"

    def state(self, symbol: str, now: int) -> BarState | None:
        """Поточний бар символу; None, якщо даних ще немає."""
        t = self.series[symbol].bars.open_time
        i = int(np.searchsorted(t, now, side="right")) - 1
        if i < 0:
            return None
        k = min(self.updates, (now - int(t[i])) * self.updates // self.step_ms)
        return BarState(i, k)

    # ── Проміжний бар ──
    def partial(
        self, symbol: str, st: BarState
    ) -> tuple[float, float, float, float, float, float, int, float]:
        """(open, high, low, close, volume, quote, trades, taker) бару на кроці k."""
        s = self.series[symbol]
        b, i = s.bars, st.index
        o, h, low, c, v = (
            float(b.open[i]),
            float(b.high[i]),
            float(b.low[i]),
            float(b.close[i]),
            float(b.volume[i]),
        )
        q, n, tb = float(b.quote_volume[i]), int(s.trades[i]), float(s.taker_buy[i])
        if st.k >= self.updates:
            return o, h, low, c, v, q, n, tb
        f = st.k / self.updates
        path = (o, low, h, c) if c >= o else (o, h, low, c)
        pos = f * 3.0
        seg = min(int(pos), 2)
        price = path[seg] + (path[seg + 1] - path[seg]) * (pos - seg)
        price = round(price, s.decimals)
        visited = [*path[: seg + 1], price]
        return (
            o,
            max(visited),
            min(visited),
            price,
            round(v * f, 8),
            round(q * f, 8),
            max(1, int(n * f)) if st.k else 0,
            round(tb * f, 8),
        )

    # ── REST ──
    def kline_rows(
        self,
        symbol: str,
        interval_ms: int,
        now: int,
        start: int | None = None,
        end: int | None = None,
        limit: int = 500,
    ) -> list[list[Any]]:
        """12-полеві рядки klines до моменту `now` (поточний бар — проміжний)."""
        if interval_ms % self.step_ms:
            raise ValueError("interval is not a multiple of the recorded step")
        st = self.state(symbol, now)
        if st is None:
            return []
        s = self.series[symbol]
        t = s.bars.open_time
        ratio = interval_ms // self.step_ms
        hi = st.index + 1
        if end is not None:
            hi = min(hi, int(np.searchsorted(t, (end // interval_ms + 1) * interval_ms, side="left")))
        lo = 0
        if start is not None:
            lo = int(np.searchsorted(t, -(-start // interval_ms) * interval_ms, side="left"))
            hi = min(hi, lo + (limit + 1) * ratio)
        else:
            lo = max(0, hi - (limit + 1) * ratio)
        if hi <= lo:
            return []
        b = s.bars
        o, h, low, c = (x[lo:hi].copy() for x in (b.open, b.high, b.low, b.close))
        v, q, tb = b.volume[lo:hi].copy(), b.quote_volume[lo:hi].copy(), s.taker_buy[lo:hi].copy()
        n = s.trades[lo:hi].copy()
        if hi - 1 == st.index and st.k < self.updates:
            po, ph, pl, pc, pv, pq, pn, ptb = self.partial(symbol, st)
            j = hi - 1 - lo
            o[j], h[j], low[j], c[j], v[j], q[j], n[j], tb[j] = po, ph, pl, pc, pv, pq, pn, ptb
        keys = t[lo:hi] // interval_ms
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], keys.shape[0]] - 1
        rows: list[list[Any]] = []
        cols = (
            (keys[starts] * interval_ms).tolist(),
            o[starts].tolist(),
            np.maximum.reduceat(h, starts).tolist(),
            np.minimum.reduceat(low, starts).tolist(),
            c[ends].tolist(),
            np.add.reduceat(v, starts).tolist(),
            np.add.reduceat(q, starts).tolist(),
            np.add.reduceat(n, starts).tolist(),
            np.add.reduceat(tb, starts).tolist(),
        )
        for ot, oo, hh, ll, cc, vv, qq, nn, tbb in zip(*cols, strict=True):
            rows.append(
                [
                    ot, fmt(oo), fmt(hh), fmt(ll), fmt(cc), fmt(vv), ot + interval_ms - 1,
                    fmt(qq), nn, fmt(tbb), fmt(tbb * cc), "0",
                ]
            )  # fmt: skip
        return rows[:limit] if start is not None else rows[-limit:]

    def last_price(self, symbol: str, now: int) -> float | None:
        """Поточна ціна (close проміжного бару)."""
        st = self.state(symbol, now)
        return None if st is None else self.partial(symbol, st)[3]

    def window_stats(self, symbol: str, now: int, span_ms: int = DAY_MS) -> dict[str, float] | None:
        """open/high/low/last/volume/quote/count за останні `span_ms` до `now` (поточний бар — проміжний)."""
        st = self.state(symbol, now)
        if st is None:
            return None
        s = self.series[symbol]
        b, i = s.bars, st.index
        lo = max(0, i + 1 - span_ms // self.step_ms)
        po, ph, pl, pc, pv, pq, pn, _ = self.partial(symbol, st)
        first_open = po if lo == i else float(b.open[lo])
        high, low = ph, pl
        volume, quote, count = pv, pq, float(pn)
        if i > lo:
            high = max(high, float(b.high[lo:i].max()))
            low = min(low, float(b.low[lo:i].min()))
            volume += float(b.volume[lo:i].sum())
            quote += float(b.quote_volume[lo:i].sum())
            count += float(s.trades[lo:i].sum())
        return {
            "open": first_open,
            "high": high,
            "low": low,
            "last": pc,
            "volume": volume,
            "quote": quote,
            "count": count,
            "open_time": float(b.open_time[lo]),
        }

    def ticker_24h(self, now: int) -> list[dict[str, Any]]:
        """`ticker/24hr` для всіх символів з даними (вікно — останні 24 год барів)."""
        out = []
        for symbol in self.series:
            w = self.window_stats(symbol, now)
            if w is None:
                continue
            open_p, last, count = w["open"], w["last"], int(w["count"])
            out.append(
                {
                    "symbol": symbol,
                    "priceChange": fmt(round(last - open_p, 8)),
                    "priceChangePercent": f"{(last - open_p) / open_p * 100.0:.3f}",
                    "weightedAvgPrice": fmt(round(w["quote"] / w["volume"], 8) if w["volume"] else last),
                    "lastPrice": fmt(last),
                    "lastQty": "1",
                    "openPrice": fmt(open_p),
                    "highPrice": fmt(w["high"]),
                    "lowPrice": fmt(w["low"]),
                    "volume": fmt(round(w["volume"], 8)),
                    "quoteVolume": fmt(round(w["quote"], 8)),
                    "openTime": int(w["open_time"]),
                    "closeTime": now,
                    "firstId": 1,
                    "lastId": count,
                    "count": count,
                }
            )
        return out

    def _last_closed(self, symbol: str, now: int) -> int | None:
        """Індекс останнього бару, закритого на `now`."""
        t = self.series[symbol].bars.open_time
        i = int(np.searchsorted(t, now - self.step_ms, side="right")) - 1
        return i if i >= 0 else None

    def open_interest(self, symbol: str, now: int) -> dict[str, Any]:
        """OI: записаний рядок на `now` або похідний OI останнього закритого бару (див. `sim_derivs`)."""
        rec = self.recorded.get(symbol)
        if rec is not None and rec.oi is not None:
            j = rec.at_or_before("oi", now)
            if j is None:
                return {"openInterest": "0", "symbol": symbol, "time": now}
            return {
                "openInterest": repr(float(rec.oi["open_interest"][j])),
                "symbol": symbol,
                "time": int(rec.oi["ts"][j]),
            }
        i = self._last_closed(symbol, now)
        oi = float(self.derivs(symbol).oi[i]) if i is not None else 0.0
        return {"openInterest": f"{oi:.3f}", "symbol": symbol, "time": now}

    def open_interest_hist(
        self, symbol: str, period_ms: int, now: int, start: int | None, end: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """`openInterestHist`: точки на межах `period_ms` до `now` (OI останнього бару, закритого
        до межі; з запису — останній записаний рядок до межі)."""
        hi = min(now, end) if end is not None else now
        last = hi // period_ms * period_ms
        first = -(-start // period_ms) * period_ms if start is not None else last - (limit - 1) * period_ms
        if start is not None:
            last = min(last, first + (limit - 1) * period_ms)
        s = self.series[symbol]
        rec = self.recorded.get(symbol)
        out: list[dict[str, Any]] = []
        for t in range(max(first, 0), last + 1, period_ms):
            if rec is not None and rec.oi is not None:
                j = rec.at_or_before("oi", t)
                if j is None:
                    continue
                oi = float(rec.oi["open_interest"][j])
                value = float(rec.oi["value"][j])
                if not np.isfinite(value):
                    value = oi * (self.last_price(symbol, t) or 0.0)
            else:
                i = self._last_closed(symbol, t)
                if i is None:
                    continue
                oi = float(self.derivs(symbol).oi[i])
                value = oi * float(s.bars.close[i])
            out.append(
                {
                    "symbol": symbol,
                    "sumOpenInterest": f"{oi:.8f}",
                    "sumOpenInterestValue": f"{value:.8f}",
                    "timestamp": t,
                }
            )
        return out[-limit:]

    def book_levels(
        self, symbol: str, st: BarState, levels: int = BOOK_LEVELS, crossed: bool = False
    ) -> tuple[list[list[str]], list[list[str]]]:
        """Похідна книга (bids, asks) для стану бару (див. `sim_derivs`); ті самі списки, поки стан
        бару не змінився (викликач їх не змінює)."""
        key = (st.index, st.k, levels, crossed)
        cached = self._book_cache.get(symbol)
        if cached is not None and cached[0] == key:
            return cached[1]
        s = self.series[symbol]
        d = self.derivs(symbol)
        price = self.partial(symbol, st)[3]
        i = st.index
        book = derived_levels(
            price, s.tick, s.decimals, float(d.book_qty[i]), float(d.book_tilt[i]), levels, crossed
        )
        self._book_cache[symbol] = (key, book)
        return book

    def depth(self, symbol: str, limit: int, now: int) -> dict[str, Any]:
        """REST depth: похідна книга на `now` (`limit` рівнів)."""
        st = self.state(symbol, now)
        if st is None:
            return {"lastUpdateId": 0, "E": now, "T": now, "bids": [], "asks": []}
        bids, asks = self.book_levels(symbol, st, limit)
        return {"lastUpdateId": now, "E": now, "T": now, "bids": bids, "asks": asks}

    def funding_rate(self, symbol: str, st: BarState) -> float:
        """Похідна ставка фінансування під час бару стану `st`."""
        return float(self.derivs(symbol).funding[st.index])

    def premium_index(self, symbol: str, now: int) -> dict[str, Any]:
        """Марк-ціна та фінансування: записаний рядок або похідні (див. `sim_derivs`)."""
        rec = self.recorded.get(symbol)
        if rec is not None and rec.mark is not None:
            j = rec.at_or_before("mark", now)
            if j is not None:
                m = rec.mark
                return {
                    "symbol": symbol,
                    "markPrice": repr(float(m["mark_price"][j])),
                    "indexPrice": repr(float(m["index_price"][j])),
                    "estimatedSettlePrice": repr(float(m["index_price"][j])),
                    "lastFundingRate": f"{float(m['funding_rate'][j]):.8f}",
                    "nextFundingTime": int(m["next_funding_time"][j]),
                    "interestRate": "0.00010000",
                    "time": int(m["ts"][j]),
                }
        st = self.state(symbol, now)
        price = self.last_price(symbol, now) or 0.0
        rate = self.funding_rate(symbol, st) if st is not None else 0.0
        return {
            "symbol": symbol,
            "markPrice": fmt(price),
            "indexPrice": fmt(price),
            "estimatedSettlePrice": fmt(price),
            "lastFundingRate": f"{rate:.8f}",
            "nextFundingTime": next_funding_time(now),
            "interestRate": "0.00010000",
            "time": now,
        }

    def exchange_info(self, now: int, weight_limit: int) -> dict[str, Any]:
        """exchangeInfo у формі обраного ринку."""
        futures = self.spec.has_open_interest
        symbols = []
        for name, s in self.series.items():
            base = name[:-4] if name.endswith("USDT") else name
            item: dict[str, Any] = {
                "symbol": name,
                "status": "TRADING",
                "baseAsset": base,
                "quoteAsset": "USDT",
                "filters": [
                    {
                        "filterType": "PRICE_FILTER",
                        "minPrice": fmt(s.tick),
                        "maxPrice": "1000000",
                        "tickSize": fmt(s.tick),
                    },
                    {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000000", "stepSize": "0.001"},
                    {"filterType": "MIN_NOTIONAL", ("notional" if futures else "minNotional"): "5"},
                ],
            }
            if futures:
                item.update(
                    {
                        "pair": name,
                        "contractType": "PERPETUAL",
                        "pricePrecision": s.decimals,
                        "quantityPrecision": 3,
                    }
                )
            symbols.append(item)
        return {
            "timezone": "UTC",
            "serverTime": now,
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": weight_limit,
                }
            ],
            "exchangeFilters": [],
            "symbols": symbols,
        }

    # ── WS ──
    def kline_payload(self, symbol: str, st: BarState, event_time: int) -> dict[str, Any]:
        """Подія `kline` (дані combined-кадру) для стану `st`."""
        s = self.series[symbol]
        o, h, low, c, v, q, n, tb = self.partial(symbol, st)
        ot = int(s.bars.open_time[st.index])
        return {
            "e": "kline",
            "E": event_time,
            "s": symbol,
            "k": {
                "t": ot,
                "T": ot + self.step_ms - 1,
                "s": symbol,
                "i": self.interval_name,
                "f": 0,
                "L": max(0, n - 1),
                "o": fmt(o),
                "c": fmt(c),
                "h": fmt(h),
                "l": fmt(low),
                "v": fmt(v),
                "n": n,
                "x": st.k >= self.updates,
                "q": fmt(q),
                "V": fmt(tb),
                "Q": fmt(round(tb * c, 8)),
                "B": "0",
            },
        }

    def book_payload(self, symbol: str, st: BarState, event_time: int) -> dict[str, Any]:
        """Похідний bookTicker: bid = ціна, ask = ціна + тік (spot — без `e`/`E`/`T`)."""
        s = self.series[symbol]
        price = self.partial(symbol, st)[3]
        qty = fmt(round(max(0.001, float(s.bars.volume[st.index]) / 100.0), 3))
        out: dict[str, Any] = {
            "u": event_time,
            "s": symbol,
            "b": f"{price:.{s.decimals}f}",
            "B": qty,
            "a": f"{price + s.tick:.{s.decimals}f}",
            "A": qty,
        }
        if self.spec.book_ticker_has_event_type:
            out = {"e": "bookTicker", **out, "T": event_time, "E": event_time}
        return out

    def mark_payload(self, symbol: str, st: BarState, event_time: int) -> dict[str, Any]:
        """Похідна подія `markPriceUpdate` (марк = індекс = поточна ціна; ставка — `sim_derivs`)."""
        price = fmt(self.partial(symbol, st)[3])
        return {
            "e": "markPriceUpdate",
            "E": event_time,
            "s": symbol,
            "p": price,
            "i": price,
            "P": price,
            "r": f"{self.funding_rate(symbol, st):.8f}",
            "T": next_funding_time(event_time),
        }

    def steps_between(self, symbol: str, prev: BarState | None, cur: BarState) -> list[BarState]:
        """Стани, які треба надіслати, щоб перейти від `prev` до `cur` (без k=0)."""
        if prev is None:
            return [cur] if cur.k > 0 else []
        out: list[BarState] = []
        i, k = prev.index, prev.k
        while (i, k) < (cur.index, cur.k):
            if k >= self.updates:
                i, k = i + 1, 0
            else:
                k += 1
            if k > 0 and (i, k) <= (cur.index, cur.k):
                out.append(BarState(i, k))
        return out

    def event_time(self, symbol: str, st: BarState) -> int:
        """Віртуальний час події для стану (кінець кроку)."""
        ot = int(self.series[symbol].bars.open_time[st.index])
        return ot + st.k * self.step_ms // self.updates


__all__ = [
    "AVG_TRADE_QUOTE",
    "BarState",
    "Series",
    "SimMarket",
    "VirtualClock",
    "alias_names",
    "build_series",
    "fmt",
    "load_market_series",
    "without_bars",
]
