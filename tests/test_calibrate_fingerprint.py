"""Відбиток дослідження: вміст даних, символи, вікно; чуже дослідження не відкривається."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import optuna
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aione.backtest.runner import RunSpec
from aione.backtest.walkforward import data_window
from aione.calibrate import (
    CalibrationResult,
    StudyMismatchError,
    calibrate,
    default_study_name,
    describe_difference,
    fingerprint_id,
    search_space,
    study_fingerprint,
)
from aione.cli import app

SYMBOLS = ("SOLUSDT", "SUIUSDT")
START_MS = 1746373980000  # перший спільний бар SOLUSDT/SUIUSDT у ../shared/data
END_MS = START_MS + 8 * 3_600_000  # 8 годин: досить для 3 відрізків, дешево
END_ISO = "2025-05-05T00:00"


def _copy(data_1m: Path, dst: Path, names: tuple[str, ...] = SYMBOLS) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(data_1m / f"{name}.parquet", dst / f"{name}.parquet")
    return dst


def _bump_close(path: Path, at_ms: int, factor: float = 1.001) -> None:
    """Змінює ціну закриття одного бару (high/low розсуваються, щоб бар лишився коректним)."""
    table = pq.read_table(path)
    cols = {c: table.column(c).to_numpy().copy() for c in table.column_names}
    i = int(np.searchsorted(cols["open_time"], at_ms))
    assert cols["open_time"][i] == at_ms
    cols["close"][i] *= factor
    cols["high"][i] = max(cols["high"][i], cols["close"][i])
    cols["low"][i] = min(cols["low"][i], cols["close"][i])
    pq.write_table(type(table).from_pydict(cols, schema=table.schema), path)


def test_fingerprint_follows_data_content_inside_the_window(data_1m: Path, tmp_path: Path) -> None:
    data = _copy(data_1m, tmp_path / "d")
    spec = RunSpec(data, SYMBOLS, None, END_MS)
    before = data_window(spec)
    assert before.symbols == SYMBOLS and before.last_ms == END_MS and before.bars > 900
    name = data / "SUIUSDT.parquet"
    original = name.read_bytes()
    _bump_close(name, START_MS + 120 * 60_000)  # ті самі назви файлів, одна ціна інша
    after = data_window(spec)
    assert (after.symbols, after.first_ms, after.last_ms, after.bars) == (
        before.symbols,
        before.first_ms,
        before.last_ms,
        before.bars,
    )
    assert after.digest != before.digest
    name.write_bytes(original)
    assert data_window(spec).digest == before.digest  # той самий вміст — той самий відбиток
    _bump_close(name, END_MS + 60 * 60_000)  # бар поза вікном бектест не бачить
    assert data_window(spec).digest == before.digest

    space = search_space()
    parts = study_fingerprint(before, space, 3, 1, 0.5)
    other = study_fingerprint(after, space, 3, 1, 0.5)
    assert fingerprint_id(parts) != fingerprint_id(other)
    assert describe_difference(parts, other).startswith("data hash ")
    assert "symbols" not in describe_difference(parts, other)
    wider = study_fingerprint(before, {**space, "sl_mult": (0.5, 3.0)}, 3, 2, 0.5)
    assert describe_difference(parts, wider) == "search space (sl_mult); objective (min_trades 1 vs 2)"


def test_study_with_other_data_is_refused_same_name_and_storage(data_1m: Path, tmp_path: Path) -> None:
    data = _copy(data_1m, tmp_path / "d", ("SUIUSDT",))
    spec = RunSpec(data, ("SUIUSDT",), None, END_MS)
    storage = f"sqlite:///{tmp_path / 'opt.db'}"

    def run(trials: int, study: str | None) -> CalibrationResult:
        return calibrate(
            spec,
            trials=trials,
            storage=storage,
            study_name=study,
            n_folds=3,
            validate=False,
            min_trades=1,
            seed=1,
        )

    first = run(2, "s")
    again = run(1, "s")
    assert again.trials == 3 and again.fingerprint == first.fingerprint  # ті самі дані — продовжує
    _bump_close(data / "SUIUSDT.parquet", START_MS + 60 * 60_000)
    with pytest.raises(StudyMismatchError, match=r"data hash [0-9a-f]{8} vs [0-9a-f]{8}") as err:
        run(1, "s")
    assert "symbols" not in str(err.value) and "\n" not in str(err.value)
    study = optuna.load_study(study_name="s", storage=storage)
    assert len(study.trials) == 3  # відмова — до першого trial
    # Без --study: власне дослідження нових даних, а не найкраще зі старих.
    fresh = run(1, None)
    assert fresh.study_name == default_study_name(fresh.fingerprint) != "s"
    assert fresh.trials == 1 and fresh.fingerprint != first.fingerprint


def test_study_without_fingerprint_but_with_trials_is_refused(data_1m: Path, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'opt.db'}"
    legacy = optuna.create_study(study_name="old", storage=storage, direction="maximize")
    legacy.optimize(lambda t: t.suggest_float("sl_mult", 0.5, 2.0), n_trials=1)
    spec = RunSpec(data_1m, ("SUIUSDT",), None, END_MS)
    with pytest.raises(StudyMismatchError, match="no data fingerprint"):
        calibrate(spec, trials=1, storage=storage, study_name="old", n_folds=3, validate=False)


def test_cli_refuses_study_for_other_symbols_with_exit_2(data_1m: Path, tmp_path: Path) -> None:
    env = {"AIONE_DATA_DIR": str(tmp_path / "data")}
    base = ["calibrate", str(data_1m), "--end", END_ISO, "--folds", "3", "--min-trades", "1", "--no-validate"]
    ok = CliRunner(env=env).invoke(app, [*base, "--symbols", "SUIUSDT", "--trials", "2", "--study", "mine"])
    assert ok.exit_code == 0, ok.output
    first = json.loads(ok.stdout.strip().splitlines()[-1])
    assert first["study"] == "mine" and first["trials"] == 2
    bad = CliRunner(env=env).invoke(app, [*base, "--symbols", "SOLUSDT", "--trials", "1", "--study", "mine"])
    assert bad.exit_code == 2
    line = bad.stderr.strip().splitlines()[-1]
    assert line.startswith("aione calibrate: study 'mine' was made for other data")
    assert "symbols SUIUSDT vs SOLUSDT" in line and "data hash" in line
    assert first["fingerprint"][:12] in line
    # Те саме без --study: нове дослідження з одним trial, не найкраще з чужих даних.
    own = CliRunner(env=env).invoke(app, [*base, "--symbols", "SOLUSDT", "--trials", "1"])
    assert own.exit_code == 0, own.output
    second = json.loads(own.stdout.strip().splitlines()[-1])
    assert second["trials"] == 1 and second["study"] == f"aione-{second['fingerprint'][:12]}"
    assert second["fingerprint"] != first["fingerprint"]
