"""Пакетний рушій бектесту: ті самі рішення, що й подієвий (`runner.run_event_backtest`), у рази швидше.

DESIGN дозволяє бектесту пакетну форму обчислень, якщо вона доведено дає те саме. Тут:
- сховище й агрегатор доби замінює `batch_inputs.SymbolSeries` (ті самі прийняті бари, ті самі
  вікна й денні бари на вході Stage2);
- Stage1 рахується на символ одним проходом (`alerts_fn`, типово пакетний двійник монітора
  `stage1.batch_monitor.batch_new_alerts`, доведено рівний `AssetMonitor`; `monitor_alerts` —
  той самий монітор по барах, еталон);
- Stage2 і Stage3 — справжнє ядро (`PipelineCore.decide_with`, `on_stage2`, `TradeManager`),
  викликане в тому самому порядку подій, що й у подієвому рушії: бар → ціна для угод →
  планове оновлення угод → алерт → рішення → угода. Ціни отримують лише символи з активною
  угодою та бари алертів: для решти `TradeManager.on_bar` лише запам'ятав би ціну, яку ніхто
  не прочитає до наступного алерту цього символу (а на ньому ціна оновлюється).
Рівність з подієвим рушієм — байт у байт у JSON звіту — перевіряє `tests/test_backtest_batch.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from aione.backtest.batch_inputs import SymbolSeries, accepted_mask
from aione.backtest.runner import (
    PROGRESS_EVERY,
    BacktestResult,
    Overrides,
    ProgressFn,
    Recorder,
    RunSpec,
    handle_alert,
    make_core,
    stage_params,
    trade_record,
)
from aione.data.bars import BarArrays, BarEvent
from aione.exchange.replay import detect_timeframe, load_series
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.result import Stage1Result

AlertsFn = Callable[[str, BarArrays, Mapping[str, Any], str], list[Stage1Result]]


# ── Stage1 по символу ──
def monitor_alerts(
    symbol: str, bars: BarArrays, params: Mapping[str, Any], timeframe: str
) -> list[Stage1Result]:
    """Нові алерти справжнього `AssetMonitor`, що бачить бари символу по одному (еталон двійника)."""
    monitor = AssetMonitor(params, timeframe=timeframe)
    out: list[Stage1Result] = []
    update = monitor.update
    for i in range(len(bars)):
        res = update(BarEvent(symbol, timeframe, bars.bar(i)))
        if res.new_alert:
            out.append(res)
    return out


def default_alerts_fn() -> AlertsFn:
    """Пакетний двійник монітора, якщо він є в цій збірці; інакше — сам монітор."""
    try:
        from aione.stage1.batch_monitor import batch_new_alerts
    except ImportError:  # двійник ще не зібрано — той самий результат повільніше
        return monitor_alerts

    def twin(symbol: str, bars: BarArrays, params: Mapping[str, Any], timeframe: str) -> list[Stage1Result]:
        return batch_new_alerts(symbol, bars, params, timeframe=timeframe)

    return twin


# ── Підготовка прогону ──
def _symbol_rows(t: np.ndarray, spec: RunSpec) -> tuple[int, int]:
    lo = 0 if spec.start_ms is None else int(np.searchsorted(t, spec.start_ms, side="left"))
    hi = t.shape[0] if spec.end_ms is None else int(np.searchsorted(t, spec.end_ms, side="right"))
    return lo, max(lo, hi)


class _Prepared:
    """Символи прогону, їхні прийняті бари і глобальний порядок подій (як у `iter_replay`)."""

    def __init__(self, spec: RunSpec) -> None:
        raw = load_series(spec.data_dir, spec.symbols)
        self.names = list(raw)
        self.timeframe = detect_timeframe(next(iter(raw.values())).open_time) if raw else "1m"
        self.series: list[SymbolSeries] = []
        parts_t, parts_sym, parts_row, parts_ok = [], [], [], []
        for idx, name in enumerate(self.names):
            lo, hi = _symbol_rows(raw[name].open_time, spec)
            part = raw[name].slice(lo, hi)
            order = np.argsort(part.open_time, kind="stable")
            part = BarArrays(*(np.ascontiguousarray(col[order]) for col in part))  # type: ignore[arg-type]
            ok = accepted_mask(part)
            accepted = BarArrays(*(col[ok] for col in part))  # type: ignore[arg-type]
            self.series.append(SymbolSeries.build(name, accepted))
            parts_t.append(part.open_time)
            parts_sym.append(np.full(len(part), idx, dtype=np.int64))
            parts_row.append(np.cumsum(ok) - 1)
            parts_ok.append(ok)
        if parts_t:
            all_t = np.concatenate(parts_t)
            all_sym = np.concatenate(parts_sym)
            order = np.lexsort((all_sym, all_t))
            ok_all = np.concatenate(parts_ok)[order]
            self.events = int(all_t.shape[0])
            self.rejected = int((~ok_all).sum())
            self.first_ts: int | None = int(all_t[order[0]]) if self.events else None
            self.last_ts: int | None = int(all_t[order[-1]]) if self.events else None
            keep = order[ok_all]
            self.ev_sym: list[int] = all_sym[keep].tolist()
            self.ev_row: list[int] = np.concatenate(parts_row)[keep].tolist()
            self.ev_t: list[int] = all_t[keep].tolist()
        else:
            self.events = self.rejected = 0
            self.first_ts = self.last_ts = None
            self.ev_sym, self.ev_row, self.ev_t = [], [], []


# ── Прогін ──
def run_batch_backtest(
    spec: RunSpec,
    overrides: Overrides | None = None,
    *,
    alerts_fn: AlertsFn | None = None,
    on_progress: ProgressFn | None = None,
    total: int | None = None,
    explain: bool = False,
) -> BacktestResult:
    """Бектест пакетним рушієм; записи ті самі, що дав би `run_event_backtest` на тих самих барах.

    `explain=False`: Stage2 не пише текст пояснення (у звіті бектесту його немає), решта рішення та сама."""
    core = make_core(spec, overrides)
    core.explain = explain
    p1 = stage_params(overrides)[0]
    prep = _Prepared(spec)
    result = BacktestResult(spec)
    rec = Recorder(result)
    n_total = total or prep.events
    # Фаза 1 — Stage1 по символах (половина шкали прогресу), фаза 2 — події в часі.
    find_alerts = alerts_fn or default_alerts_fn()
    alerts: list[dict[int, dict[str, Any]]] = []
    done = 0
    for series in prep.series:
        found = find_alerts(series.name, series.bars, p1, prep.timeframe)
        rows = np.searchsorted(series.bars.open_time, [a.timestamp for a in found]).tolist()
        alerts.append({row: a.to_dict() for row, a in zip(rows, found, strict=True)})
        done += len(series.bars)
        if on_progress is not None:
            on_progress(done // 2, n_total)

    trades = core.trades
    busy = trades.active_symbols()
    counters = core.counters
    names = prep.names
    series_list = prep.series
    context_bars = core.context_bars
    n_closed = core.daily_days + 1
    prev_ts: int | None = None
    half = done // 2
    for k, (s, row, ts) in enumerate(zip(prep.ev_sym, prep.ev_row, prep.ev_t, strict=True)):
        name = names[s]
        alert = alerts[s].get(row)
        events: list[Any] | None = None
        if alert is not None or name in busy:
            events = trades.on_bar(name, series_list[s].bars.bar(row))
        if ts != prev_ts:
            prev_ts = ts
            due = trades.refresh_if_due(ts)
            if due:
                events = [*(events or ()), *due]
        if events:
            rec.trade_events(events)
            busy = trades.active_symbols()
        if alert is not None:
            counters["alerts"] += 1
            inputs = series_list[s].stage2_window(row, context_bars, n_closed)
            handle_alert(core, rec, alert, core.decide_with(alert, inputs))
            busy = trades.active_symbols()
        if on_progress is not None and k % PROGRESS_EVERY == 0:
            on_progress(half + k // 2, n_total)
    if on_progress is not None:
        on_progress(n_total, n_total)
    counters["events"] = prep.events
    counters["rejected"] = prep.rejected
    result.symbol_bars = prep.events
    result.first_ts = prep.first_ts
    result.last_ts = prep.last_ts
    result.open_at_end = [
        trade_record(t, rec.triggers_by_trade.get(t.trade_id, ())) for t in trades.active_trades()
    ]
    result.counters = dict(counters)
    return result


__all__ = ["AlertsFn", "default_alerts_fn", "monitor_alerts", "run_batch_backtest"]
