"""Швидке виконання рішень базової лінії: ті самі угоди, що й `baseline.run_baseline`, без зайвих барів.

Еталон (`run_baseline`) на кожному барі прогону викликає `TradeManager.on_bar` і `refresh_if_due`.
Тут бари завантажуються й упорядковуються один раз (`ReplayFrame`, порядок як у `iter_replay`),
а кожен прогін відвідує лише події, що можуть щось змінити:
- бари рішень (на них же — планове оновлення, якщо воно тут настає, і самі рішення);
- бари символів з активною (очікуючою чи відкритою) угодою: стан угод символу змінюється лише
  на його барах. Нова угода з'являється тільки на рішенні, тож між двома рішеннями множина
  таких символів лише зменшується, і зібрати їхні бари наперед безпечно (зайвий бар символу без
  угоди лише оновлює останню ціну — так само, як в еталоні);
- планові оновлення (`refresh`), що можуть спрацювати. Моменти, коли `refresh_if_due` еталона
  спрацьовує, залежать лише від часу подій, не від угод (`_last_refresh` оновлюється й без угод),
  тож розклад рахується один раз. Оновлення щось робить лише з угодою, час якої вийшов: відкритою
  з `ts − entry_ts ≥ max_holding` або очікуючою з `ts − decision_ts ≥ entry_timeout`. Найближчий
  такий час («строк») між рішеннями лише зростає (угоди зникають, очікуюча стає відкритою пізніше
  за рішення), тож оновлення до строку пропускаються, а на першому після строку прогін
  зупиняється, відвідує його і рахує строк заново.
Рівність з еталоном (ті самі закриті угоди в тому самому порядку і та сама кількість створених)
перевіряє `tests/test_backtest_baselines_replay.py`.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aione.backtest.baseline import window_rows
from aione.backtest.runner import RunSpec, trade_record
from aione.data.bars import BarArrays
from aione.exchange.replay import load_series
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import EVENT_CLOSED, EVENT_PENDING, STATUS_OPEN, TradeEvent

_INF = math.inf


# ── Допоміжне ──
def _limit_ms(params: Mapping[str, Any], key: str) -> float | None:
    """Межа часу в мс з параметра Stage3 у секундах (той самий вираз, що й у `TradeManager`)."""
    limit = float(params.get(key) or 0.0)
    return limit * 1000.0 if limit > 0 else None


# ── Кадр прогону ──
class ReplayFrame:
    """Бари прогону, упорядковані один раз: глобальний порядок подій, події кожного символу,
    розклад планових оновлень (за інтервалом)."""

    def __init__(self, spec: RunSpec, series: Mapping[str, BarArrays] | None = None) -> None:
        raw = series if series is not None else load_series(spec.data_dir, spec.symbols)
        self.names: list[str] = sorted(raw)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.cols: list[tuple[list[float], list[float], list[float], list[float]]] = []
        parts_t, parts_sym, parts_row = [], [], []
        for k, name in enumerate(self.names):
            bars = raw[name]
            lo, hi = window_rows(bars, spec)
            part = bars.slice(lo, hi)
            self.cols.append((part.open.tolist(), part.high.tolist(), part.low.tolist(), part.close.tolist()))
            parts_t.append(part.open_time)
            parts_sym.append(np.full(len(part), k, dtype=np.int64))
            parts_row.append(np.arange(len(part), dtype=np.int64))
        if parts_t:
            all_t = np.concatenate(parts_t).astype(np.int64)
            all_sym = np.concatenate(parts_sym)
            order = np.lexsort((all_sym, all_t))  # як у `iter_replay`: час, потім символ
            sym = all_sym[order]
            self.ev_t: list[int] = all_t[order].tolist()
            self.ev_sym: list[int] = sym.tolist()
            self.ev_row: list[int] = np.concatenate(parts_row)[order].tolist()
            self.by_symbol: list[list[int]] = [
                np.flatnonzero(sym == k).tolist() for k in range(len(self.names))
            ]
        else:
            self.ev_t, self.ev_sym, self.ev_row, self.by_symbol = [], [], [], []
        self.sym_times = [[self.ev_t[k] for k in events] for events in self.by_symbol]
        self._schedules: dict[int, tuple[list[int], list[int], list[bool]]] = {}

    def __len__(self) -> int:
        return len(self.ev_t)

    def refresh_schedule(self, interval_ms: int) -> tuple[list[int], list[int], list[bool]]:
        """Події, на яких `refresh_if_due` еталона спрацьовує: (номери, їхній час, ознака для кожної події)."""
        cached = self._schedules.get(interval_ms)
        if cached is not None:
            return cached
        ev_t = self.ev_t
        if interval_ms > 0 and ev_t:
            # У межах однієї мітки часу спрацювати може лише перша подія (далі різниця 0).
            t = np.asarray(ev_t, dtype=np.int64)
            candidates = np.flatnonzero(np.r_[True, t[1:] != t[:-1]]).tolist()
        else:
            candidates = list(range(len(ev_t)))
        events: list[int] = []
        last: int | None = None
        for k in candidates:
            ts = ev_t[k]
            if last is None or ts - last >= interval_ms:
                events.append(k)
                last = ts
        flags = [False] * len(ev_t)
        for k in events:
            flags[k] = True
        schedule = (events, [ev_t[k] for k in events], flags)
        self._schedules[interval_ms] = schedule
        return schedule

    def events_at(self, symbol: str, ts: int) -> list[int]:
        """Номери подій бару символу з open_time `ts` (зазвичай одна; немає — порожньо)."""
        s = self.index.get(symbol)
        if s is None:
            return []
        times = self.sym_times[s]
        return self.by_symbol[s][bisect_left(times, ts) : bisect_right(times, ts)]

    def run(
        self, decisions: Sequence[Mapping[str, Any]], params: Mapping[str, Any], *, label: str = "random"
    ) -> tuple[list[dict[str, Any]], int]:
        """Рішення через свіжий `TradeManager(params)`; (закриті угоди, скільки створено) — як `run_baseline`."""
        return _Run(self, decisions, params, label).go()


# ── Один прогін ──
class _Run:
    """Стан одного прогону: менеджер угод, відвідані події, строк найближчого оновлення."""

    def __init__(
        self,
        frame: ReplayFrame,
        decisions: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        label: str,
    ) -> None:
        self.frame = frame
        self.trades = TradeManager(params)
        self.label = label
        self.hold = _limit_ms(params, "max_holding_sec")
        self.timeout = _limit_ms(params, "entry_timeout_sec")
        self.re, self.rt, self.is_re = frame.refresh_schedule(self.trades.refresh_interval_ms)
        self.dec_at: dict[int, list[Mapping[str, Any]]] = {}
        for d in decisions:
            for k in frame.events_at(str(d["symbol"]), int(d["timestamp"])):
                self.dec_at.setdefault(k, []).append(d)
        self.closed: list[dict[str, Any]] = []
        self.created = 0
        self.done = -1  # остання відвідана подія
        self._due_version = -1
        self._due = _INF

    def go(self) -> tuple[list[dict[str, Any]], int]:
        end = len(self.frame)
        for mark in [*sorted(self.dec_at), end]:
            self._advance(mark)
            if mark < end:
                self._visit(mark, self.dec_at[mark])
        return self.closed, self.created

    def _record(self, events: Sequence[TradeEvent]) -> None:
        for ev in events:
            if ev.kind == EVENT_CLOSED:
                self.closed.append(trade_record(ev.trade, [self.label]))
            elif ev.kind == EVENT_PENDING:
                self.created += 1

    def _due_time(self) -> float:
        """Найраніший час, коли планове оновлення може щось зробити з активними угодами (inf — ніколи)."""
        trades = self.trades
        if trades.version != self._due_version:
            due = _INF
            for t in trades.active_trades():
                if t.status == STATUS_OPEN:
                    if self.hold is not None and t.entry_ts is not None:
                        due = min(due, t.entry_ts + self.hold)
                elif self.timeout is not None:
                    due = min(due, t.decision_ts + self.timeout)
            self._due, self._due_version = due, trades.version
        return self._due

    def _advance(self, until: int) -> None:
        """Усе, що еталон змінив би між останньою відвіданою подією і `until` (не включно)."""
        re, rt = self.re, self.rt
        while True:
            busy = self.trades.active_symbols()
            if not busy:
                break  # без угод ні бари, ні оновлення нічого не змінюють
            due = self._due_time()
            stop = until
            if due < _INF:
                # −1 мс: межа знизу (зайве оновлення до строку нічого не робить, пропущене — зламало б рівність).
                j = max(bisect_right(re, self.done), bisect_left(rt, due - 1.0))
                if j < len(re) and re[j] < until:
                    stop = re[j]
            self._busy_bars(busy, stop)
            if stop == until:
                break
            self._visit(stop, ())

    def _busy_bars(self, busy: frozenset[str], until: int) -> None:
        """Бари символів з угодами між останньою відвіданою подією і `until` (не включно), за порядком.

        Планові оновлення на цих подіях пропущено: усі вони раніше за строк і нічого не роблять."""
        frame, done = self.frame, self.done
        ks: list[int] = []
        for name in busy:
            rows = frame.by_symbol[frame.index[name]]
            ks.extend(rows[bisect_right(rows, done) : bisect_left(rows, until)])
        if len(busy) > 1:
            ks.sort()
        on_closed_bar = self.trades.on_closed_bar
        names, ev_sym, ev_row, ev_t, cols = frame.names, frame.ev_sym, frame.ev_row, frame.ev_t, frame.cols
        for k in ks:
            s = ev_sym[k]
            r = ev_row[k]
            o, h, lo, c = cols[s]
            events = on_closed_bar(names[s], ev_t[k], o[r], h[r], lo[r], c[r])
            if events:
                self._record(events)
        self.done = max(done, until - 1)

    def _visit(self, k: int, decisions: Sequence[Mapping[str, Any]]) -> None:
        """Подія k повністю, як в еталоні: бар → планове оновлення (якщо настає) → рішення."""
        frame, trades = self.frame, self.trades
        s, r, ts = frame.ev_sym[k], frame.ev_row[k], frame.ev_t[k]
        o, h, lo, c = frame.cols[s]
        self._record(trades.on_closed_bar(frame.names[s], ts, o[r], h[r], lo[r], c[r]))
        if self.is_re[k]:
            self._record(trades.refresh(ts))
        for d in decisions:
            trades.on_decision(d)
            self._record(trades.last_events)
        self.done = k


__all__ = ["ReplayFrame"]
