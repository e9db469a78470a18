"""Бектест читає записані деривативні ряди: з рядами нові тригери спрацьовують і Stage2 отримує
знімок (пакетний, подієвий і розбитий за символами рушії дають те саме); з лише барами рядів
немає — нічого не вигадується, тригерів деривативів немає."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aione.app.demo import sample_data_dir
from aione.app.pipeline import PipelineCore
from aione.backtest.engines import SerialEngine
from aione.backtest.parallel import run_partitioned
from aione.backtest.runner import RunSpec, make_core, run_backtest
from aione.data.bars import BarArrays, read_bars_parquet
from aione.data.deriv_disk import write_series_days
from aione.data.disk_layer import write_bars_atomic
from aione.signals.deriv_context import bar_event_time

SYMBOL = "BTCUSDT"
N_BARS = 1_440
HOT = range(1_000, 1_010)  # бари з екстремальним фінансуванням
# Одна причина вже дає алерт: так тригер фінансування видно сам по собі (без збігу з іншими).
OVERRIDES: dict[str, dict[str, Any]] = {"stage1": {"min_reasons_for_alert": 1}}


def _bars() -> BarArrays:
    full = read_bars_parquet(sample_data_dir() / f"{SYMBOL}.parquet")
    return full.slice(0, N_BARS)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(каталог лише з барами, той самий каталог + записаний ряд марк-ціни й фінансування)."""
    bars = _bars()
    plain = tmp_path_factory.mktemp("bars")
    write_bars_atomic(plain / f"{SYMBOL}.parquet", bars)
    rec = tmp_path_factory.mktemp("rec")
    shutil.copy(plain / f"{SYMBOL}.parquet", rec / f"{SYMBOL}.parquet")
    ts = bars.open_time + 30_000  # точка посеред кожного бару
    rate = np.full(N_BARS, 0.0001)
    rate[HOT.start : HOT.stop] = 0.002
    write_series_days(
        rec,
        "mark",
        SYMBOL,
        {
            "ts": ts.astype(np.int64),
            "mark_price": bars.close.copy(),
            "index_price": bars.close.copy(),
            "funding_rate": rate,
            "next_funding_time": (ts // 28_800_000 + 1) * 28_800_000.0,
        },
    )
    return plain, rec


def _deriv_triggers(signals: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(int(s["ts"]), t) for s in signals for t in s["triggers"] if t.startswith("funding_extreme")]


def test_recorded_funding_fires_the_trigger_and_reaches_stage2(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, rec = folders
    hot_ts = {int(t) for t in _bars().open_time[HOT.start : HOT.stop]}
    seen: list[dict[str, Any]] = []
    offer = PipelineCore.offer

    def spy(self: PipelineCore, alert: Any, result: dict[str, Any]) -> Any:
        seen.append(result)
        return offer(self, alert, result)

    monkeypatch.setattr(PipelineCore, "offer", spy)
    with_series = run_backtest(RunSpec(rec), OVERRIDES)
    fired = _deriv_triggers(with_series.signals)
    assert fired and {ts for ts, _ in fired} <= hot_ts
    assert {t for _, t in fired} == {"funding_extreme_high"}
    # Stage2 отримав знімок на кінець бару алерту: ставка з запису, бали фактора фінансування
    by_ts = {int(r["timestamp"]): r for r in seen}
    for ts, _ in fired:
        deriv = by_ts[ts]["derivatives"]
        assert deriv["t"] == bar_event_time(ts, 60_000)
        assert deriv["funding_rate"] == 0.002 and deriv["funding_pct_rank"] is not None
    seen.clear()
    bars_only = run_backtest(RunSpec(plain), OVERRIDES)
    assert _deriv_triggers(bars_only.signals) == []  # без рядів тригер мовчить
    assert all("derivatives" not in r for r in seen)  # і Stage2 без знімка, як до деривативів
    assert make_core(RunSpec(plain)).monitor.deriv_source is None


def test_engines_agree_on_a_recorded_folder(folders: tuple[Path, Path]) -> None:
    _, rec = folders
    spec = RunSpec(rec)
    batch = run_backtest(spec, OVERRIDES)
    assert _deriv_triggers(batch.signals)
    event = run_backtest(spec, OVERRIDES, engine="event")
    assert event.signals == batch.signals and event.trades == batch.trades
    parted = run_partitioned(spec, OVERRIDES, SerialEngine())
    assert parted.signals == batch.signals and parted.trades == batch.trades
