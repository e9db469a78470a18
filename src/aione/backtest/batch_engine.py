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
Денні бари біржі з запису (`runner.recorded_daily_bars`): Stage1 (`default_alerts_fn(..., days)`) і
закриті дні Stage2 (`SymbolSeries.build(..., days)`) беруть їх так само, як подієвий рушій.
Деривативи: у каталозі запису `aione record` ядро (`make_core`) отримує записані ряди; тоді Stage1
(`default_alerts_fn(deriv_source)`) і вхід Stage2 (`stage2_window`) бачать ті самі знімки, що
подієвий рушій і живий процес. З лише барами джерела немає — і все як раніше.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from aione.app.pipeline import PipelineCore
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
    record_released,
    recorded_daily_bars,
    stage_params,
    trade_record,
)
from aione.config.config import TIMEFRAME_MS
from aione.data.bars import BarArrays, BarEvent
from aione.exchange.replay import detect_timeframe, load_series
from aione.signals.deriv_context import SeriesSource
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.result import Stage1Result
from aione.utils.gc_pause import gc_paused

AlertsFn = Callable[[str, BarArrays, Mapping[str, Any], str], list[Stage1Result]]


# ── Stage1 по символу ──
def monitor_alerts(
    symbol: str,
    bars: BarArrays,
    params: Mapping[str, Any],
    timeframe: str,
    deriv_source: SeriesSource | None = None,
    exchange_days: BarArrays | None = None,
) -> list[Stage1Result]:
    """Нові алерти справжнього `AssetMonitor`, що бачить бари символу по одному (еталон двійника);
    `exchange_days` — записані денні бари біржі символу (денні рівні)."""
    days = {symbol: exchange_days} if exchange_days is not None else None
    monitor = AssetMonitor(params, timeframe=timeframe, deriv_source=deriv_source, exchange_days=days)
    out: list[Stage1Result] = []
    update = monitor.update
    for i in range(len(bars)):
        res = update(BarEvent(symbol, timeframe, bars.bar(i)))
        if res.new_alert:
            out.append(res)
    return out


def default_alerts_fn(
    deriv_source: SeriesSource | None = None, exchange_days: Mapping[str, BarArrays] | None = None
) -> AlertsFn:
    """Пакетний двійник монітора, якщо він є в цій збірці; інакше — сам монітор.

    `deriv_source` — записані ряди деривативів (None — лише бари, тригери деривативів мовчать);
    `exchange_days` — записані денні бари біржі по символах (`runner.recorded_daily_bars`)."""
    days = exchange_days or {}
    try:
        from aione.stage1.batch_monitor import batch_new_alerts
    except ImportError:  # двійник ще не зібрано — той самий результат повільніше
        if deriv_source is None and not days:
            return monitor_alerts

        def slow(
            symbol: str, bars: BarArrays, params: Mapping[str, Any], timeframe: str
        ) -> list[Stage1Result]:
            return monitor_alerts(symbol, bars, params, timeframe, deriv_source, days.get(symbol))

        return slow

    def twin(symbol: str, bars: BarArrays, params: Mapping[str, Any], timeframe: str) -> list[Stage1Result]:
        return batch_new_alerts(
            symbol, bars, params, timeframe=timeframe, deriv_source=deriv_source, exchange_days=days.get(symbol)
        )

    return twin


# ── Підготовка прогону ──
def _symbol_rows(t: np.ndarray, start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
    lo = 0 if start_ms is None else int(np.searchsorted(t, start_ms, side="left"))
    hi = t.shape[0] if end_ms is None else int(np.searchsorted(t, end_ms, side="right"))
    return lo, max(lo, hi)


def window_part(
    raw: BarArrays, start_ms: int | None, end_ms: int | None
) -> tuple[BarArrays, np.ndarray, BarArrays]:
    """Бари символу у вікні прогону: (усі бари вікна за часом, маска прийнятих, прийняті бари).

    Спільне для пакетного рушія і розбитого по символах (`partition`): ті самі бари, той самий порядок."""
    lo, hi = _symbol_rows(raw.open_time, start_ms, end_ms)
    part = raw.slice(lo, hi)
    t = part.open_time
    if t.shape[0] > 1 and not bool((t[1:] >= t[:-1]).all()):  # записи зазвичай уже впорядковані
        order = np.argsort(t, kind="stable")
        part = BarArrays(*(np.ascontiguousarray(col[order]) for col in part))  # type: ignore[arg-type]
    ok = accepted_mask(part)
    # Без копії, коли прийнято все (звичайний випадок): менше пам'яті й першого дотику до неї.
    accepted = part if bool(ok.all()) else BarArrays(*(col[ok] for col in part))  # type: ignore[arg-type]
    return part, ok, accepted


class _Prepared:
    """Символи прогону, їхні прийняті бари і глобальний порядок подій (як у `iter_replay`)."""

    def __init__(self, spec: RunSpec) -> None:
        raw = load_series(spec.data_dir, spec.symbols)
        self.names = list(raw)
        self.daily = recorded_daily_bars(spec)  # денні бари біржі з запису (порожньо — лише 1m)
        self.timeframe = detect_timeframe(next(iter(raw.values())).open_time) if raw else "1m"
        self.series: list[SymbolSeries] = []
        parts_t, parts_sym, parts_row, parts_ok = [], [], [], []
        for idx, name in enumerate(self.names):
            part, ok, accepted = window_part(raw[name], spec.start_ms, spec.end_ms)
            self.series.append(SymbolSeries.build(name, accepted, self.daily.get(name)))
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


# ── Події в часі ──
class _EventReplay:
    """Події прогону в глобальному порядку, але відвідуються лише ті, що щось змінюють.

    Подієвий рушій на кожному барі викликає `TradeManager.on_bar` і `refresh_if_due`. Тут:
    - «кандидати» — бари алертів і перший бар кожної нової хвилини (лише там `refresh_if_due`
      може спрацювати: далі в тій самій хвилині час не змінюється);
    - між кандидатами відвідуються лише бари символів з активною угодою. Нова угода з'являється
      тільки на рішенні (на кандидаті), тож між кандидатами множина таких символів лише
      зменшується, і зібрати їхні бари наперед — безпечно (зайвий бар символу без угоди лише
      оновив би останню ціну, яку до наступного алерту ніхто не читає);
    - коли інтервал планового оновлення угод не довший за крок барів (1m бари й 60 с), оновлення
      настає на кожній новій хвилині, і без активних угод воно нічого не змінює, крім часу
      останнього оновлення, — а наступна хвилина з угодою однаково буде «вчасно». Тоді перші бари
      хвилин відвідуються лише поки є активні угоди;
    - решта барів нічого не змінила б і пропускається без жодного виклику."""

    def __init__(
        self, core: PipelineCore, rec: Recorder, prep: _Prepared, alerts: list[dict[int, Stage1Result]]
    ) -> None:
        self.core = core
        self.trades = core.trades
        self.rec = rec
        self.prep = prep
        self.alerts = alerts
        self.busy = self.trades.active_symbols()
        self.index = {name: i for i, name in enumerate(prep.names)}
        sym = np.asarray(prep.ev_sym, dtype=np.int64)
        self.by_symbol: list[list[int]] = [np.flatnonzero(sym == i).tolist() for i in range(len(prep.names))]
        t = np.asarray(prep.ev_t, dtype=np.int64)
        self.first_of_minute = np.r_[True, t[1:] != t[:-1]] if t.shape[0] else np.zeros(0, dtype=np.bool_)
        self._first: list[bool] = self.first_of_minute.tolist()
        self.minute_starts: list[int] = np.flatnonzero(self.first_of_minute).tolist()
        distinct = t[self.first_of_minute] if t.shape[0] else t
        spacing = int(np.diff(distinct).min()) if distinct.shape[0] > 1 else None
        self.lazy_refresh = spacing is not None and self.trades.refresh_interval_ms <= spacing
        self.context_bars = core.context_bars
        self.n_closed = core.daily_days + 1
        self.deriv_source: SeriesSource | None = getattr(core.monitor, "deriv_source", None)
        self.timeframe_ms = TIMEFRAME_MS.get(prep.timeframe, 60_000)
        self.done = -1  # останній відвіданий номер події
        self.reported = 0

    def candidates(self) -> list[int]:
        """Номери подій-кандидатів за зростанням: алерти, перший бар наступної хвилини після кожного
        алерту (там ворота сигналів вирішують його хвилину, як `on_bar` ядра) і, якщо оновлення не
        ліниве, перші бари всіх хвилин."""
        marks = np.zeros_like(self.first_of_minute) if self.lazy_refresh else self.first_of_minute.copy()
        starts = np.asarray(self.minute_starts, dtype=np.int64)
        for s, rows in enumerate(self.alerts):
            if rows:
                events = self.by_symbol[s]
                at = np.asarray([events[r] for r in rows], dtype=np.int64)
                marks[at] = True
                nxt = np.searchsorted(starts, at, side="right")
                marks[starts[nxt[nxt < starts.shape[0]]]] = True
        return np.flatnonzero(marks).tolist()

    def catch_up(self, until: int) -> None:
        """Бари символів з активною угодою (і, при лінивому оновленні, перші бари хвилин) між
        останньою відвіданою подією і `until` (не включно)."""
        if self.busy and until > self.done + 1:
            done = self.done
            pending: list[int] = []
            for name in self.busy:
                events = self.by_symbol[self.index[name]]
                pending.extend(events[bisect_right(events, done) : bisect_left(events, until)])
            if self.lazy_refresh:
                starts = self.minute_starts
                pending.extend(starts[bisect_right(starts, done) : bisect_left(starts, until)])
            for k in sorted(set(pending)):
                self.visit(k)

    def visit(self, k: int) -> None:
        """Подія k у тому самому порядку кроків, що й `PipelineCore.on_bar` + драйвер бектесту."""
        self.done = k
        prep = self.prep
        gate = self.core.gate
        minute_due = gate.budget.next_due()
        if minute_due is not None and prep.ev_t[k] > minute_due:
            # Хвилина кандидатів закінчилась: вердикти до будь-якої ціни нової хвилини (як `on_bar`).
            record_released(self.rec, self.core.release(prep.ev_t[k]))
            self.busy = self.trades.active_symbols()
        s = prep.ev_sym[k]
        row = prep.ev_row[k]
        name = prep.names[s]
        trades = self.trades
        found = self.alerts[s].get(row)
        events: list[Any] | None = None
        if found is not None or name in self.busy:
            # Числа бару прямо з масивів (як `on_bar(name, bars.bar(row))`, без побудови `Bar`).
            b = prep.series[s].bars
            events = trades.on_closed_bar(
                name,
                int(b.open_time[row]),
                float(b.open[row]),
                float(b.high[row]),
                float(b.low[row]),
                float(b.close[row]),
            )
        if self._first[k]:
            due = trades.refresh_if_due(prep.ev_t[k])
            if due:
                events = [*(events or ()), *due]
        if events:
            self.rec.trade_events(events)
            self.busy = trades.active_symbols()
        if found is not None:
            # Словник алерту — лише тут, а не наперед для всіх: менше живих об'єктів для GC.
            alert = found.to_dict()
            self.core.counters["alerts"] += 1
            info = self.core.store.get_symbol_info(name)  # тік символу, як у подієвому рушії
            inputs = prep.series[s].stage2_window(
                row,
                self.context_bars,
                self.n_closed,
                info,
                self.deriv_source,
                self.timeframe_ms,
                self.core.deriv_params,
            )
            handle_alert(self.core, self.rec, alert, self.core.decide_with(alert, inputs))
            self.busy = trades.active_symbols()


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

    `explain=False`: Stage2 не пише текст пояснення (у звіті бектесту його немає), решта рішення та сама.
    Циклічний збирач сміття на час прогону вимкнено (`gc_paused`: циклів прогін майже не створює)."""
    with gc_paused():
        return _run(spec, overrides, alerts_fn, on_progress, total, explain)


def _run(
    spec: RunSpec,
    overrides: Overrides | None,
    alerts_fn: AlertsFn | None,
    on_progress: ProgressFn | None,
    total: int | None,
    explain: bool,
) -> BacktestResult:
    core = make_core(spec, overrides)
    core.explain = explain
    p1 = stage_params(overrides)[0]
    prep = _Prepared(spec)
    result = BacktestResult(spec)
    rec = Recorder(result)
    n_total = total or prep.events
    # Фаза 1 — Stage1 по символах (половина шкали прогресу), фаза 2 — події в часі.
    find_alerts = alerts_fn or default_alerts_fn(getattr(core.monitor, "deriv_source", None), prep.daily)
    alerts: list[dict[int, Stage1Result]] = []
    done = 0
    for series in prep.series:
        found = find_alerts(series.name, series.bars, p1, prep.timeframe)
        rows = np.searchsorted(series.bars.open_time, [a.timestamp for a in found]).tolist()
        alerts.append(dict(zip(rows, found, strict=True)))
        done += len(series.bars)
        if on_progress is not None:
            on_progress(done // 2, n_total)

    half = done // 2
    replay = _EventReplay(core, rec, prep, alerts)
    for k in replay.candidates():
        replay.catch_up(k)
        replay.visit(k)
        if on_progress is not None and k - replay.reported >= PROGRESS_EVERY:
            replay.reported = k
            on_progress(half + k // 2, n_total)
    replay.catch_up(len(prep.ev_t))
    record_released(rec, core.flush())
    if on_progress is not None:
        on_progress(n_total, n_total)
    counters = core.counters
    counters["events"] = prep.events
    counters["rejected"] = prep.rejected
    result.symbol_bars = prep.events
    result.first_ts = prep.first_ts
    result.last_ts = prep.last_ts
    result.open_at_end = [
        trade_record(t, rec.triggers_by_trade.get(t.trade_id, ())) for t in core.trades.active_trades()
    ]
    result.counters = dict(counters)
    return result


__all__ = ["AlertsFn", "default_alerts_fn", "monitor_alerts", "run_batch_backtest", "window_part"]
