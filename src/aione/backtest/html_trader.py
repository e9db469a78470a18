"""Розділи HTML-звіту для трейдера: ключові числа, припущення, причини виходу, просідання й серії,
Sharpe/Sortino, купив-і-тримай, дні й тижні, список угод.

Лише подання вже порахованих розділів звіту (`assumptions`, `trader`, `overall`, `baselines`,
`by_symbol`, `trades`); кожен розділ — `<section id=…>` з заголовком, тож його легко знайти.
Формат для трейдера: відсотки зі знаком і «%», R, дати — UTC.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aione.backtest.assumptions import describe
from aione.backtest.metrics import closing_order

REASON_LABELS: Mapping[str, str] = {
    "tp_hit": "тейк-профіт",
    "sl_hit": "стоп",
    "time_exit": "за часом",
    "early_exit": "протилежний сигнал",
    "manual": "вручну",
}


# ── Формат чисел ──
def pct(value: Any, digits: int = 2) -> str:
    """`+1.23 %`; не число — «–»."""
    return f"{value:+.{digits}f} %" if _is_num(value) else "–"


def r_mult(value: Any, digits: int = 2) -> str:
    """`+0.50 R`; не число — «–»."""
    return f"{value:+.{digits}f} R" if _is_num(value) else "–"


def share(value: Any) -> str:
    """Частка 0…1 як `40.0 %`; не число — «–»."""
    return f"{value * 100:.1f} %" if _is_num(value) else "–"


def ratio(value: Any) -> str:
    return f"{value:.2f}" if _is_num(value) else "–"


def price(value: Any) -> str:
    return f"{value:.6g}" if _is_num(value) else "–"


def utc(ts_ms: Any) -> str:
    """`2025-05-12 14:03 UTC`; без часу — «–»."""
    if not _is_num(ts_ms):
        return "–"
    return datetime.fromtimestamp(ts_ms / 1000.0, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(seconds: Any) -> str:
    """`3 д 04 год`, `2 год 05 хв`, `12 хв`."""
    if not _is_num(seconds):
        return "–"
    minutes = int(round(seconds / 60.0))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} д {hours:02d} год"
    if hours:
        return f"{hours} год {mins:02d} хв"
    return f"{mins} хв"


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _e(text: Any) -> str:
    return html.escape(str(text))


def _section(sid: str, title: str, body: str) -> str:
    return f"<section id='{sid}'><h2>{_e(title)}</h2>{body}</section>"


def _table(head: Sequence[str] | None, rows: Sequence[Sequence[str]], cls: str = "") -> str:
    """Таблиця; без `head` — без рядка заголовків (пари «назва — значення»)."""
    attr = f" class='{cls}'" if cls else ""
    th = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>" if head else ""
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table{attr}>{th}{body}</table>"


def reason_label(reason: Any, pnl_pct: Any = None, entry: Any = None, exit_price: Any = None) -> str:
    """Людська назва причини виходу; стоп у плюсі (трейлінг) і стоп рівно на вході (беззбиток,
    мінус лише комісія) — окремо."""
    label = REASON_LABELS.get(str(reason), str(reason))
    if reason == "sl_hit" and _is_num(pnl_pct) and pnl_pct > 0:
        return f"{label} у плюсі"
    if reason == "sl_hit" and _is_num(entry) and entry == exit_price:
        return f"{label} на вході (беззбиток)"
    return label


# ── Ключові числа ──
def key_numbers(report: Mapping[str, Any]) -> str:
    """Один рядок найважливішого під вердиктом."""
    overall = report.get("overall") or {}
    trader = report.get("trader") or {}
    dd = trader.get("drawdown") or {}
    ratios = trader.get("ratios") or {}
    bh = (report.get("baselines") or {}).get("buy_and_hold") or {}
    items = [
        ("угод", str(overall.get("trades", 0))),
        ("виграшних", share(overall.get("win_rate"))),
        ("очікування", f"{pct(overall.get('expectancy_pct'), 3)} / {r_mult(overall.get('expectancy_r'))}"),
        ("сума PnL", pct(overall.get("total_return_pct"))),
        ("макс. просідання", pct(_neg(dd.get("max_drawdown_pct")))),
        ("Sharpe", ratio(ratios.get("sharpe"))),
        ("Sortino", ratio(ratios.get("sortino"))),
        ("купив-і-тримай", pct(bh.get("mean_pct"))),
    ]
    body = " · ".join(f"{_e(name)}: <b>{_e(value)}</b>" for name, value in items)
    return f"<p id='key-numbers' class='keys'>{body}</p>"


def _neg(value: Any) -> Any:
    return -value if _is_num(value) and value else value


# ── Припущення ──
def assumptions_block(report: Mapping[str, Any]) -> str:
    a = report.get("assumptions")
    if not isinstance(a, Mapping):
        return ""
    items = "".join(f"<li><b>{_e(title)}:</b> {_e(text)}</li>" for title, text in describe(a))
    return _section("assumptions", "Припущення", f"<ul>{items}</ul>")


# ── Причини виходу ──
def exit_reason_block(report: Mapping[str, Any]) -> str:
    reasons = (report.get("trader") or {}).get("exit_reasons") or {}
    rows = [
        [
            f"{reason_label(name)} ({name})",
            str(row.get("trades")),
            share(row.get("share")),
            share(row.get("win_rate")),
            pct(row.get("avg_pct"), 3),
            pct(row.get("total_pct")),
            r_mult(row.get("avg_r")),
            duration(row.get("avg_holding_sec")),
        ]
        for name, row in reasons.items()
    ]
    head = ["причина", "угод", "частка", "виграшних", "сер. PnL", "сума PnL", "сер. R", "сер. утримання"]
    return _section("exit-reasons", "Причини виходу", _table(head, rows) if rows else "<p>угод немає</p>")


# ── Просідання, серії, Sharpe/Sortino ──
def drawdown_block(report: Mapping[str, Any]) -> str:
    trader = report.get("trader") or {}
    dd = trader.get("drawdown") or {}
    if not dd.get("max_drawdown_pct"):
        text = "<p>просідання немає: капітал не падав нижче попереднього піку</p>"
    else:
        recovery = utc(dd.get("recovery_ts")) if dd.get("recovery_ts") is not None else "не відновився"
        rows = [
            ["макс. просідання", pct(_neg(dd.get("max_drawdown_pct")))],
            ["початок (пік)", f"{utc(dd.get('peak_ts'))}, капітал {pct(dd.get('peak_equity_pct'))}"],
            ["кінець (дно)", f"{utc(dd.get('trough_ts'))}, капітал {pct(dd.get('trough_equity_pct'))}"],
            ["тривалість", f"{duration(dd.get('duration_seconds'))}, угод: {dd.get('trades_in_drawdown')}"],
            ["відновлення", recovery],
        ]
        text = _table(None, rows, "kv")
    note = (
        "<p class='note'>Капітал — сума чистих PnL % угод у порядку закриття (одна ставка на угоду, "
        "без реінвестування); просідання — у процентних пунктах цієї суми.</p>"
    )
    return _section("drawdown", "Просідання", text + note)


def streaks_block(report: Mapping[str, Any]) -> str:
    s = (report.get("trader") or {}).get("streaks") or {}
    rows = []
    for key, name in (("max_win", "виграшів поспіль"), ("max_loss", "програшів поспіль")):
        row = s.get(key) or {}
        length = row.get("length") or 0
        span = f"{utc(row.get('start_ts'))} → {utc(row.get('end_ts'))}" if length else "–"
        rows.append([name, str(length), pct(row.get("pnl_pct")) if length else "–", span])
    return _section(
        "streaks", "Серії", _table(["найдовша серія", "угод", "сума PnL", "закриття (UTC)"], rows)
    )


def ratios_block(report: Mapping[str, Any]) -> str:
    r = (report.get("trader") or {}).get("ratios") or {}
    rows = [
        ["Sharpe", ratio(r.get("sharpe"))],
        ["Sortino", ratio(r.get("sortino"))],
        ["днів", str(r.get("periods", "–"))],
        ["сер. денний PnL", pct(r.get("mean_pct"), 3)],
        ["std денного PnL", f"{r.get('std_pct'):.3f} %" if _is_num(r.get("std_pct")) else "–"],
    ]
    note = (
        "<p class='note'>Денні прибутки паперового капіталу: сума чистих PnL % угод, закритих за день UTC, "
        "для кожного дня прогону (дні без угод — 0). Sharpe = середнє / std · √365; Sortino = середнє / "
        "downside-відхилення · √365 (√ середнього квадрата від'ємних днів по всіх днях); безризикова "
        "ставка 0; √365 — крипторинок торгує щодня.</p>"
    )
    return _section("risk-ratios", "Sharpe і Sortino", _table(None, rows, "kv") + note)


# ── Купив-і-тримай ──
def buy_hold_block(report: Mapping[str, Any]) -> str:
    bh = (report.get("baselines") or {}).get("buy_and_hold")
    if not isinstance(bh, Mapping):
        return _section("buy-and-hold", "Купив-і-тримай", "<p>базових ліній у звіті немає</p>")
    by_symbol = report.get("by_symbol") or {}
    rows = [["усі (рівні ваги)", pct(bh.get("mean_pct")), "", ""]]
    for name, value in (bh.get("by_symbol_pct") or {}).items():
        mine = by_symbol.get(name) or {}
        rows.append(
            [
                name,
                pct(value),
                str(mine.get("trades") or 0),
                pct(mine.get("total_return_pct")) if mine.get("trades") else "–",
            ]
        )
    note = (
        "<p class='note'>Купив-і-тримай: перший → останній close символу у вікні прогону мінус одна "
        "комісія кола. Стратегія — сума чистих PnL % її угод на символі (одна ставка на угоду).</p>"
    )
    head = ["символ", "купив-і-тримай", "угод стратегії", "сума PnL стратегії"]
    return _section("buy-and-hold", "Купив-і-тримай тих самих символів", _table(head, rows) + note)


# ── Дні й тижні ──
def _period_rows(rows: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    return [
        [
            name,
            str(row.get("trades")),
            share(row.get("win_rate")),
            pct(row.get("pnl_pct")),
            pct(row.get("avg_pct"), 3),
            r_mult(row.get("r")),
        ]
        for name, row in rows.items()
    ]


def periods_block(report: Mapping[str, Any]) -> str:
    trader = report.get("trader") or {}
    head = ["угод", "виграшних", "сума PnL", "сер. PnL", "сума R"]
    note = "<p class='note'>За часом закриття угоди, UTC; тиждень — ISO (пн–нд).</p>"
    return _section(
        "weekly", "За тижнями", _table(["тиждень", *head], _period_rows(trader.get("weekly") or {})) + note
    ) + _section("daily", "За днями", _table(["день", *head], _period_rows(trader.get("daily") or {})))


# ── Список угод ──
def trade_list_block(report: Mapping[str, Any]) -> str:
    trades = closing_order(report.get("trades") or [])
    rows = [
        [
            str(i),
            str(t.get("symbol")),
            str(t.get("side")),
            utc(t.get("entry_ts")),
            utc(t.get("exit_ts")),
            price(t.get("entry_price")),
            price(t.get("exit_price")),
            reason_label(t.get("close_reason"), t.get("pnl_pct"), t.get("entry_price"), t.get("exit_price")),
            pct(t.get("pnl_pct"), 3),
            r_mult(t.get("r")),
            duration(t.get("holding_sec")),
        ]
        for i, t in enumerate(trades, 1)
    ]
    head = ["#", "символ", "бік", "відкрито", "закрито", "вхід", "вихід", "причина", "PnL", "R", "утримання"]
    body = _table(head, rows, "trades") if rows else "<p>угод немає</p>"
    return _section("trade-list", f"Угоди ({len(rows)}, у порядку закриття)", body)


__all__ = [
    "REASON_LABELS",
    "assumptions_block",
    "buy_hold_block",
    "drawdown_block",
    "duration",
    "exit_reason_block",
    "key_numbers",
    "pct",
    "periods_block",
    "price",
    "r_mult",
    "ratio",
    "ratios_block",
    "reason_label",
    "share",
    "streaks_block",
    "trade_list_block",
    "utc",
]
