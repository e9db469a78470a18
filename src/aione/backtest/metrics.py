"""Чиста математика звіту якості сигналів: жодного I/O, лише списки записів угод → числа.

Запис угоди — словник з ключами `pnl_pct` (чистий PnL, %), `r` (PnL у R), `mfe_pct`, `mae_pct`,
`holding_sec`, `close_reason`, `exit_ts`, `trade_id` (див. `runner.trade_record`).

Визначення (усі в одному місці, щоб звіт читався однозначно):
- hit_rate — частка угод, що закрились по TP (TP раніше за SL), серед усіх закритих угод;
  `hit_rate_resolved` — те саме лише серед угод, що дійшли до TP або SL;
- win — угода з чистим PnL > 0 (після комісій), loss — з PnL < 0;
- expectancy = P(win)·середній виграш − P(loss)·середній програш (у % і в R окремо);
  алгебраїчно дорівнює середньому, але показує, звідки береться результат;
- profit_factor = сума виграшів / |сума програшів|; без програшів — None (нескінченність);
- паперовий капітал — сума PnL угод у порядку закриття (одна одиниця на угоду, без
  реінвестування), у % і в R; max_drawdown — найбільше падіння від попереднього піку (старт з 0);
- утримання — від входу до виходу, с.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

TradeRec = Mapping[str, Any]


# ── Допоміжне ──
def _finite(values: Iterable[Any]) -> list[float]:
    out: list[float] = []
    for v in values:
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            out.append(float(v))
    return out


def mean_or_none(xs: Sequence[float]) -> float | None:
    return math.fsum(xs) / len(xs) if xs else None


def median_or_none(xs: Sequence[float]) -> float | None:
    return float(statistics.median(xs)) if xs else None


def closing_order(trades: Iterable[TradeRec]) -> list[TradeRec]:
    """Угоди в порядку закриття (рівність часу — за trade_id): детермінований порядок капіталу."""
    return sorted(trades, key=lambda t: (t.get("exit_ts") or 0, str(t.get("trade_id", ""))))


# ── Капітал і просідання ──
def equity_curve(trades: Iterable[TradeRec], key: str = "pnl_pct") -> list[tuple[int, float]]:
    """Кумулятивний паперовий капітал [(exit_ts, сума `key`)] у порядку закриття."""
    total = 0.0
    out: list[tuple[int, float]] = []
    for t in closing_order(trades):
        v = t.get(key)
        if isinstance(v, int | float) and math.isfinite(v):
            total += float(v)
        out.append((int(t.get("exit_ts") or 0), total))
    return out


def max_drawdown(equity: Iterable[float]) -> float:
    """Найбільше падіння капіталу від попереднього піку (капітал стартує з 0); ≥ 0."""
    peak = 0.0
    worst = 0.0
    for v in equity:
        peak = max(peak, v)
        worst = max(worst, peak - v)
    return worst


def expectancy(values: Sequence[float]) -> float | None:
    """P(win)·середній виграш − P(loss)·|середній програш|; None без угод."""
    if not values:
        return None
    wins = [v for v in values if v > 0]
    losses = [-v for v in values if v < 0]
    n = len(values)
    avg_win = mean_or_none(wins) or 0.0
    avg_loss = mean_or_none(losses) or 0.0
    return len(wins) / n * avg_win - len(losses) / n * avg_loss


def profit_factor(values: Sequence[float]) -> float | None:
    """Сума виграшів / |сума програшів|; None, коли програшів немає."""
    gains = math.fsum(v for v in values if v > 0)
    losses = -math.fsum(v for v in values if v < 0)
    return gains / losses if losses > 0 else None


# ── Зведення ──
def summarize(trades: Sequence[TradeRec], signals: int | None = None) -> dict[str, Any]:
    """Показники групи угод (визначення — в описі модуля). `signals` — кількість сигналів групи."""
    n = len(trades)
    reasons: dict[str, int] = {}
    for t in trades:
        reason = str(t.get("close_reason"))
        reasons[reason] = reasons.get(reason, 0) + 1
    tp, sl = reasons.get("tp_hit", 0), reasons.get("sl_hit", 0)
    pnl = _finite(t.get("pnl_pct") for t in trades)
    rs = _finite(t.get("r") for t in trades)
    ordered = closing_order(trades)
    eq_pct = [v for _, v in equity_curve(ordered, "pnl_pct")]
    eq_r = [v for _, v in equity_curve(ordered, "r")]
    holding = _finite(t.get("holding_sec") for t in trades)
    return {
        "signals": signals,
        "trades": n,
        "tp_hits": tp,
        "sl_hits": sl,
        "exits": dict(sorted(reasons.items())),
        "hit_rate": tp / n if n else None,
        "hit_rate_resolved": tp / (tp + sl) if tp + sl else None,
        "win_rate": sum(1 for v in pnl if v > 0) / len(pnl) if pnl else None,
        "avg_return_pct": mean_or_none(pnl),
        "median_return_pct": median_or_none(pnl),
        "avg_r": mean_or_none(rs),
        "median_r": median_or_none(rs),
        "expectancy_pct": expectancy(pnl),
        "expectancy_r": expectancy(rs),
        "total_return_pct": math.fsum(pnl),
        "total_r": math.fsum(rs),
        "profit_factor": profit_factor(pnl),
        "max_drawdown_pct": max_drawdown(eq_pct),
        "max_drawdown_r": max_drawdown(eq_r),
        "avg_mae_pct": mean_or_none(_finite(t.get("mae_pct") for t in trades)),
        "avg_mfe_pct": mean_or_none(_finite(t.get("mfe_pct") for t in trades)),
        "avg_holding_sec": mean_or_none(holding),
        "median_holding_sec": median_or_none(holding),
    }


def group_keys(
    items: Iterable[TradeRec], keys_of: Callable[[TradeRec], Iterable[str]]
) -> dict[str, list[TradeRec]]:
    """Групи записів; запис потрапляє в кожну свою групу (угода з двома тригерами — у дві)."""
    groups: dict[str, list[TradeRec]] = {}
    for item in items:
        for key in keys_of(item):
            groups.setdefault(key, []).append(item)
    return dict(sorted(groups.items()))


def grouped_summary(
    trades: Sequence[TradeRec],
    signals: Sequence[TradeRec],
    keys_of: Callable[[TradeRec], Iterable[str]],
) -> dict[str, dict[str, Any]]:
    """`summarize` для кожної групи; сигнали групуються тим самим ключем (для лічильника)."""
    by_trade = group_keys(trades, keys_of)
    by_signal = group_keys(signals, keys_of)
    names = sorted(set(by_trade) | set(by_signal))
    return {name: summarize(by_trade.get(name, []), len(by_signal.get(name, []))) for name in names}


__all__ = [
    "closing_order",
    "equity_curve",
    "expectancy",
    "group_keys",
    "grouped_summary",
    "max_drawdown",
    "mean_or_none",
    "median_or_none",
    "profit_factor",
    "summarize",
]
