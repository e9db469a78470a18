"""Один сеанс бектесту від початку до кінця: прогін → базові лінії → JSON і HTML звіти.

Тут лише склеювання; математика — у `metrics`, прогін — у `runner`, сторінка — у `html_report`.
Час виконання (стінний годинник) пишеться окремо в `timing.json` і в звіт не потрапляє.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aione.backtest.baseline import DEFAULT_SEED, accepted_series
from aione.backtest.baselines_multi import DEFAULT_SEEDS, run_baselines
from aione.backtest.engines import Engine
from aione.backtest.html_report import write_html
from aione.backtest.parallel import run_partitioned
from aione.backtest.report import REPORT_HTML, build_report, write_report
from aione.backtest.runner import (
    ENGINE_BATCH,
    BacktestResult,
    Overrides,
    ProgressFn,
    RunSpec,
    count_bars,
    run_backtest,
    usable_spec,
)
from aione.backtest.signal_quality import attach_lifecycles, attach_outcomes, quality_section
from aione.data.bars import BarArrays
from aione.exchange.replay import load_series
from aione.logging_setup import get_logger

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SessionOutput:
    """Що записано: шляхи звітів, сам звіт і записи прогону, швидкість."""

    json_path: Path
    html_path: Path | None
    report: dict[str, Any]
    result: BacktestResult
    seconds: float
    bars_per_sec: float
    spec: RunSpec | None = None  # прогін, що справді відбувся (без пропущених файлів)
    skipped: tuple[str, ...] = ()  # «ФАЙЛ: причина» кожного пропущеного файлу


def window_series(spec: RunSpec) -> dict[str, BarArrays]:
    """Прийняті бари символів у межах прогону (для наслідків сигналів і графіків)."""
    out: dict[str, BarArrays] = {}
    for name, bars in accepted_series(load_series(spec.data_dir, spec.symbols)).items():
        t = bars.open_time
        lo = 0 if spec.start_ms is None else int(np.searchsorted(t, spec.start_ms, side="left"))
        hi = len(t) if spec.end_ms is None else int(np.searchsorted(t, spec.end_ms, side="right"))
        out[name] = bars.slice(lo, hi)
    return out


def run_session(
    spec: RunSpec,
    out_dir: Path,
    overrides: Overrides | None = None,
    *,
    seed: int = DEFAULT_SEED,
    seeds: int = DEFAULT_SEEDS,
    html: bool = True,
    on_progress: ProgressFn | None = None,
    engine: str = ENGINE_BATCH,
    executor: Engine | None = None,
) -> SessionOutput:
    """Проганяє бектест і пише `report.json`, `report.html` і `timing.json` у `out_dir`.

    Випадкова базова лінія — `seeds` seed-ів від `seed` (див. `baselines_multi`). Непридатний
    файл барів називається одним рядком журналу й пропускається (`skipped` у виводі й у звіті),
    жодного придатного — `ValueError`. `executor` — прогін по символах на рушії (`engines`: процеси
    чи Dask) замість однопроцесного; записи й звіт ті самі."""
    spec, skipped = usable_spec(spec)
    for problem in skipped:
        logger.warning("backtest: skipping %s", problem)
    total = count_bars(spec) if on_progress is not None else None
    started = time.perf_counter()
    if executor is not None:
        result = run_partitioned(spec, overrides, executor, on_progress=on_progress, total=total)
    else:
        result = run_backtest(spec, overrides, engine=engine, on_progress=on_progress, total=total)
    run_sec = time.perf_counter() - started
    base_started = time.perf_counter()
    runs = run_baselines(result, overrides, seed=seed, seeds=seeds)
    base_sec = time.perf_counter() - base_started
    series = window_series(spec)
    attach_outcomes(result.signals, series)
    attach_lifecycles(result.signals, series)
    spans = {name: int(b.open_time[-1] - b.open_time[0]) + 60_000 for name, b in series.items() if len(b)}
    quality = quality_section(result.signals, spans)
    report = build_report(result, runs.base(), overrides, runs, quality)
    if skipped:
        report["skipped_files"] = list(skipped)
    timing = {
        "pipeline_sec": round(run_sec, 3),
        "baselines_sec": round(base_sec, 3),
        "symbol_bars": result.symbol_bars,
        "symbol_bars_per_sec": round(result.symbol_bars / run_sec, 1) if run_sec > 0 else None,
        "total_sec": round(time.perf_counter() - started, 3),
    }
    json_path = write_report(report, out_dir, timing)
    html_path = write_html(report, series, out_dir / REPORT_HTML) if html else None
    return SessionOutput(
        json_path,
        html_path,
        report,
        result,
        time.perf_counter() - started,
        result.symbol_bars / run_sec if run_sec > 0 else 0.0,
        spec,
        tuple(skipped),
    )


__all__ = ["SessionOutput", "run_session", "window_series"]
