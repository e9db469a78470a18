"""`aione calibrate`: вердикт проти типових на перевірці (код 3, --force), шляхи, seed і семплер."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
from typer.testing import CliRunner

from aione.backtest.runner import RunSpec
from aione.backtest.walkforward import data_window, make_folds, validation_score
from aione.calibrate import calibrate, load_overrides
from aione.cli import app

# BTC/ETH, 4–10 травня 2025: типові параметри на відрізку перевірки заробляють (≈ +0.5 % на угоду).
WINDOW = ["--symbols", "BTCUSDT,ETHUSDT", "--end", "2025-05-10T16:00", "--folds", "3", "--min-trades", "1"]
END_MS = 1746892800000  # 2025-05-10T16:00 UTC
# Простір, що виключає типові: Stage1 з 5 тригерами ніколи не набере 6+ причин — угод немає зовсім.
SILENT_SPACE = {"min_reasons_for_alert": [6, 9]}


def _invoke(tmp_path: Path, args: list[str]) -> tuple[int, dict[str, object], list[str]]:
    res = CliRunner(env={"AIONE_DATA_DIR": str(tmp_path / "data")}).invoke(app, args)
    assert res.exit_code in (0, 3), res.output
    return res.exit_code, json.loads(res.stdout.strip().splitlines()[-1]), res.stderr.strip().splitlines()


def test_worse_than_defaults_exits_3_and_writes_only_with_force(data_1m: Path, tmp_path: Path) -> None:
    space = tmp_path / "space.json"
    space.write_text(json.dumps(SILENT_SPACE))
    out = tmp_path / "best.json"
    args = ["calibrate", str(data_1m), *WINDOW, "--trials", "2", "--seed", "3", "--space", str(space)]
    code, summary, err = _invoke(tmp_path, [*args, "--out", str(out)])
    assert code == 3 and not out.exists() and summary["params_file"] is None
    assert summary["validation_worse_than_defaults"] is True
    assert summary["validation_score"] == -0.5  # жодної угоди: одна бракуюча = −L
    # Бал типових — справжній прогін перевірки, а не число з повітря.
    spec = RunSpec(data_1m, ("BTCUSDT", "ETHUSDT"), None, END_MS)
    window = data_window(spec)
    folds = make_folds(window.first_ms, window.last_ms, 3)
    default = validation_score(spec, folds, None, 1)
    assert default.fold_trades[0] > 0 and summary["default_validation_score"] == default.mean > -0.5
    assert err[-1].startswith(
        "aione calibrate: best parameters are worse than the defaults on the validation"
    )
    assert err[-1].endswith("params not written (use --force to write them anyway)")
    assert not any(line.strip().startswith("next:") for line in err)

    code, summary, err = _invoke(tmp_path, [*args, "--out", str(out), "--force"])
    assert code == 0 and summary["params_file"] == str(out)
    assert err[-1].endswith("written anyway (--force)")
    assert load_overrides(out)["stage1"]["min_reasons_for_alert"] >= 6
    meta = json.loads(out.read_text())["_meta"]
    assert meta["validation_worse_than_defaults"] is True and meta["trials"] == 4  # те саме дослідження


def test_defaults_in_the_space_are_not_worse_and_files_go_to_the_data_dir(
    data_1m: Path, tmp_path: Path
) -> None:
    space = tmp_path / "space.toml"
    space.write_text("tp_sl_ratio = [3.0, 3.0]\nsl_mult = [1.0, 1.0]\n")  # рівно типові 3/1
    args = ["calibrate", str(data_1m), *WINDOW, "--trials", "1", "--seed", "5", "--space", str(space)]
    code, summary, err = _invoke(tmp_path, args)
    data_dir = tmp_path / "data"
    params = data_dir / "aione_params.json"
    assert code == 0 and summary["params_file"] == str(params) and params.is_file()
    assert (data_dir / "aione_optuna.db").is_file()
    assert summary["validation_worse_than_defaults"] is False
    assert summary["validation_score"] == summary["default_validation_score"]  # ті самі параметри
    assert summary["seed"] == 5 and summary["sampler"] == {"class": "TPESampler", "seed": 5}
    meta = json.loads(params.read_text())["_meta"]
    assert meta["seed"] == 5 and meta["sampler"] == {"class": "TPESampler", "seed": 5}
    assert meta["fingerprint"] == summary["fingerprint"] and meta["data"]["symbols"] == ["BTCUSDT", "ETHUSDT"]
    assert err[0].startswith(f"calibration: study {summary['study']}, 1 trials")
    assert f"  params: {params}" in err
    assert err[-1] == f"  next: aione backtest {data_1m} --params {params} --symbols BTCUSDT,ETHUSDT"
    assert any(line.startswith("  validation (unseen F2): best ") for line in err)


def test_seed_makes_the_study_reproducible_and_random_seed_is_recorded(data_1m: Path, tmp_path: Path) -> None:
    spec = RunSpec(data_1m, ("SUIUSDT",), None, 1746373980000 + 8 * 3_600_000)

    def run(db: str, seed: int | None) -> tuple[dict[str, object], object]:
        res = calibrate(
            spec,
            trials=3,
            storage=f"sqlite:///{tmp_path / db}",
            n_folds=3,
            seed=seed,
            validate=False,
            min_trades=1,
        )
        return res.best_params, res.sampler

    a, sampler_a = run("a.db", 21)
    b, _ = run("b.db", 21)
    assert a == b and sampler_a == {"class": "TPESampler", "seed": 21}
    tried = [
        [t.params for t in optuna.load_study(study_name=None, storage=f"sqlite:///{tmp_path / db}").trials]
        for db in ("a.db", "b.db")
    ]
    assert tried[0] == tried[1] and len(tried[0]) == 3  # той самий seed — ті самі спроби
    _, sampler_c = run("c.db", None)
    assert isinstance(sampler_c, dict) and isinstance(sampler_c["seed"], int)  # випадковий, але записаний
