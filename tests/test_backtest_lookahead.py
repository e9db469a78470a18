"""Перевірка погляду вперед: проходить на справжньому ядрі, падає на монітору, що підглядає."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aione.app.pipeline import PipelineCore
from aione.backtest.lookahead import LookaheadError, check_lookahead, first_difference
from aione.backtest.runner import Overrides, RunSpec, run_backtest, stage_params
from aione.data.bars import BarArrays, BarEvent
from aione.data.unified_store import UnifiedDataStore
from aione.exchange.replay import load_series
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.batch_monitor import batch_new_alerts
from aione.stage1.result import Stage1Result
from aione.stage3.trade_manager import TradeManager

SYMBOLS = ("SOLUSDT", "SUIUSDT")
END_MS = 1746373980000 + 20 * 3_600_000


class PeekingMonitor(AssetMonitor):
    """Тестовий двійник з витоком: алерт, коли НАСТУПНИЙ бар закриється вище за поточний.

    Наступний бар береться з того самого джерела даних, що й у прогону (як із заздалегідь
    заповненого кешу), тож коли дані обрізано після t, на барі t підглянути вже нічого."""

    def __init__(self, spec: RunSpec, params: Overrides | None) -> None:
        super().__init__(stage_params(params)[0])
        self._next: dict[tuple[str, int], float] = {}
        for name, bars in load_series(spec.data_dir, spec.symbols).items():
            t, c = bars.open_time.tolist(), bars.close.tolist()
            stop = len(t) if spec.end_ms is None else sum(1 for x in t if x <= spec.end_ms)
            for i in range(stop - 1):
                self._next[(name, t[i])] = c[i + 1]

    def update(self, event: BarEvent) -> Stage1Result:
        result = super().update(event)
        nxt = self._next.get((event.symbol, event.bar.open_time))
        leak = nxt is not None and nxt > event.bar.close * 1.002
        return replace(result, new_alert=leak and result.closed)


def _leaky_core(spec: RunSpec, overrides: Overrides | None) -> PipelineCore:
    _, p2, p3 = stage_params(overrides)
    return PipelineCore(
        UnifiedDataStore(), PeekingMonitor(spec, overrides), TradeManager(p3), stage2_params=p2
    )


def test_real_pipeline_passes(data_1m: Path) -> None:
    spec = RunSpec(data_1m, SYMBOLS, None, END_MS)
    report = check_lookahead(spec, samples=4, seed=3)
    assert len(report.checked_ts) >= 3
    assert report.compared > 0  # рішення справді порівнювались


def test_leaky_monitor_is_caught(data_1m: Path) -> None:
    spec = RunSpec(data_1m, SYMBOLS, None, END_MS)
    full = run_backtest(spec, core_factory=_leaky_core)
    assert full.signals, "the leaky double must produce decisions to be caught on"
    with pytest.raises(LookaheadError, match=r"decision #\d+ differs when data ends at t="):
        check_lookahead(spec, samples=2, seed=3, core_factory=_leaky_core, full=full)


def test_first_difference_names_the_position() -> None:
    a = [("signal", 1, "X"), ("trade", 2, "X")]
    assert first_difference(a, list(a)) is None
    assert first_difference(a, a[:1]) == (1, ("trade", 2, "X"), None)
    assert first_difference(a, [("signal", 1, "Y")]) == (0, ("signal", 1, "X"), ("signal", 1, "Y"))


def _leaky_batch_alerts(
    symbol: str, bars: BarArrays, params: Mapping[str, Any], timeframe: str
) -> list[Stage1Result]:
    """Пакетний Stage1 з витоком, типовим для векторного коду: справжні алерти двійника, але
    лише ті, після яких НАСТУПНИЙ бар закрився вище (зсув масиву на крок уперед)."""
    close = bars.close.tolist()
    rows = {t: i for i, t in enumerate(bars.open_time.tolist())}
    out = []
    for alert in batch_new_alerts(symbol, bars, params, timeframe=timeframe):
        i = rows[alert.timestamp]
        if i + 1 < len(close) and close[i + 1] > close[i]:
            out.append(alert)
    return out


def test_leaky_batch_stage1_is_caught(data_1m: Path) -> None:
    """Перевірка працює і на пакетному рушії: вектор, що зазирає на бар уперед, ловиться."""
    spec = RunSpec(data_1m, SYMBOLS, None, END_MS)
    full = run_backtest(spec, alerts_fn=_leaky_batch_alerts)
    assert full.signals
    with pytest.raises(LookaheadError, match=r"decision #\d+ differs when data ends at t="):
        check_lookahead(spec, samples=3, seed=3, full=full, alerts_fn=_leaky_batch_alerts)
    with pytest.raises(ValueError, match="batch engine only"):
        run_backtest(spec, engine="event", alerts_fn=_leaky_batch_alerts)
