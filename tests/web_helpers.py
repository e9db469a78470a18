"""Помічники тестів веб-панелі: джерело-черга, кадри зі справжніх записаних барів (зокрема кадр
сигнального шлюзу: сигнал з рангом і записом типу та рядок watch), `eventually`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import talib

from aione.data.bars import BarArrays, read_bars_parquet
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_model import Trade
from aione.ui.publish_full_state import assemble_frame
from aione.utils.utils import get_tick_size, round_to_tick

WEB_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "LINKUSDT", "SUIUSDT", "ENAUSDT")


# ── Джерело для тестів ──
class QueueFrameSource:
    """Джерело кадрів, у яке тест кладе кадри (`put`); `close()` завершує ітерацію."""

    _END = object()

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    def put(self, frame: Any) -> None:
        self.queue.put_nowait(frame)

    def close(self) -> None:
        self.queue.put_nowait(self._END)

    async def __aiter__(self) -> AsyncIterator[Any]:
        while True:
            item = await self.queue.get()
            if item is self._END:
                return
            yield item


async def eventually(check: Callable[[], bool], timeout: float = 10.0, step: float = 0.01) -> None:
    """Чекає, доки умова стане істинною; інакше — AssertionError (не перевірка часу, лише межа очікування)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)


# ── Кадри зі справжніх даних ──
def load_recorded(data_dir: Path, symbols: tuple[str, ...] = WEB_SYMBOLS) -> dict[str, BarArrays]:
    return {s: read_bars_parquet(data_dir / f"{s}.parquet") for s in symbols}


def _asset_row(symbol: str, bars: BarArrays, stop: int) -> dict[str, Any]:
    """Рядок активу у форматі агрегатора (`AssetRow.to_dict`) з барів до `stop` (не включно):
    прості RSI/ATR з TA-Lib, рівні — екстремуми останніх 240 барів, сигнал — з RSI."""
    window = bars.slice(max(0, stop - 1500), stop)
    close, high, low = window.close, window.high, window.low
    price = float(close[-1])
    rsi = float(talib.RSI(close, 14)[-1])
    atr = float(talib.ATR(high, low, close, 14)[-1])
    day = window.slice(max(0, len(window) - 1440))
    tick = get_tick_size(symbol, price)
    support = round_to_tick(float(np.min(low[-240:])), tick)
    resistance = round_to_tick(float(np.max(high[-240:])), tick)
    alert = rsi >= 60 or rsi <= 40
    buy = rsi <= 40
    row: dict[str, Any] = {
        "symbol": symbol,
        "state": "alert" if alert else "normal",
        "price": price,
        "price_change_pct": (price / float(day.open[0]) - 1.0) * 100.0,
        "volume_usd": float(day.quote_volume[-1]),
        "turnover_24h_usd": float(np.sum(day.quote_volume)),
        "atr_pct": atr / price * 100.0,
        "rsi": rsi,
        "band_pct": (resistance - support) / price * 100.0,
        "triggers": (["rsi_oversold", "near_low"] if buy else ["rsi_overbought", "near_high"])
        if alert
        else [],
        "signal": "ALERT" if alert else "NORMAL",
        "recommendation": ("BUY_IN_DIPS" if buy else "SELL_ON_RALLIES") if alert else "HOLD",
        "confidence": round(abs(rsi - 50.0) / 50.0, 3),
        "scenario": ("BULLISH_CONTROL" if buy else "BEARISH_CONTROL") if alert else "RANGE_BOUND",
        "tp": None,
        "sl": None,
        "trade_side": None,
        "trade_status": None,
        "close_reason": None,
        "pnl_pct": None,
        "narrative": f"{symbol}: ціна {price} між підтримкою {support} і опором {resistance}.",
        "tick_size": tick,
        "levels": [
            {"price": support, "kind": "support", "scale": "micro"},
            {"price": resistance, "kind": "resistance", "scale": "micro"},
        ],
        "updated_ts": int(bars.open_time[stop - 1]) + 60_000,
        "_atr": atr,
    }
    return row


def _trade(row: dict[str, Any], bars: BarArrays, stop: int, back: int, closed_back: int | None) -> Trade:
    """Справжня угода Stage3 (`Trade`), відкрита `back` барів тому; закрита `closed_back` барів тому."""
    side = "BUY" if row["recommendation"] != "SELL_ON_RALLIES" else "SELL"
    sign = 1.0 if side == "BUY" else -1.0
    tick, atr = row["tick_size"], row["_atr"]
    entry = float(bars.close[stop - back])
    closed = closed_back is not None
    last = float(bars.close[stop - closed_back]) if closed_back is not None else row["price"]
    return Trade(
        trade_id=f"{row['symbol']}-{back}",
        symbol=row["symbol"],
        side=side,  # type: ignore[arg-type]
        status="closed" if closed else "open",
        decision_ts=int(bars.open_time[stop - back - 1]),
        recommendation=row["recommendation"],
        confidence=0.8,
        planned_entry=entry,
        tp=round_to_tick(entry + sign * 3 * atr, tick),
        sl=round_to_tick(entry - sign * atr, tick),
        initial_sl=round_to_tick(entry - sign * atr, tick),
        atr=atr,
        tick_size=tick,
        fee_rate=0.0004,
        entry_price=entry,
        entry_ts=int(bars.open_time[stop - back]),
        last_price=last,
        exit_price=last if closed else None,
        exit_ts=int(bars.open_time[stop - closed_back]) if closed_back is not None else None,
        close_reason="time_exit" if closed else None,
    )


def visible_bars(bars: BarArrays, t_ms: int) -> int:
    """Скільки барів символу закрито на момент `t_ms` (бари різних символів вирівнюються за часом)."""
    return int(np.searchsorted(bars.open_time, t_ms - 60_000, side="right"))


def build_frame(bars: dict[str, BarArrays], t_ms: int, seq: int) -> dict[str, Any]:
    """Кадр у форматі агрегатора (`assemble_frame` з `ui.publish_full_state`) на момент `t_ms`:
    одна відкрита угода на першому символі з сигналом BUY/SELL, одна закрита — на першому символі."""
    stops = {s: visible_bars(b, t_ms) for s, b in bars.items()}
    rows = [_asset_row(s, b, stops[s]) for s, b in bars.items()]
    open_trades: list[dict[str, Any]] = []
    signalled = [r for r in rows if r["recommendation"] in ("BUY_IN_DIPS", "SELL_ON_RALLIES")]
    if signalled:
        row = signalled[0]
        trade = _trade(row, bars[row["symbol"]], stops[row["symbol"]], 30, None)
        row.update(
            tp=trade.tp,
            sl=trade.sl,
            trade_side=trade.side,
            trade_status="open",
            pnl_pct=trade.pnl_pct(row["price"]),
        )
        open_trades.append(trade.view())
    first = rows[0]
    recent = [_trade(first, bars[first["symbol"]], stops[first["symbol"]], 400, 200).view()]
    for row in rows:
        del row["_atr"]
    return assemble_frame(rows, open_trades, recent, {}, seq=seq, ts_ms=t_ms)


# ── Кадр сигнального шлюзу ──
SIGNAL_TRIGGERS = ("breakout_up", "bull_vol_spike")
SIGNAL_RECORD: dict[str, Any] = {
    "cases": 412,
    "tp_first_rate": 0.31,
    "median_move_pct": 0.12,
    "horizon_min": 60,
    "kind": "BUY|" + "+".join(SIGNAL_TRIGGERS),
}
SIGNAL_RANK: dict[str, Any] = {"score": 0.8235, "unusual": 0.71, "conviction": 0.92, "history": 48}
WATCH_RANK: dict[str, Any] = {"score": 0.3412, "unusual": 0.4, "conviction": 0.29, "history": 48}


def signal_frame(
    bars: dict[str, BarArrays], t_ms: int, seq: int, *, surfaced: str, watch: str
) -> dict[str, Any]:
    """Кадр справжнього агрегатора (`AssetStateAggregator`) зі справжніми цінами на момент `t_ms`:
    `surfaced` — кандидат, якого бюджет пропустив як сигнал (ранг і виміряний запис типу),
    `watch` — кандидат, якого бюджет не пропустив (`market_budget`), решта — Stage1 без алерту.
    Події йдуть у тому порядку, що й у конвеєрі: Stage1, потім вердикт шлюзу."""
    agg = AssetStateAggregator(bars, start_seq=seq - 1)
    rows = {s: _asset_row(s, b, visible_bars(b, t_ms)) for s, b in bars.items()}
    for symbol, row in rows.items():
        alert = symbol in (surfaced, watch)
        agg.on_stage1(
            {
                "symbol": symbol,
                "timestamp": row["updated_ts"],
                "signal": "ALERT" if alert else "NORMAL",
                "trigger_reasons": list(SIGNAL_TRIGGERS) if alert else [],
                "stats": {
                    "price": row["price"],
                    "atr": row["_atr"],
                    "rsi": row["rsi"],
                    "volume_usd": row["volume_usd"],
                    "price_change_pct": row["price_change_pct"],
                },
            }
        )
    sig, low = rows[surfaced], rows[watch]
    agg.on_stage2(
        {
            "symbol": surfaced,
            "timestamp": sig["updated_ts"],
            "status": "completed",
            "recommendation": "STRONG_BUY",
            "market_context": {"price": sig["price"], "scenario": "BULLISH_BREAKOUT", "band_pct": 1.1},
            "confidence_metrics": {"composite_confidence": 0.78},
            "risk_parameters": {"tick_size": sig["tick_size"]},
            "narrative": f"{surfaced}: пробій угору з бичачим сплеском обсягу.",
            "signal": {
                "id": f"{surfaced}:{sig['updated_ts']}",
                "kind": SIGNAL_RECORD["kind"],
                "side": "BUY",
                "rank": dict(SIGNAL_RANK),
                "record": dict(SIGNAL_RECORD),
                "surfaced": True,
                "reason": "promoted",
            },
        }
    )
    agg.on_watch(
        {
            "symbol": watch,
            "timestamp": low["updated_ts"],
            "status": "completed",
            "recommendation": "BUY_IN_DIPS",
            "market_context": {"price": low["price"], "scenario": "BULLISH_CONTROL"},
            "signal": {
                "id": f"{watch}:{low['updated_ts']}",
                "kind": SIGNAL_RECORD["kind"],
                "side": "BUY",
                "rank": dict(WATCH_RANK),
                "record": None,
                "surfaced": False,
                "reason": "market_budget",
            },
        }
    )
    return agg.build_frame(t_ms)


def big_frame(seq: int, n_assets: int = 300) -> dict[str, Any]:
    """Великий синтетичний кадр (~50 КБ JSON) для тесту повільного клієнта."""
    assets = [
        {"symbol": f"SYM{i:04d}USDT", "price": 1.0 + i, "rsi": 50.0, "narrative": "x" * 80}
        for i in range(n_assets)
    ]
    return {"schema_version": 1, "seq": seq, "ts": time.time(), "assets": assets, "counters": {}}


__all__ = [
    "SIGNAL_RANK",
    "SIGNAL_RECORD",
    "SIGNAL_TRIGGERS",
    "WATCH_RANK",
    "QueueFrameSource",
    "WEB_SYMBOLS",
    "big_frame",
    "build_frame",
    "eventually",
    "load_recorded",
    "signal_frame",
    "visible_bars",
]
