"""`aione record`: живі потоки біржі → parquet для бектесту, розбитий за добою UTC.

Що пишеться (розкладка — `data.deriv_loader`): закриті 1m бари з колонками тейкера й кількістю угод
(`bars/`), метрики книги раз на секунду (`book/`: mid, spread_bps, bid_usd, ask_usd, imbalance),
відкритий інтерес (`oi/`), марк-ціна і фінансування раз на хвилину (`mark/`), ліквідації (`liq/`),
закриті денні бари біржі (`1d/{SYMBOL}.parquet`, `data.daily_record`), маніфест `record.json`; на
виході — ще й плоскі `{SYMBOL}.parquet` з усіма барами запису (`aione backtest`/`aione simulate`
читають каталог одразу).

Денні бари: на старті — той самий preload, що в `aione run` (`app.preload`, `PRELOAD_DAILY_DAYS`
закритих днів, один запит на символ у бюджеті ваги REST-клієнта), далі після закриття кожної доби
UTC (з запасом `DAILY_CLOSE_DELAY_MS` часу біржі) — лише щойно закритий день, теж запит на символ.
Бектест запису бере з них денні рівні Stage1 і закриті дні Stage2, як живий процес, що прогрівся
з REST (інакше доба, на якій почався запис, у 1m барах неповна, і рівня першої доби немає).

Пам'ять обмежена: бари чекають запису лише до наступного скидання (`flush_sec`), ряди живуть у
`DerivStore` з фіксованими вікнами; кожне скидання пише лише нові рядки (атомарно: тимчасовий файл →
fsync → rename). Незавершений кошик ряду (останній рядок, який ще може замінитися) пишеться наступним
скиданням або на виході. Рядок стану (`health_sec`) — в stderr через `on_line`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from aione.app.preload import preload
from aione.config.config import PRELOAD_DAILY_DAYS
from aione.data.bars import Bar, BarArrays, BarEvent, read_bars_parquet
from aione.data.daily_record import DAILY_DIR, merge_bars, write_daily_bars
from aione.data.deriv_disk import DAY_MS, read_series_days, remove_stale_temps, write_series_days
from aione.data.deriv_loader import BARS_KIND, RECORD_MANIFEST, bars_from_columns, bars_to_columns
from aione.data.deriv_store import SERIES_KINDS, DerivStore
from aione.data.disk_layer import write_bars_atomic, write_json_atomic
from aione.data.ram_store import RamStore
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.binance_ws import BinanceWsClient
from aione.exchange.deriv_feed import DerivFeed
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)
_CTX = log_ctx("record")
Columns = dict[str, npt.NDArray[np.generic]]
DEFAULT_TOP = 20  # без --symbols: стільки найліквідніших USDT-символів за 24 год
DAILY_CLOSE_DELAY_MS = 60_000  # закриту добу питати через хвилину часу біржі: її бар уже остаточний


# ── Опції і підсумок ──
@dataclass(slots=True)
class RecordOptions:
    """Що й куди записувати."""

    rest_url: str
    ws_url: str
    out: Path
    market: Literal["um", "spot"] = "um"
    symbols: Sequence[str] | None = None  # None — `top` найліквідніших
    top: int = DEFAULT_TOP
    duration: float | None = None  # секунд настінного часу; None — до сигналу
    flush_sec: float = 60.0
    health_sec: float = 30.0
    clock: Callable[[], int] | None = None  # годинник клієнта (типово настінний)


@dataclass(slots=True)
class RecordSummary:
    """Що записано."""

    out: Path
    symbols: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # вид → рядків записано
    files: set[Path] = field(default_factory=set)
    flat_bars: list[Path] = field(default_factory=list)
    first_ms: int | None = None
    last_ms: int | None = None
    rejected: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Рядки «що й куди» для виходу команди."""
        out = [f"aione record: wrote {self.rows.get(k, 0)} {k} rows" for k in (BARS_KIND, *SERIES_KINDS, DAILY_DIR)]
        out.append(
            f"aione record: {len(self.files)} day files + {len(self.flat_bars)} bar files → {self.out}"
        )
        return out


# ── Запис ──
class Recorder:
    """Бари й деривативи символів → денні parquet-файли (див. модуль)."""

    def __init__(self, out: Path, store: DerivStore | None = None) -> None:
        self.out = Path(out)
        self.store = store or DerivStore()
        self.symbols: list[str] = []
        self.summary = RecordSummary(self.out)
        self._pending: dict[str, list[Bar]] = {}
        self._written_ts: dict[tuple[str, str], int] = {}
        self.daily = RamStore()  # закриті денні бари біржі (preload), звідки пишеться `1d/`
        self.daily_day = -1  # доба UTC останнього оновлення денних барів

    def on_bar(self, event: BarEvent) -> None:
        """Закритий бар → черга до наступного скидання."""
        if event.bar.closed and event.timeframe == "1m":
            self._pending.setdefault(event.symbol, []).append(event.bar)

    @property
    def pending_bars(self) -> int:
        return sum(len(v) for v in self._pending.values())

    def _note_time(self, first: int, last: int) -> None:
        s = self.summary
        s.first_ms = first if s.first_ms is None else min(s.first_ms, first)
        s.last_ms = last if s.last_ms is None else max(s.last_ms, last)

    def collect(self, final: bool = False) -> list[tuple[str, str, Columns]]:
        """Нові рядки до запису: (вид, символ, стовпці-копії). У циклі подій — поки ряди не змінюються."""
        chunks: list[tuple[str, str, Columns]] = []
        pending, self._pending = self._pending, {}
        for symbol, bars in pending.items():
            if bars:
                chunks.append((BARS_KIND, symbol, bars_to_columns(_bar_arrays(bars))))
        for symbol, kind, ring in self.store.iter_series():
            key = (symbol, kind)
            ts = ring.times()
            done = self._written_ts.get(key)
            lo = 0 if done is None else int(np.searchsorted(ts, done, side="right"))
            # останній рядок кошика ще може замінитися (і рівний час у ліквідацій) — до наступного разу
            hi = ts.shape[0] if final else int(np.searchsorted(ts, ts[-1], side="left"))
            if hi <= lo:
                continue
            cols: Columns = {"ts": ts[lo:hi].copy()}
            for name in ring.columns:
                cols[name] = ring.column(name)[lo:hi].copy()
            chunks.append((kind, symbol, cols))
            self._written_ts[key] = int(ts[hi - 1])
        return chunks

    def write(self, chunks: list[tuple[str, str, Columns]], market: str = "um") -> None:
        """Пише зібрані рядки й маніфест (блокувальний I/O: через `asyncio.to_thread`)."""
        self.out.mkdir(parents=True, exist_ok=True)
        for kind, symbol, cols in chunks:
            paths = write_series_days(self.out, kind, symbol, cols)
            ts = np.asarray(cols["ts"])
            self.summary.rows[kind] = self.summary.rows.get(kind, 0) + int(ts.shape[0])
            self.summary.files.update(paths)
            self._note_time(int(ts[0]), int(ts[-1]))
        self._manifest(market)

    def _manifest(self, market: str) -> None:
        s = self.summary
        write_json_atomic(
            self.out / RECORD_MANIFEST,
            {
                "market": market,
                "symbols": self.symbols,
                "first_ms": s.first_ms,
                "last_ms": s.last_ms,
                "series": [BARS_KIND, *SERIES_KINDS, DAILY_DIR],
            },
        )

    async def flush(self, market: str = "um", final: bool = False) -> None:
        """Скидання: зібрати в циклі подій, записати в окремому потоці."""
        chunks = self.collect(final)
        await asyncio.to_thread(self.write, chunks, market)

    def write_flat_bars(self) -> list[Path]:
        """Плоскі `{SYMBOL}.parquet` з усіма барами запису (об'єднання з наявним файлом)."""
        written = []
        for symbol in self.symbols:
            cols = read_series_days(self.out, BARS_KIND, symbol)
            if not cols or not len(cols["ts"]):
                continue
            bars = bars_from_columns(cols)
            path = self.out / f"{symbol}.parquet"
            if path.exists():
                bars = merge_bars(read_bars_parquet(path), bars)
            write_bars_atomic(path, bars)
            written.append(path)
        self.summary.flat_bars = written
        return written

    # ── Денні бари біржі ──
    def daily_due(self, now_ms: int) -> bool:
        """Чи настав час оновити денні бари (старт або закрита доба + `DAILY_CLOSE_DELAY_MS`)."""
        return (now_ms - DAILY_CLOSE_DELAY_MS) // DAY_MS > self.daily_day

    async def refresh_daily(self, rest: BinanceRestClient, now_ms: int) -> list[str]:
        """Закриті денні бари символів з REST (preload до вікна `PRELOAD_DAILY_DAYS` на момент
        `now_ms − DAILY_CLOSE_DELAY_MS`: бракує лише нових днів) → `1d/`; повертає помилки символів."""
        at = now_ms - DAILY_CLOSE_DELAY_MS
        report = await preload(
            self.daily, rest, self.symbols, lookback_1m=0, daily_days=PRELOAD_DAILY_DAYS, now_ms=at, progress=False
        )
        self.daily_day = at // DAY_MS
        days = {s: self.daily.get_bars(s, "1d") for s in self.symbols}
        await asyncio.to_thread(self.write_daily, days)
        return [f"{s} {err}" for s, err in report.errors.items()]

    def write_daily(self, days: dict[str, BarArrays]) -> None:
        """Ще не записані закриті дні кожного символу → `1d/{SYMBOL}.parquet` (атомарно)."""
        for symbol, bars in days.items():
            done = self._written_ts.get((symbol, DAILY_DIR))
            new = bars if done is None else bars.slice(int(np.searchsorted(bars.open_time, done, side="right")))
            path = write_daily_bars(self.out, symbol, new)
            if path is not None:
                self._written_ts[(symbol, DAILY_DIR)] = int(new.open_time[-1])
                self.summary.rows[DAILY_DIR] = self.summary.rows.get(DAILY_DIR, 0) + len(new)
                self.summary.files.add(path)

    def health_line(self, ws: BinanceWsClient, feed: DerivFeed, started: float) -> str:
        """Один рядок стану: що записано, скільки чекає, відмови, з'єднання."""
        r = self.summary.rows
        up = int(time.monotonic() - started)
        return (
            f"record: {len(self.symbols)} symbols up {up // 3600:02d}:{up // 60 % 60:02d}:{up % 60:02d}; "
            f"written bars {r.get(BARS_KIND, 0)} book {r.get('book', 0)} oi {r.get('oi', 0)} "
            f"mark {r.get('mark', 0)} liq {r.get('liq', 0)}; pending bars {self.pending_bars}; "
            f"files {len(self.summary.files)}; ws msgs {ws.messages + feed.streams.messages} "
            f"reconnects {ws.reconnects + feed.streams.reconnects}; rejected {self.store.stats.rejected_total}; "
            f"ram {self.store.ram_bytes() // 1024} KB"
        )


def _bar_arrays(bars: Sequence[Bar]) -> BarArrays:
    """Закриті бари → стовпці (колонки тейкера й угод як є: невідоме лишається невідомим)."""

    def floats(name: str) -> npt.NDArray[np.float64]:
        return np.array([getattr(b, name) for b in bars], dtype=np.float64)

    return BarArrays(
        np.array([b.open_time for b in bars], dtype=np.int64),
        floats("open"),
        floats("high"),
        floats("low"),
        floats("close"),
        floats("volume"),
        floats("quote_volume"),
        np.array([b.trades for b in bars], dtype=np.int64),
        floats("taker_buy_volume"),
        floats("taker_buy_quote"),
    )


async def _choose(rest: BinanceRestClient, opts: RecordOptions) -> list[str]:
    if opts.symbols:
        known = {i.symbol for i in await rest.exchange_info()}
        unknown = [s for s in opts.symbols if s not in known]
        if unknown:
            raise ValueError(f"unknown symbol {', '.join(unknown)} at {opts.rest_url}")
        return list(opts.symbols)
    tickers = [t for t in await rest.ticker_24h() if t.symbol.endswith("USDT")]
    tickers.sort(key=lambda t: t.quote_volume, reverse=True)
    return [t.symbol for t in tickers[: opts.top]]


async def run_record(
    opts: RecordOptions,
    stop: asyncio.Event | None = None,
    on_line: Callable[[str], None] | None = None,
    recorder: Recorder | None = None,
) -> RecordSummary:
    """Записує до `stop`, сигналу чи `duration`; повертає підсумок (що й куди записано)."""
    stop = stop or asyncio.Event()
    say = on_line or (lambda line: logger.info("%s", line, extra=_CTX))
    rec = recorder or Recorder(opts.out)
    rec.out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(rec.out)
    rest = BinanceRestClient(opts.rest_url, opts.market, clock=opts.clock)
    ws: BinanceWsClient | None = None
    feed: DerivFeed | None = None
    tasks: list[asyncio.Task[Any]] = []
    try:
        await rest.sync_time()
        rec.symbols = await _choose(rest, opts)
        rec.summary.symbols = list(rec.symbols)
        ws = BinanceWsClient(opts.ws_url, rest, rec.on_bar, market=opts.market)
        feed = DerivFeed(opts.ws_url, rest, rec.store, market=opts.market)
        for problem in await rec.refresh_daily(rest, rest.server_now()):
            say(f"aione record: daily bars failed: {problem}")
        await ws.set_symbols(rec.symbols)
        await feed.set_symbols(rec.symbols)
        tasks = [
            asyncio.create_task(ws.run(), name="record-ws"),
            asyncio.create_task(feed.run(), name="record-derivs"),
        ]
        say(
            f"aione record: {len(rec.symbols)} symbols ({', '.join(rec.symbols[:8])}{'…' if len(rec.symbols) > 8 else ''}) → {rec.out}"
        )
        started = time.monotonic()
        deadline = None if opts.duration is None else started + opts.duration
        next_flush = started + opts.flush_sec
        next_health = started + opts.health_sec
        while not stop.is_set():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            if now >= next_flush:
                await rec.flush(opts.market)
                next_flush = now + opts.flush_sec
            if rec.daily_due(rest.server_now()):
                for problem in await rec.refresh_daily(rest, rest.server_now()):
                    say(f"aione record: daily bars failed: {problem}")
            if now >= next_health:
                say(rec.health_line(ws, feed, started))
                next_health = now + opts.health_sec
            wake = min(next_flush, next_health, deadline or next_flush) - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.05, min(wake, 1.0)))
    finally:
        if ws is not None:
            await ws.stop()
        if feed is not None:
            await feed.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await rest.close()
        if rec.symbols:
            await rec.flush(opts.market, final=True)
            await asyncio.to_thread(rec.write_flat_bars)
    rec.summary.rejected = dict(rec.store.stats.rejected)
    return rec.summary


__all__ = ["DEFAULT_TOP", "RecordOptions", "RecordSummary", "Recorder", "run_record"]
