"""Ринковий контекст Stage2: ціна, ATR/RSI/VWAP, режим волатильності, тренд, профіль обсягу, рівні.

Значення індикаторів беруться зі `stats` Stage1 (вони вже пораховані на тому самому барі);
відсутнє або нескінченне значення рахується з вікна 1m барів batch-функціями
`aione.indicators`. Правила:
- режим: ATR% < `low_gate` — low, > `high_gate` — high, інакше normal (ATR% — частка);
- тренд: чистий рух за `trend_bars` барів в ATR·√k (k = `trend_bars`); > `trend_flat_atr` —
  up, < −`trend_flat_atr` — down, інакше flat (та сама міра, що й швидкість, на довшому
  відрізку: без ще одного проходу індикатора по вікну);
- швидкість: (close − close k барів тому) / (ATR·√k), k = `velocity_bars`;
- розширення ATR: ATR / середній діапазон (high − low) барів хвоста вікна;
- ATR старшого таймфрейму (`atr_basis_minutes`, за `atr_basis_period` завершених барів) —
  з того самого вікна 1m барів (`aione.stage2.volatility`); база для TP/SL, не для режиму;
- тренд старшого ТФ: рух за останні `htf_trend_bars` 1m барів (або за все вікно, якщо воно
  коротше) в ATR_htf·√m, m — скільки барів старшого ТФ у цьому відрізку; NaN без ATR_htf.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from aione.data.bars import BarArrays
from aione.indicators import atr as atr_batch
from aione.indicators import rolling_vwap, rsi, volume_zscore
from aione.stage2.level_manager import LevelSet, build_levels
from aione.stage2.volatility import htf_atr
from aione.stage2.volume_profile import VolumeProfile, profile_from_hlc
from aione.stage2.window_features import WindowFeatures

NAN = float("nan")


# ── Модель ──
class MarketContext(NamedTuple):
    """Усе, що ядро знає про ринок символу в момент рішення (незмінний кортеж: будується на
    кожне рішення, а кортеж з 22 полів створюється втричі швидше за заморожений dataclass)."""

    price: float
    open: float
    high: float
    low: float
    atr: float
    atr_pct: float  # частка: 0.004 = 0.4 %
    rsi: float
    vwap: float
    vwap_dev: float  # частка
    volume_z: float
    velocity: float  # в ATR·√k
    atr_ratio: float  # ATR / середній діапазон бару
    trend: str  # up | down | flat
    trend_strength: float  # рух за trend_bars барів / (ATR·√trend_bars)
    regime: str  # low | normal | high
    taker_share: float | None
    profile: VolumeProfile | None
    levels: LevelSet
    bars: int
    has_daily: bool
    atr_htf: float = NAN  # ATR старшого ТФ з вікна 1m (NaN — замало барів або вимкнено)
    htf_trend: float = NAN  # рух за htf_trend_bars в ATR_htf·√m (див. опис модуля)


# ── Допоміжне ──
def _finite(x: Any) -> float:
    """Число зі stats або NaN (None, рядок, нескінченність → NaN)."""
    if type(x) is float:  # звичайний випадок: float(x) — те саме число
        return x if math.isfinite(x) else NAN
    try:
        v = float(x)
    except (TypeError, ValueError):
        return NAN
    return v if math.isfinite(v) else NAN


def _last(arr: np.ndarray) -> float:
    return float(arr[-1]) if len(arr) else NAN


def volatility_regime(atr_pct: float, low_gate: float, high_gate: float) -> str:
    """low | normal | high за ATR% (частка); невідомий ATR% — normal."""
    if not math.isfinite(atr_pct):
        return "normal"
    if atr_pct < low_gate:
        return "low"
    if atr_pct > high_gate:
        return "high"
    return "normal"


# ── Побудова ──
def build_context(
    stats: Mapping[str, Any],
    bars_1m: BarArrays,
    bars_1d: BarArrays | None,
    *,
    tick: float,
    params: Mapping[str, Any],
    extra_macro: tuple[float, ...] = (),
    features: WindowFeatures | None = None,
) -> MarketContext:
    """Контекст з останнього бару вікна й stats Stage1 (порожнє вікно — ValueError).

    `features` — величини саме цього вікна, пораховані наперед на ряд символу (пакетний бектест):
    мікропівоти рівнів і ATR старшого ТФ беруться з них (ті самі числа, `window_features`)."""
    n = len(bars_1m)
    if n == 0:
        raise ValueError("empty 1m window")
    high, low, close, volume = bars_1m.high, bars_1m.low, bars_1m.close, bars_1m.volume
    # Скінченність цін однією сумою high + low + close (NaN/inf у будь-якому барі робить її
    # нескінченною; лише тоді — поелементна перевірка). Та сама сума далі дає типову ціну профілю.
    hlc = high + low
    hlc += close
    if not math.isfinite(float(np.add.reduce(hlc))) and not all(
        bool(np.isfinite(col).all()) for col in (high, low, close)
    ):
        raise ValueError("non-finite prices in 1m window")  # зіпсоване вікно: рішення не приймається
    price = _finite(stats.get("price"))
    if not price > 0:
        price = float(close[-1])
    t0 = max(0, n - int(params.get("indicator_bars", 300)))  # хвіст вікна для індикаторів

    atr_v = _finite(stats.get("atr"))
    if not atr_v > 0:
        atr_v = _last(atr_batch(high[t0:], low[t0:], close[t0:], 14))
    rsi_v = _finite(stats.get("rsi"))
    if math.isnan(rsi_v):
        rsi_v = _last(rsi(close[t0:], 14))
    vwap_v = _finite(stats.get("vwap"))
    if not vwap_v > 0:
        vwap_v = _last(rolling_vwap(high[t0:], low[t0:], close[t0:], volume[t0:], 60))
    vol_z = _finite(stats.get("volume_z"))
    if math.isnan(vol_z):
        vol_z = _last(volume_zscore(volume[t0:], 60))

    atr_ok = atr_v > 0
    atr_pct = atr_v / price if atr_ok else NAN
    vwap_dev = (price - vwap_v) / vwap_v if vwap_v > 0 else NAN

    k = int(params.get("velocity_bars", 5))
    velocity = NAN
    if atr_ok and n > k:
        velocity = (price - float(close[-1 - k])) / (atr_v * math.sqrt(k))
    mean_range = float(np.add.reduce(high[t0:] - low[t0:])) / (n - t0)  # як np.mean: та сама сума
    atr_ratio = atr_v / mean_range if atr_ok and mean_range > 0 else NAN

    k_trend = int(params.get("trend_bars", 30))
    trend, trend_strength = "flat", NAN
    if atr_ok and n > k_trend:
        trend_strength = (price - float(close[-1 - k_trend])) / (atr_v * math.sqrt(k_trend))
        flat = float(params.get("trend_flat_atr", 0.5))
        trend = "up" if trend_strength > flat else "down" if trend_strength < -flat else "flat"

    vol_last = float(volume[-1])
    taker = float(bars_1m.taker_buy_volume[-1])
    taker_share = taker / vol_last if taker > 0 and vol_last > 0 else None

    profile = profile_from_hlc(  # = volume_profile(high, low, close, volume, ...), hlc вже є
        hlc,
        high,
        low,
        volume,
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
        features=features,
    )
    htf_minutes = int(params.get("atr_basis_minutes", 0))
    atr_htf = NAN
    if htf_minutes > 1:
        period = int(params.get("atr_basis_period", 14))
        atr_htf = htf_atr(bars_1m, htf_minutes, period) if features is None else features.htf_atr(htf_minutes, period)
    k_htf = min(int(params.get("htf_trend_bars", 720)), n - 1)
    htf_trend = NAN
    if atr_htf > 0 and k_htf > 0:
        htf_trend = (price - float(close[-1 - k_htf])) / (atr_htf * math.sqrt(max(k_htf / htf_minutes, 1.0)))
    return MarketContext(
        price=price,
        open=float(bars_1m.open[-1]),
        high=float(high[-1]),
        low=float(low[-1]),
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


__all__ = ["MarketContext", "build_context", "volatility_regime"]
