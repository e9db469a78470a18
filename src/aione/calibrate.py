"""Калібрування параметрів Optuna з walk-forward ціллю; файл перевизначень для `aione run/backtest`.

- Простір пошуку — `OPTUNA_PARAM_RANGES`; кожен ключ має адресу в параметрах стадій
  (`PARAM_TARGETS`, `weight_<x>` → `stage2.weights.<x>`); невідомий ключ — помилка, а не тиша.
  Цілі межі → `suggest_int`, інакше `suggest_float`. `min_confidence` задає поріг і Stage2
  (сильна рекомендація), і Stage3 (право на угоду) — інакше одна зміна без другої нічого не дає.
- Ціль — walk-forward (див. `aione.backtest.walkforward`): бали відрізків підбору, відрізок
  перевірки оптимізатор не бачить; його бал для найкращих і типових параметрів — у `_meta` файлу.
- Сховище: типово `OPTUNA_SQLITE_URI`; `redis://…` → `JournalStorage` з Redis-бекендом (ключі
  під `OPTUNA_JOURNAL_KEY`), `journal:ШЛЯХ` → журнал у файлі; інше — RDB URL. Кілька процесів
  (на одній чи різних машинах) з тим самим сховищем і `--study` працюють над одним дослідженням.
- Файл перевизначень — JSON `{"stage1": {...}, "stage2": {...}, "stage3": {...}, "_meta": {...}}`;
  `load_overrides` повертає лише три секції стадій (TOML теж читається).
"""

from __future__ import annotations

import json
import math
import tomllib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from aione.backtest.runner import RunSpec
from aione.backtest.walkforward import (
    DEFAULT_MIN_TRADES,
    Fold,
    common_window,
    fit_score,
    make_folds,
    validation_score,
)
from aione.config.config import OPTUNA_PARAM_RANGES, OPTUNA_SQLITE_URI
from aione.data.redis_keys import OPTUNA_JOURNAL_KEY
from aione.logging_setup import get_logger

logger = get_logger(__name__)

STAGES = ("stage1", "stage2", "stage3")
DEFAULT_FOLDS = 4
# Адреси параметрів Optuna у секціях стадій: ключ → [(стадія, шлях у словнику), …].
PARAM_TARGETS: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "vol_z_threshold": (("stage1", ("vol_z_threshold",)),),
    "rsi_overbought": (("stage1", ("rsi_overbought",)),),
    "rsi_oversold": (("stage1", ("rsi_oversold",)),),
    "min_reasons_for_alert": (("stage1", ("min_reasons_for_alert",)),),
    "vwap_deviation": (("stage1", ("vwap_deviation",)),),
    "volatility_k": (("stage1", ("volatility_k",)),),
    "tp_mult": (("stage2", ("tp_mult",)),),
    "sl_mult": (("stage2", ("sl_mult",)),),
    "min_confidence": (("stage2", ("min_confidence",)), ("stage3", ("min_confidence",))),
}


# ── Параметри → перевизначення ──
def targets_of(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Куди потрапляє параметр Optuna; невідомий — `KeyError` з поясненням."""
    if name in PARAM_TARGETS:
        return PARAM_TARGETS[name]
    if name.startswith("weight_") and len(name) > len("weight_"):
        return (("stage2", ("weights", name[len("weight_") :])),)
    raise KeyError(f"calibration parameter {name!r} has no target in stage params")


def params_to_overrides(params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Пласкі параметри trial → `{"stage1": …, "stage2": …, "stage3": …}`."""
    out: dict[str, dict[str, Any]] = {stage: {} for stage in STAGES}
    for name in sorted(params):
        for stage, path in targets_of(name):
            node = out[stage]
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = params[name]
    return out


def suggest(
    trial: optuna.Trial, ranges: Mapping[str, tuple[Any, Any]] = OPTUNA_PARAM_RANGES
) -> dict[str, Any]:
    """Значення trial для кожного діапазону (цілі межі — ціле число)."""
    values: dict[str, Any] = {}
    for name in sorted(ranges):
        lo, hi = ranges[name]
        if isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool):
            values[name] = trial.suggest_int(name, lo, hi)
        else:
            values[name] = trial.suggest_float(name, float(lo), float(hi))
    return values


# ── Файл перевизначень ──
def load_overrides(path: str | Path) -> dict[str, dict[str, Any]]:
    """Перевизначення з JSON/TOML: рівно `stage1`/`stage2`/`stage3` (відсутня — порожня).

    Невідома секція верхнього рівня (крім службових, що починаються з `_`) — `ValueError`."""
    p = Path(path)
    raw = (
        tomllib.loads(p.read_text(encoding="utf-8"))
        if p.suffix == ".toml"
        else json.loads(p.read_text(encoding="utf-8"))
    )
    if not isinstance(raw, dict):
        raise ValueError(f"{p}: overrides must be an object with stage1/stage2/stage3")
    unknown = sorted(k for k in raw if k not in STAGES and not str(k).startswith("_"))
    if unknown:
        raise ValueError(f"{p}: unknown sections {unknown}; allowed: {', '.join(STAGES)}")
    out: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        section = raw.get(stage) or {}
        if not isinstance(section, dict):
            raise ValueError(f"{p}: section {stage!r} must be an object")
        out[stage] = section
    return out


def write_overrides(
    path: str | Path, overrides: Mapping[str, Any], meta: Mapping[str, Any] | None = None
) -> Path:
    """Пише JSON перевизначень (ключі відсортовано) з необов'язковим `_meta`."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {stage: dict(overrides.get(stage) or {}) for stage in STAGES}
    if meta:
        data["_meta"] = dict(meta)
    p.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return p


# ── Сховище ──
def make_storage(uri: str | None) -> str | optuna.storages.BaseStorage:
    """Сховище Optuna за URI (правила — в описі модуля)."""
    uri = uri or OPTUNA_SQLITE_URI
    if uri.startswith(("redis://", "rediss://", "unix://")):
        from optuna.storages.journal import JournalRedisBackend

        # Бекенд позначено experimental з v3.1; інтерфейс нам відомий, попередження лише шумить.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            backend = JournalRedisBackend(uri, prefix=OPTUNA_JOURNAL_KEY)
        return optuna.storages.JournalStorage(backend)
    if uri.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(uri[len("journal:") :]))
    return uri


# ── Дослідження ──
@dataclass(frozen=True, slots=True)
class CalibrationResult:
    """Підсумок: найкращі параметри, їхні перевизначення, бали підбору й перевірки."""

    study_name: str
    best_params: dict[str, Any]
    overrides: dict[str, dict[str, Any]]
    fit_score: float
    validation_score: float
    default_validation_score: float
    trials: int
    folds: tuple[Fold, ...]


def make_objective(
    spec: RunSpec,
    folds: list[Fold],
    ranges: Mapping[str, tuple[Any, Any]],
    min_trades: int = DEFAULT_MIN_TRADES,
) -> Callable[[optuna.Trial], float]:
    """Ціль trial: середній walk-forward бал відрізків підбору (бали — у user_attrs)."""

    def objective(trial: optuna.Trial) -> float:
        overrides = params_to_overrides(suggest(trial, ranges))
        score = fit_score(spec, folds, overrides, min_trades)
        trial.set_user_attr("fold_scores", list(score.fold_scores))
        trial.set_user_attr("fold_trades", list(score.fold_trades))
        return score.mean

    return objective


def calibrate(
    spec: RunSpec,
    *,
    trials: int,
    storage: str | None = None,
    study_name: str = "aione",
    n_folds: int = DEFAULT_FOLDS,
    seed: int | None = None,
    ranges: Mapping[str, tuple[Any, Any]] = OPTUNA_PARAM_RANGES,
    validate: bool = True,
    min_trades: int = DEFAULT_MIN_TRADES,
) -> CalibrationResult:
    """Запускає `trials` спроб цього процесу над спільним дослідженням і рахує перевірку."""
    first, last = common_window(spec)
    folds = make_folds(first, last, n_folds)
    study = optuna.create_study(
        study_name=study_name,
        storage=make_storage(storage),
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        load_if_exists=True,
    )
    study.set_user_attr("folds", [[f.start_ms, f.end_ms] for f in folds])
    study.optimize(make_objective(spec, folds, ranges, min_trades), n_trials=trials)
    best = study.best_trial
    overrides = params_to_overrides(best.params)
    val = validation_score(spec, folds, overrides, min_trades).mean if validate else float("nan")
    default_val = validation_score(spec, folds, None, min_trades).mean if validate else float("nan")
    logger.info(
        "calibration done study=%s trials=%d best_fit=%.4f validation=%.4f default_validation=%.4f",
        study_name,
        len(study.trials),
        best.value if best.value is not None else float("nan"),
        val,
        default_val,
    )
    return CalibrationResult(
        study_name,
        dict(best.params),
        overrides,
        float(best.value if best.value is not None else float("nan")),
        val,
        default_val,
        len(study.trials),
        tuple(folds),
    )


def result_meta(res: CalibrationResult) -> dict[str, Any]:
    """Службовий опис для `_meta` файлу перевизначень."""

    def num(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return {
        "study": res.study_name,
        "trials": res.trials,
        "params": res.best_params,
        "fit_score": num(res.fit_score),
        "validation_score": num(res.validation_score),
        "default_validation_score": num(res.default_validation_score),
        "folds_ms": [[f.start_ms, f.end_ms] for f in res.folds],
        "scheme": "walk-forward: F0 warm-up, F1..F(n-2) fit (objective), F(n-1) validation (unseen)",
    }


__all__ = [
    "DEFAULT_FOLDS",
    "PARAM_TARGETS",
    "STAGES",
    "CalibrationResult",
    "calibrate",
    "load_overrides",
    "make_objective",
    "make_storage",
    "params_to_overrides",
    "result_meta",
    "suggest",
    "targets_of",
    "write_overrides",
]
