"""Швидкий прогін базових ліній (`ReplayFrame`) дає ті самі угоди, що й еталон по кожному бару."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from aione.backtest.baseline import EntryPool, random_decisions, run_baseline
from aione.backtest.baseline_replay import ReplayFrame
from aione.backtest.baselines_multi import run_baselines
from aione.backtest.runner import BacktestResult, RunSpec, stage_params

T0 = 1746373980000  # перший бар запису
SYMBOLS = ("BTCUSDT", "SOLUSDT", "SUIUSDT")
SIDES = ["BUY", "SELL", "BUY"] * 80


def _same(
    spec: RunSpec, pool: EntryPool, decisions: list[dict[str, object]], overrides: dict | None = None
) -> int:
    frame = ReplayFrame(spec, pool.series)
    full = run_baseline(spec, decisions, overrides)
    fast = frame.run(decisions, stage_params(overrides)[2])
    assert fast == full
    return full[1]


def test_fast_replay_equals_full_replay_on_real_bars(data_1m: Path) -> None:
    spec = RunSpec(data_1m, SYMBOLS, T0 + 3_600_000, T0 + 72 * 3_600_000)
    pool = EntryPool(spec)
    reasons: set[str] = set()
    for seed in (1, 2, 3):
        decisions = pool.random(SIDES, seed)
        assert decisions == random_decisions(spec, SIDES, seed=seed)
        full, created = run_baseline(spec, decisions)
        assert created > 100 and full
        assert ReplayFrame(spec, pool.series).run(decisions, stage_params(None)[2]) == (full, created)
        reasons |= {str(t["close_reason"]) for t in full}
    # Перевірено всі шляхи закриття, зокрема часову зупинку (через планове оновлення) і протилежний сигнал.
    assert {"sl_hit", "tp_hit", "time_exit", "early_exit"} <= reasons


def test_fast_replay_equals_full_replay_with_gaps_and_short_limits(data_1m: Path, tmp_path: Path) -> None:
    """Пропуски в барах одного символу (очікуюча угода скасовується тайм-аутом на плановому
    оновленні) і короткі межі часу (часова зупинка здебільшого з оновлення, не з бару)."""
    for name in ("ADAUSDT", "SOLUSDT", "XRPUSDT"):
        table = pq.read_table(data_1m / f"{name}.parquet")
        if name == "SOLUSDT":
            keep = np.ones(table.num_rows, dtype=bool)
            for start in range(400, 4000, 97):
                keep[start : start + 3 + start % 9] = False
            table = table.filter(pa.array(keep))
        pq.write_table(table, tmp_path / f"{name}.parquet")
    spec = RunSpec(tmp_path, None, T0 + 2 * 3_600_000, T0 + 60 * 3_600_000)
    for overrides in (None, {"stage3": {"max_holding_sec": 900, "entry_timeout_sec": 120}}):
        pool = EntryPool(spec, overrides)
        # Рішення SOL на барі перед кожним пропуском: вхід чекає на бар, якого ще довго не буде.
        t = pool.series["SOLUSDT"].open_time
        lo, hi = pool.rows["SOLUSDT"]
        before_gap = [i for i in range(lo, hi - 1) if t[i + 1] - t[i] > 60_000]
        gapped = [pool.decision("SOLUSDT", i - lo, "BUY" if i % 2 else "SELL", "gap") for i in before_gap]
        decisions = [d for d in gapped if d is not None] + pool.random(["BUY", "SELL"] * 60, 5)
        decisions.sort(key=lambda d: (d["timestamp"], d["symbol"]))
        created = _same(spec, pool, decisions, overrides)
        assert created > 60


def test_forced_side_decisions_follow_strategy_bars(data_1m: Path) -> None:
    spec = RunSpec(data_1m, SYMBOLS, None, T0 + 48 * 3_600_000)
    pool = EntryPool(spec)
    rows = pool.rows["SOLUSDT"]
    t = pool.series["SOLUSDT"].open_time
    ts = [int(t[rows[0] + k]) for k in (300, 900, 1500)]
    signals = [{"symbol": "SOLUSDT", "ts": x, "side": "SELL", "trade_id": f"S{x}"} for x in ts]
    signals.append({"symbol": "SOLUSDT", "ts": ts[0] + 1, "side": "BUY", "trade_id": "off-grid"})
    longs = pool.at_signals(signals, "BUY", "always_long")
    assert [d["timestamp"] for d in longs] == ts  # бар, якого немає, пропущено
    assert all(
        d["side"] == "BUY" and d["risk_parameters"]["tp"] > d["risk_parameters"]["entry"] for d in longs
    )
    shorts = pool.at_signals(signals, "SELL", "always_short")
    for long, short in zip(longs, shorts, strict=True):
        lr, sr = long["risk_parameters"], short["risk_parameters"]
        assert lr["entry"] == sr["entry"] and lr["atr"] == sr["atr"]
        assert sr["tp"] < sr["entry"] < sr["sl"]
    _same(spec, pool, longs + shorts)


def test_run_baselines_counts_and_seeds(data_1m: Path) -> None:
    spec = RunSpec(data_1m, SYMBOLS, None, T0 + 30 * 3_600_000)
    pool = EntryPool(spec)
    t = pool.series["SUIUSDT"].open_time
    lo = pool.rows["SUIUSDT"][0]
    signals = [
        {"symbol": "SUIUSDT", "ts": int(t[lo + k]), "side": side, "trade_id": f"T{k}"}
        for k, side in ((400, "BUY"), (700, "SELL"), (1000, "BUY"))
    ]
    result = BacktestResult(
        spec, signals=[*signals, {"symbol": "SUIUSDT", "ts": 0, "side": "BUY", "trade_id": None}]
    )
    runs = run_baselines(result, seed=40, seeds=4)
    assert [r.seed for r in runs.random] == [40, 41, 42, 43]
    assert all(r.requested == 3 and r.created <= 3 for r in runs.random)
    assert runs.always_long.requested == runs.always_short.requested == 3
    assert set(runs.closes) == set(SYMBOLS)
    # Базовий seed — той самий прогін, що й еталон одного seed-а.
    full, created = run_baseline(spec, random_decisions(spec, ["BUY", "SELL", "BUY"], seed=40))
    assert runs.base() == {"seed": 40, "requested": 3, "created": created, "trades": full}
