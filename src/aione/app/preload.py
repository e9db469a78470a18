"""Попереднє завантаження історії на старті: 1m бари й денні бари для символів під наглядом.

Порядок джерел: те, що вже є в сховищі (диск/Redis після `store.start()`), — спершу; REST —
лише для того, чого бракує у вікні: хвіст після останнього бару, початок вікна, пропуски
посередині. Тож перезапуск із теплим кешем коштує кілька запитів, а не повне вікно.

Вікно таймфрейму: `lookback` останніх ЗАКРИТИХ барів на момент `now_ms` (час передає викликач).
Вага: REST-клієнт сам тримає бюджет ваги; тут конкурентність обмежена семафором
`KLINES_SEMAPHORE_LIMIT`, а вага в звіті — оцінка за таблицею ринку (`MarketSpec.klines_weight`),
тією самою, за якою клієнт резервує бюджет. Помилка одного символу записується у звіт і не
зупиняє решту. Прогрес — `rich.progress` лише в терміналі (і якщо не вимкнено).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aione.config.config import (
    KLINES_SEMAPHORE_LIMIT,
    PRELOAD_1M_LOOKBACK_INIT,
    PRELOAD_DAILY_DAYS,
    TIMEFRAME_MS,
)
from aione.data.bars import Bar
from aione.data.ram_store import RamStore
from aione.exchange.endpoints import UM_SPEC, MarketSpec
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)

# Якщо пропусків усередині вікна більше, дешевше взяти весь відрізок одним діапазоном.
MAX_GAP_RANGES = 4


class KlinesSource(Protocol):
    """Те, що preload потребує від REST-клієнта (`BinanceRestClient` відповідає)."""

    async def klines_range(self, symbol: str, interval: str, start_time: int, end_time: int) -> list[Bar]: ...


# ── Звіт ──
@dataclass(slots=True)
class SymbolPreload:
    """Підсумок одного символу: бари з кешу (уже були у вікні), з REST (прийняті), вага REST."""

    symbol: str
    cached_1m: int = 0
    rest_1m: int = 0
    cached_1d: int = 0
    rest_1d: int = 0
    requests: int = 0
    weight: int = 0
    error: str | None = None

    @property
    def from_cache(self) -> int:
        return self.cached_1m + self.cached_1d

    @property
    def from_rest(self) -> int:
        return self.rest_1m + self.rest_1d


@dataclass(slots=True)
class PreloadReport:
    """Підсумок preload: по символах і разом."""

    symbols: dict[str, SymbolPreload] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def bars_from_cache(self) -> int:
        return sum(s.from_cache for s in self.symbols.values())

    @property
    def bars_from_rest(self) -> int:
        return sum(s.from_rest for s in self.symbols.values())

    @property
    def weight_used(self) -> int:
        return sum(s.weight for s in self.symbols.values())

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.symbols.values())

    @property
    def errors(self) -> dict[str, str]:
        return {s.symbol: s.error for s in self.symbols.values() if s.error}


# ── Чиста логіка: що бракує ──
def target_window(timeframe: str, lookback: int, now_ms: int) -> tuple[int, int]:
    """(open_time першого, open_time останнього) з `lookback` закритих барів на момент `now_ms`."""
    tf_ms = TIMEFRAME_MS[timeframe]
    last_open = (now_ms // tf_ms) * tf_ms - tf_ms
    return last_open - (lookback - 1) * tf_ms, last_open


def missing_ranges(times: np.ndarray, first: int, last: int, tf_ms: int) -> tuple[int, list[tuple[int, int]]]:
    """Скільки барів вікна `[first, last]` уже є і які діапазони open_time треба взяти з REST."""
    have = times[(times >= first) & (times <= last)]
    if len(have) == 0:
        return 0, [(first, last)]
    ranges: list[tuple[int, int]] = []
    if have[0] > first:
        ranges.append((first, int(have[0]) - tf_ms))
    steps = np.diff(have)
    for i in np.flatnonzero(steps > tf_ms):
        ranges.append((int(have[i]) + tf_ms, int(have[i + 1]) - tf_ms))
    if have[-1] < last:
        ranges.append((int(have[-1]) + tf_ms, last))
    if len(ranges) > MAX_GAP_RANGES:
        ranges = [(ranges[0][0], ranges[-1][1])]
    return len(have), ranges


def estimate_weight(spec: MarketSpec, n_bars: int) -> tuple[int, int]:
    """(запитів, вага) для діапазону з `n_bars` барів сторінками по `max_kline_limit`: клієнт
    просить наступну сторінку, доки сторінка повна, тому запитів `n // limit + 1`."""
    limit = spec.max_kline_limit
    requests = n_bars // limit + 1
    return requests, requests * spec.klines_weight(limit)


# ── Завантаження ──
async def _load_tf(
    store: RamStore,
    rest: KlinesSource,
    spec: MarketSpec,
    sem: asyncio.Semaphore,
    symbol: str,
    timeframe: str,
    lookback: int,
    now_ms: int,
    out: SymbolPreload,
) -> None:
    if lookback <= 0:
        return
    tf_ms = TIMEFRAME_MS[timeframe]
    first, last = target_window(timeframe, lookback, now_ms)
    cached, ranges = missing_ranges(store.get_bars(symbol, timeframe).open_time, first, last, tf_ms)
    got = 0
    for start, end in ranges:
        async with sem:
            bars = await rest.klines_range(symbol, timeframe, start, end)
        requests, weight = estimate_weight(spec, (end - start) // tf_ms + 1)
        out.requests += requests
        out.weight += weight
        got += store.put_bars(symbol, timeframe, bars)
    if timeframe == "1d":
        out.cached_1d, out.rest_1d = cached, got
    else:
        out.cached_1m, out.rest_1m = cached, got


async def preload(
    store: RamStore,
    rest: KlinesSource,
    symbols: Sequence[str],
    *,
    lookback_1m: int = PRELOAD_1M_LOOKBACK_INIT,
    daily_days: int = PRELOAD_DAILY_DAYS,
    now_ms: int,
    progress: bool = True,
) -> PreloadReport:
    """Доводить 1m і 1d історію символів у сховищі до вікна на `now_ms`; повертає звіт."""
    spec: MarketSpec = getattr(rest, "spec", UM_SPEC)
    sem = asyncio.Semaphore(KLINES_SEMAPHORE_LIMIT)
    report = PreloadReport({s: SymbolPreload(s) for s in dict.fromkeys(symbols)})
    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress(
        TextColumn("preload"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not (progress and console.is_terminal),
    ) as bar:
        task = bar.add_task("preload", total=len(report.symbols))

        async def one(item: SymbolPreload) -> None:
            try:
                await _load_tf(store, rest, spec, sem, item.symbol, "1m", lookback_1m, now_ms, item)
                await _load_tf(store, rest, spec, sem, item.symbol, "1d", daily_days, now_ms, item)
            except Exception as exc:  # noqa: BLE001 — збій одного символу не має зупиняти preload решти
                item.error = f"{type(exc).__name__}: {exc}"
                logger.warning("preload_failed error=%s", item.error, extra=log_ctx("preload", item.symbol))
            finally:
                bar.advance(task)

        await asyncio.gather(*(one(item) for item in report.symbols.values()))
    report.duration_s = time.perf_counter() - started
    logger.info(
        "preload_done symbols=%d from_cache=%d from_rest=%d requests=%d weight=%d errors=%d seconds=%.2f",
        len(report.symbols),
        report.bars_from_cache,
        report.bars_from_rest,
        report.requests,
        report.weight_used,
        len(report.errors),
        report.duration_s,
        extra=log_ctx("preload"),
    )
    return report


__all__ = [
    "KlinesSource",
    "MAX_GAP_RANGES",
    "PreloadReport",
    "SymbolPreload",
    "estimate_weight",
    "missing_ranges",
    "preload",
    "target_window",
]
