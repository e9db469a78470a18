"""Чиста статистика базових ліній: бутстреп різниці, перцентиль, розкид, розділ звіту."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from aione.backtest.baseline_summary import baselines_section, buy_and_hold_pct, trade_returns
from aione.backtest.baselines_multi import BaselineRuns, RunTrades
from aione.backtest.bootstrap import bootstrap_mean_diff, percentile_rank, spread


# ── Бутстреп ──
def test_bootstrap_finds_a_known_difference() -> None:
    rng = np.random.default_rng(11)
    a = (0.5 + rng.normal(0.0, 0.05, 400)).tolist()
    b = rng.normal(0.0, 0.05, 3000).tolist()
    ci = bootstrap_mean_diff(a, b, seed=7)
    assert ci is not None
    assert ci.low < 0.5 < ci.high
    assert ci.low > 0.0
    assert ci.diff == pytest.approx(float(np.mean(a) - np.mean(b)))
    assert (ci.n_a, ci.n_b, ci.resamples, ci.level) == (400, 3000, 2000, 0.95)


def test_bootstrap_on_equal_distributions_contains_zero() -> None:
    rng = np.random.default_rng(12)
    a = rng.normal(-0.1, 0.6, 500).tolist()
    b = rng.normal(-0.1, 0.6, 5000).tolist()
    ci = bootstrap_mean_diff(a, b, seed=8)
    assert ci is not None and ci.low < 0.0 < ci.high


def test_bootstrap_is_deterministic_and_seeded() -> None:
    rng = np.random.default_rng(13)
    a, b = rng.normal(0, 1, 50).tolist(), rng.normal(0, 1, 80).tolist()
    first = bootstrap_mean_diff(a, b, seed=1, resamples=300)
    assert first == bootstrap_mean_diff(a, b, seed=1, resamples=300)
    assert first != bootstrap_mean_diff(a, b, seed=2, resamples=300)


def test_bootstrap_interval_widens_with_level_and_skips_bad_values() -> None:
    rng = np.random.default_rng(14)
    a, b = rng.normal(0, 1, 60).tolist(), rng.normal(0, 1, 60).tolist()
    narrow = bootstrap_mean_diff(a, b, level=0.5, seed=3)
    wide = bootstrap_mean_diff(a, b, level=0.99, seed=3)
    assert narrow is not None and wide is not None
    assert wide.low < narrow.low < narrow.high < wide.high
    with_nan = bootstrap_mean_diff([*a, math.nan, math.inf], b, level=0.5, seed=3)
    assert with_nan == narrow
    assert bootstrap_mean_diff([], b) is None
    with pytest.raises(ValueError):
        bootstrap_mean_diff(a, b, level=1.0)


# ── Перцентиль і розкид ──
def test_percentile_rank_uses_mid_rank() -> None:
    pop = [1.0, 2.0, 3.0, 4.0]
    assert percentile_rank(5.0, pop) == (100.0, 4, 0)
    assert percentile_rank(0.0, pop) == (0.0, 0, 0)
    assert percentile_rank(2.5, pop) == (50.0, 2, 0)
    assert percentile_rank(2.0, pop) == (37.5, 1, 1)
    assert percentile_rank(1.0, []) is None
    assert percentile_rank(math.nan, pop) is None


def test_spread_of_values() -> None:
    values = [float(v) for v in range(1, 21)]
    s = spread(values)
    assert s is not None
    assert (s.n, s.mean, s.min, s.max) == (20, 10.5, 1.0, 20.0)
    assert s.std == pytest.approx(float(np.std(values, ddof=1)))
    assert s.p5 == pytest.approx(float(np.percentile(values, 5)))
    assert s.p95 == pytest.approx(float(np.percentile(values, 95)))
    one = spread([0.3])
    assert one is not None and one.std == 0.0 and one.p5 == one.p95 == 0.3
    assert spread([math.nan]) is None


# ── Розділ звіту ──
def _trades(values: list[float], side: str = "BUY") -> list[dict[str, Any]]:
    return [
        {
            "trade_id": f"T{i}",
            "pnl_pct": v,
            "r": v,
            "side": side,
            "close_reason": "tp_hit" if v > 0 else "sl_hit",
        }
        for i, v in enumerate(values)
    ]


def test_buy_and_hold_matches_trade_fee_formula() -> None:
    # +10 % рух мінус 0.04 % · (1 + 1.1) комісій входу й виходу
    assert buy_and_hold_pct(100.0, 110.0, 0.0004) == pytest.approx(10.0 - 0.04 * 2.1)
    assert buy_and_hold_pct(50.0, 50.0, 0.0) == 0.0


def test_section_numbers_from_known_runs() -> None:
    randoms = [
        RunTrades("random", 3, 3, _trades([m - 0.1, m, m + 0.1]), 100 + k)
        for k, m in enumerate((-0.2, 0.0, 0.2))
    ]
    runs = BaselineRuns(
        100,
        randoms,
        RunTrades("always_long", 3, 3, _trades([0.1, 0.2, 0.3])),
        RunTrades("always_short", 3, 2, _trades([-0.5, -0.1], "SELL")),
        {"AAAUSDT": (100.0, 110.0), "BBBUSDT": (10.0, 9.0)},
        0.0,
    )
    strategy = _trades([0.1, 0.1, 0.1, math.nan])
    section = baselines_section(strategy, runs, resamples=200)
    assert trade_returns(strategy) == [0.1, 0.1, 0.1]
    assert section["strategy"] == {"trades": 4, "mean_pct": pytest.approx(0.1)}
    rnd = section["random"]
    assert rnd["per_seed_mean_pct"] == pytest.approx([-0.2, 0.0, 0.2])
    assert rnd["mean_pct"] == pytest.approx(0.0) and rnd["std_pct"] == pytest.approx(0.2)
    assert (rnd["min_pct"], rnd["max_pct"]) == (pytest.approx(-0.2), pytest.approx(0.2))
    assert rnd["pooled_trades"] == 9 and rnd["seeds"] == 3 and rnd["requested"] == 3
    assert section["strategy_percentile"] == {
        "percentile": pytest.approx(200 / 3),
        "seeds_below": 2,
        "seeds_equal": 0,
        "seeds": 3,
    }
    diff = section["diff_vs_random"]
    assert diff["diff_pct"] == pytest.approx(0.1) and diff["ci_low_pct"] <= 0.1 <= diff["ci_high_pct"]
    assert diff["bootstrap_seed"] == 100 and diff["resamples"] == 200
    assert section["always_long"]["mean_pct"] == pytest.approx(0.2)
    assert section["always_short"]["created"] == 2 and section["always_short"]["mean_pct"] == pytest.approx(
        -0.3
    )
    bh = section["buy_and_hold"]
    assert bh["by_symbol_pct"] == {"AAAUSDT": pytest.approx(10.0), "BBBUSDT": pytest.approx(-10.0)}
    assert bh["mean_pct"] == pytest.approx(0.0)
    assert runs.base()["seed"] == 100 and runs.base()["trades"] == randoms[0].trades


def test_section_without_strategy_trades() -> None:
    runs = BaselineRuns(
        1,
        [RunTrades("random", 0, 0, [], 1)],
        RunTrades("always_long", 0, 0, []),
        RunTrades("always_short", 0, 0, []),
        {},
        0.0004,
    )
    section = baselines_section([], runs)
    assert section["strategy"]["mean_pct"] is None
    assert section["diff_vs_random"]["diff_pct"] is None
    assert section["strategy_percentile"]["percentile"] is None
    assert section["random"]["mean_pct"] is None and section["buy_and_hold"]["mean_pct"] is None
