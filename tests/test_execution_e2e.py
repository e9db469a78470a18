"""Живе виконання в конвеєрі: `run --execution live` проти симулятора = паперові угоди того ж запуску
в межах прослизання; ворота безпеки CLI; `aione kill`; маскування ключів."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from typer.testing import CliRunner

from aione.app.demo import DEMO_PREFILTER_PARAMS, sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.cli import app
from aione.config.config import (
    BUY_SET,
    EXECUTION_JOURNAL_FILENAME,
    EXECUTION_KILL_FILENAME,
    SELL_SET,
    ExecutionLimits,
)
from aione.config.settings import load_settings
from aione.exchange.sim_trading import SIM_API_KEY, SIM_API_SECRET
from aione.exchange.simulator import BinanceSimulator
from aione.execution import journal as jr
from aione.execution.gates import execution_gate
from aione.execution.live import BinanceBroker
from aione.execution.model import OrderIntent
from aione.execution.runtime import ExecutionSetup, kill_command
from aione.stage3.trade_model import Trade, TradeEvent
from tests.test_execution_process import assert_live_matches_paper, late_protective_fills

# Відомий сигнал зразка: XRPUSDT SELL о 1748453040000 (рішення на закритті бару); старт за 15 хв до нього.
SIGNAL_MS = 1_748_453_040_000
SPEED = 300.0


class _Recorder:
    """Проксі брокера: запам'ятовує паперові угоди, які Stage3 віддав на виконання."""

    def __init__(self, inner: BinanceBroker) -> None:
        self.inner = inner
        self.paper: dict[str, Trade] = {}

    def on_trade_events(
        self, events: Sequence[TradeEvent], decision: Mapping[str, Any] | None = None
    ) -> None:
        for event in events:
            self.paper[event.trade.trade_id] = event.trade
        self.inner.on_trade_events(events, decision)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _Setup(ExecutionSetup):
    recorder: _Recorder | None = None

    @classmethod
    def paper(cls) -> list[Trade]:
        return list(cls.recorder.paper.values()) if cls.recorder is not None else []

    async def start(self, clock: Any = None, monitor: Any = None) -> Any:
        rec = _Recorder(await super().start(clock, monitor))
        type(self).recorder = rec
        return rec


async def test_run_with_live_execution_matches_paper_trades(tmp_path: Path) -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=SPEED, market="um", start_ms=SIGNAL_MS - 15 * 60_000)
    await sim.start()
    limits = ExecutionLimits(
        max_notional_per_trade=100, max_open_positions=6, max_total_exposure=600, max_daily_loss=100,
        recommendations=tuple(sorted(BUY_SET | SELL_SET)),
    )  # fmt: skip
    setup = _Setup(
        sim.rest_url,
        sim.ws_url,
        "testnet",
        SecretStr(SIM_API_KEY),
        SecretStr(SIM_API_SECRET),
        limits,
        tmp_path,
    )
    opts = RunOptions(
        rest_url=sim.rest_url, ws_url=sim.ws_url, clock=sim.clock, mode="demo", speed=SPEED,
        prefilter_params=DEMO_PREFILTER_PARAMS, progress=False, install_signal_handlers=False, execution=setup,
    )  # fmt: skip
    stop, ready = asyncio.Event(), asyncio.Event()
    try:
        task = asyncio.create_task(run_pipeline(opts, stop, ready))
        await asyncio.wait_for(ready.wait(), 60)
        # до першої угоди, що пройшла повне коло (вхід і вихід), але не довше за 25 с (~2 год ринку)
        deadline = time.monotonic() + 25.0
        while time.monotonic() < deadline and not any(t.status == "closed" for t in _Setup.paper()):
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # вихід на біржі й його виконання з потоку
        stop.set()
        report = await task
        positions = {s: p.amount for s, p in sim.trading.account.positions.items() if p.amount}
    finally:
        await sim.stop()
    assert report.failures == []
    assert report.counters["exec_trades"] >= 1 and report.counters["exec_blocked"] == 0
    rec = _Setup.recorder
    assert rec is not None
    records = jr.Journal(tmp_path / EXECUTION_JOURNAL_FILENAME).records()
    state = jr.fold(records)
    late = late_protective_fills(sim.trading.account, state)
    closed = assert_live_matches_paper(records, state, rec.paper, positions, late, market=sim.trading)
    # жодного втраченого виконання, крім стопів/цілей після зупинки брокера (див. late_protective_fills)
    assert len(state.fill_ids) + sum(late.values()) == len(sim.trading.account.trades)
    assert closed >= 1  # хоча б одна угода пройшла повне коло: вхід і вихід


# ── Ворота безпеки ──
def test_execution_gates() -> None:
    keys = {"api_key": "k", "api_secret": "s"}
    assert execution_gate(load_settings(), None, real_money_ack=False).mode == "paper"
    off = execution_gate(load_settings(**keys), "live", real_money_ack=False)
    assert off.mode == "paper" and off.error and "AIONE_EXECUTION=live" in off.error
    nokeys = execution_gate(load_settings(execution="live"), "live", real_money_ack=False)
    assert nokeys.error and "AIONE_API_SECRET" in nokeys.error
    main = execution_gate(
        load_settings(execution="live", execution_env="mainnet", **keys), None, real_money_ack=False
    )
    assert main.error and "--i-understand-real-money" in main.error
    ok = execution_gate(
        load_settings(execution="live", execution_env="mainnet", **keys), None, real_money_ack=True
    )
    assert ok.mode == "live" and ok.rest_url == "https://fapi.binance.com"
    test = execution_gate(load_settings(execution="live", **keys), "live", real_money_ack=False)
    assert test.mode == "live" and "testnet" in test.rest_url


def test_cli_refuses_live_without_settings_and_masks_keys(tmp_path: Path) -> None:
    env = {
        "AIONE_DATA_DIR": str(tmp_path),
        "AIONE_API_KEY": "KEY-abc-123",
        "AIONE_API_SECRET": "SECRET-xyz-789",
    }
    res = CliRunner(env=env).invoke(app, ["run", "--execution", "live", "--no-ui"])
    assert res.exit_code == 2 and "aione run: live execution is off" in res.output
    env_main = {**env, "AIONE_EXECUTION": "live", "AIONE_EXECUTION_ENV": "mainnet"}
    res = CliRunner(env=env_main).invoke(app, ["run", "--no-ui"])
    assert res.exit_code == 2 and "--i-understand-real-money" in res.output
    shown = CliRunner(env=env_main).invoke(app, ["config", "show", "--json"])
    assert shown.exit_code == 0
    settings = json.loads(shown.output)["settings"]
    assert settings["api_key"] == "***" and settings["api_secret"] == "***"
    assert "KEY-abc-123" not in shown.output and "SECRET-xyz-789" not in shown.output


def test_cli_kill_sets_and_clears_the_flag(tmp_path: Path) -> None:
    runner = CliRunner(env={"AIONE_DATA_DIR": str(tmp_path)})
    res = runner.invoke(app, ["kill"])
    assert res.exit_code == 0 and (tmp_path / EXECUTION_KILL_FILENAME).exists()
    assert json.loads(res.output.strip().splitlines()[-1])["kill"] == "set"
    res = runner.invoke(app, ["kill", "--clear"])
    assert res.exit_code == 0 and not (tmp_path / EXECUTION_KILL_FILENAME).exists()


async def test_kill_command_cancels_everything_on_the_exchange(data_1m: Path, tmp_path: Path) -> None:
    async with BinanceSimulator(data_1m, speed=1, symbols=["BTCUSDT", "ETHUSDT"]) as sim:
        from aione.exchange.binance_rest import BinanceRestClient
        from aione.execution.binance_trading import BinanceTradingClient

        async with BinanceRestClient(sim.rest_url) as rest:
            await rest.sync_time()
            client = BinanceTradingClient(rest, SecretStr(SIM_API_KEY), SecretStr(SIM_API_SECRET))
            await client.place_order(
                OrderIntent("a", "entry", "BTCUSDT", "BUY", "LIMIT", 0.01, "a-1", price=1000.0)
            )
            await client.place_order(OrderIntent("b", "entry", "ETHUSDT", "SELL", "MARKET", 0.05, "b-1"))
        result = await kill_command(
            tmp_path, None, rest_url=sim.rest_url, api_key=SecretStr(SIM_API_KEY),
            api_secret=SecretStr(SIM_API_SECRET), flatten=True, clear=False,
        )  # fmt: skip
        assert result["kill"] == "set" and result["cancelled"] == 1 and result["closed"] == 1
        assert not [o for o in sim.trading.account.orders.values() if o.status == "NEW"]
        assert all(p.amount == 0 for p in sim.trading.account.positions.values())
        assert (tmp_path / EXECUTION_KILL_FILENAME).exists()
