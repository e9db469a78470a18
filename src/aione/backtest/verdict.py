"""Рядок вердикту: генерується з чисел розділу `baselines` звіту, ніколи не пишеться руками.

«edge» (перевага) — лише коли нижня межа інтервалу різниці «стратегія мінус випадкові входи»
більша за нуль; верхня межа нижче нуля — «no edge (worse than random entries)»; інакше «no edge».

Той самий рядок потрапляє в README між маркерами `<!-- verdict:start -->` і `<!-- verdict:end -->`:

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
WORD_EDGE = "edge"
WORD_NO_EDGE = "no edge"
WORD_WORSE = "no edge (worse than random entries)"


# ── Форматування ──
def _signed(value: Any, digits: int = 3) -> str:
    return f"{value:+.{digits}f}" if isinstance(value, int | float) else "n/a"


def _plain(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "n/a"


def edge_word(ci_low: float | None, ci_high: float | None) -> str:
    """Слово вердикту з меж інтервалу різниці (див. опис модуля)."""
    if ci_low is not None and ci_low > 0:
        return WORD_EDGE
    if ci_high is not None and ci_high < 0:
        return WORD_WORSE
    return WORD_NO_EDGE


# ── Рядок вердикту ──
def verdict_line(section: Mapping[str, Any]) -> str:
    """Один рядок з розділу `baselines` (`baseline_summary.baselines_section`, після `report.clean`)."""
    strategy = section.get("strategy") or {}
    random = section.get("random") or {}
    rank = section.get("strategy_percentile") or {}
    diff = section.get("diff_vs_random") or {}
    seeds = random.get("seeds")
    refs = (
        f"always long {_signed((section.get('always_long') or {}).get('mean_pct'))}, "
        f"always short {_signed((section.get('always_short') or {}).get('mean_pct'))} %/trade, "
        f"buy-and-hold {_signed((section.get('buy_and_hold') or {}).get('mean_pct'), 2)} %"
    )
    if strategy.get("mean_pct") is None:
        return f"strategy made no closed trades vs {seeds}-seed random entries ({refs}): {WORD_NO_EDGE}"
    if diff.get("diff_pct") is None:
        return (
            f"strategy {_signed(strategy['mean_pct'])} %/trade after fees; {seeds}-seed random entries "
            f"made no closed trades ({refs}): {WORD_NO_EDGE}"
        )
    level = diff.get("level")
    level_pct = f"{level * 100:.0f}" if isinstance(level, int | float) else "n/a"
    low, high = diff.get("ci_low_pct"), diff.get("ci_high_pct")
    percentile = rank.get("percentile")
    return (
        f"strategy vs {seeds}-seed random entries: {_signed(diff['diff_pct'])} %/trade after fees, "
        f"{level_pct} % CI [{_signed(low)}, {_signed(high)}] "
        f"(strategy {_signed(strategy['mean_pct'])}, random {_signed(random.get('mean_pct'))} "
        f"± {_plain(random.get('std_pct'))}); above {rank.get('seeds_below')} of {rank.get('seeds')} seeds "
        f"(percentile {_plain(percentile, 0)}); {refs}: {edge_word(low, high)}"
    )


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
    "edge_word",
    "main",
    "readme_line",
    "replace_block",
    "rewrite_readme",
    "verdict_line",
]
