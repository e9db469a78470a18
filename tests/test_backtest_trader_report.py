"""Звіт для трейдера на вручну складеній серії: просідання з датами, серії, Sharpe/Sortino,
дні й тижні, причини виходу, припущення і розділи HTML з тими самими числами."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aione.backtest.assumptions import describe
from aione.backtest.baselines_multi import BaselineRuns, RunTrades
from aione.backtest.html_report import render_html
from aione.backtest.report import build_report
from aione.backtest.runner import BacktestResult, RunSpec
from aione.backtest.trader_stats import (
    daily_returns,
    drawdown_period,
    exit_reasons,
    period_breakdown,
    sharpe_sortino,
    streaks,
    trader_section,
)


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def _t(i: int, exit_at: str, reason: str, pnl: float, r: float, **kw: Any) -> dict[str, Any]:
    exit_ts = _ms(exit_at)
    hold = float(kw.get("hold", 3600.0))
    return {
        "trade_id": f"T{i}",
        "symbol": kw.get("symbol", "AAAUSDT"),
        "side": kw.get("side", "BUY"),
        "recommendation": "STRONG_BUY",
        "triggers": ["volume_spike"],
        "decision_ts": exit_ts - int(hold * 1000) - 60_000,
        "entry_ts": exit_ts - int(hold * 1000),
        "entry_price": kw.get("entry", 100.0),
        "exit_ts": exit_ts,
        "exit_price": kw.get("exit", 100.0 + pnl),
        "close_reason": reason,
        "pnl_pct": pnl,
        "r": r,
        "mae_pct": 0.0,
        "mfe_pct": 0.0,
        "holding_sec": hold,
    }


# Сім угод (порядок закриття), прогін 2025-05-05 00:00 (понеділок) … 2025-05-13 23:59 UTC.
# Капітал: 0 → 2 → 3 → 2 → 0.5 → 0 → 1 → 3.5.
START = _ms("2025-05-05T00:00")
END = _ms("2025-05-13T23:59")
SERIES = [
    _t(1, "2025-05-05T10:00", "tp_hit", 2.0, 2.0),
    _t(2, "2025-05-05T14:00", "tp_hit", 1.0, 1.0, symbol="BBBUSDT", side="SELL"),
    _t(3, "2025-05-06T09:00", "sl_hit", -1.0, -1.0),
    _t(4, "2025-05-06T12:00", "sl_hit", -1.5, -1.0, symbol="BBBUSDT"),
    _t(5, "2025-05-08T08:00", "time_exit", -0.5, -0.5, hold=14400.0),
    _t(6, "2025-05-12T10:00", "sl_hit", 1.0, 0.5, hold=7200.0),  # трейлінг-стоп у плюсі
    _t(7, "2025-05-13T11:00", "tp_hit", 2.5, 2.5, hold=1800.0),
]
# Денні суми PnL % за 9 днів прогону: 05-05 … 05-13.
DAILY = [3.0, -2.5, 0.0, -0.5, 0.0, 0.0, 0.0, 1.0, 2.5]
MEAN = 3.5 / 9
# std (ddof = 1): Σr² = 9 + 6.25 + 0.25 + 1 + 6.25 = 22.75 → (22.75 − 9·mean²) / 8.
STD = math.sqrt((22.75 - 9 * MEAN**2) / 8)
SHARPE = MEAN / STD * math.sqrt(365)  # ≈ 4.544
# downside: від'ємні дні −2.5 і −0.5 → √((6.25 + 0.25) / 9).
SORTINO = MEAN / math.sqrt(6.5 / 9) * math.sqrt(365)  # ≈ 8.742


# ── Чисті функції ──
def test_drawdown_dates_on_known_series() -> None:
    dd = drawdown_period(list(reversed(SERIES)), START)  # порядок входу не важить: капітал — за закриттям
    assert dd["max_drawdown_pct"] == pytest.approx(3.0)  # пік 3 (T2) → дно 0 (T5)
    assert dd["peak_ts"] == _ms("2025-05-05T14:00")
    assert dd["trough_ts"] == _ms("2025-05-08T08:00")
    assert dd["recovery_ts"] == _ms("2025-05-13T11:00")  # 3.5 ≥ 3 лише після T7
    assert dd["peak_equity_pct"] == pytest.approx(3.0) and dd["trough_equity_pct"] == pytest.approx(0.0)
    assert dd["trades_in_drawdown"] == 3
    assert dd["duration_seconds"] == 66 * 3600  # 05-05 14:00 → 05-08 08:00
    # Без відновлення і з піком у стартовій точці (капітал одразу падає).
    falling = drawdown_period(SERIES[2:5], START)
    assert falling["max_drawdown_pct"] == pytest.approx(3.0)
    assert falling["peak_ts"] == START and falling["recovery_ts"] is None
    flat = drawdown_period(SERIES[:2], START)
    assert flat["max_drawdown_pct"] == 0.0 and flat["peak_ts"] is None


def test_streaks_on_known_series() -> None:
    s = streaks(SERIES)  # В В П П П В В
    assert s["max_loss"] == {
        "length": 3,
        "start_ts": _ms("2025-05-06T09:00"),
        "end_ts": _ms("2025-05-08T08:00"),
        "pnl_pct": pytest.approx(-3.0),
    }
    # Дві серії виграшів по 2: береться перша (T1–T2, +3.0), а не T6–T7 (+3.5).
    assert s["max_win"]["length"] == 2 and s["max_win"]["pnl_pct"] == pytest.approx(3.0)
    assert s["max_win"]["start_ts"] == _ms("2025-05-05T10:00")
    zero_breaks = streaks([SERIES[0], {**SERIES[1], "pnl_pct": 0.0}, SERIES[5]])
    assert zero_breaks["max_win"]["length"] == 1 and zero_breaks["max_loss"]["length"] == 0


def test_daily_returns_sharpe_sortino() -> None:
    daily = daily_returns(SERIES, START, END)
    assert [d.isoformat() for d, _ in daily][0] == "2025-05-05" and len(daily) == 9
    assert [v for _, v in daily] == pytest.approx(DAILY)
    ratios = sharpe_sortino([v for _, v in daily])
    assert ratios["periods"] == 9 and ratios["mean_pct"] == pytest.approx(MEAN)
    assert ratios["std_pct"] == pytest.approx(STD)
    assert ratios["sharpe"] == pytest.approx(SHARPE) and ratios["sharpe"] == pytest.approx(4.544, abs=1e-3)
    assert ratios["sortino"] == pytest.approx(SORTINO) and ratios["sortino"] == pytest.approx(8.742, abs=1e-3)
    assert sharpe_sortino([1.0])["sharpe"] is None  # одна точка — не визначено
    assert sharpe_sortino([1.0, 1.0])["sharpe"] is None  # нульовий розкид
    assert sharpe_sortino([1.0, 2.0])["sortino"] is None  # жодного від'ємного дня


def test_daily_and_weekly_breakdown() -> None:
    periods = period_breakdown(SERIES, START, END)
    daily = periods["daily"]
    assert list(daily) == [f"2025-05-{d:02d}" for d in range(5, 14)]
    assert daily["2025-05-06"]["trades"] == 2 and daily["2025-05-06"]["win_rate"] == 0.0
    assert daily["2025-05-06"]["pnl_pct"] == pytest.approx(-2.5) and daily["2025-05-06"][
        "r"
    ] == pytest.approx(-2.0)
    assert daily["2025-05-07"]["trades"] == 0 and daily["2025-05-07"]["win_rate"] is None
    weekly = periods["weekly"]
    assert list(weekly) == ["2025-W19", "2025-W20"]  # пн 05-05 … нд 05-11, далі пн 05-12
    assert weekly["2025-W19"]["trades"] == 5 and weekly["2025-W19"]["wins"] == 2
    assert weekly["2025-W19"]["win_rate"] == pytest.approx(0.4)
    assert weekly["2025-W19"]["pnl_pct"] == pytest.approx(0.0) and weekly["2025-W19"]["r"] == pytest.approx(
        0.5
    )
    assert weekly["2025-W20"]["trades"] == 2 and weekly["2025-W20"]["pnl_pct"] == pytest.approx(3.5)


def test_exit_reason_table() -> None:
    table = exit_reasons(SERIES)
    assert list(table) == ["sl_hit", "tp_hit", "time_exit"]  # за кількістю, далі за назвою
    sl = table["sl_hit"]
    assert sl["trades"] == 3 and sl["share"] == pytest.approx(3 / 7) and sl["in_profit"] == 1
    assert sl["win_rate"] == pytest.approx(1 / 3)
    assert sl["avg_pct"] == pytest.approx(-0.5) and sl["total_pct"] == pytest.approx(-1.5)
    assert sl["avg_r"] == pytest.approx(-0.5)  # (−1 − 1 + 0.5) / 3
    assert sl["avg_holding_sec"] == pytest.approx((3600 + 3600 + 7200) / 3)
    tp = table["tp_hit"]
    assert (
        tp["win_rate"] == 1.0
        and tp["avg_pct"] == pytest.approx(5.5 / 3)
        and tp["avg_r"] == pytest.approx(5.5 / 3)
    )
    assert table["time_exit"]["avg_pct"] == pytest.approx(-0.5)


# ── Звіт і сторінка ──
def _runs() -> BaselineRuns:
    rnd = RunTrades(
        "random", 7, 7, [_t(90 + k, "2025-05-07T12:00", "sl_hit", -0.2 * k, -0.2) for k in range(4)], 1
    )
    ref = RunTrades("always_long", 7, 1, [_t(99, "2025-05-07T12:00", "sl_hit", -1.0, -1.0)])
    # Купив-і-тримай: AAA 100 → 110, BBB 50 → 45; комісія 0.04 % на сторону.
    closes = {"AAAUSDT": (100.0, 110.0), "BBBUSDT": (50.0, 45.0)}
    return BaselineRuns(1, [rnd], ref, ref, closes, 0.0004)


def _report(tmp_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    result = BacktestResult(
        RunSpec(tmp_path, ("AAAUSDT", "BBBUSDT")),
        symbol_bars=100,
        trades=list(SERIES),
        first_ts=START,
        last_ts=END,
    )
    runs = _runs()
    return build_report(result, runs.base(), overrides, runs)


def _section(page: str, sid: str) -> str:
    m = re.search(rf"<section id='{sid}'>(.*?)</section>", page, re.S)
    assert m is not None, f"section {sid} missing"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))


def test_report_json_carries_trader_sections(tmp_path: Path) -> None:
    report = _report(tmp_path, {"stage3": {"fee_rate": 0.001, "max_holding_sec": 7200}})
    trader = report["trader"]
    assert trader["drawdown"]["max_drawdown_pct"] == pytest.approx(3.0)
    assert trader["ratios"]["sharpe"] == pytest.approx(SHARPE, abs=1e-6)
    assert "daily" in trader["ratios"]["returns"] and "365" in trader["ratios"]["annualisation"]
    assert trader["streaks"]["max_loss"]["length"] == 3
    assert len(trader["daily"]) == 9 and list(trader["weekly"]) == ["2025-W19", "2025-W20"]
    a = report["assumptions"]  # з перевизначень прогону, не з типових
    assert a["fee_rate_per_side"] == 0.001 and a["round_trip_fee_pct"] == pytest.approx(0.2)
    assert a["tp_sl_same_bar"] == "sl_first" and a["entry_fill"] == "next_bar_open"
    assert a["max_holding_seconds"] == 7200 and a["slippage_pct"] == 0.0
    text = dict(describe(a))
    assert "0.100 %" in text["Комісії"] and "0.200 %" in text["Комісії"]
    assert "через 2 год" in text["Часова зупинка"]


def test_html_has_each_section_with_numbers(tmp_path: Path) -> None:
    report = _report(tmp_path)
    page = render_html(report, {})
    # Вердикт — першим після заголовка, далі ключові числа.
    verdict_at = page.index("id='verdict'")
    assert verdict_at < page.index("id='key-numbers'") < page.index("id='assumptions'")
    assert report["verdict"].split(":")[0] in page[verdict_at : verdict_at + 400]
    keys = page[page.index("id='key-numbers'") : page.index("</p>", page.index("id='key-numbers'"))]
    assert "угод: <b>7</b>" in keys and "-3.00 %" in keys and "4.54" in keys and "8.74" in keys

    assumptions = _section(page, "assumptions")
    assert "taker 0.040 %" in assumptions and "коло ≈ 0.080 %" in assumptions
    assert "TP і SL в одному барі:" in assumptions and "гірший результат (SL)" in assumptions
    assert "відкриття наступного 1m бару" in assumptions and "через 4 год" in assumptions

    exits = _section(page, "exit-reasons")
    assert "стоп (sl_hit) 3 42.9 % 33.3 % -0.500 % -1.50 % -0.50 R 1 год 20 хв" in exits
    assert "тейк-профіт (tp_hit) 3 42.9 % 100.0 % +1.833 % +5.50 % +1.83 R" in exits
    assert "за часом (time_exit) 1 14.3 % 0.0 % -0.500 %" in exits

    dd = _section(page, "drawdown")
    assert "макс. просідання -3.00 %" in dd
    assert "2025-05-05 14:00 UTC, капітал +3.00 %" in dd
    assert "2025-05-08 08:00 UTC, капітал +0.00 %" in dd
    assert "2 д 18 год, угод: 3" in dd and "відновлення 2025-05-13 11:00 UTC" in dd

    st = _section(page, "streaks")
    assert "виграшів поспіль 2 +3.00 % 2025-05-05 10:00 UTC → 2025-05-05 14:00 UTC" in st
    assert "програшів поспіль 3 -3.00 % 2025-05-06 09:00 UTC → 2025-05-08 08:00 UTC" in st

    ratios = _section(page, "risk-ratios")
    assert "Sharpe 4.54" in ratios and "Sortino 8.74" in ratios and "днів 9" in ratios
    assert "√365" in ratios and "день UTC" in ratios

    bh = _section(page, "buy-and-hold")
    # AAA: 10 − 0.04·(1 + 1.1) = +9.916 %; BBB: −10 − 0.04·(1 + 0.9) = −10.076 %; середнє −0.08 %.
    assert "усі (рівні ваги) -0.08 %" in bh
    assert "AAAUSDT +9.92 % 5 +4.00 %" in bh  # угоди AAA: 2 − 1 − 0.5 + 1 + 2.5
    assert "BBBUSDT -10.08 % 2 -0.50 %" in bh

    weekly = _section(page, "weekly")
    assert "2025-W19 5 40.0 % +0.00 % +0.000 % +0.50 R" in weekly
    assert "2025-W20 2 100.0 % +3.50 % +1.750 % +3.00 R" in weekly
    daily = _section(page, "daily")
    assert "2025-05-07 0 – +0.00 % – +0.00 R" in daily and "2025-05-06 2 0.0 % -2.50 %" in daily
    assert daily.count("2025-05-") == 9

    trades = _section(page, "trade-list")
    assert "Угоди (7, у порядку закриття)" in trades
    assert (
        "1 AAAUSDT BUY 2025-05-05 09:00 UTC 2025-05-05 10:00 UTC 100 102 тейк-профіт +2.000 % +2.00 R 1 год 00 хв"
        in trades
    )
    assert (
        "6 AAAUSDT BUY 2025-05-12 08:00 UTC 2025-05-12 10:00 UTC 100 101 стоп у плюсі +1.000 % +0.50 R"
        in trades
    )
    # Самодостатня сторінка: жодного зовнішнього скрипту чи стилю.
    assert not re.search(r"<script[^>]+src=|<link ", page)


def test_breakeven_stop_is_labelled(tmp_path: Path) -> None:
    be = _t(1, "2025-05-05T10:00", "sl_hit", -0.08, -0.1, entry=100.0, exit=100.0)
    result = BacktestResult(RunSpec(tmp_path, ("AAAUSDT",)), trades=[be], first_ts=START, last_ts=END)
    page = render_html(build_report(result), {})
    assert "стоп на вході (беззбиток)" in _section(page, "trade-list")
    # Без базових ліній розділ купив-і-тримай є, але каже, що чисел немає.
    assert "базових ліній у звіті немає" in _section(page, "buy-and-hold")


def test_empty_run_still_renders(tmp_path: Path) -> None:
    result = BacktestResult(RunSpec(tmp_path, ("AAAUSDT",)))
    report = build_report(result)
    assert report["trader"]["daily"] == {} and report["trader"]["ratios"]["sharpe"] is None
    page = render_html(report, {})
    for sid in (
        "assumptions",
        "exit-reasons",
        "drawdown",
        "streaks",
        "risk-ratios",
        "weekly",
        "daily",
        "trade-list",
    ):
        _section(page, sid)
    assert trader_section([])["drawdown"]["max_drawdown_pct"] == 0.0
