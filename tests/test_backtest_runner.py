"""Бектест на реальних барах: детермінізм звіту, відповідність ядру, HTML, команда CLI."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from aione.app.pipeline import PipelineCore
from aione.backtest.runner import RunSpec, count_bars, make_core, run_backtest
from aione.backtest.session import run_session
from aione.cli import app
from aione.exchange.replay import iter_replay

SYMBOLS = ("SOLUSDT", "SUIUSDT")
# Перші ~1.5 доби запису: досить для алертів, угод і денного бару, і швидко.
END_MS = 1746373980000 + 36 * 3_600_000


def _spec(data_1m: Path) -> RunSpec:
    return RunSpec(data_1m, SYMBOLS, None, END_MS)


def test_same_inputs_give_byte_identical_json(data_1m: Path, tmp_path: Path) -> None:
    spec = _spec(data_1m)
    first = run_session(spec, tmp_path / "a", html=True)
    second = run_session(spec, tmp_path / "b", html=False)
    a = (tmp_path / "a" / "report.json").read_bytes()
    assert a == (tmp_path / "b" / "report.json").read_bytes()
    report = orjson.loads(a)
    assert report["overall"]["trades"] > 0 and report["overall"]["signals"] > 0
    assert report["run"]["symbol_bars"] == count_bars(spec) == first.result.symbol_bars
    assert report["baseline"]["requested"] == sum(1 for s in report["signals"] if s["trade_id"])
    assert set(report["by_symbol"]) <= set(SYMBOLS)
    # час виконання — окремо і не в звіті
    assert "pipeline_sec" in json.loads((tmp_path / "a" / "timing.json").read_text())
    assert b'_sec": ' not in a.replace(b"holding_sec", b"")
    page = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page and '<script src="http' not in page  # plotly.js вбудовано
    assert page.count("Plotly.newPlot") == 2 + len(SYMBOLS)  # капітал, калібрування, символи
    assert "Якість сигналів" in page and "Децилі рангу" in page and "id='budget-line'" in page
    assert second.html_path is None
    # якість сигналів: бюджет, наслідки кожного кандидата з напрямком, децилі, калібрування
    q = report["signal_quality"]
    assert q["budget"]["surfaced_per_symbol_day"] <= 3.0
    assert q["budget"]["surfaced"] == sum(1 for s in report["signals"] if s["surfaced"])
    assert set(q["rank_deciles"]["rows"]) == {f"D{k:02d}" for k in range(1, 11)}
    assert sum(r["signals"] for r in q["rank_deciles"]["rows"].values()) == len(report["signals"])
    assert len(q["confidence_calibration"]) == 10
    directed = [s for s in report["signals"] if s["signal_side"]]
    assert directed and all(s["outcome"] is not None for s in directed)


def test_runner_matches_a_plain_core_driver(data_1m: Path) -> None:
    """Сигнали бектесту — це рівно рішення ядра в порядку живого драйвера."""
    spec = RunSpec(data_1m, SYMBOLS, None, 1746373980000 + 8 * 3_600_000)
    core: PipelineCore = make_core(spec)
    released = []
    for ev in iter_replay(data_1m, SYMBOLS, None, spec.end_ms):
        step = core.on_bar(ev)
        released.extend(step.released)
        if step.alert is not None:
            released.extend(core.offer(step.alert, core.decide(step.alert)))
    released.extend(core.flush())
    # Записи сигналів ідуть у порядку вердиктів воріт: хвилина за хвилиною, у хвилині — за рангом.
    plain = [(r.decision["symbol"], r.decision["timestamp"], r.decision["recommendation"]) for r in released]
    res = run_backtest(spec)
    assert plain and [(s["symbol"], s["ts"], s["recommendation"]) for s in res.signals] == plain
    traded = {s["trade_id"] for s in res.signals if s["trade_id"]}
    done = {t["trade_id"] for t in res.trades + res.cancelled + res.open_at_end}
    assert traded == done  # кожна створена угода або закрита, або скасована, або ще відкрита


def test_overrides_change_the_run(data_1m: Path) -> None:
    spec = RunSpec(data_1m, SYMBOLS, None, 1746373980000 + 8 * 3_600_000)
    base = run_backtest(spec)
    strict = run_backtest(spec, {"stage1": {"min_reasons_for_alert": 3}})
    assert len(strict.signals) < len(base.signals)


def test_cli_backtest_with_lookahead_check(data_1m: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"stage2": {"tp_mult": 2.5}}))
    res = CliRunner().invoke(
        app,
        [
            "backtest",
            str(data_1m),
            "--symbols",
            "SUIUSDT",
            "--end",
            "2025-05-05T06:00",
            "--out",
            str(out),
            "--params",
            str(params),
            "--check-lookahead",
            "--samples",
            "2",
            "--no-html",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["lookahead"]["decisions_compared"] >= 0 and len(summary["lookahead"]["checked_ts"]) >= 1
    report = orjson.loads((out / "report.json").read_bytes())
    assert report["run"]["overrides"] == {"stage1": {}, "stage2": {"tp_mult": 2.5}, "stage3": {}}
    assert all(s["tp"] is None or s["status"] == "completed" for s in report["signals"])
    bad = CliRunner().invoke(app, ["backtest", str(tmp_path / "nope")])
    assert bad.exit_code == 2


def test_cli_backtest_writes_under_the_data_dir_by_default(
    data_1m: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Без --out звіт лягає в AIONE_DATA_DIR/backtest_report, а робочий каталог лишається порожнім."""
    work, data_dir = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("AIONE_DATA_DIR", str(data_dir))
    res = CliRunner().invoke(
        app, ["backtest", str(data_1m), "--symbols", "SUIUSDT", "--end", "2025-05-05T03:00", "--no-html", "--seeds", "2"]
    )
    assert res.exit_code == 0, res.output
    assert (data_dir / "backtest_report" / "report.json").is_file()
    assert list(work.iterdir()) == []
    ignored = (Path(__file__).resolve().parent.parent / ".gitignore").read_text().split()
    assert {"aione_data/", "backtest_report/", "aione_params.json", "aione_optuna.db"} <= set(ignored)
