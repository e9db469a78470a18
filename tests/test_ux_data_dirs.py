"""Непридатний каталог барів для demo/backtest/calibrate: один рядок, що називає каталог і що
очікувалось (1m parquet з колонками …), код 2, жодного traceback і жодного порожнього звіту."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aione.app.data_check import REQUIRED_COLUMNS
from aione.app.demo import sample_data_dir
from aione.cli import app


def _assert_one_line_exit_2(code: int, stderr: str, folder: Path, *needles: str) -> None:
    lines = stderr.strip().splitlines()
    assert code == 2, stderr
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert str(folder) in lines[0] and "1m" in lines[0]
    assert ", ".join(REQUIRED_COLUMNS) in lines[0]  # що саме очікувалось
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("not bars")
    return folder


@pytest.fixture
def five_min_dir(tmp_path: Path, data_5m: Path) -> Path:
    folder = tmp_path / "bars5m"
    folder.mkdir()
    for name in ("BTCUSDT", "ETHUSDT"):
        shutil.copy(data_5m / f"{name}.parquet", folder / f"{name}.parquet")
    return folder


@pytest.fixture
def no_columns_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "nocols"
    folder.mkdir()
    table = pa.table({"open_time": [0, 60_000], "close": [1.0, 2.0]})
    pq.write_table(table, folder / "BTCUSDT.parquet")
    return folder


# ── demo: справжній процес (колись тут був traceback на 55 рядків) ──
def _demo(folder: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIONE_DATA_DIR": str(cwd / "data"), "AIONE_METRICS_PORT": "0"}
    return subprocess.run(
        [sys.executable, "-m", "aione", "demo", "--no-ui", "--duration", "1", "--data", str(folder)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_demo_folder_without_parquet(empty_dir: Path, tmp_path: Path) -> None:
    proc = _demo(empty_dir, tmp_path)
    _assert_one_line_exit_2(proc.returncode, proc.stderr, empty_dir, "aione demo:", "no *.parquet")
    assert proc.stdout == ""


def test_demo_folder_of_5m_bars(five_min_dir: Path, tmp_path: Path) -> None:
    proc = _demo(five_min_dir, tmp_path)
    _assert_one_line_exit_2(proc.returncode, proc.stderr, five_min_dir, "aione demo:", "5m bars")


def test_demo_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    proc = _demo(missing, tmp_path)
    _assert_one_line_exit_2(proc.returncode, proc.stderr, missing, "no such folder")


# ── backtest / calibrate: CliRunner ──
def _cli(tmp_path: Path, args: list[str]) -> tuple[int, str]:
    res = CliRunner(env={"AIONE_DATA_DIR": str(tmp_path / "data")}).invoke(app, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res.exit_code, res.stderr


def test_backtest_folder_without_data_writes_no_report(empty_dir: Path, tmp_path: Path) -> None:
    code, err = _cli(tmp_path, ["backtest", str(empty_dir), "--seeds", "1"])
    _assert_one_line_exit_2(code, err, empty_dir, "aione backtest:", "no *.parquet")
    assert not (tmp_path / "data" / "backtest_report").exists()


def test_backtest_folder_of_5m_bars(five_min_dir: Path, tmp_path: Path) -> None:
    code, err = _cli(tmp_path, ["backtest", str(five_min_dir), "--seeds", "1"])
    _assert_one_line_exit_2(code, err, five_min_dir, "5m bars", "BTCUSDT.parquet")


def test_backtest_missing_folder_and_a_file_instead(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    code, err = _cli(tmp_path, ["backtest", str(missing)])
    _assert_one_line_exit_2(code, err, missing, "no such folder")
    a_file = sample_data_dir() / "BTCUSDT.parquet"
    code, err = _cli(tmp_path, ["backtest", str(a_file)])
    _assert_one_line_exit_2(code, err, a_file, "not a folder")


def test_backtest_files_without_bar_columns(no_columns_dir: Path, tmp_path: Path) -> None:
    code, err = _cli(tmp_path, ["backtest", str(no_columns_dir)])
    _assert_one_line_exit_2(code, err, no_columns_dir, "lacks columns open, high, low, volume")


def test_backtest_unknown_symbol(tmp_path: Path) -> None:
    folder = sample_data_dir()
    code, err = _cli(tmp_path, ["backtest", str(folder), "--symbols", "BTCUSDT,NOPEUSDT"])
    _assert_one_line_exit_2(code, err, folder, "no bars for NOPEUSDT")


def test_backtest_window_without_bars(tmp_path: Path) -> None:
    folder = sample_data_dir()
    code, err = _cli(tmp_path, ["backtest", str(folder), "--start", "2020-01-01", "--end", "2020-02-01"])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err
    assert str(folder) in lines[0] and "no bars between 2020-01-01 00:00 UTC and 2020-02-01 00:00 UTC" in lines[0]
    assert "the data covers 2025-" in lines[0]
    assert not (tmp_path / "data" / "backtest_report").exists()


def test_calibrate_folder_without_data(empty_dir: Path, tmp_path: Path) -> None:
    code, err = _cli(tmp_path, ["calibrate", str(empty_dir), "--trials", "1"])
    _assert_one_line_exit_2(code, err, empty_dir, "aione calibrate:", "no *.parquet")
    assert not (tmp_path / "data").exists()  # ні бази Optuna, ні файлу параметрів


def test_backtest_skips_one_bad_file_when_others_are_usable(tmp_path: Path) -> None:
    """Окремий пошкоджений файл — не помилка каталогу: бектест його пропускає й називає (див. runner)."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(sample_data_dir() / "BTCUSDT.parquet", folder / "BTCUSDT.parquet")
    (folder / "BADUSDT.parquet").write_bytes(b"garbage")
    code, err = _cli(tmp_path, ["backtest", str(folder), "--seeds", "1", "--no-html"])
    assert code == 0, err
    assert "Traceback" not in err
