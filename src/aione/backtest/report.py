"""Звіт бектесту: записи прогону → детермінований JSON (без часу виконання і годинника).

Групи: загалом, за типом рекомендації, за тригером (угода — у кожній групі своїх тригерів),
за символом і за стороною; поруч — базові лінії (`baseline_sections`): випадкові входи базового
seed-а (угоди, капітал) з різницею ключових показників, розділ `baselines` (багато seed-ів,
бутстреп-інтервал, «завжди long/short», купив-і-тримай — `baseline_summary`) і згенерований з
його чисел рядок `verdict` (`baseline_summary.verdict_line`); для трейдера — `assumptions`
(комісії, заповнення, правило TP/SL в одному барі) і `trader` (просідання з датами, серії,
Sharpe/Sortino денних прибутків, причини виходу, дні й тижні — `trader_stats`).
Числа округлено до 6 знаків після коми, NaN/inf → null, ключі відсортовано, тож однакові входи
дають побайтово однаковий файл.
Час виконання — окремо (`timing.json`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from aione.backtest.assumptions import assumptions_section
from aione.backtest.baseline_summary import baselines_section, verdict_line
from aione.backtest.baselines_multi import BaselineRuns
from aione.backtest.metrics import equity_curve, grouped_summary, summarize
from aione.backtest.runner import BacktestResult, Overrides, stage_params
from aione.backtest.trader_stats import trader_section

REPORT_SCHEMA = "aione.backtest.v1"
REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
TIMING_JSON = "timing.json"
_COMPARE_KEYS = ("hit_rate", "avg_r", "expectancy_r", "avg_return_pct", "profit_factor", "max_drawdown_r")


# ── Очищення чисел ──
def clean(value: Any, digits: int = 6) -> Any:
    """Рекурсивно: float → округлений (NaN/inf → None), кортежі → списки, ключі → рядки."""
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): clean(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v, digits) for v in value]
    return value


# ── Групування ──
def _rec_key(item: Mapping[str, Any]) -> list[str]:
    return [str(item.get("recommendation") or "none")]


def _trigger_keys(item: Mapping[str, Any]) -> list[str]:
    return [str(t) for t in item.get("triggers") or ()] or ["none"]


def _symbol_key(item: Mapping[str, Any]) -> list[str]:
    return [str(item.get("symbol"))]


def _side_key(item: Mapping[str, Any]) -> list[str]:
    return [str(item.get("side") or "none")]


def _compare(strategy: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _COMPARE_KEYS:
        a, b = strategy.get(key), baseline.get(key)
        out[key] = {"strategy": a, "baseline": b, "diff": a - b if a is not None and b is not None else None}
    return out


# ── Базові лінії ──
def baseline_sections(
    trades: Sequence[Mapping[str, Any]],
    overall: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    baselines: BaselineRuns | None,
) -> dict[str, Any]:
    """Розділи звіту про базові лінії: `baseline` і `vs_baseline` (прогін базового seed-а),
    `baselines` і `verdict` (усі базові лінії; рядок — з уже округлених чисел розділу, тож
    README, переписаний з `report.json`, отримує той самий рядок)."""
    out: dict[str, Any] = {}
    if baseline is not None:
        base_trades: Sequence[Mapping[str, Any]] = baseline.get("trades") or []
        base_overall = summarize(base_trades, int(baseline.get("requested") or 0))
        out["baseline"] = {
            "seed": baseline.get("seed"),
            "requested": baseline.get("requested"),
            "created": baseline.get("created"),
            "overall": base_overall,
            "by_side": grouped_summary(base_trades, [], _side_key),
            "equity": [[ts, v] for ts, v in equity_curve(base_trades, "pnl_pct")],
            "trades": list(base_trades),
        }
        out["vs_baseline"] = _compare(overall, base_overall)
    if baselines is not None:
        section = clean(baselines_section(trades, baselines))
        out["baselines"] = section
        out["verdict"] = verdict_line(section)
    return out


# ── Звіт ──
def build_report(
    result: BacktestResult,
    baseline: Mapping[str, Any] | None = None,
    overrides: Overrides | None = None,
    baselines: BaselineRuns | None = None,
    quality: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Повний звіт (словник, готовий до JSON). `baseline` — прогін базового seed-а
    (`BaselineRuns.base()`), `baselines` — усі базові лінії (`baselines_multi.run_baselines`)."""
    trades, signals = result.trades, result.signals
    overall = summarize(trades, len(signals))
    status_counts: dict[str, int] = {}
    for s in signals:
        key = str(s.get("status"))
        status_counts[key] = status_counts.get(key, 0) + 1
    spec = result.spec
    report: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "run": {
            "data_dir": str(spec.data_dir),
            "symbols": list(spec.resolved_symbols()),
            "start_ms": spec.start_ms,
            "end_ms": spec.end_ms,
            "first_bar_ms": result.first_ts,
            "last_bar_ms": result.last_ts,
            "symbol_bars": result.symbol_bars,
            "overrides": dict(overrides or {}),
        },
        "counters": dict(sorted(result.counters.items())),
        "signal_status": dict(sorted(status_counts.items())),
        "overall": overall,
        "by_recommendation": grouped_summary(trades, signals, _rec_key),
        "by_trigger": grouped_summary(trades, signals, _trigger_keys),
        "by_symbol": grouped_summary(trades, signals, _symbol_key),
        "by_side": grouped_summary(trades, signals, _side_key),
        "cancelled_trades": len(result.cancelled),
        "open_at_end": result.open_at_end,
        "equity": [[ts, v] for ts, v in equity_curve(trades, "pnl_pct")],
        "trades": trades,
        "signals": signals,
        # Для трейдера: припущення виконання і числа угод (`assumptions`, `trader_stats`).
        "assumptions": assumptions_section(stage_params(overrides)[2]),
        "trader": trader_section(trades, result.first_ts, result.last_ts),
    }
    report.update(baseline_sections(trades, overall, baseline, baselines))
    if quality is not None:
        # Якість сигналів (`signal_quality.quality_section`): бюджет, наслідки, децилі рангу, калібрування.
        report["signal_quality"] = dict(quality)
    result_report: dict[str, Any] = clean(report)
    return result_report


def report_bytes(report: Mapping[str, Any]) -> bytes:
    """Канонічні байти JSON-звіту (відсортовані ключі, відступ 2, кінцевий перевід рядка)."""
    return orjson.dumps(report, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def write_report(report: Mapping[str, Any], out_dir: Path, timing: Mapping[str, Any] | None = None) -> Path:
    """Пише `report.json` (і `timing.json`, якщо передано) у каталог; повертає шлях до JSON."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_JSON
    path.write_bytes(report_bytes(report))
    if timing is not None:
        (out_dir / TIMING_JSON).write_bytes(orjson.dumps(dict(timing), option=orjson.OPT_INDENT_2) + b"\n")
    return path


__all__ = [
    "REPORT_HTML",
    "REPORT_JSON",
    "REPORT_SCHEMA",
    "TIMING_JSON",
    "baseline_sections",
    "build_report",
    "clean",
    "report_bytes",
    "write_report",
]
