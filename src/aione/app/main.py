"""Зв'язування всього продукту: префільтр → preload → WS-потік → ядро → Stage2 → Stage3 → публікація.

`run_pipeline` — одна програма для `aione run` (Binance) і `aione demo` (симулятор на 127.0.0.1):
відрізняються лише адреси, годинник і набір символів. Зупинка (SIGINT/SIGTERM, `stop`, `duration`):
спершу припиняється прийом, потім Stage2 дочікується, публікується останній кадр, угоди й
сховище скидаються на диск/Redis, з'єднання закриваються.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from aione.app.frame_meta import frame_meta_source, with_execution
from aione.app.pipeline import PipelineCore
from aione.app.preload import preload
from aione.app.screening_producer import ScreeningProducer
from aione.app.tasks import TaskSupervisor
from aione.app.turnover import Turnover24h
from aione.config.config import (
    DERIV_BOOK_MAX_SYMBOLS,
    MANUAL_FAST_SYMBOLS_SEED,
    PREFILTER_BASE_PARAMS,
    PREFILTER_INTERVAL_SEC,
    PRELOAD_1M_LOOKBACK_INIT,
    PRELOAD_DAILY_DAYS,
    SIGNAL_ALERT,
    STAGE1_MONITOR_PARAMS,
    STAGE2_CONFIG,
    STAGE3_TRADE_PARAMS,
    UI_LOCALE,
    FilterParams,
)
from aione.data.deriv_redis import DerivRedis
from aione.data.deriv_store import DerivStore
from aione.data.deriv_view import FrameDerivs
from aione.data.unified_store import UnifiedDataStore
from aione.data.ws_worker import StateBus, StatePublisher
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.deriv_feed import DerivFeed, book_short_list
from aione.exchange.errors import ExchangeError
from aione.logging_setup import get_logger, log_ctx
from aione.metrics import MetricsCollector
from aione.signals.deriv_context import DerivParams, paced
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.prefilter import PrefilterScheduler
from aione.stage1.prefilter_select import PrefilterResult
from aione.stage2.processor import Stage2Processor
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_store import TradeStore, make_trade_store, restore_manager
from aione.utils.utils import deep_merge, wall_clock_ms

logger = get_logger(__name__)
_CTX = log_ctx("app")
CLOCK_RESYNC_SEC = 30.0  # звірка годинника біржі (GET /time, вага 1) у живому режимі
FEED_WATCH_SEC = 1.0  # як часто перевіряти застарілі символи
STALE_LOG_NAMES = 10  # стільки назв застарілих символів у рядку журналу (далі — «and N more»)
CLOCK_DRIFT_FAST_MS = 1_000  # розбіжність годинників між звірками, після якої звіряємо щосекунди


class StartupError(RuntimeError):
    """Запуск неможливий з причини, яку користувач може виправити (повідомлення каже як)."""


class BinanceUnreachableError(StartupError):
    """Біржа (або симулятор) не відповідає на старті: запуск неможливий."""


# ── Опції і звіт ──
@dataclass(slots=True)
class RunOptions:
    """Все, що відрізняє один запуск від іншого."""

    rest_url: str
    ws_url: str
    market: str = "um"
    clock: Callable[[], int] = wall_clock_ms
    redis_url: str | None = None
    data_dir: Path | None = None  # None — без дискового шару (лише RAM/Redis)
    symbols: Sequence[str] | None = None  # явний список — без префільтра
    prefilter_params: FilterParams = PREFILTER_BASE_PARAMS
    prefilter_interval_sec: float = PREFILTER_INTERVAL_SEC
    max_symbols: int | None = None  # обрізати список префільтра (демо, тести)
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # stage1/stage2/stage3
    locale: str = UI_LOCALE
    lookback_1m: int = PRELOAD_1M_LOOKBACK_INIT
    daily_days: int = PRELOAD_DAILY_DAYS
    ui: bool = False
    web: bool = False
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    metrics_port: int = 0
    duration: float | None = None  # секунд настінного часу; None — до сигналу
    progress: bool = True
    install_signal_handlers: bool = True
    keep_latencies: bool = False  # зібрати e2e-затримки в RunReport (бенчмарк)
    mode: str = "live"  # live | demo: позначка в `meta` кадру (UI показує «демо» і час ринку)
    speed: float = 1.0  # швидкість годинника ринку відносно настінного (демо: віртуальний)
    notify: Any = None  # `notify.setup.NotifySetup`: канали сповіщень і Redis Stream (None — без них)
    execution: Any = None  # `execution.runtime.ExecutionSetup`: живі заявки (None — лише паперові угоди)
    derivs: bool | None = None  # книга, марк-ціна, ліквідації, OI (None — увімкнено на ринку um)


@dataclass(slots=True)
class RunReport:
    """Підсумок запуску: що пройшло через конвеєр."""

    symbols: list[str] = field(default_factory=list)  # під наглядом на момент зупинки
    bars_1m: dict[str, int] = field(default_factory=dict)  # 1m барів у сховищі на момент зупинки
    last_closed_ms: dict[str, int | None] = field(default_factory=dict)  # open_time останнього 1m бару
    counters: dict[str, int] = field(default_factory=dict)
    ws: dict[str, int] = field(default_factory=dict)
    store_rejected: dict[str, int] = field(default_factory=dict)
    open_trades: int = 0
    closed_trades: int = 0
    web_url: str | None = None
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # с, бар отримано → кадр опубліковано
    notify: dict[str, Any] | None = None  # лічильники сповіщувача (`Notifier.stats`)
    derivs: dict[str, Any] | None = None  # лічильники деривативних потоків (`DerivFeed.stats`)


# ── Складання ──
@dataclass(slots=True)
class _Runtime:
    rest: BinanceRestClient
    store: UnifiedDataStore
    core: PipelineCore
    producer: ScreeningProducer
    ws: BinanceWsClient
    publisher: StatePublisher
    bus: StateBus
    metrics: MetricsCollector
    trade_store: TradeStore | None
    scheduler: PrefilterScheduler | None = None
    symbols: list[str] = field(default_factory=list)
    notifier: Any = None  # `notify.Notifier`, слухач агрегатора
    derivs: DerivFeed | None = None  # книга, марк-ціна, ліквідації, OI → `deriv_store`
    deriv_store: DerivStore | None = None
    deriv_redis: DerivRedis | None = None  # write-behind рядів `deriv_store` у Redis (з --redis)


async def _check_reachable(rest: BinanceRestClient, url: str) -> None:
    """Перевіряє зв'язок і звіряє годинник із сервером (`rest.server_now()` далі — час біржі)."""
    try:
        offset_ms = await rest.sync_time()
    except (aiohttp.ClientError, OSError, TimeoutError, ExchangeError) as exc:
        raise BinanceUnreachableError(
            f"cannot reach the exchange at {url} ({type(exc).__name__}: {exc}); "
            "no network? try the offline demo: aione demo"
        ) from None
    if abs(offset_ms) > 60_000:
        # Наприклад, `aione simulate` з записаними барами: preload і TTL мають іти за часом біржі.
        logger.warning(
            "exchange clock differs from ours by %.0f s; following the exchange clock",
            offset_ms / 1000,
            extra=_CTX,
        )


async def _add_symbols(rt: _Runtime, opts: RunOptions, symbols: Sequence[str]) -> None:
    """Preload + прогрів + підписка для нових символів; ядро й WS отримують новий набір."""
    new = [s for s in symbols if s not in rt.symbols]
    if new:
        report = await preload(
            rt.store,
            rt.rest,
            new,
            lookback_1m=opts.lookback_1m,
            daily_days=opts.daily_days,
            now_ms=rt.rest.server_now(),
            progress=opts.progress,
        )
        for sym, err in report.errors.items():
            logger.warning("preload failed: %s", err, extra=log_ctx("preload", sym))
        for sym in new:
            rt.core.warmup(sym)
            last = rt.store.last_closed_time(sym, "1m")
            if last is not None:
                rt.ws.seed_last_closed(sym, last)
    rt.symbols = list(symbols)
    rt.core.set_symbols(rt.symbols)
    await rt.ws.set_symbols(rt.symbols)
    if rt.derivs is not None:
        await rt.derivs.set_symbols(rt.symbols, _book_list(rt))
    logger.info("watching %d symbols (%d new)", len(rt.symbols), len(new), extra=_CTX)


def _book_list(rt: _Runtime) -> list[str]:
    """Короткий список книги: символи з угодою, з алертом, далі ранг нагляду (`DERIV_BOOK_MAX_SYMBOLS`)."""
    traded = [t.symbol for t in rt.core.trades.active_trades()]
    rows = rt.core.aggregator.rows if rt.core.aggregator is not None else {}
    alerted = [s for s, row in rows.items() if row.signal == SIGNAL_ALERT]
    return book_short_list(rt.symbols, traded, alerted, DERIV_BOOK_MAX_SYMBOLS)


def _stale_line(names: Iterable[str]) -> str:
    """Рядок журналу про застарілі символи: кількість і перші `STALE_LOG_NAMES` назв."""
    ordered = sorted(names)
    head = ", ".join(ordered[:STALE_LOG_NAMES])
    more = len(ordered) - STALE_LOG_NAMES
    noun = "symbol" if len(ordered) == 1 else "symbols"
    return f"{len(ordered)} {noun}: {head}" + (f" and {more} more" if more > 0 else "")


def _limit(symbols: list[str], opts: RunOptions) -> list[str]:
    return symbols[: opts.max_symbols] if opts.max_symbols else symbols


def _keep_traded(rt: _Runtime, symbols: list[str]) -> list[str]:
    """Символ з активною угодою лишається під наглядом, навіть якщо випав з префільтра:
    інакше угода не отримувала б цін і не закрилася б ні за TP, ні за SL."""
    traded = [t.symbol for t in rt.core.trades.active_trades() if t.symbol not in symbols]
    return symbols + list(dict.fromkeys(traded))


async def _watch_feed(rt: _Runtime, stop: asyncio.Event) -> None:
    """Раз на секунду: застарілі символи (немає закритих барів за годинником біржі) → кадр і ворота
    сигналів. Годинник біржі звіряється (GET /time, вага 1) раз на `CLOCK_RESYNC_SEC`, а якщо між
    звірками він розбігся з нашим більше ніж на `CLOCK_DRIFT_FAST_MS` (біржа йде іншим темпом,
    як симулятор x60), — щосекунди."""
    last_sync = time.monotonic()
    every = FEED_WATCH_SEC  # перша звірка — за секунду: так видно темп годинника біржі
    sync_failing = False
    flagged: set[str] = set()
    while not stop.is_set():
        if time.monotonic() - last_sync >= every:
            last_sync = time.monotonic()
            before = rt.rest.time_offset_ms
            try:
                drift = abs(await rt.rest.sync_time() - before)
                every = FEED_WATCH_SEC if drift > CLOCK_DRIFT_FAST_MS else CLOCK_RESYNC_SEC
                sync_failing = False
            except ExchangeError as exc:
                if not sync_failing:
                    logger.warning("exchange clock re-sync failed: %s", exc, extra=_CTX)
                sync_failing = True
        stale = rt.ws.stale_symbols(rt.rest.server_now())
        rt.core.gate.set_stale(stale)
        if rt.core.aggregator is not None:
            rt.core.aggregator.set_stale(stale)
        if set(stale) != flagged:
            if stale.keys() - flagged:
                logger.warning("stale feed: %s", _stale_line(stale.keys() - flagged), extra=_CTX)
            flagged = set(stale)
            rt.producer.request_publish()  # бари не йдуть — кадр сам не оновиться
        if rt.derivs is not None:
            book = _book_list(rt)
            if frozenset(book) != rt.derivs.streams.book_symbols:
                await rt.derivs.set_book_symbols(book)  # нові алерти/угоди отримують книгу
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=FEED_WATCH_SEC)


async def _sample_metrics(rt: _Runtime, stop: asyncio.Event) -> None:
    """Раз на секунду переносить лічильники адаптерів у Prometheus (дельти)."""
    seen = {"reconnects": 0, "http_429": 0, "redis_errors": 0}
    seen_holes = 0
    while not stop.is_set():
        m = rt.metrics
        m.set_rest_weight_used(float(rt.rest.used_weight))
        for key, value, bump in (
            ("reconnects", rt.ws.reconnects, m.count_ws_reconnect),
            ("http_429", rt.rest.http_429, m.count_rest_429),
            ("redis_errors", rt.store.stats.redis_errors, m.count_redis_error),
        ):
            for _ in range(max(0, value - seen[key])):
                bump()
            seen[key] = value
        hole_bars = rt.ws.holes.hole_bars
        m.count_feed_hole_bars(hole_bars - seen_holes)
        seen_holes = hole_bars
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


def _record_prefilter(rt: _Runtime, result: PrefilterResult) -> None:
    for reason, count in result.counts.items():
        rt.metrics.count_symbols_filtered(reason, count)
    rt.metrics.set_prefilter_elapsed(result.elapsed_seconds)
    if rt.core.aggregator is not None:
        rt.core.aggregator.on_prefilter(
            {
                "selected": len(result.selected),
                "rejected": len(result.rejected),
                "reasons": dict(result.counts),
            }
        )


async def _build(opts: RunOptions) -> _Runtime:
    rest = BinanceRestClient(opts.rest_url, opts.market, clock=opts.clock)  # type: ignore[arg-type]
    try:
        await _check_reachable(rest, opts.rest_url)
        store = UnifiedDataStore(redis_url=opts.redis_url, data_dir=opts.data_dir)
        await store.start(now_ms=rest.server_now())  # кеш «з майбутнього» відкидається одним рядком
    except BaseException:
        await rest.close()
        raise
    for info in await rest.exchange_info():
        store.set_symbol_info(info)
    stage1 = deep_merge(STAGE1_MONITOR_PARAMS, opts.overrides.get("stage1", {}))
    # Прискорений ринок (демо ×300): межі свіжості книги/OI/марк-ціни — у настінному часі.
    deriv_params = paced(DerivParams.from_params(stage1), opts.speed)
    stage1 = {
        **stage1,
        "book_stale_ms": deriv_params.book_stale_ms,
        "oi_max_age_ms": deriv_params.oi_max_age_ms,
        "mark_max_age_ms": deriv_params.mark_max_age_ms,
    }
    stage2 = deep_merge(STAGE2_CONFIG, opts.overrides.get("stage2", {}))
    stage3 = deep_merge(STAGE3_TRADE_PARAMS, opts.overrides.get("stage3", {}))
    switches = stage2.get("switches", {}).get("triggers")
    monitor = AssetMonitor(stage1, switches=switches)
    trades = TradeManager(stage3)
    aggregator = AssetStateAggregator()
    aggregator.turnover_source = Turnover24h(store)
    aggregator.meta_source = frame_meta_source(opts.mode, opts.speed, rest.server_now, opts.locale)
    core = PipelineCore(store, monitor, trades, aggregator, stage2_params=stage2, locale=opts.locale)
    core.deriv_params = deriv_params
    metrics = MetricsCollector()
    bus = StateBus()
    publisher = StatePublisher(opts.redis_url, bus, metrics=metrics)
    trade_store = (
        make_trade_store(opts.redis_url, opts.data_dir or Path("."))
        if (opts.redis_url or opts.data_dir)
        else None
    )
    if trade_store is not None:
        restored = await restore_manager(trade_store, trades, now_ms=rest.server_now())
        aggregator.restore_trades(trades.active_trades(), trades.recent_trades())
        if restored:
            logger.info("restored %d open trades", restored, extra=log_ctx("stage3"))
    processor = Stage2Processor(store, params=stage2, rest=rest, locale=opts.locale)
    # кадри й свіжість рядків — за настінним годинником навіть у демо: це час для людини біля екрана
    producer = ScreeningProducer(
        core,
        processor,
        publisher,
        metrics=metrics,
        trade_store=trade_store,
        keep_latencies=opts.keep_latencies,
    )
    ws = BinanceWsClient(opts.ws_url, rest, producer.on_bar, market=opts.market)  # type: ignore[arg-type]
    rt = _Runtime(rest, store, core, producer, ws, publisher, bus, metrics, trade_store)
    if opts.derivs if opts.derivs is not None else rest.spec.has_open_interest:
        _attach_derivs(rt, opts)
        if rt.deriv_redis is not None:  # історія OI/фінансування до першого опитування й потоку
            await rt.deriv_redis.start(now_ms=rest.server_now())
    return rt


def _attach_derivs(rt: _Runtime, opts: RunOptions) -> None:
    """Деривативні потоки й опитування OI пишуть у `DerivStore`; кадр показує їх підсумок,
    монітор Stage1 читає ряди (коли має `set_deriv_source`)."""
    rest = rt.rest
    store = DerivStore()
    rt.deriv_store = store
    if opts.redis_url:
        # чого немає в Redis — з parquet `aione record` у типовому каталозі (`AIONE_DATA_DIR/record/`)
        record_dir = opts.data_dir / "record" if opts.data_dir is not None else None
        rt.deriv_redis = DerivRedis(opts.redis_url, store, disk_dir=record_dir)
    rt.derivs = DerivFeed(opts.ws_url, rest, store, market=opts.market)  # type: ignore[arg-type]
    aggregator = rt.core.aggregator
    if aggregator is not None:
        # ті самі (прискорені для демо) межі свіжості й вікна, що в знімку Stage2
        aggregator.deriv_source = FrameDerivs(store, rt.core.deriv_params, rest.server_now)
    set_source = getattr(rt.core.monitor, "set_deriv_source", None)
    if callable(set_source):
        set_source(store.series)


async def _choose_symbols(rt: _Runtime, opts: RunOptions) -> list[str]:
    if opts.symbols:
        known = {s for s in opts.symbols if rt.store.get_symbol_info(s) is not None}
        unknown = [s for s in opts.symbols if s not in known]
        if unknown and not known:
            raise StartupError(
                f"unknown symbol {', '.join(unknown)}: not listed by the exchange at {opts.rest_url} "
                f"({opts.market} market)"
            )
        if unknown:
            logger.warning("unknown symbols ignored: %s", ", ".join(unknown), extra=_CTX)
        return [s for s in opts.symbols if s in known]

    async def on_update(result: PrefilterResult) -> None:
        _record_prefilter(rt, result)
        if rt.symbols:  # оновлення під час роботи: змінюємо набір під наглядом
            await _add_symbols(
                rt, opts, _keep_traded(rt, _limit(result.fast_symbols(MANUAL_FAST_SYMBOLS_SEED), opts))
            )

    rt.scheduler = PrefilterScheduler(
        rt.rest,
        params=opts.prefilter_params,
        market=opts.market,
        store=rt.store,
        interval_sec=opts.prefilter_interval_sec,
        clock=rt.rest.server_now,
        on_update=on_update,
    )
    await rt.scheduler.refresh()
    return _limit(rt.scheduler.fast_symbols, opts)


# ── Запуск ──
async def run_pipeline(
    opts: RunOptions, stop: asyncio.Event | None = None, ready: asyncio.Event | None = None
) -> RunReport:
    """Запускає весь конвеєр до `stop`, сигналу або `duration`; повертає підсумок.

    `ready` встановлюється, коли preload і прогрів завершено, а потік і публікація запущені."""
    stop = stop or asyncio.Event()
    report = RunReport()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if opts.install_signal_handlers:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
    rt = await _build(opts)
    supervisor = TaskSupervisor()
    web_runner: Any = None
    broker: Any = None  # живий брокер (execution/), коли opts.execution задано
    try:
        if opts.execution is not None:
            broker = rt.core.trades.broker = await _start_broker(rt, opts.execution, opts.clock)
        await _start_notifier(rt, opts)
        symbols = _keep_traded(rt, await _choose_symbols(rt, opts))
        if not symbols:
            raise StartupError("no symbol to watch: the prefilter selected none and no --symbols given")
        await _add_symbols(rt, opts, symbols)
        if opts.metrics_port:
            try:
                await rt.metrics.start_server(opts.metrics_port, host="127.0.0.1")
            except OSError as exc:
                # метрики — не причина зупиняти скринер (наприклад, порт зайнятий другим екземпляром)
                logger.warning(
                    "metrics endpoint disabled: port %d unavailable (%s); set AIONE_METRICS_PORT",
                    opts.metrics_port,
                    exc.strerror or exc,
                    extra=_CTX,
                )
        supervisor.spawn(rt.ws.run(), "ws")
        if rt.derivs is not None:
            supervisor.spawn(rt.derivs.run(), "derivs")
        supervisor.spawn(rt.producer.publish_loop(), "publish")
        supervisor.spawn(_sample_metrics(rt, stop), "metrics-sampler")
        supervisor.spawn(_watch_feed(rt, stop), "feed-watch")
        if rt.scheduler is not None:
            # перший прохід уже був; цикл чекає інтервал і оновлює набір під час роботи
            supervisor.spawn(_scheduler_loop(rt.scheduler, stop), "prefilter")
        if opts.web:
            from aione.ui.web import StateBusSource, StoreBarsProvider, create_web_app, start_web_server

            app = create_web_app(StateBusSource(rt.bus), StoreBarsProvider(rt.store))
            try:
                web_runner = await start_web_server(app, opts.web_host, opts.web_port)
            except OSError as exc:
                raise StartupError(
                    f"web dashboard cannot listen on {opts.web_host}:{opts.web_port} ({exc.strerror or exc}); "
                    "set AIONE_WEB_PORT to a free port"
                ) from None
            report.web_url = web_runner.url
            logger.info("web dashboard at %s", web_runner.url, extra=_CTX)
        if opts.ui:
            from aione.ui.ui_consumer import BusFrameSource, TerminalUI

            supervisor.spawn(TerminalUI(BusFrameSource(rt.bus)).run(stop), "ui")
        await rt.producer.publish_now()
        if ready is not None:
            ready.set()
        await _wait(stop, opts.duration, supervisor)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if broker is not None:
            await broker.wait_idle()
            await broker.stop()
        await _shutdown(rt, supervisor, web_runner)
    report.symbols = list(rt.symbols)
    report.counters = dict(rt.producer.counters)
    if broker is not None:
        report.counters.update(broker.counters())
    report.ws = {
        "messages": rt.ws.messages,
        "malformed": rt.ws.malformed,
        "reconnects": rt.ws.reconnects,
        "backfilled_bars": rt.ws.backfilled_bars,
        "backfill_failures": rt.ws.backfill_failures,
        "holes": rt.ws.holes.holes,
        "hole_bars": rt.ws.holes.hole_bars,
        "duplicates": rt.ws.duplicates,
        "clock_syncs": rt.rest.time_syncs,
    }
    report.store_rejected = dict(rt.store.stats.rejected)
    report.bars_1m = {s: rt.store.bar_count(s, "1m") for s in rt.symbols}
    report.last_closed_ms = {s: rt.store.last_closed_time(s, "1m") for s in rt.symbols}
    report.open_trades = len(rt.core.trades.open_trades())
    report.closed_trades = len(rt.core.trades.recent_trades())
    report.failures = [f"{name}: {exc!r}" for name, exc in supervisor.failures]
    fed = int(report.ws.get("messages", 0))
    if fed and not report.counters.get("bars"):
        # Стрічка працювала, а прийнято нічого: це не успішний запуск (вихід 0 тут збрехав би).
        report.failures.append(
            f"accepted 0 of {fed} bars from the feed "
            f"(store rejected {sum(report.store_rejected.values())}); nothing was screened"
        )
    report.latencies = list(rt.producer.latencies or [])
    report.notify = rt.notifier.stats() if rt.notifier is not None else None
    report.derivs = rt.derivs.stats() if rt.derivs is not None else None
    return report


async def _start_broker(rt: _Runtime, setup: Any, clock: Callable[[], int]) -> Any:
    """Живий брокер (`ExecutionSetup.start`): його події — у метрики й у `meta.execution` кадру."""
    from aione.execution.monitor import ExecutionMonitor

    monitor = ExecutionMonitor("live", setup.env, rt.metrics, clock=rt.rest.server_now)
    broker = await setup.start(clock, monitor)
    agg = rt.core.aggregator
    if agg is not None and agg.meta_source is not None:
        agg.meta_source = with_execution(agg.meta_source, broker.frame_section)
    return broker


async def _start_notifier(rt: _Runtime, opts: RunOptions) -> None:
    """Сповіщувач слухає сигнали й угоди агрегатора (відновлені угоди вже в ньому — без сповіщень)."""
    if opts.notify is None or rt.core.aggregator is None:
        return
    from aione.notify.setup import build_notifier

    rt.notifier = build_notifier(opts.notify, redis_url=opts.redis_url, data_dir=opts.data_dir)
    if rt.notifier is not None:
        await rt.notifier.start()
        rt.core.aggregator.listener = rt.notifier.listener


async def _scheduler_loop(scheduler: PrefilterScheduler, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=scheduler.interval_sec)
        if not stop.is_set():
            await scheduler.refresh()


async def _wait(stop: asyncio.Event, duration: float | None, supervisor: TaskSupervisor) -> None:
    """Чекає зупинки; падіння критичної задачі (WS, публікація) теж зупиняє запуск."""
    deadline = None if duration is None else time.monotonic() + duration
    while not stop.is_set():
        if supervisor.failures:
            logger.error("stopping: a background task failed", extra=_CTX)
            return
        timeout = 0.5 if deadline is None else min(0.5, max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=timeout)
        if deadline is not None and time.monotonic() >= deadline:
            return


async def _shutdown(rt: _Runtime, supervisor: TaskSupervisor, web_runner: Any) -> None:
    """Прийом → Stage2 → останній кадр і угоди → сховище → з'єднання."""
    await rt.ws.stop()
    if rt.derivs is not None:
        await rt.derivs.stop()
    if rt.deriv_redis is not None:  # останнє скидання рядів після зупинки потоків
        await rt.deriv_redis.close()
    await rt.producer.drain()
    if rt.notifier is not None:  # після drain: сигнали останньої хвилини теж ідуть у канали/outbox
        await rt.notifier.aclose()
    await supervisor.stop()
    if web_runner is not None:
        await web_runner.cleanup()
    await rt.store.close()
    await rt.publisher.aclose()
    await rt.metrics.stop_server()
    await rt.rest.close()
    logger.info("stopped cleanly", extra=_CTX)


__all__ = [
    "BinanceUnreachableError",
    "RunOptions",
    "StartupError",
    "RunReport",
    "run_pipeline",
]
