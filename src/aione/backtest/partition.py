"""Робота одного символу в розбитому бектесті (виконується у воркері: процес чи Dask).

Бектест ділиться за символами (`parallel.run_partitioned`). Кожен символ проходить два кроки,
і обидва читають бари самі — зі шляху, доступного воркеру (дані не йдуть через планувальник):
1. `find_candidates` — Stage1 (пакетний двійник монітора), рішення Stage2 і ранг кожного
   кандидата (історія рангу — власна для символу, тож рахується тут само). Повертає записи
   сигналів і те, що потрібно бюджету алертів, плюс часи прийнятих барів для спільної шкали.
2. `replay_trades` — Stage3 символу: вердикти бюджету (їх дає злиття, `merge`), бари символу і
   планові оновлення угод у тому самому порядку, що й у пакетному рушії. Рішення Stage2 для
   сигналів, що пройшли бюджет, рахуються вдруге (ті самі входи — те саме рішення): так воркер
   не тримає й не пересилає рішення всіх кандидатів.
Записані деривативні ряди (каталог `aione record`) воркер теж читає сам — лише свого символу
(`recorded_deriv_source`): Stage1 і вхід Stage2 бачать ті самі знімки, що й однопроцесний прогін.
Кожна подія угоди несе ключ порядку `(час, символ, фаза, вердикт, №)` (див. `merge`), за яким
злиття відновлює глобальний порядок записів однопроцесного прогону.

Гачок для тестів: `AIONE_TEST_KILL_PARTITION=SYMBOL` завершує процес воркера (`os._exit`) на
цьому символі; з `AIONE_TEST_KILL_ONCE=ФАЙЛ` — лише першого разу (файл-позначка).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.backtest.batch_engine import default_alerts_fn, window_part
from aione.backtest.batch_inputs import SymbolSeries
from aione.backtest.runner import (
    BacktestResult,
    Overrides,
    Recorder,
    RunSpec,
    budget_params,
    make_core,
    record_decision_events,
    recorded_daily_bars,
    recorded_deriv_source,
    signal_record,
    stage_params,
    trade_record,
)
from aione.config.config import TIMEFRAME_MS
from aione.data.bars import BarArrays
from aione.exchange.replay import load_series
from aione.signals.deriv_context import SeriesSource
from aione.signals.gate import SignalGate
from aione.stage1.result import Stage1Result
from aione.stage3.trade_model import EVENT_CANCELLED, EVENT_CLOSED, EVENT_PENDING
from aione.utils.gc_pause import gc_paused

IntArray = npt.NDArray[np.int64]
Key = tuple[int, int, int, int, int]  # (час, символ, фаза, вердикт, №) — див. `merge`

PHASE_RELEASE = 0  # вердикти хвилини кандидатів — на першій події наступної хвилини
PHASE_BAR = 1  # бар символу
PHASE_REFRESH = 2  # планове оновлення угод (на першій події хвилини, після її бару)
PHASE_ALERT = 3  # алерт бару (вердикт одразу, лише коли бюджет вимкнено)
FLUSH_TS = 2**62  # «час» вердиктів кінця прогону (`flush`)

KILL_ENV = "AIONE_TEST_KILL_PARTITION"
KILL_ONCE_ENV = "AIONE_TEST_KILL_ONCE"


# ── Опис завдань ──
@dataclass(frozen=True, slots=True)
class RunPart:
    """Спільне для всіх завдань прогону (прості типи: завдання пересилаються воркерам)."""

    data_dir: str
    start_ms: int | None
    end_ms: int | None
    overrides: dict[str, Any] | None
    timeframe: str

    def spec(self, symbol: str) -> RunSpec:
        return RunSpec(Path(self.data_dir), (symbol,), self.start_ms, self.end_ms)


@dataclass(frozen=True, slots=True)
class SymbolTask:
    """Крок 1 для символу `symbol` (номер `index` — місце в порядку назв прогону)."""

    run: RunPart
    symbol: str
    index: int


@dataclass(frozen=True, slots=True)
class Application:
    """Вердикт «сигнал» для символу: коли його застосувати (ключ) і до якого алерту (`alert_ts`)."""

    alert_ts: int
    verdict_no: int
    at_ts: int  # час події, на якій вердикт застосовується (FLUSH_TS — кінець прогону)
    at_symbol: int  # символ тієї події
    phase: int  # PHASE_RELEASE або PHASE_ALERT


@dataclass(frozen=True, slots=True)
class TradeTask:
    """Крок 2 для символу: вердикти «сигнал» за порядком ключів."""

    run: RunPart
    symbol: str
    index: int
    applications: tuple[Application, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    """Спільна шкала прогону: моменти планових оновлень угод і перший символ їхньої хвилини."""

    refresh_ts: IntArray
    refresh_first: IntArray


# ── Результати ──
@dataclass(slots=True)
class CandidateRow:
    """Кандидат символу: ранг (неокруглений), запис сигналу (вердикт і угоду допише злиття)."""

    ts: int
    score: float
    record: dict[str, Any]


@dataclass(slots=True)
class SymbolCandidates:
    """Підсумок кроку 1 символу."""

    symbol: str
    index: int
    events: int  # бари вікна, разом з відхиленими
    rejected: int
    first_ts: int | None
    last_ts: int | None
    times: IntArray  # open_time прийнятих барів
    alerts: int
    rows: list[CandidateRow] = field(default_factory=list)


@dataclass(slots=True)
class SymbolTrades:
    """Підсумок кроку 2 символу: записи з ключами порядку, угоди вердиктів, відкриті в кінці."""

    symbol: str
    bars: int
    decisions: list[tuple[Key, tuple[Any, ...]]] = field(default_factory=list)
    trades: list[tuple[Key, dict[str, Any]]] = field(default_factory=list)
    cancelled: list[tuple[Key, dict[str, Any]]] = field(default_factory=list)
    trade_ids: dict[int, str] = field(default_factory=dict)  # № вердикту → id створеної угоди
    open_at_end: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (№ вердикту, запис)


# ── Гачок для тестів ──
def _maybe_die(symbol: str) -> None:
    """Тестовий гачок: завершити процес воркера на символі з `AIONE_TEST_KILL_PARTITION`."""
    if os.environ.get(KILL_ENV) != symbol:
        return
    once = os.environ.get(KILL_ONCE_ENV)
    if once:
        try:
            fd = os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return  # уже вмирали раз — цього разу працюємо
        os.close(fd)
    os._exit(17)


# ── Бари символу ──
def _load(run: RunPart, symbol: str) -> tuple[BarArrays, np.ndarray, SymbolSeries]:
    raw = load_series(run.data_dir, (symbol,))[symbol]
    part, ok, accepted = window_part(raw, run.start_ms, run.end_ms)
    days = recorded_daily_bars(run.spec(symbol)).get(symbol)  # денні бари біржі з запису, якщо є
    return part, ok, SymbolSeries.build(symbol, accepted, days)


def _alerts(
    run: RunPart, series: SymbolSeries, deriv_source: SeriesSource | None
) -> tuple[list[Stage1Result], list[int]]:
    p1 = stage_params(run.overrides)[0]
    days = recorded_daily_bars(run.spec(series.name))
    found = default_alerts_fn(deriv_source, days)(series.name, series.bars, p1, run.timeframe)
    rows = np.searchsorted(series.bars.open_time, [a.timestamp for a in found]).tolist()
    return found, rows


def _no_budget(overrides: Overrides | None) -> dict[str, Any]:
    """Параметри бюджету з вимкненим бюджетом: ворота лише ставлять ранг і мету сигналу."""
    params = dict(budget_params(overrides))
    params["enabled"] = False
    return params


# ── Крок 1: кандидати ──
def find_candidates(task: SymbolTask, shared: Any = None) -> SymbolCandidates:
    """Stage1 + Stage2 + ранг для одного символу (див. опис модуля)."""
    _maybe_die(task.symbol)
    with gc_paused():
        run = task.run
        part, ok, series = _load(run, task.symbol)
        t_all = part.open_time
        out = SymbolCandidates(
            task.symbol,
            task.index,
            len(part),
            int((~ok).sum()),
            int(t_all[0]) if len(part) else None,
            int(t_all[-1]) if len(part) else None,
            np.ascontiguousarray(series.bars.open_time, dtype=np.int64),
            0,
        )
        spec = run.spec(task.symbol)
        source = recorded_deriv_source(spec)
        found, rows = _alerts(run, series, source)
        out.alerts = len(found)
        if not found:
            return out
        core = make_core(spec, run.overrides, deriv_source=source)
        core.explain = False
        gate = SignalGate(_no_budget(run.overrides), track=False)
        info = core.store.get_symbol_info(task.symbol)
        n_closed = core.daily_days + 1
        tf_ms = TIMEFRAME_MS.get(run.timeframe, 60_000)
        for res, row in zip(found, rows, strict=True):
            alert = res.to_dict()
            inputs = series.stage2_window(
                row, core.context_bars, n_closed, info, source, tf_ms, core.deriv_params
            )
            decision = core.decide_with(alert, inputs)
            verdict = gate.offer(alert, decision)[0]
            out.rows.append(
                CandidateRow(int(res.timestamp), verdict.candidate.rank.score, signal_record(alert, decision))
            )
        return out


# ── Крок 2: угоди ──
class _KeyedRecorder:
    """`Recorder` символу, що позначає кожен новий запис ключем порядку дії, яка його дала."""

    def __init__(self, out: SymbolTrades) -> None:
        self.result = BacktestResult(RunSpec(Path(".")))
        self.rec = Recorder(self.result)
        self.out = out
        self.seq = 0
        self._marks = (0, 0, 0)

    def take(self, t: int, s: int, phase: int, v: int) -> None:
        res, out = self.result, self.out
        d0, t0, c0 = self._marks
        for item in res.decisions[d0:]:
            out.decisions.append(((t, s, phase, v, self.seq), item))
            self.seq += 1
        for rec in res.trades[t0:]:
            out.trades.append(((t, s, phase, v, self.seq), rec))
            self.seq += 1
        for rec in res.cancelled[c0:]:
            out.cancelled.append(((t, s, phase, v, self.seq), rec))
            self.seq += 1
        self._marks = (len(res.decisions), len(res.trades), len(res.cancelled))


def replay_trades(task: TradeTask, shared: Timeline) -> SymbolTrades:
    """Stage3 одного символу над його барами й вердиктами (порядок — як у `batch_engine`)."""
    _maybe_die(task.symbol)
    with gc_paused():
        return _replay(task, shared)


def _replay(task: TradeTask, timeline: Timeline) -> SymbolTrades:
    run, s = task.run, task.index
    _, _, series = _load(run, task.symbol)
    bars = series.bars
    out = SymbolTrades(task.symbol, len(bars))
    spec = run.spec(task.symbol)
    source = recorded_deriv_source(spec)
    core = make_core(spec, run.overrides, deriv_source=source)
    core.explain = False
    trades = core.trades
    keyed = _KeyedRecorder(out)
    rec = keyed.rec
    found, rows = _alerts(run, series, source)
    tf_ms = TIMEFRAME_MS.get(run.timeframe, 60_000)
    by_ts = {int(a.timestamp): (a, r) for a, r in zip(found, rows, strict=True)}
    info = core.store.get_symbol_info(task.symbol)
    n_closed = core.daily_days + 1
    created: dict[str, int] = {}  # id угоди → № вердикту, що її створив

    def apply(app: Application) -> None:
        res, row = by_ts[app.alert_ts]
        alert = res.to_dict()
        inputs = series.stage2_window(
            row, core.context_bars, n_closed, info, source, tf_ms, core.deriv_params
        )
        decision = core.decide_with(alert, inputs)
        trades.on_decision(decision)
        events = list(trades.last_events)
        triggers = sorted(str(t) for t in alert.get("trigger_reasons") or ())
        for ev in events:
            if ev.kind == EVENT_PENDING:
                out.trade_ids[app.verdict_no] = ev.trade.trade_id
                created[ev.trade.trade_id] = app.verdict_no
                rec.triggers_by_trade[ev.trade.trade_id] = triggers
        record_decision_events(rec, events)
        keyed.take(app.at_ts, app.at_symbol, app.phase, app.verdict_no)

    fire_t: list[int] = timeline.refresh_ts.tolist()
    fire_f: list[int] = timeline.refresh_first.tolist()
    n_fire = len(fire_t)
    apps = task.applications
    n_apps = len(apps)
    j = 0  # наступний вердикт
    p = n_fire  # наступне планове оновлення (дійсне, лише поки є активні угоди)

    def app_key(a: Application) -> tuple[int, int, int]:
        return (a.at_ts, a.at_symbol, a.phase)

    def refresh_from(key: tuple[int, int, int]) -> int:
        """Перше планове оновлення з ключем після `key` (щойно з'явилась активна угода)."""
        k = int(np.searchsorted(timeline.refresh_ts, key[0], side="left"))
        while k < n_fire and (fire_t[k], fire_f[k], PHASE_REFRESH) <= key:
            k += 1
        return k

    def advance(limit: tuple[int, int, int]) -> None:
        """Вердикти й планові оновлення з ключем, меншим за `limit`, у порядку ключів."""
        nonlocal j, p
        while True:
            busy = bool(trades.active_symbols())
            ka = app_key(apps[j]) if j < n_apps else None
            kf = (fire_t[p], fire_f[p], PHASE_REFRESH) if busy and p < n_fire else None
            if ka is not None and ka < limit and (kf is None or ka < kf):
                app = apps[j]
                j += 1
                was_busy = busy
                apply(app)
                if not was_busy and trades.active_symbols():
                    p = refresh_from(ka)
            elif kf is not None and kf < limit:
                t = fire_t[p]
                p += 1
                events = trades.refresh(t)
                if events:
                    # Кілька угод символу — у порядку їх створення (як у спільному менеджері угод).
                    rec.trade_events(events)
                    order = [created.get(ev.trade.trade_id, -1) for ev in events]
                    _take_refresh(keyed, t, fire_f[p - 1], order)
            else:
                return

    times = bars.open_time
    o, h, lo_, c = bars.open, bars.high, bars.low, bars.close
    n = len(bars)
    i = 0
    while i < n:
        if not trades.active_symbols():
            # Без активних угод бари лише оновлюють останню ціну: до наступного вердикту досить
            # останнього бару перед ним (як пропущені бари пакетного рушія).
            if j >= n_apps:
                break
            a = apps[j]
            # Бари з ключем, меншим за ключ вердикту: до хвилини вирішення (символ першої події
            # хвилини не більший за номер цього символу) або до бару алерту включно.
            nxt = int(np.searchsorted(times, a.at_ts, side="left" if a.phase == PHASE_RELEASE else "right"))
            k = nxt - 1
            if k > i:
                i = k
        t = int(times[i])
        advance((t, s, PHASE_BAR))
        events = trades.on_closed_bar(task.symbol, t, float(o[i]), float(h[i]), float(lo_[i]), float(c[i]))
        if events:
            rec.trade_events(events)
            keyed.take(t, s, PHASE_BAR, 0)
        i += 1
    advance((FLUSH_TS + 1, 0, 0))
    for trade in trades.active_trades():
        out.open_at_end.append(
            (
                created.get(trade.trade_id, -1),
                trade_record(trade, rec.triggers_by_trade.get(trade.trade_id, ())),
            )
        )
    return out


def _take_refresh(keyed: _KeyedRecorder, t: int, first: int, order: list[int]) -> None:
    """Записи одного планового оновлення: ключ кожного — № вердикту, що створив угоду події."""
    res, out = keyed.result, keyed.out
    d0, t0, c0 = keyed._marks
    # Кожна подія оновлення дає рівно один запис журналу і, можливо, запис угоди чи скасування —
    # у тому самому порядку, що й події.
    closed = iter(res.trades[t0:])
    cancelled = iter(res.cancelled[c0:])
    for item, v in zip(res.decisions[d0:], order, strict=True):
        key = (t, first, PHASE_REFRESH, v, keyed.seq)
        keyed.seq += 1
        out.decisions.append((key, item))
        kind = item[3]
        if kind == EVENT_CLOSED:
            out.trades.append((key, next(closed)))
        elif kind == EVENT_CANCELLED:
            out.cancelled.append((key, next(cancelled)))
    keyed._marks = (len(res.decisions), len(res.trades), len(res.cancelled))


__all__ = [
    "FLUSH_TS",
    "PHASE_ALERT",
    "PHASE_BAR",
    "PHASE_REFRESH",
    "PHASE_RELEASE",
    "Application",
    "CandidateRow",
    "Key",
    "RunPart",
    "SymbolCandidates",
    "SymbolTask",
    "SymbolTrades",
    "Timeline",
    "TradeTask",
    "find_candidates",
    "replay_trades",
]
