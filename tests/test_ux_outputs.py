"""Куди йде вивід: запуск з порожнього робочого каталогу не лишає жодного файлу поза каталогом
даних (AIONE_DATA_DIR), хіба що `--out` каже інакше; кожна команда на виході каже, що й де записала;
demo і run пишуть журнал в одне місце (каталог даних) і кажуть де."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aione.app.demo import sample_data_dir
from aione.cli import app
from aione.logging_setup import LOG_FILENAME


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_demo_with_table_from_empty_dir_logs_only_under_the_data_dir(tmp_path: Path) -> None:
    work, data_dir = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    env = {**os.environ, "AIONE_DATA_DIR": str(data_dir), "AIONE_METRICS_PORT": "0", "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "aione", "demo", "--duration", "2"],  # з живою таблицею: журнал — у файл
        cwd=work, env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _files(work) == []  # раніше тут лягав aione_demo.log
    log = data_dir / LOG_FILENAME
    assert _files(data_dir) == [log] and "watching" in log.read_text()
    err = proc.stderr.strip().splitlines()
    assert err[0] == f"aione demo: log → {log}"  # каже де, ще до таблиці
    assert err[-1] == f"aione demo: wrote log → {log}"  # і що записала, на виході
    assert "Traceback" not in proc.stderr


def test_demo_headless_writes_nothing_and_says_so(tmp_path: Path) -> None:
    work, data_dir = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    env = {**os.environ, "AIONE_DATA_DIR": str(data_dir), "AIONE_METRICS_PORT": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "aione", "demo", "--no-ui", "--duration", "1"],
        cwd=work, env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _files(work) == [] and not data_dir.exists()
    assert proc.stderr.strip().splitlines()[-1] == "aione demo: wrote no files"


def test_backtest_from_empty_dir_with_out_writes_only_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work, data_dir, out = tmp_path / "work", tmp_path / "data", tmp_path / "reports"
    work.mkdir()
    monkeypatch.chdir(work)
    res = CliRunner(env={"AIONE_DATA_DIR": str(data_dir)}).invoke(
        app, ["backtest", str(sample_data_dir()), "--symbols", "BTCUSDT", "--seeds", "1", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert _files(work) == [] and not data_dir.exists()  # лише --out
    assert {out / "report.html", out / "report.json"} <= set(_files(out))
    assert f"  report: {out / 'report.html'} (JSON: {out / 'report.json'})" in res.stderr.splitlines()
