"""Наратив рішення Stage2: 2–4 речення з чисел самого результату.

Текст будується ЛИШЕ із запису результату (`decide` викликає його наприкінці), тож кожне
число в ньому — це поле запису, відформатоване з його точністю: ціни — з точністю тіку
(`format_price`), R/R, впевненість і смуга — з двома знаками (у записі вони вже округлені
до двох). Мова: uk (за замовчуванням) або en; стиль: short — 2 речення (сценарій, тригери й найближчі
рівні; рекомендація з TP/SL), pro — 3 (план і умова скасування в одному реченні), explain —
4 (сценарій і тригери; рівні; план із зоною входу, R/R і впевненістю; що скасує ідею).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aione.utils.utils import format_price

# ── Словники ──
SCENARIO_LABELS: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "BULLISH_BREAKOUT": "бичачий пробій",
        "BEARISH_REVERSAL": "ведмежий розворот",
        "BULLISH_CONTROL": "контроль покупців",
        "BEARISH_CONTROL": "контроль продавців",
        "RANGE_BOUND": "бічний діапазон",
        "HIGH_VOLATILITY": "висока волатильність",
        "MANIPULATED": "ознаки маніпуляції",
        "UNCERTAIN": "невизначеність",
    },
    "en": {
        "BULLISH_BREAKOUT": "bullish breakout",
        "BEARISH_REVERSAL": "bearish reversal",
        "BULLISH_CONTROL": "buyers in control",
        "BEARISH_CONTROL": "sellers in control",
        "RANGE_BOUND": "range-bound",
        "HIGH_VOLATILITY": "high volatility",
        "MANIPULATED": "signs of manipulation",
        "UNCERTAIN": "uncertain",
    },
}
TRIGGER_LABELS: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "volume_spike": "сплеск обсягу",
        "bull_vol_spike": "бичачий сплеск обсягу",
        "bear_vol_spike": "ведмежий сплеск обсягу",
        "volatility_burst": "сплеск волатильності",
        "breakout_up": "пробій угору",
        "breakout_down": "пробій униз",
        "near_high": "біля максимуму",
        "near_low": "біля мінімуму",
        "near_daily_support": "біля денної підтримки",
        "near_daily_resistance": "біля денного опору",
        "bullish_div": "бичача дивергенція RSI",
        "bearish_div": "ведмежа дивергенція RSI",
        "rsi_overbought": "перекупленість за RSI",
        "rsi_oversold": "перепроданість за RSI",
        "vwap_deviation": "відхилення від VWAP",
        "liquidity_gap": "розрив ліквідності",
        "order_imbalance": "дисбаланс стакана",
    },
    "en": {
        "volume_spike": "volume spike",
        "bull_vol_spike": "bullish volume spike",
        "bear_vol_spike": "bearish volume spike",
        "volatility_burst": "volatility burst",
        "breakout_up": "upside breakout",
        "breakout_down": "downside breakout",
        "near_high": "near the high",
        "near_low": "near the low",
        "near_daily_support": "near daily support",
        "near_daily_resistance": "near daily resistance",
        "bullish_div": "bullish RSI divergence",
        "bearish_div": "bearish RSI divergence",
        "rsi_overbought": "RSI overbought",
        "rsi_oversold": "RSI oversold",
        "vwap_deviation": "VWAP deviation",
        "liquidity_gap": "liquidity gap",
        "order_imbalance": "order-book imbalance",
    },
}
RECOMMENDATION_LABELS: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "STRONG_BUY": "сильна купівля",
        "BUY_IN_DIPS": "купівля на відкатах",
        "HOLD": "утримання",
        "WAIT_FOR_CONFIRMATION": "чекати підтвердження",
        "RANGE_TRADE": "торгівля в діапазоні",
        "SELL_ON_RALLIES": "продаж на відскоках",
        "STRONG_SELL": "сильний продаж",
        "AVOID": "уникати",
        "AVOID_HIGH_RISK": "уникати: високий ризик",
    },
    "en": {
        "STRONG_BUY": "strong buy",
        "BUY_IN_DIPS": "buy the dips",
        "HOLD": "hold",
        "WAIT_FOR_CONFIRMATION": "wait for confirmation",
        "RANGE_TRADE": "trade the range",
        "SELL_ON_RALLIES": "sell the rallies",
        "STRONG_SELL": "strong sell",
        "AVOID": "avoid",
        "AVOID_HIGH_RISK": "avoid: high risk",
    },
}
_TEXT: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "scenario": "Сценарій — {scen}",
        "triggers": "тригери: {t}",
        "no_triggers": "тригерів немає",
        "support": "підтримка {p}",
        "resistance": "опір {p}",
        "no_support": "підтримки нижче не видно",
        "no_resistance": "опору вище не видно",
        "band": "смуга {b}%",
        "broken": "пробитий рівень {p} тепер підтримка",
        "broken_short": "пробитий рівень {p} тепер опір",
        "levels": "Рівні: {x}",
        "plan": "{rec}: вхід {lo}–{hi}, TP {tp}, SL {sl}, R/R {rr}, впевненість {c}",
        "no_trade": "{rec}: угоди немає",
        "short_plan": "{rec}: TP {tp}, SL {sl}",
        "rr_low": "R/R після комісій {rr} нижче {m}",
        "stop_costs": "стоп {sl} ближчий до входу, ніж {k}× комісії кола",
        "conf": "впевненість {c}",
        "inval_buy": "Ідею скасує закриття нижче {sl}",
        "inval_sell": "Ідею скасує закриття вище {sl}",
        "watch_both": "Сигнал дасть закриття вище {r} або нижче {s}",
        "watch_up": "Сигнал дасть закриття вище {r}",
        "watch_down": "Сигнал дасть закриття нижче {s}",
        "watch_none": "Чекаємо нових тригерів",
    },
    "en": {
        "scenario": "Scenario: {scen}",
        "triggers": "triggers: {t}",
        "no_triggers": "no triggers",
        "support": "support {p}",
        "resistance": "resistance {p}",
        "no_support": "no support below",
        "no_resistance": "no resistance above",
        "band": "band {b}%",
        "broken": "the broken level {p} is now support",
        "broken_short": "the broken level {p} is now resistance",
        "levels": "Levels: {x}",
        "plan": "{rec}: entry {lo}–{hi}, TP {tp}, SL {sl}, R/R {rr}, confidence {c}",
        "no_trade": "{rec}: no trade",
        "short_plan": "{rec}: TP {tp}, SL {sl}",
        "rr_low": "R/R after fees {rr} below {m}",
        "stop_costs": "stop {sl} is closer to entry than {k}× the round-trip fees",
        "conf": "confidence {c}",
        "inval_buy": "A close below {sl} invalidates the idea",
        "inval_sell": "A close above {sl} invalidates the idea",
        "watch_both": "A close above {r} or below {s} would give a signal",
        "watch_up": "A close above {r} would give a signal",
        "watch_down": "A close below {s} would give a signal",
        "watch_none": "Waiting for new triggers",
    },
}
STYLES = ("pro", "explain", "short")


def trigger_label(name: str, locale: str = "uk") -> str:
    """Людська назва тригера мовою `locale` (невідомий — як є)."""
    return TRIGGER_LABELS.get(locale, TRIGGER_LABELS["uk"]).get(name, name)


# ── Частини ──
def _levels_part(mc: Mapping[str, Any], rp: Mapping[str, Any], tick: float, t: Mapping[str, str]) -> str:
    sup, res = mc.get("nearest_support"), mc.get("nearest_resistance")
    parts = [
        t["support"].format(p=format_price(sup, tick)) if sup is not None else t["no_support"],
        t["resistance"].format(p=format_price(res, tick)) if res is not None else t["no_resistance"],
    ]
    if mc.get("band_pct") is not None:
        parts.append(t["band"].format(b=f"{mc['band_pct']:.2f}"))
    sl_level = rp.get("sl_level")
    if sl_level is not None and sl_level not in (sup, res):
        key = "broken" if rp.get("side") == "BUY" else "broken_short"
        parts.append(t[key].format(p=format_price(sl_level, tick)))
    return ", ".join(parts)


def _plan_part(rec: Mapping[str, Any], tick: float, t: Mapping[str, str], rec_label: str) -> str:
    rp = rec["risk_parameters"]
    conf = f"{rec['confidence_metrics']['composite_confidence']:.2f}"
    if rec.get("side") is not None and rp.get("tp") is not None:
        lo, hi = rp["entry_zone"]
        return t["plan"].format(
            rec=rec_label,
            lo=format_price(lo, tick),
            hi=format_price(hi, tick),
            tp=format_price(rp["tp"], tick),
            sl=format_price(rp["sl"], tick),
            rr=f"{rp['rr']:.2f}",
            c=conf,
        )
    text = t["no_trade"].format(rec=rec_label)
    tags = rp.get("tags", ())
    rr_shown = rp.get("rr_net") if rp.get("rr_net") is not None else rp.get("rr")
    k = rp.get("min_stop_cost_mult")
    if "stop_inside_costs" in tags and rp.get("sl") is not None and isinstance(k, int | float):
        text += " (" + t["stop_costs"].format(sl=format_price(rp["sl"], tick), k=f"{k:g}") + ")"
    elif "rr_below_min" in tags and rr_shown is not None:
        text += " (" + t["rr_low"].format(rr=f"{rr_shown:.2f}", m=f"{rp['min_risk_reward']:.2f}") + ")"
    else:
        text += " (" + t["conf"].format(c=conf) + ")"
    return text


def _invalidation(rec: Mapping[str, Any], tick: float, t: Mapping[str, str]) -> str:
    rp, mc = rec["risk_parameters"], rec["market_context"]
    if rec.get("side") == "BUY" and rp.get("sl") is not None:
        return t["inval_buy"].format(sl=format_price(rp["sl"], tick))
    if rec.get("side") == "SELL" and rp.get("sl") is not None:
        return t["inval_sell"].format(sl=format_price(rp["sl"], tick))
    sup, res = mc.get("nearest_support"), mc.get("nearest_resistance")
    if sup is not None and res is not None:
        return t["watch_both"].format(r=format_price(res, tick), s=format_price(sup, tick))
    if res is not None:
        return t["watch_up"].format(r=format_price(res, tick))
    if sup is not None:
        return t["watch_down"].format(s=format_price(sup, tick))
    return t["watch_none"]


def _short_levels(mc: Mapping[str, Any], tick: float, t: Mapping[str, str]) -> str:
    sup, res = mc.get("nearest_support"), mc.get("nearest_resistance")
    return ", ".join(
        [
            t["support"].format(p=format_price(sup, tick)) if sup is not None else t["no_support"],
            t["resistance"].format(p=format_price(res, tick)) if res is not None else t["no_resistance"],
        ]
    )


def _short_plan(rec: Mapping[str, Any], tick: float, t: Mapping[str, str], rec_label: str) -> str:
    rp = rec["risk_parameters"]
    if rec.get("side") is not None and rp.get("tp") is not None:
        return t["short_plan"].format(
            rec=rec_label, tp=format_price(rp["tp"], tick), sl=format_price(rp["sl"], tick)
        )
    return t["no_trade"].format(rec=rec_label)


def _join(sentences: Sequence[str]) -> str:
    """Речення з великої літери, кожне з крапкою."""
    return " ".join(s[:1].upper() + s[1:].rstrip(".") + "." for s in sentences if s)


# ── Головна функція ──
def build_narrative(record: Mapping[str, Any], *, locale: str = "uk", style: str = "explain") -> str:
    """Наратив із запису Stage2 (ключі `market_context`, `risk_parameters`, …)."""
    loc = locale if locale in _TEXT else "uk"
    t = _TEXT[loc]
    mc, rp = record["market_context"], record["risk_parameters"]
    tick = float(rp.get("tick_size") or 1.0)
    scen = SCENARIO_LABELS[loc].get(record.get("scenario") or "UNCERTAIN", str(record.get("scenario")))
    rec_label = RECOMMENDATION_LABELS[loc].get(record["recommendation"], record["recommendation"])
    names = [trigger_label(n, loc) for n in mc.get("triggers", ())]
    trig = t["triggers"].format(t=", ".join(names)) if names else t["no_triggers"]
    head = t["scenario"].format(scen=scen) + "; " + trig
    levels = _levels_part(mc, {**rp, "side": record.get("side")}, tick, t)
    plan = _plan_part(record, tick, t, rec_label)
    inval = _invalidation(record, tick, t)
    if style == "short":
        return _join([head + "; " + _short_levels(mc, tick, t), _short_plan(record, tick, t, rec_label)])
    if style == "pro":
        return _join([head, t["levels"].format(x=levels), plan + "; " + inval[0].lower() + inval[1:]])
    return _join([head, t["levels"].format(x=levels), plan, inval])


__all__ = [
    "RECOMMENDATION_LABELS",
    "SCENARIO_LABELS",
    "STYLES",
    "TRIGGER_LABELS",
    "build_narrative",
    "trigger_label",
]
