"""Наскрізно: `aione demo --notify-webhook URL` доставляє сигнали й угоди демо в локальний приймач,
кожен підписаний (HMAC перевіряє приймач), а `aione notify test` каже по рядку на канал."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.notify_helpers import SECRET, TOKEN, fake_telegram, webhook_receiver

DURATION_SEC = 12


async def _aione(*args: str, cwd: Path, env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aione", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    return int(proc.returncode or 0), out.decode(), err.decode()


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIONE_")}
    return {**base, "AIONE_METRICS_PORT": "0", "AIONE_LOG_LEVEL": "WARNING", **extra}


async def test_demo_delivers_signals_to_webhook(tmp_path: Path) -> None:
    rx = await webhook_receiver(SECRET)
    try:
        code, out, err = await _aione(
            "demo", "--no-ui", "--speed", "1000", "--duration", str(DURATION_SEC), "--notify-webhook", rx.url,
            cwd=tmp_path, env=_env(AIONE_NOTIFY_WEBHOOK_SECRET=SECRET), timeout=DURATION_SEC + 90,
        )  # fmt: skip
    finally:
        await rx.stop()
    assert code == 0, err[-3000:]
    summary = json.loads(out.strip().splitlines()[-1])
    stats = summary["notify"]["channels"]["webhook"]
    bodies = [r["body"] for r in rx.received]
    assert summary["counters"]["signals"] >= 1
    assert bodies and all(r["verified"] for r in rx.received)
    assert stats["delivered"] == len(bodies) and stats["dropped"] == 0
    kinds = {b["type"] for b in bodies}
    assert "signal" in kinds
    signal = next(b for b in bodies if b["type"] == "signal")
    assert signal["symbol"] in summary["symbols"] and signal["side"] in ("BUY", "SELL", None)
    assert signal["links"]["binance"].endswith(signal["symbol"]) and signal["text"]
    assert len({b["id"] for b in bodies}) == len(bodies)  # кожна подія — один раз
    assert SECRET not in out + err


async def test_notify_test_reports_each_channel(tmp_path: Path) -> None:
    tg = await fake_telegram()
    rx = await webhook_receiver(SECRET)
    try:
        env = _env(
            AIONE_NOTIFY_TELEGRAM_TOKEN=TOKEN,
            AIONE_NOTIFY_TELEGRAM_CHAT_IDS="111,-100222",
            AIONE_NOTIFY_TELEGRAM_API_URL=tg.url,
            AIONE_NOTIFY_WEBHOOK_URL=rx.url,
            AIONE_NOTIFY_WEBHOOK_SECRET=SECRET,
            AIONE_NOTIFY_LOCALE="en",
        )
        code, out, err = await _aione("notify", "test", cwd=tmp_path, env=env, timeout=60)
        assert code == 0, err
        assert out.splitlines() == ["telegram:111: delivered", "telegram:-100222: delivered", "webhook: delivered"]
        assert [r["chat_id"] for r in tg.received] == ["111", "-100222"]
        assert "test message" in tg.received[0]["text"] and rx.received[0]["verified"]
        bad = {**env, "AIONE_NOTIFY_TELEGRAM_TOKEN": "1:wrong-token"}
        code, out, err = await _aione("notify", "test", cwd=tmp_path, env=bad, timeout=60)
        assert code == 1
        assert out.splitlines()[0] == "telegram:111: failed: telegram: HTTP 401 (check the token, chat id or URL)"
        assert "wrong-token" not in out + err
        code, out, err = await _aione("notify", "test", cwd=tmp_path, env=_env(), timeout=60)
        assert code == 2 and err.startswith("aione notify test: no channel configured")
        code, out, err = await _aione("config", "show", "--json", cwd=tmp_path, env=env, timeout=60)
        assert code == 0 and TOKEN not in out and SECRET not in out
        assert json.loads(out)["settings"]["notify_telegram_token"] == "***"
    finally:
        await tg.stop()
        await rx.stop()
