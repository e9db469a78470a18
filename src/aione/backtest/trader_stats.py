"""Числа звіту для трейдера (чиста логіка, без I/O): просідання з датами, серії, Sharpe/Sortino,
розбивка за днями й тижнями, таблиця причин виходу.

Запис угоди — словник `runner.trade_record` (`pnl_pct` — чистий PnL після комісій, %; `r`;
`exit_ts`, `entry_ts` — мс UTC; `close_reason`; `holding_sec`). Визначення:
- паперовий капітал — сума `pnl_pct` угод у порядку закриття (`metrics.closing_order`), одна
  одиниця ставки на угоду, без реінвестування; стартує з 0 у момент `start_ms` (початок прогону);
- просідання — падіння капіталу від попереднього піку, у процентних пунктах цієї суми; початок —
  час піку (закриття угоди, що його дала, або `start_ms`), кінець — час дна, відновлення — перше
  закриття після дна, де капітал знову ≥ піку (None — не відновився до кінця прогону);
- виграш — угода з `pnl_pct` > 0, програш — < 0; угода з рівно нулем обриває обидві серії;
- денні прибутки — сума `pnl_pct` угод, закритих за день UTC, для КОЖНОГО дня прогону (дні без
  угод — 0); Sharpe = середнє / std (ddof = 1) · √365, Sortino = середнє / downside-відхилення ·
  √365, downside-відхилення = √(середнє min(r, 0)² по всіх днях); безризикова ставка 0;
  крипторинок торгує 365 днів, звідси √365;
- дні й тижні — за часом закриття угоди (UTC); тиждень — ISO (понеділок–неділя).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aione.backtest.metrics import closing_order, mean_or_none

TradeRec = Mapping[str, Any]
DAYS_PER_YEAR = 365
RETURNS_BASIS = (
    "daily sum of net pnl_pct of trades closed that UTC day (1 stake unit per trade, no compounding), "
    "every UTC day of the run including days without trades; risk-free rate 0"
)
ANNUALISATION = "x sqrt(365): crypto trades every day"


# ── Допоміжне ──
def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _ts(value: Any) -> int | None:
    number = _num(value)
    return int(number) if number is not None else None


def utc_day(ts_ms: int) -> date:
    """День UTC моменту (мс)."""
    return datetime.fromtimestamp(ts_ms / 1000.0, tz=UTC).date()


def iso_week(day: date) -> str:
    """Мітка ISO-тижня: `2025-W19`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _closed(trades: Iterable[TradeRec]) -> list[TradeRec]:
    """Угоди з часом закриття, у порядку закриття."""
    return [t for t in closing_order(trades) if _ts(t.get("exit_ts")) is not None]


# ── Просідання ──
def drawdown_period(trades: Sequence[TradeRec], start_ms: int | None = None) -> dict[str, Any]:
    """Найбільше просідання паперового капіталу з датами (визначення — в описі модуля).

    Точки капіталу: (`start_ms`, 0), далі (exit_ts, сума pnl_pct) кожної угоди. Без `start_ms`
    стартова точка — момент першого входу (або першого закриття). Рівні максимуми: пік — останній
    із рівних перед дном (просідання починається, коли капітал востаннє був на піку)."""
    closed = _closed(trades)
    if start_ms is None and closed:
        entries = [e for e in (_ts(t.get("entry_ts")) for t in closed) if e is not None]
        start_ms = min(entries) if entries else _ts(closed[0].get("exit_ts"))
    points: list[tuple[int | None, float]] = [(start_ms, 0.0)]
    total = 0.0
    for t in closed:
        total += _num(t.get("pnl_pct")) or 0.0
        points.append((_ts(t.get("exit_ts")), total))
    peak_i = 0
    best = (0.0, 0, 0)  # (глибина, індекс піку, індекс дна)
    for i, (_, value) in enumerate(points):
        if value >= points[peak_i][1]:
            peak_i = i
        depth = points[peak_i][1] - value
        if depth > best[0]:
            best = (depth, peak_i, i)
    depth, p, q = best
    if depth <= 0:
        return {
            "max_drawdown_pct": 0.0,
            "peak_ts": None,
            "trough_ts": None,
            "recovery_ts": None,
            "peak_equity_pct": None,
            "trough_equity_pct": None,
            "trades_in_drawdown": 0,
            "duration_seconds": None,
        }
    peak_value = points[p][1]
    recovery = next((ts for ts, v in points[q + 1 :] if v >= peak_value), None)
    peak_ts, trough_ts = points[p][0], points[q][0]
    span_ms = trough_ts - peak_ts if peak_ts is not None and trough_ts is not None else None
    return {
        "max_drawdown_pct": depth,
        "peak_ts": peak_ts,
        "trough_ts": trough_ts,
        "recovery_ts": recovery,
        "peak_equity_pct": peak_value,
        "trough_equity_pct": points[q][1],
        "trades_in_drawdown": q - p,
        "duration_seconds": span_ms / 1000.0 if span_ms is not None else None,
    }


# ── Серії ──
def streaks(trades: Sequence[TradeRec]) -> dict[str, Any]:
    """Найдовші серії виграшів і програшів поспіль (у порядку закриття) з часом першого й
    останнього закриття серії і сумою PnL %; перша з рівних за довжиною."""
    best: dict[str, dict[str, Any]] = {
        kind: {"length": 0, "start_ts": None, "end_ts": None, "pnl_pct": 0.0} for kind in ("win", "loss")
    }
    kind: str | None = None
    length, start_ts, pnl = 0, None, 0.0
    for t in _closed(trades):
        v = _num(t.get("pnl_pct")) or 0.0
        now = "win" if v > 0 else "loss" if v < 0 else None
        ts = _ts(t.get("exit_ts"))
        if now is None or now != kind:
            kind, length, start_ts, pnl = now, 0, ts, 0.0
        if now is None:
            continue
        length += 1
        pnl += v
        if length > best[now]["length"]:
            best[now] = {"length": length, "start_ts": start_ts, "end_ts": ts, "pnl_pct": pnl}
    return {"max_win": best["win"], "max_loss": best["loss"]}


# ── Денні прибутки, Sharpe і Sortino ──
def _day_span(trades: Sequence[TradeRec], start_ms: int | None, end_ms: int | None) -> list[date]:
    """Усі дні UTC від початку до кінця прогону (без меж — від першого до останнього закриття)."""
    bounds = [e for e in (_ts(t.get("exit_ts")) for t in trades) if e is not None]
    bounds += [b for b in (start_ms, end_ms) if b is not None]
    if not bounds:
        return []
    lo, hi = min(bounds), max(bounds)
    first, last = utc_day(lo), utc_day(hi)
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def daily_returns(
    trades: Sequence[TradeRec], start_ms: int | None = None, end_ms: int | None = None
) -> list[tuple[date, float]]:
    """(день UTC, сума pnl_pct закритих за день угод) для кожного дня прогону; дні без угод — 0."""
    sums: dict[date, float] = {}
    for t in trades:
        ts = _ts(t.get("exit_ts"))
        if ts is not None:
            day = utc_day(ts)
            sums[day] = sums.get(day, 0.0) + (_num(t.get("pnl_pct")) or 0.0)
    return [(day, sums.get(day, 0.0)) for day in _day_span(trades, start_ms, end_ms)]


def sharpe_sortino(returns: Sequence[float], periods_per_year: int = DAYS_PER_YEAR) -> dict[str, Any]:
    """Річні Sharpe і Sortino ряду прибутків (визначення — в описі модуля); None, коли не визначено
    (менше двох точок, нульовий розкид, жодного від'ємного дня для Sortino)."""
    n = len(returns)
    mean = mean_or_none(list(returns))
    scale = math.sqrt(periods_per_year)
    sharpe = sortino = std = downside = None
    if n >= 2 and mean is not None:
        std = math.sqrt(math.fsum((r - mean) ** 2 for r in returns) / (n - 1))
        sharpe = mean / std * scale if std > 0 else None
        downside = math.sqrt(math.fsum(min(r, 0.0) ** 2 for r in returns) / n)
        sortino = mean / downside * scale if downside > 0 else None
    return {
        "periods": n,
        "mean_pct": mean,
        "std_pct": std,
        "downside_dev_pct": downside,
        "sharpe": sharpe,
        "sortino": sortino,
        "periods_per_year": periods_per_year,
    }


# ── Розбивка за днями й тижнями ──
def _period_row(trades: Sequence[TradeRec]) -> dict[str, Any]:
    pnl = [_num(t.get("pnl_pct")) or 0.0 for t in trades]
    rs = [v for v in (_num(t.get("r")) for t in trades) if v is not None]
    wins = sum(1 for v in pnl if v > 0)
    return {
        "trades": len(trades),
        "wins": wins,
        "losses": sum(1 for v in pnl if v < 0),
        "win_rate": wins / len(trades) if trades else None,
        "pnl_pct": math.fsum(pnl),
        "avg_pct": mean_or_none(pnl),
        "r": math.fsum(rs),
    }


def period_breakdown(
    trades: Sequence[TradeRec], start_ms: int | None = None, end_ms: int | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """`daily` (ключ `2025-05-12`) і `weekly` (ключ `2025-W20`): угоди, виграші, програші,
    частка виграшів, сума і середнє PnL %, сума R — за часом закриття, кожен день/тиждень прогону."""
    by_day: dict[date, list[TradeRec]] = {day: [] for day in _day_span(trades, start_ms, end_ms)}
    for t in trades:
        ts = _ts(t.get("exit_ts"))
        if ts is not None:
            by_day.setdefault(utc_day(ts), []).append(t)
    by_week: dict[str, list[TradeRec]] = {}
    for day in sorted(by_day):
        by_week.setdefault(iso_week(day), []).extend(by_day[day])
    return {
        "daily": {day.isoformat(): _period_row(by_day[day]) for day in sorted(by_day)},
        "weekly": {week: _period_row(rows) for week, rows in by_week.items()},
    }


# ── Причини виходу ──
def exit_reasons(trades: Sequence[TradeRec]) -> dict[str, dict[str, Any]]:
    """За `close_reason`: угоди, частка від усіх, частка виграшів, середнє і сума PnL %, середнє R,
    середнє утримання; `in_profit` — скільки закрились у плюсі (напр. стоп після беззбитку/трейлінгу)."""
    groups: dict[str, list[TradeRec]] = {}
    for t in trades:
        groups.setdefault(str(t.get("close_reason")), []).append(t)
    total = len(trades)
    out: dict[str, dict[str, Any]] = {}
    for reason in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        rows = groups[reason]
        pnl = [_num(t.get("pnl_pct")) or 0.0 for t in rows]
        rs = [v for v in (_num(t.get("r")) for t in rows) if v is not None]
        holding = [v for v in (_num(t.get("holding_sec")) for t in rows) if v is not None]
        wins = sum(1 for v in pnl if v > 0)
        out[reason] = {
            "trades": len(rows),
            "share": len(rows) / total,
            "in_profit": wins,
            "win_rate": wins / len(rows),
            "avg_pct": mean_or_none(pnl),
            "total_pct": math.fsum(pnl),
            "avg_r": mean_or_none(rs),
            "avg_holding_sec": mean_or_none(holding),
        }
    return out


# ── Розділ звіту ──
def trader_section(
    trades: Sequence[TradeRec], start_ms: int | None = None, end_ms: int | None = None
) -> dict[str, Any]:
    """Розділ `trader` звіту: усе вище разом (без NaN-прибирання — це робить звіт)."""
    daily = daily_returns(trades, start_ms, end_ms)
    ratios = sharpe_sortino([v for _, v in daily])
    ratios["returns"] = RETURNS_BASIS
    ratios["annualisation"] = ANNUALISATION
    return {
        "drawdown": drawdown_period(trades, start_ms),
        "streaks": streaks(trades),
        "ratios": ratios,
        "exit_reasons": exit_reasons(trades),
        **period_breakdown(trades, start_ms, end_ms),
    }


__all__ = [
    "ANNUALISATION",
    "DAYS_PER_YEAR",
    "RETURNS_BASIS",
    "daily_returns",
    "drawdown_period",
    "exit_reasons",
    "iso_week",
    "period_breakdown",
    "sharpe_sortino",
    "streaks",
    "trader_section",
    "utc_day",
]
