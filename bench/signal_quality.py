"""Якість сигналів поза вибіркою: чи кращі найвище оцінені сигнали за випадкові входи після комісій.

Запуск: `python bench/signal_quality.py [DATA_DIR] [--seeds 30] [--fit-fraction 0.6667]`
(типово ../shared/data/binance-um-1m-2025-05, 16 символів, травень 2025).

Схема (жодне число з перевірочної частини не бере участі у виборі):
1. Спільне вікно символів ділиться за часом: перші `fit-fraction` (типово дві третини) —
   підбір, остання третина — перевірка.
2. На частині підбору проганяється невелика наперед оголошена сітка конфігурацій рангу й бюджету
   (`GRID`: ваги незвичності/переконаності і поріг `min_rank`); для кожної — стратегія мінус
   випадкові входи (ті самі кількість, сторони й правила TP/SL, `--seeds` seed-ів), % на угоду
   після комісій. Обирається конфігурація з найбільшою нижньою межею 95 % бутстреп-інтервалу
   (обережніше за найбільшу середню різницю), серед тих, що дали щонайменше `MIN_TRADES` угод.
3. Обрана конфігурація проганяється ОДИН раз на перевірочній частині (прогрів — усередині неї ж,
   без барів підбору), з тими самими базовими лініями. Останній рядок — вердикт з цих чисел.
Еталон у тому самому запуску — випадкові входи; абсолютний час тут не друкується як результат.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from aione.backtest.baseline_summary import baselines_section
from aione.backtest.baselines_multi import run_baselines
from aione.backtest.runner import RunSpec, run_backtest
from aione.backtest.walkforward import common_window

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance-um-1m-2025-05"
MINUTE_MS = 60_000
MIN_TRADES = 30
# (назва, ваги рангу, min_rank) — оголошено до будь-якого прогону.
GRID: tuple[tuple[str, dict[str, float], float], ...] = (
    ("blend-0.5", {"unusual": 0.5, "conviction": 0.5}, 0.5),
    ("blend-0.7", {"unusual": 0.5, "conviction": 0.5}, 0.7),
    ("unusual-0.5", {"unusual": 1.0, "conviction": 0.0}, 0.5),
    ("unusual-0.8", {"unusual": 1.0, "conviction": 0.0}, 0.8),
    ("conviction-0.5", {"unusual": 0.0, "conviction": 1.0}, 0.5),
    ("conviction-0.7", {"unusual": 0.0, "conviction": 1.0}, 0.7),
)


def evaluate(spec: RunSpec, overrides: dict[str, Any], seeds: int) -> dict[str, Any]:
    """Стратегія і базові лінії на `spec`: угоди, середнє, різниця з випадковими і її інтервал."""
    result = run_backtest(spec, overrides)
    runs = run_baselines(result, overrides, seeds=seeds)
    section = baselines_section(result.trades, runs)
    diff = section["diff_vs_random"]
    surfaced = sum(1 for s in result.signals if s.get("surfaced"))
    return {
        "trades": len(result.trades),
        "surfaced": surfaced,
        "strategy_pct": section["strategy"]["mean_pct"],
        "random_pct": section["random"]["pooled_mean_pct"],
        "diff_pct": diff["diff_pct"],
        "ci_low": diff["ci_low_pct"],
        "ci_high": diff["ci_high_pct"],
        "percentile": section["strategy_percentile"]["percentile"],
    }


def _fmt(x: Any, signed: bool = True) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def _row(name: str, r: dict[str, Any]) -> str:
    return (
        f"  {name:<16} trades {r['trades']:>4}  signals {r['surfaced']:>4}  strategy {_fmt(r['strategy_pct'])}"
        f"  random {_fmt(r['random_pct'])}  diff {_fmt(r['diff_pct'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--fit-fraction", type=float, default=2 / 3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    base = RunSpec(args.data_dir)
    first, last = common_window(base)
    cut = first + int((last - first) * args.fit_fraction) // MINUTE_MS * MINUTE_MS
    fit = RunSpec(args.data_dir, None, first, cut - MINUTE_MS)
    test = RunSpec(args.data_dir, None, cut, last)
    print(f"data {args.data_dir.name}: fit {first}..{cut - MINUTE_MS}, test {cut}..{last} (ms, UTC open_time)")
    print(f"fit part: {len(GRID)} configurations x {args.seeds} random seeds, % per trade after fees")
    started = time.perf_counter()
    scored: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for name, weights, min_rank in GRID:
        overrides: dict[str, Any] = {"budget": {"rank_weights": weights, "min_rank": min_rank}}
        r = evaluate(fit, overrides, args.seeds)
        scored.append((name, overrides, r))
        print(_row(name, r), flush=True)
    usable = [s for s in scored if s[2]["trades"] >= MIN_TRADES and s[2]["ci_low"] is not None]
    if not usable:
        print(f"no configuration reached {MIN_TRADES} trades on the fit part")
        print("top-ranked signals vs 30-seed random: n/a (target: CI above 0): NOT met")
        return
    name, overrides, fit_r = max(usable, key=lambda s: s[2]["ci_low"])
    print(f"chosen on the fit part only: {name} (CI low {_fmt(fit_r['ci_low'])})")
    r = evaluate(test, overrides, args.seeds)
    print("test part (run once):")
    print(_row(name, r))
    print(f"strategy percentile among {args.seeds} random seeds: {r['percentile']}")
    print(f"elapsed {time.perf_counter() - started:.0f} s")
    met = r["ci_low"] is not None and r["ci_low"] > 0
    print(
        f"top-ranked signals vs {args.seeds}-seed random: {_fmt(r['diff_pct'])} %/trade, "
        f"95 % CI [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] (target: CI above 0): {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
