"""Пакетний рушій бектесту дає ті самі записи, що й подієвий (кожен бар через `PipelineCore.on_bar`).

Рівність перевіряється на всьому, що йде у звіт: сигнали, угоди, скасовані й відкриті угоди,
журнал рішень, лічильники, межі часу — і на байтах `report.json`. Дані: реальні записані бари,
а також їхня копія з навмисно зіпсованими рядками (дубль, NaN, поганий OHLC, розрив у часі),
які сховище подієвого рушія відкидає.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aione.app.pipeline import PipelineCore
from aione.backtest.batch_engine import default_alerts_fn, monitor_alerts, run_batch_backtest
from aione.backtest.batch_inputs import SymbolSeries, accepted_mask
from aione.backtest.runner import BacktestResult, Overrides, RunSpec, make_core, run_backtest
from aione.cli import app
from aione.data.bars import BarArrays, BarEvent, read_bars_parquet
from aione.data.unified_store import UnifiedDataStore
from aione.exchange.replay import iter_replay

START_MS = 1746372780000  # перший бар запису binance-um-1m-2025-05
HOUR_MS = 3_600_000


def _assert_same(a: BacktestResult, b: BacktestResult) -> None:
    assert a.symbol_bars == b.symbol_bars
    assert a.counters == b.counters
    assert (a.first_ts, a.last_ts) == (b.first_ts, b.last_ts)
    assert a.signals == b.signals
    assert a.trades == b.trades
    assert a.cancelled == b.cancelled
    assert a.open_at_end == b.open_at_end
    assert a.decisions == b.decisions


# ── Реальні дані ──
@pytest.mark.slow
def test_batch_equals_event_engine_on_recorded_bars(data_1m: Path, tmp_path: Path) -> None:
    spec = RunSpec(data_1m, ("BTCUSDT", "LTCUSDT", "SOLUSDT", "SUIUSDT"), None, START_MS + 60 * HOUR_MS)
    event = run_backtest(spec, engine="event")
    batch = run_backtest(spec)  # типовий рушій — пакетний
    assert len(event.signals) > 50 and len(event.trades) > 0  # тест справді щось порівнює
    _assert_same(event, batch)
    # і з еталонним монітором замість двійника Stage1
    _assert_same(event, run_batch_backtest(spec, alerts_fn=monitor_alerts))


@pytest.mark.slow
def test_reports_are_byte_identical_across_engines(data_1m: Path, tmp_path: Path) -> None:
    """Команда `aione backtest` обома рушіями пише той самий `report.json`, байт у байт."""
    args = ["backtest", str(data_1m), "--symbols", "ETHUSDT,XRPUSDT", "--no-html"]
    args += ["--start", str(START_MS + 20 * HOUR_MS), "--end", str(START_MS + 50 * HOUR_MS)]
    runner = CliRunner()
    event = runner.invoke(app, [*args, "--engine", "event", "--out", str(tmp_path / "event")])
    batch = runner.invoke(app, [*args, "--out", str(tmp_path / "batch")])
    assert event.exit_code == 0 and batch.exit_code == 0, event.output + batch.output
    report = (tmp_path / "batch" / "report.json").read_bytes()
    assert orjson.loads(report)["overall"]["signals"] > 0
    assert report == (tmp_path / "event" / "report.json").read_bytes()
    bad = runner.invoke(app, [*args, "--engine", "fast", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "--engine must be one of batch, event" in bad.output


def test_batch_equals_event_engine_with_overrides(data_1m: Path) -> None:
    """Перевизначення параметрів (як з калібрування) діють однаково в обох рушіях."""
    spec = RunSpec(data_1m, ("ADAUSDT", "LINKUSDT"), None, START_MS + 20 * HOUR_MS)
    overrides = {
        "stage1": {"min_reasons_for_alert": 1, "cooldown_sec": 60},
        "stage3": {"min_confidence": 0.3},
    }
    event = run_backtest(spec, overrides, engine="event")
    batch = run_backtest(spec, overrides)
    assert len(event.signals) > 100
    _assert_same(event, batch)


# ── Зіпсовані дані ──
def _write(path: Path, bars: BarArrays) -> None:
    table = pa.table(
        {
            "open_time": bars.open_time,
            "open": bars.open,
            "high": bars.high,
            "low": bars.low,
            "close": bars.close,
            "volume": bars.volume,
        }
    )
    pq.write_table(table, path)


def _damaged_copy(src: Path, dst: Path, name: str, n: int) -> None:
    bars = read_bars_parquet(src / f"{name}.parquet").slice(0, n)
    cols = [np.array(c, copy=True) for c in bars]
    keep = np.ones(n, dtype=bool)
    keep[400:520] = False  # розрив 2 год > max_gap_bars: Stage1 скидає стан
    cols = [c[keep] for c in cols]
    cols[4][300] = np.nan  # NaN close
    cols[2][310] = cols[3][310] * 0.5  # high < low — поганий OHLC
    dup = 700  # дубль бару 700 одразу після нього
    cols = [np.insert(c, dup + 1, c[dup]) for c in cols]
    for c in cols:  # два бари записано не по порядку часу
        c[[900, 901]] = c[[901, 900]]
    _write(dst / f"{name}.parquet", BarArrays(*cols))  # type: ignore[arg-type]


def test_batch_equals_event_engine_on_damaged_bars(data_1m: Path, tmp_path: Path) -> None:
    for name in ("BNBUSDT", "SOLUSDT"):
        _damaged_copy(data_1m, tmp_path, name, 2400)
    spec = RunSpec(tmp_path)
    event = run_backtest(spec, engine="event")
    batch = run_backtest(spec)
    assert event.counters["rejected"] == 2 * 3  # NaN, поганий OHLC і дубль у кожному символі
    assert event.signals
    _assert_same(event, batch)


# ── Складові ──
def test_accepted_mask_matches_the_store(data_1m: Path) -> None:
    bars = read_bars_parquet(data_1m / "LTCUSDT.parquet").slice(0, 300)
    cols = [np.array(c, copy=True) for c in bars]
    rng = np.random.default_rng(7)
    cols[1][rng.choice(300, 5, replace=False)] = -1.0  # погана ціна
    cols[5][rng.choice(300, 5, replace=False)] = np.inf
    t = cols[0]
    t[50] = t[49]  # дубль часу
    t[80] = t[70]  # запізнілий бар
    damaged = BarArrays(*cols)  # type: ignore[arg-type]
    store = UnifiedDataStore()
    expected = [store.apply(BarEvent("LTCUSDT", "1m", damaged.bar(i))) for i in range(len(damaged))]
    assert not all(expected)
    assert accepted_mask(damaged).tolist() == expected


def test_open_day_and_stage2_window_match_the_core(data_1m: Path) -> None:
    """Відкритий день, денні бари й вхід Stage2 пакетного рушія — ті самі, що дає ядро зі сховища."""
    end = START_MS + 50 * HOUR_MS  # через межу доби
    series = SymbolSeries.build("SUIUSDT", read_bars_parquet(data_1m / "SUIUSDT.parquet").slice(0, 3000))
    core: PipelineCore = make_core(RunSpec(data_1m))
    checked = 0
    for row, ev in enumerate(iter_replay(data_1m, ["SUIUSDT"], None, end)):
        core.on_bar(ev)
        if row % 97 and row not in (0, 1, 1337, 2999):
            continue
        ts = ev.bar.open_time
        agg_day = core._daily["SUIUSDT"].open_bar()
        assert series.open_day(row) == agg_day
        a = core.stage2_inputs({"symbol": "SUIUSDT", "timestamp": ts})
        b = series.stage2_window(row, core.context_bars, core.daily_days + 1)
        assert a is not None and b is not None
        for x, y in zip(a.bars_1m, b.bars_1m, strict=True):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)  # NaN — невідомо
        assert (a.bars_1d is None) == (b.bars_1d is None)
        if a.bars_1d is not None and b.bars_1d is not None:
            for x, y in zip(a.bars_1d, b.bars_1d, strict=True):
                assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
        checked += 1
    assert checked > 20


def test_default_alerts_fn_is_the_batch_twin_or_the_monitor() -> None:
    fn = default_alerts_fn()
    try:
        import aione.stage1.batch_monitor  # noqa: F401
    except ImportError:
        assert fn is monitor_alerts
    else:
        assert fn is not monitor_alerts


def test_unknown_engine_is_rejected(data_1m: Path) -> None:
    with pytest.raises(ValueError, match="unknown backtest engine 'fast'"):
        run_backtest(RunSpec(data_1m, ("BTCUSDT",)), engine="fast")


def test_empty_windows_give_empty_results_in_both_engines(data_1m: Path) -> None:
    """Вікно без барів (або символ без барів у вікні) — порожній прогін, а не помилка."""
    late = RunSpec(data_1m, ("BTCUSDT", "ETHUSDT"), START_MS - 10 * HOUR_MS, START_MS - HOUR_MS)
    event, batch = run_backtest(late, engine="event"), run_backtest(late)
    _assert_same(event, batch)
    assert batch.symbol_bars == 0 and batch.first_ts is None and not batch.signals


def test_progress_is_monotonic_and_ends_at_the_total(data_1m: Path) -> None:
    spec = RunSpec(data_1m, ("SOLUSDT", "SUIUSDT"), None, START_MS + 30 * HOUR_MS)
    seen: list[tuple[int, int]] = []
    res = run_backtest(spec, on_progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 2
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert seen[-1] == (res.symbol_bars, res.symbol_bars)
    assert all(total == res.symbol_bars for _, total in seen)


def test_refresh_interval_longer_than_the_bar_step(data_1m: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Планове оновлення угод рідше за крок барів (5 хв на 1m барах): пакетний рушій відвідує кожну
    хвилину, як подієвий, і записи однакові (шлях без «лінивого» оновлення)."""
    from aione.backtest import batch_engine
    from aione.stage3.trade_manager import TradeManager

    def slow_refresh_core(spec: RunSpec, overrides: Overrides | None) -> PipelineCore:
        core = make_core(spec, overrides)
        core.trades = TradeManager(core.trades.params, refresh_interval_sec=300)
        return core

    # Короткий часовий вихід: хвилина, коли він спрацює, залежить від фази планових оновлень.
    overrides = {"stage3": {"max_holding_sec": 1800, "entry_timeout_sec": 120}}
    names = ("ADAUSDT", "BTCUSDT", "ETHUSDT", "SOLUSDT", "SUIUSDT", "XRPUSDT")
    spec = RunSpec(data_1m, names, None, START_MS + 8 * 24 * HOUR_MS)
    event = run_backtest(spec, overrides, core_factory=slow_refresh_core)
    monkeypatch.setattr(batch_engine, "make_core", slow_refresh_core)
    batch = run_batch_backtest(spec, overrides)
    assert sum(t["close_reason"] == "time_exit" for t in event.trades) > 5
    _assert_same(event, batch)


def test_batch_run_pauses_the_gc_and_restores_it(data_1m: Path) -> None:
    """Під час прогону циклічний збирач вимкнено (видно з колбеку прогресу), після — увімкнено."""
    import gc

    gc.enable()
    spec = RunSpec(data_1m, ("SOLUSDT",), None, START_MS + 3 * HOUR_MS)
    states: list[bool] = []
    run_backtest(spec, on_progress=lambda done, total: states.append(gc.isenabled()))
    assert states and not any(states)
    assert gc.isenabled()


# ── Записані денні бари біржі (`aione record`, `1d/`) ──
DAY_MS = 86_400_000
DAY1 = START_MS - START_MS % DAY_MS + DAY_MS  # перша повна доба набору


def _folder_with_exchange_days(data_1m: Path, dst: Path, names: tuple[str, ...]) -> None:
    """Каталог як у запису, що почався посеред доби: 1m бари з DAY1 12:00 до DAY4 18:00 без доби DAY3
    (розрив — монітор скидає стан); у `1d/` — денні бари біржі за DAY0 (до першого 1m бару), DAY1
    (у 1m лише з 12:00) і DAY3 (1m барів немає), а DAY2 — не записано (день береться з 1m барів)."""
    from aione.data.daily_record import write_daily_bars
    from aione.data.resample import resample_daily

    for name in names:
        full = read_bars_parquet(data_1m / f"{name}.parquet")
        t = full.open_time
        keep = (t >= DAY1 + 12 * HOUR_MS) & (t < DAY1 + 3 * DAY_MS + 18 * HOUR_MS)
        keep &= (t < DAY1 + 2 * DAY_MS) | (t >= DAY1 + 3 * DAY_MS)
        _write(dst / f"{name}.parquet", BarArrays(*(c[keep] for c in full)))  # type: ignore[arg-type]
        days = resample_daily(full.slice(0, int(np.searchsorted(t, DAY1 + 3 * DAY_MS))))
        pick = np.isin(days.open_time, [DAY1 - DAY_MS, DAY1, DAY1 + 2 * DAY_MS])
        write_daily_bars(dst, name, BarArrays(*(c[pick] for c in days)))  # type: ignore[arg-type]


def test_engines_agree_with_recorded_exchange_daily_bars(data_1m: Path, tmp_path: Path) -> None:
    """Із записаними денними барами біржі подієвий, пакетний і розбитий за символами рушії дають ті
    самі записи; денні бари справді змінюють рішення (рівні першої доби, закриті дні Stage2), а
    погляду вперед немає (день діє лише після свого закриття)."""
    from aione.backtest.engines import SerialEngine
    from aione.backtest.lookahead import check_lookahead
    from aione.backtest.parallel import run_partitioned
    from aione.backtest.runner import recorded_daily_bars
    from aione.stage1.result import Stage1Result

    names = ("SOLUSDT", "SUIUSDT")
    _folder_with_exchange_days(data_1m, tmp_path, names)
    overrides: Overrides = {"stage1": {"min_reasons_for_alert": 1, "cooldown_sec": 60}}
    spec = RunSpec(tmp_path, names)
    event = run_backtest(spec, overrides, engine="event")
    batch = run_backtest(spec, overrides)
    _assert_same(event, batch)
    days = recorded_daily_bars(spec)

    def reference(symbol: str, bars: BarArrays, params: Any, timeframe: str) -> list[Stage1Result]:
        return monitor_alerts(symbol, bars, params, timeframe, None, days[symbol])  # еталонний монітор

    _assert_same(event, run_batch_backtest(spec, overrides, alerts_fn=reference))
    parted = run_partitioned(spec, overrides, SerialEngine())
    assert parted.signals == batch.signals and parted.trades == batch.trades
    near = {"near_daily_support", "near_daily_resistance"}
    daily = [s for s in batch.signals if near & set(s["triggers"])]
    assert any(int(s["ts"]) < DAY1 + DAY_MS for s in daily)  # доба DAY1: рівень лише з бару біржі DAY0
    report = check_lookahead(spec, overrides, samples=3, seed=5, full=batch)
    assert report.compared > 0
    for name in names:
        (tmp_path / "1d" / f"{name}.parquet").unlink()
    plain = run_backtest(spec, overrides)
    assert plain.signals != batch.signals
    assert not any(
        int(s["ts"]) < DAY1 + DAY_MS and "near_daily_support" in s["triggers"] for s in plain.signals
    )


def test_stage2_days_with_recorded_exchange_days_match_the_core(data_1m: Path, tmp_path: Path) -> None:
    """Закриті дні входу Stage2 пакетного рушія (`SymbolSeries` з днями біржі) — ті самі байти, що
    ядро бере зі сховища, куди `DailyFeed` кладе записані дні в міру їх закриття: день біржі замість
    неповного дня 1m барів, дні без 1m барів, ресемплінг там, де дня біржі немає."""
    from aione.backtest.runner import DailyFeed, recorded_daily_bars

    _folder_with_exchange_days(data_1m, tmp_path, ("SUIUSDT",))
    spec = RunSpec(tmp_path, ("SUIUSDT",))
    days = recorded_daily_bars(spec)
    series = SymbolSeries.build("SUIUSDT", read_bars_parquet(tmp_path / "SUIUSDT.parquet"), days["SUIUSDT"])
    core: PipelineCore = make_core(spec)
    feed = DailyFeed(days)
    checked = 0
    for row, ev in enumerate(iter_replay(tmp_path, ["SUIUSDT"])):
        feed.before(core.store, ev)
        feed.after(core.store, ev, core.on_bar(ev).accepted)
        if row % 89 and row != len(series.bars) - 1:
            continue
        a = core.stage2_inputs({"symbol": "SUIUSDT", "timestamp": ev.bar.open_time})
        b = series.stage2_window(row, core.context_bars, core.daily_days + 1)
        assert a is not None and b is not None and a.bars_1d is not None and b.bars_1d is not None
        for x, y in zip(a.bars_1d, b.bars_1d, strict=True):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
        checked += 1
    assert checked > 20
    last = series.stage2_window(len(series.bars) - 1, core.context_bars, core.daily_days + 1).bars_1d
    assert last is not None
    # DAY0, DAY1 (біржі), DAY2 (з 1m барів), DAY3 (біржі) + відкритий DAY4
    assert last.open_time.tolist() == [DAY1 + k * DAY_MS for k in range(-1, 4)]
    assert core.store.stats.rejected.get("duplicate", 0) == 0  # закриття агрегатора не б'ється з днем біржі
