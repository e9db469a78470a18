"""Людські назви для UI (термінал і веб): рекомендації, сигнали, наслідки угод, підказки колонок,
позначка демо. Лише дані й чисті функції; мова — `uk` (типово) або `en`.

Наслідок угоди читається як трейдер його бачить: `sl_hit` з підтягнутим у прибуток стопом —
це «трейлінг-стоп, +0.40 %», а не «стоп-лос»; стоп, перенесений у беззбиток, — «стоп у беззбитку».
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from aione.utils.utils import finite_or_none as _num

DEFAULT_LOCALE: Final = "uk"
LOCALES: Final = ("uk", "en")
MODE_DEMO: Final = "demo"
MODE_LIVE: Final = "live"

# ── Коди → назви ──
RECOMMENDATION_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "STRONG_BUY": "сильна купівля",
        "BUY_IN_DIPS": "купувати на відкатах",
        "HOLD": "тримати",
        "WAIT_FOR_CONFIRMATION": "чекати підтвердження",
        "RANGE_TRADE": "торгівля в діапазоні",
        "SELL_ON_RALLIES": "продавати на відскоках",
        "STRONG_SELL": "сильний продаж",
        "AVOID": "уникати",
        "AVOID_HIGH_RISK": "уникати: високий ризик",
    },
    "en": {
        "STRONG_BUY": "strong buy",
        "BUY_IN_DIPS": "buy the dips",
        "HOLD": "hold",
        "WAIT_FOR_CONFIRMATION": "wait for confirmation",
        "RANGE_TRADE": "range trade",
        "SELL_ON_RALLIES": "sell the rallies",
        "STRONG_SELL": "strong sell",
        "AVOID": "avoid",
        "AVOID_HIGH_RISK": "avoid: high risk",
    },
}
SIGNAL_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {"ALERT": "алерт", "NORMAL": "спокійно"},
    "en": {"ALERT": "alert", "NORMAL": "calm"},
}
# Причини закриття й скасування угоди (`stage3.trade_model`) і похідні види стопу.
TRAILING_STOP: Final = "trailing_stop"
BREAKEVEN_STOP: Final = "breakeven_stop"
OUTCOME_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "tp_hit": "тейк-профіт",
        "sl_hit": "стоп-лос",
        TRAILING_STOP: "трейлінг-стоп",
        BREAKEVEN_STOP: "стоп у беззбитку",
        "time_exit": "вихід за часом",
        "early_exit": "ранній вихід",
        "manual": "закрито вручну",
        "invalidated": "скасовано: ціна вже за TP/SL",
        "entry_timeout": "скасовано: входу не було",
    },
    "en": {
        "tp_hit": "take profit",
        "sl_hit": "stop loss",
        TRAILING_STOP: "trailing stop",
        BREAKEVEN_STOP: "breakeven stop",
        "time_exit": "time exit",
        "early_exit": "early exit",
        "manual": "closed manually",
        "invalidated": "cancelled: price already past TP/SL",
        "entry_timeout": "cancelled: no entry",
    },
}
TRADE_STATUS_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {"pending": "очікує входу", "open": "відкрита", "closed": "закрита", "cancelled": "скасована"},
    "en": {"pending": "awaiting entry", "open": "open", "closed": "closed", "cancelled": "cancelled"},
}
SIDE_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {"BUY": "лонг", "SELL": "шорт"},
    "en": {"BUY": "long", "SELL": "short"},
}

# ── Підказки колонок (веб — title, термінал — легенда під таблицею) ──
COLUMN_HELP: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "price_change_pct": "Зміна ціни за 24 год (від закриття бару добу тому; коротша історія — від першого бару)",
        "turnover_24h_usd": "Оборот за 24 год у USD: сума quote volume закритих 1m барів за добу",
        "band_pct": "Смуга: відстань між найближчою підтримкою і найближчим опором, % ціни",
        "rank": "Ранг кандидата в сигнали, 0.00–1.00: незвичність руху + переконаність рішення",
        "record": "Запис типу сигналу: випадків · TP першим · медіанний рух за 60 хв",
        "seq": "Номер кадру стану: зростає з кожним оновленням; стрибок — пропущені кадри",
    },
    "en": {
        "price_change_pct": "Price change over 24 h (from the close one day ago; shorter history: from the first bar)",
        "turnover_24h_usd": "24 h turnover in USD: quote volume of the closed 1m bars of the last day",
        "band_pct": "Band: distance between the nearest support and the nearest resistance, % of price",
        "rank": "Candidate rank, 0.00–1.00: how unusual the move is + how convinced the decision is",
        "record": "Record of the signal type: cases · TP first · median move over 60 min",
        "seq": "State frame number: grows with every update; a jump means missed frames",
    },
}
# Стисла легенда під термінальною таблицею (повні підказки — у веб-панелі).
TERMINAL_LEGEND: Final[Mapping[str, str]] = {
    "uk": "Зміна й оборот — за 24 год (оборот: сума quote volume 1m барів, USD) · "
    "Смуга — від найближчої підтримки до опору, % ціни · seq — номер кадру стану",
    "en": "Change and turnover: over 24 h (turnover: quote volume of 1m bars, USD) · "
    "Band: nearest support to resistance, % of price · seq: state frame number",
}
_DEMO_TEXT: Final[Mapping[str, str]] = {
    "uk": "ДЕМО · симуляція ×{speed} над записаними барами · час ринку {clock}",
    "en": "DEMO · simulation ×{speed} over recorded bars · market time {clock}",
}


# ── Функції ──
def norm_locale(locale: Any) -> str:
    """Підтримувана мова або типова."""
    return locale if isinstance(locale, str) and locale in LOCALES else DEFAULT_LOCALE


def _lookup(table: Mapping[str, Mapping[str, str]], code: Any, locale: str) -> str | None:
    if not isinstance(code, str) or not code:
        return None
    return table[norm_locale(locale)].get(code, code)


def recommendation_label(code: Any, locale: str = DEFAULT_LOCALE) -> str | None:
    """`STRONG_BUY` → «сильна купівля»; невідомий код — як є; порожнє — None."""
    return _lookup(RECOMMENDATION_LABELS, code, locale)


def signal_label(code: Any, locale: str = DEFAULT_LOCALE) -> str | None:
    """`ALERT` → «алерт»."""
    return _lookup(SIGNAL_LABELS, code, locale)


def side_label(side: Any, locale: str = DEFAULT_LOCALE) -> str | None:
    """`BUY` → «лонг»."""
    return _lookup(SIDE_LABELS, side, locale)


def status_label(status: Any, locale: str = DEFAULT_LOCALE) -> str | None:
    """`pending` → «очікує входу»."""
    return _lookup(TRADE_STATUS_LABELS, status, locale)


def outcome_key(reason: Any, pnl_pct: Any = None, *, trailing: Any = None, breakeven: Any = None) -> str | None:
    """Вид наслідку: `sl_hit` з трейлінгом (або з прибутком, коли прапорці невідомі) —
    `trailing_stop`; з беззбитком без трейлінгу — `breakeven_stop`; інакше причина як є."""
    if not isinstance(reason, str) or not reason:
        return None
    if reason != "sl_hit":
        return reason
    pnl = _num(pnl_pct)
    if trailing is True or (trailing is None and pnl is not None and pnl > 0):
        return TRAILING_STOP
    if breakeven is True:
        return BREAKEVEN_STOP
    return reason


def outcome_label(
    reason: Any,
    pnl_pct: Any = None,
    *,
    trailing: Any = None,
    breakeven: Any = None,
    locale: str = DEFAULT_LOCALE,
) -> str | None:
    """«трейлінг-стоп, +0.40 %» / «trailing stop, +0.40 %»; без PnL — лише назва."""
    key = outcome_key(reason, pnl_pct, trailing=trailing, breakeven=breakeven)
    if key is None:
        return None
    name = OUTCOME_LABELS[norm_locale(locale)].get(key, key)
    pnl = _num(pnl_pct)
    return name if pnl is None else f"{name}, {pnl:+.2f} %"


def market_clock_text(ms: Any) -> str:
    """Час ринку `2025-05-20 12:34:56 UTC` (мс від епохи)."""
    number = _num(ms)
    if number is None:
        return "-"
    return datetime.fromtimestamp(number / 1000.0, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def demo_marker(meta: Any, locale: str = DEFAULT_LOCALE) -> str | None:
    """Позначка демо з метаданих кадру (`mode`, `speed`, `market_clock_ms`); не демо — None."""
    if not isinstance(meta, Mapping) or meta.get("mode") != MODE_DEMO:
        return None
    speed = _num(meta.get("speed"))
    return _DEMO_TEXT[norm_locale(locale)].format(
        speed=f"{speed:g}" if speed is not None else "?", clock=market_clock_text(meta.get("market_clock_ms"))
    )


def ui_labels() -> dict[str, Any]:
    """Усі таблиці назв для веб-сторінки (одне джерело з терміналом)."""
    return {
        "locales": list(LOCALES),
        "default_locale": DEFAULT_LOCALE,
        "recommendation": {k: dict(v) for k, v in RECOMMENDATION_LABELS.items()},
        "signal": {k: dict(v) for k, v in SIGNAL_LABELS.items()},
        "outcome": {k: dict(v) for k, v in OUTCOME_LABELS.items()},
        "status": {k: dict(v) for k, v in TRADE_STATUS_LABELS.items()},
        "side": {k: dict(v) for k, v in SIDE_LABELS.items()},
        "column_help": {k: dict(v) for k, v in COLUMN_HELP.items()},
        "demo": dict(_DEMO_TEXT),
    }


__all__ = [
    "BREAKEVEN_STOP",
    "COLUMN_HELP",
    "DEFAULT_LOCALE",
    "LOCALES",
    "MODE_DEMO",
    "MODE_LIVE",
    "OUTCOME_LABELS",
    "RECOMMENDATION_LABELS",
    "SIDE_LABELS",
    "SIGNAL_LABELS",
    "TERMINAL_LEGEND",
    "TRADE_STATUS_LABELS",
    "TRAILING_STOP",
    "demo_marker",
    "market_clock_text",
    "norm_locale",
    "outcome_key",
    "outcome_label",
    "recommendation_label",
    "side_label",
    "signal_label",
    "status_label",
    "ui_labels",
]
