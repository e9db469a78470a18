"""Класифікація ринкового сценарію та рекомендація (чиста логіка).

Кожен сценарій набирає «докази» (невід'ємні бали); перемагає найбільший. Набір сценаріїв —
з seed: у ньому немає бичачого розвороту й ведмежого пробою, тож відскок від підтримки
(бичача дивергенція, перепроданість, нижня тінь) зараховується до BULLISH_CONTROL, а пробій
вниз — до BEARISH_CONTROL. Якщо найкращий сценарій має < `min_evidence` балів або
протилежний напрям майже рівний йому (друге місце ≥ 85 % першого) — UNCERTAIN.
Ясність сценарію: min(1, бали/2) × (1 − 0.5·друге/перше), для UNCERTAIN — не більше 0.3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aione.stage2.context import MarketContext

DIRECTION = {
    "BULLISH_BREAKOUT": 1,
    "BULLISH_CONTROL": 1,
    "BEARISH_REVERSAL": -1,
    "BEARISH_CONTROL": -1,
}


# Набори для перевірок перетину (isdisjoint не створює проміжної множини; та сама відповідь).
_NEAR_RESISTANCE = frozenset({"near_high", "near_daily_resistance"})
_NEAR_SUPPORT = frozenset({"near_low", "near_daily_support"})
_BREAKOUTS = frozenset({"breakout_up", "breakout_down"})
_WICKS = frozenset({"long_upper_wick", "long_lower_wick"})


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """Сценарій, його ясність і бали всіх кандидатів."""

    scenario: str
    clarity: float
    evidence: dict[str, float]


# ── Докази ──
def _evidence(
    ctx: MarketContext, triggers: frozenset[str], flags: frozenset[str], ob: float, os_: float
) -> dict[str, float]:
    pos = ctx.levels.band_position
    at_res = (pos is not None and pos >= 0.8) or not triggers.isdisjoint(_NEAR_RESISTANCE)
    at_sup = (pos is not None and pos <= 0.2) or not triggers.isdisjoint(_NEAR_SUPPORT)
    above_vah = ctx.profile is not None and ctx.price > ctx.profile.vah
    below_val = ctx.profile is not None and ctx.price < ctx.profile.val
    inside_va = ctx.profile is not None and not (above_vah or below_val)
    bull_vol = "bull_vol_spike" in triggers or ("volume_spike" in triggers and ctx.price > ctx.open)
    bear_vol = "bear_vol_spike" in triggers or ("volume_spike" in triggers and ctx.price < ctx.open)
    vel = ctx.velocity if ctx.velocity == ctx.velocity else 0.0
    overbought = "rsi_overbought" in triggers or ctx.rsi > ob
    oversold = "rsi_oversold" in triggers or ctx.rsi < os_
    breakout = 0.0
    if "breakout_up" in triggers:
        breakout = 1.0 + 0.5 * bull_vol + 0.25 * (ctx.trend == "up") + 0.25 * above_vah + 0.25 * (vel > 0.5)
    reversal = (
        0.8 * ("bearish_div" in triggers)
        + 0.5 * overbought
        + 0.5 * at_res
        + 0.3 * ("long_upper_wick" in flags)
        + 0.2 * ("breakout_down" in triggers)
    )
    if reversal < 1.0:  # одна ознака — ще не розворот
        reversal *= 0.5
    bull_trend = 0.5 * (ctx.trend == "up") + 0.25 * (ctx.vwap_dev > 0) + 0.25 * (vel > 0) + 0.25 * above_vah
    bull_rebound = (
        0.8 * ("bullish_div" in triggers) + 0.5 * oversold + 0.5 * at_sup + 0.3 * ("long_lower_wick" in flags)
    )
    bear_trend = 0.5 * (ctx.trend == "down") + 0.25 * (ctx.vwap_dev < 0) + 0.25 * (vel < 0) + 0.25 * below_val
    breakdown = 0.0
    if "breakout_down" in triggers:
        breakdown = 1.0 + 0.5 * bear_vol + 0.25 * (ctx.trend == "down") + 0.25 * below_val
    ranging = 0.0
    if triggers.isdisjoint(_BREAKOUTS):
        ranging = (
            0.5 * (ctx.trend == "flat")
            + 0.25 * inside_va
            + 0.25 * (abs(vel) < 0.5)
            + 0.25 * (ctx.regime != "high")
        )
    high_vol = 1.0 * (ctx.regime == "high") + 0.5 * ("volatility_burst" in triggers)
    if ctx.atr_ratio == ctx.atr_ratio and ctx.atr_ratio > 2.0:
        high_vol += 0.25
    manipulated = (
        0.8 * ("volume_without_move" in flags)
        + 0.4 * (not flags.isdisjoint(_WICKS))
        + 0.4 * ("price_spike" in flags)
        + 0.3 * ("thin_book" in flags)
    )
    return {
        "BULLISH_BREAKOUT": breakout,
        "BEARISH_REVERSAL": reversal,
        "BULLISH_CONTROL": max(bull_trend, bull_rebound),
        "BEARISH_CONTROL": max(bear_trend, breakdown),
        "RANGE_BOUND": ranging,
        "HIGH_VOLATILITY": high_vol,
        "MANIPULATED": manipulated if manipulated >= 1.0 else 0.0,
    }


def rank_evidence(ev: Mapping[str, float]) -> tuple[str, float, float, float]:
    """(перший сценарій, його бали, бали другого місця, найбільші бали протилежного напряму).

    Без сортування: стабільне sorted(..., reverse=True) ставить першим найраніший із найбільших,
    а друге місце — найбільше серед решти (бали — скінченні числа, ≥ 2 сценаріїв). Суперник —
    найбільший серед сценаріїв напряму −d (0.0, якщо таких немає або сценарій без напряму)."""
    names = list(ev)
    values = list(ev.values())
    best = max(values)
    i = values.index(best)
    second = max(values[:i] + values[i + 1 :])
    d = DIRECTION.get(names[i], 0)
    rival = max([v for k, v in ev.items() if DIRECTION.get(k, 0) == -d], default=0.0) if d else 0.0
    return names[i], best, second, rival


def classify_scenario(
    ctx: MarketContext,
    triggers: Iterable[str],
    anomaly_flags: Iterable[str],
    *,
    rsi_overbought: float = 70.0,
    rsi_oversold: float = 30.0,
    min_evidence: float = 0.75,
) -> ScenarioResult:
    """Сценарій з найбільшими доказами (див. правила модуля)."""
    ev = _evidence(ctx, frozenset(triggers), frozenset(anomaly_flags), rsi_overbought, rsi_oversold)
    best_name, best, second, rival = rank_evidence(ev)
    clarity = 0.0 if best <= 0 else min(1.0, best / 2.0) * (1.0 - 0.5 * second / best)
    scenario = best_name
    d = DIRECTION.get(best_name, 0)
    if best < min_evidence or (d and rival >= 0.85 * best):
        scenario = "UNCERTAIN"
        clarity = min(clarity, 0.3)
    rounded = {k: round(v, 3) for k, v in ev.items()}
    return ScenarioResult(scenario, round(clarity, 4), rounded)


# ── Рекомендація ──
def recommend(
    scenario: str,
    score: float,
    confidence: float,
    regime: str,
    params: Mapping[str, float],
) -> str:
    """Рекомендація до перевірки R/R.

    Напрямний сценарій: |скор| ≥ `score_strong` і впевненість ≥ порогу (`min_confidence`, у
    низькій волатильності `low_vol_conf_override`) — STRONG_*; |скор| ≥ `score_entry` і
    впевненість ≥ `min_confidence_entry` — BUY_IN_DIPS / SELL_ON_RALLIES; інакше
    WAIT_FOR_CONFIRMATION. Скор проти напряму сценарію — WAIT_FOR_CONFIRMATION.
    MANIPULATED і HIGH_VOLATILITY — AVOID_HIGH_RISK; RANGE_BOUND — HOLD у низькій волатильності,
    інакше RANGE_TRADE; UNCERTAIN — WAIT_FOR_CONFIRMATION, якщо скор помітний, інакше HOLD."""
    if scenario in ("MANIPULATED", "HIGH_VOLATILITY"):
        return "AVOID_HIGH_RISK"
    if scenario == "RANGE_BOUND":
        return "HOLD" if regime == "low" else "RANGE_TRADE"
    d = DIRECTION.get(scenario, 0)
    if d == 0:
        return "WAIT_FOR_CONFIRMATION" if abs(score) >= params["score_entry"] else "HOLD"
    directed = d * score
    gate = params["low_vol_conf_override"] if regime == "low" else params["min_confidence"]
    if directed >= params["score_strong"] and confidence >= gate:
        return "STRONG_BUY" if d > 0 else "STRONG_SELL"
    if directed >= params["score_entry"] and confidence >= params["min_confidence_entry"]:
        return "BUY_IN_DIPS" if d > 0 else "SELL_ON_RALLIES"
    return "WAIT_FOR_CONFIRMATION"


__all__ = ["DIRECTION", "ScenarioResult", "classify_scenario", "rank_evidence", "recommend"]
