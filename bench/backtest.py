"""Пропускна здатність бектесту: symbol-bars/s через увесь конвеєр (Stage1 → Stage2 → Stage3).

Запуск: `python bench/backtest.py [DATA_DIR] [--hours N]` (типово — 16 символів, увесь місяць
../shared/data/binance-um-1m-2025-05). Один процес, одне ядро.

Еталон у тому самому запуску — голий реплей (`iter_replay` без обробки): стеля для будь-якого
драйвера. Додатково — частка часу рішень Stage2 (той самий прогін, `decide` з таймером).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from aione.app.pipeline import PipelineCore
from aione.backtest.runner import Overrides, RunSpec, make_core, run_backtest
from aione.exchange.replay import iter_replay

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance-um-1m-2025-05"
TARGET = 100_000


class _Timed:
    """Обгортка фабрики ядра: рахує час `decide` (Stage2) у тому самому прогоні."""

    def __init__(self) -> None:
        self.decide_sec = 0.0
        self.decisions = 0

    def __call__(self, spec: RunSpec, overrides: Overrides | None) -> PipelineCore:
        core = make_core(spec, overrides)
        inner = core.decide

        def timed(stage1: Any) -> dict[str, Any]:
            t = time.perf_counter()
            out = inner(stage1)
            self.decide_sec += time.perf_counter() - t
            self.decisions += 1
            return out

        core.decide = timed  # type: ignore[method-assign]
        return core


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--hours", type=float, default=None, help="лише перші N годин запису")
    args = ap.parse_args()
    logging.disable(logging.INFO)  # журнал угод не входить у вимір
    first = min(int(ev.bar.open_time) for ev, _ in zip(iter_replay(args.data_dir), range(1), strict=False))
    end = None if args.hours is None else first + int(args.hours * 3_600_000)
    spec = RunSpec(args.data_dir, None, None, end)

    t = time.perf_counter()
    n_ref = sum(1 for _ in iter_replay(spec.data_dir, None, None, end))
    ref_sec = time.perf_counter() - t
    ref_rate = n_ref / ref_sec
    print(f"replay only (reference): {n_ref} symbol-bars in {ref_sec:.2f} s = {ref_rate:,.0f} symbol-bars/s")

    timed = _Timed()
    t = time.perf_counter()
    result = run_backtest(spec, core_factory=timed)
    sec = time.perf_counter() - t
    rate = result.symbol_bars / sec
    symbols = len(spec.resolved_symbols())
    print(
        f"full pipeline: {result.symbol_bars} symbol-bars ({symbols} symbols) in {sec:.2f} s, "
        f"{len(result.signals)} Stage2 decisions, {len(result.trades)} closed trades"
    )
    share = timed.decide_sec / sec if sec > 0 else 0.0
    per = timed.decide_sec / timed.decisions * 1e6 if timed.decisions else 0.0
    print(f"Stage2 decide: {timed.decisions} calls, {per:,.0f} us each, {share:.0%} of pipeline time")
    rest = (sec - timed.decide_sec) / result.symbol_bars * 1e6 if result.symbol_bars else 0.0
    print(f"per symbol-bar without Stage2: {rest:.1f} us")
    print(
        f"pipeline vs bare replay: {rate / ref_rate:.3f}x of the replay rate ({ref_rate / rate:.1f}x slower)"
    )
    verdict = "met" if rate >= TARGET else "NOT met"
    print(f"backtest throughput: {rate:,.0f} symbol-bars/s (target >= {TARGET}): {verdict}".replace(",", ""))


if __name__ == "__main__":
    main()
