"""Stage3 на записаних 1m барах: інваріанти угод і перезапуск посеред реплею без розбіжностей."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aione.data.bars import BarArrays, read_bars_parquet
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import Trade
from aione.stage3.trade_store import DiskTradeStore, restore_manager, save_manager

pytestmark = pytest.mark.slow
N_BARS = 6000
EVERY = 97  # рішення кожні ~1.5 години, чергуючи BUY і SELL
HTF_BARS = 14 * 15  # 1m барів на ATR бази


def synthetic_decision(bars: BarArrays, i: int, k: int) -> dict[str, Any]:
    """Рішення «Stage2» на закритті бару i: ціль 3 ATR, стоп 1 ATR (ATR — середній діапазон 14
    блоків по 15 барів, як база TP/SL Stage2: стоп на 1m ATR лежав би всередині комісій)."""
    lo = i + 1 - HTF_BARS
    highs = bars.high[lo : i + 1].reshape(14, 15).max(axis=1)
    lows = bars.low[lo : i + 1].reshape(14, 15).min(axis=1)
    atr = float((highs - lows).mean())
    price = float(bars.close[i])
    buy = k % 2 == 0
    return {
        "symbol": "SOLUSDT",
        "timestamp": int(bars.open_time[i]),
        "status": "completed",
        "recommendation": "STRONG_BUY" if buy else "STRONG_SELL",
        "market_context": {"scenario": "RANGE_BOUND", "atr": atr, "volatility_regime": "normal"},
        "confidence_metrics": {"composite_confidence": 0.8},
        "risk_parameters": {
            "entry": price,
            "tp": price + 3 * atr if buy else price - 3 * atr,
            "sl": price - atr if buy else price + atr,
            "atr": atr,
            "tick_size": 0.01,
        },
    }


def replay(tm: TradeManager, bars: BarArrays, start: int, stop: int) -> None:
    for i in range(start, stop):
        tm.on_bar("SOLUSDT", bars.bar(i))
        if i % 60 == 0:
            tm.refresh(int(bars.open_time[i]))
        if i >= HTF_BARS and i % EVERY == 0:
            tm.on_decision(synthetic_decision(bars, i, i // EVERY))


@pytest.fixture(scope="module")
def bars(data_1m: Path) -> BarArrays:
    return read_bars_parquet(data_1m / "SOLUSDT.parquet").slice(0, N_BARS)


def test_trades_on_real_bars_respect_invariants(bars: BarArrays) -> None:
    tm = TradeManager()
    replay(tm, bars, 0, N_BARS)
    closed: list[Trade] = tm.recent_trades()
    assert len(closed) > 20
    reasons = {t.close_reason for t in closed}
    assert {"tp_hit", "sl_hit"} <= reasons
    index = {int(t): i for i, t in enumerate(bars.open_time)}
    for t in closed:
        assert t.entry_ts is not None and t.exit_ts is not None and t.entry_price is not None
        assert t.entry_ts > t.decision_ts  # вхід лише після рішення
        entry_bar = index[t.entry_ts]
        assert t.entry_price == bars.open[entry_bar]  # на відкритті наступного бару
        exit_bar = index.get(t.exit_ts)
        if t.close_reason in ("tp_hit", "sl_hit"):
            assert exit_bar is not None
            assert bars.low[exit_bar] <= t.exit_price <= bars.high[exit_bar]  # вихід — ціна, що торгувалась
        if t.close_reason == "tp_hit":
            assert t.move_pct(t.exit_price) > 0
        if t.close_reason == "sl_hit" and not t.breakeven_done:
            assert t.r_multiple() <= -1.0 + 1e-9  # повний стоп плюс комісії
        assert direction_ok(t)
        assert t.mfe_pct >= 0 and t.mae_pct >= 0
    r = np.array([t.r_multiple() for t in closed])
    assert np.isfinite(r).all()


def direction_ok(t: Trade) -> bool:
    """Стоп угоди ніколи не гірший за початковий."""
    return t.direction * (t.sl - t.initial_sl) >= 0


async def test_restart_mid_replay_matches_uninterrupted(bars: BarArrays, tmp_path: Path) -> None:
    straight = TradeManager()
    replay(straight, bars, 0, N_BARS)

    first = TradeManager()
    half = (N_BARS // 2 // EVERY + 1) * EVERY + 3  # три бари після рішення: угода в житті
    replay(first, bars, 0, half)
    assert first.active_trades(), "half-way point should have an active trade to restore"
    store = DiskTradeStore(tmp_path)
    await save_manager(store, first)
    resumed = TradeManager()
    await restore_manager(store, resumed)
    replay(resumed, bars, half, N_BARS)

    assert resumed.recent_trades() == straight.recent_trades()
    assert resumed.active_trades() == straight.active_trades()
