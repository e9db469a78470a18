"""Термінальна таблиця стану (Rich): чиста функція `render_table(frame, now_ms)`.

Таблиця лише показує кадр: порядок рядків, лічильники, TP/SL і PnL уже пораховано
видавцем; тут — тільки форматування (ціна за тіком, відсотки, компактний обсяг) і кольори:
BUY — зелений, SELL — червоний, алерт — жовтий. Застарілі дані (старші за
`UI_STALE_AFTER_SEC` відносно `now_ms`) позначаються `STALE_MARK` у шапці та в рядку.

Сигнальний шлюз: колонка «Ранг» — ранг останнього кандидата символу (0.00–1.00), «Запис типу» —
виміряний запис його типу (`412 · TP 31% · +0.12%`: випадків, частка TP першим, медіанний рух за
горизонт запису). Кандидат, якого бюджет не пропустив, — рядок у стані `watch`: приглушений, у
колонці сигналу `watch · <причина бюджету>`, без рекомендації.

Людські назви (`ui.labels`, мова — `meta.locale` кадру, типово uk): рекомендації й сигнали
(«алерт · сильна купівля»), наслідки угод («трейлінг-стоп, +0.40 %» замість `sl_hit`). Оборот —
за 24 год (`turnover_24h_usd`), зміна — за 24 год; під таблицею легенда колонок і `seq`. Кадр демо
(`meta.mode == "demo"`) має над лічильниками позначку «ДЕМО · симуляція ×300 … · час ринку …».
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from aione.config.config import (
    ASSET_STATE,
    BUY_SET,
    SELL_SET,
    SIGNAL_ALERT,
    UI_COLUMN_VOLUME,
    UI_STALE_AFTER_SEC,
    UI_TOP_N,
)
from aione.signals.budget import (
    REASON_BELOW_RANK,
    REASON_BUDGET_OFF,
    REASON_MARKET_BUDGET,
    REASON_NOT_ACTIONABLE,
    REASON_PROMOTED,
    REASON_SYMBOL_BUDGET,
)
from aione.ui.labels import (
    TERMINAL_LEGEND,
    TERMINAL_TEXT,
    demo_marker,
    execution_line,
    lifecycle_label,
    norm_locale,
    outcome_label,
    recommendation_label,
    side_label,
    signal_label,
    status_label,
    terminal_column,
)
from aione.utils.utils import format_price, get_tick_size

DASH = "-"
STALE_MARK = TERMINAL_TEXT["uk"]["stale"]
WATCH_MARK = "watch"
RANK_COLUMN = "Ранг"
RECORD_COLUMN = "Запис типу"
CHANGE_COLUMN = "Зміна 24 год %"
BAND_COLUMN = "Смуга %"
# Коротка причина вердикту бюджету для рядка таблиці (ключі — причини `signals.budget`).
BUDGET_REASON_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        REASON_PROMOTED: "сигнал",
        REASON_BUDGET_OFF: "бюджет вимкнено",
        REASON_NOT_ACTIONABLE: "без BUY/SELL",
        REASON_BELOW_RANK: "низький ранг",
        REASON_SYMBOL_BUDGET: "ліміт символу",
        REASON_MARKET_BUDGET: "ліміт ринку",
    }
)
DERIV_COLUMN = "Книга · OI · фін."  # дисбаланс книги, зміна OI за 15 хв, ставка фінансування
COLUMNS = (
    "Символ",
    "Ціна",
    CHANGE_COLUMN,
    UI_COLUMN_VOLUME,
    "ATR %",
    "RSI",
    "Тригери",
    "Сигнал",
    "Впевн.",
    RANK_COLUMN,
    RECORD_COLUMN,
    "TP / SL",
    "Угода / PnL",
    BAND_COLUMN,
    DERIV_COLUMN,
)
_NUMERIC = frozenset(
    {"Ціна", CHANGE_COLUMN, UI_COLUMN_VOLUME, "ATR %", "RSI", "Впевн.", RANK_COLUMN, "TP / SL", BAND_COLUMN}
)



# ── Форматування ──
def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def fmt_pct(value: Any, signed: bool = False) -> str:
    number = _num(value)
    if number is None:
        return DASH
    return f"{number:+.2f}%" if signed else f"{number:.2f}%"


def fmt_compact(value: Any) -> str:
    """1234567 → 1.23M; 98765 → 98.8K."""
    number = _num(value)
    if number is None:
        return DASH
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= limit:
            return (
                f"{number / limit:.2f}{suffix}"
                if abs(number) < limit * 100
                else f"{number / limit:.0f}{suffix}"
            )
    return f"{number:.0f}"


def _tick(row: Mapping[str, Any]) -> float:
    tick = _num(row.get("tick_size"))
    return (
        tick
        if tick is not None and tick > 0
        else get_tick_size(str(row.get("symbol", "")), _num(row.get("price")))
    )


def is_watch(row: Mapping[str, Any]) -> bool:
    """Рядок у стані watch: кандидат є, але бюджет не пропустив його як сигнал."""
    return row.get("state") == ASSET_STATE["WATCH"]


def reason_label(reason: Any) -> str:
    """Людська назва причини вердикту бюджету (невідома причина — як є)."""
    if not isinstance(reason, str) or not reason:
        return DASH
    return BUDGET_REASON_LABELS.get(reason, reason)


def rank_score(row: Mapping[str, Any]) -> float | None:
    """Ранг рядка [0, 1]: число або словник частин рангу з ключем `score`."""
    rank = row.get("rank")
    if isinstance(rank, Mapping):
        rank = rank.get("score")
    return _num(rank)


def fmt_rank(row: Mapping[str, Any]) -> str:
    score = rank_score(row)
    return f"{score:.2f}" if score is not None else DASH


def fmt_record(record: Any) -> str:
    """Стислий запис типу: `412 · TP 31% · +0.12%`; немає запису — «-»."""
    if not isinstance(record, Mapping):
        return DASH
    cases = _num(record.get("cases"))
    if cases is None or cases <= 0:
        return DASH
    rate, move = _num(record.get("tp_first_rate")), _num(record.get("median_move_pct"))
    rate_txt = f"{rate * 100:.0f}%" if rate is not None else DASH
    move_txt = f"{move:+.2f}%" if move is not None else DASH
    return f"{int(cases)} · TP {rate_txt} · {move_txt}"


def frame_locale(frame: Mapping[str, Any]) -> str:
    """Мова UI з `meta.locale` кадру (типово uk)."""
    meta = frame.get("meta")
    return norm_locale(meta.get("locale") if isinstance(meta, Mapping) else None)


def signal_text(row: Mapping[str, Any], locale: str = "uk") -> str:
    """Колонка сигналу людськими словами: «алерт · сильна купівля», «watch · ліміт ринку»."""
    if is_watch(row):
        return f"{WATCH_MARK} · {reason_label(row.get('budget_reason'))}"
    rec = recommendation_label(row.get("recommendation"), locale)
    signal = row.get("signal")
    if rec and signal == SIGNAL_ALERT:
        return f"{signal_label(signal, locale)} · {rec}"
    return rec or signal_label(signal, locale) or DASH


def trade_text(row: Mapping[str, Any], locale: str = "uk") -> str:
    """Угода рядка: «лонг · відкрита +0.12%», закрита — наслідком: «лонг · трейлінг-стоп, +0.40 %»."""
    status = row.get("trade_status")
    if not status:
        return DASH
    side = side_label(row.get("trade_side"), locale)
    pnl = _num(row.get("pnl_pct"))
    if status == "closed" and row.get("close_reason"):
        outcome = outcome_label(
            row.get("close_reason"),
            pnl,
            trailing=row.get("trailing"),
            breakeven=row.get("breakeven"),
            locale=locale,
        )
        return f"{side} · {outcome}" if side else str(outcome)
    label = " · ".join(p for p in (side, status_label(status, locale)) if p)
    return label if pnl is None else f"{label} {pnl:+.2f}%"


def _tp_sl_text(row: Mapping[str, Any], tick: float) -> str:
    tp, sl = _num(row.get("tp")), _num(row.get("sl"))
    if tp is None and sl is None:
        return DASH
    return f"{format_price(tp, tick)} / {format_price(sl, tick)}"


def row_style(row: Mapping[str, Any]) -> str:
    """Колір рядка: BUY зелений, SELL червоний, watch приглушений, алерт жовтий."""
    rec = row.get("recommendation")
    if rec in BUY_SET:
        return "green"
    if rec in SELL_SET:
        return "red"
    if is_watch(row):
        return "dim"
    if row.get("signal") == SIGNAL_ALERT or row.get("state") == "alert":
        return "yellow"
    return ""


def is_stale(ts: Any, now_ms: int, stale_after_sec: float = UI_STALE_AFTER_SEC) -> bool:
    number = _num(ts)
    return number is None or now_ms - number > stale_after_sec * 1000.0


# ── Таблиця ──
def header_text(frame: Mapping[str, Any], now_ms: int, stale_after_sec: float = UI_STALE_AFTER_SEC) -> Text:
    """Шапка: позначка демо (з `meta` кадру), лічильники, вік даних, seq; позначка застарілості."""
    raw_counters = frame.get("counters")
    counters: Mapping[str, Any] = raw_counters if isinstance(raw_counters, Mapping) else {}
    frame_ts = _num(frame.get("ts"))
    age_ms = _num(counters.get("data_age_ms"))
    lag_ms = now_ms - frame_ts if frame_ts is not None else None
    text = Text()
    marker = demo_marker(frame.get("meta"), frame_locale(frame))
    if marker:
        text.append(marker, style="bold magenta")
        text.append("\n")
    execution = execution_line(frame.get("meta"), frame_locale(frame))
    if execution:  # живий брокер: заявки й позиції справжні — окремий помітний рядок
        meta = frame.get("meta")
        section = meta.get("execution") if isinstance(meta, Mapping) else None
        kill = isinstance(section, Mapping) and section.get("kill") is True
        text.append(execution, style="bold red" if kill else "bold yellow")
        text.append("\n")
    words = TERMINAL_TEXT[frame_locale(frame)]
    text.append("AiOne")
    for key in ("assets", "alerts", "buy", "sell"):
        text.append(f" · {words.get(key, key)} {counters.get(key, DASH)}")
    for key, label in (("signals", words["signals"]), ("watch", WATCH_MARK)):
        if key in counters:  # лічильники шлюзу — лише коли видавець їх дає
            text.append(f" · {label} {counters[key]}")
    text.append(f" · {words['trades']} {counters.get('open_trades', DASH)}")
    freshness = max(v for v in (age_ms, lag_ms, 0.0) if v is not None)
    text.append(f" · {words['data']} {freshness / 1000.0:.1f} {words['sec']} · seq {frame.get('seq', DASH)}")
    if frame_ts is None or freshness > stale_after_sec * 1000.0:
        text.append(f"  {words['stale']}", style="bold red")
    return text


def legend_text(locale: str = "uk") -> str:
    """Легенда колонок під таблицею (зміна й оборот за 24 год, смуга, seq)."""
    return TERMINAL_LEGEND[norm_locale(locale)]


# ── Колонки під ширину терміналу ──
@dataclass(frozen=True, slots=True)
class TermColumn:
    """Колонка адаптивної таблиці: назва, коротка назва (вузький термінал), пріоритет (0 — завжди)."""

    name: str
    short: str
    priority: int
    numeric: bool = False


LIFE_COLUMN = "Стан сигналу"
PLAN_COLUMN = "План сигналу"
CONF_COLUMN = "Впевненість"
STALE_SHORT = "⚠"  # позначка застарілості на вузькому терміналі
# Порядок — як на екрані; пріоритет — хто лишається на вузькому терміналі (менше — важливіше).
TERM_COLUMNS: Final = (
    TermColumn("Символ", "Символ", 0),
    TermColumn("Ціна", "Ціна", 0, True),
    TermColumn(CHANGE_COLUMN, "24г %", 2, True),
    TermColumn(UI_COLUMN_VOLUME, "Оборот", 8, True),
    TermColumn("ATR %", "ATR", 9, True),
    TermColumn("RSI", "RSI", 9, True),
    TermColumn("Сигнал", "Сигнал", 0),
    TermColumn(LIFE_COLUMN, "Стан", 1),
    TermColumn(PLAN_COLUMN, "План", 4),
    TermColumn(CONF_COLUMN, "Впевн.", 3),
    TermColumn(RANK_COLUMN, "Ранг", 6, True),
    TermColumn("Угода / PnL", "Угода", 5),
    TermColumn("TP / SL", "TP / SL", 7, True),
    TermColumn(RECORD_COLUMN, "Запис", 10),
    TermColumn(BAND_COLUMN, "Смуга", 11, True),
    TermColumn("Тригери", "Тригери", 12),
    TermColumn(DERIV_COLUMN, "Дер.", 8),
)
NARROW_WIDTH = 120  # вужче — короткі назви колонок, без легенди
SIGNAL_MAX_NARROW = 18  # вузький термінал: довгий сигнал обрізається «…», а не переноситься
_ENDED = frozenset({"invalidated", "expired"})


# ── Сортування й вибір ──
SORT_KEYS: Final = ("frame", "rank", "change", "confidence", "turnover", "symbol")
SORT_LABELS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "uk": {"frame": "як у кадрі", "rank": "ранг", "change": "зміна 24 год", "confidence": "впевненість",
               "turnover": "оборот", "symbol": "символ"},
        "en": {"frame": "frame order", "rank": "rank", "change": "24 h change", "confidence": "confidence",
               "turnover": "turnover", "symbol": "symbol"},
    }
)  # fmt: skip
_KEYS_HINT: Final[Mapping[str, str]] = MappingProxyType(
    {"uk": "s — сортування, ↑/↓ — рядок", "en": "s: sort, ↑/↓: row"}
)


def next_sort(key: str) -> str:
    """Наступний ключ сортування по колу (клавіша `s`)."""
    return SORT_KEYS[(SORT_KEYS.index(key) + 1) % len(SORT_KEYS)] if key in SORT_KEYS else SORT_KEYS[0]


def sort_rows(rows: list[Mapping[str, Any]], key: str) -> list[Mapping[str, Any]]:
    """Рядки за ключем: `frame` — як видав агрегатор; числа — спаданням, порожні внизу; символ — за абеткою."""
    if key == "symbol":
        return sorted(rows, key=lambda r: str(r.get("symbol", "")))
    getters = {
        "rank": rank_score,
        "change": lambda r: _num(r.get("price_change_pct")),
        "confidence": lambda r: _num(r.get("confidence")),
        "turnover": lambda r: _num(r.get("turnover_24h_usd")),
    }
    getter = getters.get(key)
    if getter is None:
        return list(rows)
    values = [(getter(r), i, r) for i, r in enumerate(rows)]
    return [r for v, _, r in sorted(values, key=lambda x: (x[0] is None, -(x[0] or 0.0), x[1]))]


# ── Нові комірки ──
def _lifecycle(row: Mapping[str, Any]) -> Mapping[str, Any] | None:
    life = row.get("lifecycle")
    return life if isinstance(life, Mapping) and isinstance(life.get("state"), str) else None


def _life_text(life: Mapping[str, Any], key: str, locale: str) -> str | None:
    texts = life.get("texts")
    local = texts.get(locale) if isinstance(texts, Mapping) else None
    value = local.get(key) if isinstance(local, Mapping) else None
    value = value if isinstance(value, str) and value else life.get(key)
    return value if isinstance(value, str) and value else None


def fmt_age(sec: Any, locale: str = "uk", compact: bool = False) -> str:
    """Вік сигналу: «45 с», «12 хв», «3 год 5 хв» (`compact` — без хвилин після години: «3 год»)."""
    number = _num(sec)
    if number is None:
        return ""
    s, m, h = ("s", "min", "h") if locale == "en" else ("с", "хв", "год")
    if number < 60:
        return f"{number:.0f} {s}"
    if number < 3600:
        return f"{number // 60:.0f} {m}"
    if compact:
        return f"{number // 3600:.0f} {h}"
    return f"{number // 3600:.0f} {h} {(number % 3600) // 60:.0f} {m}"


def life_cell(row: Mapping[str, Any], locale: str = "uk", compact: bool = False) -> str:
    """Стан сигналу: чинний — назва й вік («у роботі · 12 хв»), завершений — назва."""
    life = _lifecycle(row)
    if life is None:
        return DASH
    state = str(life["state"])
    label = lifecycle_label(state, locale) or state
    if life.get("final") is True:
        return label
    age = fmt_age(life.get("age_sec"), locale, compact)
    return f"{label} · {age}" if age else label


def plan_cell(row: Mapping[str, Any], tick: float) -> str:
    """План сигналу: «0.3726–0.3735 → 0.3623 / 0.3761» (зона входу → TP / SL)."""
    life = _lifecycle(row)
    plan = life.get("plan") if life is not None else None
    if not isinstance(plan, Mapping):
        return DASH
    lo, hi = format_price(_num(plan.get("entry_lo")), tick), format_price(_num(plan.get("entry_hi")), tick)
    entry = lo if lo == hi else f"{lo}–{hi}"
    return f"{entry} → {format_price(_num(plan.get('tp')), tick)} / {format_price(_num(plan.get('sl')), tick)}"


def confidence_cell(row: Mapping[str, Any], locale: str = "uk") -> str:
    """Впевненість чесно й коротко: виміряний запис «TP 31% з 412» або «оцінка 0.82» (не відсоток)."""
    record = row.get("record")
    if isinstance(record, Mapping):
        cases, rate = _num(record.get("cases")), _num(record.get("tp_first_rate"))
        if cases and rate is not None:
            joiner = "of" if locale == "en" else "з"
            return f"TP {rate * 100:.0f}% {joiner} {int(cases)}"
    score = _num(row.get("confidence"))
    if score is None:
        return DASH
    return f"{'score' if locale == 'en' else 'оцінка'} {score:.2f}"


def _row_text(row: Mapping[str, Any], key: str, locale: str) -> str | None:
    texts = row.get("texts")
    local = texts.get(locale) if isinstance(texts, Mapping) else None
    value = local.get(key) if isinstance(local, Mapping) else None
    value = value if isinstance(value, str) and value else row.get(key)
    return value if isinstance(value, str) and value else None


def short_narrative(row: Mapping[str, Any], locale: str = "uk") -> str:
    """Перше речення пояснення (мовою UI, з `texts` кадру)."""
    text = _row_text(row, "narrative", locale)
    if not text:
        return ""
    first = text.split("\n", 1)[0]
    cut = first.find(". ")
    return first[: cut + 1] if cut > 0 else first


def detail_line(row: Mapping[str, Any], locale: str = "uk") -> str:
    """Рядок деталей обраного символу: стан сигналу з причиною, правило скасування, впевненість, пояснення."""
    parts = [f"▶ {row.get('symbol', DASH)}"]
    life = _lifecycle(row)
    if life is not None:
        parts += [t for t in (_life_text(life, "text", locale), _life_text(life, "invalidation_text", locale)) if t]
    conf = confidence_cell(row, locale)
    if conf != DASH:
        parts.append(conf)
    narrative = short_narrative(row, locale)
    if narrative:
        parts.append(narrative)
    return " · ".join(parts)


def deriv_cell(row: Mapping[str, Any]) -> str:
    """Деривативи рядка коротко: дисбаланс книги (⚠ — книга застаріла), зміна OI за 15 хв, ставка
    фінансування: «кн +0.21 · OI +1.2% · ф 0.010%»; чого немає — не показується."""
    d = row.get("deriv")
    if not isinstance(d, Mapping):
        return DASH
    parts = []
    imb = _num(d.get("book_imbalance"))
    if imb is not None:
        parts.append(f"кн {imb:+.2f}" + ("⚠" if d.get("book_state") == "stale" else ""))
    oi = _num(d.get("oi_change_15m_pct"))
    if oi is not None:
        parts.append(f"OI {oi:+.1f}%")
    rate = _num(d.get("funding_rate"))
    if rate is not None:
        parts.append(f"ф {rate * 100:.3f}%")
    return " · ".join(parts) or DASH


def _cells(row: Mapping[str, Any], locale: str, tick: float, symbol: str, compact: bool = False) -> dict[str, str]:
    """Усі комірки рядка за назвами колонок (`COLUMNS` і адаптивні)."""
    triggers = row.get("triggers") or []
    rsi, confidence, band = _num(row.get("rsi")), _num(row.get("confidence")), _num(row.get("band_pct"))
    return {
        "Символ": symbol,
        "Ціна": format_price(_num(row.get("price")), tick),
        CHANGE_COLUMN: fmt_pct(row.get("price_change_pct"), signed=True),
        UI_COLUMN_VOLUME: fmt_compact(row.get("turnover_24h_usd")),
        "ATR %": fmt_pct(row.get("atr_pct")),
        "RSI": f"{rsi:.1f}" if rsi is not None else DASH,
        "Тригери": ", ".join(str(t) for t in triggers) if isinstance(triggers, list) and triggers else DASH,
        "Сигнал": signal_text(row, locale),
        "Впевн.": f"{confidence:.2f}" if confidence is not None else DASH,
        RANK_COLUMN: fmt_rank(row),
        RECORD_COLUMN: fmt_record(row.get("record")),
        "TP / SL": _tp_sl_text(row, tick),
        "Угода / PnL": trade_text(row, locale),
        BAND_COLUMN: f"{band:.2f}%" if band is not None else DASH,
        LIFE_COLUMN: life_cell(row, locale, compact),
        PLAN_COLUMN: plan_cell(row, tick),
        CONF_COLUMN: confidence_cell(row, locale),
        DERIV_COLUMN: deriv_cell(row),
    }


def choose_columns(widths: Mapping[str, int], width: int) -> list[TermColumn]:
    """Колонки, що вміщаються в `width` без переносу: відкидаються найменш важливі (за пріоритетом,
    з кінця). Ширина колонки — її найдовша комірка чи назва + рамка й відступи (3 символи)."""
    chosen = list(TERM_COLUMNS)

    def total(cols: list[TermColumn]) -> int:
        return 1 + sum(widths.get(c.name, 1) + 3 for c in cols)

    while total(chosen) > width:
        droppable = [c for c in chosen if c.priority > 0]
        if not droppable:
            break
        worst = max(droppable, key=lambda c: (c.priority, chosen.index(c)))
        chosen.remove(worst)
    return chosen


def _row_style(row: Mapping[str, Any], stale: bool) -> str | None:
    life = _lifecycle(row)
    ended = life is not None and life.get("state") in _ENDED
    parts = ("dim" if stale or ended else "", row_style(row))
    return " ".join(dict.fromkeys(p for p in parts if p)) or None


def render_table(
    frame: Mapping[str, Any],
    now_ms: int,
    *,
    top_n: int = UI_TOP_N,
    stale_after_sec: float = UI_STALE_AFTER_SEC,
    width: int | None = None,
    height: int | None = None,
    sort_key: str = "frame",
    selected: int | None = None,
) -> Table:
    """Rich-таблиця з кадру (порядок рядків — як у кадрі або за `sort_key`, перші `top_n`).

    Без `width` — повний набір колонок `COLUMNS` (як завжди). З `width` (ширина терміналу) —
    адаптивний набір `TERM_COLUMNS` зі станом і планом сигналу: колонки, що не вміщаються, відкидаються
    за пріоритетом, комірки не переносяться; `height` обмежує кількість рядків висотою екрана;
    під таблицею — сортування і рядок деталей обраного (`selected` — індекс серед показаних)."""
    assets = sort_rows([a for a in frame.get("assets", []) if isinstance(a, Mapping)], sort_key)
    locale = frame_locale(frame)
    title = header_text(frame, now_ms, stale_after_sec)
    narrow = width is not None and width < NARROW_WIDTH
    limit = top_n
    if width is not None and height is not None:
        title_lines = sum(max(1, -(-len(line) // width)) for line in title.plain.split("\n"))
        caption_lines = 2 if narrow else 4  # широкий: ще легенда й другий рядок деталей
        limit = max(1, min(top_n, height - title_lines - 4 - caption_lines))
    shown = assets[:limit]
    cells = []
    for row in shown:
        stale = row.get("stale") is True or is_stale(row.get("updated_ts"), now_ms, stale_after_sec)
        mark = STALE_SHORT if narrow else TERMINAL_TEXT[locale]["stale"]
        symbol = str(row.get("symbol", DASH)) + (f" {mark}" if stale else "")
        cells.append((_cells(row, locale, _tick(row), symbol, narrow), _row_style(row, stale)))
    if width is None:
        table = Table(title=title, expand=False, header_style="bold")
        for name in COLUMNS:
            table.add_column(name, justify="right" if name in _NUMERIC else "left", no_wrap=name != "Тригери")
        for values, style in cells:
            table.add_row(*(values[name] for name in COLUMNS), style=style)
        table.caption = f"показано {len(shown)} з {len(assets)}\n{legend_text(locale)}"
        table.caption_justify = "left"
        return table
    header = {c.name: terminal_column(c.name, c.short, narrow, locale) for c in TERM_COLUMNS}
    widths = {
        c.name: max([cell_len(header[c.name]), *(cell_len(v[c.name]) for v, _ in cells)]) for c in TERM_COLUMNS
    }
    if narrow:
        widths["Сигнал"] = min(widths["Сигнал"], SIGNAL_MAX_NARROW)
    columns = choose_columns(widths, width)
    table = Table(title=title, expand=True, header_style="bold")
    for col in columns:
        table.add_column(
            header[col.name],
            justify="right" if col.numeric else "left",
            no_wrap=True,
            overflow="ellipsis",
            min_width=widths[col.name] if col.priority == 0 and col.name != "Сигнал" else None,
        )
    for i, (values, style) in enumerate(cells):
        mark = "reverse" if selected is not None and i == selected % max(1, len(cells)) else ""
        table.add_row(*(values[c.name] for c in columns), style=" ".join(p for p in (style, mark) if p) or None)
    sort_name = SORT_LABELS[locale].get(sort_key, sort_key)
    words = TERMINAL_TEXT[locale]
    shown_text = words["shown"].format(n=len(shown), m=len(assets))
    lines = [f"{shown_text} · {words['sort']}: {sort_name} · {_KEYS_HINT[locale]}"]
    if not narrow:
        lines.append(legend_text(locale))
    if shown:
        pick = shown[(selected or 0) % len(shown)]
        lines.append(detail_line(pick, locale))
    caption = Text()
    for k, line in enumerate(lines):
        part = Text(line)
        # деталі на широкому терміналі — до двох рядків (пояснення довше за рядок), решта — один
        room = width * 2 - 2 if not narrow and k == len(lines) - 1 and shown else width
        part.truncate(room, overflow="ellipsis")
        if k:
            caption.append("\n")
        caption.append_text(part)
    table.caption = caption
    table.caption_justify = "left"
    return table


__all__ = [
    "BAND_COLUMN",
    "CONF_COLUMN",
    "DERIV_COLUMN",
    "LIFE_COLUMN",
    "NARROW_WIDTH",
    "PLAN_COLUMN",
    "SORT_KEYS",
    "STALE_SHORT",
    "SORT_LABELS",
    "TERM_COLUMNS",
    "TermColumn",
    "choose_columns",
    "confidence_cell",
    "deriv_cell",
    "detail_line",
    "fmt_age",
    "life_cell",
    "next_sort",
    "plan_cell",
    "short_narrative",
    "sort_rows",
    "BUDGET_REASON_LABELS",
    "CHANGE_COLUMN",
    "COLUMNS",
    "DASH",
    "RANK_COLUMN",
    "RECORD_COLUMN",
    "STALE_MARK",
    "WATCH_MARK",
    "fmt_compact",
    "fmt_pct",
    "fmt_rank",
    "fmt_record",
    "frame_locale",
    "header_text",
    "is_stale",
    "is_watch",
    "legend_text",
    "rank_score",
    "reason_label",
    "render_table",
    "row_style",
    "signal_text",
    "trade_text",
]
