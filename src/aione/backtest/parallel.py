"""Розбитий по символах бектест на обраному рушії (`engines`): кандидати → бюджет → угоди → записи.

1. Кожен символ — завдання `partition.find_candidates` (Stage1, Stage2, ранг); результати
   надходять у будь-якому порядку, спільна шкала хвилин збирається одразу, бари символів у цей
   процес не потрапляють.
2. `merge.replay_budget` — бюджет алертів у порядку подій (пов'язує символи).
3. Символи, у яких є сигнали, — завдання `partition.replay_trades` (Stage3 символу).
4. `merge.assemble` — ті самі записи, що й `batch_engine.run_batch_backtest` (звіт побайтово
   той самий — `tests/test_backtest_parallel.py`).
Прогрес: одна шкала в symbol-bars — бари кроку 1 плюс бари кроку 2, по завершеному завданню.
"""

from __future__ import annotations

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


def run_partitioned(
    spec: RunSpec,
    overrides: Overrides | None,
    engine: Engine,
    *,
    on_progress: ProgressFn | None = None,
    total: int | None = None,
) -> BacktestResult:
    """Бектест `spec` по символах на `engine`; записи ті самі, що в однопроцесному прогоні."""
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

    tasks = [SymbolTask(run, name, i) for i, name in enumerate(names)]
    if on_progress is not None and total is not None:
        scale = 2 * total  # крок 2 уточнить шкалу, коли відомо, скільки символів мають сигнали
        on_progress(0, scale)
    parts: list[SymbolCandidates] = engine.map(
        find_candidates, tasks, key=lambda t: t.symbol, on_done=on_candidates
    )
    decided, _ = replay_budget(parts, budget_params(overrides), builder)
    by_index = {p.index: p for p in parts}
    apps = applications(decided, by_index)
    trade_tasks = [TradeTask(run, names[i], i, tuple(a)) for i, a in sorted(apps.items())]
    scale = done + sum(by_index[t.index].events for t in trade_tasks)
    timeline = builder.timeline(TradeManager(stage_params(overrides)[2]).refresh_interval_ms)
    trades: list[SymbolTrades] = engine.map(
        replay_trades,
        trade_tasks,
        key=lambda t: t.symbol,
        shared=timeline,
        on_done=lambda t, _r: progress(by_index[t.index].events),
    )
    result = assemble(spec, parts, decided, trades)
    if on_progress is not None:
        on_progress(scale, scale)
    return result


__all__ = ["run_partitioned"]
