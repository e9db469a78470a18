"""Бектест: те саме ядро `PipelineCore` (Stage1 → Stage2 → Stage3) над записаними барами.

Драйвер повторює порядок живого циклу (як у `tests/test_app_pipeline.py`): подія бару →
`on_bar`; новий алерт → `decide` → `on_stage2`. Ні мережі, ні Redis, ні годинника: час — з
барів (`iter_replay`, лише закриті бари, злиті за часом, рівність — за назвою символу).
Агрегатор стану для UI не потрібен, тож ядро будується без нього (`aggregator=None`).

Денні бари біржі (каталог запису `aione record`, `1d/{SYMBOL}.parquet`, `data.daily_record`):
монітор бере з них денні рівні (`AssetMonitor(exchange_days=...)`), а сховище ядра отримує кожен
записаний день у момент, коли він закрився (`DailyFeed`), — як сховище живого процесу після
preload; без них усе як раніше (дні лише з 1m барів).

Результат — записи сигналів (кожне рішення Stage2 на новий алерт) і закритих угод (з подій
Stage3, тож їх не обмежує `recent_trades_keep`), плюс стислий журнал рішень для перевірки
погляду вперед. Усе детерміноване: ті самі бари й параметри дають ті самі записи.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from aione.app.pipeline import PipelineCore, Released
from aione.config.config import (
    ALERT_BUDGET,
    STAGE1_MONITOR_PARAMS,
    STAGE2_CONFIG,
    STAGE3_TRADE_PARAMS,
    SymbolInfo,
)
from aione.data.bars import BarArrays, BarEvent, list_symbols
from aione.data.daily_record import read_daily_bars
from aione.data.deriv_loader import load_recorded_columns
from aione.data.ram_store import RamStore
from aione.data.resample import DAY_MS
from aione.data.tick_snapshot import recorded_ticks
from aione.data.unified_store import UnifiedDataStore
from aione.exchange.replay import iter_replay
from aione.signals.deriv_context import DerivParams, SeriesSource, recorded_source
from aione.signals.gate import outcome_plan
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import EVENT_CANCELLED, EVENT_CLOSED, EVENT_PENDING, Trade
from aione.utils.utils import deep_merge

Overrides = Mapping[str, Mapping[str, Any]]
ProgressFn = Callable[[int, int], None]
PROGRESS_EVERY = 5000  # подій між викликами зворотного виклику прогресу


# ── Опис прогону ──
@dataclass(frozen=True, slots=True)
class RunSpec:
    """Що проганяти: каталог барів, символи (None — усі), межі open_time [start_ms, end_ms]."""

    data_dir: Path
    symbols: tuple[str, ...] | None = None
    start_ms: int | None = None
    end_ms: int | None = None

    def resolved_symbols(self) -> tuple[str, ...]:
        """Символи прогону за назвою (як у `iter_replay`)."""
        if self.symbols is not None:
            return tuple(sorted(set(self.symbols)))
        return tuple(list_symbols(self.data_dir))

    def truncated(self, end_ms: int) -> RunSpec:
        """Той самий прогін, але дані обрізано після `end_ms` (для перевірки погляду вперед)."""
        end = end_ms if self.end_ms is None else min(end_ms, self.end_ms)
        return RunSpec(self.data_dir, self.symbols, self.start_ms, end)


def stage_params(
    overrides: Overrides | None,
) -> tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]:
    """Параметри Stage1/Stage2/Stage3: типові значення з накладеними перевизначеннями."""
    ov = overrides or {}

    def merged(base: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        # Без перевизначення — сам словник конфігурації: Stage2 тоді не зливає його на кожному рішенні.
        part = ov.get(key)
        return deep_merge(base, part) if part else base

    return (
        merged(STAGE1_MONITOR_PARAMS, "stage1"),
        merged(STAGE2_CONFIG, "stage2"),
        merged(STAGE3_TRADE_PARAMS, "stage3"),
    )


def budget_params(overrides: Overrides | None) -> Mapping[str, Any]:
    """Параметри бюджету алертів: `ALERT_BUDGET` з накладеною секцією `budget` перевизначень."""
    part = (overrides or {}).get("budget")
    return deep_merge(ALERT_BUDGET, part) if part else ALERT_BUDGET


def recorded_deriv_source(spec: RunSpec) -> SeriesSource | None:
    """Записані деривативні ряди символів прогону (каталог `aione record`) як джерело рядів для
    Stage1 і Stage2; None — у каталозі лише бари (тоді рядів немає і нічого не вигадується).

    Ряди читаються цілком, без обрізання за `start_ms`/`end_ms`: знімок на час бару бере лише точки
    з часом ≤ цього часу (`deriv_context`), а історія до початку вікна потрібна для z OI і
    перцентиля фінансування, як живому сховищу."""
    series = load_recorded_columns(spec.data_dir, spec.resolved_symbols())
    return recorded_source(series) if series else None


def recorded_daily_bars(spec: RunSpec) -> dict[str, BarArrays]:
    """Записані закриті денні бари біржі символів прогону (`1d/` каталогу запису); порожньо — їх
    немає, і дні беруться лише з 1m барів. Без обрізання за вікном прогону: день використовується
    лише після свого закриття (рівні доби D — з дня D−1, Stage2 — дні до доби алерту)."""
    return read_daily_bars(spec.data_dir, spec.resolved_symbols())


class DailyFeed:
    """Записані денні бари → сховище ядра подієвого рушія, кожен — щойно його доба закрилася.

    На події бару символу з часом t сховище має отримати всі записані дні, що почалися до доби t.
    День, який агрегатор ядра закриє на цій самій події (доба попереднього бару символу), і старші
    кладуться ДО `on_bar` — тоді ядро свого дня поверх не кладе (`PipelineCore.on_bar` пропускає
    день, який сховище вже має), і лишається день біржі; новіші (доби без 1m барів) — ПІСЛЯ, щоб
    закриття агрегатора не стало «запізнілим». Так сховище тримає ті самі закриті дні, що й
    `SymbolSeries.closed_days` пакетного рушія."""

    def __init__(self, days: Mapping[str, BarArrays]) -> None:
        self.days = {s: d for s, d in days.items() if len(d)}
        self._pos: dict[str, int] = dict.fromkeys(self.days, 0)
        self._open_day: dict[str, int] = {}  # доба останнього прийнятого бару символу

    def _put(self, store: RamStore, symbol: str, until_day: int) -> None:
        days = self.days[symbol]
        a = self._pos[symbol]
        b = int(days.open_time.searchsorted(until_day, side="right"))
        if b > a:
            store.put_bars(symbol, "1d", days.slice(a, b))
            self._pos[symbol] = b

    def before(self, store: RamStore, event: BarEvent) -> None:
        """До `on_bar`: дні до доби, яку закриє агрегатор (або всі закриті, якщо барів ще не було)."""
        symbol = event.symbol
        if symbol not in self.days:
            return
        day = event.bar.open_time - event.bar.open_time % DAY_MS
        self._put(store, symbol, min(self._open_day.get(symbol, day - DAY_MS), day - DAY_MS))

    def after(self, store: RamStore, event: BarEvent, accepted: bool) -> None:
        """Після `on_bar`: решта днів, що закрилися до доби події (відкинутий бар — нічого: агрегатор
        ядра його не бачив, а Stage2 на ньому не викликається)."""
        symbol = event.symbol
        if not accepted or symbol not in self.days:
            return
        day = event.bar.open_time - event.bar.open_time % DAY_MS
        self._put(store, symbol, day - DAY_MS)
        self._open_day[symbol] = day


def make_core(
    spec: RunSpec,
    overrides: Overrides | None = None,
    *,
    deriv_source: SeriesSource | None | Literal["auto"] = "auto",
) -> PipelineCore:
    """Справжнє ядро для бектесту: RAM-сховище, монітор, менеджер угод, без агрегатора.

    Зі `spec` береться тік кожного символу (`recorded_ticks`: знімок exchangeInfo, звірений
    із сіткою цін барів): сховище отримує `SymbolInfo` символу, як живе — з exchangeInfo, тож
    Stage2 прив'язує TP/SL до справжнього тіку в обох рушіях. Денні рівні монітор бере й із записаних
    денних барів біржі (`recorded_daily_bars`). Монітор отримує записані
    деривативні ряди (`recorded_deriv_source`, "auto") або задане джерело; з ним ядро подає
    знімок деривативів і в Stage2 (`PipelineCore.stage2_inputs`) з тими самими вікнами й межами
    свіжості, що й живе (`DerivParams.from_params` параметрів Stage1; темп ринку бектесту — 1)."""
    p1, p2, p3 = stage_params(overrides)
    store = UnifiedDataStore()
    for name, tick in recorded_ticks(spec.data_dir, spec.resolved_symbols()).items():
        store.set_symbol_info(SymbolInfo(symbol=name, tick_size=tick))
    source = recorded_deriv_source(spec) if isinstance(deriv_source, str) else deriv_source
    core = PipelineCore(
        store,
        AssetMonitor(p1, deriv_source=source, exchange_days=recorded_daily_bars(spec)),
        TradeManager(p3),
        None,
        stage2_params=p2,
        records=False,
        budget_params=budget_params(overrides),
    )
    core.deriv_params = DerivParams.from_params(p1)
    return core


CoreFactory = Callable[[RunSpec, Overrides | None], PipelineCore]


REQUIRED_COLUMNS = ("open_time", "open", "high", "low", "close", "volume")


def file_problem(path: Path) -> str | None:
    """Чому файл барів непридатний (нечитаний parquet, бракує колонок) або None. Читає лише схему."""
    if not path.is_file():
        return "no such file"
    try:
        names = set(pq.ParquetFile(path).schema_arrow.names)
    except (OSError, pa.ArrowException) as exc:
        return f"not a readable parquet file ({exc})"
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    return f"lacks columns {', '.join(missing)}" if missing else None


def usable_spec(spec: RunSpec) -> tuple[RunSpec, list[str]]:
    """Прогін лише над придатними файлами: (опис прогону, «ФАЙЛ: причина» для кожного пропущеного).

    Нічого не пропущено — той самий `spec` (звіт не змінюється); жодного придатного — `ValueError`."""
    names = spec.resolved_symbols()
    skipped: list[str] = []
    usable: list[str] = []
    for name in names:
        path = spec.data_dir / f"{name}.parquet"
        problem = file_problem(path)
        if problem is None:
            usable.append(name)
        else:
            skipped.append(f"{path.name}: {problem}")
    if not skipped:
        return spec, []
    if not usable:
        raise ValueError(f"no usable bar files in {spec.data_dir} ({'; '.join(skipped)})")
    return RunSpec(spec.data_dir, tuple(usable), spec.start_ms, spec.end_ms), skipped


def count_bars(spec: RunSpec) -> int:
    """Кількість барів у прогоні (для прогрес-бару), читаючи лише колонку open_time."""
    total = 0
    for name in spec.resolved_symbols():
        col = pq.read_table(spec.data_dir / f"{name}.parquet", columns=["open_time"]).column(0)
        t = col.to_numpy()
        lo = 0 if spec.start_ms is None else int((t < spec.start_ms).sum())
        hi = len(t) if spec.end_ms is None else int((t <= spec.end_ms).sum())
        total += max(0, hi - lo)
    return total


# ── Результат ──
@dataclass(slots=True)
class BacktestResult:
    """Записи одного прогону. `decisions` — стислий журнал рішень у порядку подій."""

    spec: RunSpec
    symbol_bars: int = 0
    signals: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    open_at_end: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[tuple[Any, ...]] = field(default_factory=list)
    first_ts: int | None = None
    last_ts: int | None = None
    counters: dict[str, int] = field(default_factory=dict)


def signal_record(alert: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    """Плаский запис сигналу для звіту з алерту Stage1 і рішення Stage2 (з метою воріт `signal`)."""
    risk = result.get("risk_parameters") or {}
    conf = result.get("confidence_metrics") or {}
    ctx = result.get("market_context") or {}
    meta = result.get("signal") or {}
    rank = meta.get("rank") or {}
    side = meta.get("side")
    outcome_tp, outcome_sl = outcome_plan(result, side if isinstance(side, str) else None)
    return {
        "symbol": result.get("symbol"),
        "ts": result.get("timestamp"),
        "stage1_direction": alert.get("direction"),
        "triggers": sorted(str(t) for t in alert.get("trigger_reasons") or ()),
        "status": result.get("status"),
        "recommendation": result.get("recommendation"),
        "side": result.get("side"),
        "scenario": ctx.get("scenario"),
        "volatility_regime": ctx.get("volatility_regime"),
        "confidence": conf.get("composite_confidence"),
        "score": conf.get("score"),
        "entry": risk.get("entry"),
        "tp": risk.get("tp"),
        "sl": risk.get("sl"),
        "rr": risk.get("rr"),
        "atr": risk.get("atr"),
        "trade_id": None,
        # Ворота сигналів: ранг, вердикт бюджету, тип; дані для наслідків (`signals.outcomes`).
        "signal_id": meta.get("id"),
        "kind": meta.get("kind"),
        "signal_side": side,
        "rank": rank.get("score"),
        "unusual": rank.get("unusual"),
        "conviction": rank.get("conviction"),
        "surfaced": meta.get("surfaced"),
        "budget_reason": meta.get("reason"),
        "ref_close": (alert.get("stats") or {}).get("close"),
        "outcome_tp": outcome_tp,
        "outcome_sl": outcome_sl,
        "plan": meta.get("plan"),  # власний план сигналу (`signals.lifecycle`), None — без напрямку
    }


def trade_record(trade: Trade, triggers: Sequence[str] = ()) -> dict[str, Any]:
    """Плаский запис угоди для звіту (похідні PnL, R, MAE/MFE, утримання)."""
    return {
        "trade_id": trade.trade_id,
        "symbol": trade.symbol,
        "side": trade.side,
        "recommendation": trade.recommendation,
        "triggers": list(triggers),
        "confidence": trade.confidence,
        "decision_ts": trade.decision_ts,
        "entry_ts": trade.entry_ts,
        "entry_price": trade.entry_price,
        "tp": trade.tp,
        "initial_sl": trade.initial_sl,
        "atr": trade.atr,
        "exit_ts": trade.exit_ts,
        "exit_price": trade.exit_price,
        "close_reason": trade.close_reason,
        "pnl_pct": trade.pnl_pct(),
        "r": trade.r_multiple(),
        "mfe_pct": trade.mfe_pct,
        "mae_pct": trade.mae_pct,
        "holding_sec": trade.holding_ms() / 1000.0,
    }


# ── Прогін ──
class Recorder:
    """Збирає записи з подій ядра (сигнали, угоди, журнал рішень)."""

    def __init__(self, result: BacktestResult) -> None:
        self.result = result
        self.triggers_by_trade: dict[str, list[str]] = {}

    def trade_events(self, events: Sequence[Any]) -> None:
        res = self.result
        for ev in events:
            trade: Trade = ev.trade
            ts = trade.exit_ts if ev.kind in (EVENT_CLOSED, EVENT_CANCELLED) else trade.last_ts
            price = trade.exit_price if ev.kind == EVENT_CLOSED else trade.last_price
            res.decisions.append(
                ("trade", ts or trade.decision_ts, trade.symbol, ev.kind, trade.trade_id, price)
            )
            if ev.kind == EVENT_CLOSED:
                res.trades.append(trade_record(trade, self.triggers_by_trade.get(trade.trade_id, ())))
            elif ev.kind == EVENT_CANCELLED:
                rec = trade_record(trade, self.triggers_by_trade.get(trade.trade_id, ()))
                res.cancelled.append(rec)

    def signal(self, alert: Mapping[str, Any], result: Mapping[str, Any], events: Sequence[Any]) -> None:
        rec = signal_record(alert, result)
        for ev in events:
            if ev.kind == EVENT_PENDING:
                rec["trade_id"] = ev.trade.trade_id
                self.triggers_by_trade[ev.trade.trade_id] = rec["triggers"]
        self.add_signal(rec)

    def add_signal(self, rec: dict[str, Any]) -> None:
        """Готовий запис сигналу → список сигналів і журнал рішень."""
        self.result.signals.append(rec)
        self.result.decisions.append(
            (
                "signal",
                rec["ts"],
                rec["symbol"],
                rec["status"],
                rec["recommendation"],
                rec["confidence"],
                rec["entry"],
                rec["tp"],
                rec["sl"],
                tuple(rec["triggers"]),
            )
        )


def record_released(rec: Recorder, released: Sequence[Released]) -> None:
    """Вердикти воріт сигналів → записи сигналів і подій угод (у порядку вердиктів)."""
    for rel in released:
        rec.signal(rel.alert, rel.decision, rel.events)
        record_decision_events(rec, rel.events)


def record_decision_events(rec: Recorder, events: Sequence[Any]) -> None:
    """Події угод одного вердикту (після запису сигналу): закриття/скасування, потім нові угоди."""
    if events:
        rec.trade_events([ev for ev in events if ev.kind != EVENT_PENDING])
        for ev in events:
            if ev.kind == EVENT_PENDING:
                rec.result.decisions.append(
                    ("trade", ev.trade.decision_ts, ev.trade.symbol, ev.kind, ev.trade.trade_id, None)
                )


def handle_alert(
    core: PipelineCore, rec: Recorder, alert: Mapping[str, Any], decision: dict[str, Any]
) -> None:
    """Рішення Stage2 на новий алерт → ворота сигналів (`offer`) → записи того, що вже вирішено."""
    released = core.offer(alert, decision)
    if released:
        record_released(rec, released)


ENGINE_BATCH = "batch"
ENGINE_EVENT = "event"
ENGINES: tuple[str, ...] = (ENGINE_BATCH, ENGINE_EVENT)


def run_backtest(
    spec: RunSpec,
    overrides: Overrides | None = None,
    *,
    engine: str = ENGINE_BATCH,
    core_factory: CoreFactory | None = None,
    alerts_fn: Callable[..., Any] | None = None,
    on_progress: ProgressFn | None = None,
    total: int | None = None,
) -> BacktestResult:
    """Бектест обраним рушієм: `batch` (типовий, швидкий) або `event` (кожен бар через `on_bar`).

    Обидва дають ті самі записи (тест рівності звітів). Власна фабрика ядра (`core_factory`,
    підмінні ядра в тестах) можлива лише з подієвим рушієм: вона може підмінити будь-яку стадію;
    `alerts_fn` — лише з пакетним (Stage1 на символ, див. `batch_engine.AlertsFn`)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown backtest engine {engine!r}; allowed: {', '.join(ENGINES)}")
    if alerts_fn is not None and (core_factory is not None or engine == ENGINE_EVENT):
        raise ValueError("alerts_fn works with the batch engine only")
    if core_factory is not None or engine == ENGINE_EVENT:
        return run_event_backtest(
            spec, overrides, core_factory=core_factory or make_core, on_progress=on_progress, total=total
        )
    from aione.backtest.batch_engine import run_batch_backtest

    return run_batch_backtest(spec, overrides, alerts_fn=alerts_fn, on_progress=on_progress, total=total)


def run_event_backtest(
    spec: RunSpec,
    overrides: Overrides | None = None,
    *,
    core_factory: CoreFactory = make_core,
    on_progress: ProgressFn | None = None,
    total: int | None = None,
) -> BacktestResult:
    """Проганяє ядро над барами `spec` подія за подією і повертає записи (див. опис модуля)."""
    core = core_factory(spec, overrides)
    result = BacktestResult(spec)
    rec = Recorder(result)
    on_bar, decide = core.on_bar, core.decide
    daily = DailyFeed(recorded_daily_bars(spec))
    feed = bool(daily.days)
    n = 0
    first_ts: int | None = None
    last_ts = 0
    for event in iter_replay(spec.data_dir, spec.symbols, spec.start_ms, spec.end_ms):
        n += 1
        if first_ts is None:
            first_ts = event.bar.open_time
        last_ts = event.bar.open_time
        if feed:
            daily.before(core.store, event)
        step = on_bar(event)
        if feed:
            daily.after(core.store, event, step.accepted)
        if step.released:
            record_released(rec, step.released)
        if step.trade_events:
            rec.trade_events(step.trade_events)
        alert = step.alert
        if alert is not None:
            handle_alert(core, rec, alert, decide(alert))
        if on_progress is not None and n % PROGRESS_EVERY == 0:
            on_progress(n, total or n)
    record_released(rec, core.flush())
    if on_progress is not None:
        on_progress(n, total or n)
    result.symbol_bars = n
    result.first_ts = first_ts
    result.last_ts = last_ts if n else None
    result.open_at_end = [
        trade_record(t, rec.triggers_by_trade.get(t.trade_id, ())) for t in core.trades.active_trades()
    ]
    result.counters = dict(core.counters)
    return result


__all__ = [
    "ENGINES",
    "ENGINE_BATCH",
    "ENGINE_EVENT",
    "PROGRESS_EVERY",
    "BacktestResult",
    "CoreFactory",
    "DailyFeed",
    "Recorder",
    "Overrides",
    "ProgressFn",
    "RunSpec",
    "budget_params",
    "count_bars",
    "file_problem",
    "handle_alert",
    "make_core",
    "record_decision_events",
    "record_released",
    "recorded_daily_bars",
    "recorded_deriv_source",
    "run_backtest",
    "run_event_backtest",
    "signal_record",
    "stage_params",
    "trade_record",
    "usable_spec",
]
