"""Калібрування параметрів Optuna з walk-forward ціллю; файл перевизначень для `aione run/backtest`.

- Простір пошуку — `OPTUNA_PARAM_RANGES` (або свій, `load_space`); кожен ключ має адресу в
  параметрах стадій (`PARAM_TARGETS`, `weight_<x>` → `stage2.weights.<x>`); невідомий ключ —
  помилка, а не тиша. Цілі межі → `suggest_int`, інакше `suggest_float`. `min_confidence` задає
  поріг і Stage2 (сильна рекомендація), і Stage3 (право на угоду).
- TP шукається не напряму, а як відношення: `tp_mult` = `tp_sl_ratio` · `sl_mult`. План Stage2 —
  угода лише коли стоп ≥ k·C і чистий R/R = (TP − C)/(SL + C) ≥ m (C — комісія кола, k =
  `min_stop_cost_mult`, m = `min_risk_reward`, див. `aione.stage2.risk`). Для плану від ATR
  (TP = ρ·SL) з SL ≥ k·C друге виконується завжди, коли ρ ≥ m + (1 + m)/k (`min_tp_sl_ratio`;
  з типовими Stage2 — 3.0). Нижню межу `tp_sl_ratio` підтягнуто до цього числа, тож жоден trial
  не потрапляє в кут простору, де R/R після комісій відсікає всі угоди (раніше ~30 % простору).
  Окремі плани ще може відсікти рівень (SL за рівнем, TP перед опором) — це вже дані, не простір.
- Ціль — walk-forward (див. `aione.backtest.walkforward`): чистий % на угоду після комісій на
  відрізках підбору зі штрафом за нестачу угод; відрізок перевірки оптимізатор не бачить; його бал
  для найкращих і типових параметрів — у `_meta` файлу. Найкращі гірші за типові на перевірці —
  `validation_worse` (команда CLI тоді не пише файл без `--force`).
- Відбиток дослідження (`study_fingerprint`) — sha256 канонічного JSON з: символів, вікна
  open_time, кількості барів і blake2b вмісту барів вікна (`walkforward.data_window`), простору
  пошуку, визначення цілі (назва, версія, відрізки, min_trades, штраф) і типових параметрів стадій.
  Він зберігається в user attrs дослідження; типова назва — `aione-<12 hex відбитка>`. Наявне
  дослідження з іншим відбитком (або без нього, але з trial-ами) не відкривається:
  `StudyMismatchError` з переліком відмінностей.
- Сховище: типово `OPTUNA_SQLITE_URI`; `redis://…` → `JournalStorage` з Redis-бекендом (ключі
  під `OPTUNA_JOURNAL_KEY`), `journal:ШЛЯХ` → журнал у файлі; інше — RDB URL. Кілька процесів
  (на одній чи різних машинах) з тим самим сховищем і `--study` працюють над одним дослідженням.
- Файл перевизначень — JSON `{"stage1": {...}, "stage2": {...}, "stage3": {...}, "_meta": {...}}`;
  `load_overrides` повертає лише три секції стадій (TOML теж читається).
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import tomllib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import optuna

from aione.app.params_check import check_overrides
from aione.backtest.engines import Engine
from aione.backtest.runner import RunSpec, budget_params, stage_params
from aione.backtest.walkforward import (
    DEFAULT_MIN_TRADES,
    OBJECTIVE_NAME,
    OBJECTIVE_VERSION,
    DataWindow,
    Fold,
    data_window,
    fit_score,
    make_folds,
    validation_score,
)
from aione.config.config import (
    OPTUNA_MISSING_TRADE_LOSS_PCT,
    OPTUNA_PARAM_RANGES,
    OPTUNA_SQLITE_URI,
    OPTUNA_STUDY_PREFIX,
    STAGE2_CONFIG,
)
from aione.data.redis_keys import OPTUNA_JOURNAL_KEY
from aione.logging_setup import get_logger

logger = get_logger(__name__)

STAGES = ("stage1", "stage2", "stage3")
BUDGET_SECTION = "budget"  # необов'язкова секція файлу перевизначень: бюджет алертів
DEFAULT_FOLDS = 4
FINGERPRINT_VERSION = 1
SHORT_FINGERPRINT = 12  # hex-символів відбитка в назві дослідження
RATIO_PARAM = "tp_sl_ratio"  # похідний параметр: tp_mult = tp_sl_ratio · sl_mult
OBJECTIVE_FORMULA = "mean over fit folds of (sum pnl_pct - L*max(0, m-n)) / max(n, m), % per trade after fees"
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

Ranges = Mapping[str, tuple[Any, Any]]
TrialProgressFn = Callable[[int, float | None], None]  # (спроб цього процесу, найкращий бал досі)


class StudyMismatchError(Exception):
    """Наявне дослідження зроблене для інших даних/простору/цілі: продовжувати його не можна."""


# ── Параметри → перевизначення ──
def targets_of(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Куди потрапляє параметр Optuna; невідомий — `KeyError` з поясненням."""
    if name in PARAM_TARGETS:
        return PARAM_TARGETS[name]
    if name.startswith("weight_") and len(name) > len("weight_"):
        return (("stage2", ("weights", name[len("weight_") :])),)
    raise KeyError(f"calibration parameter {name!r} has no target in stage params")


def params_to_overrides(
    params: Mapping[str, Any], stage2: Mapping[str, Any] = STAGE2_CONFIG
) -> dict[str, dict[str, Any]]:
    """Пласкі параметри trial → `{"stage1": …, "stage2": …, "stage3": …}`.

    `tp_sl_ratio` не має власної адреси: `tp_mult` = відношення · `sl_mult` (з параметрів або
    типовий). Якщо шукається лише `sl_mult`, TP рухається разом зі стопом за типовим відношенням."""
    flat = dict(params)
    if RATIO_PARAM in flat or ("sl_mult" in flat and "tp_mult" not in flat):
        sl = float(flat.get("sl_mult", stage2["sl_mult"]))
        ratio = float(flat.pop(RATIO_PARAM, float(stage2["tp_mult"]) / float(stage2["sl_mult"])))
        flat["tp_mult"] = ratio * sl
    out: dict[str, dict[str, Any]] = {stage: {} for stage in STAGES}
    for name in sorted(flat):
        for stage, path in targets_of(name):
            node = out[stage]
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = flat[name]
    return out


# ── Простір пошуку ──
def min_tp_sl_ratio(stage2: Mapping[str, Any] = STAGE2_CONFIG) -> float:
    """Найменше TP/SL плану від ATR, за якого стоп ≥ k·C гарантує чистий R/R ≥ m (див. опис модуля)."""
    m = float(stage2["min_risk_reward"])
    k = float(stage2["min_stop_cost_mult"])
    if float(stage2["fee_rate"]) <= 0.0:
        return m  # без комісій чистий R/R = валовий
    if k <= 0.0:
        raise ValueError(
            "min_stop_cost_mult must be > 0: otherwise fees can push any TP/SL ratio below min_rr"
        )
    return m + (1.0 + m) / k


def search_space(
    ranges: Ranges = OPTUNA_PARAM_RANGES, stage2: Mapping[str, Any] = STAGE2_CONFIG
) -> dict[str, tuple[Any, Any]]:
    """Перевірений простір: відомі ключі, lo ≤ hi, нижня межа `tp_sl_ratio` ≥ `min_tp_sl_ratio`."""
    out: dict[str, tuple[Any, Any]] = {}
    for name in sorted(ranges):
        lo, hi = ranges[name]
        if name == "tp_mult":
            raise ValueError("tp_mult is not searched directly: search tp_sl_ratio and sl_mult")
        if name != RATIO_PARAM:
            try:
                targets_of(name)
            except KeyError as exc:
                raise ValueError(str(exc.args[0])) from None
        if not all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in (lo, hi)
        ):
            raise ValueError(f"range of {name!r} must be two finite numbers, got {lo!r}, {hi!r}")
        if lo > hi:
            raise ValueError(f"range of {name!r} is empty: {lo} > {hi}")
        out[name] = (lo, hi)
    if RATIO_PARAM in out:
        floor = min_tp_sl_ratio(stage2)
        lo, hi = out[RATIO_PARAM]
        if hi < floor:
            raise ValueError(
                f"{RATIO_PARAM} range [{lo}, {hi}] is below {floor:g}: no plan would pass min_risk_reward"
            )
        out[RATIO_PARAM] = (max(float(lo), floor), float(hi))
    return out


def load_space(path: str | Path) -> dict[str, tuple[Any, Any]]:
    """Діапазони з JSON/TOML `{назва: [min, max]}` (перевіряє `search_space`)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    raw = tomllib.loads(text) if p.suffix == ".toml" else json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError(f"{p}: search space must be an object of name: [min, max]")
    out: dict[str, tuple[Any, Any]] = {}
    for name, pair in raw.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"{p}: range of {name!r} must be [min, max]")
        out[str(name)] = (pair[0], pair[1])
    return search_space(out)


def suggest(trial: optuna.Trial, ranges: Ranges | None = None) -> dict[str, Any]:
    """Значення trial для кожного діапазону (цілі межі — ціле число); типово — `search_space()`."""
    space = search_space() if ranges is None else ranges
    values: dict[str, Any] = {}
    for name in sorted(space):
        lo, hi = space[name]
        if isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool):
            values[name] = trial.suggest_int(name, lo, hi)
        else:
            values[name] = trial.suggest_float(name, float(lo), float(hi))
    return values


# ── Файл перевизначень ──
def load_overrides(path: str | Path) -> dict[str, dict[str, Any]]:
    """Перевизначення з JSON/TOML: рівно `stage1`/`stage2`/`stage3` (відсутня — порожня).

    Невідома секція верхнього рівня (крім службових, що починаються з `_`), невідомий ключ, null чи
    хибний тип значення — `ValueError` (`ParamsError`) з одним рядком, що називає ключ."""
    p = Path(path)
    raw = (
        tomllib.loads(p.read_text(encoding="utf-8"))
        if p.suffix == ".toml"
        else json.loads(p.read_text(encoding="utf-8"))
    )
    if not isinstance(raw, dict):
        raise ValueError(f"{p}: overrides must be an object with stage1/stage2/stage3")
    allowed = (*STAGES, BUDGET_SECTION)
    unknown = sorted(k for k in raw if k not in allowed and not str(k).startswith("_"))
    if unknown:
        raise ValueError(f"{p}: unknown sections {unknown}; allowed: {', '.join(allowed)}")
    # Ключі, null і типи — проти типових параметрів стадій (адреси калібрування теж відомі).
    check_overrides(raw, (t for targets in PARAM_TARGETS.values() for t in targets))
    out: dict[str, dict[str, Any]] = {}
    for stage in allowed:
        section = raw.get(stage) or {}
        if not isinstance(section, dict):
            raise ValueError(f"{p}: section {stage!r} must be an object")
        if stage in STAGES or section:
            out[stage] = section  # `budget` — лише коли задано (бюджет алертів, `ALERT_BUDGET`)
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


# ── Відбиток дослідження ──
def _plain(value: Any) -> Any:
    """Конфігурація (MappingProxyType, кортежі, множини) → JSON-сумісні значення зі сталим порядком."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(repr(v) for v in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _canonical(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def study_fingerprint(
    window: DataWindow,
    space: Ranges,
    n_folds: int,
    min_trades: int,
    missing_loss_pct: float,
) -> dict[str, Any]:
    """Складники відбитка (усе, від чого залежить значення цілі trial)."""
    defaults: dict[str, Any] = dict(zip(STAGES, stage_params(None), strict=True))
    defaults[BUDGET_SECTION] = budget_params(None)  # бюджет алертів змінює, які сигнали торгуються
    return {
        "version": FINGERPRINT_VERSION,
        "symbols": list(window.symbols),
        "range_ms": [window.first_ms, window.last_ms],
        "bars": window.bars,
        "data_hash": window.digest,
        "space": {name: [lo, hi] for name, (lo, hi) in sorted(space.items())},
        "objective": {
            "name": OBJECTIVE_NAME,
            "version": OBJECTIVE_VERSION,
            "folds": n_folds,
            "min_trades": min_trades,
            "missing_trade_loss_pct": missing_loss_pct,
        },
        "stage_defaults": hashlib.sha256(_canonical(defaults).encode()).hexdigest()[:16],
    }


def fingerprint_id(parts: Mapping[str, Any]) -> str:
    """sha256 канонічного JSON складників (hex)."""
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()


def default_study_name(fingerprint: str) -> str:
    """Типова назва дослідження: `aione-<12 hex>`."""
    return f"{OPTUNA_STUDY_PREFIX}-{fingerprint[:SHORT_FINGERPRINT]}"


def _iso(ms: Any) -> str:
    try:
        return datetime.fromtimestamp(int(ms) / 1000, UTC).strftime("%Y-%m-%dT%H:%M")
    except (TypeError, ValueError, OverflowError):
        return repr(ms)


def describe_difference(stored: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    """Головні відмінності двох наборів складників одним рядком (збережений vs поточний)."""
    diffs: list[str] = []
    if stored.get("version") != current.get("version"):
        diffs.append(f"fingerprint version {stored.get('version')} vs {current.get('version')}")
    if stored.get("symbols") != current.get("symbols"):
        a, b = stored.get("symbols") or [], current.get("symbols") or []
        diffs.append(f"symbols {','.join(map(str, a))} vs {','.join(map(str, b))}")
    if stored.get("range_ms") != current.get("range_ms"):
        a, b = stored.get("range_ms") or [None, None], current.get("range_ms") or [None, None]
        diffs.append(f"range {_iso(a[0])}..{_iso(a[1])} vs {_iso(b[0])}..{_iso(b[1])}")
    if stored.get("data_hash") != current.get("data_hash"):
        diffs.append(f"data hash {str(stored.get('data_hash'))[:8]} vs {str(current.get('data_hash'))[:8]}")
    if stored.get("space") != current.get("space"):
        a, b = stored.get("space") or {}, current.get("space") or {}
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        diffs.append(f"search space ({', '.join(keys)})")
    if stored.get("objective") != current.get("objective"):
        a, b = stored.get("objective") or {}, current.get("objective") or {}
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        diffs.append("objective (" + ", ".join(f"{k} {a.get(k)} vs {b.get(k)}" for k in keys) + ")")
    if stored.get("stage_defaults") != current.get("stage_defaults"):
        diffs.append("stage default params")
    return "; ".join(diffs) or "fingerprint differs"


def open_study(
    name: str,
    storage: str | optuna.storages.BaseStorage,
    parts: Mapping[str, Any],
    sampler: optuna.samplers.BaseSampler,
) -> optuna.Study:
    """Нове або наявне дослідження з тим самим відбитком; інакше `StudyMismatchError`."""
    fid = fingerprint_id(parts)
    study = optuna.create_study(
        study_name=name, storage=storage, direction="maximize", sampler=sampler, load_if_exists=True
    )
    stored = study.user_attrs.get("fingerprint")
    if stored is None:
        if study.trials:
            raise StudyMismatchError(
                f"study {name!r} has {len(study.trials)} trials but no data fingerprint "
                "(made by an older aione); pick another --study or omit it"
            )
        # Кілька воркерів можуть дійти сюди одночасно: вони пишуть те саме значення.
        study.set_user_attr("fingerprint", fid)
        study.set_user_attr("fingerprint_parts", dict(parts))
    elif stored != fid:
        old = study.user_attrs.get("fingerprint_parts") or {}
        raise StudyMismatchError(
            f"study {name!r} was made for other data or settings "
            f"(fingerprint {str(stored)[:SHORT_FINGERPRINT]} vs {fid[:SHORT_FINGERPRINT]}): "
            f"{describe_difference(old, parts)}; pick another --study or omit it"
        )
    return study


# ── Дослідження ──
@dataclass(frozen=True, slots=True)
class CalibrationResult:
    """Підсумок: найкращі параметри, їхні перевизначення, бали підбору й перевірки, походження."""

    study_name: str
    best_params: dict[str, Any]
    overrides: dict[str, dict[str, Any]]
    fit_score: float
    validation_score: float
    default_validation_score: float
    trials: int
    folds: tuple[Fold, ...]
    fingerprint: str = ""
    fingerprint_parts: Mapping[str, Any] | None = None
    seed: int | None = None
    sampler: Mapping[str, Any] | None = None
    trials_run: int = 0


def make_objective(
    spec: RunSpec,
    folds: list[Fold],
    ranges: Ranges,
    min_trades: int = DEFAULT_MIN_TRADES,
    missing_loss_pct: float = OPTUNA_MISSING_TRADE_LOSS_PCT,
) -> Callable[[optuna.Trial], float]:
    """Ціль trial: середній walk-forward бал відрізків підбору (бали — у user_attrs)."""

    def objective(trial: optuna.Trial) -> float:
        overrides = params_to_overrides(suggest(trial, ranges))
        score = fit_score(spec, folds, overrides, min_trades, missing_loss_pct)
        trial.set_user_attr("fold_scores", list(score.fold_scores))
        trial.set_user_attr("fold_trades", list(score.fold_trades))
        return score.mean

    return objective


# ── Спроби паралельно ──
@dataclass(frozen=True, slots=True)
class TrialTask:
    """Одна спроба для воркера: номер trial і все, що потрібно цілі (прості дані)."""

    number: int
    spec: RunSpec
    folds: tuple[Fold, ...]
    overrides: dict[str, dict[str, Any]]
    min_trades: int
    missing_loss_pct: float


def evaluate_trial(task: TrialTask, shared: Any = None) -> tuple[float, list[float], list[int]]:
    """Ціль спроби у воркері: (середній бал, бали відрізків, угоди відрізків)."""
    score = fit_score(task.spec, list(task.folds), task.overrides, task.min_trades, task.missing_loss_pct)
    return score.mean, list(score.fold_scores), list(score.fold_trades)


def run_trials_parallel(
    study: optuna.Study,
    engine: Engine,
    spec: RunSpec,
    folds: list[Fold],
    space: Ranges,
    trials: int,
    *,
    min_trades: int = DEFAULT_MIN_TRADES,
    missing_loss_pct: float = OPTUNA_MISSING_TRADE_LOSS_PCT,
    on_trial: TrialProgressFn | None = None,
) -> None:
    """`trials` спроб на рушії: параметри просить і результат повідомляє цей процес (ask/tell),
    тож дослідження живе лише в його сховищі, а воркерам потрібні тільки дані. Спроби йдуть
    партіями по `engine.slots`; кожна завершена одразу записується в дослідження (і в прогрес).
    Збій спроби (`PartitionFailed`) позначає незавершені спроби партії як FAIL і йде далі вгору."""
    done = 0
    by_number: dict[int, optuna.Trial] = {}
    told: set[int] = set()

    def tell(task: TrialTask, res: tuple[float, list[float], list[int]]) -> None:
        nonlocal done
        trial = by_number[task.number]
        trial.set_user_attr("fold_scores", res[1])
        trial.set_user_attr("fold_trades", res[2])
        study.tell(trial, res[0])
        told.add(task.number)
        done += 1
        if on_trial is not None:
            on_trial(done, best_so_far(study))

    while done < trials:
        batch = min(engine.slots, trials - done)
        asked = [study.ask() for _ in range(batch)]
        tasks = [
            TrialTask(
                t.number,
                spec,
                tuple(folds),
                params_to_overrides(suggest(t, space)),
                min_trades,
                missing_loss_pct,
            )
            for t in asked
        ]
        by_number.update((t.number, t) for t in asked)
        try:
            engine.map(evaluate_trial, tasks, key=lambda t: f"trial-{t.number}", on_done=tell)
        except Exception:  # незавершені спроби партії — FAIL у сховищі, помилка йде далі
            for number, trial in by_number.items():
                if number not in told:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise


def best_so_far(study: optuna.Study) -> float | None:
    """Найкращий бал дослідження або None, доки немає жодної завершеної спроби."""
    try:
        value = study.best_value
    except ValueError:
        return None
    return float(value) if value is not None and math.isfinite(value) else None


def _progress_callback(
    on_trial: TrialProgressFn,
) -> Callable[[optuna.Study, optuna.trial.FrozenTrial], None]:
    done = 0

    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        nonlocal done
        done += 1
        on_trial(done, best_so_far(study))

    return callback


def make_sampler(seed: int | None) -> tuple[optuna.samplers.BaseSampler, dict[str, Any]]:
    """TPE з seed (без `--seed` — випадковий, але записаний) і його опис для `_meta`."""
    effective = seed if seed is not None else secrets.randbelow(2**31)
    sampler = optuna.samplers.TPESampler(seed=effective)
    return sampler, {"class": type(sampler).__name__, "seed": effective}


def calibrate(
    spec: RunSpec,
    *,
    trials: int,
    storage: str | None = None,
    study_name: str | None = None,
    n_folds: int = DEFAULT_FOLDS,
    seed: int | None = None,
    ranges: Ranges = OPTUNA_PARAM_RANGES,
    validate: bool = True,
    min_trades: int = DEFAULT_MIN_TRADES,
    missing_loss_pct: float = OPTUNA_MISSING_TRADE_LOSS_PCT,
    on_trial: TrialProgressFn | None = None,
    engine: Engine | None = None,
) -> CalibrationResult:
    """Запускає `trials` спроб цього процесу над дослідженням цих даних і рахує перевірку.

    `study_name=None` — типова назва з відбитка. Наявне дослідження з іншим відбитком —
    `StudyMismatchError` ще до першого trial. `on_trial(done, best)` — після кожної спроби цього
    процесу: скільки зроблено і найкращий бал дослідження досі (None — ще жодної завершеної).
    `engine` — спроби паралельно на рушії (`--workers`/`--cluster`, див. `run_trials_parallel`)."""
    space = search_space(ranges)
    window = data_window(spec)
    folds = make_folds(window.first_ms, window.last_ms, n_folds)
    parts = study_fingerprint(window, space, n_folds, min_trades, missing_loss_pct)
    fid = fingerprint_id(parts)
    name = study_name or default_study_name(fid)
    sampler, sampler_info = make_sampler(seed)
    study = open_study(name, make_storage(storage), parts, sampler)
    study.set_user_attr("folds", [[f.start_ms, f.end_ms] for f in folds])
    if engine is not None:
        run_trials_parallel(
            study,
            engine,
            spec,
            folds,
            space,
            trials,
            min_trades=min_trades,
            missing_loss_pct=missing_loss_pct,
            on_trial=on_trial,
        )
    else:
        callbacks = [_progress_callback(on_trial)] if on_trial is not None else None
        study.optimize(
            make_objective(spec, folds, space, min_trades, missing_loss_pct), n_trials=trials, callbacks=callbacks
        )
    best = study.best_trial
    overrides = params_to_overrides(best.params)
    nan = float("nan")
    val = validation_score(spec, folds, overrides, min_trades, missing_loss_pct).mean if validate else nan
    default_val = validation_score(spec, folds, None, min_trades, missing_loss_pct).mean if validate else nan
    best_value = float(best.value) if best.value is not None else nan
    logger.info(
        "calibration done study=%s fingerprint=%s trials=%d best_fit=%.4f validation=%.4f default_validation=%.4f",
        name,
        fid[:SHORT_FINGERPRINT],
        len(study.trials),
        best_value,
        val,
        default_val,
    )
    return CalibrationResult(
        study_name=name,
        best_params=dict(best.params),
        overrides=overrides,
        fit_score=best_value,
        validation_score=val,
        default_validation_score=default_val,
        trials=len(study.trials),
        folds=tuple(folds),
        fingerprint=fid,
        fingerprint_parts=parts,
        seed=seed,
        sampler=sampler_info,
        trials_run=trials,
    )


def validation_worse(res: CalibrationResult) -> bool:
    """Найкращі параметри на відрізку перевірки гірші за типові (немає перевірки — False)."""
    best, default = res.validation_score, res.default_validation_score
    return math.isfinite(best) and math.isfinite(default) and best < default


def result_meta(res: CalibrationResult) -> dict[str, Any]:
    """Службовий опис для `_meta` файлу перевизначень."""

    def num(x: float) -> float | None:
        return x if math.isfinite(x) else None

    parts = res.fingerprint_parts or {}
    return {
        "study": res.study_name,
        "fingerprint": res.fingerprint,
        "data": {k: parts.get(k) for k in ("symbols", "range_ms", "bars", "data_hash")},
        "search_space": parts.get("space"),
        "seed": res.seed,
        "sampler": dict(res.sampler or {}),
        "trials": res.trials,
        "params": res.best_params,
        "objective": OBJECTIVE_FORMULA,
        "objective_params": parts.get("objective"),
        "fit_score": num(res.fit_score),
        "validation_score": num(res.validation_score),
        "default_validation_score": num(res.default_validation_score),
        "validation_worse_than_defaults": validation_worse(res),
        "folds_ms": [[f.start_ms, f.end_ms] for f in res.folds],
        "scheme": "walk-forward: F0 warm-up, F1..F(n-2) fit (objective), F(n-1) validation (unseen)",
    }


__all__ = [
    "DEFAULT_FOLDS",
    "FINGERPRINT_VERSION",
    "OBJECTIVE_FORMULA",
    "PARAM_TARGETS",
    "RATIO_PARAM",
    "STAGES",
    "CalibrationResult",
    "StudyMismatchError",
    "TrialTask",
    "TrialProgressFn",
    "best_so_far",
    "calibrate",
    "default_study_name",
    "describe_difference",
    "evaluate_trial",
    "fingerprint_id",
    "load_overrides",
    "load_space",
    "make_objective",
    "make_sampler",
    "make_storage",
    "min_tp_sl_ratio",
    "open_study",
    "params_to_overrides",
    "result_meta",
    "run_trials_parallel",
    "search_space",
    "study_fingerprint",
    "suggest",
    "targets_of",
    "validation_worse",
    "write_overrides",
]
