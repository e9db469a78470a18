"""Рядок вердикту генерується з чисел звіту; README переписується лише між маркерами; звіт детермінований."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from aione.backtest.baseline_summary import WORD_EDGE, WORD_NO_EDGE, WORD_WORSE, edge_word, verdict_line
from aione.backtest.report import report_bytes
from aione.backtest.runner import RunSpec
from aione.backtest.session import run_session
from aione.backtest.verdict import VERDICT_END, VERDICT_START, main, readme_line, replace_block
from aione.cli import app

T0 = 1746373980000
SYMBOLS = ("SOLUSDT", "SUIUSDT")


def _section(low: float, high: float, diff: float = 0.05) -> dict[str, Any]:
    return {
        "strategy": {"trades": 120, "mean_pct": -0.02},
        "random": {"seeds": 30, "mean_pct": -0.07, "std_pct": 0.03},
        "strategy_percentile": {"percentile": 86.666667, "seeds_below": 26, "seeds_equal": 0, "seeds": 30},
        "diff_vs_random": {"diff_pct": diff, "ci_low_pct": low, "ci_high_pct": high, "level": 0.95},
        "always_long": {"mean_pct": -0.05},
        "always_short": {"mean_pct": -0.09},
        "buy_and_hold": {"mean_pct": 5.31},
    }


# ── Рядок вердикту ──
def test_edge_only_when_whole_interval_is_above_zero() -> None:
    assert edge_word(0.001, 0.2) == WORD_EDGE
    assert edge_word(0.0, 0.2) == WORD_NO_EDGE
    assert edge_word(-0.1, 0.2) == WORD_NO_EDGE
    assert edge_word(-0.3, -0.01) == WORD_WORSE
    assert edge_word(None, None) == WORD_NO_EDGE


def test_verdict_line_is_built_from_the_numbers() -> None:
    line = verdict_line(_section(-0.04, 0.12))
    assert line == (
        "strategy vs 30-seed random entries: +0.050 %/trade after fees, 95 % CI [-0.040, +0.120] "
        "(strategy -0.020, random -0.070 ± 0.030); above 26 of 30 seeds (percentile 87); "
        "always long -0.050, always short -0.090 %/trade, buy-and-hold +5.31 %: no edge"
    )
    assert verdict_line(_section(0.01, 0.12)).endswith(": edge")
    assert verdict_line(_section(-0.2, -0.01, -0.1)).endswith(f": {WORD_WORSE}")


def test_verdict_line_without_trades() -> None:
    none = _section(0.1, 0.2)
    none["strategy"]["mean_pct"] = None
    assert verdict_line(none).startswith("strategy made no closed trades vs 30-seed random entries")
    assert verdict_line(none).endswith(f": {WORD_NO_EDGE}")
    no_random = _section(0.1, 0.2)
    no_random["diff_vs_random"] = {"diff_pct": None, "ci_low_pct": None, "ci_high_pct": None}
    assert verdict_line(no_random).endswith(
        f"made no closed trades (always long -0.050, always short -0.090 %/trade, buy-and-hold +5.31 %): {WORD_NO_EDGE}"
    )


# ── README ──
def test_replace_block_touches_only_the_marked_lines() -> None:
    text = f"# AiOne\n\nintro\n{VERDICT_START}\nold verdict\nsecond old line\n{VERDICT_END}\n\nrest\n"
    new = replace_block(text, "NEW")
    assert new == f"# AiOne\n\nintro\n{VERDICT_START}\nNEW\n{VERDICT_END}\n\nrest\n"
    assert replace_block(new, "NEW") == new
    inline = f"a {VERDICT_START}{VERDICT_END} b"
    assert replace_block(inline, "X") == f"a {VERDICT_START}\nX\n{VERDICT_END} b"
    for bad in (
        "no markers",
        f"{VERDICT_END}\n{VERDICT_START}",
        f"{VERDICT_START}{VERDICT_START}{VERDICT_END}",
    ):
        with pytest.raises(ValueError):
            replace_block(bad, "X")


def test_script_rewrites_readme_from_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = {
        "run": {"symbols": ["AAAUSDT", "BBBUSDT"], "first_bar_ms": T0, "last_bar_ms": T0 + 86_400_000},
        "overall": {"trades": 120},
        "baselines": _section(-0.04, 0.12),
    }
    report["verdict"] = verdict_line(report["baselines"])
    report_path = tmp_path / "report.json"
    report_path.write_bytes(report_bytes(report))
    readme = tmp_path / "README.md"
    readme.write_text(f"top\n{VERDICT_START}\n{VERDICT_END}\nbottom\n", encoding="utf-8")
    assert main([str(report_path), "--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    expected = readme_line(orjson.loads(report_path.read_bytes()))
    assert text == f"top\n{VERDICT_START}\n{expected}\n{VERDICT_END}\nbottom\n"
    assert "2 symbols, 2025-05-04 15:53 – 2025-05-05 15:53 UTC, 120 strategy trades" in expected
    assert expected.endswith(report["verdict"])
    assert main([str(report_path), "--readme", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == text  # повторний запуск нічого не змінює
    assert main([str(report_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == expected
    report_path.write_bytes(report_bytes({"run": {}}))
    assert main([str(report_path), "--readme", str(readme)]) == 2  # звіт без вердикту
    assert readme.read_text(encoding="utf-8") == text


# ── Звіт сеансу ──
def test_session_report_with_baselines_is_byte_identical(data_1m: Path, tmp_path: Path) -> None:
    spec = RunSpec(data_1m, SYMBOLS, None, T0 + 30 * 3_600_000)
    first = run_session(spec, tmp_path / "a", seeds=4, html=True)
    run_session(spec, tmp_path / "b", seeds=4, html=False)
    raw = (tmp_path / "a" / "report.json").read_bytes()
    assert raw == (tmp_path / "b" / "report.json").read_bytes()
    report = orjson.loads(raw)
    section = report["baselines"]
    assert section["random"]["seeds"] == 4 and len(section["random"]["per_seed_mean_pct"]) == 4
    assert report["verdict"] == verdict_line(section)
    assert section["strategy"]["trades"] == report["overall"]["trades"] > 0
    assert report["baseline"]["seed"] == section["random"]["seed"] == 20250509
    assert set(section["buy_and_hold"]["by_symbol_pct"]) == set(SYMBOLS)
    assert "baselines_sec" in json.loads((tmp_path / "a" / "timing.json").read_text())
    page = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert page.index("Вердикт") < page.index("Базові лінії") < page.index("Plotly.newPlot")
    assert first.report == report


def test_cli_backtest_seeds_option(data_1m: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    res = CliRunner().invoke(
        app,
        [
            "backtest",
            str(data_1m),
            "--symbols",
            ",".join(SYMBOLS),
            "--end",
            str(T0 + 12 * 3_600_000),
            "--out",
            str(out),
            "--no-html",
            "--seed",
            "7",
            "--seeds",
            "2",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    report = orjson.loads((out / "report.json").read_bytes())
    assert summary["verdict"] == report["verdict"]
    assert report["baselines"]["random"]["seeds"] == 2 and report["baselines"]["random"]["seed"] == 7
