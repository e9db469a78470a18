"""Хибний URL Redis: один рядок, код 2, пароль ніколи не показується."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aione.cli import app
from aione.config.settings import SettingsError, load_settings, mask_redis_url, redis_url_problem


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("garbage", "must start with"),
        ("redis://:s3cret@host:notaport/0", "port must be a number"),
        ("redis://:s3cret@/0", "needs a host"),
        ("redis://:s3cret@host:6379/zero", "database must be a number"),
    ],
)
def test_bad_redis_url_is_one_line_without_the_password(url: str, problem: str) -> None:
    assert problem in (redis_url_problem(url) or "")
    with pytest.raises(SettingsError) as err:
        load_settings(redis_url=url)
    text = str(err.value)
    assert problem in text and "s3cret" not in text and "\n" not in text


def test_good_urls_pass_and_masking_hides_only_the_password() -> None:
    for url in ("redis://localhost", "redis://h:6379/0", "rediss://u:p@h:6380/2", "unix:///tmp/r.sock"):
        assert redis_url_problem(url) is None
    assert mask_redis_url("redis://user:s3cret@h:6379/0") == "redis://***@h:6379/0"


@pytest.mark.parametrize("command", ["demo", "run", "ui", "web"])
def test_cli_redis_garbage_exits_2_with_one_line(command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, [command, "--redis", "redis://:s3cret@host:notaport/0"], env={"AIONE_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "port must be a number" in lines[0] and "s3cret" not in result.output


def test_env_redis_url_is_never_echoed_with_its_password(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["config", "show", "--json"], env={"AIONE_REDIS_URL": "redis://u:s3cret@h:bad/0"}
    )
    assert result.exit_code == 2 and "s3cret" not in result.output and "AIONE_REDIS_URL" in result.output
