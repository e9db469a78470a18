"""Пропускна здатність бектесту: symbol-bars/s через увесь конвеєр (Stage1 → Stage2 → Stage3).

Запуск: `python bench/backtest.py [DATA_DIR] [--hours N] [--runs K] [--no-event]` (типово —
16 символів, увесь місяць ../shared/data/binance-um-1m-2025-05). Один процес, одне ядро.

Пакетний рушій проганяється K разів (типово 3) — кожен прогін з нуля (ядро, підготовка барів,
Stage1); головна цифра — медіана: один прогін на спільній машині коливається на ±5 %, медіана
трьох стійкіша за будь-який окремий і не обирає найкращий. Кожен прогін друкується окремо.

Еталони в тому самому запуску:
- голий реплей (`iter_replay` без обробки) — стеля для подієвого драйвера;
- подієвий рушій (`--engine event`: кожен бар через `PipelineCore.on_bar`) — те, що пакетний
  рушій замінює; обидва дають ті самі записи (звіряється тут же і в tests/test_backtest_batch.py).
Для пакетного рушія друкується розклад часу: Stage1 (двійник монітора на символ), рішення Stage2,
решта (підготовка барів, Stage3, цикл подій).

Масштабування (issue 19): той самий прогін, розбитий по символах (`--workers N`), на 1, 2 і (якщо
є стільки ядер) 4 процесах того самого рушія (`ProcessEngine`, той самий код), з перевіркою, що
записи ті самі; останній рядок — відношення часу 2 воркерів до 1 воркера. Старт рушія (сервер
forkserver імпортує конвеєр раз на процес, ~1.5 с) друкується окремим рядком: від кількості
воркерів він не залежить. Машина спільна: прогони повторюються (`--scaling-runs`, по черзі
1, 2, 4), для кожного N береться найкращий час; друкуються навантаження (loadavg) і стінний час
кроків (`phases`: підготовка в батьку, кандидати, бюджет, угоди, збирання записів).
`--synthetic-year`: СИНТЕТИЧНИЙ рік — 12 копій місяця, кожна зсунута в часі на довжину місяця
(ціни ті самі, на стиках — стрибки), 16 символів × 12 місяців; друкує пікову RSS головного процесу
й найбільшого воркера (VmHWM з /proc; ціль: головний + 2 воркери < 2 ГБ).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aione.app.pipeline import PipelineCore
from aione.backtest import batch_engine
from aione.backtest.engines import ProcessEngine
from aione.backtest.parallel import run_partitioned
from aione.backtest.runner import BacktestResult, RunSpec, run_backtest
from aione.data.bars import BarArrays
from aione.exchange.replay import iter_replay
from aione.stage1.result import Stage1Result
from aione.stage2.inputs import Stage2Inputs

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance-um-1m-2025-05"
TARGET = 100_000
SCALING_TARGET = 1.7
RSS_TARGET_MB = 2048


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


def _timed_batch(spec: RunSpec) -> tuple[BacktestResult, float, _Timers]:
    """Один прогін пакетного рушія з таймерами Stage1/Stage2."""
    timers = _Timers()
    timers.install()
    try:
        t = time.perf_counter()
        result = batch_engine.run_batch_backtest(spec, alerts_fn=timers.alerts)
        sec = time.perf_counter() - t
    finally:
        timers.uninstall()
    return result, sec, timers


def _records(result: BacktestResult) -> tuple[Any, ...]:
    return (result.signals, result.trades, result.decisions, result.counters)


def _trivial(task: int, shared: Any = None) -> int:
    """Порожнє завдання: скільки коштує сам старт воркера."""
    return task


def _startup_sec() -> float:
    """Холодний старт рушія процесів: сервер forkserver імпортує конвеєр (раз на процес) і дає
    першого воркера. Після цього кожен новий пул стартує за мілісекунди."""
    t = time.perf_counter()
    engine = ProcessEngine(1)
    try:
        engine.map(_trivial, [0], key=str)
    finally:
        engine.close()
    return time.perf_counter() - t


def _partitioned(spec: RunSpec, workers: int) -> tuple[BacktestResult, float, dict[str, float]]:
    """Розбитий прогін на `workers` процесах; час — разом зі створенням пулу і стартом воркерів."""
    phases: dict[str, float] = {}
    t = time.perf_counter()
    engine = ProcessEngine(workers)
    try:
        res = run_partitioned(spec, None, engine, phases=phases)
        return res, time.perf_counter() - t, phases
    finally:
        engine.close()


def _scaling(spec: RunSpec, reference: BacktestResult, single_sec: float, repeats: int) -> None:
    """1, 2 і (де є ядра) 4 воркери на тих самих даних; останній рядок — відношення 2 до 1.

    Старт сервера forkserver (імпорт конвеєра, раз на процес) друкується окремо і в час прогонів не
    входить: він не залежить від кількості воркерів. Кожен прогін — новий пул (воркери стартують
    з нуля), той самий код для 1 і для N воркерів. `repeats` разів по черзі 1, 2, (4) — машина
    спільна, тож для кожного N береться найкращий (найменш збурений іншими процесами) час.
    """
    counts = [1, 2] + ([4] if (os.cpu_count() or 1) >= 4 else [])
    start = _startup_sec()
    print(f"process engine start-up (forkserver imports the pipeline once per process): {start:.2f} s")
    secs: dict[int, list[float]] = {n: [] for n in counts}
    for rep in range(repeats):
        for n in counts:
            load = os.getloadavg()[0]
            res, sec, ph = _partitioned(spec, n)
            secs[n].append(sec)
            same = _records(res) == _records(reference)
            parts = ", ".join(f"{k} {v:.2f}" for k, v in ph.items())
            print(
                f"partitioned, {n} worker(s), run {rep + 1}: {sec:.2f} s = {res.symbol_bars / sec:,.0f} "
                f"symbol-bars/s, identical records: {same}; load {load:.2f}; phases (s): {parts}"
            )
    best = {n: min(v) for n, v in secs.items()}
    print(
        f"single process (no --workers): {single_sec:.2f} s; 2 workers vs it: {single_sec / best[2]:.2f}x; "
        f"with start-up {single_sec / (best[2] + start):.2f}x; cores {os.cpu_count()}"
    )
    ratio = best[1] / best[2]
    verdict = "met" if ratio >= SCALING_TARGET else "NOT met"
    print(f"backtest scaling 2 workers: {ratio:.2f}x of 1 worker (target >= {SCALING_TARGET}x): {verdict}")


class _PeakRss:
    """Пікова RSS (VmHWM) нащадків цього процесу — воркерів пулу й сервера forkserver (Linux /proc):
    воркери — діти сервера, не наші, тож RUSAGE_CHILDREN їх не бачить. Опитування раз на 0.2 с;
    VmHWM — сам пік процесу, тож пропущені між опитуваннями миті його не занижують."""

    def __init__(self) -> None:
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.2):
            parents: dict[int, int] = {}
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        with open(f"/proc/{entry}/stat") as fh:
                            parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
                    except (OSError, ValueError, IndexError):
                        continue
            for pid in parents:
                p, depth = parents.get(pid), 0
                while p is not None and p != me and depth < 4:
                    p, depth = parents.get(p), depth + 1
                if p == me:
                    self._sample(pid)

    def _sample(self, pid: int) -> None:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        self.peak[pid] = max(self.peak.get(pid, 0.0), int(line.split()[1]) / 1024)
        except OSError:
            return


def _synthetic_year(src: Path, months: int = 12) -> None:
    """СИНТЕТИЧНИЙ рік з копій місяця (див. опис модуля) → пікова RSS розбитого прогону на 2 воркерах."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="aione-synthetic-year-") as tmp:
        for path in sorted(src.glob("*.parquet")):
            table = pq.read_table(path)
            t = table.column("open_time").to_numpy()
            span = int(t[-1] - t[0]) + 60_000
            parts = []
            for k in range(months):
                shifted = pa.array(t + k * span, type=pa.int64())
                parts.append(table.set_column(table.schema.get_field_index("open_time"), "open_time", shifted))
            pq.write_table(pa.concat_tables(parts), Path(tmp) / path.name)
            del table, parts
        spec = RunSpec(Path(tmp))
        n_symbols = len(spec.resolved_symbols())
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with _PeakRss() as peaks:
            res, sec, phases = _partitioned(spec, 2)
        main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = max(peaks.peak.values(), default=0.0)
    total = main_mb + 2 * worker_mb
    parts_text = ", ".join(f"{k} {v:.1f}" for k, v in phases.items())
    print(
        f"synthetic year (SYNTHETIC: {months} time-shifted copies of the month): {n_symbols} "
        f"symbols, {res.symbol_bars} symbol-bars, {len(res.signals)} signals, {len(res.trades)} trades in "
        f"{sec:.1f} s on 2 workers; phases (s): {parts_text}"
    )
    verdict = "met" if total < RSS_TARGET_MB else "NOT met"
    print(
        f"synthetic year peak RSS: main {main_mb:.0f} MB (before run {before:.0f} MB), largest worker "
        f"{worker_mb:.0f} MB, main + 2 workers <= {total:.0f} MB (target < {RSS_TARGET_MB} MB): {verdict}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--hours", type=float, default=None, help="лише перші N годин запису")
    ap.add_argument("--runs", type=int, default=3, help="прогонів пакетного рушія (головна цифра — медіана)")
    ap.add_argument("--no-event", action="store_true", help="без еталонного подієвого рушія (довгий)")
    ap.add_argument("--no-scaling", action="store_true", help="без прогонів на 1/2/4 воркерах")
    ap.add_argument("--scaling-runs", type=int, default=2, help="повторів 1/2/4 воркерів (береться найкращий)")
    ap.add_argument(
        "--synthetic-year", action="store_true", help="лише пікова RSS на синтетичному році (12 копій місяця)"
    )
    args = ap.parse_args()
    if args.synthetic_year:
        logging.disable(logging.INFO)
        _synthetic_year(args.data_dir)
        return
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    logging.disable(logging.INFO)  # журнал угод не входить у вимір
    first = min(int(ev.bar.open_time) for ev, _ in zip(iter_replay(args.data_dir), range(1), strict=False))
    end = None if args.hours is None else first + int(args.hours * 3_600_000)
    spec = RunSpec(args.data_dir, None, None, end)
    symbols = len(spec.resolved_symbols())

    # Пакетний рушій — першим (до еталонів, що лише розігріли б або засмітили пам'ять процесу).
    rates: list[float] = []
    secs: list[float] = []
    result: BacktestResult | None = None
    same_each_run = True
    for i in range(args.runs):
        run, sec, timers = _timed_batch(spec)
        if result is not None:
            same_each_run = same_each_run and _records(run) == _records(result)
        result = run
        rates.append(run.symbol_bars / sec)
        secs.append(sec)
        n = max(1, run.symbol_bars)
        per_decision = timers.decide_sec / timers.decisions * 1e6 if timers.decisions else 0.0
        rest = sec - timers.stage1_sec - timers.decide_sec
        print(
            f"batch engine run {i + 1}: {run.symbol_bars} symbol-bars ({symbols} symbols) in {sec:.2f} s "
            f"= {rates[-1]:,.0f} symbol-bars/s; {len(run.signals)} Stage2 decisions, "
            f"{len(run.trades)} closed trades"
        )
        print(
            f"  Stage1 twin {timers.stage1_sec:.2f} s ({timers.stage1_sec / n * 1e6:.2f} us/bar), "
            f"Stage2 {timers.decide_sec:.2f} s ({per_decision:,.0f} us/decision), "
            f"the rest {rest:.2f} s ({rest / n * 1e6:.2f} us/bar)"
        )
    assert result is not None
    if args.runs > 1:
        print(f"batch runs give identical records: {same_each_run}")
    rate = statistics.median(rates)

    t = time.perf_counter()
    n_ref = sum(1 for _ in iter_replay(spec.data_dir, None, None, end))
    ref_sec = time.perf_counter() - t
    print(
        f"replay only (reference): {n_ref} symbol-bars in {ref_sec:.2f} s = {n_ref / ref_sec:,.0f} symbol-bars/s"
    )
    if not args.no_event:
        t = time.perf_counter()
        event = run_backtest(spec, engine="event")
        event_sec = time.perf_counter() - t
        print(
            f"event engine (reference): {event.symbol_bars} symbol-bars in {event_sec:.2f} s = "
            f"{event.symbol_bars / event_sec:,.0f} symbol-bars/s"
        )
        same = _records(event) == _records(result)
        print(
            f"batch vs event engine: {rate / (event.symbol_bars / event_sec):.1f}x faster, identical records: {same}"
        )
    verdict = "met" if rate >= TARGET else "NOT met"
    print(
        f"backtest throughput: {rate:,.0f} symbol-bars/s, median of {args.runs} runs "
        f"(target >= {TARGET}): {verdict}".replace(",", "")
    )
    if not args.no_scaling:
        _scaling(spec, result, statistics.median(secs), max(1, args.scaling_runs))


if __name__ == "__main__":
    main()
