"""Два процеси-воркери `aione calibrate` працюють над одним дослідженням у справжньому Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import redis

from aione.calibrate import make_storage
from aione.data.redis_keys import OPTUNA_JOURNAL_KEY


@pytest.mark.redis
@pytest.mark.slow
def test_two_workers_share_one_study(data_1m: Path, redis_url: str, tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "aione",
        "calibrate",
        str(data_1m),
        "--symbols",
        "SUIUSDT",
        "--end",
        "2025-05-05T04:00",
        "--folds",
        "3",
        "--trials",
        "2",
        "--storage",
        redis_url,
        "--study",
        "shared",
        "--no-validate",
        "--min-trades",
        "1",
    ]
    procs = [
        subprocess.Popen(
            [*cmd, "--out", str(tmp_path / f"w{i}.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
    study = optuna.load_study(study_name="shared", storage=make_storage(redis_url))
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 4  # 2 воркери × 2 спроби в одному дослідженні
    assert len({t.number for t in done}) == 4
    client = redis.Redis.from_url(redis_url)
    assert client.exists(f"{OPTUNA_JOURNAL_KEY}:log_number")
    summaries = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    assert all(s["study"] == "shared" for s in summaries)
    assert max(s["trials"] for s in summaries) == 4
