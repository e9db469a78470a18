"""Команди, що говорять з людиною: підсумок бектесту (угоди, очікування в % і R, вердикт проти
випадкових входів, де звіт, наступна команда), прогрес калібрування з найкращим балом замість рядків
Optuna, довідка без `<bool>` у прапорців і з поясненням Stage1/Stage2 словами трейдера."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from aione.app.demo import sample_data_dir
from aione.app.summaries import backtest_lines, outputs_lines
from aione.backtest.runner import RunSpec
from aione.calibrate import calibrate
from aione.cli import app


# ── Підсумок бектесту ──
def test_backtest_lines_from_hand_built_report(tmp_path: Path) -> None:
    report = {
        "overall": {"trades": 12, "signals": 40, "hit_rate": 0.5, "expectancy_pct": 0.1234, "expectancy_r": 0.456},
        "run": {"symbols": ["BTCUSDT", "ETHUSDT"], "first_bar_ms": 1746316800000, "last_bar_ms": 1746403140000,
                "symbol_bars": 2880},
        "verdict": "strategy vs 30-seed random entries: +0.100 %/trade …: no edge",
    }  # fmt: skip
    out = tmp_path / "r"
    lines = backtest_lines(report, out / "report.json", out / "report.html", Path("/bars"), symbols="BTCUSDT")
    assert lines == [
        "backtest: 2 symbols, 2025-05-04 00:00 .. 2025-05-04 23:59 UTC, 2,880 symbol-bars",
        "  trades: 12 (hit rate 50.0 %), signals 40",
        "  expectancy per trade after fees: +0.123 % = +0.46 R",
        "  verdict: strategy vs 30-seed random entries: +0.100 %/trade …: no edge",
        f"  report: {out / 'report.html'} (JSON: {out / 'report.json'})",
        "  next: aione calibrate /bars --symbols BTCUSDT   # search parameters, then backtest them with --params",
    ]
    with_params = backtest_lines({**report, "overall": {"trades": 0}}, out / "report.json", None, Path("/bars"),
                                 params=Path("/p/best.json"))  # fmt: skip
    assert with_params[1] == "  trades: 0, signals 0"
    assert with_params[2] == "  expectancy per trade after fees: n/a (no closed trades)"
    assert with_params[-2] == f"  report: {out / 'report.json'}"
    assert with_params[-1].startswith("  next: aione run --params /p/best.json")
    assert outputs_lines("demo", []) == ["aione demo: wrote no files"]


def test_backtest_prints_human_summary_matching_the_report(tmp_path: Path) -> None:
    data = sample_data_dir()
    res = CliRunner(env={"AIONE_DATA_DIR": str(tmp_path / "data")}).invoke(
        app, ["backtest", str(data), "--symbols", "BTCUSDT,ETHUSDT", "--seeds", "2"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])  # машинний підсумок лишається у stdout
    report = orjson.loads(Path(summary["report"]).read_bytes())
    overall = report["overall"]
    assert overall["trades"] > 0  # на зразку є угоди: числа в рядках — справжні
    err = res.stderr.strip().splitlines()
    assert err[0].startswith("backtest: 2 symbols, 2025-05-27 15:31 .. 2025-06-03 15:30 UTC")
    assert err[1].startswith(f"  trades: {overall['trades']} (hit rate {overall['hit_rate'] * 100:.1f} %)")
    assert err[2] == (
        f"  expectancy per trade after fees: {overall['expectancy_pct']:+.3f} % = {overall['expectancy_r']:+.2f} R"
    )
    assert err[3] == f"  verdict: {report['verdict']}" and "random entries" in err[3]
    assert err[4] == f"  report: {summary['html']} (JSON: {summary['report']})"
    assert err[5].startswith(f"  next: aione calibrate {data} --symbols BTCUSDT,ETHUSDT")


# ── Калібрування: прогрес замість рядків Optuna ──
def test_calibrate_reports_each_trial_with_best_so_far(tmp_path: Path) -> None:
    seen: list[tuple[int, float | None]] = []
    spec = RunSpec(sample_data_dir(), ("BTCUSDT",), None, None)
    res = calibrate(spec, trials=3, storage=None, n_folds=3, seed=1, validate=False, min_trades=0,
                    on_trial=lambda done, best: seen.append((done, best)))  # fmt: skip
    assert [d for d, _ in seen] == [1, 2, 3]
    bests = [b for _, b in seen]
    assert all(b is not None for b in bests)
    assert bests == sorted(bests)  # найкращий досі не гіршає (ціль — максимум)
    assert bests[-1] == pytest.approx(res.fit_score)


def test_calibrate_cli_prints_no_optuna_trial_lines(tmp_path: Path) -> None:
    env = {**os.environ, "AIONE_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, "-m", "aione", "calibrate", str(sample_data_dir()), "--symbols", "BTCUSDT",
         "--trials", "2", "--folds", "3", "--seed", "1", "--no-validate", "--min-trades", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Trial 0 finished" not in proc.stderr and "A new study created" not in proc.stderr
    err = proc.stderr.strip().splitlines()
    assert err[0].startswith("calibration: study ")
    assert f"  study storage: {tmp_path / 'data' / 'aione_optuna.db'}" in err
    assert err[-1].startswith(f"  next: aione backtest {sample_data_dir()} --params ")


# ── Довідка ──
def _help(*args: str) -> str:
    res = CliRunner(env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"}).invoke(app, [*args, "--help"])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_help_marks_flags_and_explains_the_pipeline() -> None:
    root = _help()
    assert "Stage1 шукає незвичні рухи" in root and "Stage2 зважує сценарій" in root
    assert "Stage3 веде паперові угоди" in root
    for args in ((), ("demo",), ("backtest",), ("calibrate",), ("run",)):
        text = _help(*args)
        assert "<bool>" not in text, args
        assert "Show this message" not in text and "Показати цю довідку й вийти." in text, args
    demo = _help("demo")
    flag_lines = [line for line in demo.splitlines() if "--no-ui" in line or "--web " in line]
    assert len(flag_lines) == 2 and all("<flag>" in line for line in flag_lines)
    assert "(Stage1)" in _help("run") and "порада входу з TP/SL (Stage2)" in _help("run")


@pytest.mark.parametrize("command", [["backtest", "--help"], ["demo", "--help"], ["--help"]])
def test_help_screen_is_one_language(command: list[str]) -> None:
    """Службові слова довідки (заголовки панелей, «типово», «обов'язковий») — українською, як і тексти."""
    out = CliRunner().invoke(app, command, terminal_width=120).output
    for english in ("╭─ Options", "╭─ Arguments", "╭─ Commands", "[default:", "[required]"):
        assert english not in out, english
    assert "Параметри" in out
