"""Математика звіту на вручну складених серіях з відомими результатами."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aione.backtest.baseline import run_baseline
from aione.backtest.metrics import (
    equity_curve,
    expectancy,
    grouped_summary,
    max_drawdown,
    profit_factor,
    summarize,
)
from aione.backtest.report import build_report, clean, report_bytes
from aione.backtest.runner import BacktestResult, RunSpec


def _t(i: int, reason: str, pnl: float, r: float, **kw: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "trade_id": f"T{i}",
        "symbol": kw.get("symbol", "AAAUSDT"),
        "side": kw.get("side", "BUY"),
        "recommendation": kw.get("recommendation", "STRONG_BUY"),
        "triggers": kw.get("triggers", ["volume_spike"]),
        "decision_ts": i * 1000 - 500,
        "exit_ts": i * 1000,
        "close_reason": reason,
        "pnl_pct": pnl,
        "r": r,
        "mae_pct": kw.get("mae", 0.0),
        "mfe_pct": kw.get("mfe", 0.0),
        "holding_sec": kw.get("hold", 60.0),
    }
    return rec


# П'ять угод: TP +3R, SL −1R, SL −1R, час +0.5R, TP +2R (1R = 1 %).
SERIES = [
    _t(1, "tp_hit", 3.0, 3.0, mae=0.2, mfe=3.0, hold=600.0, triggers=["volume_spike", "breakout_up"]),
    _t(
        2,
        "sl_hit",
        -1.0,
        -1.0,
        mae=1.0,
        mfe=0.4,
        hold=120.0,
        symbol="BBBUSDT",
        side="SELL",
        recommendation="STRONG_SELL",
    ),
    _t(3, "sl_hit", -1.0, -1.0, mae=1.0, mfe=0.0, hold=60.0),
    _t(4, "time_exit", 0.5, 0.5, mae=0.3, mfe=0.9, hold=14400.0, symbol="BBBUSDT"),
    _t(5, "tp_hit", 2.0, 2.0, mae=0.1, mfe=2.0, hold=300.0, recommendation="BUY_IN_DIPS"),
]


def test_summary_of_known_series() -> None:
    s = summarize(SERIES, signals=9)
    assert s["signals"] == 9 and s["trades"] == 5
    assert (s["tp_hits"], s["sl_hits"]) == (2, 2)
    assert s["exits"] == {"sl_hit": 2, "time_exit": 1, "tp_hit": 2}
    assert s["hit_rate"] == pytest.approx(2 / 5)
    assert s["hit_rate_resolved"] == pytest.approx(2 / 4)
    assert s["win_rate"] == pytest.approx(3 / 5)
    assert s["avg_return_pct"] == pytest.approx(3.5 / 5)
    assert s["median_return_pct"] == pytest.approx(0.5)
    assert s["avg_r"] == pytest.approx(0.7) and s["median_r"] == pytest.approx(0.5)
    # P(win)·avg win − P(loss)·avg loss = 3/5·(5.5/3) − 2/5·1 = 0.7
    assert s["expectancy_r"] == pytest.approx(0.7)
    assert s["profit_factor"] == pytest.approx(5.5 / 2.0)
    # капітал: 3, 2, 1, 1.5, 3.5 → найбільше падіння 3 → 1
    assert s["max_drawdown_pct"] == pytest.approx(2.0) and s["max_drawdown_r"] == pytest.approx(2.0)
    assert s["avg_mae_pct"] == pytest.approx(2.6 / 5) and s["avg_mfe_pct"] == pytest.approx(6.3 / 5)
    assert s["avg_holding_sec"] == pytest.approx(15480.0 / 5) and s["median_holding_sec"] == 300.0
    assert s["total_r"] == pytest.approx(3.5)


def test_equity_follows_closing_order_not_input_order() -> None:
    shuffled = [SERIES[3], SERIES[0], SERIES[4], SERIES[2], SERIES[1]]
    assert [v for _, v in equity_curve(shuffled)] == pytest.approx([3.0, 2.0, 1.0, 1.5, 3.5])
    assert [ts for ts, _ in equity_curve(shuffled)] == [1000, 2000, 3000, 4000, 5000]


def test_edge_cases() -> None:
    assert max_drawdown([]) == 0.0
    assert max_drawdown([-1.0, -3.0, 2.0]) == pytest.approx(3.0)  # від стартового нуля
    assert profit_factor([1.0, 2.0]) is None  # без програшів
    assert profit_factor([-1.0]) == 0.0
    assert expectancy([]) is None
    empty = summarize([], signals=0)
    assert empty["trades"] == 0 and empty["hit_rate"] is None and empty["avg_r"] is None
    nan_r = summarize([_t(1, "manual", 0.1, math.nan)])
    assert nan_r["avg_r"] is None and nan_r["avg_return_pct"] == pytest.approx(0.1)


def test_groups_count_a_trade_under_each_trigger() -> None:
    signals = [{"triggers": ["volume_spike"], "recommendation": "HOLD", "symbol": "AAAUSDT"}] * 2
    by_trigger = grouped_summary(SERIES, signals, lambda t: t["triggers"])  # type: ignore[arg-type, index]
    assert by_trigger["volume_spike"]["trades"] == 5
    assert by_trigger["volume_spike"]["signals"] == 2
    assert by_trigger["breakout_up"]["trades"] == 1 and by_trigger["breakout_up"]["signals"] == 0
    by_symbol = grouped_summary(SERIES, [], lambda t: [str(t["symbol"])])
    assert by_symbol["BBBUSDT"]["trades"] == 2
    assert by_symbol["BBBUSDT"]["avg_r"] == pytest.approx(-0.25)


def test_report_groups_and_clean_json(tmp_path: Path) -> None:
    result = BacktestResult(RunSpec(tmp_path, ("AAAUSDT", "BBBUSDT")), symbol_bars=10, trades=list(SERIES))
    result.signals = [
        {
            "symbol": "AAAUSDT",
            "recommendation": "STRONG_BUY",
            "triggers": ["volume_spike"],
            "side": "BUY",
            "status": "completed",
        }
    ]
    report = build_report(result, {"seed": 1, "requested": 1, "created": 1, "trades": SERIES[:2]})
    assert set(report["by_recommendation"]) == {"BUY_IN_DIPS", "STRONG_BUY", "STRONG_SELL"}
    assert report["by_recommendation"]["STRONG_BUY"]["trades"] == 3  # T1, T3, T4
    assert report["vs_baseline"]["avg_r"]["diff"] == pytest.approx(0.7 - 1.0)
    assert clean({"a": math.inf, "b": (1.23456789, 2)}) == {"a": None, "b": [1.234568, 2]}
    assert report_bytes(report) == report_bytes(
        build_report(result, {"seed": 1, "requested": 1, "created": 1, "trades": SERIES[:2]})
    )


# ── Базова лінія: той самий Stage3 на відомих барах ──
def _write_bars(root: Path, symbol: str, closes: list[float], highs: list[float], lows: list[float]) -> None:
    n = len(closes)
    t0 = 1_700_000_000_000 - 1_700_000_000_000 % 86_400_000
    table = pa.table(
        {
            "open_time": np.arange(n, dtype=np.int64) * 60_000 + t0,
            "open": np.asarray([closes[0], *closes[:-1]], dtype=np.float64),
            "high": np.asarray(highs, dtype=np.float64),
            "low": np.asarray(lows, dtype=np.float64),
            "close": np.asarray(closes, dtype=np.float64),
            "volume": np.ones(n, dtype=np.float64),
        }
    )
    pq.write_table(table, root / f"{symbol}.parquet")


def test_baseline_trades_use_stage3_rules_on_known_bars(tmp_path: Path) -> None:
    # Ціна 100 три бари, потім 101, 102, 103 (high +0.5): TP BUY 102 з SL 99 → tp_hit на 5-му барі.
    closes = [100.0, 100.0, 100.0, 101.0, 102.0, 103.0]
    opens = [closes[0], *closes[:-1]]  # як у `_write_bars`: low не вище open, інакше бар невалідний
    lows = [min(o, c) - 0.1 for o, c in zip(opens, closes, strict=True)]
    _write_bars(tmp_path, "AAAUSDT", closes, [c + 0.5 for c in closes], lows)
    t0 = int(pq.read_table(tmp_path / "AAAUSDT.parquet").column("open_time")[0].as_py())
    decision = {
        "symbol": "AAAUSDT",
        "timestamp": t0 + 60_000,
        "status": "completed",
        "recommendation": "STRONG_BUY",
        "market_context": {"scenario": None, "volatility_regime": None},
        "confidence_metrics": {"composite_confidence": 1.0},
        "risk_parameters": {"entry": 100.0, "tp": 102.0, "sl": 99.0, "atr": 1.0, "tick_size": 0.01},
    }
    closed, created = run_baseline(RunSpec(tmp_path), [decision])
    assert created == 1 and len(closed) == 1
    trade = closed[0]
    assert (
        trade["entry_ts"] == t0 + 2 * 60_000 and trade["entry_price"] == 100.0
    )  # наступна ціна після рішення
    assert trade["close_reason"] == "tp_hit" and trade["exit_price"] == 102.0
    fees = 0.0004 * (1 + 102.0 / 100.0) * 100
    assert trade["pnl_pct"] == pytest.approx(2.0 - fees)
    assert trade["r"] == pytest.approx((2.0 - fees) / 1.0)
