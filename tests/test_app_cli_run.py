"""`aione run` без біржі: зрозуміле повідомлення з порадою; `aione demo`: чиста зупинка за сигналом."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.redis_server import free_port


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "AIONE_METRICS_PORT": "0", "AIONE_LOG_LEVEL": "INFO", **extra}


def test_run_without_exchange_says_so_and_suggests_demo(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    proc = subprocess.run(
        [sys.executable, "-m", "aione", "run", "--no-ui", "--duration", "5"],
        cwd=tmp_path,
        env=_env(AIONE_REST_BASE_URL=dead, AIONE_WS_BASE_URL=dead.replace("http", "ws")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "cannot reach the exchange" in proc.stderr
    assert "aione demo" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_demo_stops_cleanly_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aione", "demo", "--no-ui", "--speed", "300"],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 90
    started = False
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "watching" in line:
            started = True
            break
        if not line and proc.poll() is not None:
            break
    assert started, "demo did not start watching symbols"
    time.sleep(3)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-2000:]
    assert "stopped cleanly" in stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["failures"] == []
    assert summary["counters"]["bars"] > 0


@pytest.mark.slow
def test_busy_ports_metrics_degrade_web_fails_clearly(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        # зайнятий порт метрик: попередження, демо працює далі
        ok = subprocess.run(
            [sys.executable, "-m", "aione", "demo", "--no-ui", "--duration", "3"],
            cwd=tmp_path, env=_env(AIONE_METRICS_PORT=port), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert ok.returncode == 0, ok.stderr[-2000:]
        assert "metrics endpoint disabled" in ok.stderr
        # зайнятий порт веб-панелі, яку попросили явно: один рядок і код 2
        bad = subprocess.run(
            [sys.executable, "-m", "aione", "demo", "--no-ui", "--web", "--duration", "3"],
            cwd=tmp_path, env=_env(AIONE_WEB_PORT=port), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert bad.returncode == 2, bad.stderr[-2000:]
        assert "web dashboard cannot listen" in bad.stderr and "AIONE_WEB_PORT" in bad.stderr
        assert "Traceback" not in bad.stderr
