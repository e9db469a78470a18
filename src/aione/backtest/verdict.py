"""Рядок вердикту в README: той самий, що згенерував звіт (`report.json` → `verdict`), з межами прогону.

Рядок генерується з чисел розділу `baselines` (`baseline_summary.verdict_line`), ніколи не
пишеться руками; тут він лише переноситься в README між маркерами `<!-- verdict:start -->` і
`<!-- verdict:end -->`:

    python -m aione.backtest.verdict REPORT.json --readme README.md

(без `--readme` лише друкує рядок). Решта README не змінюється.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

VERDICT_START = "<!-- verdict:start -->"
VERDICT_END = "<!-- verdict:end -->"


# ── README ──
def _date(ms: Any) -> str:
    if not isinstance(ms, int):
        return "?"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def readme_line(report: Mapping[str, Any]) -> str:
    """Рядок для README: межі прогону з `run` і вердикт звіту (помилка, якщо вердикту немає)."""
    verdict = report.get("verdict")
    if not isinstance(verdict, str) or not verdict:
        raise ValueError("report has no generated verdict (run aione backtest with baselines)")
    run = report.get("run") or {}
    trades = (report.get("overall") or {}).get("trades")
    return (
        f"**Backtest verdict** ({len(run.get('symbols') or [])} symbols, {_date(run.get('first_bar_ms'))} – "
        f"{_date(run.get('last_bar_ms'))} UTC, {trades} strategy trades; generated from report.json): {verdict}"
    )


def replace_block(text: str, line: str) -> str:
    """Текст з рядком `line` між маркерами вердикту (маркери лишаються; кожен — рівно один раз)."""
    if text.count(VERDICT_START) != 1 or text.count(VERDICT_END) != 1:
        raise ValueError(f"expected exactly one {VERDICT_START} and one {VERDICT_END} marker")
    start, end = text.index(VERDICT_START), text.index(VERDICT_END)
    if end < start:
        raise ValueError(f"{VERDICT_END} comes before {VERDICT_START}")
    return f"{text[: start + len(VERDICT_START)]}\n{line}\n{text[end:]}"


def rewrite_readme(report_path: Path, readme_path: Path) -> bool:
    """Переписує блок вердикту README з `report.json`; True, якщо файл змінився."""
    report = orjson.loads(report_path.read_bytes())
    old = readme_path.read_text(encoding="utf-8")
    new = replace_block(old, readme_line(report))
    if new != old:
        readme_path.write_text(new, encoding="utf-8")
    return new != old


# ── Командний рядок ──
def main(argv: Sequence[str] | None = None) -> int:
    """`python -m aione.backtest.verdict REPORT.json [--readme README.md]`; код виходу 0 / 2."""
    parser = argparse.ArgumentParser(
        prog="python -m aione.backtest.verdict", description=__doc__.splitlines()[0]
    )
    parser.add_argument("report", type=Path, help="report.json of aione backtest")
    parser.add_argument(
        "--readme", type=Path, default=None, help="README with the verdict markers to rewrite"
    )
    args = parser.parse_args(argv)
    try:
        if args.readme is None:
            line = readme_line(orjson.loads(args.report.read_bytes()))
            sys.stdout.write(line + "\n")
        else:
            changed = rewrite_readme(args.report, args.readme)
            sys.stdout.write(f"{args.readme}: {'updated' if changed else 'unchanged'}\n")
    except (OSError, ValueError) as exc:  # orjson.JSONDecodeError — підклас ValueError
        sys.stderr.write(f"aione verdict: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "VERDICT_END",
    "VERDICT_START",
    "main",
    "readme_line",
    "replace_block",
    "rewrite_readme",
]
