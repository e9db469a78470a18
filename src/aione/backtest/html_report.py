"""Самодостатня HTML-сторінка звіту: вердикт, розділи для трейдера, базові лінії, таблиці показників,
крива капіталу, список угод, графіки символів.

Рядок вердикту — першим, під ним ключові числа; розділи для трейдера (припущення, причини виходу,
просідання, серії, Sharpe/Sortino, купив-і-тримай, тижні й дні, угоди) — `html_trader`.

Plotly береться з установленого пакета і вбудовується в сторінку один раз
(`include_plotlyjs=True` для першого графіка), тож файл відкривається без мережі.
Лінія ціни символу проріджується до ≤ `max_points` точок (кожен k-й close); входи й виходи
угод позначено точно: ▲ вхід BUY, ▼ вхід SELL, ✕ вихід (колір — причина закриття).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from aione.backtest.html_quality import calibration_figure, quality_tables
from aione.backtest.html_trader import (
    assumptions_block,
    buy_hold_block,
    drawdown_block,
    exit_reason_block,
    key_numbers,
    periods_block,
    ratios_block,
    streaks_block,
    trade_list_block,
    utc,
)
from aione.data.bars import BarArrays

_REASON_COLORS = {
    "tp_hit": "#2e7d32",
    "sl_hit": "#c62828",
    "time_exit": "#6d6d6d",
    "early_exit": "#ef6c00",
    "manual": "#5e35b1",
}
_TABLE_COLS = (
    ("signals", "сигнали"),
    ("trades", "угоди"),
    ("hit_rate", "hit rate"),
    ("avg_return_pct", "сер. %"),
    ("median_return_pct", "мед. %"),
    ("avg_r", "сер. R"),
    ("median_r", "мед. R"),
    ("expectancy_r", "очік. R"),
    ("profit_factor", "PF"),
    ("max_drawdown_r", "макс. просід. R"),
    ("avg_mae_pct", "MAE %"),
    ("avg_mfe_pct", "MFE %"),
    ("avg_holding_sec", "утрим., с"),
)


# ── Помічники ──
def _dates(ts: Sequence[int] | np.ndarray) -> list[str]:
    return np.asarray(ts, dtype="datetime64[ms]").astype(str).tolist()


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.0f}"
    return str(value)


def summary_table(title: str, rows: Mapping[str, Mapping[str, Any]]) -> str:
    """HTML-таблиця показників (рядок — група)."""
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in _TABLE_COLS)
    body = []
    for name, stats in rows.items():
        cells = "".join(f"<td>{html.escape(_fmt(stats.get(key)))}</td>" for key, _ in _TABLE_COLS)
        body.append(f"<tr><th>{html.escape(name)}</th>{cells}</tr>")
    return f"<h2>{html.escape(title)}</h2><table><tr><th></th>{head}</tr>{''.join(body)}</table>"


def _base_label(report: Mapping[str, Any]) -> str:
    """Назва прогону базового seed-а (угоди й капітал у звіті — лише його)."""
    return f"випадкові входи, seed {(report.get('baseline') or {}).get('seed')}"


def _pct(value: Any, digits: int = 3) -> str:
    return f"{value:+.{digits}f}" if isinstance(value, int | float) else "–"


def _num(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "–"


def verdict_banner(report: Mapping[str, Any]) -> str:
    """Рядок вердикту зі звіту (згенерований `baseline_summary.verdict_line`); без нього — порожньо."""
    verdict = report.get("verdict")
    if not isinstance(verdict, str) or not verdict:
        return ""
    return f"<p id='verdict' class='verdict'><b>Вердикт:</b> {html.escape(verdict)}</p>"


def baselines_table(report: Mapping[str, Any]) -> str:
    """Таблиця базових ліній: стратегія, випадкові входи (середнє ± std), різниця з інтервалом і
    перцентилем, «завжди long/short», купив-і-тримай. Без розділу `baselines` — порожньо."""
    section = report.get("baselines")
    if not isinstance(section, Mapping):
        return ""
    strategy = section.get("strategy") or {}
    rnd = section.get("random") or {}
    rank = section.get("strategy_percentile") or {}
    diff = section.get("diff_vs_random") or {}
    level = diff.get("level")
    level_pct = f"{level * 100:.0f}" if isinstance(level, int | float) else "–"
    rows: list[tuple[str, Any, str, str]] = [
        ("стратегія", strategy.get("trades"), _pct(strategy.get("mean_pct")), ""),
        (
            f"випадкові входи, {rnd.get('seeds')} seed-ів",
            rnd.get("pooled_trades"),
            f"{_pct(rnd.get('mean_pct'))} ± {_num(rnd.get('std_pct'))}",
            f"5–95 %: [{_pct(rnd.get('p5_pct'))}, {_pct(rnd.get('p95_pct'))}], "
            f"мін/макс: [{_pct(rnd.get('min_pct'))}, {_pct(rnd.get('max_pct'))}]",
        ),
        (
            "стратегія − випадкові",
            None,
            _pct(diff.get("diff_pct")),
            f"{level_pct} % CI [{_pct(diff.get('ci_low_pct'))}, {_pct(diff.get('ci_high_pct'))}], "
            f"перцентиль {_fmt(rank.get('percentile'))} (вище {rank.get('seeds_below')} з {rank.get('seeds')} seed-ів)",
        ),
    ]
    for key, name in (("always_long", "завжди long"), ("always_short", "завжди short")):
        ref = section.get(key) or {}
        rows.append(
            (name, ref.get("trades"), _pct(ref.get("mean_pct")), f"hit rate {_fmt(ref.get('hit_rate'))}")
        )
    bh = section.get("buy_and_hold") or {}
    rows.append(
        (
            "купив-і-тримай",
            None,
            _pct(bh.get("mean_pct"), 2),
            f"% за весь період, рівні ваги {bh.get('symbols')} символів, мінус комісія кола",
        )
    )
    body = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(_fmt(n))}</td><td>{html.escape(value)}</td>"
        f"<td style='text-align:left'>{html.escape(note)}</td></tr>"
        for name, n, value, note in rows
    )
    head = "<tr><th></th><th>угод</th><th>сер. % на угоду після комісій</th><th></th></tr>"
    return f"<h2>Базові лінії</h2><table>{head}{body}</table>"


# ── Графіки ──
def equity_figure(report: Mapping[str, Any]) -> go.Figure:
    """Паперовий капітал стратегії і базової лінії (сума PnL %, у порядку закриття)."""
    fig = go.Figure()
    for name, eq in (
        ("стратегія", report.get("equity")),
        (_base_label(report), (report.get("baseline") or {}).get("equity")),
    ):
        if eq:
            fig.add_trace(
                go.Scatter(x=_dates([p[0] for p in eq]), y=[p[1] for p in eq], mode="lines", name=name)
            )
    fig.update_layout(title="Паперовий капітал, сума PnL %", height=380, margin={"t": 40, "b": 30})
    return fig


def symbol_figure(
    symbol: str, bars: BarArrays, trades: Sequence[Mapping[str, Any]], max_points: int = 2000
) -> go.Figure:
    """Ціна символу з входами і виходами угод."""
    step = max(1, len(bars) // max_points)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=_dates(bars.open_time[::step]),
            y=bars.close[::step].tolist(),
            mode="lines",
            name="close",
            line={"width": 1, "color": "#455a64"},
        )
    )
    for side, marker, color in (("BUY", "triangle-up", "#2e7d32"), ("SELL", "triangle-down", "#c62828")):
        sel = [t for t in trades if t.get("side") == side and t.get("entry_ts") is not None]
        if sel:
            fig.add_trace(
                go.Scatter(
                    x=_dates([t["entry_ts"] for t in sel]),
                    y=[t["entry_price"] for t in sel],
                    mode="markers",
                    name=f"вхід {side}",
                    marker={"symbol": marker, "size": 10, "color": color},
                    text=[t["trade_id"] for t in sel],
                )
            )
    for reason, color in _REASON_COLORS.items():
        sel = [t for t in trades if t.get("close_reason") == reason and t.get("exit_ts") is not None]
        if sel:
            fig.add_trace(
                go.Scatter(
                    x=_dates([t["exit_ts"] for t in sel]),
                    y=[t["exit_price"] for t in sel],
                    mode="markers",
                    name=f"вихід {reason}",
                    marker={"symbol": "x", "size": 8, "color": color},
                    text=[f"{t['trade_id']} R={_fmt(t.get('r'))}" for t in sel],
                )
            )
    fig.update_layout(title=symbol, height=360, margin={"t": 40, "b": 30})
    return fig


# ── Сторінка ──
_STYLE = (
    "<style>body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse;font-size:13px}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#f4f4f4}"
    "table.kv td:first-child,table.trades td:nth-child(2),table.trades td:nth-child(8){text-align:left}"
    ".verdict{font-size:15px;padding:6px 10px;background:#fff8e1;border:1px solid #ffe082}"
    ".keys{font-size:15px}.note{color:#555;font-size:12px;max-width:60em}"
    "section{margin-top:1em}</style>"
)


def render_html(report: Mapping[str, Any], series: Mapping[str, BarArrays]) -> str:
    """Уся сторінка одним рядком (plotly.js вбудовано один раз).

    Порядок — як читає трейдер: вердикт, ключові числа, припущення, результат і базові лінії,
    причини виходу, просідання, серії, Sharpe/Sortino, купив-і-тримай, тижні й дні; далі якість
    сигналів, капітал і групи, список угод, графіки символів."""
    parts = [
        "<!DOCTYPE html><html lang='uk'><head><meta charset='utf-8'><title>AiOne backtest</title>",
        _STYLE + "</head><body>",
        "<h1>AiOne: бектест якості сигналів</h1>",
        verdict_banner(report),
        key_numbers(report),
    ]
    run = report.get("run") or {}
    parts.append(
        f"<p>символів: {len(run.get('symbols') or [])}, барів: {run.get('symbol_bars')}, "
        f"від {utc(run.get('first_bar_ms'))} до {utc(run.get('last_bar_ms'))}</p>"
    )
    parts.append(assumptions_block(report))
    overall = {"стратегія": report.get("overall") or {}}
    if report.get("baseline"):
        overall[_base_label(report)] = report["baseline"].get("overall") or {}
    parts.append(summary_table("Загалом", overall))
    parts.append(baselines_table(report))
    for block in (
        exit_reason_block,
        drawdown_block,
        streaks_block,
        ratios_block,
        buy_hold_block,
        periods_block,
    ):
        parts.append(block(report))
    parts.append(quality_tables(report))
    figs = [equity_figure(report)]
    calibration = calibration_figure(report)
    if calibration is not None:
        figs.append(calibration)
    trades = report.get("trades") or []
    for symbol in sorted(series):
        figs.append(symbol_figure(symbol, series[symbol], [t for t in trades if t.get("symbol") == symbol]))
    for i, fig in enumerate(figs):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"chart-{i}"))
        if i == 0:
            for key, title in (
                ("by_recommendation", "За рекомендацією"),
                ("by_trigger", "За тригером"),
                ("by_symbol", "За символом"),
                ("by_side", "За стороною"),
            ):
                parts.append(summary_table(title, report.get(key) or {}))
            parts.append(trade_list_block(report))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(report: Mapping[str, Any], series: Mapping[str, BarArrays], path: Path) -> Path:
    """Пише сторінку у файл і повертає шлях."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, series), encoding="utf-8")
    return path


__all__ = [
    "baselines_table",
    "equity_figure",
    "render_html",
    "summary_table",
    "symbol_figure",
    "verdict_banner",
    "write_html",
]
