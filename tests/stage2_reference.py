"""Еталонні реалізації Stage2 для тестів рівності: попередні прямолінійні версії функцій,
які в `aione.stage2` замінено швидшими (рівні, профіль обсягу, ATR старшого ТФ, контекст).

Швидкі версії мусять давати рівно ті самі значення (біт у біт) — тести порівнюють їх із цими
на реальних барах і на згенерованих hypothesis. Тут нічого не оптимізується: лише ясність.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from aione.data.bars import BarArrays, FloatArray, IntArray
from aione.indicators import atr as atr_batch
from aione.indicators import rolling_vwap, rsi, swing_pivots, volume_zscore
from aione.indicators.errors import check_array
from aione.stage2 import scoring
from aione.stage2.context import MarketContext, volatility_regime
from aione.stage2.inputs import OrderBookDepth
from aione.stage2.level_manager import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SCALE_BY_RANK,
    SCALE_RANK,
    Level,
    LevelSet,
    band_from_levels,
)
from aione.stage2.scenario import DIRECTION
from aione.stage2.scoring import Composite
from aione.stage2.volume_profile import VolumeProfile
from aione.utils.utils import tick_decimals

NAN = float("nan")
_MINUTE_MS = MINUTE_MS
_RECENCY_HORIZON_MIN = {"micro": 60.0, "meso": 1440.0, "macro": 10080.0}
_EMPTY_I: IntArray = np.zeros(0, dtype=np.int64)


# ── Рівні ──
@dataclass(frozen=True, slots=True)
class _Series:
    """Ряд барів одного масштабу для пошуку півотів."""

    open_time: IntArray
    high: FloatArray
    low: FloatArray
    rank: int
    order: int


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


# ── Волатильність і профіль обсягу ──
def htf_true_ranges(bars: BarArrays, minutes: int) -> np.ndarray:
    """True range завершених барів `minutes`-хвилинного таймфрейму з вікна 1m барів."""
    n = len(bars)
    if n == 0 or minutes < 1:
        return np.empty(0, dtype=np.float64)
    span = minutes * _MINUTE_MS
    bucket = np.asarray(bars.open_time, dtype=np.int64) // span
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    # Останній кошик завершений, лише якщо його останній 1m бар — останній бар кошика.
    last_open = int(bars.open_time[-1])
    if last_open + _MINUTE_MS < (int(bucket[-1]) + 1) * span:
        starts_done, end = starts[:-1], int(starts[-1])
    else:
        starts_done, end = starts, n
    if starts_done.size == 0:
        return np.empty(0, dtype=np.float64)
    high = np.maximum.reduceat(np.asarray(bars.high[:end], dtype=np.float64), starts_done)
    low = np.minimum.reduceat(np.asarray(bars.low[:end], dtype=np.float64), starts_done)
    ends = np.r_[starts_done[1:], end] - 1
    close = np.asarray(bars.close, dtype=np.float64)[ends]
    prev = np.r_[NAN, close[:-1]]
    tr = np.fmax(high, prev) - np.fmin(low, prev)  # fmax/fmin: перший бар без prev — просто high − low
    return tr


def htf_atr(bars: BarArrays, minutes: int, period: int) -> float:
    """Середній true range останніх `period` завершених барів старшого ТФ; NaN, якщо їх замало."""
    tr = htf_true_ranges(bars, minutes)
    if period < 1 or tr.size < period + 1:
        return NAN
    value = float(np.mean(tr[-period:]))
    return value if math.isfinite(value) and value > 0 else NAN


def volume_profile(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    *,
    bins: int = 40,
    value_area_pct: float = 0.70,
) -> VolumeProfile | None:
    """Профіль обсягу; None, якщо вікно порожнє, без обсягу або з нескінченними значеннями."""
    if len(close) == 0 or bins < 1:
        return None
    lo = float(np.min(low))
    hi = float(np.max(high))
    total = float(np.sum(volume))
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(total)) or total <= 0:
        return None
    if hi <= lo:
        return VolumeProfile(poc=lo, val=lo, vah=hi, covered=1.0)
    width = (hi - lo) / bins
    typical = (high + low + close) / 3.0
    idx = np.minimum(((typical - lo) / width).astype(np.int64), bins - 1)
    hist = np.bincount(idx, weights=volume, minlength=bins)
    poc_i = int(np.argmax(hist))
    target = value_area_pct * total
    left = right = poc_i
    acc = float(hist[poc_i])
    while acc < target:
        below = float(hist[left - 1]) if left > 0 else -1.0
        above = float(hist[right + 1]) if right < bins - 1 else -1.0
        if below < 0 and above < 0:
            break
        if above >= below:
            right += 1
            acc += above
        else:
            left -= 1
            acc += below
    return VolumeProfile(
        poc=lo + (poc_i + 0.5) * width,
        val=lo + left * width,
        vah=lo + (right + 1) * width,
        covered=min(1.0, acc / total),
    )


# ── Контекст ──
def _finite(x: Any) -> float:
    """Число зі stats або NaN (None, рядок, нескінченність → NaN)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return NAN
    return v if math.isfinite(v) else NAN


def _last(arr: np.ndarray) -> float:
    return float(arr[-1]) if len(arr) else NAN


def build_context(
    stats: Mapping[str, Any],
    bars_1m: BarArrays,
    bars_1d: BarArrays | None,
    *,
    tick: float,
    params: Mapping[str, Any],
    extra_macro: tuple[float, ...] = (),
) -> MarketContext:
    """Контекст з останнього бару вікна й stats Stage1 (порожнє вікно — ValueError)."""
    n = len(bars_1m)
    if n == 0:
        raise ValueError("empty 1m window")
    close = bars_1m.close
    if not all(bool(np.isfinite(col).all()) for col in (bars_1m.high, bars_1m.low, close)):
        raise ValueError("non-finite prices in 1m window")  # зіпсоване вікно: рішення не приймається
    price = _finite(stats.get("price"))
    if not price > 0:
        price = float(close[-1])
    tail = bars_1m.slice(max(0, n - int(params.get("indicator_bars", 300))))

    atr_v = _finite(stats.get("atr"))
    if not atr_v > 0:
        atr_v = _last(atr_batch(tail.high, tail.low, tail.close, 14))
    rsi_v = _finite(stats.get("rsi"))
    if math.isnan(rsi_v):
        rsi_v = _last(rsi(tail.close, 14))
    vwap_v = _finite(stats.get("vwap"))
    if not vwap_v > 0:
        vwap_v = _last(rolling_vwap(tail.high, tail.low, tail.close, tail.volume, 60))
    vol_z = _finite(stats.get("volume_z"))
    if math.isnan(vol_z):
        vol_z = _last(volume_zscore(tail.volume, 60))

    atr_ok = atr_v > 0
    atr_pct = atr_v / price if atr_ok else NAN
    vwap_dev = (price - vwap_v) / vwap_v if vwap_v > 0 else NAN

    k = int(params.get("velocity_bars", 5))
    velocity = NAN
    if atr_ok and n > k:
        velocity = (price - float(close[-1 - k])) / (atr_v * math.sqrt(k))
    mean_range = float(np.mean(tail.high - tail.low)) if len(tail) else NAN
    atr_ratio = atr_v / mean_range if atr_ok and mean_range > 0 else NAN

    k_trend = int(params.get("trend_bars", 30))
    trend, trend_strength = "flat", NAN
    if atr_ok and n > k_trend:
        trend_strength = (price - float(close[-1 - k_trend])) / (atr_v * math.sqrt(k_trend))
        flat = float(params.get("trend_flat_atr", 0.5))
        trend = "up" if trend_strength > flat else "down" if trend_strength < -flat else "flat"

    vol_last = float(bars_1m.volume[-1])
    taker = float(bars_1m.taker_buy_volume[-1])
    taker_share = taker / vol_last if taker > 0 and vol_last > 0 else None

    profile = volume_profile(
        bars_1m.high,
        bars_1m.low,
        close,
        bars_1m.volume,
        bins=int(params.get("volume_profile_bins", 40)),
        value_area_pct=float(params.get("value_area_pct", 0.70)),
    )
    levels = build_levels(
        bars_1m,
        bars_1d,
        price=price,
        atr=atr_v,
        tick=tick,
        sr_window=int(params.get("sr_window", 50)),
        merge_atr=float(params.get("levels_merge_atr", 0.25)),
        max_levels=int(params.get("max_levels", 12)),
        extra_macro=extra_macro,
    )
    htf_minutes = int(params.get("atr_basis_minutes", 0))
    atr_htf = (
        htf_atr(bars_1m, htf_minutes, int(params.get("atr_basis_period", 14))) if htf_minutes > 1 else NAN
    )
    k_htf = min(int(params.get("htf_trend_bars", 720)), n - 1)
    htf_trend = NAN
    if atr_htf > 0 and k_htf > 0:
        htf_trend = (price - float(close[-1 - k_htf])) / (atr_htf * math.sqrt(max(k_htf / htf_minutes, 1.0)))
    return MarketContext(
        price=price,
        open=float(bars_1m.open[-1]),
        high=float(bars_1m.high[-1]),
        low=float(bars_1m.low[-1]),
        atr=atr_v,
        atr_pct=atr_pct,
        rsi=rsi_v,
        vwap=vwap_v,
        vwap_dev=vwap_dev,
        volume_z=vol_z,
        velocity=velocity,
        atr_ratio=atr_ratio,
        trend=trend,
        trend_strength=trend_strength,
        regime=volatility_regime(atr_pct, float(params["low_gate"]), float(params["high_gate"])),
        taker_share=taker_share,
        profile=profile,
        levels=levels,
        bars=n,
        has_daily=bars_1d is not None and len(bars_1d) > 0,
        atr_htf=atr_htf,
        htf_trend=htf_trend,
    )


# ── Сценарій ──
def rank_evidence(ev: Mapping[str, float]) -> tuple[str, float, float, float]:
    """Перше місце, його бали, друге місце й суперник протилежного напряму — через сортування."""
    ranked = sorted(ev.items(), key=lambda kv: kv[1], reverse=True)
    best_name, best = ranked[0]
    d = DIRECTION.get(best_name, 0)
    rival = max((v for k, v in ev.items() if DIRECTION.get(k, 0) == -d), default=0.0) if d else 0.0
    return best_name, best, ranked[1][1], rival


# ── Скор ──
def composite_score(scores: Mapping[str, float], weights: Mapping[str, float]) -> Composite:
    """Зважена сума факторів з перенормуванням ваг на пораховані фактори."""
    total_all = sum(w for w in weights.values() if w > 0)
    used = {k: float(weights[k]) for k in scores if weights.get(k, 0.0) > 0}
    total = sum(used.values())
    if total <= 0 or total_all <= 0:
        return Composite(0.0, {}, 0.0)
    norm = {k: w / total for k, w in used.items()}
    score = sum(norm[k] * scores[k] for k in norm)
    clipped = -1.0 if score < -1.0 else 1.0 if score > 1.0 else score
    return Composite(clipped, {k: round(v, 4) for k, v in norm.items()}, total / total_all)


def factor_scores(
    ctx: MarketContext,
    triggers: frozenset[str],
    orderbook: OrderBookDepth | None,
    *,
    rsi_overbought: float = 70.0,
    rsi_oversold: float = 30.0,
) -> dict[str, float]:
    """Оцінки факторів через проміжний словник і round (попередня версія)."""
    raw: dict[str, float | None] = {
        "volume": scoring._volume(ctx, triggers),
        "rsi": scoring._rsi(ctx, triggers, rsi_overbought, rsi_oversold),
        "atr": scoring._atr(ctx),
        "orderbook": orderbook.imbalance if orderbook is not None and orderbook.total_usd > 0 else None,
        "vwap": scoring._vwap(ctx),
        "velocity": scoring._velocity(ctx),
        "volume_profile": scoring._profile(ctx, triggers),
        "levels": scoring._levels(ctx, triggers),
    }
    return {k: round(v, 4) + 0.0 for k, v in raw.items() if v is not None and math.isfinite(v)}


def factor_agreement(scores: Mapping[str, float], weights_used: Mapping[str, float], score: float) -> float:
    """Згода факторів: зважена частка «маси» факторів, що тягнуть у бік скору, у [0, 1]."""
    if score == 0:
        return 0.0
    sign = 1.0 if score > 0 else -1.0
    mass = sum(w * abs(scores[k]) for k, w in weights_used.items())
    if mass <= 0:
        return 0.0
    support = sum(w * max(0.0, sign * scores[k]) for k, w in weights_used.items())
    return support / mass


def composite_confidence(
    agreement: float,
    conviction: float,
    clarity: float,
    completeness: float,
    weights: Mapping[str, float],
) -> float:
    """Зважене середнє частин впевненості, обрізане до [0, 1]."""
    parts = {
        "agreement": agreement,
        "conviction": conviction,
        "clarity": clarity,
        "completeness": completeness,
    }
    total = sum(max(0.0, weights.get(k, 0.0)) for k in parts)
    if total <= 0:
        return 0.0
    value = sum(max(0.0, weights.get(k, 0.0)) * v for k, v in parts.items()) / total
    return min(1.0, max(0.0, value))


__all__ = [
    "build_context",
    "composite_confidence",
    "composite_score",
    "factor_agreement",
    "factor_scores",
    "build_levels",
    "hourly_bars",
    "htf_atr",
    "htf_true_ranges",
    "merge_candidates",
    "pivots_batched",
    "volume_profile",
    "rank_evidence",
]
