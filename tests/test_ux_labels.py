"""Значення колонок людськими словами: оборот за 24 год (зі сховища, з кешем до нового бару),
рекомендації й наслідки угод у мові UI (трейлінг-стоп у прибутку — не `sl_hit`), легенда в терміналі."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from aione.app.turnover import Turnover24h, turnover_24h
from aione.data.bars import read_bars_parquet
from aione.data.ram_store import RamStore
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_model import EVENT_CLOSED, Trade, TradeEvent
from aione.ui.labels import outcome_key, outcome_label, recommendation_label
from aione.ui.ui_render import COLUMNS, render_table

DAY_MS = 86_400_000


class _CountingStore(RamStore):
    """Справжнє RAM-сховище, що рахує читання барів (перевірка кешу обороту)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_bars(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return super().get_bars(*args, **kwargs)


def test_outcome_labels_read_like_a_trader_would() -> None:
    assert outcome_label("sl_hit", 0.4, trailing=True) == "трейлінг-стоп, +0.40 %"
    assert outcome_label("sl_hit", 0.4, trailing=True, locale="en") == "trailing stop, +0.40 %"
    assert outcome_label("sl_hit", -0.05, trailing=False, breakeven=True) == "стоп у беззбитку, -0.05 %"
    assert outcome_label("sl_hit", -1.2, trailing=False, breakeven=False) == "стоп-лос, -1.20 %"
    assert outcome_key("sl_hit", 0.3) == "trailing_stop"  # прапорців немає, але стоп у прибутку
    assert outcome_label("tp_hit", 1.5) == "тейк-профіт, +1.50 %"
    assert outcome_label("time_exit", None, locale="en") == "time exit"
    assert recommendation_label("BUY_IN_DIPS") == "купувати на відкатах"
    assert recommendation_label("STRONG_SELL", "en") == "strong sell"
    assert recommendation_label("NEW_CODE") == "NEW_CODE" and recommendation_label(None) is None


def test_turnover_24h_sums_the_last_day_and_caches_until_a_new_bar(data_1m: Path) -> None:
    full = read_bars_parquet(data_1m / "BTCUSDT.parquet")
    store = _CountingStore()
    store.put_bars("BTCUSDT", "1m", full.slice(0, 3000))
    tracker = Turnover24h(store)
    value = tracker("BTCUSDT")
    expected = float(np.sum(full.quote_volume[3000 - 1440 : 3000]))  # бари з open_time у (t−24 год, t]
    assert value == expected and value > 1e9
    assert turnover_24h(full.open_time[:3000], full.quote_volume[:3000]) == expected
    assert tracker("BTCUSDT") == value and store.reads == 1  # той самий останній бар: з кешу
    store.put_bars("BTCUSDT", "1m", full.slice(3000, 3001))
    assert tracker("BTCUSDT") == float(np.sum(full.quote_volume[3001 - 1440 : 3001])) and store.reads == 2
    assert tracker("ETHUSDT") is None
    # дірка в даних: бари старші за добу не рахуються, навіть якщо їх у буфері менше за 1440
    gap = np.array([0, 60_000, DAY_MS + 120_000], dtype=np.int64)
    assert turnover_24h(gap, np.array([1.0, 2.0, 4.0])) == 4.0


def closed_trailing_trade() -> Trade:
    return Trade(
        trade_id="SOL-1", symbol="SOLUSDT", side="BUY", status="closed", decision_ts=0,
        recommendation="BUY_IN_DIPS", confidence=0.8, planned_entry=100.0, tp=103.0, sl=100.5,
        initial_sl=99.0, atr=1.0, tick_size=0.01, fee_rate=0.0, entry_price=100.0, entry_ts=60_000,
        last_price=100.4, last_ts=600_000, exit_price=100.4, exit_ts=600_000, close_reason="sl_hit",
        breakeven_done=True, trailing_active=True,
    )  # fmt: skip


def _render(frame: dict[str, Any]) -> str:
    console = Console(record=True, width=260, file=io.StringIO(), color_system=None)
    console.print(render_table(frame, frame["ts"]))
    return console.export_text()


def test_terminal_shows_turnover_human_labels_and_legend() -> None:
    agg = AssetStateAggregator(["SOLUSDT", "BTCUSDT"])
    agg.turnover_source = {"SOLUSDT": 2.5e9, "BTCUSDT": 1.7e10}.get
    for sym, price in (("SOLUSDT", 100.4), ("BTCUSDT", 104_000.0)):
        agg.on_stage1({"symbol": sym, "timestamp": 600_000, "signal": "ALERT" if sym == "BTCUSDT" else "NORMAL",
                       "stats": {"price": price, "volume_usd": 1e6, "price_change_pct": 1.0}})  # fmt: skip
    agg.on_stage2({"symbol": "BTCUSDT", "timestamp": 600_000, "status": "completed",
                   "recommendation": "STRONG_SELL", "confidence_metrics": {"composite_confidence": 0.7}})  # fmt: skip
    agg.on_trade_events([TradeEvent(EVENT_CLOSED, closed_trailing_trade())])
    frame = agg.build_frame(600_000)
    sol = next(a for a in frame["assets"] if a["symbol"] == "SOLUSDT")
    assert sol["turnover_24h_usd"] == 2.5e9 and sol["trailing"] is True
    assert frame["trades"]["recent"][0]["trailing"] is True
    text = _render(frame)
    assert "Оборот 24 год, USD" in COLUMNS and "Зміна 24 год %" in COLUMNS
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 3}
    assert "2.50B" in lines["SOLUSDT"] and "17.00B" in lines["BTCUSDT"]
    assert "лонг · трейлінг-стоп, +0.40 %" in lines["SOLUSDT"] and "sl_hit" not in text
    assert "алерт · сильний продаж" in lines["BTCUSDT"] and "STRONG_SELL" not in text
    assert "Зміна й оборот — за 24 год" in text and "Смуга — від найближчої підтримки до опору" in text
    assert "seq — номер кадру стану" in text
    en = _render({**frame, "meta": {"mode": "live", "locale": "en"}})
    assert "long · trailing stop, +0.40 %" in en and "alert · strong sell" in en and "Band: nearest support" in en
