"""Фундамент: налаштування, моделі конфігурації, CLI, справжній Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from pydantic import ValidationError
from typer.testing import CliRunner

from aione.cli import app
from aione.config.config import (
    REDIS_CHANNEL_ASSET_STATE,
    REDIS_SNAPSHOT_KEY,
    FilterParams,
    MetricResults,
    SymbolInfo,
)
from aione.config.settings import Settings, SettingsError, load_settings


# ── Налаштування ──
def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIONE_MARKET", "spot")
    monkeypatch.setenv("AIONE_METRICS_PORT", "9100")
    monkeypatch.setenv("AIONE_LOG_LEVEL", "debug")
    s = load_settings()
    assert s.market == "spot"
    assert s.metrics_port == 9100
    assert s.log_level == "DEBUG"
    assert s.effective_rest_url == "https://api.binance.com"
    assert s.redis_dsn is None


def test_settings_from_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("AIONE_MARKET", "AIONE_REDIS_URL", "AIONE_REST_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / ".env").write_text(
        "AIONE_REDIS_URL=redis://user:pw-k9x2@127.0.0.1:6390/1\nAIONE_REST_BASE_URL=http://127.0.0.1:9999/\n"
    )
    s = load_settings()
    assert s.redis_dsn == "redis://user:pw-k9x2@127.0.0.1:6390/1"
    assert s.effective_rest_url == "http://127.0.0.1:9999"
    shown = s.masked()
    assert "pw-k9x2" not in str(shown)  # значення пароля, не назви полів (`*_secret`)
    assert shown["redis_url"] == "redis://***@127.0.0.1:6390/1"


def test_defaults_need_no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AIONE_REDIS_URL", raising=False)
    s = Settings()
    assert s.redis_dsn is None and s.market == "um" and s.metrics_port == 8001


@pytest.mark.parametrize(
    ("var", "value", "expect"),
    [
        ("AIONE_MARKET", "coinm", "AIONE_MARKET='coinm': must be one of 'um' or 'spot'"),
        ("AIONE_METRICS_PORT", "70000", "AIONE_METRICS_PORT"),
        ("AIONE_REDIS_URL", "http://x", "AIONE_REDIS_URL"),
        ("AIONE_LOG_LEVEL", "loud", "AIONE_LOG_LEVEL"),
    ],
)
def test_bad_setting_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, var: str, value: str, expect: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    text = str(info.value)
    assert expect in text
    assert "\n" not in text


def test_cli_bad_setting_exits_2_without_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIONE_MARKET", "coinm")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 2
    assert "AIONE_MARKET" in result.output
    assert "Traceback" not in result.output


def test_cli_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIONE_REDIS_URL", "redis://u:topsecret@127.0.0.1:1/0")
    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert "topsecret" not in result.output
    assert REDIS_CHANNEL_ASSET_STATE in result.output


def test_version_and_module_entry() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "aione", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("aione ")


# ── Моделі конфігурації ──
def test_models_reject_bad_values() -> None:
    with pytest.raises(ValidationError):
        FilterParams(min_quote_volume=-1)
    with pytest.raises(ValidationError):
        FilterParams(timeframe="7m")
    with pytest.raises(ValidationError):
        FilterParams(unknown_key=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        SymbolInfo(symbol="BTCUSDT", tick_size=0)
    with pytest.raises(ValidationError):
        MetricResults(symbol="X", quote_volume=-5, price_change_pct=0, last_price=1)
    assert FilterParams(timeframe="1h").timeframe == "1h"
    assert REDIS_SNAPSHOT_KEY == "asset_state_snapshot"


# ── Справжній Redis ──
@pytest.mark.redis
def test_redis_fixture_round_trip(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("ai_one:test", b"value")
    assert client.get("ai_one:test") == b"value"
    pubsub = client.pubsub()
    pubsub.subscribe(REDIS_CHANNEL_ASSET_STATE)
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    assert client.publish(REDIS_CHANNEL_ASSET_STATE, b"frame") == 1
    message = pubsub.get_message(timeout=2)
    assert message is not None and message["data"] == b"frame"
    pubsub.close()
    client.close()


@pytest.mark.redis
async def test_redis_fixture_async_pubsub(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe("chan")
    await pubsub.get_message(timeout=1)
    await client.publish("chan", b"x")
    msg = None
    for _ in range(20):
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if msg:
            break
        await asyncio.sleep(0.01)
    assert msg is not None and msg["data"] == b"x"
    await pubsub.aclose()
    await client.aclose()
