"""Якість сигналів у бектесті: наслідки кожного кандидата, таблиця децилів рангу, калібрування.

Тут чиста математика над записами сигналів прогону (`runner._signal_record`) і барами символів:
- `attach_outcomes` дописує до кожного запису з напрямком наслідки (`signals.outcomes.forward_outcome`:
  форвардна доходність на 5/15/60/240 хв у напрямку сигналу, MFE/MAE, чи TP був раніше за SL);
- `outcome_summary` — зведення групи: випадки, середня й медіанна доходність на кожному горизонті
  (брутто і після комісії кола), частка TP першим, середні MFE/MAE;
- групи: за рекомендацією Stage2, за типом (бік + тригери), за символом, за децилем рангу, а також
  сигнали (`surfaced`) проти watch;
- децилі рангу — межі з квантилів рангу всіх кандидатів прогону; питання таблиці: чи кращий
  наслідок у вищого рангу (`monotonic` — кореляція Спірмена номера децилю з середньою доходністю);
- калібрування впевненості: кошики `confidence` по 0.1 проти реальної частки TP першим;
- бюджет: сигналів на символ на добу (за тривалістю даних кожного символу);
- життєві цикли: `attach_lifecycles` веде кожен сигнал (`surfaced`) з планом тими самими
  правилами, що й наживо (`signals.lifecycle.replay`), і дописує кінцевий стан; розділ рахує
  сигнали за кінцевим станом (hit_tp / hit_sl / invalidated / expired; new/active/triggered —
  дані скінчились раніше).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from aione.backtest.metrics import mean_or_none, median_or_none
from aione.config.config import FEE_RATE_TAKER, SIGNAL_OUTCOME_HORIZONS
from aione.data.bars import BarArrays
from aione.signals.lifecycle import STATES, plan_from_mapping, replay
from aione.signals.outcomes import forward_outcome
from aione.utils.utils import finite_or_none

DAY_MS = 86_400_000
DECILES = 10
SignalRec = Mapping[str, Any]


# ── Наслідки ──
def attach_outcomes(signals: Sequence[dict[str, Any]], series: Mapping[str, BarArrays]) -> int:
    """Дописує `outcome` до записів з напрямком і опорною ціною; повертає, скільки дописано."""
    done = 0
    for rec in signals:
        side = rec.get("signal_side")
        bars = series.get(str(rec.get("symbol")))
        entry = finite_or_none(rec.get("ref_close"))
        if side not in ("BUY", "SELL") or bars is None or entry is None or rec.get("ts") is None:
            rec["outcome"] = None
            continue
        rec["outcome"] = forward_outcome(
            bars,
            int(rec["ts"]),
            1.0 if side == "BUY" else -1.0,
            entry,
            finite_or_none(rec.get("outcome_tp")),
            finite_or_none(rec.get("outcome_sl")),
        )
        done += 1
    return done


# ── Життєві цикли ──
def attach_lifecycles(signals: Sequence[dict[str, Any]], series: Mapping[str, BarArrays]) -> int:
    """Дописує `lifecycle` (кінцевий стан, причина, час) сигналам з планом, що пройшли бюджет
    (решті — None); повертає, скільки дописано."""
    by_symbol: dict[str, list[tuple[str, int, Any]]] = {}
    for rec in signals:
        rec["lifecycle"] = None
        plan = plan_from_mapping(rec.get("plan")) if rec.get("surfaced") else None
        sid, ts = rec.get("signal_id"), rec.get("ts")
        if plan is None or not isinstance(sid, str) or not isinstance(ts, int):
            continue
        by_symbol.setdefault(str(rec.get("symbol")), []).append((sid, ts, plan))
    lives: dict[str, Any] = {}
    for symbol, items in by_symbol.items():
        bars = series.get(symbol)
        if bars is not None:
            lives.update(replay(items, bars))
    done = 0
    for rec in signals:
        life = lives.get(str(rec.get("signal_id")))
        if life is not None and rec.get("surfaced"):
            rec["lifecycle"] = {
                "state": life.state,
                "reason": life.reason,
                "triggered_ts": life.triggered_ts,
                "final_ts": life.final_ts,
            }
            done += 1
    return done


def lifecycle_counts(items: Sequence[SignalRec]) -> dict[str, Any]:
    """Сигнали за кінцевим станом життєвого циклу і за причиною (лише записи з `lifecycle`)."""
    states = dict.fromkeys(STATES, 0)
    reasons: dict[str, int] = {}
    for rec in items:
        life = rec.get("lifecycle")
        if not isinstance(life, Mapping):
            continue
        state = str(life.get("state"))
        states[state] = states.get(state, 0) + 1
        key = f"{state}:{life.get('reason')}"
        reasons[key] = reasons.get(key, 0) + 1
    return {"signals": sum(states.values()), "by_state": states, "by_reason": dict(sorted(reasons.items()))}


# ── Зведення ──
def _values(items: Iterable[SignalRec], key: str) -> list[float]:
    out: list[float] = []
    for rec in items:
        o = rec.get("outcome") or {}
        v = finite_or_none(o.get(key))
        if v is not None:
            out.append(v)
    return out


def outcome_summary(items: Sequence[SignalRec], fee_rate: float = FEE_RATE_TAKER) -> dict[str, Any]:
    """Зведення наслідків групи (визначення — в описі модуля). Комісія кола = 2·fee_rate, у %."""
    with_outcome = [r for r in items if r.get("outcome")]
    round_trip = 2.0 * fee_rate * 100.0
    out: dict[str, Any] = {"signals": len(items), "cases": len(with_outcome)}
    for h in SIGNAL_OUTCOME_HORIZONS:
        fwd = _values(with_outcome, f"fwd_{h}")
        mean = mean_or_none(fwd)
        out[f"n_{h}"] = len(fwd)
        out[f"mean_fwd_{h}"] = mean
        out[f"median_fwd_{h}"] = median_or_none(fwd)
        out[f"mean_net_{h}"] = mean - round_trip if mean is not None else None
        out[f"win_rate_{h}"] = sum(1 for v in fwd if v > 0) / len(fwd) if fwd else None
    out["mean_mfe_60"] = mean_or_none(_values(with_outcome, "mfe_60"))
    out["mean_mae_60"] = mean_or_none(_values(with_outcome, "mae_60"))
    resolved = [r for r in with_outcome if (r.get("outcome") or {}).get("complete")]
    tp = sum(1 for r in resolved if r["outcome"].get("first") == "tp")
    sl = sum(1 for r in resolved if r["outcome"].get("first") == "sl")
    out["tp_first"] = tp
    out["sl_first"] = sl
    out["tp_first_rate"] = tp / len(resolved) if resolved else None
    out["tp_first_rate_resolved"] = tp / (tp + sl) if tp + sl else None
    return out


def grouped_outcomes(
    items: Sequence[SignalRec], key_of: Callable[[SignalRec], str | None]
) -> dict[str, dict[str, Any]]:
    """`outcome_summary` для кожної групи (запис без ключа не входить нікуди)."""
    groups: dict[str, list[SignalRec]] = {}
    for rec in items:
        key = key_of(rec)
        if key is not None:
            groups.setdefault(key, []).append(rec)
    return {k: outcome_summary(v) for k, v in sorted(groups.items())}


# ── Децилі рангу ──
def rank_edges(items: Sequence[SignalRec], n: int = DECILES) -> list[float]:
    """Внутрішні межі децилів рангу (n − 1 квантилів рангу всіх кандидатів)."""
    ranks = np.asarray([v for r in items if (v := finite_or_none(r.get("rank"))) is not None], dtype=np.float64)
    if not ranks.shape[0]:
        return []
    return [float(q) for q in np.quantile(ranks, [k / n for k in range(1, n)])]


def decile_of(rank: float, edges: Sequence[float]) -> int:
    """Номер децилю 1…n (межа належить вищому децилю)."""
    return int(np.searchsorted(np.asarray(edges), rank, side="right")) + 1


def _spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 3:
        return None
    rx = np.argsort(np.argsort(np.asarray(xs))).astype(np.float64)
    ry = np.argsort(np.argsort(np.asarray(ys))).astype(np.float64)
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def decile_table(items: Sequence[SignalRec], horizon: int = 60) -> dict[str, Any]:
    """Таблиця децилів рангу: межі, зведення кожного децилю і монотонність (Спірмен) на горизонті."""
    edges = rank_edges(items)
    rows: dict[str, dict[str, Any]] = {}
    if edges:
        buckets: dict[int, list[SignalRec]] = {}
        for rec in items:
            rank = finite_or_none(rec.get("rank"))
            if rank is not None:
                buckets.setdefault(decile_of(rank, edges), []).append(rec)
        for d in range(1, DECILES + 1):
            rows[f"D{d:02d}"] = outcome_summary(buckets.get(d, []))
    xs = [float(k) for k, row in enumerate(rows.values(), 1) if row.get(f"mean_fwd_{horizon}") is not None]
    ys = [float(row[f"mean_fwd_{horizon}"]) for row in rows.values() if row.get(f"mean_fwd_{horizon}") is not None]
    return {"edges": edges, "horizon_min": horizon, "rows": rows, "spearman": _spearman(xs, ys)}


# ── Калібрування впевненості ──
def confidence_calibration(items: Sequence[SignalRec], bins: int = 10) -> list[dict[str, Any]]:
    """Кошики впевненості Stage2 [k/bins, (k+1)/bins) проти частки TP першим (завершені наслідки)."""
    rows: list[dict[str, Any]] = []
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        group = []
        for rec in items:
            conf = finite_or_none(rec.get("confidence"))
            o = rec.get("outcome") or {}
            if conf is None or not o.get("complete"):
                continue
            if lo <= conf < hi or (k == bins - 1 and conf == 1.0):
                group.append(rec)
        tp = sum(1 for r in group if r["outcome"].get("first") == "tp")
        confs = [c for r in group if (c := finite_or_none(r.get("confidence"))) is not None]
        rows.append(
            {
                "bin": [round(lo, 3), round(hi, 3)],
                "cases": len(group),
                "mean_confidence": mean_or_none(confs),
                "tp_first_rate": tp / len(group) if group else None,
            }
        )
    return rows


# ── Бюджет ──
def alerts_per_symbol_day(items: Sequence[SignalRec], spans_ms: Mapping[str, int]) -> dict[str, Any]:
    """Сигналів (`surfaced`) і кандидатів на символ на добу: сума по символах / сума діб даних."""
    days = math.fsum(max(0, v) for v in spans_ms.values()) / DAY_MS
    counts = Counter(str(r.get("symbol")) for r in items if r.get("surfaced"))
    surfaced = sum(counts.values())
    by_symbol: dict[str, float] = {}
    for name, span in sorted(spans_ms.items()):
        d = span / DAY_MS
        by_symbol[name] = counts[name] / d if d > 0 else 0.0
    return {
        "symbol_days": days,
        "candidates": len(items),
        "surfaced": surfaced,
        "candidates_per_symbol_day": len(items) / days if days > 0 else None,
        "surfaced_per_symbol_day": surfaced / days if days > 0 else None,
        "max_symbol_surfaced_per_day": max(by_symbol.values()) if by_symbol else None,
        "by_symbol": by_symbol,
    }


def _kind_key(rec: SignalRec) -> str | None:
    kind = rec.get("kind")
    return str(kind) if kind else None


def quality_section(
    signals: Sequence[SignalRec], spans_ms: Mapping[str, int]
) -> dict[str, Any]:
    """Розділ звіту «якість сигналів» (див. опис модуля)."""
    budget_reasons: dict[str, int] = {}
    for rec in signals:
        reason = str(rec.get("budget_reason"))
        budget_reasons[reason] = budget_reasons.get(reason, 0) + 1
    surfaced = [r for r in signals if r.get("surfaced")]
    return {
        "horizons_min": list(SIGNAL_OUTCOME_HORIZONS),
        "budget": alerts_per_symbol_day(signals, spans_ms),
        "budget_reasons": dict(sorted(budget_reasons.items())),
        "all_candidates": outcome_summary(signals),
        "surfaced": outcome_summary(surfaced),
        "watch": outcome_summary([r for r in signals if not r.get("surfaced")]),
        "by_recommendation": grouped_outcomes(signals, lambda r: str(r.get("recommendation") or "none")),
        "by_kind": grouped_outcomes(signals, _kind_key),
        "by_symbol": grouped_outcomes(signals, lambda r: str(r.get("symbol"))),
        "surfaced_by_kind": grouped_outcomes(surfaced, _kind_key),
        "rank_deciles": decile_table(signals),
        "confidence_calibration": confidence_calibration(signals),
        "lifecycle": lifecycle_counts(surfaced),
    }


__all__ = [
    "DECILES",
    "alerts_per_symbol_day",
    "attach_lifecycles",
    "attach_outcomes",
    "confidence_calibration",
    "decile_of",
    "decile_table",
    "grouped_outcomes",
    "lifecycle_counts",
    "outcome_summary",
    "quality_section",
    "rank_edges",
]
