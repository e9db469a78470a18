"""Людські назви для UI (термінал і веб): рекомендації, сигнали, наслідки угод, підказки колонок,
позначка демо. Лише дані й чисті функції; мова — `uk` (типово) або `en`.

Наслідок угоди читається як трейдер його бачить: `sl_hit` з підтягнутим у прибуток стопом —
це «трейлінг-стоп, +0.40 %», а не «стоп-лос»; стоп, перенесений у беззбиток, — «стоп у беззбитку».
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from aione.stage2.narrative import LIFECYCLE_LABELS
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
        "deriv": "Дисбаланс книги в смузі ±1 % (⚠ — книга застаріла) · зміна OI за 15 хв · ставка фінансування",
    },
    "en": {
        "price_change_pct": "Price change over 24 h (from the close one day ago; shorter history: from the first bar)",
        "turnover_24h_usd": "24 h turnover in USD: quote volume of the closed 1m bars of the last day",
        "band_pct": "Band: distance between the nearest support and the nearest resistance, % of price",
        "rank": "Candidate rank, 0.00–1.00: how unusual the move is + how convinced the decision is",
        "record": "Record of the signal type: cases · TP first · median move over 60 min",
        "deriv": "Book imbalance within ±1 % (⚠ stale book) · OI change over 15 min · funding rate",
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
# Англійські назви колонок термінальної таблиці: українська назва → (повна, коротка).
# Українські назви — ключі колонок у `ui_render` (вони ж заголовки для uk).
TERMINAL_COLUMNS_EN: Final[Mapping[str, tuple[str, str]]] = {
    "Символ": ("Symbol", "Symbol"),
    "Ціна": ("Price", "Price"),
    "Зміна 24 год %": ("24 h change %", "24h %"),
    "Оборот 24 год, USD": ("24 h turnover, USD", "Turnover"),
    "ATR %": ("ATR %", "ATR"),
    "RSI": ("RSI", "RSI"),
    "Тригери": ("Triggers", "Triggers"),
    "Сигнал": ("Signal", "Signal"),
    "Стан сигналу": ("Signal state", "State"),
    "План сигналу": ("Signal plan", "Plan"),
    "Впевненість": ("Confidence", "Conf."),
    "Впевн.": ("Conf.", "Conf."),
    "Ранг": ("Rank", "Rank"),
    "Запис типу": ("Type record", "Record"),
    "TP / SL": ("TP / SL", "TP / SL"),
    "Угода / PnL": ("Trade / PnL", "Trade"),
    "Смуга %": ("Band %", "Band"),
    "Книга · OI · фін.": ("Book · OI · funding", "Deriv."),
}
# Підписи шапки й підпису термінальної таблиці.
TERMINAL_TEXT: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "assets": "активів", "alerts": "алертів", "signals": "сигналів", "trades": "угод", "data": "дані",
        "sec": "с", "stale": "⚠ застаріло", "shown": "показано {n} з {m}", "sort": "сортування",
    },
    "en": {
        "assets": "assets", "alerts": "alerts", "signals": "signals", "trades": "trades", "data": "data",
        "sec": "s", "stale": "⚠ stale", "shown": "showing {n} of {m}", "sort": "sort",
    },
}  # fmt: skip


def terminal_column(name: str, short: str, narrow: bool, locale: str = DEFAULT_LOCALE) -> str:
    """Заголовок колонки терміналу мовою UI (uk — як є, en — з `TERMINAL_COLUMNS_EN`)."""
    if norm_locale(locale) == "en" and name in TERMINAL_COLUMNS_EN:
        full, brief = TERMINAL_COLUMNS_EN[name]
        return brief if narrow else full
    return short if narrow else name


# ── Рядки сторінки (перемикач uk/en) ──
# Заголовки колонок, фільтри, підписи деталей; ключі — ті самі, що в `app.js` (`t("...")`).
PAGE_TEXT: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "title": "AiOne — панель ринку",
        "col_symbol": "Символ", "col_price": "Ціна", "col_change": "Зміна 24 год %", "col_turnover": "Оборот 24 год, USD",
        "col_atr": "ATR %", "col_rsi": "RSI", "col_spark": "4 год", "col_triggers": "Тригери", "col_signal": "Сигнал",
        "col_life": "Стан сигналу", "col_plan": "План сигналу", "col_confidence": "Впевненість", "col_rank": "Ранг",
        "col_record": "Запис типу", "col_tp_sl": "Угода TP / SL", "col_trade": "Угода / PnL", "col_band": "Смуга %",
        "col_deriv": "Книга · OI · фін.",
        "f_all": "ALL", "f_active": "АКТИВНІ", "f_alert": "ALERT", "f_buy": "BUY", "f_sell": "SELL",
        "f_signal": "СИГНАЛИ", "f_watch": "WATCH",
        "f_active_help": "сигнали, чий план ще чинний: новий, чекає входу або в роботі",
        "search": "пошук символу", "shown": "показано {n} з {m}", "none_for_filter": "немає активів для фільтра {f}",
        "waiting": "очікування першого кадру…", "online": "онлайн", "offline": "офлайн",
        "offline_retry": "офлайн, повтор через {s} с", "data_none": "дані: -", "data_age": "дані: {a} с тому",
        "data_stale": " — ЗАСТАРІЛІ", "notify_on": "сповіщення ✓", "notify_off": "сповіщення",
        "notify_help": "сповіщення браузера і звук про новий сигнал з найвищим рангом",
        "notify_denied": "браузер заборонив сповіщення",
        "h_gate": "Сигнал і бюджет алертів", "h_plan": "План сигналу", "h_narrative": "Пояснення", "h_levels": "Рівні",
        "h_trades": "Угоди символу", "h_open": "Відкриті угоди", "h_closed": "Закриті угоди", "open": "відкриті",
        "closed": "закриті", "none": "немає", "binance": "на Binance ↗", "close": "закрити",
        "s_price": "Ціна", "s_change": "Зміна 24 год", "s_turnover": "Оборот 24 год", "s_confidence": "Впевненість",
        "s_entry": "Вхід", "s_trade": "Угода", "s_band": "Смуга", "s_state": "Стан", "s_scenario": "Сценарій",
        "s_triggers": "Тригери", "s_rank": "Ранг", "s_unusual": "Незвичність", "s_conviction": "Переконаність",
        "s_history": "Історія", "s_verdict": "Вердикт", "s_kind": "Тип", "of_one": "з 1.00",
        "p_entry": "Вхід", "p_rr": "R/R нетто", "p_issued": "Видано", "p_age": "вік {a}", "p_expires": "Чинний до",
        "t_symbol": "Символ", "t_side": "Сторона", "t_entry": "Вхід", "t_exit": "Вихід", "t_price": "Ціна",
        "t_status": "Статус", "t_closed": "Закрито", "t_opened": "Відкрито",
        "bars_n": "{n} барів {tf}", "no_bars": "барів немає", "chart_off": "графік недоступний: {e}",
        "plotly_wait": "Plotly ще завантажується…", "level": "рівень", "fill_entry": "вхід", "fill_exit": "вихід",
        "c_assets": "активів", "c_alerts": "алертів", "c_signals": "сигналів", "c_open": "відкритих угод",
        "c_pending": "очікують входу", "min": "хв", "h": "год", "sec": "с",
        "record_sentence": "Цей тип сигналу: {cases} випадків, TP першим {rate}, медіанний рух за {h} хв {move}.",
        "record_none": "Цей тип сигналу: запису ще немає (замало завершених випадків).",
    },
    "en": {
        "title": "AiOne — market dashboard",
        "col_symbol": "Symbol", "col_price": "Price", "col_change": "24 h change %", "col_turnover": "24 h turnover, USD",
        "col_atr": "ATR %", "col_rsi": "RSI", "col_spark": "4 h", "col_triggers": "Triggers", "col_signal": "Signal",
        "col_life": "Signal state", "col_plan": "Signal plan", "col_confidence": "Confidence", "col_rank": "Rank",
        "col_record": "Type record", "col_tp_sl": "Trade TP / SL", "col_trade": "Trade / PnL", "col_band": "Band %",
        "col_deriv": "Book · OI · funding",
        "f_all": "ALL", "f_active": "ACTIVE", "f_alert": "ALERT", "f_buy": "BUY", "f_sell": "SELL",
        "f_signal": "SIGNALS", "f_watch": "WATCH",
        "f_active_help": "signals whose plan still holds: new, awaiting entry or triggered",
        "search": "search symbol", "shown": "showing {n} of {m}", "none_for_filter": "no assets for filter {f}",
        "waiting": "waiting for the first frame…", "online": "online", "offline": "offline",
        "offline_retry": "offline, retry in {s} s", "data_none": "data: -", "data_age": "data: {a} s ago",
        "data_stale": " — STALE", "notify_on": "notifications ✓", "notify_off": "notifications",
        "notify_help": "browser notification and sound for a new top-ranked signal",
        "notify_denied": "the browser denied notifications",
        "h_gate": "Signal and alert budget", "h_plan": "Signal plan", "h_narrative": "Explanation", "h_levels": "Levels",
        "h_trades": "Symbol trades", "h_open": "Open trades", "h_closed": "Closed trades", "open": "open",
        "closed": "closed", "none": "none", "binance": "on Binance ↗", "close": "close",
        "s_price": "Price", "s_change": "24 h change", "s_turnover": "24 h turnover", "s_confidence": "Confidence",
        "s_entry": "Entry", "s_trade": "Trade", "s_band": "Band", "s_state": "State", "s_scenario": "Scenario",
        "s_triggers": "Triggers", "s_rank": "Rank", "s_unusual": "Unusual", "s_conviction": "Conviction",
        "s_history": "History", "s_verdict": "Verdict", "s_kind": "Kind", "of_one": "of 1.00",
        "p_entry": "Entry", "p_rr": "R/R net", "p_issued": "Issued", "p_age": "age {a}", "p_expires": "Valid until",
        "t_symbol": "Symbol", "t_side": "Side", "t_entry": "Entry", "t_exit": "Exit", "t_price": "Price",
        "t_status": "Status", "t_closed": "Closed", "t_opened": "Opened",
        "bars_n": "{n} bars {tf}", "no_bars": "no bars", "chart_off": "chart unavailable: {e}",
        "plotly_wait": "Plotly is still loading…", "level": "level", "fill_entry": "entry", "fill_exit": "exit",
        "c_assets": "assets", "c_alerts": "alerts", "c_signals": "signals", "c_open": "open trades",
        "c_pending": "awaiting entry", "min": "min", "h": "h", "sec": "s",
        "record_sentence": "This kind of signal: {cases} cases, TP first {rate}, median {h}-min move {move}.",
        "record_none": "This kind of signal: no record yet (too few finished cases).",
    },
}  # fmt: skip
# Вердикт бюджету алертів (ключі — причини `signals.budget`): коротко для рядка, довше для деталей.
BUDGET_REASON_TEXT: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "promoted": "сигнал", "budget_off": "бюджет вимкнено", "not_actionable": "без BUY/SELL",
        "below_rank": "низький ранг", "symbol_budget": "ліміт символу", "market_budget": "ліміт ринку",
    },
    "en": {
        "promoted": "signal", "budget_off": "budget off", "not_actionable": "no BUY/SELL",
        "below_rank": "low rank", "symbol_budget": "symbol limit", "market_budget": "market limit",
    },
}  # fmt: skip
BUDGET_VERDICT_TEXT: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "promoted": "сигнал: бюджет алертів пропустив кандидата",
        "budget_off": "сигнал: бюджет алертів вимкнено",
        "not_actionable": "watch: рішення Stage2 без BUY/SELL",
        "below_rank": "watch: ранг нижчий за поріг",
        "symbol_budget": "watch: вичерпано бюджет алертів символу",
        "market_budget": "watch: вичерпано бюджет алертів ринку (інші кандидати мали вищий ранг)",
        "none": "кандидата ще не було",
    },
    "en": {
        "promoted": "signal: the alert budget let the candidate through",
        "budget_off": "signal: the alert budget is off",
        "not_actionable": "watch: Stage2 decision without BUY/SELL",
        "below_rank": "watch: rank below the threshold",
        "symbol_budget": "watch: the symbol's alert budget is used up",
        "market_budget": "watch: the market's alert budget is used up (other candidates ranked higher)",
        "none": "no candidate yet",
    },
}
LEVEL_KIND_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {"support": "підтримка", "resistance": "опір"},
    "en": {"support": "support", "resistance": "resistance"},
}
# Живе виконання (`meta.execution` кадру): види подій брокера (`execution.model.EXEC_*`) і рядок стану.
EXECUTION_KIND_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "placed": "заявка", "ack": "прийнято", "fill": "виконання", "rejected": "відхилено",
        "blocked": "відмова ризику", "cancelled": "скасовано", "alert": "тривога", "reconciled": "звірка",
        "kill": "kill switch",
    },
    "en": {
        "placed": "order", "ack": "acked", "fill": "fill", "rejected": "rejected", "blocked": "risk refusal",
        "cancelled": "cancelled", "alert": "alert", "reconciled": "reconciliation", "kill": "kill switch",
    },
}  # fmt: skip
EXECUTION_TEXT: Final[Mapping[str, Mapping[str, str]]] = {
    "uk": {
        "head": "ВИКОНАННЯ {mode} · {env} · позицій {positions} · заявок {orders} · виконань {fills} · відмов {blocked}",
        "kill": "⛔ kill switch: нові заявки заблоковано",
        "last": "остання подія: {time} {symbol} {kind} {text}",
    },
    "en": {
        "head": "EXECUTION {mode} · {env} · positions {positions} · orders {orders} · fills {fills} · refused {blocked}",
        "kill": "⛔ kill switch: new orders blocked",
        "last": "last event: {time} {symbol} {kind} {text}",
    },
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


def execution_line(meta: Any, locale: str = DEFAULT_LOCALE) -> str | None:
    """Рядок стану живого виконання з `meta.execution` кадру (режим, мережа, позиції, лічильники,
    kill switch, остання подія брокера); немає розділу — None."""
    section = meta.get("execution") if isinstance(meta, Mapping) else None
    if not isinstance(section, Mapping):
        return None
    loc = norm_locale(locale)
    words = EXECUTION_TEXT[loc]
    parts = [
        words["head"].format(
            mode=section.get("mode", "-"), env=section.get("env") or "-",
            positions=section.get("open_positions", "-"), orders=section.get("orders", "-"),
            fills=section.get("fills", "-"), blocked=section.get("blocked", "-"),
        )
    ]  # fmt: skip
    if section.get("kill") is True:
        parts.append(words["kill"])
    events = section.get("events")
    last = events[-1] if isinstance(events, list) and events else None
    if isinstance(last, Mapping):
        ts = _num(last.get("ts"))
        clock = datetime.fromtimestamp(ts / 1000.0, tz=UTC).strftime("%H:%M:%S") if ts is not None else "-"
        kind = _lookup(EXECUTION_KIND_LABELS, last.get("kind"), loc) or str(last.get("kind", ""))
        text = words["last"].format(
            time=clock, symbol=last.get("symbol") or "", kind=kind, text=last.get("text") or ""
        )
        parts.append(" ".join(text.split()))
    return " · ".join(parts)


def lifecycle_label(state: Any, locale: str = DEFAULT_LOCALE) -> str | None:
    """Стан сигналу: `invalidated` → «скасований» / «invalidated»."""
    return _lookup(LIFECYCLE_LABELS, state, locale)


def ui_labels(default_locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """Усі таблиці назв для веб-сторінки (одне джерело з терміналом); `default_locale` — мова
    сторінки, поки користувач не обрав іншу (`AIONE_UI_LOCALE`)."""
    return {
        "locales": list(LOCALES),
        "default_locale": norm_locale(default_locale),
        "page": {k: dict(v) for k, v in PAGE_TEXT.items()},
        "lifecycle": {k: dict(v) for k, v in LIFECYCLE_LABELS.items()},
        "level_kind": {k: dict(v) for k, v in LEVEL_KIND_LABELS.items()},
        "budget_reason": {k: dict(v) for k, v in BUDGET_REASON_TEXT.items()},
        "budget_verdict": {k: dict(v) for k, v in BUDGET_VERDICT_TEXT.items()},
        "recommendation": {k: dict(v) for k, v in RECOMMENDATION_LABELS.items()},
        "signal": {k: dict(v) for k, v in SIGNAL_LABELS.items()},
        "outcome": {k: dict(v) for k, v in OUTCOME_LABELS.items()},
        "status": {k: dict(v) for k, v in TRADE_STATUS_LABELS.items()},
        "side": {k: dict(v) for k, v in SIDE_LABELS.items()},
        "column_help": {k: dict(v) for k, v in COLUMN_HELP.items()},
        "demo": dict(_DEMO_TEXT),
        "execution_kind": {k: dict(v) for k, v in EXECUTION_KIND_LABELS.items()},
        "execution": {k: dict(v) for k, v in EXECUTION_TEXT.items()},
    }


__all__ = [
    "BREAKEVEN_STOP",
    "BUDGET_REASON_TEXT",
    "BUDGET_VERDICT_TEXT",
    "COLUMN_HELP",
    "DEFAULT_LOCALE",
    "EXECUTION_KIND_LABELS",
    "EXECUTION_TEXT",
    "LEVEL_KIND_LABELS",
    "LOCALES",
    "MODE_DEMO",
    "MODE_LIVE",
    "OUTCOME_LABELS",
    "PAGE_TEXT",
    "RECOMMENDATION_LABELS",
    "SIDE_LABELS",
    "SIGNAL_LABELS",
    "TERMINAL_COLUMNS_EN",
    "TERMINAL_LEGEND",
    "TERMINAL_TEXT",
    "TRADE_STATUS_LABELS",
    "TRAILING_STOP",
    "demo_marker",
    "execution_line",
    "lifecycle_label",
    "market_clock_text",
    "norm_locale",
    "outcome_key",
    "outcome_label",
    "recommendation_label",
    "side_label",
    "signal_label",
    "status_label",
    "terminal_column",
    "ui_labels",
]
