"""Базова лінія для порівняння: випадкові входи з тими самими правилами TP/SL і тим самим Stage3.

Правила (усе детерміноване від `seed`):
- кількість входів = кількість угод, створених стратегією (сигнали з `trade_id`); сторони — ті
  самі (BUY/SELL), переставлені seeded-генератором, тож розподіл сторін однаковий;
- момент входу — випадковий (без повторів) закритий бар прогону, після прогріву
  (`warmup` барів символу, щоб ATR був зрілим) і не останній бар символу;
- план: entry = close бару рішення, TP = entry ± `tp_mult`·база, SL = entry ∓ `sl_mult`·база
  (множники Stage2; база — та сама, що в Stage2: `volatility_basis` з ATR(1m) — Wilder
  ATR(`atr_period`) Stage1 у batch-формі, що доведено дорівнює інкрементній, — і ATR старшого ТФ
  з вікна `context_bars` 1m барів до бару рішення), прив'язка до тіку як у Stage2
  (`finalize_targets`), без рівнів;
- ті самі правила витрат Stage2 (`cost_verdict`): вхід, план якого Stage2 не пропустив би
  (стоп усередині комісій, чистий R/R нижче мінімуму), замінюється наступним випадковим;
- виконання — свіжий `TradeManager` з параметрами Stage3 над тими самими барами у тому самому
  порядку: вхід на наступному оновленні, TP/SL за high/low, беззбиток, трейлінг, часова зупинка.
  Рішення подається після бару рішення (як у ядрі: спершу угоди бачать бар, потім Stage2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aione.backtest.runner import BacktestResult, Overrides, RunSpec, stage_params, trade_record
from aione.config.config import STAGE2_STATUS
from aione.data.bars import BarArrays
from aione.data.tick_snapshot import recorded_ticks
from aione.exchange.replay import iter_replay, load_series
from aione.indicators import atr as batch_atr
from aione.stage2.risk import cost_verdict, finalize_targets
from aione.stage2.volatility import htf_atr, volatility_basis
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import EVENT_CLOSED, EVENT_PENDING
from aione.utils.utils import get_tick_size

DEFAULT_SEED = 20250509
_RECS = {"BUY": "STRONG_BUY", "SELL": "STRONG_SELL"}


# ── Вибір входів ──
def _window(bars: BarArrays, spec: RunSpec) -> tuple[int, int]:
    t = bars.open_time
    lo = 0 if spec.start_ms is None else int(np.searchsorted(t, spec.start_ms, side="left"))
    hi = len(t) if spec.end_ms is None else int(np.searchsorted(t, spec.end_ms, side="right"))
    return lo, hi


def random_decisions(
    spec: RunSpec,
    sides: Sequence[str],
    overrides: Overrides | None = None,
    *,
    seed: int = DEFAULT_SEED,
    warmup: int = 240,
) -> list[dict[str, Any]]:
    """Записи «рішень Stage2» для випадкових входів (правила — в описі модуля)."""
    if not sides:
        return []
    p1, p2, _ = stage_params(overrides)
    series = load_series(spec.data_dir, spec.symbols)
    names = sorted(series)
    ticks = recorded_ticks(spec.data_dir, names)  # тік символу, як у ядрі бектесту
    period = int(p1["atr_period"])
    atrs: dict[str, np.ndarray] = {}
    pools: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    for k, name in enumerate(names):
        bars = series[name]
        lo, hi = _window(bars, spec)
        if hi - lo < warmup + 2:
            continue
        a = batch_atr(bars.high[lo:hi], bars.low[lo:hi], bars.close[lo:hi], period)
        atrs[name] = a
        idx = np.arange(warmup, hi - lo - 1, dtype=np.int64)
        idx = idx[np.isfinite(a[idx]) & (a[idx] > 0)]
        pools.append(idx)
        owners.append(np.full(idx.shape[0], k, dtype=np.int64))
    if not pools:
        return []
    pool_idx = np.concatenate(pools)
    pool_sym = np.concatenate(owners)
    rng = np.random.default_rng(seed)
    count = min(len(sides), pool_idx.shape[0])
    order = rng.permutation(pool_idx.shape[0])  # кандидати у випадковому порядку; беруться перші придатні
    shuffled = [str(s) for s in rng.permutation(np.asarray(list(sides), dtype=object))[:count]]
    tp_mult, sl_mult = float(p2["tp_mult"]), float(p2["sl_mult"])
    htf_minutes, htf_period = int(p2["atr_basis_minutes"]), int(p2["atr_basis_period"])
    floor, fee_rate = float(p2["atr_basis_floor_1m"]), float(p2["fee_rate"])
    min_stop, min_rr = float(p2["min_stop_cost_mult"]), float(p2["min_risk_reward"])
    window = int(p2["context_bars"])
    out: list[dict[str, Any]] = []
    for pick in order.tolist():
        if len(out) == count:
            break
        side = shuffled[len(out)]
        name = names[int(pool_sym[pick])]
        i = int(pool_idx[pick])
        bars = series[name]
        lo, _ = _window(bars, spec)
        entry = float(bars.close[lo + i])
        atr_1m = float(atrs[name][i])
        ctx_bars = bars.slice(max(lo, lo + i + 1 - window), lo + i + 1)
        atr_htf = htf_atr(ctx_bars, htf_minutes, htf_period) if htf_minutes > 1 else float("nan")
        atr_v = volatility_basis(atr_1m, atr_htf, floor)
        if not atr_v > 0:
            continue
        sign = 1.0 if side == "BUY" else -1.0
        tick = get_tick_size(name, entry, ticks.get(name))
        plan = finalize_targets(
            "BUY" if side == "BUY" else "SELL",
            entry,
            entry + sign * tp_mult * atr_v,
            entry - sign * sl_mult * atr_v,
            tick,
        )
        if cost_verdict(plan, fee_rate, min_stop, min_rr) is not None:
            continue
        out.append(
            {
                "symbol": name,
                "timestamp": int(bars.open_time[lo + i]),
                "status": STAGE2_STATUS["COMPLETED"],
                "recommendation": _RECS[side],
                "side": side,
                "market_context": {"scenario": None, "volatility_regime": None, "atr": atr_v},
                "confidence_metrics": {"composite_confidence": 1.0},
                "risk_parameters": {
                    "entry": plan.entry,
                    "tp": plan.tp,
                    "sl": plan.sl,
                    "atr": atr_v,
                    "tick_size": tick,
                    "tags": ["random_baseline"],
                },
            }
        )
    out.sort(key=lambda d: (d["timestamp"], d["symbol"]))
    return out


# ── Виконання ──
def run_baseline(
    spec: RunSpec,
    decisions: Sequence[Mapping[str, Any]],
    overrides: Overrides | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Проганяє випадкові рішення через свіжий `TradeManager`; (закриті угоди, скільки відкрито)."""
    _, _, p3 = stage_params(overrides)
    # Поріг впевненості Stage3 не має відсіювати випадкові входи: у них впевненість 1.0.
    trades = TradeManager(p3)
    by_key: dict[tuple[int, str], list[Mapping[str, Any]]] = {}
    for d in decisions:
        by_key.setdefault((int(d["timestamp"]), str(d["symbol"])), []).append(d)
    closed: list[dict[str, Any]] = []
    created = 0
    for event in iter_replay(spec.data_dir, spec.symbols, spec.start_ms, spec.end_ms):
        bar = event.bar
        events = trades.on_bar(event.symbol, bar)
        events = events + trades.refresh_if_due(bar.open_time)
        todo = by_key.get((bar.open_time, event.symbol))
        if todo:
            for d in todo:
                trades.on_decision(d)
                events = events + trades.last_events
        for ev in events:
            if ev.kind == EVENT_CLOSED:
                closed.append(trade_record(ev.trade, ["random"]))
            elif ev.kind == EVENT_PENDING:
                created += 1
    return closed, created


def baseline_for(
    result: BacktestResult, overrides: Overrides | None = None, *, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """Базова лінія до прогону стратегії: рішення, закриті угоди, скільки входів запитано/створено."""
    sides = [str(s["side"]) for s in result.signals if s.get("trade_id")]
    decisions = random_decisions(result.spec, sides, overrides, seed=seed)
    closed, created = run_baseline(result.spec, decisions, overrides)
    return {"seed": seed, "requested": len(sides), "created": created, "trades": closed}


__all__ = ["DEFAULT_SEED", "baseline_for", "random_decisions", "run_baseline"]
