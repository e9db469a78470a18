"""Рівні, які варто малювати: до трьох на бік, сусідні — однією зоною за допуском в ATR, обидва боки,
«не знайдено» лише коли пошук нічого не дав. Випадок ENAUSDT з issue 20 — синтетично й на справжніх барах."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from aione.config.config import STAGE2_CONFIG
from aione.data.bars import read_bars_parquet
from aione.data.resample import resample_daily
from aione.indicators import atr as atr_batch
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.level_manager import select_levels
from aione.stage2.narrative import build_narrative
from aione.stage2.qde_core import decide
from aione.stage3.asset_state import AssetStateAggregator

PRICE = 0.3733
ATR = PRICE * 0.0022  # 0.22 %
ISSUE_RESISTANCES = (0.3740, 0.3745, 0.3756, 0.3759, 0.3762, 0.3780)


def _lv(price: float, kind: str, strength: float = 1.0, touches: int = 1) -> dict[str, Any]:
    return {"price": price, "kind": kind, "scale": "micro", "touches": touches, "strength": strength}


def _per_side(levels: list[dict[str, Any]]) -> dict[str, int]:
    return {kind: sum(1 for z in levels if z["kind"] == kind) for kind in ("support", "resistance")}


def test_issue_case_gives_at_most_three_zones_per_side() -> None:
    levels = [_lv(p, "resistance", 1.0 + 0.1 * i) for i, p in enumerate(ISSUE_RESISTANCES)]
    drawn = select_levels(levels, PRICE, ATR)
    assert _per_side(drawn) == {"support": 0, "resistance": 3}
    zones = [(z.get("lo"), z.get("hi"), z["price"]) for z in drawn]
    # 0.3740/0.3745 і 0.3756–0.3762 — по одній зоні, 0.3780 окремо; ціна зони — її найсильніший рівень.
    assert zones == [(0.3740, 0.3745, 0.3745), (0.3756, 0.3762, 0.3762), (None, None, 0.3780)]


def test_levels_005_pct_apart_merge_on_a_02_pct_atr_symbol() -> None:
    price = 100.0
    atr = price * 0.002
    drawn = select_levels([_lv(101.0, "resistance"), _lv(101.05, "resistance")], price, atr)
    assert len(drawn) == 1 and (drawn[0]["lo"], drawn[0]["hi"], drawn[0]["merged"]) == (101.0, 101.05, 2)
    # Далі за допуск — два рівні; далі за межу відстані — не показується.
    far = select_levels([_lv(101.0, "resistance"), _lv(101.3, "resistance"), _lv(120.0, "resistance")], price, atr)
    assert [z["price"] for z in far] == [101.0, 101.3]


def test_both_sides_appear_and_the_strongest_are_kept_with_the_nearest() -> None:
    levels = [_lv(p, "resistance", 1.0) for p in (101.0, 102.0, 103.0, 104.0, 105.0)]
    levels[3]["strength"] = 5.0  # 104 — найсильніший
    levels += [_lv(p, "support", s) for p, s in ((99.0, 0.5), (98.0, 2.0), (97.0, 3.0), (96.0, 0.1))]
    drawn = select_levels(levels, 100.0, 0.2)
    assert _per_side(drawn) == {"support": 3, "resistance": 3}
    assert [z["price"] for z in drawn if z["kind"] == "resistance"] == [101.0, 102.0, 104.0]
    assert [z["price"] for z in drawn if z["kind"] == "support"] == [99.0, 98.0, 97.0]


# ── Справжні бари ENAUSDT (травень 2025): ціна ~0.3733, опори 0.3734 … 0.3889 ──
def _ena_case(data_1m: Path) -> tuple[dict[str, Any], Stage2Inputs]:
    bars = read_bars_parquet(data_1m / "ENAUSDT.parquet")
    daily = resample_daily(bars)
    i = 34801
    a = atr_batch(bars.high, bars.low, bars.close, 14)
    window = int(STAGE2_CONFIG["context_bars"])
    day_stop = int(np.searchsorted(daily.open_time, bars.open_time[i], side="right"))
    s1 = {
        "symbol": "ENAUSDT",
        "timestamp": int(bars.open_time[i]),
        "trigger_reasons": ["breakout_down"],
        "stats": {"price": float(bars.close[i]), "atr": float(a[i])},
    }
    return s1, Stage2Inputs(bars.slice(max(0, i + 1 - window), i + 1), daily.slice(max(0, day_stop - 31), day_stop))


def test_recorded_enausdt_frame_and_narrative_show_at_most_three_per_side(data_1m: Path) -> None:
    s1, inputs = _ena_case(data_1m)
    rec = decide(s1, inputs, locale="en")
    mc = rec["market_context"]
    raw = [lv for lv in mc["levels"] if lv["kind"] == "resistance" and lv["price"] < 0.3790]
    assert len(raw) >= 6  # так виглядав кадр у issue: шість і більше опорів біля ціни
    agg = AssetStateAggregator(["ENAUSDT"], tick_sizes={"ENAUSDT": 0.0001}, locale="en")
    agg.on_stage2(rec)
    row = agg.build_frame(1)["assets"][0]
    sides = _per_side(row["levels"])
    assert 1 <= sides["support"] <= 3 and 1 <= sides["resistance"] <= 3  # обидва боки, до трьох
    text = build_narrative(rec, locale="en")
    assert "no support found" not in text and "support 0.3485" in text
    levels_sentence = next(s for s in text.split(". ") if s.startswith("Levels:"))
    assert levels_sentence.count(",") <= 1 + 2 + 2  # до трьох зон на бік
    # Скоринг Stage2 бачить ті самі рівні, що й раніше (відбір — лише для показу).
    assert len(mc["levels"]) == int(STAGE2_CONFIG["max_levels"])


def test_no_support_is_said_only_when_the_search_found_none() -> None:
    rec = {
        "recommendation": "HOLD",
        "side": None,
        "scenario": "UNCERTAIN",
        "market_context": {
            "price": PRICE,
            "atr": ATR,
            "triggers": [],
            "nearest_support": None,
            "nearest_resistance": 0.3740,
            "band_pct": None,
            "levels": [_lv(p, "resistance") for p in ISSUE_RESISTANCES],
        },
        "risk_parameters": {"tick_size": 0.0001, "tags": [], "tp": None, "sl": None},
        "confidence_metrics": {"composite_confidence": 0.4},
    }
    text = build_narrative(rec, locale="en")
    assert "no support found below in the search window" in text
    assert "resistance 0.3740–0.3745, 0.3756–0.3762, 0.3780" in text
    assert "score 0.40" in text and "confidence" not in text
    rec["market_context"]["levels"].append(_lv(0.3485, "support"))
    rec["market_context"]["nearest_support"] = 0.3485
    assert "support 0.3485" in build_narrative(rec, locale="en")
