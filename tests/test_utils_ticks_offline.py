"""Тік без мережі: знімок exchangeInfo, сітка цін барів і те, що бектест ставить TP/SL на справжній тік."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from aione.backtest.baseline import random_decisions
from aione.backtest.runner import RunSpec, run_backtest
from aione.data.bars import list_symbols
from aione.data.tick_snapshot import (
    load_tick_snapshot,
    parse_snapshot,
    recorded_ticks,
    snapshot_from_exchange_info,
)
from aione.exchange.endpoints import UM_SPEC
from aione.exchange.replay import load_series
from aione.exchange.sim_market import SimMarket, load_market_series
from aione.utils.ticks import (
    SOURCE_BARS,
    SOURCE_BARS_COARSER,
    SOURCE_FALLBACK,
    SOURCE_SNAPSHOT,
    TICK_INFER_MIN_PRICES,
    bar_prices,
    choose_tick,
    grid_prices,
    infer_tick,
    on_grid,
    resolve_tick,
)
from aione.utils.utils import get_tick_size
from tests.conftest import SHARED

DATA_2023 = SHARED / "data" / "binance-um-1m-2023-07-2023-08"
SAMPLE = Path(str(files("aione") / "sample_data" / "binance-um-1m"))
DAY_MS = 86_400_000

# Справжні тіки USDT-M для символів основного набору (травень 2025): зі знімка 2021, де бари йому
# не суперечать; BTC і SOL — біржа підняла тік після знімка; ENA, LAYER, SUI — новіші за знімок.
EXPECTED_2025_05 = {
    "ADAUSDT": "0.0001",
    "AVAXUSDT": "0.001",
    "BCHUSDT": "0.01",
    "BNBUSDT": "0.01",
    "BTCUSDT": "0.1",
    "ENAUSDT": "0.0001",
    "ETCUSDT": "0.001",
    "ETHUSDT": "0.01",
    "LAYERUSDT": "0.0001",
    "LINKUSDT": "0.001",
    "LTCUSDT": "0.01",
    "SOLUSDT": "0.01",
    "SUIUSDT": "0.0001",
    "XLMUSDT": "0.00001",
    "XMRUSDT": "0.01",
    "XRPUSDT": "0.0001",
}


def on_tick(price: float, tick: str) -> bool:
    """Ціна рівно на сітці тіку в десятковому записі."""
    steps = Decimal(repr(float(price))) / Decimal(tick)
    return steps == steps.to_integral_value()


class _Bars:
    """Мінімальні «бари» для `resolve_tick`: одні й ті самі ціни в усіх чотирьох колонках."""

    def __init__(self, prices: list[float]) -> None:
        arr = np.asarray(prices, dtype=np.float64)
        self.open = self.high = self.low = self.close = arr


# ── Знімок ──
def test_snapshot_is_derived_from_the_recorded_exchange_info(binance_fixtures: Path) -> None:
    for market, name in (
        ("um", "um_exchangeInfo_2021-07-22.json"),
        ("spot", "spot_exchangeInfo_2021-10-12.json"),
    ):
        payload = json.loads((binance_fixtures / name).read_text(encoding="utf-8"))
        shipped = json.loads((files("aione") / "sample_data" / f"tick_sizes_{market}.json").read_text())
        derived = snapshot_from_exchange_info(payload, market, shipped["source"])
        assert derived == shipped
        assert name in shipped["source"]
        assert shipped["recorded"].startswith(name.rsplit("_", 1)[1][:7])  # дата запису у файлі
        assert len(shipped["tick_size"]) == len(payload["symbols"])
    um = load_tick_snapshot("um")
    assert um.recorded == "2021-07-21T09:04:03Z"
    assert um.ticks["BTCUSDT"] == 0.01 and um.ticks["DOTUSDT"] == 0.001 and um.ticks["LTCUSDT"] == 0.01
    assert "ENAUSDT" not in um.ticks and "SUIUSDT" not in um.ticks and "LAYERUSDT" not in um.ticks
    assert load_tick_snapshot("spot").ticks["BTCUSDT"] == 0.01
    with pytest.raises(ValueError):
        load_tick_snapshot("coin-m")
    with pytest.raises(ValueError):
        parse_snapshot({"schema": 99, "tick_size": {}})


# ── Справжні бари ──
def test_real_ticks_from_recorded_bars(data_1m: Path) -> None:
    ticks = recorded_ticks(data_1m, list_symbols(data_1m))
    assert {k: format(Decimal(repr(v)).normalize(), "f") for k, v in ticks.items()} == EXPECTED_2025_05
    # Старий запасний шлях для цих символів помилявся на порядок.
    assert get_tick_size("LTCUSDT", 86.35) == 0.001 and ticks["LTCUSDT"] == 0.01
    assert get_tick_size("ENAUSDT", 0.289) == 0.00001 and ticks["ENAUSDT"] == 0.0001


def test_resolver_sources_on_real_bars(data_1m: Path) -> None:
    snap = load_tick_snapshot("um").ticks
    series = load_series(data_1m, ["BTCUSDT", "ENAUSDT", "LTCUSDT", "SOLUSDT"])
    assert choose_tick("LTCUSDT", series["LTCUSDT"], snap) == (0.01, SOURCE_SNAPSHOT)
    assert choose_tick("ENAUSDT", series["ENAUSDT"], snap) == (0.0001, SOURCE_BARS)
    assert choose_tick("BTCUSDT", series["BTCUSDT"], snap) == (0.1, SOURCE_BARS_COARSER)
    # SOLUSDT: одна ціна з 43 198 барів (high 174.733) поза сіткою 0.01 — поодинокий збій запису.
    assert choose_tick("SOLUSDT", series["SOLUSDT"], snap) == (0.01, SOURCE_BARS_COARSER)
    # Кілька барів: мало різних цін, щоб виводити, — тік знімка, раз бари йому не суперечать.
    assert choose_tick("LTCUSDT", series["LTCUSDT"].slice(0, 3), snap) == (0.01, SOURCE_SNAPSHOT)


def test_dot_tick_offline() -> None:
    if not DATA_2023.is_dir():
        pytest.fail(f"recorded data not found at {DATA_2023} (set AIONE_SHARED_DIR)")
    ticks = recorded_ticks(DATA_2023, ["DOTUSDT", "LTCUSDT", "SOLUSDT"])
    assert ticks == {"DOTUSDT": 0.001, "LTCUSDT": 0.01, "SOLUSDT": 0.001}  # SOL у 2023 — ще 0.001
    assert get_tick_size("DOTUSDT", 5.0) == 0.0001  # старий шлях


def test_demo_sample_ticks() -> None:
    ticks = recorded_ticks(SAMPLE, list_symbols(SAMPLE))
    assert ticks == {
        "BTCUSDT": 0.1,
        "ENAUSDT": 0.0001,
        "ETHUSDT": 0.01,
        "SOLUSDT": 0.01,
        "SUIUSDT": 0.0001,
        "XRPUSDT": 0.0001,
    }
    market = SimMarket(load_market_series(SAMPLE), UM_SPEC)
    info = market.exchange_info(0, 2400)
    served = {
        s["symbol"]: next(f["tickSize"] for f in s["filters"] if f["filterType"] == "PRICE_FILTER")
        for s in info["symbols"]
    }
    assert {k: float(v) for k, v in served.items()} == ticks


# ── Бектест ставить план на сітку тіку ──
def _assert_plans_on_grid(signals: list[dict[str, object]], expected: dict[str, str]) -> int:
    planned = 0
    for sig in signals:
        tick = expected[str(sig["symbol"])]
        for key in ("entry", "tp", "sl"):
            value = sig.get(key)
            if value is not None:
                assert on_tick(float(value), tick), (sig["symbol"], key, value, tick)  # type: ignore[arg-type]
        planned += sig.get("tp") is not None
    return planned


def test_backtest_plans_on_real_ticks(data_1m: Path) -> None:
    start = 1_748_000_000_000  # 2025-05-23
    spec = RunSpec(data_1m, ("BTCUSDT", "ENAUSDT", "LTCUSDT"), start, start + 4 * DAY_MS)
    batch = run_backtest(spec, engine="batch")
    event = run_backtest(spec, engine="event")
    assert batch.signals == event.signals and batch.trades == event.trades
    assert _assert_plans_on_grid(batch.signals, EXPECTED_2025_05) > 0
    for trade in batch.trades:
        tick = EXPECTED_2025_05[trade["symbol"]]
        assert on_tick(trade["tp"], tick) and on_tick(trade["initial_sl"], tick)
    # Випадкова базова лінія — той самий тік.
    decisions = random_decisions(spec, ["BUY", "SELL"] * 10)
    assert decisions
    for d in decisions:
        risk = d["risk_parameters"]
        tick = EXPECTED_2025_05[d["symbol"]]
        assert risk["tick_size"] == float(tick)
        assert all(on_tick(risk[k], tick) for k in ("entry", "tp", "sl"))


def test_backtest_dot_plans_on_real_tick() -> None:
    start = 1_689_600_000_000  # 2023-07-17 13:20 UTC (DOTUSDT записано з 2023-07-18 11:15)
    spec = RunSpec(DATA_2023, ("DOTUSDT", "LTCUSDT"), start, start + 4 * DAY_MS)
    result = run_backtest(spec, engine="batch")
    assert _assert_plans_on_grid(result.signals, {"DOTUSDT": "0.001", "LTCUSDT": "0.01"}) > 0
    assert any(s["symbol"] == "DOTUSDT" and s["tp"] is not None for s in result.signals)


# ── Виведення з сітки цін ──
def test_infer_tick_float_noise_and_mantissas() -> None:
    rng = np.random.default_rng(7)
    steps = rng.integers(1, 5000, 400)
    for tick, text in ((0.1, "0.1"), (0.01, "0.01"), (0.0001, "0.0001"), (0.05, "0.05"), (2.0, "2")):
        noisy = steps * tick  # множення дає шум float: 3 × 0.1 = 0.30000000000000004
        assert infer_tick(grid_prices([noisy])) == float(text)
    assert 3 * 0.1 == 0.30000000000000004
    assert infer_tick(grid_prices([[0.1 + 0.2, 0.7, 1.1, *(np.arange(1, 40) * 0.1)]])) == 0.1
    # 1e-8 тіки дрібних монет і великі ціни з тіком 0.1.
    assert infer_tick(grid_prices([rng.integers(1000, 9000, 300) * 1e-8])) == 1e-8
    assert infer_tick(grid_prices([95_000 + rng.integers(0, 50_000, 300) * 0.1])) == 0.1


def test_infer_tick_ignores_nan_inf_and_refuses_to_guess() -> None:
    base = list(np.arange(1, 60) * 0.01 + 1.0)
    dirty = [*base, float("nan"), float("inf"), -float("inf"), 0.0, -3.0]
    assert infer_tick(grid_prices([dirty])) == 0.01
    assert grid_prices([dirty]).shape[0] == len(base)
    # Замало різних цін: на кількох цінах грубша сітка може збігтися випадково.
    few = grid_prices([[1.23, 1.25, 1.27, 1.23]])
    assert few.shape[0] < TICK_INFER_MIN_PRICES and infer_tick(few) is None
    assert infer_tick(few, min_prices=1) == 0.01
    assert infer_tick(grid_prices([[]])) is None
    assert infer_tick(grid_prices([[float("nan")] * 50])) is None
    # Ціни не з біржової сітки (довільні float) — не вирішити.
    assert infer_tick(grid_prices([np.random.default_rng(1).uniform(1, 2, 100)])) is None


def test_stray_print_tolerated_but_real_finer_tick_is_not() -> None:
    rng = np.random.default_rng(3)
    grid = 100 + rng.integers(0, 10_000, 5000) * 0.01
    assert infer_tick(grid_prices([np.r_[grid, 174.733]])) == 0.01  # один збій на тисячі цін
    finer = 100 + rng.integers(0, 100_000, 5000) * 0.001
    assert infer_tick(grid_prices([finer])) == 0.001
    assert not on_grid(grid_prices([finer]), 0.01)


# ── Політика resolve_tick ──
def test_snapshot_finer_than_bars_grid_btc_like() -> None:
    rng = np.random.default_rng(5)
    bars = _Bars(list(60_000 + rng.integers(0, 100_000, 200) * 0.1))  # біржа вже на 0.1
    assert choose_tick("BTCUSDT", bars, {"BTCUSDT": 0.01}) == (0.1, SOURCE_BARS_COARSER)
    assert resolve_tick("BTCUSDT", bars, {"BTCUSDT": 0.1}) == 0.1


def test_snapshot_consistent_missing_inconsistent_and_fallback() -> None:
    rng = np.random.default_rng(9)
    fine = _Bars(list(4 + rng.integers(0, 5000, 200) * 0.001))
    assert choose_tick("DOTUSDT", fine, {"DOTUSDT": 0.001}) == (0.001, SOURCE_SNAPSHOT)
    assert choose_tick("DOTUSDT", fine, {}) == (0.001, SOURCE_BARS)
    assert choose_tick("DOTUSDT", fine, None) == (0.001, SOURCE_BARS)
    # Знімок грубший за бари (тік зменшили): ціни виходять з його сітки — тік з барів.
    assert choose_tick("DOTUSDT", fine, {"DOTUSDT": 0.01}) == (0.001, SOURCE_BARS)
    # Ні знімка, ні барів, з яких можна вивести, — старий запасний шлях.
    few = _Bars([4.123, 4.125])
    assert choose_tick("DOTUSDT", few, {}) == (get_tick_size("DOTUSDT", 4.125), SOURCE_FALLBACK)
    assert choose_tick("DOTUSDT", few, {"DOTUSDT": 0.01}).source == SOURCE_FALLBACK
    assert choose_tick("BTCUSDT", None, None) == (get_tick_size("BTCUSDT"), SOURCE_FALLBACK)
    assert choose_tick("DOTUSDT", None, {"DOTUSDT": 0.001}) == (0.001, SOURCE_SNAPSHOT)
    assert bar_prices(_Bars([])).shape == (0,)


def test_live_get_tick_size_still_prefers_exchange_info() -> None:
    assert get_tick_size("LTCUSDT", 86.0, known=0.01) == 0.01
    assert get_tick_size("BTCUSDT") == 0.1
