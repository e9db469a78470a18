"""Batch-двійник Stage1, крок 2: які тригери спрацювали на кожному барі і в який бік.

Кожен тригер тут — набір numpy-масок над усіма барами з тими самими порівняннями (і тим самим
трактуванням NaN), що в його класі в `asset_triggers/`; пороги — масиви за станом ринку бару.
Стан тригера RSI (дивергенції між двома останніми півотами, їх утримання і згасання) — малий
цикл Python лише над активаціями. Результат — по одній масці на нормалізовану назву і напрям
кожної (для тригерів, чий напрям залежить від бару, — масив напрямів). Числа для `trigger_details`
тут не будуються: їх будує монітор-двійник лише на барах нових алертів.
Тригери деривативів (`DERIV_TRIGGER_TAGS`) мають пакетну форму у власних модулях (`batch_masks`)
і спрацьовують лише з полями знімка на кожному барі (`DerivColumns`); без них масок немає зовсім.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.config.config import (
    DERIV_TRIGGER_TAGS,
    TRIGGER_TAG_BREAKOUT,
    TRIGGER_TAG_FUNDING,
    TRIGGER_TAG_LIQUIDATIONS,
    TRIGGER_TAG_OI_SURGE,
    TRIGGER_TAG_RSI,
    TRIGGER_TAG_TAKER,
    TRIGGER_TAG_VOLATILITY,
    TRIGGER_TAG_VOLUME_SPIKE,
    TRIGGER_TAG_VWAP,
)
from aione.data.bars import BarArrays
from aione.indicators import swing_pivots
from aione.signals.deriv_context import DerivColumns
from aione.stage1.asset_triggers import funding_extreme, liquidation_cluster, oi_surge, taker_imbalance
from aione.stage1.asset_triggers.volume_spike import DEFAULT_TAKER_BULL_SHARE
from aione.stage1.batch_series import Stage1Series

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DirArray = npt.NDArray[np.int8]
ThFn = Callable[[str], FloatArray]  # ключ порогу → масив порогу на кожному барі

# Напрям у масивах: +1 — up, −1 — down, 0 — без напряму.
UP_CODE = 1
DOWN_CODE = -1
# Теги тригерів, які вміє двійник (решту монітор-двійник передає інкрементному монітору).
BATCH_TAGS = frozenset(
    {
        TRIGGER_TAG_VOLUME_SPIKE,
        TRIGGER_TAG_RSI,
        TRIGGER_TAG_BREAKOUT,
        TRIGGER_TAG_VOLATILITY,
        TRIGGER_TAG_VWAP,
        *DERIV_TRIGGER_TAGS,
    }
)


# ── Дивергенції ──
@dataclass(frozen=True, slots=True)
class Divergence:
    """Активація дивергенції: бар підтвердження (глобальний індекс), ціна нового півота і числа."""

    bar: int
    level: float
    values: dict[str, float]


@dataclass(slots=True)
class Fires:
    """Спрацювання на всіх барах: нормалізована назва → (маска, напрям: int або масив кодів)."""

    masks: dict[str, tuple[BoolArray, int | DirArray]] = field(default_factory=dict)
    bearish: list[Divergence] = field(default_factory=list)
    bullish: list[Divergence] = field(default_factory=list)
    bear_src: npt.NDArray[np.int64] | None = None  # індекс активної ведмежої активації на барі, −1 — немає
    bull_src: npt.NDArray[np.int64] | None = None


def th_arrays(ths: Sequence[Mapping[str, Any]], state: npt.NDArray[np.int8], key: str) -> FloatArray:
    """Поріг `key` на кожному барі за кодом стану (`ths[code]` — пороги стану)."""
    table = np.array([float(th[key]) for th in ths], dtype=np.float64)
    return table[state]


def bar_dir(bars: BarArrays) -> DirArray:
    """Напрям бару: close > open → up, close < open → down, інакше 0."""
    return (np.sign(bars.close - bars.open)).astype(np.int8)


# ── Тригери без стану ──
def volume_spike(bars: BarArrays, s: Stage1Series, th: ThFn, out: Fires) -> None:
    """Маски `VolumeSpikeTrigger`: bull/bear/без напряму."""
    z = s.volume_z
    vol = bars.volume
    taker = bars.taker_buy_volume
    with np.errstate(invalid="ignore", divide="ignore"):
        fire = (z >= th("vol_z_threshold")) & (vol > 0) & np.isfinite(z)
        share = taker / vol
    bull = th("taker_bull_share")
    known = taker > 0
    d = bar_dir(bars)
    d[known & (share >= bull)] = UP_CODE
    d[known & ~(share >= bull) & (share <= 1.0 - bull)] = DOWN_CODE
    out.masks["bull_vol_spike"] = (fire & (d == UP_CODE), UP_CODE)
    out.masks["bear_vol_spike"] = (fire & (d == DOWN_CODE), DOWN_CODE)
    out.masks["volume_spike"] = (fire & (d == 0), 0)


def breakout(bars: BarArrays, s: Stage1Series, th: ThFn, out: Fires) -> None:
    """Маски `BreakoutTrigger`: локальні пробої/близькість і денні рівні."""
    close = s.close
    buf = th("breakout_buffer_pct")
    band = th("near_level_band_pct")
    with np.errstate(invalid="ignore"):
        atr_band = th("near_level_atr_mult") * s.atr_frac
        band = np.where(atr_band < band, atr_band, band)
        hi = s.prev_high_n
        lo = s.prev_low_n
        okl = (lo > 0) & (hi < np.inf)
        up_l = okl & (close > hi * (1.0 + buf))
        rest = okl & ~up_l
        down_l = rest & (close < lo * (1.0 - buf))
        rest &= ~down_l
        rest &= hi - lo > 2.0 * band * close
        near_hi = rest & (close >= hi * (1.0 - band))
        near_lo = rest & ~near_hi & (close <= lo * (1.0 + band))
        pc = s.prev_close
        res = s.resistance
        has_res = (res < np.inf) & (res > 0)
        edge = res * (1.0 + buf)
        up_d = has_res & (close > edge) & (pc <= edge)
        near_res = has_res & ~up_d & (res * (1.0 - band) <= close) & (close <= edge)
        sup = s.support
        has_sup = (sup < np.inf) & (sup > 0)
        edge = sup * (1.0 - buf)
        down_d = has_sup & (close < edge) & (pc >= edge)
        near_sup = has_sup & ~down_d & (edge <= close) & (close <= sup * (1.0 + band))
    m = out.masks
    m["breakout_up"] = (up_l | up_d, UP_CODE)
    m["breakout_down"] = (down_l | down_d, DOWN_CODE)
    m["near_high"] = (near_hi, UP_CODE)
    m["near_low"] = (near_lo, DOWN_CODE)
    m["near_daily_resistance"] = (near_res, UP_CODE)
    m["near_daily_support"] = (near_sup, DOWN_CODE)


def volatility_spike(bars: BarArrays, s: Stage1Series, th: ThFn, out: Fires) -> None:
    """Маска `VolatilitySpikeTrigger`; напрям — напрям бару."""
    med = s.tr_median
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = s.tr_frac / med
        fire = (med > 0) & (ratio >= th("volatility_k")) & np.isfinite(ratio)
    out.masks["volatility_burst"] = (fire, bar_dir(bars))


def vwap_deviation(bars: BarArrays, s: Stage1Series, th: ThFn, out: Fires) -> None:
    """Маска `VwapDeviationTrigger`; напрям — бік відхилення."""
    vw = s.vwap
    ds = s.vwap_dev_std
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = (s.close - vw) / vw
        fire = (vw > 0) & (np.abs(dev) >= th("vwap_deviation")) & (dev != 0.0) & np.isfinite(vw)
        fire &= (ds == 0.0) | (np.abs(ds) >= th("vwap_min_std"))
    out.masks["vwap_deviation"] = (fire, np.where(dev > 0, UP_CODE, DOWN_CODE).astype(np.int8))


# ── RSI і дивергенції ──
def _activations(
    s: Stage1Series,
    prices: FloatArray,
    idx: npt.NDArray[np.int64],
    a: int,
    bearish: bool,
    p: Mapping[str, Any],
) -> list[Divergence]:
    """Активації одного виду в сегменті з першим баром `a` (`idx` — півоти, номери від початку сегмента)."""
    if idx.shape[0] < 2:
        return []
    right = int(p["pivot_right"])
    rsi = s.rsi[a + idx]
    price = prices[a + idx]
    r1, r2 = rsi[:-1], rsi[1:]
    p1, p2 = price[:-1], price[1:]
    apart = idx[1:] - idx[:-1]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(r1) & np.isfinite(r2) & (apart <= int(p["divergence_lookback"]))
        ok &= ~(np.abs(r2 - r1) < float(p["divergence_min_rsi_gap"]))
        ok &= (p2 > p1) & (r2 < r1) if bearish else (p2 < p1) & (r2 > r1)
    out: list[Divergence] = []
    for k in np.flatnonzero(ok).tolist():
        values = {
            "price_1": float(p1[k]),
            "price_2": float(p2[k]),
            "rsi_1": float(r1[k]),
            "rsi_2": float(r2[k]),
            "bars_apart": float(apart[k]),
        }
        out.append(Divergence(a + int(idx[k + 1]) + right, float(p2[k]), values))
    return out


def _hold_mask(
    acts: list[Divergence],
    close: list[float],
    seg_end: int,
    hold: int,
    bearish: bool,
    src: npt.NDArray[np.int64],
) -> None:
    """Позначає в `src` бари, на яких активація k ще спрацьовує: від бару підтвердження протягом
    `hold` барів, до першого close за ціною півота (тоді тригер її видаляє) або до заміни новою."""
    for k, act in enumerate(acts):
        stop = min(act.bar + hold, seg_end)
        if k + 1 < len(acts):
            stop = min(stop, acts[k + 1].bar)
        level = act.level
        for t in range(act.bar, stop):
            c = close[t]
            if (c > level) if bearish else (c < level):
                break
            src[t] = k


def rsi_trigger(bars: BarArrays, s: Stage1Series, th: ThFn, out: Fires, p: Mapping[str, Any]) -> None:
    """Маски `RsiDivergenceTrigger`: перекупленість/перепроданість і дивергенції."""
    rsi = s.rsi
    with np.errstate(invalid="ignore"):
        ob = rsi >= th("rsi_overbought")
        os_ = ~ob & (rsi <= th("rsi_oversold"))
    n = rsi.shape[0]
    left, right = int(p["pivot_left"]), int(p["pivot_right"])
    hold = int(p["divergence_hold_bars"])
    bounds = [*s.starts.tolist(), n]
    bear_src = np.full(n, -1, dtype=np.int64)
    bull_src = np.full(n, -1, dtype=np.int64)
    close = s.close.tolist()
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        h = np.ascontiguousarray(bars.high[a:b], dtype=np.float64)
        lo = np.ascontiguousarray(bars.low[a:b], dtype=np.float64)
        hi_idx, lo_idx = swing_pivots(h, lo, left, right, check=False)
        bear = _activations(s, bars.high, hi_idx, a, True, p)
        bull = _activations(s, bars.low, lo_idx, a, False, p)
        _hold_mask(bear, close, b, hold, True, bear_src)
        base = len(out.bearish)
        bear_src[a:b][bear_src[a:b] >= 0] += base
        out.bearish.extend(bear)
        _hold_mask(bull, close, b, hold, False, bull_src)
        base = len(out.bullish)
        bull_src[a:b][bull_src[a:b] >= 0] += base
        out.bullish.extend(bull)
    out.bear_src = bear_src
    out.bull_src = bull_src
    m = out.masks
    m["rsi_overbought"] = (ob, UP_CODE)
    m["rsi_oversold"] = (os_, DOWN_CODE)
    m["bearish_div"] = (bear_src >= 0, DOWN_CODE)
    m["bullish_div"] = (bull_src >= 0, UP_CODE)


# ── Тригери деривативів ──
def _deriv_masks(
    tag: str, bars: BarArrays, s: Stage1Series, d: DerivColumns, p: Mapping[str, Any]
) -> dict[str, tuple[BoolArray, int]]:
    """Маски тригера деривативів з його модуля (пакетна форма лежить поруч з інкрементною)."""
    if tag == TRIGGER_TAG_OI_SURGE:
        return oi_surge.batch_masks(bars, s, d, p)
    if tag == TRIGGER_TAG_FUNDING:
        return funding_extreme.batch_masks(bars, s, d, p)
    if tag == TRIGGER_TAG_LIQUIDATIONS:
        return liquidation_cluster.batch_masks(bars, s, d, p)
    if tag == TRIGGER_TAG_TAKER:
        return taker_imbalance.batch_masks(bars, s, p)
    raise ValueError(f"batch stage1: unknown derivatives trigger {tag!r}")


# ── Усі тригери ──
def trigger_fires(
    bars: BarArrays,
    s: Stage1Series,
    ths: Sequence[Mapping[str, Any]],
    p: Mapping[str, Any],
    tags: Sequence[str],
    deriv: DerivColumns | None = None,
) -> Fires:
    """Спрацювання увімкнених тригерів (`tags` — у порядку реєстру) на всіх барах.

    `deriv` — поля знімка деривативів на кожному барі; None — тригери деривативів не дають масок."""
    cache: dict[str, FloatArray] = {}

    def th(key: str) -> FloatArray:
        arr = cache.get(key)
        if arr is None:
            if key == "taker_bull_share" and any(key not in t for t in ths):
                arr = th_arrays([{key: t.get(key, DEFAULT_TAKER_BULL_SHARE)} for t in ths], s.state, key)
            else:
                arr = th_arrays(ths, s.state, key)
            cache[key] = arr
        return arr

    out = Fires()
    for tag in tags:
        if tag == TRIGGER_TAG_VOLUME_SPIKE:
            volume_spike(bars, s, th, out)
        elif tag == TRIGGER_TAG_RSI:
            rsi_trigger(bars, s, th, out, p)
        elif tag == TRIGGER_TAG_BREAKOUT:
            breakout(bars, s, th, out)
        elif tag == TRIGGER_TAG_VOLATILITY:
            volatility_spike(bars, s, th, out)
        elif tag == TRIGGER_TAG_VWAP:
            vwap_deviation(bars, s, th, out)
        elif tag in DERIV_TRIGGER_TAGS:
            if deriv is not None:
                out.masks.update(_deriv_masks(tag, bars, s, deriv, p))
        else:
            raise ValueError(f"batch stage1: trigger {tag!r} has no batch form")
    return out


__all__ = [
    "BATCH_TAGS",
    "DOWN_CODE",
    "UP_CODE",
    "Divergence",
    "Fires",
    "ThFn",
    "bar_dir",
    "th_arrays",
    "trigger_fires",
]
