"""Простір пошуку калібрування: жодного кута, де R/R після комісій відсікає всі угоди."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from aione.calibrate import (
    RATIO_PARAM,
    load_space,
    min_tp_sl_ratio,
    params_to_overrides,
    search_space,
    suggest,
)
from aione.config.config import OPTUNA_PARAM_RANGES, STAGE2_CONFIG
from aione.stage2.risk import TAG_RR_BELOW_MIN, cost_verdict, plan_trade, round_trip_cost
from aione.utils.utils import deep_merge

FEE = float(STAGE2_CONFIG["fee_rate"])
MIN_RR = float(STAGE2_CONFIG["min_risk_reward"])
STOP_COST = float(STAGE2_CONFIG["min_stop_cost_mult"])


def _verdicts(tp_mult: float, sl_mult: float, entry: float = 100.0) -> set[str | None]:
    """Вердикти витрат для планів від ATR (без рівнів) на сітці ATR від найтіснішого дозволеного стопу."""
    cost = round_trip_cost(entry, FEE)
    tightest_atr = STOP_COST * cost / sl_mult * (1 + 1e-6)  # стоп щойно ширший за k·C
    out: set[str | None] = set()
    for scale in (1.0, 1.01, 1.1, 1.5, 2.0, 3.0, 10.0, 100.0):
        for side in ("BUY", "SELL"):
            plan = plan_trade(side, entry, tightest_atr * scale, tick=1e-9, tp_mult=tp_mult, sl_mult=sl_mult)
            assert plan is not None
            out.add(cost_verdict(plan, FEE, STOP_COST, MIN_RR))
    return out


def test_min_ratio_follows_stage2_cost_rules() -> None:
    assert min_tp_sl_ratio() == pytest.approx(MIN_RR + (1 + MIN_RR) / STOP_COST)
    assert min_tp_sl_ratio() == pytest.approx(3.0)  # типові 3/1 лежать рівно на межі
    assert min_tp_sl_ratio({**STAGE2_CONFIG, "fee_rate": 0.0}) == MIN_RR
    with pytest.raises(ValueError, match="min_stop_cost_mult"):
        min_tp_sl_ratio({**STAGE2_CONFIG, "min_stop_cost_mult": 0.0})


def test_old_space_had_zero_trade_corners() -> None:
    """Старий простір (tp_mult 1.5–5, sl_mult 0.5–2): tp/sl < 2 не дає жодної угоди за будь-якого ATR."""
    assert _verdicts(1.5, 2.0) == {TAG_RR_BELOW_MIN}
    assert _verdicts(1.9, 1.0) == {TAG_RR_BELOW_MIN}
    # валовий R/R 2.5 ≥ 2: широкі стопи проходять, а тісні (але дозволені правилом стопу) — ні
    assert _verdicts(2.5, 1.0) == {None, TAG_RR_BELOW_MIN}


def test_no_sampled_trial_lands_in_a_zero_trade_corner() -> None:
    space = search_space()
    lo, hi = space[RATIO_PARAM]
    assert lo >= min_tp_sl_ratio() and hi == OPTUNA_PARAM_RANGES[RATIO_PARAM][1]
    assert "tp_mult" not in space
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    corners = [(lo, space["sl_mult"][0]), (lo, space["sl_mult"][1]), (hi, space["sl_mult"][0])]
    combos: list[tuple[float, float]] = []
    for _ in range(200):
        trial = study.ask()
        params = suggest(trial, space)
        study.tell(trial, 0.0)
        s2 = deep_merge(STAGE2_CONFIG, params_to_overrides(params)["stage2"])
        combos.append((float(s2["tp_mult"]), float(s2["sl_mult"])))
    combos += [(ratio * sl, sl) for ratio, sl in corners]
    for tp_mult, sl_mult in combos:
        assert tp_mult / sl_mult >= min_tp_sl_ratio() - 1e-12
        # план, що пройшов правило стопу, проходить і правило чистого R/R
        assert TAG_RR_BELOW_MIN not in _verdicts(tp_mult, sl_mult)
        assert None in _verdicts(tp_mult, sl_mult)


def test_search_space_validation(tmp_path: Path) -> None:
    assert search_space({RATIO_PARAM: (1.0, 4.0)})[RATIO_PARAM] == (min_tp_sl_ratio(), 4.0)  # підтягнуто
    with pytest.raises(ValueError, match="below"):
        search_space({RATIO_PARAM: (1.0, 2.5)})
    with pytest.raises(ValueError, match="tp_sl_ratio and sl_mult"):
        search_space({"tp_mult": (1.5, 5.0)})
    with pytest.raises(ValueError, match="no target"):
        search_space({"vol_z_treshold": (1.0, 2.0)})
    with pytest.raises(ValueError, match="empty"):
        search_space({"sl_mult": (2.0, 1.0)})
    path = tmp_path / "space.json"
    path.write_text(json.dumps({"min_confidence": [0.6, 0.7], "min_reasons_for_alert": [2, 2]}))
    assert load_space(path) == {"min_confidence": (0.6, 0.7), "min_reasons_for_alert": (2, 2)}
    path.write_text(json.dumps({"min_confidence": 0.6}))
    with pytest.raises(ValueError, match=r"\[min, max\]"):
        load_space(path)


def test_sl_alone_keeps_the_default_ratio() -> None:
    s2 = params_to_overrides({"sl_mult": 1.5})["stage2"]
    ratio = float(STAGE2_CONFIG["tp_mult"]) / float(STAGE2_CONFIG["sl_mult"])
    assert s2 == {"sl_mult": 1.5, "tp_mult": pytest.approx(1.5 * ratio)}
    assert params_to_overrides({"tp_mult": 2.0, "sl_mult": 1.0})["stage2"] == {"tp_mult": 2.0, "sl_mult": 1.0}
