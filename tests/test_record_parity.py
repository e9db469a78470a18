"""Запис → бектест: живий `run_pipeline` з деривативами проти симулятора (x300, 3 символи, ~70
віртуальних хвилин), записувач `app.record.Recorder` пише те, що прийняв живий процес; бектест на
записаному каталозі дає ті самі рішення (символ, час, рекомендація, тригери разом з новими
тригерами деривативів) і до біта ті самі знімки деривативів і оцінки факторів Stage2 на спільному
проміжку закритих барів — пакетним, подієвим і розбитим за символами рушієм.

Чому записувач ділить сховище живого процесу, а не має власних з'єднань: два незалежні клієнти
бачать різну історію (кожен починає ряди з моменту своєї підписки, а OI опитує у своїй фазі), тож
перцентиль фінансування чи z OI у них законно різні — порівнювати рішення так не можна. Спільне
сховище — те саме, що бачив монітор; тест перевіряє запис на диск, читання і ядро бектесту.
Правило «лише точки з часом ≤ кінця бару» одне для обох боків (`deriv_context`)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aione.app import main
from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, run_pipeline
from aione.app.pipeline import PipelineCore
from aione.app.record import Recorder
from aione.backtest.engines import SerialEngine
from aione.backtest.parallel import run_partitioned
from aione.backtest.runner import RunSpec, run_backtest
from aione.data.bars import BarArrays, BarEvent, read_bars_parquet
from aione.data.deriv_loader import is_recorded_dir
from aione.data.deriv_store import DerivStore
from aione.data.disk_layer import write_bars_atomic
from aione.exchange.simulator import BinanceSimulator

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
SPEED = 300.0  # 5 віртуальних хвилин на секунду
WALL_SEC = 14.0
Decision = tuple[str, int, str, tuple[str, ...]]
NEW_TRIGGERS = ("oi_surge", "funding_extreme", "liquidation_cluster", "taker_")
# Пороги тригерів деривативів нижчі за типові: з типовими на цих ~70 хвилинах вибірки жоден
# новий тригер не спрацьовує (перевірено), а тест має порівняти рішення саме з ними.
OVERRIDES: dict[str, dict[str, Any]] = {
    "stage1": {
        "taker_ratio_min": 0.1,
        "taker_follow_atr": 3.0,
        "oi_z_threshold": 1.5,
        "oi_min_change_pct": 0.05,
        "liq_min_usd": 10_000.0,
        "liq_volume_share": 0.005,
        "liq_side_share": 0.6,
        "funding_min_points": 10,
        "funding_pct_high": 80.0,
        "funding_high_min": 0.0001,
    }
}


def _detail(result: dict[str, Any]) -> str:
    """Знімок деривативів рішення, оцінки факторів і бал (repr — порівняння до біта)."""
    conf = result.get("confidence_metrics") or {}
    return repr((result.get("derivatives"), conf.get("factor_scores"), conf.get("score")))


def _key(alert: dict[str, Any], result: dict[str, Any]) -> Decision:
    return (
        str(result.get("symbol")),
        int(result.get("timestamp") or 0),
        str(result.get("recommendation")),
        tuple(sorted(str(t) for t in alert.get("trigger_reasons") or ())),
    )


async def _live_and_record(
    out: Path,
    live: list[tuple[Decision, str]],
    preloaded: dict[str, BarArrays],
    monkeypatch: pytest.MonkeyPatch,
) -> int:
    """Живий прогін проти симулятора; записувач (`app.record.Recorder`) пише те, що прийняв
    живий процес: його закриті бари й його сховище деривативів, скидаючи щосекунди. Повертає час
    старту симулятора."""
    rec = Recorder(out)
    rec.symbols = list(SYMBOLS)
    stores: list[DerivStore] = []

    def capture_store() -> DerivStore:
        stores.append(rec.store)
        return rec.store

    offer, on_bar, warmup = PipelineCore.offer, PipelineCore.on_bar, PipelineCore.warmup

    def spy_warmup(self: PipelineCore, symbol: str) -> None:
        preloaded[symbol] = self.store.get_bars(symbol, "1m")  # те, на чому прогрівся живий монітор
        warmup(self, symbol)

    def spy_offer(self: PipelineCore, alert: Any, result: dict[str, Any]) -> Any:
        live.append((_key(alert, result), _detail(result)))
        return offer(self, alert, result)

    def spy_bar(self: PipelineCore, event: BarEvent) -> Any:
        rec.on_bar(event)
        return on_bar(self, event)

    monkeypatch.setattr(main, "DerivStore", capture_store)
    monkeypatch.setattr(PipelineCore, "offer", spy_offer)
    monkeypatch.setattr(PipelineCore, "on_bar", spy_bar)
    monkeypatch.setattr(PipelineCore, "warmup", spy_warmup)
    async with BinanceSimulator(sample_data_dir(), speed=SPEED, symbols=SYMBOLS) as sim:
        start = sim.clock()
        stop, ready = asyncio.Event(), asyncio.Event()
        opts = RunOptions(
            rest_url=sim.rest_url,
            ws_url=sim.ws_url,
            symbols=SYMBOLS,
            lookback_1m=1_500,
            daily_days=2,
            progress=False,
            install_signal_handlers=False,
            derivs=True,
            overrides=OVERRIDES,
        )
        run = asyncio.create_task(run_pipeline(opts, stop, ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        assert stores == [rec.store]
        end = time.monotonic() + WALL_SEC
        while time.monotonic() < end:
            await asyncio.sleep(1.0)
            await rec.flush()
        stop.set()
        report = await asyncio.wait_for(run, timeout=30)
        assert report.failures == []
    await rec.flush(final=True)
    rec.write_flat_bars()
    return start


def test_record_then_backtest_gives_the_live_decisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "rec"
    out.mkdir()
    live: list[tuple[Decision, str]] = []
    preloaded: dict[str, BarArrays] = {}
    asyncio.run(_live_and_record(out, live, preloaded, monkeypatch))
    monkeypatch.undo()
    assert is_recorded_dir(out)
    # Живий монітор прогрівся історією з preload; запис починається зі старту. Ту саму історію
    # кладемо перед записаними барами в плоскі файли (як завантажену заздалегідь), решта — запис.
    spans = []
    for s in SYMBOLS:
        rec = read_bars_parquet(out / f"{s}.parquet")
        h = preloaded[s]
        keep = h.open_time < int(rec.open_time[0])
        write_bars_atomic(
            out / f"{s}.parquet",
            BarArrays(*(np.concatenate((a[keep], b)) for a, b in zip(h, rec, strict=True))),
        )
        spans.append((int(rec.open_time[0]), int(rec.open_time[-1])))
    lo, hi = max(a for a, _ in spans), min(b for _, b in spans)

    back: list[tuple[Decision, str]] = []
    offer = PipelineCore.offer

    def spy_offer(self: PipelineCore, alert: Any, result: dict[str, Any]) -> Any:
        back.append((_key(alert, result), _detail(result)))
        return offer(self, alert, result)

    monkeypatch.setattr(PipelineCore, "offer", spy_offer)
    result = run_backtest(RunSpec(out, tuple(SYMBOLS)), OVERRIDES)
    monkeypatch.undo()

    live_in = sorted(d for d in live if lo <= d[0][1] <= hi)
    back_in = sorted(d for d in back if lo <= d[0][1] <= hi)
    assert len(live_in) >= 5, live_in
    # рішення (символ, час, рекомендація, тригери) — ті самі, що в записах сигналів бектесту
    records = sorted(
        (str(r["symbol"]), int(r["ts"]), str(r["recommendation"]), tuple(r["triggers"]))
        for r in result.signals
        if lo <= int(r["ts"]) <= hi
    )
    assert [k for k, _ in live_in] == records
    # і до біта ті самі знімки деривативів, оцінки факторів і бал Stage2
    assert live_in == back_in
    # розбитий за символами бектест (воркери читають ряди самі) і подієвий рушій — ті самі записи
    parted = run_partitioned(RunSpec(out, tuple(SYMBOLS)), OVERRIDES, SerialEngine())
    assert parted.signals == result.signals and parted.trades == result.trades
    event = run_backtest(RunSpec(out, tuple(SYMBOLS)), OVERRIDES, engine="event")
    assert event.signals == result.signals
    fired = {t for k, _ in live_in for t in k[3] if t.startswith(NEW_TRIGGERS)}
    assert fired, "no derivatives trigger fired"
