"""Розбитий по символах бектест (issue 19): локальні процеси й Dask LocalCluster дають той самий
report.json, що й однопроцесний прогін; смерть воркера названо символом; калібрування на 2 воркерах.

Побайтова рівність звіту — на 16-символьному місяці (../shared/data/binance-um-1m-2025-05, увесь,
без обрізання): однопроцесний звіт рахується раз на модуль і спільний для обох порівнянь
(2 процеси і LocalCluster з 2 процесами-воркерами по 1 потоку). Решта (збої, рівність записів
з бюджетом і без) — на вбудованому зразку: там важлива поведінка, не обсяг.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import optuna
import pytest

from aione.backtest.engines import PartitionFailed, ProcessEngine, SerialEngine
from aione.backtest.parallel import run_partitioned
from aione.backtest.partition import KILL_ENV, KILL_ONCE_ENV
from aione.backtest.report import REPORT_JSON
from aione.backtest.runner import RunSpec, run_backtest
from aione.backtest.session import run_session

SAMPLE = Path(str(importlib.resources.files("aione") / "sample_data" / "binance-um-1m"))
SEEDS = 2  # базові лінії не залежать від рушія; двох seed-ів досить, щоб звіт був повним
# Три символи, чотири доби зразка: тест швидкий, а сигналів і угод досить (перевірено в тесті).
SPEC = RunSpec(SAMPLE, ("BTCUSDT", "ENAUSDT", "SUIUSDT"), None, 1748359860000 + 4 * 86_400_000)


def _records(res: object) -> tuple[object, ...]:
    return tuple(getattr(res, f) for f in ("signals", "trades", "cancelled", "open_at_end", "decisions", "counters"))


@pytest.fixture(scope="module")
def month(data_1m: Path) -> RunSpec:
    """Увесь 16-символьний місяць (ADAUSDT коротший — починається на 5 днів пізніше)."""
    spec = RunSpec(data_1m)
    assert len(spec.resolved_symbols()) == 16
    return spec


@pytest.fixture(scope="module")
def single_report(month: RunSpec, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Однопроцесний звіт місяця — раз на модуль, для обох порівнянь."""
    out = tmp_path_factory.mktemp("single")
    output = run_session(month, out, seeds=SEEDS, html=False)
    assert len(output.result.trades) > 100 and len(output.result.signals) > 1000
    return (out / REPORT_JSON).read_bytes()


# ── Рівність записів ──
def test_partitioned_serial_equals_batch_with_and_without_budget() -> None:
    spec = SPEC
    for overrides in (None, {"budget": {"enabled": False}}, {"budget": {"market_per_hour": 1.0}}):
        ref = run_backtest(spec, overrides)
        got = run_partitioned(spec, overrides, SerialEngine())
        assert ref.trades, "the case must have trades to compare"
        assert _records(got) == _records(ref), overrides


def test_two_processes_give_byte_identical_report(month: RunSpec, tmp_path: Path, single_report: bytes) -> None:
    seen: list[tuple[int, int]] = []
    engine = ProcessEngine(2)
    try:
        run_session(
            month,
            tmp_path,
            seeds=SEEDS,
            html=False,
            executor=engine,
            on_progress=lambda done, total: seen.append((done, total)),
        )
    finally:
        engine.close()
    assert (tmp_path / REPORT_JSON).read_bytes() == single_report
    # Одна шкала по всіх символах: зростає, закінчується на повній.
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1] > 0


def test_dask_local_cluster_gives_byte_identical_report(
    month: RunSpec, tmp_path: Path, single_report: bytes
) -> None:
    distributed = pytest.importorskip("distributed")
    from aione.backtest.engines import DaskEngine

    # processes=True: справжні окремі процеси воркерів, як на кластері.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        run_session(month, tmp_path, seeds=SEEDS, html=False, executor=DaskEngine(client=client))
    assert (tmp_path / REPORT_JSON).read_bytes() == single_report


# ── Збої воркерів ──
def test_killed_worker_is_named_and_run_fails_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KILL_ENV, "ENAUSDT")
    engine = ProcessEngine(2)
    try:
        with pytest.raises(PartitionFailed) as info:
            run_partitioned(SPEC, None, engine)
    finally:
        engine.close()
    assert info.value.key == "ENAUSDT"
    assert info.value.retried
    assert "ENAUSDT" in str(info.value) and "worker process died" in str(info.value)


def test_worker_killed_once_is_retried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(KILL_ENV, "ENAUSDT")
    monkeypatch.setenv(KILL_ONCE_ENV, str(tmp_path / "died-once"))
    engine = ProcessEngine(2)
    try:
        got = run_partitioned(SPEC, None, engine)
    finally:
        engine.close()
    assert (tmp_path / "died-once").exists()  # воркер справді помер раз
    assert _records(got) == _records(run_backtest(SPEC))


def test_task_error_names_symbol(monkeypatch: pytest.MonkeyPatch) -> None:
    import aione.backtest.partition as partition

    def broken(*args: object) -> None:
        raise ValueError("bad bars")

    monkeypatch.setattr(partition, "_load", broken)
    with pytest.raises(PartitionFailed, match=r"partition BTCUSDT failed: ValueError: bad bars"):
        run_partitioned(RunSpec(SAMPLE, ("BTCUSDT",)), None, SerialEngine())


def test_dask_killed_worker_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    import dask

    from aione.backtest.engines import DaskEngine

    monkeypatch.setenv(KILL_ENV, "ENAUSDT")  # воркери LocalCluster успадковують середовище
    # Повтор один раз: друга смерть воркера на тому самому завданні — KilledWorker.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        with pytest.raises(PartitionFailed) as info:
            run_partitioned(SPEC, None, DaskEngine(client=client))
    assert info.value.key == "ENAUSDT"


# ── Калібрування ──
def test_calibration_on_two_dask_workers_shares_the_study(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from aione.backtest.engines import DaskEngine
    from aione.calibrate import calibrate, make_storage

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    spec = RunSpec(SAMPLE, ("BTCUSDT", "ETHUSDT"), None, 1748359860000 + 3 * 86_400_000)
    done: list[int] = []
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        res = calibrate(
            spec,
            trials=4,
            storage=storage,
            n_folds=3,
            seed=7,
            validate=False,
            engine=DaskEngine(client=client),
            on_trial=lambda n, best: done.append(n),
        )
    assert done == [1, 2, 3, 4]
    study = optuna.load_study(study_name=res.study_name, storage=make_storage(storage))
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 4
    assert all("fold_scores" in t.user_attrs for t in complete)
    assert res.trials == 4
