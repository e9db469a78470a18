"""Наратив рішення Stage2: 2–4 речення з чисел самого результату.

Текст будується ЛИШЕ із запису результату (`decide` викликає його наприкінці), тож кожне
число в ньому — це поле запису, відформатоване з його точністю: ціни — з точністю тіку
(`format_price`), R/R, впевненість і смуга — з двома знаками (у записі вони вже округлені
до двох). Мова: uk (за замовчуванням) або en; стиль: short — 2 речення (сценарій, тригери й найближчі
рівні; рекомендація з TP/SL), pro — 3 (план і умова скасування в одному реченні), explain —
4 (сценарій і тригери; рівні; план із зоною входу, R/R і оцінкою; що скасує ідею).

Рівні в реченні — ті, що малює графік (`level_manager.select_levels`: до трьох на бік, сусідні —
однією зоною «нижня–верхня»); «підтримки не знайдено» — лише коли пошук рівнів рішення не дав
жодної підтримки нижче ціни. Число Stage2 `composite_confidence` — оцінка, не ймовірність: воно
так і підписане («оцінка 0.82»); виміряну частоту («TP першим у 31 % з 412 схожих випадків»)
дає запис типу сигналу (`confidence_text`), коли випадків досить.

Деривативи (розділ `derivatives` запису, лише коли рішення мало знімок): окреме речення з числами —
«OI +6.2 % за 15 хв, а ціна на місці; фінансування 0.0500 %, 97-й перцентиль; …» (у стилі short —
продовження першого речення); книгу, якої не взято, названо з причиною («книгу не взято: book: stale 7.2 s»).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aione.stage2.level_manager import select_levels
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
        "oi_surge_up": "сплеск OI з ростом ціни",
        "oi_surge_down": "сплеск OI з падінням ціни",
        "oi_surge": "сплеск OI при ціні на місці",
        "funding_extreme_high": "крайнє додатне фінансування",
        "funding_extreme_low": "крайнє від'ємне фінансування",
        "liquidation_cluster_long": "скупчення ліквідацій лонгів",
        "liquidation_cluster_short": "скупчення ліквідацій шортів",
        "taker_buy_imbalance": "перевага купівель тейкерів",
        "taker_sell_imbalance": "перевага продажів тейкерів",
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
        "oi_surge_up": "OI surge with price up",
        "oi_surge_down": "OI surge with price down",
        "oi_surge": "OI surge with price flat",
        "funding_extreme_high": "extreme positive funding",
        "funding_extreme_low": "extreme negative funding",
        "liquidation_cluster_long": "long liquidation cluster",
        "liquidation_cluster_short": "short liquidation cluster",
        "taker_buy_imbalance": "taker buying dominance",
        "taker_sell_imbalance": "taker selling dominance",
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
        "no_support": "у вікні пошуку підтримки нижче не знайдено",
        "no_resistance": "у вікні пошуку опору вище не знайдено",
        "supports": "підтримка {p}",
        "resistances": "опір {p}",
        "band": "смуга {b}%",
        "broken": "пробитий рівень {p} тепер підтримка",
        "broken_short": "пробитий рівень {p} тепер опір",
        "levels": "Рівні: {x}",
        "plan": "{rec}: вхід {lo}–{hi}, TP {tp}, SL {sl}, R/R {rr}, оцінка {c}",
        "no_trade": "{rec}: угоди немає",
        "short_plan": "{rec}: TP {tp}, SL {sl}",
        "rr_low": "R/R після комісій {rr} нижче {m}",
        "stop_costs": "стоп {sl} ближчий до входу, ніж {k}× комісії кола",
        "conf": "оцінка {c}",
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
        "no_support": "no support found below in the search window",
        "no_resistance": "no resistance found above in the search window",
        "supports": "support {p}",
        "resistances": "resistance {p}",
        "band": "band {b}%",
        "broken": "the broken level {p} is now support",
        "broken_short": "the broken level {p} is now resistance",
        "levels": "Levels: {x}",
        "plan": "{rec}: entry {lo}–{hi}, TP {tp}, SL {sl}, R/R {rr}, score {c}",
        "no_trade": "{rec}: no trade",
        "short_plan": "{rec}: TP {tp}, SL {sl}",
        "rr_low": "R/R after fees {rr} below {m}",
        "stop_costs": "stop {sl} is closer to entry than {k}× the round-trip fees",
        "conf": "score {c}",
        "inval_buy": "A close below {sl} invalidates the idea",
        "inval_sell": "A close above {sl} invalidates the idea",
        "watch_both": "A close above {r} or below {s} would give a signal",
        "watch_up": "A close above {r} would give a signal",
        "watch_down": "A close below {s} would give a signal",
        "watch_none": "Waiting for new triggers",
    },
}
STYLES = ("pro", "explain", "short")
_DERIV_TEXT: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "head": "Деривативи: {x}",
        "oi_flat": "OI {chg} за {n} хв, а ціна на місці",
        "oi_move": "OI {chg} за {n} хв, ціна {pc}",
        "oi": "OI {chg} за {n} хв",
        "funding": "фінансування {rate}, {rank}-й перцентиль",
        "funding_rate": "фінансування {rate}",
        "liq": "ліквідації за {n} хв: лонги {lo}, шорти {sh} USDT",
        "book": "книга ±1 %: дисбаланс {imb}, глибина {d} USDT",
        "book_bad": "книгу не взято: {r}",
        "taker": "частка купівель тейкерів {r}",
        "million": "{x} млн",
        "thousand": "{x} тис.",
    },
    "en": {
        "head": "Derivatives: {x}",
        "oi_flat": "OI {chg} in {n} min while price flat",
        "oi_move": "OI {chg} in {n} min with price {pc}",
        "oi": "OI {chg} in {n} min",
        "funding": "funding {rate}, {rank} percentile",
        "funding_rate": "funding {rate}",
        "liq": "liquidations in {n} min: longs {lo}, shorts {sh} USDT",
        "book": "book ±1 %: imbalance {imb}, depth {d} USDT",
        "book_bad": "book not used: {r}",
        "taker": "taker buy share {r}",
        "million": "{x}M",
        "thousand": "{x}k",
    },
}


def trigger_label(name: str, locale: str = "uk") -> str:
    """Людська назва тригера мовою `locale` (невідомий — як є)."""
    return TRIGGER_LABELS.get(locale, TRIGGER_LABELS["uk"]).get(name, name)


# ── Частини ──
def _zone_text(zone: Mapping[str, Any], tick: float) -> str:
    """Рівень (`0.3780`) або зона злитих рівнів (`0.3740–0.3745`)."""
    if "lo" in zone and "hi" in zone:
        return f"{format_price(zone['lo'], tick)}–{format_price(zone['hi'], tick)}"
    return format_price(zone["price"], tick)


def drawn_levels(mc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Рівні для показу з `market_context` (ті самі, що малює графік)."""
    levels = mc.get("levels") or []
    price, atr = mc.get("price"), mc.get("atr")
    if not isinstance(price, int | float) or not levels:
        return []
    return select_levels(levels, float(price), float(atr) if isinstance(atr, int | float) else None)


def _side_text(
    zones: Sequence[Mapping[str, Any]], nearest: Any, tick: float, one: str, many: str, none: str
) -> str:
    """Зони одного боку; без показаних зон — найближчий рівень пошуку, а без нього — «не знайдено»."""
    if zones:
        return many.format(p=", ".join(_zone_text(z, tick) for z in zones))
    return one.format(p=format_price(nearest, tick)) if nearest is not None else none


def _levels_part(mc: Mapping[str, Any], rp: Mapping[str, Any], tick: float, t: Mapping[str, str]) -> str:
    sup, res = mc.get("nearest_support"), mc.get("nearest_resistance")
    drawn = drawn_levels(mc)
    parts = [
        _side_text(
            [z for z in drawn if z["kind"] == "support"],
            sup,
            tick,
            t["support"],
            t["supports"],
            t["no_support"],
        ),
        _side_text(
            [z for z in drawn if z["kind"] == "resistance"],
            res,
            tick,
            t["resistance"],
            t["resistances"],
            t["no_resistance"],
        ),
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


def invalidation_sentence(side: str | None, sl: float | None, tick: float, locale: str = "uk") -> str | None:
    """Правило скасування сигналу («Ідею скасує закриття вище 0.3761»); None — без боку чи SL."""
    t = _TEXT.get(locale, _TEXT["uk"])
    if sl is None or side not in ("BUY", "SELL"):
        return None
    return t["inval_buy" if side == "BUY" else "inval_sell"].format(sl=format_price(sl, tick))


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


# ── Життєвий цикл сигналу й чесна впевненість (для кадру, `aione why`) ──
LIFECYCLE_LABELS: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "new": "новий",
        "active": "чекає входу",
        "triggered": "у роботі",
        "hit_tp": "TP досягнуто",
        "hit_sl": "SL зачеплено",
        "invalidated": "скасований",
        "expired": "застарів",
    },
    "en": {
        "new": "new",
        "active": "awaiting entry",
        "triggered": "triggered",
        "hit_tp": "hit TP",
        "hit_sl": "hit SL",
        "invalidated": "invalidated",
        "expired": "expired",
    },
}
_LIFE_TEXT: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "new": "вхід {lo}–{hi}",
        "active": "вхід {lo}–{hi}",
        "entry": "у зоні входу; TP {tp}, SL {sl}",
        "tp_hit": "TP {tp}",
        "sl_hit": "SL {sl}",
        "close_beyond_sl_buy": "закриття нижче {sl}",
        "close_beyond_sl_sell": "закриття вище {sl}",
        "tp_before_entry": "TP {tp} досягнуто без входу",
        "opposite_signal": "протилежний сигнал",
        "no_entry": "без входу за {n} хв",
        "no_exit": "ні TP, ні SL за {n} хв",
        "record": "TP першим у {rate} з {cases} схожих випадків",
        "score": "оцінка {c}",
    },
    "en": {
        "new": "entry {lo}–{hi}",
        "active": "entry {lo}–{hi}",
        "entry": "in the entry zone; TP {tp}, SL {sl}",
        "tp_hit": "TP {tp}",
        "sl_hit": "SL {sl}",
        "close_beyond_sl_buy": "a close below {sl}",
        "close_beyond_sl_sell": "a close above {sl}",
        "tp_before_entry": "TP {tp} reached without an entry",
        "opposite_signal": "an opposite signal",
        "no_entry": "no entry within {n} min",
        "no_exit": "neither TP nor SL within {n} min",
        "record": "TP first in {rate} of {cases} similar cases",
        "score": "score {c}",
    },
}


def lifecycle_text(view: Mapping[str, Any], tick: float, locale: str = "uk") -> str:
    """Стан сигналу з причиною: «скасований: закриття вище 0.3761», «застарів: без входу за 15 хв»."""
    loc = locale if locale in _TEXT else "uk"
    t = _LIFE_TEXT[loc]
    state = str(view.get("state"))
    label = LIFECYCLE_LABELS[loc].get(state, state)
    plan = view.get("plan") or {}

    def price(key: str) -> str:
        value = plan.get(key)
        return format_price(value, tick) if isinstance(value, int | float) else "—"

    values = {"lo": price("entry_lo"), "hi": price("entry_hi"), "tp": price("tp"), "sl": price("sl")}
    reason = view.get("reason")
    if state in ("new", "active"):
        key: str | None = state
    elif reason == "close_beyond_sl":
        key = "close_beyond_sl_buy" if view.get("side") == "BUY" else "close_beyond_sl_sell"
    else:
        key = str(reason) if reason in t else None
    if key is None:
        return label
    n = view.get("entry_window_min") if reason == "no_entry" else view.get("expiry_min")
    return f"{label}: " + t[key].format(n=n, **values)


def confidence_text(record: Mapping[str, Any] | None, score: float | None, locale: str = "uk") -> str | None:
    """Чесна впевненість: виміряна частота типу сигналу, коли запис є («TP першим у 31 % з 412
    схожих випадків»), інакше сире число, підписане як оцінка («оцінка 0.82»); None — нічого."""
    t = _LIFE_TEXT.get(locale, _LIFE_TEXT["uk"])
    if record:
        cases, rate = record.get("cases"), record.get("tp_first_rate")
        if isinstance(cases, int) and cases > 0 and isinstance(rate, int | float):
            return t["record"].format(rate=f"{rate * 100:.0f} %", cases=cases)
    if isinstance(score, int | float):
        return t["score"].format(c=f"{score:.2f}")
    return None


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


def _usd(x: float, t: Mapping[str, str]) -> str:
    """Сума USDT коротко: 1.2 млн / 420 тис. (uk), 1.2M / 420k (en)."""
    if abs(x) >= 1e6:
        return t["million"].format(x=f"{x / 1e6:.1f}")
    if abs(x) >= 1e3:
        return t["thousand"].format(x=f"{x / 1e3:.0f}")
    return f"{x:.0f}"


def _ordinal(n: int, loc: str) -> str:
    """97 → 97th (en); uk — число, суфікс «-й» дає шаблон."""
    if loc != "en":
        return str(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def deriv_sentence(d: Mapping[str, Any], locale: str = "uk") -> str:
    """Речення про деривативи з розділу `derivatives` запису; порожнє — чисел немає."""
    loc = locale if locale in _DERIV_TEXT else "uk"
    t = _DERIV_TEXT[loc]
    parts: list[str] = []
    chg, pc = d.get("oi_change_pct"), d.get("price_change_pct")
    if isinstance(chg, int | float):
        c = f"{chg:+.1f} %"
        n = d.get("oi_window_min")
        if not isinstance(pc, int | float):
            parts.append(t["oi"].format(chg=c, n=n))
        elif d.get("price_flat"):
            parts.append(t["oi_flat"].format(chg=c, n=n))
        else:
            parts.append(t["oi_move"].format(chg=c, n=n, pc=f"{pc:+.2f} %"))
    rate, rank = d.get("funding_rate"), d.get("funding_pct_rank")
    if isinstance(rate, int | float):
        r = f"{rate * 100:.4f} %"
        if isinstance(rank, int | float):
            parts.append(t["funding"].format(rate=r, rank=_ordinal(round(rank), loc)))
        else:
            parts.append(t["funding_rate"].format(rate=r))
    lo, sh = d.get("liq_long_usd"), d.get("liq_short_usd")
    if isinstance(lo, int | float) and isinstance(sh, int | float) and lo + sh > 0:
        parts.append(t["liq"].format(n=d.get("liq_window_min"), lo=_usd(lo, t), sh=_usd(sh, t)))
    dropped = (d.get("dropped") or {}).get("orderbook")
    if dropped:
        parts.append(t["book_bad"].format(r=dropped))
    elif d.get("book_state") == "fresh" and isinstance(d.get("book_imbalance"), int | float):
        depth = d.get("depth_usd")
        parts.append(
            t["book"].format(
                imb=f"{d['book_imbalance']:+.2f}", d=_usd(depth, t) if isinstance(depth, int | float) else "—"
            )
        )
    ratio = d.get("taker_buy_ratio")
    if isinstance(ratio, int | float):
        parts.append(t["taker"].format(r=f"{ratio * 100:.0f} %"))
    return t["head"].format(x="; ".join(parts)) if parts else ""


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
    deriv = record.get("derivatives")
    dtext = deriv_sentence(deriv, loc) if isinstance(deriv, Mapping) else ""
    if style == "short":
        first = (
            head + "; " + _short_levels(mc, tick, t) + ("; " + dtext[:1].lower() + dtext[1:] if dtext else "")
        )
        return _join([first, _short_plan(record, tick, t, rec_label)])
    if style == "pro":
        return _join([head, dtext, t["levels"].format(x=levels), plan + "; " + inval[0].lower() + inval[1:]])
    return _join([head, dtext, t["levels"].format(x=levels), plan, inval])


__all__ = [
    "LIFECYCLE_LABELS",
    "RECOMMENDATION_LABELS",
    "SCENARIO_LABELS",
    "STYLES",
    "TRIGGER_LABELS",
    "build_narrative",
    "confidence_text",
    "deriv_sentence",
    "drawn_levels",
    "invalidation_sentence",
    "lifecycle_text",
    "trigger_label",
]
