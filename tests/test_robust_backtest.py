"""Поганий вхід бектесту не валить прогін: NaN/inf у барах, пошкоджений файл, хибний `--params`."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aione.app.params_check import ParamsError, check_overrides
from aione.backtest.runner import RunSpec
from aione.backtest.session import run_session
from aione.calibrate import load_overrides
from aione.cli import app

SYMBOLS = ("SOLUSDT", "SUIUSDT")
ROWS = 30 * 60  # пів доби 1m барів: досить для прогріву ATR базових ліній, і швидко


def _copy(data_1m: Path, dest: Path, names: tuple[str, ...] = SYMBOLS) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        pq.write_table(pq.read_table(data_1m / f"{name}.parquet").slice(0, ROWS), dest / f"{name}.parquet")
    return dest


def _poison(path: Path, column: str, row: int, value: float) -> None:
    table = pq.read_table(path)
    cols = {n: table.column(n).to_numpy().copy() for n in table.column_names}
    cols[column][row] = value
    pq.write_table(pa.table(cols), path)


# ── NaN / inf ──
def test_one_nan_and_one_inf_price_are_rejected_and_the_run_goes_on(data_1m: Path, tmp_path: Path) -> None:
    data = _copy(data_1m, tmp_path / "bars")
    _poison(data / "SOLUSDT.parquet", "close", 700, float("nan"))
    _poison(data / "SOLUSDT.parquet", "high", 900, float("inf"))
    out = run_session(RunSpec(data), tmp_path / "out", html=False, seeds=2)
    report = json.loads(out.json_path.read_text())
    # обидва погані бари відкинуто й пораховано, решта пройшла; випадкові базові лінії теж порахувано
    assert report["counters"]["events"] == 2 * ROWS
    assert report["counters"]["rejected"] == 2
    assert report["baselines"]["random"]["seeds"] == 2
    assert np.isfinite(report["baseline"]["overall"]["expectancy_r"] or 0.0)


# ── Пошкоджений файл ──
def test_corrupt_file_is_named_once_skipped_and_the_rest_runs(
    data_1m: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = _copy(data_1m, tmp_path / "bars")
    (data / "BADUSDT.parquet").write_bytes(b"PAR1" + b"not parquet at all" * 50)
    with caplog.at_level(logging.WARNING):
        out = run_session(RunSpec(data), tmp_path / "out", html=False, seeds=2)
    lines = [r.getMessage() for r in caplog.records if "BADUSDT.parquet" in r.getMessage()]
    assert len(lines) == 1 and "not a readable parquet file" in lines[0]
    assert out.skipped and out.skipped[0].startswith("BADUSDT.parquet")
    assert out.spec is not None and out.spec.symbols == SYMBOLS
    assert out.result.symbol_bars == 2 * ROWS
    assert json.loads(out.json_path.read_text())["skipped_files"] == list(out.skipped)


def test_nothing_usable_is_an_error(tmp_path: Path) -> None:
    data = tmp_path / "bars"
    data.mkdir()
    (data / "BADUSDT.parquet").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="no usable bar files.*BADUSDT.parquet"):
        run_session(RunSpec(data), tmp_path / "out", html=False, seeds=1)


# ── --params ──
@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"stage1": {"vol_z_threshold": None}}, "stage1.vol_z_threshold: null is not allowed"),
        ({"stage1": {"vol_z_thresold": 2.0}}, "stage1.vol_z_thresold: unknown key (did you mean vol_z_threshold?)"),
        ({"stage3": {"min_confidence": "0.8"}}, "stage3.min_confidence: expected a number"),
        ({"stage1": {"rsi_period": 14.5}}, "stage1.rsi_period: expected an integer"),
        ({"stage2": {"switches": {"use_qde": 1}}}, "stage2.switches.use_qde: expected true or false"),
        ({"budget": {"rank_weights": {"unusal": 0.5}}}, "budget.rank_weights.unusal: unknown key"),
        ({"stage2": None}, "stage2: null is not allowed"),
    ],
)
def test_params_problems_name_the_key(payload: dict[str, object], named: str, tmp_path: Path) -> None:
    with pytest.raises(ParamsError) as err:
        check_overrides(payload)
    assert named in str(err.value) and "\n" not in str(err.value)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="stage|budget"):
        load_overrides(path)


def test_good_params_and_calibration_files_pass(tmp_path: Path) -> None:
    check_overrides({"stage1": {"vol_z_threshold": 3, "rsi_period": 21}, "stage3": {"min_confidence": 0.8}})
    # файл, записаний `aione calibrate`: `_meta` і адреси калібрування приймаються
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"stage1": {"vwap_deviation": 0.01}, "stage2": {}, "stage3": {}, "_meta": {}}))
    assert load_overrides(path)["stage1"] == {"vwap_deviation": 0.01}


@pytest.mark.parametrize("command", ["backtest", "demo", "run"])
def test_cli_params_with_a_typo_exit_2_with_one_line(command: str, data_1m: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"stage3": {"min_confidnce": 0.8}}))
    args = [command, "--params", str(path)]
    if command == "backtest":
        args = [command, str(_copy(data_1m, tmp_path / "bars")), "--params", str(path), "--seeds", "1"]
    result = CliRunner().invoke(app, args, env={"AIONE_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "stage3.min_confidnce: unknown key (did you mean min_confidence?)" in lines[0]
