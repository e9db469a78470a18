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
from types import MappingProxyType
from typing import Any, Final

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
    demo_marker,
    norm_locale,
    outcome_label,
    recommendation_label,
    side_label,
    signal_label,
    status_label,
)
from aione.utils.utils import format_price, get_tick_size

DASH = "-"
STALE_MARK = "⚠ застаріло"
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
    text.append("AiOne")
    for key, label in (("assets", "активів"), ("alerts", "алертів"), ("buy", "buy"), ("sell", "sell")):
        text.append(f" · {label} {counters.get(key, DASH)}")
    for key, label in (("signals", "сигналів"), ("watch", WATCH_MARK)):
        if key in counters:  # лічильники шлюзу — лише коли видавець їх дає
            text.append(f" · {label} {counters[key]}")
    text.append(f" · угод {counters.get('open_trades', DASH)}")
    freshness = max(v for v in (age_ms, lag_ms, 0.0) if v is not None)
    text.append(f" · дані {freshness / 1000.0:.1f} с · seq {frame.get('seq', DASH)}")
    if frame_ts is None or freshness > stale_after_sec * 1000.0:
        text.append(f"  {STALE_MARK}", style="bold red")
    return text


def legend_text(locale: str = "uk") -> str:
    """Легенда колонок під таблицею (зміна й оборот за 24 год, смуга, seq)."""
    return TERMINAL_LEGEND[norm_locale(locale)]


def render_table(
    frame: Mapping[str, Any],
    now_ms: int,
    *,
    top_n: int = UI_TOP_N,
    stale_after_sec: float = UI_STALE_AFTER_SEC,
) -> Table:
    """Rich-таблиця з кадру (порядок рядків — як у кадрі, перші `top_n`)."""
    assets = [a for a in frame.get("assets", []) if isinstance(a, Mapping)]
    locale = frame_locale(frame)
    table = Table(title=header_text(frame, now_ms, stale_after_sec), expand=False, header_style="bold")
    for name in COLUMNS:
        table.add_column(name, justify="right" if name in _NUMERIC else "left", no_wrap=name != "Тригери")
    for row in assets[:top_n]:
        tick = _tick(row)
        stale = is_stale(row.get("updated_ts"), now_ms, stale_after_sec)
        symbol = str(row.get("symbol", DASH)) + (f" {STALE_MARK}" if stale else "")
        triggers = row.get("triggers") or []
        rsi = _num(row.get("rsi"))
        confidence = _num(row.get("confidence"))
        band = _num(row.get("band_pct"))
        table.add_row(
            symbol,
            format_price(_num(row.get("price")), tick),
            fmt_pct(row.get("price_change_pct"), signed=True),
            fmt_compact(row.get("turnover_24h_usd")),
            fmt_pct(row.get("atr_pct")),
            f"{rsi:.1f}" if rsi is not None else DASH,
            ", ".join(str(t) for t in triggers) if isinstance(triggers, list) and triggers else DASH,
            signal_text(row, locale),
            f"{confidence:.2f}" if confidence is not None else DASH,
            fmt_rank(row),
            fmt_record(row.get("record")),
            _tp_sl_text(row, tick),
            trade_text(row, locale),
            f"{band:.2f}%" if band is not None else DASH,
            style=" ".join(dict.fromkeys(p for p in ("dim" if stale else "", row_style(row)) if p)) or None,
        )
    table.caption = f"показано {min(len(assets), top_n)} з {len(assets)}\n{legend_text(locale)}"
    table.caption_justify = "left"
    return table


__all__ = [
    "BAND_COLUMN",
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
