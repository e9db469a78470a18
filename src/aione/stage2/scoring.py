"""Факторні оцінки, композитний скор і впевненість Stage2 (чиста логіка).

Кожен фактор — число в [−1, 1]: плюс — за покупку, мінус — за продаж. Фактор, який не
можна порахувати (немає даних), не потрапляє в словник; його вага відкидається, решта
перенормовується. Правила факторів:
- volume: сила min(1, max(0, z)/4) × напрям бару (bull/bear_vol_spike, інакше частка taker-buy
  або знак тіла);
- rsi: між `rsi_oversold` і `rsi_overbought` — імпульс ±0.6 від 50; у перекупленості спадає від
  0.6 до −1 на 100 (виснаження), у перепроданості дзеркально; дивергенція додає ∓0.8;
- atr: розширення ATR над медіанним діапазоном, min(1, ratio − 1), зі знаком швидкості;
- vwap: відхилення від VWAP у двох ATR%;
- velocity: швидкість / 2;
- volume_profile: поза зоною вартості — від 0.5 до 1 за відстанню; з пробоєм у той бік це
  прийняття нової ціни (за рух), без пробою — очікуване повернення до цінності (проти руху);
  у зоні — позиція від POC, ±0.5;
- levels: пробій угору/вниз — ±1; інакше (0.5 − позиція в смузі)·2 (біля підтримки — купівля),
  поправка ±0.3 за near_*-тригери;
- orderbook: дисбаланс стакана (bid − ask)/(bid + ask).
Фактори деривативів (`deriv_factor_scores`, лише коли рішення має знімок деривативів; їхні ваги —
`deriv_weights`, додаються до `weights` тільки тоді):
- oi_price: зміна OI за вікно / `oi_full_pct` (обрізана до ±1) × знак зміни ціни за те саме вікно;
  ціна «на місці» (|зміна| < `price_flat_pct` %) — 0: OI росте, а бік невідомий. OI росте з ціною —
  за рух, OI падає на русі (закриття позицій, шорт-сквіз) — проти руху;
- funding: нахил фінансування проти натовпу, −(перцентиль − 50) / 50: перегріті лонги — за продаж.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from aione.stage2.context import MarketContext
from aione.stage2.inputs import OrderBookDepth

BULL_TRIGGERS = frozenset({"breakout_up", "bull_vol_spike", "bullish_div", "rsi_oversold", "near_low"})
BEAR_TRIGGERS = frozenset({"breakout_down", "bear_vol_spike", "bearish_div", "rsi_overbought", "near_high"})
_FACTOR_NAMES = ("volume", "rsi", "atr", "orderbook", "vwap", "velocity", "volume_profile", "levels")
_NEAR_SUPPORT = frozenset({"near_daily_support", "near_low"})  # перевірки через isdisjoint
_NEAR_RESISTANCE = frozenset({"near_daily_resistance", "near_high"})


def _clip(x: float, lo: float = -1.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


# ── Фактори ──
def _volume(ctx: MarketContext, triggers: frozenset[str]) -> float | None:
    if math.isnan(ctx.volume_z):
        return None
    strength = _clip(ctx.volume_z / 4.0, 0.0, 1.0)
    if "bull_vol_spike" in triggers and "bear_vol_spike" not in triggers:
        direction = 1.0
    elif "bear_vol_spike" in triggers and "bull_vol_spike" not in triggers:
        direction = -1.0
    elif ctx.taker_share is not None:
        direction = _clip(2.0 * ctx.taker_share - 1.0)
    else:
        direction = float(math.copysign(1.0, ctx.price - ctx.open)) if ctx.price != ctx.open else 0.0
    return strength * direction


def _rsi(ctx: MarketContext, triggers: frozenset[str], ob: float, os_: float) -> float | None:
    r = ctx.rsi
    if math.isnan(r):
        return None
    if r > ob:
        base = 0.6 - 1.6 * (r - ob) / max(100.0 - ob, 1e-9)
    elif r < os_:
        base = -0.6 + 1.6 * (os_ - r) / max(os_, 1e-9)
    elif r >= 50.0:
        base = 0.6 * (r - 50.0) / max(ob - 50.0, 1e-9)
    else:
        base = -0.6 * (50.0 - r) / max(50.0 - os_, 1e-9)
    if "bearish_div" in triggers:
        base -= 0.8
    if "bullish_div" in triggers:
        base += 0.8
    return _clip(base)


def _atr(ctx: MarketContext) -> float | None:
    if math.isnan(ctx.atr_ratio) or math.isnan(ctx.velocity):
        return None
    expansion = _clip(ctx.atr_ratio - 1.0, 0.0, 1.0)
    return expansion * (1.0 if ctx.velocity > 0 else -1.0 if ctx.velocity < 0 else 0.0)


def _vwap(ctx: MarketContext) -> float | None:
    if math.isnan(ctx.vwap_dev) or not ctx.atr_pct > 0:
        return None
    return _clip(ctx.vwap_dev / (2.0 * ctx.atr_pct))


def _velocity(ctx: MarketContext) -> float | None:
    return None if math.isnan(ctx.velocity) else _clip(ctx.velocity / 2.0)


def _profile(ctx: MarketContext, triggers: frozenset[str]) -> float | None:
    vp = ctx.profile
    if vp is None or not ctx.atr > 0:
        return None
    up, down = "breakout_up" in triggers, "breakout_down" in triggers
    if ctx.price > vp.vah:
        away = _clip(0.5 + 0.5 * (ctx.price - vp.vah) / ctx.atr, 0.5, 1.0)
        return away if up and not down else -away  # прийняття вище цінності або повернення до неї
    if ctx.price < vp.val:
        away = _clip(0.5 + 0.5 * (vp.val - ctx.price) / ctx.atr, 0.5, 1.0)
        return -away if down and not up else away
    half = max(vp.vah - vp.val, 1e-12) / 2.0
    return _clip((ctx.price - vp.poc) / half * 0.5, -0.5, 0.5)


def _levels(ctx: MarketContext, triggers: frozenset[str]) -> float | None:
    up, down = "breakout_up" in triggers, "breakout_down" in triggers
    if up != down:
        return 1.0 if up else -1.0
    pos = ctx.levels.band_position
    if pos is None:
        return None
    score = (0.5 - pos) * 2.0
    if not triggers.isdisjoint(_NEAR_SUPPORT):
        score += 0.3
    if not triggers.isdisjoint(_NEAR_RESISTANCE):
        score -= 0.3
    return _clip(score)


def factor_scores(
    ctx: MarketContext,
    triggers: frozenset[str],
    orderbook: OrderBookDepth | None,
    *,
    rsi_overbought: float = 70.0,
    rsi_oversold: float = 30.0,
) -> dict[str, float]:
    """Оцінки всіх факторів, які вдалося порахувати (округлені до 4 знаків)."""
    raw = (  # у порядку `_FACTOR_NAMES`
        _volume(ctx, triggers),
        _rsi(ctx, triggers, rsi_overbought, rsi_oversold),
        _atr(ctx),
        orderbook.imbalance if orderbook is not None and orderbook.total_usd > 0 else None,
        _vwap(ctx),
        _velocity(ctx),
        _profile(ctx, triggers),
        _levels(ctx, triggers),
    )
    # + 0.0 робить з −0.0 звичайний нуль.
    return {
        k: round(v, 4) + 0.0 for k, v in zip(_FACTOR_NAMES, raw, strict=True) if v is not None and math.isfinite(v)
    }


def oi_price_score(
    oi_change_pct: float | None, price_change_pct: float | None, full_pct: float, flat_pct: float
) -> float | None:
    """Фактор OI/ціна (правило — у docstring модуля); None — OI чи ціна невідомі."""
    if oi_change_pct is None or price_change_pct is None or not full_pct > 0:
        return None
    if not (math.isfinite(oi_change_pct) and math.isfinite(price_change_pct)):
        return None
    if abs(price_change_pct) < flat_pct:
        return 0.0
    return _clip(oi_change_pct / full_pct) * (1.0 if price_change_pct > 0 else -1.0)


def funding_score(pct_rank: float | None) -> float | None:
    """Фактор фінансування: −(перцентиль − 50) / 50; None — перцентиля немає."""
    if pct_rank is None or not math.isfinite(pct_rank):
        return None
    return _clip(-(pct_rank - 50.0) / 50.0)


def deriv_factor_scores(
    oi_change_pct: float | None,
    price_change_pct: float | None,
    funding_pct_rank: float | None,
    *,
    oi_full_pct: float,
    price_flat_pct: float,
) -> dict[str, float]:
    """Пораховані фактори деривативів (округлені до 4 знаків, як `factor_scores`)."""
    raw = (
        ("oi_price", oi_price_score(oi_change_pct, price_change_pct, oi_full_pct, price_flat_pct)),
        ("funding", funding_score(funding_pct_rank)),
    )
    return {k: round(v, 4) + 0.0 for k, v in raw if v is not None}


# ── Композит ──
@dataclass(frozen=True, slots=True)
class Composite:
    """Скор у [−1, 1], використані (перенормовані) ваги та покриття ваг."""

    score: float
    weights_used: dict[str, float]
    coverage: float  # частка сумарної ваги, що припала на пораховані фактори


def composite_score(scores: Mapping[str, float], weights: Mapping[str, float]) -> Composite:
    """Зважена сума факторів з перенормуванням ваг на пораховані фактори."""
    total_all = sum(w for w in weights.values() if w > 0)
    used = {k: float(weights[k]) for k in scores if weights.get(k, 0.0) > 0}
    total = sum(used.values())
    if total <= 0 or total_all <= 0:
        return Composite(0.0, {}, 0.0)
    norm = {k: w / total for k, w in used.items()}
    score = sum(w * scores[k] for k, w in norm.items())
    return Composite(_clip(score), {k: round(v, 4) for k, v in norm.items()}, total / total_all)


def factor_agreement(scores: Mapping[str, float], weights_used: Mapping[str, float], score: float) -> float:
    """Згода факторів: зважена частка «маси» факторів, що тягнуть у бік скору, у [0, 1]."""
    if score == 0:
        return 0.0
    sign = 1.0 if score > 0 else -1.0
    # Списки замість генераторів і умовний вираз замість max(0.0, s): той самий порядок
    # додавання і ті самі доданки (max(0.0, s) дає 0.0 і для s ≤ 0, і для NaN — як `s > 0.0`).
    items = [(w, scores[k]) for k, w in weights_used.items()]
    mass = sum([w * abs(v) for w, v in items])
    if mass <= 0:
        return 0.0
    support = sum([w * (s if (s := sign * v) > 0.0 else 0.0) for w, v in items])
    return support / mass


def composite_confidence(
    agreement: float,
    conviction: float,
    clarity: float,
    completeness: float,
    weights: Mapping[str, float],
) -> float:
    """Зважене середнє частин впевненості, обрізане до [0, 1]."""
    get = weights.get
    wa = max(0.0, get("agreement", 0.0))
    wv = max(0.0, get("conviction", 0.0))
    wc = max(0.0, get("clarity", 0.0))
    wm = max(0.0, get("completeness", 0.0))
    total = sum([wa, wv, wc, wm])  # той самий порядок додавання, що й у зваженій сумі
    if total <= 0:
        return 0.0
    value = sum([wa * agreement, wv * conviction, wc * clarity, wm * completeness]) / total
    return _clip(value, 0.0, 1.0)


__all__ = [
    "BEAR_TRIGGERS",
    "BULL_TRIGGERS",
    "Composite",
    "composite_confidence",
    "composite_score",
    "deriv_factor_scores",
    "factor_agreement",
    "factor_scores",
    "funding_score",
    "oi_price_score",
]
