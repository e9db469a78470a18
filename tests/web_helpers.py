"""Помічники тестів веб-панелі: джерело-черга, кадри зі справжніх записаних барів, `eventually`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import talib

from aione.data.bars import BarArrays, read_bars_parquet
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
    """Рядок активу з барів до `stop` (не включно): прості RSI/ATR з TA-Lib, рівні — екстремуми 240 барів."""
    window = bars.slice(max(0, stop - 1500), stop)
    close, high, low = window.close, window.high, window.low
    price = float(close[-1])
    rsi = float(talib.RSI(close, 14)[-1])
    atr = float(talib.ATR(high, low, close, 14)[-1])
    day = window.slice(max(0, len(window) - 1440))
    tick = get_tick_size(symbol, price)
    support = round_to_tick(float(np.min(low[-240:])), tick)
    resistance = round_to_tick(float(np.max(high[-240:])), tick)
    row: dict[str, Any] = {
        "symbol": symbol,
        "state": "normal",
        "price": price,
        "price_change_pct": (price / float(day.open[0]) - 1.0) * 100.0,
        "volume_usd": float(np.sum(day.quote_volume)),
        "atr_pct": atr / price * 100.0,
        "rsi": rsi,
        "band_pct": (resistance - support) / price * 100.0,
        "triggers": [],
        "signal": "NORMAL",
        "recommendation": "HOLD",
        "confidence": round(abs(rsi - 50.0) / 50.0, 3),
        "tp": None,
        "sl": None,
        "entry": None,
        "trade_status": None,
        "pnl_pct": None,
        "narrative": f"{symbol}: ціна {price} між підтримкою {support} і опором {resistance}.",
        "tick_size": tick,
        "levels": [
            {"price": support, "kind": "support", "scale": "micro"},
            {"price": resistance, "kind": "resistance", "scale": "micro"},
        ],
    }
    if rsi >= 60 or rsi <= 40:
        buy = rsi <= 40
        row.update(
            state="alert",
            signal="ALERT",
            triggers=["rsi_oversold" if buy else "rsi_overbought", "near_low" if buy else "near_high"],
            recommendation="BUY_IN_DIPS" if buy else "SELL_ON_RALLIES",
            entry=price,
            tp=round_to_tick(price + (3 if buy else -3) * atr, tick),
            sl=round_to_tick(price - (1 if buy else -1) * atr, tick),
        )
    return row


def visible_bars(bars: BarArrays, t_ms: int) -> int:
    """Скільки барів символу закрито на момент `t_ms` (бари різних символів вирівнюються за часом)."""
    return int(np.searchsorted(bars.open_time, t_ms - 60_000, side="right"))


def build_frame(bars: dict[str, BarArrays], t_ms: int, seq: int) -> dict[str, Any]:
    """Кадр у форматі агрегатора (schema_version, seq, ts, assets, counters, trades) на момент `t_ms`."""
    stops = {s: visible_bars(b, t_ms) for s, b in bars.items()}
    assets = [_asset_row(s, b, stops[s]) for s, b in bars.items()]
    ts_ms = t_ms
    open_trades: list[dict[str, Any]] = []
    for row in assets:
        if row["recommendation"] in ("BUY_IN_DIPS", "SELL_ON_RALLIES") and not open_trades:
            b, stop = bars[row["symbol"]], stops[row["symbol"]]
            entry = float(b.close[stop - 31])
            direction = 1.0 if row["recommendation"] == "BUY_IN_DIPS" else -1.0
            pnl = direction * (row["price"] / entry - 1.0) * 100.0
            row.update(trade_status="open", pnl_pct=pnl, entry=entry)
            open_trades.append(
                {
                    "symbol": row["symbol"],
                    "side": "LONG" if direction > 0 else "SHORT",
                    "entry": entry,
                    "tp": row["tp"],
                    "sl": row["sl"],
                    "current_price": row["price"],
                    "pnl_pct": pnl,
                    "status": "open",
                    "opened_at": int(b.open_time[stop - 31]),
                }
            )
    b0, stop = bars[assets[0]["symbol"]], stops[assets[0]["symbol"]]
    recent = [
        {
            "symbol": assets[0]["symbol"],
            "side": "LONG",
            "entry": float(b0.close[stop - 400]),
            "exit_price": float(b0.close[stop - 200]),
            "pnl_pct": (float(b0.close[stop - 200]) / float(b0.close[stop - 400]) - 1.0) * 100.0,
            "status": "time_exit",
            "closed_at": int(b0.open_time[stop - 200]),
        }
    ]
    alerts = sum(1 for a in assets if a["signal"] == "ALERT")
    return {
        "schema_version": 1,
        "seq": seq,
        "ts": ts_ms,
        "assets": assets,
        "counters": {
            "assets": len(assets),
            "alerts": alerts,
            "buy": sum(1 for a in assets if a["recommendation"] == "BUY_IN_DIPS"),
            "sell": sum(1 for a in assets if a["recommendation"] == "SELL_ON_RALLIES"),
            "open_trades": len(open_trades),
        },
        "trades": {"open": open_trades, "recent": recent},
    }


def big_frame(seq: int, n_assets: int = 300) -> dict[str, Any]:
    """Великий синтетичний кадр (~50 КБ JSON) для тесту повільного клієнта."""
    assets = [
        {"symbol": f"SYM{i:04d}USDT", "price": 1.0 + i, "rsi": 50.0, "narrative": "x" * 80}
        for i in range(n_assets)
    ]
    return {"schema_version": 1, "seq": seq, "ts": time.time(), "assets": assets, "counters": {}}


__all__ = [
    "QueueFrameSource",
    "WEB_SYMBOLS",
    "big_frame",
    "build_frame",
    "eventually",
    "load_recorded",
    "visible_bars",
]
