"""Наслідки сигналів: числа на вручну побудованому ряді; інкрементна форма = пакетна на справжніх барах."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aione.data.bar_validation import bars_to_arrays
from aione.data.bars import Bar
from aione.exchange.replay import load_series
from aione.signals.outcomes import OutcomeTracker, forward_outcome
from aione.signals.records import RecordBook, record_sentence, signal_kind, summarize_record

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
M = 60_000


def _series(rows: list[tuple[float, float, float]], start: int = T0, gaps: frozenset[int] = frozenset()) -> list[Bar]:
    """Бари (high, low, close) щохвилини від `start`; номери з `gaps` пропущено."""
    out = []
    for k, (hi, lo, cl) in enumerate(rows):
        if k in gaps:
            continue
        out.append(Bar(start + k * M, cl, hi, lo, cl, 1.0))
    return out


def test_forward_returns_and_excursions_on_a_hand_built_series() -> None:
    # бар 0 — сигнал (close 100); далі ціна росте на 1 за хвилину, з хвостами ±0.5
    rows = [(100.0, 100.0, 100.0)] + [(100.0 + k + 0.5, 100.0 + k - 0.5, 100.0 + k) for k in range(1, 20)]
    bars = bars_to_arrays(_series(rows))
    out = forward_outcome(bars, T0, 1.0, 100.0, None, None, horizons=(5, 15))
    assert out["fwd_5"] == pytest.approx(5.0)  # close бару 5 = 105 → +5 %
    assert out["mfe_5"] == pytest.approx(5.5)  # high бару 5 = 105.5
    assert out["mae_5"] == pytest.approx(0.5)  # найнижчий low вікна = 100.5: ціна жодного разу не пішла проти
    assert out["fwd_15"] == pytest.approx(15.0)
    assert out["complete"] is True
    short = forward_outcome(bars, T0, -1.0, 100.0, None, None, horizons=(5, 15))
    assert short["fwd_5"] == pytest.approx(-5.0)
    assert short["mfe_5"] == pytest.approx(-0.5)  # для SELL найкраще — low 100.5: все одно збиток
    assert short["mae_5"] == pytest.approx(-5.5)


def test_tp_before_sl_and_the_worse_case_in_one_bar() -> None:
    rows = [(100.0, 100.0, 100.0), (101.0, 99.5, 100.5), (103.5, 100.0, 103.0), (104.0, 96.0, 100.0)]
    bars = bars_to_arrays(_series(rows))
    out = forward_outcome(bars, T0, 1.0, 100.0, tp=103.0, sl=99.0, horizons=(1, 3))
    assert (out["first"], out["first_min"]) == ("tp", 2)
    # обидва рівні в одному барі (бар 3: high 104, low 96) → SL, гірший випадок
    both = forward_outcome(bars, T0 + 2 * M, 1.0, 103.0, tp=103.9, sl=97.0, horizons=(1,))
    assert both["first"] == "sl" and both["first_min"] == 1
    sell = forward_outcome(bars, T0, -1.0, 100.0, tp=97.0, sl=103.2, horizons=(1, 3))
    assert (sell["first"], sell["first_min"]) == ("sl", 2)


def test_gaps_use_the_last_bar_and_incomplete_horizons_stay_empty() -> None:
    rows = [(100.0, 100.0, 100.0)] + [(101.0, 99.0, 100.0 + k) for k in range(1, 8)]
    bars = bars_to_arrays(_series(rows, gaps=frozenset({5})))  # бару 5 немає на біржі
    out = forward_outcome(bars, T0, 1.0, 100.0, None, None, horizons=(5, 7, 60))
    assert out["fwd_5"] == pytest.approx(4.0)  # останній наявний бар до кінця горизонту — бар 4
    assert out["fwd_7"] == pytest.approx(7.0)
    assert out["fwd_60"] is None and out["complete"] is False


def test_tracker_gives_the_batch_numbers_on_a_gapped_series() -> None:
    rng = np.random.default_rng(3)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, 400)))
    rows = [(c * 1.001, c * 0.999, c) for c in closes]
    bars_list = _series(rows, gaps=frozenset({30, 31, 32, 100, 250}))
    bars = bars_to_arrays(bars_list)
    tracker = OutcomeTracker(horizons=(5, 15, 60, 240))
    expected = {}
    for k in (0, 10, 29, 33, 99, 120):
        b = bars_list[k]
        tp, sl = b.close * 1.004, b.close * 0.997
        tracker.add(k, "X", b.open_time, 1.0, b.close, tp, sl)
        expected[k] = forward_outcome(bars, b.open_time, 1.0, b.close, tp, sl)
    got = {}
    for b in bars_list:
        for key, out in tracker.on_bar("X", b.open_time, b.high, b.low, b.close):
            got[key] = out
    assert set(got) == {k for k, v in expected.items() if v["complete"]}
    for key, out in got.items():
        assert out == expected[key]


def test_tracker_equals_batch_on_recorded_bars(data_1m: Path) -> None:
    series = load_series(data_1m, ["SOLUSDT", "ENAUSDT"])
    rng = np.random.default_rng(11)
    tracker = OutcomeTracker()
    expected = {}
    for name, bars in series.items():
        n = 3000
        for i in rng.choice(n - 300, 40, replace=False).tolist():
            ts, close = int(bars.open_time[i]), float(bars.close[i])
            sign = 1.0 if i % 2 else -1.0
            tp, sl = close * (1 + sign * 0.004), close * (1 - sign * 0.002)
            tracker.add((name, i), name, ts, sign, close, tp, sl)
            expected[(name, i)] = forward_outcome(bars.slice(0, n), ts, sign, close, tp, sl)
    got = {}
    for name, bars in series.items():
        for i in range(3000):
            for key, out in tracker.on_bar(name, int(bars.open_time[i]), float(bars.high[i]), float(bars.low[i]), float(bars.close[i])):
                got[key] = out
    assert len(got) == len(expected) == 80
    assert got == expected
    assert any(o["first"] == "tp" for o in got.values()) and any(o["first"] == "sl" for o in got.values())


def test_record_book_summarises_cases_and_says_it_in_both_locales() -> None:
    book = RecordBook(min_cases=3)
    kind = signal_kind("BUY", ["vwap_deviation", "breakout_up"])
    assert kind == "BUY|breakout_up+vwap_deviation"
    outcomes = [{"first": "tp", "fwd_60": 0.3}, {"first": "sl", "fwd_60": -0.1}, {"first": None, "fwd_60": 0.1}]
    for o in outcomes[:2]:
        book.add(kind, o)
    assert book.record(kind) is None  # менше за min_cases — запису ще немає
    book.add(kind, outcomes[2])
    rec = book.record(kind)
    assert rec is not None and rec["cases"] == 3
    assert rec["tp_first_rate"] == pytest.approx(1 / 3)
    assert rec["median_move_pct"] == pytest.approx(0.1)
    assert summarize_record(outcomes)["cases"] == 3
    assert record_sentence(rec, "en") == "This kind of signal: 3 cases, TP first 33 %, median 60-min move +0.10 %."
    uk = record_sentence(rec, "uk")
    assert uk is not None and "3 випадків" in uk and "33 %" in uk
