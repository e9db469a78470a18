"""Чистий відбір символів префільтра Stage1: без мережі, без часу, без журналу.

Вхід — exchangeInfo (`SymbolInfo`), усі тікери `ticker/24hr` і, для короткого списку,
відкритий інтерес і глибина книги в USDT. Вихід — `PrefilterResult`: ранжований список,
причина відмови для кожного відкинутого символу та лічильники за причинами.

Правила (перша невиконана умова дає причину відмови, порядок — від дешевих до дорогих):
1. `no_ticker` — символ є в exchangeInfo, але немає його тікера;
2. `status` — статус не TRADING;
3. `quote_asset` — валюта котирування не `params.quote_asset`;
4. `not_perpetual` — на ф'ючерсах (market="um") контракт не PERPETUAL;
5. `low_volume` — 24h quote volume нижче порогу;
6. `price_range` — остання ціна поза [min_price, max_price];
7. `low_price_change` — |24h зміна, %| нижче порогу (лише коли `use_price_change`);
8. `low_volatility` — ATR% нижче порогу. ATR% береться з `atr_pct` (у ВІДСОТКАХ, як і
   `min_atr_percent`), а якщо для символу його немає — проксі денного діапазону
   (high − low) / last × 100 з тікера (безкоштовно за вагою запитів);
9. `no_open_interest` / `low_open_interest` — лише ф'ючерси і лише коли `open_interest_usd`
   передано: символу немає у мапі (запит не вдався) або OI × ціна нижче порогу;
10. `no_depth` / `low_depth` — коли `depth_usd` передано: аналогічно для глибини ±1 %;
11. `rank_cutoff` — пройшов усі умови, але не влазить у `max_symbols` за рангом.

Динамічний режим (`params.dynamic`): поріг стає перцентилем поточного універсу (символів,
що пройшли пункти 1–4), а абсолютне значення лишається нижньою межею: quote volume —
`quote_volume_percentile`, ATR% — `atr_percentile`, OI — `open_interest_percentile` (0 = лише межа).

Ранг: зважена сума перцентильних рангів ознак серед тих, хто пройшов (`PREFILTER_SCORE_WEIGHTS`);
ознаки без значення (OI на spot) відкидаються, а ваги перенормовуються. Рівні скори
впорядковуються за назвою символу, тож результат детермінований.

Живі значення (`live_deriv_values`): коли є сховище деривативів, OI (× остання ціна тікера) і
глибина ±1 % беруться з нього, якщо вони свіжі на момент проходу (OI — не старший за
`oi_max_age_ms`, книга — `fresh`); решту префільтр питає в REST, як і без сховища.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from aione.config.config import (
    MANUAL_FAST_SYMBOLS_SEED,
    PREFILTER_BASE_PARAMS,
    PREFILTER_SCORE_WEIGHTS,
    FilterParams,
    MetricResults,
    SymbolInfo,
)
from aione.signals.deriv_context import SeriesSource, deriv_context

# ── Причини відмови ──
REASON_NO_TICKER = "no_ticker"
REASON_STATUS = "status"
REASON_QUOTE_ASSET = "quote_asset"
REASON_NOT_PERPETUAL = "not_perpetual"
REASON_LOW_VOLUME = "low_volume"
REASON_PRICE_RANGE = "price_range"
REASON_LOW_PRICE_CHANGE = "low_price_change"
REASON_LOW_VOLATILITY = "low_volatility"
REASON_NO_OPEN_INTEREST = "no_open_interest"
REASON_LOW_OPEN_INTEREST = "low_open_interest"
REASON_NO_DEPTH = "no_depth"
REASON_LOW_DEPTH = "low_depth"
REASON_RANK_CUTOFF = "rank_cutoff"
REJECT_REASONS: tuple[str, ...] = (
    REASON_NO_TICKER,
    REASON_STATUS,
    REASON_QUOTE_ASSET,
    REASON_NOT_PERPETUAL,
    REASON_LOW_VOLUME,
    REASON_PRICE_RANGE,
    REASON_LOW_PRICE_CHANGE,
    REASON_LOW_VOLATILITY,
    REASON_NO_OPEN_INTEREST,
    REASON_LOW_OPEN_INTEREST,
    REASON_NO_DEPTH,
    REASON_LOW_DEPTH,
    REASON_RANK_CUTOFF,
)


# ── Форма тікера ──
class TickerLike(Protocol):
    """Те, що префільтр читає з тікера 24h (`aione.exchange.models.Ticker24h` їй відповідає)."""

    @property
    def symbol(self) -> str: ...
    @property
    def last_price(self) -> float: ...
    @property
    def price_change_pct(self) -> float: ...
    @property
    def quote_volume(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def low(self) -> float: ...


# ── Результат ──
@dataclass(slots=True)
class PrefilterResult:
    """Підсумок префільтра.

    `selected` — ранжований автоматичний список; `rejected` — символ → причина; `counts` —
    причина → кількість (для `symbols_filtered_total{reason}`); `metrics` — зібрані ознаки
    кожного символу з тікером (скор > 0 лише у тих, хто пройшов фільтри); `elapsed_seconds`
    заповнює асинхронний запуск (для `prefilter_elapsed_seconds`)."""

    selected: list[str]
    rejected: dict[str, str]
    counts: dict[str, int]
    metrics: dict[str, MetricResults]
    thresholds: dict[str, float] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    def fast_symbols(self, seed: Sequence[str] = MANUAL_FAST_SYMBOLS_SEED) -> list[str]:
        """`selected` ∪ ручний список: спершу ранжовані, далі ручні, яких серед них немає."""
        seen = set(self.selected)
        return [*self.selected, *(s for s in seed if s not in seen)]


# ── Допоміжні ──
def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _percentile_floor(values: list[float], pct: float, floor: float, dynamic: bool) -> float:
    """Поріг: абсолютна межа або, у динамічному режимі, max(межа, перцентиль універсу)."""
    if not dynamic or pct <= 0 or not values:
        return floor
    return max(floor, float(np.percentile(np.asarray(values, dtype=np.float64), pct)))


def _pct_ranks(values: Mapping[str, float]) -> dict[str, float]:
    """Перцентильний ранг у [0, 1] (рівні значення — однаковий середній ранг)."""
    n = len(values)
    if n == 0:
        return {}
    if n == 1:
        return dict.fromkeys(values, 1.0)
    order = sorted(values.items(), key=lambda kv: kv[1])
    ranks: dict[str, float] = {}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and order[j + 1][1] == order[i][1]:
            j += 1
        rank = (i + j) / 2.0 / (n - 1)
        for k in range(i, j + 1):
            ranks[order[k][0]] = rank
        i = j + 1
    return ranks


def proxy_atr_pct(ticker: TickerLike) -> float | None:
    """Проксі волатильності, %: денний діапазон (high − low) / last × 100; None, коли невідомо."""
    if not (_finite(ticker.high) and _finite(ticker.low) and _finite(ticker.last_price)):
        return None
    if ticker.last_price <= 0 or ticker.high < ticker.low:
        return None
    return (ticker.high - ticker.low) / ticker.last_price * 100.0


def _score(
    passed: Sequence[str], features: Mapping[str, Mapping[str, float]], weights: Mapping[str, float]
) -> dict[str, float]:
    """Скор: зважені перцентильні ранги; відсутня в символу ознака відкидається з перенормуванням."""
    ranks = {name: _pct_ranks({s: vals[s] for s in passed if s in vals}) for name, vals in features.items()}
    scores: dict[str, float] = {}
    for sym in passed:
        total = 0.0
        wsum = 0.0
        for name, w in weights.items():
            r = ranks.get(name, {}).get(sym)
            if r is None or w <= 0:
                continue
            total += w * r
            wsum += w
        scores[sym] = total / wsum if wsum > 0 else 0.0
    return scores


# ── Відбір ──
def select_symbols(
    symbols: Sequence[SymbolInfo],
    tickers: Sequence[TickerLike],
    *,
    params: FilterParams = PREFILTER_BASE_PARAMS,
    open_interest_usd: Mapping[str, float] | None = None,
    depth_usd: Mapping[str, float] | None = None,
    atr_pct: Mapping[str, float] | None = None,
    market: str = "um",
    weights: Mapping[str, float] = PREFILTER_SCORE_WEIGHTS,
) -> PrefilterResult:
    """Відбирає й ранжує символи за правилами модуля (див. docstring модуля)."""
    by_ticker = {t.symbol: t for t in tickers}
    rejected: dict[str, str] = {}
    universe: list[SymbolInfo] = []
    for info in symbols:
        t = by_ticker.get(info.symbol)
        if t is None or not _finite(t.last_price) or not _finite(t.quote_volume):
            rejected[info.symbol] = REASON_NO_TICKER
        elif info.status != "TRADING":
            rejected[info.symbol] = REASON_STATUS
        elif info.quote_asset != params.quote_asset:
            rejected[info.symbol] = REASON_QUOTE_ASSET
        elif market == "um" and info.contract_type != "PERPETUAL":
            rejected[info.symbol] = REASON_NOT_PERPETUAL
        else:
            universe.append(info)

    # Ознаки кожного символу універсу.
    qv: dict[str, float] = {}
    chg: dict[str, float] = {}
    vol: dict[str, float] = {}
    for info in universe:
        t = by_ticker[info.symbol]
        qv[info.symbol] = float(t.quote_volume)
        chg[info.symbol] = abs(float(t.price_change_pct)) if _finite(t.price_change_pct) else 0.0
        given = atr_pct.get(info.symbol) if atr_pct is not None else None
        v = given if _finite(given) else proxy_atr_pct(t)
        if v is not None:
            vol[info.symbol] = float(v)
    futures = market == "um"
    oi: dict[str, float] = {}
    if futures and open_interest_usd is not None:
        oi = {s: float(v) for s, v in open_interest_usd.items() if s in qv and _finite(v)}
    depth: dict[str, float] = {}
    if depth_usd is not None:
        depth = {s: float(v) for s, v in depth_usd.items() if s in qv and _finite(v)}

    dyn = params.dynamic
    thr_qv = _percentile_floor(
        list(qv.values()), params.quote_volume_percentile, params.min_quote_volume, dyn
    )
    thr_atr = _percentile_floor(list(vol.values()), params.atr_percentile, params.min_atr_percent, dyn)
    thr_oi = _percentile_floor(
        list(oi.values()), params.open_interest_percentile, params.min_open_interest, dyn
    )

    passed: list[str] = []
    for info in universe:
        s = info.symbol
        price = float(by_ticker[s].last_price)
        if qv[s] < thr_qv:
            rejected[s] = REASON_LOW_VOLUME
        elif not (params.min_price <= price <= params.max_price):
            rejected[s] = REASON_PRICE_RANGE
        elif params.use_price_change and chg[s] < params.min_price_change:
            rejected[s] = REASON_LOW_PRICE_CHANGE
        elif vol.get(s, 0.0) < thr_atr:
            rejected[s] = REASON_LOW_VOLATILITY
        elif futures and open_interest_usd is not None and s not in oi:
            rejected[s] = REASON_NO_OPEN_INTEREST
        elif futures and open_interest_usd is not None and oi[s] < thr_oi:
            rejected[s] = REASON_LOW_OPEN_INTEREST
        elif depth_usd is not None and s not in depth:
            rejected[s] = REASON_NO_DEPTH
        elif depth_usd is not None and depth[s] < params.min_orderbook_depth:
            rejected[s] = REASON_LOW_DEPTH
        else:
            passed.append(s)

    features = {"quote_volume": qv, "atr_pct": vol, "price_change": chg, "open_interest": oi}
    scores = _score(passed, features, weights)
    ranked = sorted(passed, key=lambda s: (-scores[s], s))
    selected = ranked[: params.max_symbols]
    for s in ranked[params.max_symbols :]:
        rejected[s] = REASON_RANK_CUTOFF

    metrics: dict[str, MetricResults] = {}
    for info in universe:
        s = info.symbol
        t = by_ticker[s]
        metrics[s] = MetricResults(
            symbol=s,
            quote_volume=max(0.0, qv[s]),
            price_change_pct=float(t.price_change_pct) if _finite(t.price_change_pct) else 0.0,
            last_price=max(0.0, float(t.last_price)),
            open_interest_usd=max(0.0, oi[s]) if s in oi else None,
            orderbook_depth_usd=max(0.0, depth[s]) if s in depth else None,
            atr_pct=max(0.0, vol[s]) if s in vol else None,
            score=scores.get(s, 0.0),
        )
    counts: dict[str, int] = {}
    for reason in rejected.values():
        counts[reason] = counts.get(reason, 0) + 1
    thresholds = {
        "min_quote_volume": thr_qv,
        "min_atr_percent": thr_atr,
        "min_open_interest": thr_oi,
        "min_orderbook_depth": params.min_orderbook_depth,
        "min_price_change": params.min_price_change if params.use_price_change else 0.0,
    }
    return PrefilterResult(selected, rejected, counts, metrics, thresholds)


# ── Живі значення деривативів ──
def live_deriv_values(
    source: SeriesSource,
    symbols: Sequence[str],
    now_ms: int,
    last_price: Mapping[str, float],
    *,
    with_oi: bool = True,
    with_depth: bool = True,
) -> tuple[dict[str, float], dict[str, float]]:
    """(OI у USDT, глибина ±1 % у USDT) символів, для яких сховище має свіжі значення на `now_ms`."""
    oi: dict[str, float] = {}
    depth: dict[str, float] = {}
    for sym in symbols:
        ctx = deriv_context(source, sym, now_ms)
        price = last_price.get(sym, 0.0)
        if with_oi and ctx.oi is not None and price > 0:
            oi[sym] = ctx.oi * price
        if with_depth and ctx.book_fresh and ctx.depth_usd is not None:
            depth[sym] = ctx.depth_usd
    return oi, depth


__all__ = [
    "REJECT_REASONS",
    "PrefilterResult",
    "TickerLike",
    "live_deriv_values",
    "proxy_atr_pct",
    "select_symbols",
]
