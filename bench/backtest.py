"""Пропускна здатність бектесту: symbol-bars/s через увесь конвеєр (Stage1 → Stage2 → Stage3).

Запуск: `python bench/backtest.py [DATA_DIR] [--hours N] [--no-event]` (типово — 16 символів,
увесь місяць ../shared/data/binance-um-1m-2025-05). Один процес, одне ядро.

Еталони в тому самому запуску:
- голий реплей (`iter_replay` без обробки) — стеля для подієвого драйвера;
- подієвий рушій (`--engine event`: кожен бар через `PipelineCore.on_bar`) — те, що пакетний
  рушій замінює; обидва дають ті самі записи (звіряється тут же і в tests/test_backtest_batch.py).
Для пакетного рушія друкується розклад часу: Stage1 (двійник монітора на символ), рішення Stage2,
решта (підготовка барів, Stage3, цикл подій).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aione.app.pipeline import PipelineCore
from aione.backtest import batch_engine
from aione.backtest.runner import RunSpec, run_backtest
from aione.data.bars import BarArrays
from aione.exchange.replay import iter_replay
from aione.stage1.result import Stage1Result
from aione.stage2.inputs import Stage2Inputs

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance-um-1m-2025-05"
TARGET = 100_000


class _Timers:
    """Таймери Stage1 і Stage2 усередині пакетного прогону (обгортки навколо справжніх функцій)."""

    def __init__(self) -> None:
        self.stage1_sec = 0.0
        self.decide_sec = 0.0
        self.decisions = 0
        self._alerts = batch_engine.default_alerts_fn()
        self._decide_with = PipelineCore.decide_with

    def alerts(self, symbol: str, bars: BarArrays, params: Mapping[str, Any], tf: str) -> list[Stage1Result]:
        t = time.perf_counter()
        out = self._alerts(symbol, bars, params, tf)
        self.stage1_sec += time.perf_counter() - t
        return out

    def install(self) -> None:
        inner = self._decide_with
        timers = self

        def timed(
            core: PipelineCore, stage1: Mapping[str, Any], inputs: Stage2Inputs | None
        ) -> dict[str, Any]:
            t = time.perf_counter()
            out = inner(core, stage1, inputs)
            timers.decide_sec += time.perf_counter() - t
            timers.decisions += 1
            return out

        PipelineCore.decide_with = timed  # type: ignore[method-assign]

    def uninstall(self) -> None:
        PipelineCore.decide_with = self._decide_with  # type: ignore[method-assign]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--hours", type=float, default=None, help="лише перші N годин запису")
    ap.add_argument("--no-event", action="store_true", help="без еталонного подієвого рушія (довгий)")
    args = ap.parse_args()
    logging.disable(logging.INFO)  # журнал угод не входить у вимір
    first = min(int(ev.bar.open_time) for ev, _ in zip(iter_replay(args.data_dir), range(1), strict=False))
    end = None if args.hours is None else first + int(args.hours * 3_600_000)
    spec = RunSpec(args.data_dir, None, None, end)
    symbols = len(spec.resolved_symbols())

    t = time.perf_counter()
    n_ref = sum(1 for _ in iter_replay(spec.data_dir, None, None, end))
    ref_sec = time.perf_counter() - t
    print(
        f"replay only (reference): {n_ref} symbol-bars in {ref_sec:.2f} s = {n_ref / ref_sec:,.0f} symbol-bars/s"
    )

    event = None
    if not args.no_event:
        t = time.perf_counter()
        event = run_backtest(spec, engine="event")
        event_sec = time.perf_counter() - t
        print(
            f"event engine (reference): {event.symbol_bars} symbol-bars in {event_sec:.2f} s = "
            f"{event.symbol_bars / event_sec:,.0f} symbol-bars/s"
        )

    timers = _Timers()
    timers.install()
    try:
        t = time.perf_counter()
        result = batch_engine.run_batch_backtest(spec, alerts_fn=timers.alerts)
        sec = time.perf_counter() - t
    finally:
        timers.uninstall()
    rate = result.symbol_bars / sec
    print(
        f"batch engine: {result.symbol_bars} symbol-bars ({symbols} symbols) in {sec:.2f} s, "
        f"{len(result.signals)} Stage2 decisions, {len(result.trades)} closed trades"
    )
    per_decision = timers.decide_sec / timers.decisions * 1e6 if timers.decisions else 0.0
    rest = sec - timers.stage1_sec - timers.decide_sec
    n = max(1, result.symbol_bars)
    print(
        f"  Stage1 twin {timers.stage1_sec:.2f} s ({timers.stage1_sec / n * 1e6:.2f} us/bar), "
        f"Stage2 {timers.decide_sec:.2f} s ({per_decision:,.0f} us/decision), "
        f"the rest {rest:.2f} s ({rest / n * 1e6:.2f} us/bar)"
    )
    if event is not None:
        same = (event.signals, event.trades, event.decisions, event.counters) == (
            result.signals,
            result.trades,
            result.decisions,
            result.counters,
        )
        print(f"batch vs event engine: {event_sec / sec:.1f}x faster, identical records: {same}")
    verdict = "met" if rate >= TARGET else "NOT met"
    print(f"backtest throughput: {rate:,.0f} symbol-bars/s (target >= {TARGET}): {verdict}".replace(",", ""))


if __name__ == "__main__":
    main()
