"""Калібрування: адреси параметрів, файл перевизначень, walk-forward відрізки, короткий прогін."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import optuna
import pyarrow.parquet as pq
import pytest

from aione.backtest.runner import RunSpec, run_backtest
from aione.backtest.walkforward import (
    common_window,
    fit_score,
    fold_score,
    make_folds,
    validation_score,
)
from aione.calibrate import (
    RATIO_PARAM,
    calibrate,
    load_overrides,
    params_to_overrides,
    result_meta,
    targets_of,
    write_overrides,
)
from aione.config.config import OPTUNA_PARAM_RANGES, STAGE1_MONITOR_PARAMS, STAGE2_CONFIG, STAGE3_TRADE_PARAMS
from aione.utils.utils import deep_merge

SYMBOLS = ("SOLUSDT", "SUIUSDT")


def test_every_range_has_a_target_and_merges_onto_stage_params() -> None:
    values = {name: hi for name, (_, hi) in OPTUNA_PARAM_RANGES.items()}
    ov = params_to_overrides(values)
    s1 = deep_merge(STAGE1_MONITOR_PARAMS, ov["stage1"])
    s2 = deep_merge(STAGE2_CONFIG, ov["stage2"])
    s3 = deep_merge(STAGE3_TRADE_PARAMS, ov["stage3"])
    assert s1["vol_z_threshold"] == values["vol_z_threshold"]
    assert s1["min_reasons_for_alert"] == values["min_reasons_for_alert"]
    assert s2["weights"]["volume"] == values["weight_volume"]
    assert s2["weights"]["orderbook"] == STAGE2_CONFIG["weights"]["orderbook"]  # решта ваг ціла
    # TP — похідний: відношення × стоп; власної адреси відношення не має.
    assert s2["tp_mult"] == pytest.approx(values[RATIO_PARAM] * values["sl_mult"])
    assert s2["min_confidence"] == values["min_confidence"]
    assert s3["min_confidence"] == values["min_confidence"]
    for name in OPTUNA_PARAM_RANGES:
        if name == RATIO_PARAM:
            continue
        for stage, path in targets_of(name):
            node = {"stage1": s1, "stage2": s2, "stage3": s3}[stage]
            for key in path:
                node = node[key]
            assert node == values[name]
    with pytest.raises(KeyError, match="no target"):
        targets_of("vol_z_treshold")


def test_overrides_file_roundtrip_and_validation(tmp_path: Path) -> None:
    ov = params_to_overrides({"tp_mult": 2.0, "weight_rsi": 0.1, "rsi_oversold": 25.0})
    path = write_overrides(tmp_path / "best.json", ov, {"study": "s", "trials": 1})
    loaded = load_overrides(path)
    assert loaded == {
        "stage1": {"rsi_oversold": 25.0},
        "stage2": {"tp_mult": 2.0, "weights": {"rsi": 0.1}},
        "stage3": {},
    }
    toml = tmp_path / "p.toml"
    toml.write_text("[stage2]\ntp_mult = 4.0\n[stage2.weights]\nvwap = 0.3\n", encoding="utf-8")
    assert load_overrides(toml)["stage2"] == {"tp_mult": 4.0, "weights": {"vwap": 0.3}}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"stage4": {}}))
    with pytest.raises(ValueError, match="unknown sections"):
        load_overrides(bad)


def test_folds_partition_the_window() -> None:
    first, last = 1_000 * 60_000, 1_999 * 60_000
    folds = make_folds(first, last, 4)
    assert folds[0].start_ms == first and folds[-1].end_ms == last
    for a, b in zip(folds, folds[1:], strict=False):
        assert b.start_ms == a.end_ms + 60_000  # без перетинів і проміжків
    sizes = [(f.end_ms - f.start_ms) // 60_000 + 1 for f in folds]
    assert sum(sizes) == 1000 and max(sizes) - min(sizes) <= 1
    with pytest.raises(ValueError):
        make_folds(first, last, 2)


def test_fold_score_is_net_pct_per_trade_with_missing_trades_as_losses() -> None:
    trades = [{"pnl_pct": 1.2, "r": 2.0}, {"pnl_pct": -0.6, "r": -1.0}, {"pnl_pct": 0.3}, {"pnl_pct": 0.5}]
    assert fold_score(trades, 0) == pytest.approx(1.4 / 4)  # просто середній чистий %
    assert fold_score(trades, 4) == pytest.approx(1.4 / 4)
    # 9 потрібно, 4 є: 5 бракуючих × 0.5 % втрати, середнє на 9
    assert fold_score(trades, 9, 0.5) == pytest.approx((1.4 - 5 * 0.5) / 9)
    assert fold_score([], 0) == 0.0
    assert fold_score([], 4, 0.5) == pytest.approx(-0.5)  # мовчання = втрата L на угоду
    assert fold_score([{"pnl_pct": None}, {"pnl_pct": float("nan")}], 1, 0.5) == pytest.approx(-0.5)
    # кілька щасливих угод не перемагають набір, що торгує багато з малим мінусом
    lucky = [{"pnl_pct": 1.0}] * 2
    steady = [{"pnl_pct": -0.05}] * 20
    assert fold_score(lucky, 10, 0.5) < fold_score(steady, 10, 0.5)


@pytest.mark.slow
def test_fit_objective_never_reads_validation_bars(data_1m: Path, tmp_path: Path) -> None:
    """Зіпсовані бари відрізка перевірки не змінюють бал підбору, але змінюють бал перевірки."""
    for name in SYMBOLS:
        shutil.copy(data_1m / f"{name}.parquet", tmp_path / f"{name}.parquet")
    # 3 доби: з бюджетом алертів угод мало, а відрізок перевірки мусить мати хоч одну.
    spec = RunSpec(tmp_path, SYMBOLS, None, 1746373980000 + 72 * 3_600_000)
    folds = make_folds(*common_window(spec), 3)
    fit_before = fit_score(spec, folds, None, 0)
    val_before = validation_score(spec, folds, None, 0)
    assert val_before.fold_trades[0] > 0
    for name in SYMBOLS:
        table = pq.read_table(tmp_path / f"{name}.parquet")
        t = table.column("open_time").to_numpy()
        flip = t >= folds[-1].start_ms
        cols = {c: table.column(c).to_numpy().copy() for c in table.column_names}
        for c in ("open", "high", "low", "close"):
            cols[c][flip] = cols[c][flip][::-1]  # перевернутий у часі хвіст: інші бари, ті самі межі
        cols["high"] = np.maximum.reduce([cols["high"], cols["open"], cols["close"]])
        cols["low"] = np.minimum.reduce([cols["low"], cols["open"], cols["close"]])
        pq.write_table(type(table).from_pydict(cols), tmp_path / f"{name}.parquet")
    assert fit_score(spec, folds, None, 0) == fit_before
    assert validation_score(spec, folds, None, 0) != val_before


@pytest.mark.slow
def test_short_calibration_writes_reloadable_params(data_1m: Path, tmp_path: Path) -> None:
    spec = RunSpec(data_1m, ("SUIUSDT",), None, 1746373980000 + 16 * 3_600_000)
    storage = f"sqlite:///{tmp_path / 'opt.db'}"
    res = calibrate(spec, trials=3, storage=storage, study_name="t", n_folds=3, seed=11, min_trades=2)
    assert res.trials == 3 and res.trials_run == 3
    study = optuna.load_study(study_name="t", storage=storage)
    assert len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]) == 3
    assert study.best_value == pytest.approx(res.fit_score)
    path = write_overrides(tmp_path / "best.json", res.overrides, result_meta(res))
    loaded = load_overrides(path)
    assert loaded == params_to_overrides(study.best_params)
    meta = json.loads(path.read_text())["_meta"]
    assert meta["trials"] == 3 and meta["seed"] == 11
    assert meta["sampler"] == {"class": "TPESampler", "seed": 11}
    assert meta["fingerprint"] == study.user_attrs["fingerprint"]
    run = run_backtest(spec, loaded)  # перевизначення приймає бектест
    assert run.symbol_bars > 0
