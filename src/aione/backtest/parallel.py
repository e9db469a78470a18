"""Розбитий по символах бектест на обраному рушії (`engines`): кандидати → бюджет → угоди → записи.

1. Кожен символ — завдання `partition.find_candidates` (Stage1, Stage2, ранг); результати
   надходять у будь-якому порядку, спільна шкала хвилин збирається одразу, бари символів у цей
   процес не потрапляють.
2. `merge.replay_budget` — бюджет алертів у порядку подій (пов'язує символи).
3. Символи, у яких є сигнали, — завдання `partition.replay_trades` (Stage3 символу).
4. `merge.assemble` — ті самі записи, що й `batch_engine.run_batch_backtest` (звіт побайтово
   той самий — `tests/test_backtest_parallel.py`).
Прогрес: одна шкала в symbol-bars — бари кроку 1 плюс бари кроку 2, по завершеному завданню.
Завдання подаються від найдовшого символу (рядки parquet, кроку 2 — події): коротший символ
(ADAUSDT місяця почався на 5 днів пізніше) іде в кінці й вирівнює хвіст між воркерами. Порядок
подання на записи не впливає (результати — за номером символу).
"""

from __future__ import annotations

import time

import pyarrow.parquet as pq

from aione.backtest.engines import Engine
from aione.backtest.merge import TimelineBuilder, applications, assemble, replay_budget
from aione.backtest.partition import (
    RunPart,
    SymbolCandidates,
    SymbolTask,
    SymbolTrades,
    TradeTask,
    find_candidates,
    replay_trades,
)
from aione.backtest.runner import BacktestResult, Overrides, ProgressFn, RunSpec, budget_params, stage_params
from aione.exchange.replay import detect_timeframe
from aione.stage3.trade_manager import TradeManager


def _timeframe(spec: RunSpec, names: tuple[str, ...]) -> str:
    """Таймфрейм прогону — за першим символом, як у пакетному рушії (читається лише open_time)."""
    if not names:
        return "1m"
    col = pq.read_table(spec.data_dir / f"{names[0]}.parquet", columns=["open_time"]).column(0)
    return detect_timeframe(col.to_numpy())


def _longest_first(spec: RunSpec, names: tuple[str, ...]) -> list[int]:
    """Номери символів від найбільшої кількості рядків (метадані parquet, без читання даних)."""
    rows = [pq.ParquetFile(spec.data_dir / f"{name}.parquet").metadata.num_rows for name in names]
    return sorted(range(len(names)), key=lambda i: (-rows[i], i))


def run_partitioned(
    spec: RunSpec,
    overrides: Overrides | None,
    engine: Engine,
    *,
    on_progress: ProgressFn | None = None,
    total: int | None = None,
    phases: dict[str, float] | None = None,
) -> BacktestResult:
    """Бектест `spec` по символах на `engine`; записи ті самі, що в однопроцесному прогоні.

    `phases` (для бенчмарку) отримує стінний час кроків у секундах: `prepare` (батько до подання),
    `candidates`, `budget`, `trades`, `assemble`."""
    clock = time.perf_counter()
    marks = phases if phases is not None else {}

    def mark(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        marks[name] = now - clock
        clock = now

    names = spec.resolved_symbols()
    plain = {k: dict(v) for k, v in overrides.items()} if overrides else None
    run = RunPart(str(spec.data_dir), spec.start_ms, spec.end_ms, plain, _timeframe(spec, names))
    builder = TimelineBuilder()
    done = 0
    scale = total if total is not None else 0

    def progress(bars: int) -> None:
        nonlocal done
        done += bars
        if on_progress is not None:
            on_progress(done, max(scale, done))

    def on_candidates(_: object, part: SymbolCandidates) -> None:
        builder.add(part.index, part.times)
        part.times = part.times[:0]  # шкала вже врахувала часи; далі вони не потрібні
        progress(part.events)

    tasks = [SymbolTask(run, names[i], i) for i in _longest_first(spec, names)]
    if on_progress is not None and total is not None:
        scale = 2 * total  # крок 2 уточнить шкалу, коли відомо, скільки символів мають сигнали
        on_progress(0, scale)
    mark("prepare")
    parts: list[SymbolCandidates] = engine.map(
        find_candidates, tasks, key=lambda t: t.symbol, on_done=on_candidates
    )
    parts.sort(key=lambda p: p.index)
    mark("candidates")
    decided, _ = replay_budget(parts, budget_params(overrides), builder)
    by_index = {p.index: p for p in parts}
    apps = applications(decided, by_index)
    trade_tasks = [TradeTask(run, names[i], i, tuple(a)) for i, a in apps.items()]
    trade_tasks.sort(key=lambda t: (-by_index[t.index].events, t.index))
    scale = done + sum(by_index[t.index].events for t in trade_tasks)
    timeline = builder.timeline(TradeManager(stage_params(overrides)[2]).refresh_interval_ms)
    mark("budget")
    trades: list[SymbolTrades] = engine.map(
        replay_trades,
        trade_tasks,
        key=lambda t: t.symbol,
        shared=timeline,
        on_done=lambda t, _r: progress(by_index[t.index].events),
    )
    position = {name: i for i, name in enumerate(names)}
    trades.sort(key=lambda t: position[t.symbol])  # як у порядку назв (результати — у порядку подання)
    mark("trades")
    result = assemble(spec, parts, decided, trades)
    mark("assemble")
    if on_progress is not None:
        on_progress(scale, scale)
    return result


__all__ = ["run_partitioned"]
