"""`aione record` проти симулятора: ряди записано за добою, прочитане назад дорівнює живому сховищу,
симулятор програє запис точно; пам'ять обмежена (скидання забирає чергу), команда CLI пише й каже куди."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aione.app.demo import sample_data_dir
from aione.app.record import Recorder, RecordOptions, run_record
from aione.cli import app
from aione.data.bars import BarArrays, read_bars_parquet
from aione.data.deriv_disk import read_series_days
from aione.data.deriv_loader import DerivReplay, is_recorded_dir, load_recorded_bars, load_store
from aione.data.deriv_store import SERIES_KINDS, DerivStore
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.deriv_feed import DerivFeed
from aione.exchange.simulator import BinanceSimulator

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
URL_RE = re.compile(r"REST (http://\S+)\s+WS (ws://\S+)/stream")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recorder, list[str]]:
    """Запис ~5 с проти симулятора x60 (≈5 віртуальних хвилин), скидання щосекунди."""
    out = tmp_path_factory.mktemp("rec")
    lines: list[str] = []

    async def go() -> Recorder:
        async with BinanceSimulator(sample_data_dir(), speed=60, symbols=SYMBOLS) as sim:
            rec = Recorder(out)
            opts = RecordOptions(
                sim.rest_url, sim.ws_url, out, symbols=SYMBOLS, duration=5, flush_sec=1, health_sec=2
            )
            await run_record(opts, on_line=lines.append, recorder=rec)
            return rec

    return out, asyncio.run(go()), lines


def test_recorded_series_load_back_equal_to_the_live_store(
    recording: tuple[Path, Recorder, list[str]],
) -> None:
    out, rec, _ = recording
    assert is_recorded_dir(out)
    loaded = load_store(out, SYMBOLS)
    for symbol in SYMBOLS:
        for kind in SERIES_KINDS:
            live = rec.store.series(symbol, kind)
            back = loaded.series(symbol, kind)
            assert live is not None and back is not None
            a, b = live.to_columns(), back.to_columns()
            assert np.array_equal(a["ts"], b["ts"]), (symbol, kind)
            for name in live.columns:  # ті самі числа до біта (NaN — на тих самих місцях)
                assert np.array_equal(b[name], a[name], equal_nan=True), (symbol, kind, name)
        assert len(rec.store.series(symbol, "book")) >= 100  # ≈ 1 знімок на віртуальну секунду
        assert len(rec.store.series(symbol, "mark")) >= 3
    assert rec.store.stats.rejected_total == 0


def test_recorded_bars_carry_taker_columns_and_flat_files(
    recording: tuple[Path, Recorder, list[str]],
) -> None:
    out, rec, lines = recording
    day_bars = load_recorded_bars(out, SYMBOLS)
    for symbol in SYMBOLS:
        flat = read_bars_parquet(out / f"{symbol}.parquet")
        days = day_bars[symbol]
        assert len(flat) == len(days) >= 3
        assert np.array_equal(flat.open_time, days.open_time)
        assert np.all(np.diff(flat.open_time) == 60_000)
        assert np.isfinite(flat.taker_buy_volume).all() and (flat.trades > 0).all()
        assert np.isfinite(flat.taker_buy_quote).all()
    manifest = json.loads((out / "record.json").read_text())
    assert manifest["symbols"] == SYMBOLS and manifest["first_ms"] <= manifest["last_ms"]
    assert any(line.startswith("record: 2 symbols") for line in lines)  # рядок стану
    assert not list(out.rglob("*.tmp"))


async def test_simulator_replays_the_recording_exactly(recording: tuple[Path, Recorder, list[str]]) -> None:
    out, rec, _ = recording
    book = read_series_days(out, "book", "BTCUSDT")
    start = int(book["ts"][0]) - 1
    sim = BinanceSimulator(out, speed=60, symbols=SYMBOLS, start_ms=start)
    assert sim.market.recorded["BTCUSDT"].book is not None
    await sim.start()
    try:
        async with BinanceRestClient(sim.rest_url) as rest:
            store = DerivStore()
            feed = DerivFeed(sim.ws_url, rest, store, clock=sim.clock)
            await feed.set_symbols(SYMBOLS)
            task = asyncio.create_task(feed.run())
            end = time.monotonic() + 20
            while time.monotonic() < end and sim.clock() <= int(book["ts"][-1]):
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.2)
            await feed.stop()
            await task
    finally:
        await sim.stop()
    for symbol in SYMBOLS:
        for kind in ("book", "mark"):
            rec_cols = read_series_days(out, kind, symbol)
            got = store.series(symbol, kind)
            assert got is not None and len(got) > 0, (symbol, kind)
            g = got.to_columns()
            first = int(g["ts"][0])
            mask = rec_cols["ts"] >= first
            assert np.array_equal(g["ts"], rec_cols["ts"][mask]), (symbol, kind)
            for name in got.columns:
                # через дріт книга йде двома рівнями, відновленими з метрик: spread_bps втрачає
                # ~1e-10 відносно (різниця близьких чисел); решта — до останніх знаків
                np.testing.assert_allclose(g[name], rec_cols[name][mask], rtol=1e-9, equal_nan=True)
        assert store.stats.rejected_total == 0


def test_flush_takes_the_queue_and_never_writes_a_row_twice(tmp_path: Path) -> None:
    from aione.data.bars import Bar, BarEvent

    rec = Recorder(tmp_path)
    rec.symbols = ["BTCUSDT"]
    for i in range(5):
        t = 1_748_000_000_000 + i * 60_000
        rec.on_bar(BarEvent("BTCUSDT", "1m", Bar(t, 1, 2, 0.5, 1.5, 10, 15, 3, 5, True, 7)))
    assert rec.pending_bars == 5
    first = rec.collect()
    assert rec.pending_bars == 0 and len(first) == 1
    rec.write(first)
    assert rec.collect() == []  # нічого нового — нічого не пишеться
    assert len(load_recorded_bars(tmp_path)["BTCUSDT"]) == 5


def test_replay_feeds_the_store_only_up_to_the_bar_time(recording: tuple[Path, Recorder, list[str]]) -> None:
    out, _, _ = recording
    replay = DerivReplay.from_dir(out, SYMBOLS)
    book = read_series_days(out, "book", "BTCUSDT")
    mid = int(book["ts"][len(book["ts"]) // 2])
    store = DerivStore()
    replay.advance(store, mid)
    ring = store.series("BTCUSDT", "book")
    assert ring is not None and ring.last_ts == mid  # нічого з майбутнього
    replay.advance(store, 2**62)
    assert ring.last_ts == int(book["ts"][-1]) and store.stats.rejected_total == 0


# ── CLI ──
def test_record_help_and_bad_out_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["record", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    for flag in ("--symbols", "--out", "--duration", "--flush-every", "--health-every"):
        assert flag in text
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bad = runner.invoke(app, ["record", "--out", str(blocker)])
    assert bad.exit_code == 2 and "is not a folder" in bad.output


async def test_record_command_against_simulate_writes_and_says_where(tmp_path: Path) -> None:
    env = {**os.environ, "AIONE_LOG_LEVEL": "WARNING"}
    sim = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aione", "simulate", str(sample_data_dir()), "--port", "0", "--speed", "60",
        "--symbols", "BTCUSDT", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert sim.stdout is not None
        match = URL_RE.search((await asyncio.wait_for(sim.stdout.readline(), 60)).decode())
        assert match
        out = tmp_path / "rec"
        renv = {**env, "AIONE_REST_BASE_URL": match.group(1), "AIONE_WS_BASE_URL": match.group(2)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "aione", "record", "--symbols", "BTCUSDT", "--out", str(out),
            "--duration", "3", "--flush-every", "1", env=renv,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        sim.kill()
        await sim.wait()
    assert proc.returncode == 0, stderr.decode()
    summary = json.loads(stdout.decode().strip().splitlines()[-1])
    assert summary["out"] == str(out) and summary["rows"]["book"] > 0 and summary["rows"]["bars"] >= 1
    err = stderr.decode()
    assert f"→ {out}" in err and "wrote" in err
    assert (out / "BTCUSDT.parquet").is_file() and list((out / "book").glob("*/BTCUSDT.parquet"))


# ── Запис → бектест: ті самі знімки деривативів, що бачив живий монітор ──
def test_recorded_series_give_the_same_deriv_context_as_the_live_store(
    recording: tuple[Path, Recorder, list[str]],
) -> None:
    from dataclasses import astuple

    from aione.data.deriv_loader import load_recorded_columns
    from aione.signals.deriv_context import bar_event_time, deriv_context, recorded_source

    out, rec, _ = recording
    recorded = recorded_source(load_recorded_columns(out, SYMBOLS))
    checked = 0
    for symbol in SYMBOLS:
        bars = load_recorded_bars(out, [symbol])[symbol]
        for open_time in bars.open_time.tolist():
            t = bar_event_time(int(open_time), 60_000)
            live = deriv_context(rec.store.series, symbol, t)  # type: ignore[arg-type]
            back = deriv_context(recorded, symbol, t)
            assert [repr(x) for x in astuple(live)] == [repr(x) for x in astuple(back)], (symbol, t)
            assert live.oi is not None and live.book_imbalance is not None and live.funding_rate is not None
            checked += 1
    assert checked >= 6


# ── Денні бари біржі: на старті (preload) і після закриття доби ──
def _sample_days(symbol: str) -> BarArrays:
    """Денні бари симулятора = ресемплінг його 1m барів (REST `1d` симулятора з тих самих барів)."""
    from aione.data.resample import resample_daily

    return resample_daily(read_bars_parquet(sample_data_dir() / f"{symbol}.parquet"))


def _same_days(got: BarArrays, want: BarArrays) -> None:
    """Час і ціни — до біта (з них денні рівні); обсяги — сума тих самих барів в іншому порядку."""
    for name in ("open_time", "open", "high", "low", "close"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    np.testing.assert_allclose(got.quote_volume, want.quote_volume, rtol=1e-12)


def test_record_writes_the_exchange_daily_bars_of_the_preload(
    recording: tuple[Path, Recorder, list[str]],
) -> None:
    """На старті запис кладе в `1d/` закриті дні біржі, як preload `aione run`: симулятор стартує на
    28.05, тож закритий день — 27.05 (у його 1m барах лише з 15:31, і саме такий його дає REST)."""
    from aione.data.daily_record import read_daily_bars

    out, rec, _ = recording
    got = read_daily_bars(out, SYMBOLS)
    for symbol in SYMBOLS:
        want = _sample_days(symbol)
        days = got[symbol]
        assert days.open_time.tolist() == [int(want.open_time[0])]
        _same_days(days, want.slice(0, 1))
    assert rec.summary.rows["1d"] == len(SYMBOLS)
    assert json.loads((out / "record.json").read_text())["series"][-1] == "1d"


def test_record_adds_each_closed_day_after_the_utc_close(tmp_path: Path) -> None:
    """Запис, що перейшов північ UTC, дописує щойно закритий день біржі (повний 28.05) до `1d/`,
    не переписуючи вже записаних днів; доба, що ще триває, не пишеться."""
    from aione.data.daily_record import read_daily_bars

    day = 1_748_390_400_000  # 28.05.2025 00:00 UTC
    start = day + 86_400_000 - 90_000  # 23:58:30

    async def go() -> Recorder:
        async with BinanceSimulator(sample_data_dir(), speed=60, symbols=["ETHUSDT"], start_ms=start) as sim:
            rec = Recorder(tmp_path)
            opts = RecordOptions(
                sim.rest_url, sim.ws_url, tmp_path, symbols=["ETHUSDT"], duration=3.5, flush_sec=1, health_sec=60
            )
            await run_record(opts, recorder=rec)
            return rec

    rec = asyncio.run(go())
    days = read_daily_bars(tmp_path, ["ETHUSDT"])["ETHUSDT"]
    want = _sample_days("ETHUSDT")
    assert days.open_time.tolist() == want.open_time[:2].tolist() == [day - 86_400_000, day]
    _same_days(days, want.slice(0, 2))
    assert rec.summary.rows["1d"] == 2 and rec.daily_day == day // 86_400_000 + 1
