"""Злиття розбитого бектесту: усе, що пов'язує символи, — тут, у порядку подій (чиста логіка).

- `TimelineBuilder` — спільна шкала з часів прийнятих барів усіх символів: хвилини подій і
  найменший номер символу в кожній (перша подія хвилини в глобальному порядку `(час, символ)`),
  звідси — коли вирішується хвилина кандидатів (перша подія наступної хвилини) і коли спрацьовує
  планове оновлення угод (`refresh_if_due` на першій події кожної хвилини).
- `replay_budget` — бюджет алертів (`AlertBudget`: відра символу й ринку) над кандидатами всіх
  символів у тому самому порядку, що й в однопроцесному прогоні: хвилина за хвилиною, кандидати
  хвилини — за рангом. Дає вердикти з номерами (`verdict_no`) — порядок записів сигналів.
- `assemble` — записи прогону (`BacktestResult`) з кандидатів, вердиктів і подій угод символів,
  упорядкованих за ключем `(час, символ, фаза, вердикт, №)` (`partition.Key`).
Ліміти портфеля, що пов'язували б угоди різних символів, у Stage3 зараз немає (одна угода на
символ і бік), тож Stage3 іде по символах; з'являться — їх застосовуватиме саме цей модуль.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aione.backtest.partition import (
    FLUSH_TS,
    PHASE_ALERT,
    PHASE_RELEASE,
    Application,
    Key,
    SymbolCandidates,
    SymbolTrades,
    Timeline,
)
from aione.backtest.runner import BacktestResult, Recorder, RunSpec
from aione.signals.budget import AlertBudget, Candidate
from aione.signals.ranking import Rank


# ── Спільна шкала ──
class TimelineBuilder:
    """Хвилини прийнятих подій усіх символів і перший символ кожної; додається по символу."""

    def __init__(self) -> None:
        self.minutes = np.zeros(0, dtype=np.int64)
        self.first = np.zeros(0, dtype=np.int64)

    def add(self, index: int, times: np.ndarray) -> None:
        """Часи прийнятих барів символу з номером `index` (пам'ять — лише на спільну шкалу)."""
        if not times.shape[0]:
            return
        merged = np.union1d(self.minutes, times)
        first = np.full(merged.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
        first[np.searchsorted(merged, self.minutes)] = self.first
        pos = np.searchsorted(merged, times)
        first[pos] = np.minimum(first[pos], index)
        self.minutes, self.first = merged, first

    def release_at(self, ts: int) -> tuple[int, int]:
        """Подія, на якій вирішується хвилина `ts`: (час, символ) першої події наступної хвилини."""
        k = int(np.searchsorted(self.minutes, ts, side="right"))
        if k >= self.minutes.shape[0]:
            return FLUSH_TS, 0
        return int(self.minutes[k]), int(self.first[k])

    def timeline(self, refresh_interval_ms: int) -> Timeline:
        """Моменти, коли `refresh_if_due` на першій події хвилини справді оновлює угоди."""
        fired: list[int] = []
        last: int | None = None
        for t in self.minutes.tolist():
            if last is None or t - last >= refresh_interval_ms:
                fired.append(t)
                last = t
        idx = np.searchsorted(self.minutes, np.asarray(fired, dtype=np.int64))
        return Timeline(np.asarray(fired, dtype=np.int64), self.first[idx].astype(np.int64))


# ── Бюджет алертів ──
@dataclass(frozen=True, slots=True)
class Decided:
    """Вердикт кандидата: де він у кандидатах символу і коли застосовується."""

    symbol_index: int
    row: int  # номер у `SymbolCandidates.rows`
    verdict_no: int
    promoted: bool
    reason: str
    at_ts: int
    at_symbol: int
    phase: int


def _candidate(part: SymbolCandidates, row: int) -> Candidate:
    item = part.rows[row]
    rec = item.record
    alert = {"symbol": part.symbol, "timestamp": item.ts, "_at": (part.index, row)}
    decision = {
        "symbol": part.symbol,
        "timestamp": item.ts,
        "status": rec.get("status"),
        "recommendation": rec.get("recommendation"),
    }
    return Candidate(alert, decision, Rank(item.score, 0.0, 0.0, 0))


def _candidate_order(parts: Sequence[SymbolCandidates]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Кандидати всіх символів у порядку подій: (хвилина, номер символу, рядок) трьома масивами.

    Компактно (24 байти на кандидата): об'єкти `Candidate` будуються по хвилині під час проходу,
    а не всі наперед (рік × 16 символів — сотні тисяч кандидатів)."""
    ts = [np.fromiter((r.ts for r in p.rows), dtype=np.int64, count=len(p.rows)) for p in parts]
    sym = [np.full(len(p.rows), p.index, dtype=np.int64) for p in parts]
    row = [np.arange(len(p.rows), dtype=np.int64) for p in parts]
    if not ts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    ts_all, sym_all, row_all = np.concatenate(ts), np.concatenate(sym), np.concatenate(row)
    order = np.lexsort((row_all, sym_all, ts_all))
    return ts_all[order], sym_all[order], row_all[order]


def replay_budget(
    parts: Sequence[SymbolCandidates], budget_params: Mapping[str, Any], timeline: TimelineBuilder
) -> tuple[list[Decided], dict[str, int]]:
    """Вердикти всіх кандидатів у порядку однопроцесного прогону і лічильники бюджету."""
    budget = AlertBudget(budget_params)
    by_index = {p.index: p for p in parts}
    ts_all, sym_all, row_all = _candidate_order(parts)
    out: list[Decided] = []
    starts = np.flatnonzero(np.diff(ts_all, prepend=-1)).tolist()  # перший кандидат кожної хвилини
    for lo, hi in zip(starts, [*starts[1:], ts_all.shape[0]], strict=True):
        ts = int(ts_all[lo])
        # У хвилині — за номером символу, як події в часі; `Candidate` — лише для цієї хвилини.
        for s, row in zip(sym_all[lo:hi].tolist(), row_all[lo:hi].tolist(), strict=True):
            for verdict in budget.offer(_candidate(by_index[s], row)):
                # Бюджет вимкнено: вердикт одразу, на події алерту.
                out.append(_decided(verdict, len(out), ts, s, PHASE_ALERT))
        if budget.enabled:
            at_ts, at_symbol = timeline.release_at(ts)
            verdicts = budget.release(at_ts) if at_ts != FLUSH_TS else budget.release_all()
            for verdict in verdicts:
                out.append(_decided(verdict, len(out), at_ts, at_symbol, PHASE_RELEASE))
    return out, dict(budget.counters)


def _decided(verdict: Any, no: int, at_ts: int, at_symbol: int, phase: int) -> Decided:
    s, row = verdict.candidate.alert["_at"]
    return Decided(s, row, no, verdict.promoted, verdict.reason, at_ts, at_symbol, phase)


def applications(decided: Iterable[Decided], parts: Mapping[int, SymbolCandidates]) -> dict[int, list[Application]]:
    """Вердикти «сигнал» по символах (номер символу → застосування за порядком ключів)."""
    out: dict[int, list[Application]] = {}
    for d in decided:
        if d.promoted:
            ts = parts[d.symbol_index].rows[d.row].ts
            out.setdefault(d.symbol_index, []).append(
                Application(ts, d.verdict_no, d.at_ts, d.at_symbol, d.phase)
            )
    for apps in out.values():
        apps.sort(key=lambda a: (a.at_ts, a.at_symbol, a.phase, a.verdict_no))
    return out


# ── Записи прогону ──
def assemble(
    spec: RunSpec,
    parts: Sequence[SymbolCandidates],
    decided: Sequence[Decided],
    trades: Sequence[SymbolTrades],
) -> BacktestResult:
    """`BacktestResult`, рівний однопроцесному: сигнали за вердиктами, решта — за ключами подій."""
    result = BacktestResult(spec)
    rec = Recorder(result)
    by_index = {p.index: p for p in parts}
    trade_ids: dict[int, str] = {}
    for t in trades:
        trade_ids.update(t.trade_ids)
    for d in decided:  # сигнали — у порядку вердиктів (і їхні записи журналу — теж)
        record = by_index[d.symbol_index].rows[d.row].record
        record["surfaced"] = d.promoted
        record["budget_reason"] = d.reason
        record["trade_id"] = trade_ids.get(d.verdict_no)
        rec.add_signal(record)
    # Ключі записів журналу сигналів — потоком з вердиктів, без списку пар на кожен сигнал.
    signal_keys: Iterable[tuple[Key, tuple[Any, ...]]] = zip(
        ((d.at_ts, d.at_symbol, d.phase, d.verdict_no, -1) for d in decided), result.decisions, strict=True
    )
    streams = [signal_keys, *(t.decisions for t in trades)]
    result.decisions = [item for _, item in heapq.merge(*streams, key=lambda kv: kv[0])]
    result.trades = [r for _, r in heapq.merge(*(t.trades for t in trades), key=lambda kv: kv[0])]
    result.cancelled = [r for _, r in heapq.merge(*(t.cancelled for t in trades), key=lambda kv: kv[0])]
    result.open_at_end = [r for _, r in sorted((x for t in trades for x in t.open_at_end), key=lambda x: x[0])]
    promoted = sum(1 for d in decided if d.promoted)
    alerts = sum(p.alerts for p in parts)
    events = sum(p.events for p in parts)
    firsts = [p.first_ts for p in parts if p.first_ts is not None]
    lasts = [p.last_ts for p in parts if p.last_ts is not None]
    result.symbol_bars = events
    result.first_ts = min(firsts) if firsts else None
    result.last_ts = max(lasts) if lasts else None
    result.counters = {
        "events": events,
        "rejected": sum(p.rejected for p in parts),
        "alerts": alerts,
        "decisions": len(decided),
        "signals": promoted,
        "watch": len(decided) - promoted,
    }
    return result


__all__ = ["Decided", "TimelineBuilder", "applications", "assemble", "replay_budget"]
