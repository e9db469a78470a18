"""Розділ HTML-звіту «якість сигналів»: бюджет, сигнали проти watch, децилі рангу, калібрування.

Лише подання вже порахованого розділу `signal_quality` звіту (`signal_quality.quality_section`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cases", "випадків"),
    ("mean_fwd_15", "сер. 15 хв, %"),
    ("mean_fwd_60", "сер. 60 хв, %"),
    ("mean_net_60", "60 хв після комісій, %"),
    ("median_fwd_60", "медіана 60 хв, %"),
    ("mean_fwd_240", "сер. 240 хв, %"),
    ("win_rate_60", "частка > 0 (60 хв)"),
    ("tp_first_rate", "TP першим"),
    ("mean_mfe_60", "MFE 60 хв, %"),
    ("mean_mae_60", "MAE 60 хв, %"),
)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}"
    return html.escape(str(value))


def _table(title: str, rows: Mapping[str, Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in _COLUMNS)
    body = "".join(
        f"<tr><th>{html.escape(name)}</th>{''.join(f'<td>{_fmt(row.get(key))}</td>' for key, _ in _COLUMNS)}</tr>"
        for name, row in rows.items()
    )
    return f"<h3>{html.escape(title)}</h3><table><tr><th></th>{head}</tr>{body}</table>"


def quality_tables(report: Mapping[str, Any]) -> str:
    """Таблиці розділу (порожній рядок, коли розділу немає)."""
    q = report.get("signal_quality")
    if not isinstance(q, Mapping):
        return ""
    budget = q.get("budget") or {}
    parts = [
        "<h2>Якість сигналів</h2>",
        "<p>Кожен кандидат (рішення Stage2 на алерт) отримує ранг; бюджет пропускає як сигнал лише "
        "найвище оцінені. Наслідки — рух ціни в напрямку кандидата через 5/15/60/240 хв від close бару "
        "сигналу (брутто; «після комісій» віднімає комісію кола), TP першим — за планом Stage2 "
        "(без плану — ті самі множники від бази волатильності).</p>",
        f"<p id='budget-line'>сигналів на символ на добу: {_fmt(budget.get('surfaced_per_symbol_day'))} "
        f"(кандидатів: {_fmt(budget.get('candidates_per_symbol_day'))}; найбільше в символу: "
        f"{_fmt(budget.get('max_symbol_surfaced_per_day'))}); вердикти: "
        f"{html.escape(', '.join(f'{k} {v}' for k, v in (q.get('budget_reasons') or {}).items()))}</p>",
        _table(
            "Сигнали проти watch",
            {
                "усі кандидати": q.get("all_candidates") or {},
                "сигнали": q.get("surfaced") or {},
                "watch": q.get("watch") or {},
            },
        ),
    ]
    deciles = q.get("rank_deciles") or {}
    spearman = deciles.get("spearman")
    parts.append(
        _table(
            f"Децилі рангу (D10 — найвищий); Спірмен децилю й середнього руху за "
            f"{deciles.get('horizon_min', 60)} хв: {_fmt(spearman)}",
            deciles.get("rows") or {},
        )
    )
    parts.append(_table("За рекомендацією Stage2", q.get("by_recommendation") or {}))
    parts.append(_table("Сигнали за типом (бік | тригери)", q.get("surfaced_by_kind") or {}))
    return "\n".join(parts)


def calibration_figure(report: Mapping[str, Any]) -> go.Figure | None:
    """Калібрування: середня впевненість кошика проти реальної частки TP першим."""
    q = report.get("signal_quality")
    if not isinstance(q, Mapping):
        return None
    rows = [r for r in q.get("confidence_calibration") or [] if r.get("cases")]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[r.get("mean_confidence") for r in rows],
            y=[r.get("tp_first_rate") for r in rows],
            mode="lines+markers",
            name="TP першим",
            text=[f"{r.get('cases')} випадків" for r in rows],
        )
    )
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="ідеальне калібрування", line={"dash": "dot"}))
    fig.update_layout(
        title="Калібрування впевненості Stage2: частка TP першим за кошиками впевненості",
        xaxis_title="впевненість (середня в кошику)",
        yaxis_title="частка TP першим",
        height=360,
        margin={"t": 40, "b": 40},
    )
    return fig


__all__ = ["calibration_figure", "quality_tables"]
