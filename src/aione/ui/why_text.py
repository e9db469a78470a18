"""Пояснення одного символу з кадру стану (`aione why SYMBOL`): наратив, план, рівні, тригери.

Чиста функція над уже опублікованим кадром (той самий, що бачать веб-панель і термінал):
нічого не рахує наново, лише складає рядки з полів рядка кадру мовою `locale` (uk | en).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aione.stage2.narrative import trigger_label
from aione.utils.utils import format_price, get_tick_size

_TEXT: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "price": "ціна",
        "confidence": "Впевненість",
        "signal": "Сигнал",
        "age": "{m} хв тому",
        "plan": "План: вхід {lo}–{hi}, TP {tp}, SL {sl}, R/R після комісій {rr}",
        "trade": "Угода",
        "levels": "Рівні",
        "support": "підтримка",
        "resistance": "опір",
        "no_levels": "Рівні: немає",
        "triggers": "Тригери",
        "no_triggers": "Тригери: немає",
        "narrative": "Пояснення",
        "no_narrative": "Пояснення: ще немає (Stage2 не розбирав цей символ)",
        "watch": "Watch: бюджет не пропустив кандидата ({reason})",
    },
    "en": {
        "price": "price",
        "confidence": "Confidence",
        "signal": "Signal",
        "age": "{m} min ago",
        "plan": "Plan: entry {lo}–{hi}, TP {tp}, SL {sl}, R/R after fees {rr}",
        "trade": "Trade",
        "levels": "Levels",
        "support": "support",
        "resistance": "resistance",
        "no_levels": "Levels: none",
        "triggers": "Triggers",
        "no_triggers": "Triggers: none",
        "narrative": "Explanation",
        "no_narrative": "Explanation: none yet (Stage2 has not looked at this symbol)",
        "watch": "Watch: the alert budget held this candidate back ({reason})",
    },
}


def find_asset(frame: Mapping[str, Any], symbol: str) -> Mapping[str, Any] | None:
    """Рядок символу в кадрі (без різниці регістру) або None."""
    wanted = symbol.strip().upper()
    for row in frame.get("assets") or ():
        if isinstance(row, Mapping) and str(row.get("symbol", "")).upper() == wanted:
            return row
    return None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _level_text(level: Mapping[str, Any], tick: float) -> str:
    if _num(level.get("lo")) is not None and _num(level.get("hi")) is not None:
        text = f"{format_price(level['lo'], tick)}–{format_price(level['hi'], tick)}"
    else:
        text = format_price(_num(level.get("price")), tick)
    dist = _num(level.get("distance_pct"))
    return f"{text} ({dist:.2f} %)" if dist is not None else text


def why_lines(asset: Mapping[str, Any], locale: str = "uk") -> list[str]:
    """Рядки пояснення для рядка кадру (див. опис модуля)."""
    t = _TEXT.get(locale, _TEXT["uk"])
    symbol = str(asset.get("symbol"))
    price = _num(asset.get("price"))
    tick = _num(asset.get("tick_size")) or get_tick_size(symbol, price)
    head = [symbol, f"{t['price']} {format_price(price, tick)}"]
    for key in ("recommendation", "scenario"):
        if asset.get(key):
            head.append(str(asset[key]))
    lines = [" · ".join(head)]
    if asset.get("confidence_text"):
        lines.append(f"{t['confidence']}: {asset['confidence_text']}")
    if asset.get("surfaced") is False:
        lines.append(t["watch"].format(reason=asset.get("budget_reason") or "-"))
    life = asset.get("lifecycle")
    if isinstance(life, Mapping):
        age = _num(life.get("age_sec"))
        state = str(life.get("text") or life.get("state"))
        when = f" ({t['age'].format(m=int(age // 60))})" if age is not None else ""
        lines.append(f"{t['signal']} {life.get('side') or ''} {life.get('id') or ''}: {state}{when}".replace("  ", " "))
        plan = life.get("plan") or {}
        rr = _num(plan.get("rr_net"))
        lines.append(
            t["plan"].format(
                lo=format_price(_num(plan.get("entry_lo")), tick),
                hi=format_price(_num(plan.get("entry_hi")), tick),
                tp=format_price(_num(plan.get("tp")), tick),
                sl=format_price(_num(plan.get("sl")), tick),
                rr=f"{rr:.2f}" if rr is not None else "-",
            )
        )
        if life.get("invalidation_text"):
            lines.append(str(life["invalidation_text"]))
    if asset.get("trade_status"):
        pnl = _num(asset.get("pnl_pct"))
        parts = [str(asset.get("trade_side") or ""), str(asset["trade_status"])]
        if asset.get("close_reason"):
            parts.append(str(asset["close_reason"]))
        if pnl is not None:
            parts.append(f"{pnl:+.2f} %")
        lines.append(f"{t['trade']}: " + " ".join(p for p in parts if p))
    levels = [lv for lv in asset.get("levels") or () if isinstance(lv, Mapping)]
    if levels:
        chunks = []
        for kind in ("resistance", "support"):
            side = [_level_text(lv, tick) for lv in levels if lv.get("kind") == kind]
            if side:
                chunks.append(f"{t[kind]} " + ", ".join(side))
        lines.append(f"{t['levels']}: " + "; ".join(chunks))
    else:
        lines.append(t["no_levels"])
    triggers = [trigger_label(str(x), locale) for x in asset.get("triggers") or ()]
    lines.append(f"{t['triggers']}: " + ", ".join(triggers) if triggers else t["no_triggers"])
    narrative = asset.get("narrative")
    if isinstance(narrative, str) and narrative:
        lines.append(f"{t['narrative']}:")
        lines.extend("  " + part for part in narrative.splitlines() if part)
    else:
        lines.append(t["no_narrative"])
    return lines


__all__ = ["find_asset", "why_lines"]
