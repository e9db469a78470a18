"""Числа порівняння стратегії з базовими лініями (чиста логіка: сирі угоди → розділ звіту `baselines`).

Міра — середній чистий PnL на угоду, % після комісій (`pnl_pct` запису угоди вже за вирахуванням
комісій входу й виходу), по закритих угодах:
- випадкові входи: середнє кожного seed-а; їхні середнє, std (ddof=1), мін/макс, 5-й і 95-й
  перцентилі (`bootstrap.spread`); перцентиль стратегії серед seed-ів (`bootstrap.percentile_rank`:
  нижче + ½ рівних); угоди всіх seed-ів разом — «об'єднана» лінія;
- різниця «стратегія мінус випадкові» = середнє стратегії − середнє об'єднаної лінії і її
  бутстреп-інтервал (`bootstrap.bootstrap_mean_diff`: незалежні перевибірки з поверненням
  угод стратегії та об'єднаних угод, B = 2000, перцентильний 95 % інтервал, seed = базовий seed);
- «завжди long» / «завжди short»: те саме середнє і кілька показників `metrics.summarize`;
- купив-і-тримай: для кожного символу перший → останній close вікна мінус одна комісія кола
  (та сама формула, що в угоди: рух % − ставка·(1 + вихід/вхід)·100), середнє з рівними вагами.

Рядок вердикту (`verdict_line`) генерується з цих чисел, ніколи не пишеться руками; «edge» —
лише коли нижня межа інтервалу різниці більша за нуль (`edge_word`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from aione.backtest.baselines_multi import BaselineRuns, RunTrades
from aione.backtest.bootstrap import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    bootstrap_mean_diff,
    percentile_rank,
    spread,
)
from aione.backtest.metrics import mean_or_none, summarize

METRIC = "mean pnl_pct per closed trade, % net of fees"
BOOTSTRAP_SCHEME = (
    "independent resampling with replacement of strategy trades and of pooled random-seed trades, "
    "difference of means, percentile interval"
)
WORD_EDGE = "edge"
WORD_NO_EDGE = "no edge"
WORD_WORSE = "no edge (worse than random entries)"
_REFERENCE_KEYS = ("trades", "hit_rate", "win_rate", "avg_return_pct", "avg_r", "expectancy_r")


# ── Допоміжне ──
def trade_returns(trades: Sequence[Mapping[str, Any]]) -> list[float]:
    """Скінченні `pnl_pct` угод (%, після комісій), у порядку записів."""
    out: list[float] = []
    for t in trades:
        v = t.get("pnl_pct")
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            out.append(float(v))
    return out


def buy_and_hold_pct(first: float, last: float, fee_rate: float) -> float:
    """Чистий % купив-і-тримай: рух first → last мінус комісії входу й виходу (як `Trade.pnl_pct`)."""
    ratio = last / first
    return (ratio - 1.0) * 100.0 - fee_rate * (1.0 + ratio) * 100.0


def _reference(run: RunTrades) -> dict[str, Any]:
    stats = summarize(run.trades)
    out: dict[str, Any] = {key: stats.get(key) for key in _REFERENCE_KEYS}
    out["requested"] = run.requested
    out["created"] = run.created
    out["mean_pct"] = mean_or_none(trade_returns(run.trades))
    return out


# ── Розділ звіту ──
def baselines_section(
    strategy_trades: Sequence[Mapping[str, Any]],
    runs: BaselineRuns,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Any]:
    """Розділ `baselines` звіту (визначення — в описі модуля); словник без NaN-прибирання (це робить звіт)."""
    strat = trade_returns(strategy_trades)
    strat_mean = mean_or_none(strat)
    per_seed = [mean_or_none(trade_returns(r.trades)) for r in runs.random]
    seed_means = [m for m in per_seed if m is not None]
    pooled = [v for r in runs.random for v in trade_returns(r.trades)]
    spr = spread(seed_means)
    rank = percentile_rank(strat_mean, seed_means) if strat_mean is not None else None
    ci = bootstrap_mean_diff(strat, pooled, resamples=resamples, level=level, seed=runs.seed)
    created = [r.created for r in runs.random]
    bh = {
        name: buy_and_hold_pct(first, last, runs.fee_rate)
        for name, (first, last) in sorted(runs.closes.items())
    }
    random: dict[str, Any] = {
        "seed": runs.seed,
        "seeds": len(runs.random),
        "seeds_with_trades": len(seed_means),
        "requested": runs.random[0].requested if runs.random else 0,
        "created_min": min(created) if created else None,
        "created_max": max(created) if created else None,
        "pooled_trades": len(pooled),
        "pooled_mean_pct": mean_or_none(pooled),
        "per_seed_mean_pct": per_seed,
    }
    for key in ("mean", "std", "min", "max", "p5", "p95"):
        random[f"{key}_pct"] = getattr(spr, key) if spr is not None else None
    return {
        "metric": METRIC,
        "strategy": {"trades": len(strategy_trades), "mean_pct": strat_mean},
        "random": random,
        "strategy_percentile": {
            "percentile": rank[0] if rank else None,
            "seeds_below": rank[1] if rank else None,
            "seeds_equal": rank[2] if rank else None,
            "seeds": len(seed_means),
        },
        "diff_vs_random": {
            "diff_pct": ci.diff if ci else None,
            "ci_low_pct": ci.low if ci else None,
            "ci_high_pct": ci.high if ci else None,
            "level": level,
            "resamples": resamples,
            "bootstrap_seed": runs.seed,
            "scheme": BOOTSTRAP_SCHEME,
        },
        "always_long": _reference(runs.always_long),
        "always_short": _reference(runs.always_short),
        "buy_and_hold": {
            "mean_pct": mean_or_none(list(bh.values())),
            "symbols": len(bh),
            "fee_rate": runs.fee_rate,
            "by_symbol_pct": bh,
        },
    }


# ── Форматування ──
def _signed(value: Any, digits: int = 3) -> str:
    return f"{value:+.{digits}f}" if isinstance(value, int | float) else "n/a"


def _plain(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "n/a"


def edge_word(ci_low: float | None, ci_high: float | None) -> str:
    """Слово вердикту з меж інтервалу різниці: «edge» — лише коли нижня межа більша за нуль;
    верхня межа нижче нуля — «no edge (worse than random entries)»; інакше «no edge»."""
    if ci_low is not None and ci_low > 0:
        return WORD_EDGE
    if ci_high is not None and ci_high < 0:
        return WORD_WORSE
    return WORD_NO_EDGE


# ── Рядок вердикту ──
def verdict_line(section: Mapping[str, Any]) -> str:
    """Один рядок з розділу `baselines` (`baselines_section`, після `report.clean`)."""
    strategy = section.get("strategy") or {}
    random = section.get("random") or {}
    rank = section.get("strategy_percentile") or {}
    diff = section.get("diff_vs_random") or {}
    seeds = random.get("seeds")
    refs = (
        f"always long {_signed((section.get('always_long') or {}).get('mean_pct'))}, "
        f"always short {_signed((section.get('always_short') or {}).get('mean_pct'))} %/trade, "
        f"buy-and-hold {_signed((section.get('buy_and_hold') or {}).get('mean_pct'), 2)} %"
    )
    if strategy.get("mean_pct") is None:
        return f"strategy made no closed trades vs {seeds}-seed random entries ({refs}): {WORD_NO_EDGE}"
    if diff.get("diff_pct") is None:
        return (
            f"strategy {_signed(strategy['mean_pct'])} %/trade after fees; {seeds}-seed random entries "
            f"made no closed trades ({refs}): {WORD_NO_EDGE}"
        )
    level = diff.get("level")
    level_pct = f"{level * 100:.0f}" if isinstance(level, int | float) else "n/a"
    low, high = diff.get("ci_low_pct"), diff.get("ci_high_pct")
    percentile = rank.get("percentile")
    return (
        f"strategy vs {seeds}-seed random entries: {_signed(diff['diff_pct'])} %/trade after fees, "
        f"{level_pct} % CI [{_signed(low)}, {_signed(high)}] "
        f"(strategy {_signed(strategy['mean_pct'])}, random {_signed(random.get('mean_pct'))} "
        f"± {_plain(random.get('std_pct'))}); above {rank.get('seeds_below')} of {rank.get('seeds')} seeds "
        f"(percentile {_plain(percentile, 0)}); {refs}: {edge_word(low, high)}"
    )


__all__ = [
    "BOOTSTRAP_SCHEME",
    "METRIC",
    "WORD_EDGE",
    "WORD_NO_EDGE",
    "WORD_WORSE",
    "baselines_section",
    "buy_and_hold_pct",
    "edge_word",
    "trade_returns",
    "verdict_line",
]
