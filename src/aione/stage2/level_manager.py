"""Рівні підтримки/опору на трьох масштабах і смуга між найближчими з них.

- micro: підтверджені свінг-півоти 1m барів за останні `sr_window` барів;
- meso: півоти годинних барів, зібраних з 1m вікна (година UTC за `open_time`);
- macro: максимум і мінімум останнього ЗАКРИТОГО денного бару та півоти денних барів.

Кандидати ближчі один до одного за `levels_merge_atr`·ATR зливаються (ланцюжком): ціна
й масштаб — від найвагомішого члена (старший масштаб, тоді більше дотиків, тоді свіжіший),
вік — найменший. Дотики рівня — скільки барів усіх трьох масштабів (1m вікна `sr_window`,
годинних, закритих денних) підійшли екстремумом (high або low) ближче ніж на той самий
допуск; це властивість цінової зони, тож при злитті береться найбільше, а не сума. Вид рівня визначає ціна зараз: нижче або
на рівні ціни — support, вище — resistance (пробитий опір стає підтримкою). Вік — у
хвилинах (1m барах) для всіх масштабів; відстані — абсолютні, у % від ціни та в ATR.
Смуга — між найближчою підтримкою S і найближчим опором R: `band_pct` = (R − S)/ціна·100,
`band_position` = (ціна − S)/(R − S) у [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from aione.config.config import TIMEFRAME_MS
from aione.data.bars import BarArrays, FloatArray, IntArray
from aione.indicators import swing_pivots
from aione.indicators.errors import check_array
from aione.utils.utils import tick_decimals

MINUTE_MS = TIMEFRAME_MS["1m"]
HOUR_MS = TIMEFRAME_MS["1h"]
DAY_MS = TIMEFRAME_MS["1d"]
SCALE_RANK = {"micro": 1, "meso": 2, "macro": 3}
# Горизонт «свіжості» масштабу у хвилинах: рівень такого віку важить удвічі менше.
_RECENCY_HORIZON_MIN = {"micro": 60.0, "meso": 1440.0, "macro": 10080.0}


# ── Моделі ──
class Level(NamedTuple):
    """Злитий рівень з ціною на сітці тіку (незмінний кортеж: рівнів багато на кожне рішення)."""

    price: float
    kind: str  # support | resistance
    scale: str  # micro | meso | macro
    touches: int
    age_bars: int  # хвилин від наймолодшого півота зони
    distance_pct: float
    distance_atr: float
    strength: float

    def as_dict(self) -> dict[str, float | int | str]:
        """Запис для `market_context.levels`."""
        return {
            "price": self.price,
            "kind": self.kind,
            "scale": self.scale,
            "touches": self.touches,
            "age_bars": self.age_bars,
            "distance_pct": self.distance_pct,
            "distance_atr": self.distance_atr,
            "strength": self.strength,
        }


@dataclass(frozen=True, slots=True)
class LevelSet:
    """Рівні (від найближчого до ціни) і смуга між найближчими S/R."""

    levels: tuple[Level, ...]
    nearest_support: float | None
    nearest_resistance: float | None
    band_pct: float | None
    band_position: float | None

    def supports(self) -> list[float]:
        """Ціни підтримок."""
        return [lv.price for lv in self.levels if lv.kind == "support"]

    def resistances(self) -> list[float]:
        """Ціни опорів."""
        return [lv.price for lv in self.levels if lv.kind == "resistance"]


# Кандидати зберігаються стовпцями: ціна, ранг масштабу, вік у хвилинах.
SCALE_BY_RANK = {rank: name for name, rank in SCALE_RANK.items()}
_EMPTY_I: IntArray = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Series:
    """Ряд барів одного масштабу для пошуку півотів."""

    open_time: IntArray
    high: FloatArray
    low: FloatArray
    rank: int
    order: int


# ── Півоти ──
def pivots_batched(series: list[_Series]) -> list[tuple[IntArray, IntArray]]:
    """Півоти кожного ряду з його власним порядком (`swing_pivots(high, low, order, order)`);
    ряд, коротший за 2·order + 1, півотів не має. Нескінченне значення в ряді, що має півоти, —
    `IndicatorInputError`, як і в `swing_pivots`; перевірка — одна сума на ряд замість повних
    перевірок входу, які на рядах у десятки барів дорожчі за сам пошук."""
    out: list[tuple[IntArray, IntArray]] = []
    for s in series:
        if len(s.high) < 2 * s.order + 1:
            out.append((_EMPTY_I, _EMPTY_I))
            continue
        if not math.isfinite(float(np.add.reduce(s.high)) + float(np.add.reduce(s.low))):
            check_array("swing_pivots", "high", s.high)  # знайде поганий елемент і кине виняток
            check_array("swing_pivots", "low", s.low)
        out.append(swing_pivots(s.high, s.low, s.order, s.order, check=False))
    return out


# ── Ряди масштабів ──
def hourly_bars(bars: BarArrays) -> tuple[IntArray, FloatArray, FloatArray]:
    """Годинні (UTC) open_time, high, low з 1m барів (остання година може бути неповною).

    Межі годин шукаються бінарним пошуком у відсортованому `open_time` (годин мало, барів
    багато); години без барів пропускаються."""
    ot = bars.open_time
    first = int(ot[0]) // HOUR_MS
    edges = np.arange(first, int(ot[-1]) // HOUR_MS + 1, dtype=np.int64) * HOUR_MS
    starts = ot.searchsorted(edges)
    if len(starts) > 1:
        keep = np.empty(len(starts), dtype=bool)
        keep[-1] = starts[-1] < len(ot)
        np.less(starts[:-1], starts[1:], out=keep[:-1])
        edges, starts = edges[keep], starts[keep]
    high = np.maximum.reduceat(bars.high, starts)
    low = np.minimum.reduceat(bars.low, starts)
    return edges, high, low


# ── Злиття ──
def merge_candidates(
    prices: FloatArray, ranks: IntArray, touches: IntArray, ages: IntArray, tol: float
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """Зливає кандидатів, сусідніх за ціною ближче ніж `tol` (ланцюжком): ціна й ранг —
    найвагомішого члена (ранг, дотики, свіжість), дотики — найбільші, вік — найменший."""
    if len(prices) == 0:
        return prices, ranks, touches, ages
    o = np.argsort(prices, kind="stable")
    prices, ranks, touches, ages = prices[o], ranks[o], touches[o], ages[o]
    new_group = np.empty(len(prices), dtype=bool)
    new_group[0] = True
    np.greater(prices[1:] - prices[:-1], tol, out=new_group[1:])
    starts = np.flatnonzero(new_group)
    gid = np.cumsum(new_group) - 1
    best_order = np.lexsort((-ages, touches, ranks, gid))
    ends = np.empty(len(starts), dtype=np.int64)
    ends[:-1] = starts[1:] - 1
    ends[-1] = len(prices) - 1
    best = best_order[ends]
    return (
        prices[best],
        ranks[best],
        np.maximum.reduceat(touches, starts),
        np.minimum.reduceat(ages, starts),
    )


def _count_touches(prices: FloatArray, high: FloatArray, low: FloatArray, tol: float) -> IntArray:
    """Скільки барів торкнулись кожної ціни екстремумом (|high − p| ≤ tol або |low − p| ≤ tol)."""
    if len(prices) == 0 or len(high) == 0:
        return np.zeros(len(prices), dtype=np.int64)
    p = prices[:, None]
    hit = (np.abs(high[None, :] - p) <= tol) | (np.abs(low[None, :] - p) <= tol)
    return np.maximum(hit.sum(axis=1), 1).astype(np.int64)


def _strength(rank: int, touches: int, age_min: int) -> float:
    """Сила: масштаб × (1 + ln дотиків) × свіжість 1/(1 + вік/горизонт масштабу)."""
    return rank * (1.0 + math.log(touches)) / (1.0 + age_min / _RECENCY_HORIZON_MIN[SCALE_BY_RANK[rank]])


# ── Головна функція ──
def build_levels(
    bars_1m: BarArrays,
    bars_1d: BarArrays | None,
    *,
    price: float,
    atr: float,
    tick: float,
    sr_window: int = 50,
    merge_atr: float = 0.25,
    micro_order: int = 3,
    meso_order: int = 2,
    macro_order: int = 2,
    max_levels: int = 12,
    extra_macro: tuple[float, ...] = (),
) -> LevelSet:
    """Рівні трьох масштабів навколо `price`; `extra_macro` — додаткові денні рівні (без історії).

    Час «зараз» — кінець останнього 1m бару вікна (жодного годинника)."""
    n = len(bars_1m)
    if n == 0 or not (math.isfinite(price) and price > 0):
        return LevelSet((), None, None, None, None)
    atr_ok = math.isfinite(atr) and atr > 0
    tol = max(merge_atr * atr if atr_ok else price * 0.001, tick)
    now_ms = int(bars_1m.open_time[-1]) + MINUTE_MS
    # Ряди — види колонок (без `BarArrays.slice`, що різав би всі дев'ять колонок).
    start = max(0, n - sr_window)
    h_ot, h_hi, h_lo = hourly_bars(bars_1m)
    series = [
        _Series(
            bars_1m.open_time[start:],
            bars_1m.high[start:],
            bars_1m.low[start:],
            SCALE_RANK["micro"],
            micro_order,
        ),
        _Series(h_ot, h_hi, h_lo, SCALE_RANK["meso"], meso_order),
    ]
    # Кандидати — частинами в порядку: попередній день, півоти рядів (максимуми, тоді мінімуми),
    # додаткові рівні; ранги — одним np.repeat за довжинами частин.
    prices: list[FloatArray] = []
    times: list[IntArray] = []
    part_ranks: list[int] = []
    stop = 0
    if bars_1d is not None and len(bars_1d):
        stop = int(np.searchsorted(bars_1d.open_time, now_ms - DAY_MS, side="right"))  # закриті дні
    if stop > 0:
        d_ot, d_hi, d_lo = bars_1d.open_time[:stop], bars_1d.high[:stop], bars_1d.low[:stop]  # type: ignore[union-attr]
        series.append(_Series(d_ot, d_hi, d_lo, SCALE_RANK["macro"], macro_order))
        prices += [d_hi[-1:], d_lo[-1:]]  # попередній день
        times += [d_ot[-1:], d_ot[-1:]]
        part_ranks += [SCALE_RANK["macro"], SCALE_RANK["macro"]]
    for s, (hi_idx, lo_idx) in zip(series, pivots_batched(series), strict=True):
        prices += [s.high[hi_idx], s.low[lo_idx]]
        times += [s.open_time[hi_idx], s.open_time[lo_idx]]
        part_ranks += [s.rank, s.rank]
    extra = [p for p in extra_macro if math.isfinite(p) and p > 0]
    if extra:
        prices.append(np.array(extra, dtype=np.float64))
        times.append(np.full(len(extra), now_ms, dtype=np.int64))
        part_ranks.append(SCALE_RANK["macro"])
    cand = np.concatenate(prices)
    if len(cand) == 0:
        return LevelSet((), None, None, None, None)
    ranks = np.repeat(np.array(part_ranks, dtype=np.int64), [len(p) for p in prices])
    ages = np.maximum((now_ms - np.concatenate(times)) // MINUTE_MS, 0)
    all_high = np.concatenate([s.high for s in series])
    all_low = np.concatenate([s.low for s in series])
    touches = _count_touches(cand, all_high, all_low, tol)
    m_price, m_rank, m_touch, m_age = merge_candidates(cand, ranks, touches, ages, tol)
    nearest = np.argsort(np.abs(m_price - price), kind="stable")[:max_levels]
    dec = tick_decimals(tick)  # ціна як round_to_tick(p, tick), без повторного tick_decimals
    levels: list[Level] = []
    # Рівнів ≤ max_levels: звичайна арифметика тут дешевша за дрібні numpy-операції.
    for p_raw, r, t, a in zip(
        m_price[nearest].tolist(),
        m_rank[nearest].tolist(),
        m_touch[nearest].tolist(),
        m_age[nearest].tolist(),
        strict=True,
    ):
        p = round(round(p_raw / tick) * tick, dec)
        dist = abs(p - price)
        levels.append(
            Level(
                p,
                "support" if p <= price else "resistance",
                SCALE_BY_RANK[r],
                t,
                a,
                round(dist / price * 100.0, 4),
                round(dist / atr, 3) if atr_ok else math.nan,
                round(_strength(r, t, a), 3),
            )
        )
    return band_from_levels(tuple(levels), price)


def band_from_levels(levels: tuple[Level, ...], price: float) -> LevelSet:
    """Найближчі S/R і смуга між ними."""
    sup = max((lv.price for lv in levels if lv.kind == "support"), default=None)
    res = min((lv.price for lv in levels if lv.kind == "resistance"), default=None)
    band_pct = band_pos = None
    if sup is not None and res is not None and res > sup:
        band_pct = round((res - sup) / price * 100.0, 4)
        band_pos = round(min(1.0, max(0.0, (price - sup) / (res - sup))), 4)
    return LevelSet(levels, sup, res, band_pct, band_pos)


__all__ = [
    "Level",
    "LevelSet",
    "band_from_levels",
    "build_levels",
    "hourly_bars",
    "merge_candidates",
    "pivots_batched",
]
