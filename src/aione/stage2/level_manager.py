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
Для показу (графік, рядок кадру, наратив) `select_levels` відбирає з рівнів рішення не більше
трьох на бік і зливає сусідні ширшим допуском; вхід скорингу Stage2 від цього не змінюється.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from aione.config.config import (
    LEVELS_DRAW_MERGE_ATR,
    LEVELS_MAX_DISTANCE_PCT,
    LEVELS_MAX_PER_SIDE,
    TIMEFRAME_MS,
)
from aione.data.bars import BarArrays, FloatArray, IntArray
from aione.indicators.errors import check_array
from aione.stage2.tick_grid import TickGrid
from aione.stage2.window_features import WindowFeatures

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


SCALE_BY_RANK = {rank: name for name, rank in SCALE_RANK.items()}
_HORIZON_BY_RANK = {rank: _RECENCY_HORIZON_MIN[name] for name, rank in SCALE_RANK.items()}


# ── Ряди масштабів ──
def _hour_starts(first_full: int, n: int) -> IntArray:
    """Перші бари годин вікна без пропусків: 0, далі first_full, first_full + 60, … < n."""
    per_hour = HOUR_MS // MINUTE_MS
    starts = np.arange(first_full - per_hour if first_full else 0, n, per_hour)
    starts[0] = 0  # перша (можливо, неповна) година — з першого бару вікна
    return starts


def hourly_bars(bars: BarArrays) -> tuple[IntArray, FloatArray, FloatArray]:
    """Годинні (UTC) open_time, high, low з 1m барів (остання година може бути неповною).

    Межі годин шукаються бінарним пошуком у відсортованому `open_time` (годин мало, барів
    багато); години без барів пропускаються."""
    ot = bars.open_time
    t_first, t_last = int(ot[0]), int(ot[-1])
    edges = np.arange(t_first // HOUR_MS * HOUR_MS, t_last + 1, HOUR_MS, dtype=np.int64)
    if t_last - t_first == (len(ot) - 1) * MINUTE_MS and t_first % MINUTE_MS == 0:
        # Без пропусків (бар j відкрито в t_first + j·хвилина): кожна година непорожня, її
        # перший бар — арифметика, без пошуку.
        first_full = (-t_first % HOUR_MS) // MINUTE_MS  # перший бар наступної повної години
        starts = _hour_starts(first_full, len(ot))
        return edges, np.maximum.reduceat(bars.high, starts), np.minimum.reduceat(bars.low, starts)
    starts = ot.searchsorted(edges)
    if len(starts) > 1 and not bool((starts[1:] > starts[:-1]).all()):  # є години без барів
        keep = np.empty(len(starts), dtype=bool)
        keep[-1] = starts[-1] < len(ot)
        np.less(starts[:-1], starts[1:], out=keep[:-1])
        edges, starts = edges[keep], starts[keep]
    high = np.maximum.reduceat(bars.high, starts)
    low = np.minimum.reduceat(bars.low, starts)
    return edges, high, low


# ── Півоти ──
def _check_finite(high: FloatArray, low: FloatArray) -> None:
    """`IndicatorInputError` на першому нескінченному значенні (як у `swing_pivots`)."""
    if not math.isfinite(float(np.add.reduce(high)) + float(np.add.reduce(low))):
        check_array("swing_pivots", "high", high)  # знайде поганий елемент і кине виняток
        check_array("swing_pivots", "low", low)


def pivot_positions(x: list[float], order: int, *, lows: bool) -> list[int]:
    """Позиції півотів ряду за правилом `swing_pivots(high, low, order, order)`: максимум
    строго більший за `order` сусідів зліва і не менший за `order` сусідів справа (мінімум —
    дзеркально); позиції ближче за `order` до краю не перевіряються.

    Звичайний Python над списком: ряди тут у десятки барів, і кожен numpy-виклик коштує більше
    за весь прохід; спершу відбір за найближчими сусідами, далі — лише серед уцілілих."""
    # Перший прохід перевіряє одразу двох найближчих сусідів з кожного боку (далі порівняння
    # обчислюються лише для тих, хто пройшов попередні — той самий набір умов, той самий результат),
    # значення x[i] читається раз.
    rng = range(order, len(x) - order)
    if lows:
        if order >= 2:
            pos = [
                i for i in rng if (v := x[i]) < x[i - 1] and v <= x[i + 1] and v < x[i - 2] and v <= x[i + 2]
            ]
        else:
            pos = [i for i in rng if x[i] < x[i - 1] and x[i] <= x[i + 1]]
        for j in range(3, order + 1):
            pos = [i for i in pos if x[i] < x[i - j] and x[i] <= x[i + j]]
    else:
        if order >= 2:
            pos = [
                i for i in rng if (v := x[i]) > x[i - 1] and v >= x[i + 1] and v > x[i - 2] and v >= x[i + 2]
            ]
        else:
            pos = [i for i in rng if x[i] > x[i - 1] and x[i] >= x[i + 1]]
        for j in range(3, order + 1):
            pos = [i for i in pos if x[i] > x[i - j] and x[i] >= x[i + j]]
    return pos


def series_pivots(
    series: list[tuple[IntArray, FloatArray, FloatArray, int, int]],
) -> list[tuple[int, float, int]]:
    """Півоти рядів `(open_time, high, low, rank, order)` як `(rank, ціна, open_time)`:
    спершу максимуми, тоді мінімуми кожного ряду. Ряд, коротший за 2·order + 1, півотів не має;
    довший з нескінченним значенням — `IndicatorInputError` (як у `swing_pivots`)."""
    out: list[tuple[int, float, int]] = []
    for ot, hi, lo, rank, order in series:
        if order < 1:
            raise ValueError("pivot order must be >= 1")
        if len(hi) < 2 * order + 1:
            continue
        h, low = hi.tolist(), lo.tolist()
        if not math.isfinite(sum(h) + sum(low)):  # NaN/inf (або переповнення суми)
            _check_finite(hi, lo)
        h_pos = pivot_positions(h, order, lows=False)
        l_pos = pivot_positions(low, order, lows=True)
        if h_pos or l_pos:
            t = ot.tolist()
            out += [(rank, h[i], t[i]) for i in h_pos]
            out += [(rank, low[i], t[i]) for i in l_pos]
    return out


# ── Злиття ──
def merge_levels(cands: list[tuple[float, int, int, int]], tol: float) -> list[tuple[float, int, int, int]]:
    """Зливає кандидатів `(ціна, ранг, дотики, вік)`, сусідніх за ціною ближче ніж `tol`
    (ланцюжком): ціна й ранг — найвагомішого члена (ранг, дотики, свіжість; за повної рівності —
    вища ціна), дотики — найбільші, вік — найменший. Результат — за зростанням ціни.

    Кандидати сортуються цілими кортежами: межі груп залежать лише від цін, а серед рівних цін
    порядок не змінює вибору (рівні за ключем члени з однією ціною — той самий кортеж)."""
    if not cands:
        return []
    srt = sorted(cands)
    out: list[tuple[float, int, int, int]] = []
    bp, br, bt, ba = srt[0]
    t_max, a_min, prev = bt, ba, bp
    for p, r, t, a in srt[1:]:
        if p - prev > tol:  # нова група
            out.append((bp, br, t_max, a_min))
            bp, br, bt, ba = p, r, t, a
            t_max, a_min = t, a
        else:
            if r > br or (r == br and (t > bt or (t == bt and a <= ba))):
                bp, br, bt, ba = p, r, t, a
            if t > t_max:
                t_max = t
            if a < a_min:
                a_min = a
        prev = p
    out.append((bp, br, t_max, a_min))
    return out


def count_touches(prices: list[float], high_low: FloatArray, tol: float) -> list[int]:
    """Скільки барів торкнулись кожної ціни екстремумом (|high − p| ≤ tol або |low − p| ≤ tol),
    щонайменше 1; `high_low` — high усіх барів, а за ними low тих самих барів (2·N чисел)."""
    n = len(high_low) // 2
    if not prices or n == 0:
        return [0] * len(prices)
    # Відстані як (high|low, ціна, бар): обидві половини — суцільні матриці, тож «або» між high і
    # low бару — одна операція без кроків через рядок (ті самі порівняння, ті самі лічильники).
    dist = high_low[: 2 * n].reshape(2, 1, n) - np.array(prices)[:, None]
    hit = np.abs(dist, out=dist) <= tol
    either = np.logical_or(hit[0], hit[1], out=hit[0])
    return [x if x > 1 else 1 for x in np.add.reduce(either, axis=1).tolist()]


# ── Сила рівня ──
def _strength(rank: int, touches: int, age: int) -> float:
    """Сила: масштаб × (1 + ln дотиків) × свіжість 1/(1 + вік/горизонт масштабу), 3 знаки."""
    return round(rank * (1.0 + math.log(touches)) / (1.0 + age / _HORIZON_BY_RANK[rank]), 3)


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
    features: WindowFeatures | None = None,
) -> LevelSet:
    """Рівні трьох масштабів навколо `price`; `extra_macro` — додаткові денні рівні (без історії).

    Час «зараз» — кінець останнього 1m бару вікна (жодного годинника). Нескінченні значення в
    ряді, що має півоти, або в попередньому дні — `IndicatorInputError`. `features` — величини
    саме цього вікна, пораховані наперед на ряд символу (пакетний бектест): мікропівоти
    беруться з них, а не з вікна (ті самі числа, `window_features`)."""
    n = len(bars_1m)
    if n == 0 or not (math.isfinite(price) and price > 0):
        return LevelSet((), None, None, None, None)
    atr_ok = math.isfinite(atr) and atr > 0
    tol = max(merge_atr * atr if atr_ok else price * 0.001, tick)
    now_ms = int(bars_1m.open_time[-1]) + MINUTE_MS
    start = max(0, n - sr_window)
    h_ot, h_hi, h_lo = hourly_bars(bars_1m)
    micro, meso, macro = SCALE_RANK["micro"], SCALE_RANK["meso"], SCALE_RANK["macro"]
    series = [
        (bars_1m.open_time[start:], bars_1m.high[start:], bars_1m.low[start:], micro, micro_order),
        (h_ot, h_hi, h_lo, meso, meso_order),
    ]
    # Кандидати (ранг, ціна, open_time): попередній день, півоти рядів, додаткові рівні.
    raw: list[tuple[int, float, int]] = []
    stop = 0
    if bars_1d is not None and len(bars_1d):
        stop = int(bars_1d.open_time.searchsorted(now_ms - DAY_MS, side="right"))  # закриті дні
    if stop > 0:
        d_ot, d_hi, d_lo = bars_1d.open_time[:stop], bars_1d.high[:stop], bars_1d.low[:stop]  # type: ignore[union-attr]
        series.append((d_ot, d_hi, d_lo, macro, macro_order))
        last_t, last_h, last_l = int(d_ot[-1]), float(d_hi[-1]), float(d_lo[-1])
        if not math.isfinite(last_h + last_l):
            _check_finite(d_hi[-1:], d_lo[-1:])
        raw += [(macro, last_h, last_t), (macro, last_l, last_t)]  # попередній день
    if features is None:
        raw += series_pivots(series)
    else:
        raw += features.pivots(start, micro, micro_order)  # = series_pivots(series[:1])
        raw += series_pivots(series[1:])
    raw += [(macro, p, now_ms) for p in extra_macro if math.isfinite(p) and p > 0]
    if not raw:
        return LevelSet((), None, None, None, None)
    high_low = np.concatenate([s[1] for s in series] + [s[2] for s in series])
    touches = count_touches([c[1] for c in raw], high_low, tol)
    # (ціна, ранг, дотики, вік у хвилинах ≥ 0)
    cands = [
        (p, r, t, a if (a := (now_ms - ot) // MINUTE_MS) > 0 else 0)
        for (r, p, ot), t in zip(raw, touches, strict=True)
    ]
    merged = merge_levels(cands, tol)
    # Найближчі до ціни: стабільне сортування індексів за тими самими ключами |ціна − price|
    # дає той самий порядок, що й sorted(merged, key=...), без виклику lambda на кожен рівень.
    gaps = [abs(c[0] - price) for c in merged]
    nearest = [merged[i] for i in sorted(range(len(merged)), key=gaps.__getitem__)[:max_levels]]
    snap = TickGrid.of(tick).snap  # ціна як round_to_tick(p, tick), цілими тіками
    levels: list[Level] = []
    sup: float | None = None
    res: float | None = None
    for p_raw, r, t, a in nearest:
        p = snap(p_raw)
        if p <= price:
            kind = "support"
            if sup is None or p > sup:
                sup = p
        else:
            kind = "resistance"
            if res is None or p < res:
                res = p
        dist = abs(p - price)
        dist_pct = round(dist / price * 100.0, 4)
        dist_atr = round(dist / atr, 3) if atr_ok else math.nan
        levels.append(Level(p, kind, SCALE_BY_RANK[r], t, a, dist_pct, dist_atr, _strength(r, t, a)))
    return _band(tuple(levels), sup, res, price)


# ── Рівні для показу ──
def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _zone(members: list[Mapping[str, Any]], price: float, kind: str) -> dict[str, Any]:
    """Одна зона з членів групи: ціна й масштаб — найсильнішого, дотики й сила — найбільші."""
    best = max(members, key=lambda lv: (_num(lv.get("strength")) or 0.0, int(lv.get("touches") or 0)))
    prices = [float(lv["price"]) for lv in members]
    level_price = float(best["price"])
    zone: dict[str, Any] = {
        "price": level_price,
        "kind": kind,
        "scale": best.get("scale"),
        "touches": max(int(lv.get("touches") or 0) for lv in members),
        "strength": max(_num(lv.get("strength")) or 0.0 for lv in members),
        "distance_pct": round(abs(level_price - price) / price * 100.0, 4),
        "merged": len(members),
    }
    if len(members) > 1:
        zone["lo"], zone["hi"] = min(prices), max(prices)
    return zone


def select_levels(
    levels: Sequence[Mapping[str, Any]],
    price: float,
    atr: float | None,
    *,
    merge_atr: float = LEVELS_DRAW_MERGE_ATR,
    max_per_side: int = LEVELS_MAX_PER_SIDE,
    max_distance_pct: float = LEVELS_MAX_DISTANCE_PCT,
) -> list[dict[str, Any]]:
    """Рівні, які варто малювати й називати: не більше `max_per_side` на бік у межах
    `max_distance_pct` від ціни, сусідні рівні ближчі за `merge_atr`·ATR — однією зоною.

    Вхід — записи `market_context.levels` (ціна, вид, масштаб, дотики, сила). На кожному боці
    рівні йдуть від найближчого до ціни; зона починається з найближчого ще не взятого рівня й
    забирає всі, що від нього не далі за допуск (без ланцюжка: зона не розповзається). З зон
    лишається найближча (її край — найближчий рівень, який називає наратив) і найсильніші з
    решти; результат — від найближчого до ціни. Рішення Stage2 цей відбір не змінює."""
    if not (math.isfinite(price) and price > 0) or max_per_side <= 0:
        return []
    tol = merge_atr * atr if atr is not None and math.isfinite(atr) and atr > 0 else price * 0.001
    out: list[dict[str, Any]] = []
    for kind in ("support", "resistance"):
        side = [
            lv for lv in levels if lv.get("kind") == kind and _num(lv.get("price")) is not None
        ]
        side.sort(key=lambda lv: abs(float(lv["price"]) - price))
        zones: list[dict[str, Any]] = []
        i = 0
        while i < len(side):
            anchor = float(side[i]["price"])
            if abs(anchor - price) / price * 100.0 > max_distance_pct:
                break
            j = i + 1
            while j < len(side) and abs(float(side[j]["price"]) - anchor) <= tol:
                j += 1
            zones.append(_zone(side[i:j], price, kind))
            i = j
        if not zones:
            continue
        rest = sorted(zones[1:], key=lambda z: (-z["strength"], -z["touches"], z["distance_pct"]))
        chosen = [zones[0], *rest[: max_per_side - 1]]
        chosen.sort(key=lambda z: z["distance_pct"])
        out.extend(chosen)
    out.sort(key=lambda z: z["distance_pct"])
    return out


def band_from_levels(levels: tuple[Level, ...], price: float) -> LevelSet:
    """Найближчі S/R і смуга між ними."""
    sup = max((lv.price for lv in levels if lv.kind == "support"), default=None)
    res = min((lv.price for lv in levels if lv.kind == "resistance"), default=None)
    return _band(levels, sup, res, price)


def _band(levels: tuple[Level, ...], sup: float | None, res: float | None, price: float) -> LevelSet:
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
    "count_touches",
    "hourly_bars",
    "merge_levels",
    "pivot_positions",
    "select_levels",
    "series_pivots",
]
