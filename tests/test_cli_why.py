"""`aione why SYMBOL`: наратив, план, рівні й тригери з записаного знімка кадру (файл або Redis)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from aione.cli import app
from aione.config.config import STAGE2_CONFIG
from aione.data.bars import read_bars_parquet
from aione.data.resample import resample_daily
from aione.indicators import atr as atr_batch
from aione.signals.lifecycle import SignalLifecycle, plan_from_decision
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.qde_core import decide
from aione.stage3.asset_state import AssetStateAggregator


def _btc_frame(data_1m: Path, locale: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Кадр справжнього агрегатора: рішення Stage2 на записаних барах BTCUSDT і його життєвий цикл."""
    bars = read_bars_parquet(data_1m / "BTCUSDT.parquet")
    daily = resample_daily(bars)
    a = atr_batch(bars.high, bars.low, bars.close, 14)
    window = int(STAGE2_CONFIG["context_bars"])
    agg = AssetStateAggregator(["BTCUSDT", "ETHUSDT"], tick_sizes={"BTCUSDT": 0.1}, locale=locale)
    for i in range(20_000, 40_000, 7):  # перше рішення з планом
        day_stop = int(np.searchsorted(daily.open_time, bars.open_time[i], side="right"))
        s1 = {
            "symbol": "BTCUSDT",
            "timestamp": int(bars.open_time[i]),
            "trigger_reasons": ["breakout_up", "bull_vol_spike"],
            "stats": {"price": float(bars.close[i]), "atr": float(a[i])},
        }
        inputs = Stage2Inputs(bars.slice(i + 1 - window, i + 1), daily.slice(max(0, day_stop - 31), day_stop))
        rec = decide(s1, inputs, locale=locale)
        plan = plan_from_decision(rec)
        if plan is None:
            continue
        agg.on_stage2(rec)
        life = SignalLifecycle(f"BTCUSDT:{s1['timestamp']}", "BTCUSDT", int(s1["timestamp"]), plan)
        for j in range(i + 1, i + 4):
            life.on_bar(int(bars.open_time[j]), float(bars.high[j]), float(bars.low[j]), float(bars.close[j]))
        agg.on_lifecycles([life])
        return agg.build_frame(int(bars.open_time[i + 4])), rec
    raise AssertionError("no decision with a plan in the window")


def _check_output(out: str, rec: dict[str, Any]) -> None:
    lines = out.splitlines()
    assert lines[0].startswith("BTCUSDT · price ")
    narrative = rec["narrative"]
    assert narrative and narrative.splitlines()[0] in out  # пояснення Stage2 надруковано
    assert any(line.startswith("Plan: entry ") for line in lines)
    assert any(line.startswith("Signal ") for line in lines)
    assert any(line.startswith("Levels: ") for line in lines)
    assert "Triggers: upside breakout, bullish volume spike" in lines
    assert any("invalidates the idea" in line for line in lines)
    assert any(line.startswith("Confidence: score ") for line in lines)


def test_why_prints_the_narrative_from_a_recorded_snapshot_file(data_1m: Path, tmp_path: Path) -> None:
    frame, rec = _btc_frame(data_1m, "en")
    path = tmp_path / "snapshot.json"
    path.write_bytes(orjson.dumps(frame))
    res = CliRunner().invoke(app, ["why", "btcusdt", "--snapshot", str(path), "--locale", "en"])
    assert res.exit_code == 0, res.output
    _check_output(res.output, rec)


def test_why_reads_the_published_snapshot_from_redis(data_1m: Path, redis_url: str) -> None:
    import redis

    from aione.data.redis_keys import STATE_SNAPSHOT_KEY
    from aione.data.ws_worker import encode_frame

    frame, rec = _btc_frame(data_1m, "en")
    client = redis.Redis.from_url(redis_url)
    try:
        client.set(STATE_SNAPSHOT_KEY, encode_frame(frame))
    finally:
        client.close()
    res = CliRunner().invoke(app, ["why", "BTCUSDT", "--redis", redis_url, "--locale", "en"])
    assert res.exit_code == 0, res.output
    _check_output(res.output, rec)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["why", "XRPUSDT"], 1, "aione why: XRPUSDT is not in the snapshot"),
        (["why", "BTCUSDT", "--locale", "de"], 2, "aione why: unknown --locale 'de' (uk or en)"),
    ],
)
def test_why_errors_are_one_line(data_1m: Path, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    frame, _ = _btc_frame(data_1m, "uk")
    path = tmp_path / "snapshot.json"
    path.write_bytes(orjson.dumps(frame))
    res = CliRunner().invoke(app, [*args, "--snapshot", str(path)])
    assert res.exit_code == code
    assert res.output.strip() == message
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    res = CliRunner().invoke(app, ["why", "BTCUSDT", "--snapshot", str(bad)])
    assert res.exit_code == 2 and res.output.startswith("aione why: the snapshot is not a state frame")
