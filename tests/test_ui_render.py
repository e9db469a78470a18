"""Термінальна таблиця з кадру, зібраного на записаних барах Binance: колонки, ціни за тіком,
кольори, порядок, позначка застарілості; ранг, запис типу сигналу й рядок watch з кадру
сигнального шлюзу; UI, що живиться від шини в процесі."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from aione.config.config import UI_COLUMN_VOLUME, UI_STALE_AFTER_SEC
from aione.data.bars import read_bars_parquet
from aione.data.ws_worker import StateBus, decode_frame, encode_frame
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_manager import TradeManager
from aione.ui.ui_consumer import BusFrameSource, TerminalUI
from aione.ui.ui_render import (
    COLUMNS,
    RANK_COLUMN,
    RECORD_COLUMN,
    STALE_MARK,
    WATCH_MARK,
    fmt_record,
    render_table,
)
from tests.web_helpers import SIGNAL_RANK, SIGNAL_RECORD, WATCH_RANK, load_recorded, signal_frame

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")
COL = {name: i for i, name in enumerate(COLUMNS)}  # індекс колонки за назвою
END = 20_000  # індекс бару BTCUSDT, що вважається «зараз» (записи символів починаються в різний час)


def recorded_frame(data_dir: Path) -> dict[str, Any]:
    """Кадр, як його отримав би споживач: стан з реальних барів → кодек → декодування."""
    agg, tm = AssetStateAggregator(SYMBOLS), TradeManager()
    target = int(read_bars_parquet(data_dir / "BTCUSDT.parquet").open_time[END])  # спільний момент
    for symbol in SYMBOLS:
        full = read_bars_parquet(data_dir / f"{symbol}.parquet")
        end = int(np.searchsorted(full.open_time, target))
        bars = full.slice(end - 1440, end + 3)
        assert int(bars.open_time[1440]) == target
        now = bars.bar(1440)  # рішення Stage2 було на барі 1439, вхід — на відкритті 1440
        day_ago = bars.bar(0)
        tr = (bars.high[1426:1440] - bars.low[1426:1440]).mean()
        agg.on_stage1(
            {
                "symbol": symbol,
                "timestamp": now.open_time,
                "signal": "ALERT" if symbol in ("SOLUSDT", "XRPUSDT") else "NORMAL",
                "trigger_reasons": ["volume_spike_bull", "near_high"] if symbol == "SOLUSDT" else [],
                "stats": {
                    "price": now.close,
                    "atr": float(tr),
                    "rsi": 61.0,
                    "volume_usd": float(bars.quote_volume[1:1441].sum()),
                    "price_change_pct": (now.close / day_ago.close - 1) * 100,
                },
            }
        )
        if symbol == "SOLUSDT":
            result = {
                "symbol": symbol,
                "timestamp": bars.bar(1439).open_time,
                "status": "completed",
                "recommendation": "STRONG_BUY",
                "market_context": {"scenario": "BULLISH_BREAKOUT", "atr": float(tr), "band_pct": 1.25},
                "confidence_metrics": {"composite_confidence": 0.86},
                "risk_parameters": {
                    "entry": bars.close[1439],
                    "tp": bars.close[1439] + 30 * tr,
                    "sl": bars.close[1439] - 10 * tr,
                    "atr": float(tr),
                    "tick_size": 0.01,
                },
                "narrative": "Пробій з обсягом.",
            }
            agg.on_stage2(result)
            tm.on_decision(result)
            agg.on_trade_events(tm.last_events)
            agg.on_trade_events(tm.on_bar(symbol, bars.bar(1440)))
    agg.rows["ETHUSDT"].updated_ts -= 3_600_000  # рядок, що давно не оновлювався
    frame = agg.build_frame(int(agg.rows["BTCUSDT"].updated_ts or 0))
    return decode_frame(encode_frame(frame))


@pytest.fixture(scope="module")
def frame(data_1m: Path) -> dict[str, Any]:
    return recorded_frame(data_1m)


def rendered_text(frame: dict[str, Any], now_ms: int) -> str:
    console = Console(record=True, width=260, file=io.StringIO(), color_system=None)
    console.print(render_table(frame, now_ms))
    return console.export_text()


def table_rows(text: str) -> dict[str, list[str]]:
    """Комірки рядків таблиці за символом (перша колонка, без позначки застарілості)."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0].split(" ")[0] in SYMBOLS:
            rows[cells[0].split(" ")[0]] = cells
    return rows


def test_table_has_columns_and_formatted_rows(frame: dict[str, Any]) -> None:
    table = render_table(frame, frame["ts"])
    assert [c.header for c in table.columns] == list(COLUMNS)
    assert UI_COLUMN_VOLUME in COLUMNS and table.row_count == 4
    text = rendered_text(frame, frame["ts"])
    rows = table_rows(text)
    assert sorted(rows) == sorted(SYMBOLS)
    btc = next(a for a in frame["assets"] if a["symbol"] == "BTCUSDT")
    assert rows["BTCUSDT"][1] == f"{btc['price']:.1f}"  # тік BTC 0.1 → один знак
    xrp = next(a for a in frame["assets"] if a["symbol"] == "XRPUSDT")
    assert rows["XRPUSDT"][1] == f"{xrp['price']:.4f}"
    sol = next(a for a in frame["assets"] if a["symbol"] == "SOLUSDT")
    assert sol["trade_status"] == "open"
    sol_row, btc_row = rows["SOLUSDT"], rows["BTCUSDT"]
    assert sol_row[COL["TP / SL"]] == f"{sol['tp']:.2f} / {sol['sl']:.2f}"
    assert sol_row[COL["Угода / PnL"]].startswith("лонг · відкрита") and "bull_vol_spike" in sol_row[COL["Тригери"]]
    assert sol_row[COL["Впевн."]] == "0.86" and sol_row[COL["Смуга %"]] == "1.25%"
    assert btc_row[COL["TP / SL"]] == "-" and btc_row[COL["Угода / PnL"]] == "-"  # немає угоди → «-»
    # Кандидатів шлюзу в цьому кадрі немає: ранг і запис — «-».
    assert btc_row[COL[RANK_COLUMN]] == "-" and sol_row[COL[RECORD_COLUMN]] == "-"
    assert "активів 4" in text and "алертів 2" in text


def test_order_and_colours_follow_frame(frame: dict[str, Any]) -> None:
    table = render_table(frame, frame["ts"])
    symbols = [a["symbol"] for a in frame["assets"]]
    assert symbols[:2] == ["SOLUSDT", "XRPUSDT"]  # угода й алерт першими
    styles = {sym: str(row.style or "") for sym, row in zip(symbols, table.rows, strict=True)}
    assert styles["SOLUSDT"] == "green" and styles["XRPUSDT"] == "yellow" and styles["BTCUSDT"] == ""


def test_stale_marker(frame: dict[str, Any]) -> None:
    fresh = rendered_text(frame, frame["ts"])
    header = fresh.splitlines()[0:3]
    assert not any(STALE_MARK in line for line in header)
    stale_rows = [line for line in fresh.splitlines() if STALE_MARK in line]
    assert len(stale_rows) == 1 and "ETHUSDT" in stale_rows[0]
    later = rendered_text(frame, frame["ts"] + int(UI_STALE_AFTER_SEC * 1000) + 1)
    assert any(STALE_MARK in line for line in later.splitlines()[0:3])
    assert sum(STALE_MARK in line for line in later.splitlines()) == 1 + 4  # шапка + усі рядки


def test_feed_stale_flag_marks_the_row_even_when_the_frame_is_fresh(frame: dict[str, Any]) -> None:
    """Символ без закритих барів (`stale` від конвеєра, issue 22) позначено, хоч кадр свіжий."""
    frame = {**frame, "assets": [dict(a) for a in frame["assets"]]}
    btc = next(a for a in frame["assets"] if a["symbol"] == "BTCUSDT")
    btc.update(stale=True, stale_reason="no closed bar for 3 intervals")
    text = rendered_text(frame, frame["ts"])
    marked = [line for line in text.splitlines() if STALE_MARK in line]
    assert any("BTCUSDT" in line for line in marked) and any("ETHUSDT" in line for line in marked)


# ── Сигнальний шлюз: ранг, запис типу, watch ──
GATE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")


@pytest.fixture(scope="module")
def gate_frame(data_1m: Path) -> dict[str, Any]:
    """Кадр агрегатора з сигналом (SOLUSDT: ранг + запис типу) і рядком watch (XRPUSDT), через кодек."""
    bars = load_recorded(data_1m, GATE_SYMBOLS)
    t_ms = int(bars["BTCUSDT"].open_time[END]) + 60_000
    frame = signal_frame(bars, t_ms, 7, surfaced="SOLUSDT", watch="XRPUSDT")
    return decode_frame(encode_frame(frame))


def test_record_text_is_compact() -> None:
    assert fmt_record(SIGNAL_RECORD) == "412 · TP 31% · +0.12%"
    assert (
        fmt_record({**SIGNAL_RECORD, "median_move_pct": -0.05, "tp_first_rate": None})
        == "412 · TP - · -0.05%"
    )
    assert fmt_record(None) == "-" and fmt_record({"cases": 0}) == "-"


def test_table_shows_rank_record_and_watch(gate_frame: dict[str, Any]) -> None:
    by_symbol = {a["symbol"]: a for a in gate_frame["assets"]}
    assert by_symbol["SOLUSDT"]["surfaced"] is True and by_symbol["XRPUSDT"]["state"] == "watch"
    table = render_table(gate_frame, gate_frame["ts"])
    headers = [c.header for c in table.columns]
    assert RANK_COLUMN in headers and RECORD_COLUMN in headers and headers == list(COLUMNS)
    text = rendered_text(gate_frame, gate_frame["ts"])
    rows = table_rows(text)
    sol, xrp, btc = rows["SOLUSDT"], rows["XRPUSDT"], rows["BTCUSDT"]
    # Сигнал: ранг 0.00–1.00, стислий запис типу, рекомендація лишається в колонці сигналу.
    assert sol[COL[RANK_COLUMN]] == f"{SIGNAL_RANK['score']:.2f}" == "0.82"
    assert sol[COL[RECORD_COLUMN]] == "412 · TP 31% · +0.12%"
    assert sol[COL["Сигнал"]] == "алерт · сильна купівля"
    # Watch: ранг видно, запису немає, замість рекомендації — позначка watch і причина бюджету.
    assert xrp[COL[RANK_COLUMN]] == f"{WATCH_RANK['score']:.2f}"
    assert xrp[COL[RECORD_COLUMN]] == "-"
    assert xrp[COL["Сигнал"]] == f"{WATCH_MARK} · ліміт ринку"
    assert btc[COL[RANK_COLUMN]] == "-" and btc[COL[RECORD_COLUMN]] == "-"
    # Watch-рядок приглушений, сигнал — зелений (BUY).
    symbols = [a["symbol"] for a in gate_frame["assets"]]
    styles = {sym: str(row.style or "") for sym, row in zip(symbols, table.rows, strict=True)}
    assert styles["XRPUSDT"] == "dim" and styles["SOLUSDT"] == "green" and styles["BTCUSDT"] == ""


def test_watch_row_keeps_dim_when_stale(gate_frame: dict[str, Any]) -> None:
    later = gate_frame["ts"] + int(UI_STALE_AFTER_SEC * 1000) + 1
    table = render_table(gate_frame, later)
    symbols = [a["symbol"] for a in gate_frame["assets"]]
    styles = {sym: str(row.style or "") for sym, row in zip(symbols, table.rows, strict=True)}
    assert styles["XRPUSDT"] == "dim" and styles["SOLUSDT"] == "dim green"


def test_header_shows_gate_counters_when_published(gate_frame: dict[str, Any]) -> None:
    assert "сигналів" not in rendered_text(gate_frame, gate_frame["ts"]).splitlines()[0]
    counted = {**gate_frame, "counters": {**gate_frame["counters"], "signals": 1, "watch": 1}}
    header = rendered_text(counted, counted["ts"]).splitlines()[0]
    assert "сигналів 1" in header and f"{WATCH_MARK} 1" in header


async def test_terminal_ui_runs_from_in_process_bus(frame: dict[str, Any]) -> None:
    bus = StateBus()
    out = io.StringIO()
    ui = TerminalUI(BusFrameSource(bus), console=Console(file=out, width=260, color_system=None))
    stop = asyncio.Event()
    runner = asyncio.create_task(ui.run(stop))
    bus.publish(frame)
    for _ in range(200):
        if ui.frame is not None:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(runner, 5)
    assert ui.frame is not None and ui.frame["seq"] == frame["seq"]
    assert "SOLUSDT" in out.getvalue() and UI_COLUMN_VOLUME in out.getvalue()
