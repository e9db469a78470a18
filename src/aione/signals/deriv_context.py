"""Знімок деривативів символу на момент події `t` (`DerivContext`) і його пакетний двійник.

Чиста логіка без годинника: усе береться лише з точок рядів з часом ≤ `t` (без погляду вперед).
Джерело рядів — будь-яка функція `(symbol, kind) → ряд | None`, де ряд уміє `times()` і
`column(name)`: у живому процесі це `DerivStore.series` (кільця сховища), у бектесті —
`recorded_source` над записаними стовпцями (`deriv_disk.read_series_days`). Види й стовпці — як у
`deriv_store.SERIES_COLUMNS`: book (mid, spread_bps, bid_usd, ask_usd, imbalance), oi
(open_interest, value), mark (mark_price, index_price, funding_rate, next_funding_time),
liq (side +1 BUY / −1 SELL, price, qty, notional).

Поля знімка (None — ряду немає або точка застара: відсутнє не вигадується):
- `oi`, `oi_change_pct` (% за `oi_window_min` хв), `oi_z` (z цієї зміни щодо `oi_z_points`
  попередніх точок), точка OI не старша за `oi_max_age_ms`;
- `funding_rate`, `funding_pct_rank` (0…100, середній ранг серед останніх `funding_rank_points`
  точок марк-ряду, не менше `funding_min_points`), точка не старша за `mark_max_age_ms`;
- `liq_long_usd` / `liq_short_usd` — ліквідації лонгів (ордери SELL) і шортів (BUY) за
  (t − `liq_window_min`, t]; None, коли за добу до t (`liq_known_ms`, вікно кільця сховища) не було
  жодної ліквідації символу — тоді невідомо, чи потік ліквідацій узагалі був (живе кільце й
  записаний ряд тут завжди згодні: кільце тримає саме добу);
- книга: `book_state` fresh | stale | crossed | missing, `book_age_ms`, `book_imbalance`,
  `bid_usd`/`ask_usd`/`depth_usd` у смузі ±1 % (смуга сховища), `spread_bps`;
- `taker_buy_ratio`, `cvd_slope` — з барів (`with_taker`), коли відомі колонки тейкера.

Один шлях обчислення для обох форм: `deriv_context` — це `deriv_columns` для одного `t`, тож живий
монітор і бектест отримують однакові до біта числа (див. `deriv_math`).
Час події бару — `bar_event_time`: останні мілісекунди бару (open_time + тривалість − 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from aione.config.config import DERIV_SIGNAL_PARAMS
from aione.data.bars import BarArrays
from aione.signals.deriv_math import (
    FloatArray,
    IntArray,
    cents,
    oi_stats,
    seq_sum,
    trailing_rank,
    window_cent_sums,
)

MINUTE_MS = 60_000
BOOK_FRESH = "fresh"
BOOK_STALE = "stale"
BOOK_CROSSED = "crossed"
BOOK_MISSING = "missing"
_BOOK_STATES = (BOOK_MISSING, BOOK_FRESH, BOOK_STALE, BOOK_CROSSED)  # код стану = індекс
_NAN = math.nan


# ── Джерела рядів ──
class SeriesView(Protocol):
    """Ряд для читання: час точок і стовпці (як `SeriesRing`)."""

    def times(self) -> IntArray: ...

    def column(self, name: str) -> FloatArray: ...


SeriesSource = Callable[[str, str], SeriesView | None]


class ColumnsView:
    """Записані стовпці ряду (`{"ts": …, стовпець: …}`) як `SeriesView`."""

    __slots__ = ("_cols", "_ts")

    def __init__(self, cols: Mapping[str, npt.NDArray[np.generic]]) -> None:
        self._cols = cols
        self._ts: IntArray = np.asarray(cols["ts"], dtype=np.int64)

    def times(self) -> IntArray:
        return self._ts

    def column(self, name: str) -> FloatArray:
        return np.asarray(self._cols[name], dtype=np.float64)


def recorded_source(
    series: Mapping[str, Mapping[str, Mapping[str, npt.NDArray[np.generic]]]],
) -> SeriesSource:
    """Джерело над записаними рядами `{symbol: {kind: {"ts": …, стовпець: …}}}` (бектест)."""
    views: dict[tuple[str, str], ColumnsView] = {}
    for symbol, kinds in series.items():
        for kind, cols in kinds.items():
            if "ts" in cols and len(cols["ts"]):
                views[(symbol, kind)] = ColumnsView(cols)

    def get(symbol: str, kind: str) -> SeriesView | None:
        return views.get((symbol, kind))

    return get


def bar_event_time(open_time: int, timeframe_ms: int) -> int:
    """Час події закритого бару для запитів до рядів: його останні мілісекунди."""
    return open_time + timeframe_ms - 1


# ── Параметри ──
@dataclass(frozen=True, slots=True)
class DerivParams:
    """Вікна й межі свіжості знімка (типово — `DERIV_SIGNAL_PARAMS`)."""

    oi_window_ms: int = int(DERIV_SIGNAL_PARAMS["oi_window_min"]) * MINUTE_MS
    oi_z_points: int = int(DERIV_SIGNAL_PARAMS["oi_z_points"])
    oi_z_min_std_pct: float = float(DERIV_SIGNAL_PARAMS["oi_z_min_std_pct"])
    oi_max_age_ms: int = int(DERIV_SIGNAL_PARAMS["oi_max_age_ms"])
    funding_rank_points: int = int(DERIV_SIGNAL_PARAMS["funding_rank_points"])
    funding_min_points: int = int(DERIV_SIGNAL_PARAMS["funding_min_points"])
    mark_max_age_ms: int = int(DERIV_SIGNAL_PARAMS["mark_max_age_ms"])
    liq_window_ms: int = int(DERIV_SIGNAL_PARAMS["liq_window_min"]) * MINUTE_MS
    book_stale_ms: int = int(DERIV_SIGNAL_PARAMS["book_stale_ms"])
    taker_window_bars: int = int(DERIV_SIGNAL_PARAMS["taker_window_bars"])
    liq_known_ms: int = 24 * 3_600_000  # = DerivWindows.liq_window_ms: скільки тримає кільце сховища

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> DerivParams:
        """З параметрів монітора символу (ключі `DERIV_SIGNAL_PARAMS`; відсутні — типові)."""

        def get(key: str) -> Any:
            return params.get(key, DERIV_SIGNAL_PARAMS[key])

        return cls(
            int(get("oi_window_min")) * MINUTE_MS,
            int(get("oi_z_points")),
            float(get("oi_z_min_std_pct")),
            int(get("oi_max_age_ms")),
            int(get("funding_rank_points")),
            int(get("funding_min_points")),
            int(get("mark_max_age_ms")),
            int(get("liq_window_min")) * MINUTE_MS,
            int(get("book_stale_ms")),
            int(get("taker_window_bars")),
        )


DEFAULT_DERIV_PARAMS = DerivParams()


def paced(params: DerivParams, pace: float) -> DerivParams:
    """Межі свіжості для ринку, чий годинник іде в `pace` разів швидше за настінний (симулятор ×300):
    «книга старша за 5 с» означає 5 с настінного часу, тобто 5·pace с часу біржі. Вікна ознак
    (OI за 15 хв тощо) — у часі біржі й не змінюються. pace ≤ 1 — параметри як є."""
    if not pace > 1.0:
        return params
    return replace(
        params,
        book_stale_ms=round(params.book_stale_ms * pace),
        oi_max_age_ms=round(params.oi_max_age_ms * pace),
        mark_max_age_ms=round(params.mark_max_age_ms * pace),
    )


# ── Знімок ──
@dataclass(frozen=True, slots=True)
class DerivContext:
    """Деривативи символу на момент `t` (правила полів — у docstring модуля)."""

    t: int
    oi: float | None = None
    oi_change_pct: float | None = None
    oi_z: float | None = None
    oi_window_min: int = int(DERIV_SIGNAL_PARAMS["oi_window_min"])
    funding_rate: float | None = None
    funding_pct_rank: float | None = None
    mark_price: float | None = None
    liq_long_usd: float | None = None
    liq_short_usd: float | None = None
    liq_window_min: int = int(DERIV_SIGNAL_PARAMS["liq_window_min"])
    book_state: str = BOOK_MISSING
    book_age_ms: int | None = None
    book_imbalance: float | None = None
    bid_usd: float | None = None
    ask_usd: float | None = None
    spread_bps: float | None = None
    taker_buy_ratio: float | None = None
    cvd_slope: float | None = None

    @property
    def depth_usd(self) -> float | None:
        """Глибина обох сторін у смузі (USDT)."""
        if self.bid_usd is None or self.ask_usd is None:
            return None
        return self.bid_usd + self.ask_usd

    @property
    def book_fresh(self) -> bool:
        return self.book_state == BOOK_FRESH

    def book_problem(self) -> str | None:
        """Чому книгу не можна брати (`book: stale 7.2 s`, `book: crossed`); None — свіжа або її немає."""
        if self.book_state == BOOK_STALE:
            age = (self.book_age_ms or 0) / 1000.0
            return f"book: stale {age:.1f} s"
        if self.book_state == BOOK_CROSSED:
            return "book: crossed"
        return None

    def as_dict(self) -> dict[str, Any]:
        """Запис для рішення/кадру: лише числа й стани."""
        return {
            "t": self.t,
            "oi": self.oi,
            "oi_change_pct": self.oi_change_pct,
            "oi_z": self.oi_z,
            "oi_window_min": self.oi_window_min,
            "funding_rate": self.funding_rate,
            "funding_pct_rank": self.funding_pct_rank,
            "liq_long_usd": self.liq_long_usd,
            "liq_short_usd": self.liq_short_usd,
            "liq_window_min": self.liq_window_min,
            "book_state": self.book_state,
            "book_age_ms": self.book_age_ms,
            "book_imbalance": self.book_imbalance,
            "depth_usd": self.depth_usd,
            "spread_bps": self.spread_bps,
            "taker_buy_ratio": self.taker_buy_ratio,
            "cvd_slope": self.cvd_slope,
        }


# ── Пакетна форма ──
class DerivColumns(NamedTuple):
    """Поля знімка на кожен момент `t` (NaN — None у знімку; `book_code` — індекс у `_BOOK_STATES`)."""

    t: IntArray
    oi: FloatArray
    oi_change_pct: FloatArray
    oi_z: FloatArray
    funding_rate: FloatArray
    funding_pct_rank: FloatArray
    mark_price: FloatArray
    liq_long_usd: FloatArray
    liq_short_usd: FloatArray
    has_liq: bool
    book_code: npt.NDArray[np.int8]
    book_age_ms: IntArray
    book_imbalance: FloatArray
    bid_usd: FloatArray
    ask_usd: FloatArray
    spread_bps: FloatArray


def _at(view: SeriesView | None, t: IntArray) -> tuple[IntArray, IntArray]:
    """(позиція останньої точки з часом ≤ t або −1, її час або 0) для кожного t."""
    if view is None:
        return np.full(t.shape[0], -1, dtype=np.int64), np.zeros(t.shape[0], dtype=np.int64)
    ts = view.times()
    pos = np.searchsorted(ts, t, side="right").astype(np.int64) - 1
    when = np.where(pos >= 0, ts[np.maximum(pos, 0)] if ts.shape[0] else 0, 0).astype(np.int64)
    return pos, when


def _pick(col: FloatArray, pos: IntArray, ok: npt.NDArray[np.bool_]) -> FloatArray:
    if col.shape[0] == 0:
        return np.full(pos.shape[0], _NAN)
    out: FloatArray = np.where(ok, col[np.maximum(pos, 0)], _NAN)
    return out


def deriv_columns(
    source: SeriesSource, symbol: str, t: IntArray, params: DerivParams = DEFAULT_DERIV_PARAMS
) -> DerivColumns:
    """Поля знімка символу на кожен момент `t` (зростають) — пакетна форма `deriv_context`."""
    t = np.asarray(t, dtype=np.int64)
    n = t.shape[0]
    nan = np.full(n, _NAN)
    # OI: зміна й z рахуються в точках ряду, потім беруться на моменти t
    oi_view = source(symbol, "oi")
    pos, when = _at(oi_view, t)
    ok = (pos >= 0) & (t - when <= params.oi_max_age_ms)
    oi = oi_chg = oi_z = nan
    if oi_view is not None and bool(ok.any()):
        ts = oi_view.times()
        vals = oi_view.column("open_interest")
        oi = _pick(vals, pos, ok)
        need = np.unique(pos[ok])
        chg_p, z_p = oi_stats(
            ts, vals, need, params.oi_window_ms, params.oi_z_points, params.oi_z_min_std_pct
        )
        where = np.searchsorted(need, np.maximum(pos, 0))
        where = np.minimum(where, need.shape[0] - 1)
        oi_chg = np.where(ok, chg_p[where], _NAN)
        oi_z = np.where(ok, z_p[where], _NAN)
    # фінансування
    mark_view = source(symbol, "mark")
    pos, when = _at(mark_view, t)
    ok = (pos >= 0) & (t - when <= params.mark_max_age_ms)
    fund = rank = mark = nan
    if mark_view is not None and bool(ok.any()):
        rates = mark_view.column("funding_rate")
        fund = _pick(rates, pos, ok)
        mark = _pick(mark_view.column("mark_price"), pos, ok)
        need = np.unique(pos[ok])
        ranks = _ranks_at(rates, need, params)
        where = np.minimum(np.searchsorted(need, np.maximum(pos, 0)), need.shape[0] - 1)
        rank = np.where(ok, ranks[where], _NAN)
    # ліквідації
    liq_view = source(symbol, "liq")
    has_liq = liq_view is not None and liq_view.times().shape[0] > 0
    liq_long = liq_short = nan
    if liq_view is not None and has_liq:
        ts = liq_view.times()
        side = liq_view.column("side")
        c = cents(liq_view.column("notional"))
        zero = np.zeros_like(c)
        known = window_cent_sums(ts, np.ones_like(c), t, params.liq_known_ms) > 0
        liq_long = window_cent_sums(ts, np.where(side < 0, c, zero), t, params.liq_window_ms) / 100.0
        liq_short = window_cent_sums(ts, np.where(side > 0, c, zero), t, params.liq_window_ms) / 100.0
        liq_long = np.where(known, liq_long, _NAN)
        liq_short = np.where(known, liq_short, _NAN)
    # книга
    book_view = source(symbol, "book")
    pos, when = _at(book_view, t)
    ok = pos >= 0
    age = np.where(ok, t - when, 0).astype(np.int64)
    code = np.zeros(n, dtype=np.int8)
    imb = bid = ask = spread = nan
    if book_view is not None and bool(ok.any()):
        spread = _pick(book_view.column("spread_bps"), pos, ok)
        imb = _pick(book_view.column("imbalance"), pos, ok)
        bid = _pick(book_view.column("bid_usd"), pos, ok)
        ask = _pick(book_view.column("ask_usd"), pos, ok)
        with np.errstate(invalid="ignore"):
            crossed = ok & ~(spread > 0)
        code = np.where(~ok, 0, np.where(crossed, 3, np.where(age > params.book_stale_ms, 2, 1))).astype(
            np.int8
        )
    return DerivColumns(
        t, oi, oi_chg, oi_z, fund, rank, mark, liq_long, liq_short, has_liq, code, age, imb, bid, ask, spread
    )


def _ranks_at(rates: FloatArray, need: IntArray, params: DerivParams) -> FloatArray:
    """Перцентилі фінансування в точках `need` (зростають)."""
    if need.shape[0] <= 8:
        return np.concatenate(
            [
                trailing_rank(
                    rates[: int(p) + 1], params.funding_rank_points, params.funding_min_points, int(p)
                )
                for p in need
            ]
        )
    full = trailing_rank(rates, params.funding_rank_points, params.funding_min_points, int(need[0]))
    out: FloatArray = full[need - int(need[0])]
    return out


# ── Скалярна форма ──
def _opt(x: float) -> float | None:
    return x if x == x else None  # noqa: PLR0124 — NaN → None


def row(cols: DerivColumns, i: int, params: DerivParams = DEFAULT_DERIV_PARAMS) -> DerivContext:
    """Знімок з рядка `i` пакетної форми."""
    code = int(cols.book_code[i])
    return DerivContext(
        t=int(cols.t[i]),
        oi=_opt(float(cols.oi[i])),
        oi_change_pct=_opt(float(cols.oi_change_pct[i])),
        oi_z=_opt(float(cols.oi_z[i])),
        oi_window_min=params.oi_window_ms // MINUTE_MS,
        funding_rate=_opt(float(cols.funding_rate[i])),
        funding_pct_rank=_opt(float(cols.funding_pct_rank[i])),
        mark_price=_opt(float(cols.mark_price[i])),
        liq_long_usd=_opt(float(cols.liq_long_usd[i])),
        liq_short_usd=_opt(float(cols.liq_short_usd[i])),
        liq_window_min=params.liq_window_ms // MINUTE_MS,
        book_state=_BOOK_STATES[code],
        book_age_ms=int(cols.book_age_ms[i]) if code else None,
        book_imbalance=_opt(float(cols.book_imbalance[i])) if code else None,
        bid_usd=_opt(float(cols.bid_usd[i])) if code else None,
        ask_usd=_opt(float(cols.ask_usd[i])) if code else None,
        spread_bps=_opt(float(cols.spread_bps[i])) if code else None,
    )


def _last_at(view: SeriesView | None, t: int) -> tuple[IntArray, int]:
    """(час точок ряду, позиція останньої точки з часом ≤ t або −1)."""
    if view is None:
        return np.empty(0, dtype=np.int64), -1
    ts = view.times()
    return ts, int(np.searchsorted(ts, t, side="right")) - 1


def deriv_context(
    source: SeriesSource,
    symbol: str,
    t: int,
    params: DerivParams = DEFAULT_DERIV_PARAMS,
    *,
    book: bool = True,
) -> DerivContext:
    """Знімок деривативів символу на момент `t` (лише точки з часом ≤ t).

    Скалярна форма для живого процесу (одна точка — без масивів на всі t): ті самі вибірки й ті
    самі функції `deriv_math`, що в `deriv_columns`, тож числа однакові до біта (це перевіряє тест).
    `book=False` — без частини книги (поля книги як за її відсутності): для споживача, що книгу
    не читає (тригери Stage1), це та сама відповідь на кожне його питання, лише дешевша."""
    out: dict[str, Any] = {}
    view = source(symbol, "oi")
    ts, pos = _last_at(view, t)
    if view is not None and pos >= 0 and t - int(ts[pos]) <= params.oi_max_age_ms:
        vals = view.column("open_interest")
        out["oi"] = float(vals[pos])
        chg, z = oi_stats(
            ts,
            vals,
            np.array([pos], dtype=np.int64),
            params.oi_window_ms,
            params.oi_z_points,
            params.oi_z_min_std_pct,
        )
        out["oi_change_pct"] = _opt(float(chg[0]))
        out["oi_z"] = _opt(float(z[0]))
    view = source(symbol, "mark")
    ts, pos = _last_at(view, t)
    if view is not None and pos >= 0 and t - int(ts[pos]) <= params.mark_max_age_ms:
        rates = view.column("funding_rate")
        out["funding_rate"] = float(rates[pos])
        out["mark_price"] = float(view.column("mark_price")[pos])
        rank = trailing_rank(rates[: pos + 1], params.funding_rank_points, params.funding_min_points, pos)
        out["funding_pct_rank"] = _opt(float(rank[0]))
    view = source(symbol, "liq")
    ts, hi = _last_at(view, t)
    if view is not None and hi >= 0:
        hi += 1
        if int(np.searchsorted(ts, t - params.liq_known_ms, side="right")) < hi:
            lo = int(np.searchsorted(ts, t - params.liq_window_ms, side="right"))
            side = view.column("side")[lo:hi]
            c = cents(view.column("notional")[lo:hi])
            out["liq_long_usd"] = int(c[side < 0].sum()) / 100.0
            out["liq_short_usd"] = int(c[side > 0].sum()) / 100.0
    view = source(symbol, "book") if book else None
    ts, pos = _last_at(view, t)
    if view is not None and pos >= 0:
        spread = float(view.column("spread_bps")[pos])
        age = t - int(ts[pos])
        state = BOOK_CROSSED if not spread > 0 else BOOK_STALE if age > params.book_stale_ms else BOOK_FRESH
        out.update(
            book_state=state,
            book_age_ms=age,
            book_imbalance=_opt(float(view.column("imbalance")[pos])),
            bid_usd=_opt(float(view.column("bid_usd")[pos])),
            ask_usd=_opt(float(view.column("ask_usd")[pos])),
            spread_bps=_opt(spread),
        )
    return DerivContext(
        t,
        oi_window_min=params.oi_window_ms // MINUTE_MS,
        liq_window_min=params.liq_window_ms // MINUTE_MS,
        **out,
    )


# ── Потік тейкерів з барів ──
def taker_known(taker: float, trades: int) -> bool:
    """Обсяг taker-buy відомий: скінченний, невід'ємний і не синтетичний нуль без угод
    (`Bar` типово має taker 0 і trades 0 — так будують бари тести, це не дані)."""
    return math.isfinite(taker) and taker >= 0.0 and not (taker == 0.0 and trades == 0)


def with_taker(
    ctx: DerivContext, bars: BarArrays, window: int = DEFAULT_DERIV_PARAMS.taker_window_bars
) -> DerivContext:
    """Знімок із частки taker-buy і нахилу CVD за останні `window` барів `bars` (коли всі відомі).

    `taker_buy_ratio` = Σtaker_buy / Σобсяг, `cvd_slope` = Σ(2·taker_buy − обсяг) / window
    (базовий актив за бар)."""
    n = len(bars)
    if n < window or window < 1:
        return ctx
    tb = [float(v) for v in bars.taker_buy_volume[n - window :]]
    vol = [float(v) for v in bars.volume[n - window :]]
    trades = [int(v) for v in bars.trades[n - window :]]
    if not all(taker_known(a, k) for a, k in zip(tb, trades, strict=True)):
        return ctx
    total = seq_sum(vol)
    if not total > 0:
        return ctx
    delta = seq_sum([2.0 * a - v for a, v in zip(tb, vol, strict=True)])
    return replace(ctx, taker_buy_ratio=seq_sum(tb) / total, cvd_slope=delta / window)


__all__ = [
    "BOOK_CROSSED",
    "BOOK_FRESH",
    "BOOK_MISSING",
    "BOOK_STALE",
    "DEFAULT_DERIV_PARAMS",
    "ColumnsView",
    "DerivColumns",
    "DerivContext",
    "DerivParams",
    "SeriesSource",
    "SeriesView",
    "bar_event_time",
    "deriv_columns",
    "deriv_context",
    "paced",
    "recorded_source",
    "row",
    "taker_known",
    "with_taker",
]
