"""Короткі людські підсумки команд (чисті функції над вже порахованими числами).

Кожна команда наприкінці каже, що вона записала і де, а бектест — ще й головне з звіту:
угоди, очікування у % і R, вердикт проти випадкової базової лінії і наступну команду.
Мова — англійська, як у решти повідомлень CLI (`aione backtest: …`); один рядок — одна мова.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aione.utils.utils import finite_or_none


# ── Що записано ──
def outputs_lines(command: str, written: Sequence[tuple[str, str | Path]]) -> list[str]:
    """`aione demo: wrote log → /data/aione.log`; нічого не записано — так і сказано."""
    if not written:
        return [f"aione {command}: wrote no files"]
    return [f"aione {command}: wrote {what} → {where}" for what, where in written]


# ── Бектест ──
def _iso(ms: Any) -> str:
    number = finite_or_none(ms)
    if number is None:
        return "-"
    return datetime.fromtimestamp(number / 1000.0, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _signed(value: Any, digits: int, unit: str) -> str:
    number = finite_or_none(value)
    return "n/a" if number is None else f"{number:+.{digits}f}{unit}"


def backtest_lines(
    report: Mapping[str, Any],
    json_path: Path,
    html_path: Path | None,
    data_dir: Path,
    *,
    params: Path | None = None,
    symbols: str | None = None,
) -> list[str]:
    """Підсумок бектесту для людини: період, угоди, очікування % і R, вердикт, звіт, наступна команда."""
    overall: Mapping[str, Any] = report.get("overall") or {}
    run: Mapping[str, Any] = report.get("run") or {}
    trades = int(overall.get("trades") or 0)
    names = run.get("symbols") or []
    hit = finite_or_none(overall.get("hit_rate"))
    lines = [
        f"backtest: {len(names)} symbols, {_iso(run.get('first_bar_ms'))} .. {_iso(run.get('last_bar_ms'))} UTC, "
        f"{int(run.get('symbol_bars') or 0):,} symbol-bars",
        f"  trades: {trades}"
        + (f" (hit rate {hit * 100:.1f} %)" if hit is not None and trades else "")
        + f", signals {int(overall.get('signals') or 0)}",
        "  expectancy per trade after fees: "
        + (
            f"{_signed(overall.get('expectancy_pct'), 3, ' %')} = {_signed(overall.get('expectancy_r'), 2, ' R')}"
            if trades
            else "n/a (no closed trades)"
        ),
        f"  verdict: {report.get('verdict') or 'n/a'}",
        f"  report: {html_path if html_path is not None else json_path}"
        + (f" (JSON: {json_path})" if html_path is not None else ""),
    ]
    if params is None:
        cmd = ["aione", "calibrate", str(data_dir)]
        if symbols:
            cmd += ["--symbols", symbols]
        lines.append(f"  next: {shlex.join(cmd)}   # search parameters, then backtest them with --params")
    else:
        lines.append(f"  next: {shlex.join(['aione', 'run', '--params', str(params)])}   # paper-trade them live")
    return lines


__all__ = ["backtest_lines", "outputs_lines"]
