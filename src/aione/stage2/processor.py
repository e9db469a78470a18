"""Асинхронна оболонка Stage2: збирає контекст зі сховища (або REST) і викликає чисте ядро.

Порядок даних: спершу сховище (`get_bars`, `get_symbol_info`; синхронні або async —
обидва варіанти підтримано), чого бракує — REST-клієнт (якщо дано) під семафором
`KLINES_SEMAPHORE_LIMIT`; немає й REST — результат skipped з причиною `no_data`.
Вікно обрізається по бару, який оцінив Stage1 (`timestamp`), тож живий процесор і бектест
бачать ті самі бари. Паралельність рішень обмежує семафор `max_parallel`, створений при
першому використанні (у робочому циклі подій). Жоден виняток не виходить назовні:
неочікуване журналюється через `logger.exception` і дає статус error.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable, Mapping
from typing import Any

from aione.config.config import (
    KLINES_SEMAPHORE_LIMIT,
    MAX_PARALLEL_STAGE2,
    PRELOAD_DAILY_DAYS,
    STAGE2_CONFIG,
    STAGE2_STATUS,
    TIMEFRAME_MS,
    UI_LOCALE,
    USER_SETTINGS_DEFAULT,
    SymbolInfo,
)
from aione.data.bar_validation import bars_to_arrays
from aione.data.bars import Bar, BarArrays, copy_upto
from aione.logging_setup import get_logger, log_ctx
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.qde_core import decide, empty_result, resolve_params, skipped_passthrough

logger = get_logger(__name__)
STAGE = "stage2"


# ── Допоміжне ──
async def _maybe_await(value: Any) -> Any:
    """Значення синхронного або асинхронного методу."""
    if inspect.isawaitable(value):
        return await value
    return value


# ── Процесор ──
class Stage2Processor:
    """Stage2 для результатів Stage1: `process` (один) і `process_many` (пакет)."""

    def __init__(
        self,
        store: Any,
        *,
        params: Mapping[str, Any] = STAGE2_CONFIG,
        rest: Any | None = None,
        locale: str = UI_LOCALE,
        max_parallel: int = MAX_PARALLEL_STAGE2,
        style: str = str(USER_SETTINGS_DEFAULT["narrative_style"]),
        daily_days: int = PRELOAD_DAILY_DAYS,
        rest_parallel: int = KLINES_SEMAPHORE_LIMIT,
    ) -> None:
        self.store = store
        self.rest = rest
        self.params = resolve_params(params)
        self.locale = locale
        self.style = style
        self.daily_days = daily_days
        self._max_parallel = max(1, int(max_parallel))
        self._rest_parallel = max(1, int(rest_parallel))
        self._sem: asyncio.Semaphore | None = None
        self._rest_sem: asyncio.Semaphore | None = None
        self.in_flight = 0  # скільки рішень зараз усередині семафора
        self.max_in_flight = 0  # найбільше одночасних за життя процесора
        self.counters: dict[str, int] = {"completed": 0, "skipped": 0, "error": 0, "rest_fetches": 0}

    # ── Дані ──
    async def _store_bars(
        self, symbol: str, timeframe: str, n: int, last_open_time: int | None
    ) -> BarArrays | None:
        """Останні `n` барів з open_time ≤ `last_open_time` (копія). Сховище могло вже піти
        вперед від бару Stage1, тож береться весь буфер (view) і ріжеться по часу."""
        try:
            bars = await _maybe_await(self.store.get_bars(symbol, timeframe, None))
        except (KeyError, ValueError) as exc:
            logger.warning("store get_bars failed: %s", exc, extra=log_ctx(STAGE, symbol))
            return None
        if not isinstance(bars, BarArrays) or len(bars) == 0:
            return None
        cut = copy_upto(bars, last_open_time, n)
        return cut if len(cut) else None

    async def _rest_bars(
        self, symbol: str, timeframe: str, n: int, end_open_time: int | None
    ) -> BarArrays | None:
        if self.rest is None:
            return None
        if self._rest_sem is None:
            self._rest_sem = asyncio.Semaphore(self._rest_parallel)
        end_time = None if end_open_time is None else end_open_time + TIMEFRAME_MS[timeframe] - 1
        async with self._rest_sem:
            self.counters["rest_fetches"] += 1
            bars: list[Bar] = await self.rest.klines(symbol, timeframe, end_time=end_time, limit=n)
        closed = [b for b in bars if b.closed]
        return bars_to_arrays(closed) if closed else None

    async def gather_inputs(self, symbol: str, timestamp: int | None) -> Stage2Inputs | None:
        """Вхід ядра для символу; None — немає 1m барів ні в сховищі, ні через REST."""
        n_1m = int(self.params["context_bars"])
        bars_1m = await self._store_bars(symbol, "1m", n_1m, timestamp)
        if bars_1m is None or len(bars_1m) < int(self.params["min_bars"]):
            fetched = await self._rest_bars(symbol, "1m", n_1m, timestamp)
            if fetched is not None:
                bars_1m = copy_upto(fetched, timestamp, n_1m)
        if bars_1m is None or len(bars_1m) == 0:
            return None
        day_ms = TIMEFRAME_MS["1d"]
        day_of_last = int(bars_1m.open_time[-1]) // day_ms * day_ms
        n_1d = self.daily_days + 1
        bars_1d = await self._store_bars(symbol, "1d", n_1d, day_of_last)
        if bars_1d is None:
            fetched = await self._rest_bars(symbol, "1d", n_1d, day_of_last)
            bars_1d = copy_upto(fetched, day_of_last, n_1d) if fetched is not None else None
        info = await _maybe_await(self.store.get_symbol_info(symbol))
        return Stage2Inputs(
            bars_1m=bars_1m,
            bars_1d=bars_1d if bars_1d is not None and len(bars_1d) else None,
            symbol_info=info if isinstance(info, SymbolInfo) else None,
        )

    # ── Рішення ──
    async def process(
        self, stage1_result: Mapping[str, Any], inputs: Stage2Inputs | None = None
    ) -> dict[str, Any]:
        """Рішення Stage2; помилки й нестача даних — у статусі та `reason`, не винятком.

        `inputs` — уже зібраний вхід (живий драйвер знімає його з ядра в момент алерту, тож
        рішення бачить ті самі бари, що й бектест); без нього вхід збирається тут."""
        if not isinstance(stage1_result, Mapping):
            return self._count(empty_result("", None, STAGE2_STATUS["ERROR"], "invalid_stage1_result"))
        symbol = stage1_result.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            return self._count(empty_result("", None, STAGE2_STATUS["ERROR"], "invalid_stage1_result"))
        if not self.params["switches"]["use_qde"]:
            return self._count(skipped_passthrough(stage1_result, "qde_disabled"))
        ts_raw = stage1_result.get("timestamp")
        timestamp = int(ts_raw) if isinstance(ts_raw, int | float) and not isinstance(ts_raw, bool) else None
        if self._sem is None:
            self._sem = asyncio.Semaphore(self._max_parallel)
        async with self._sem:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if inputs is None:
                    inputs = await self.gather_inputs(symbol, timestamp)
                if inputs is None:
                    return self._count(
                        empty_result(symbol, timestamp, STAGE2_STATUS["SKIPPED"], "no_data", None)
                    )
                result = decide(stage1_result, inputs, self.params, locale=self.locale, style=self.style)
            except Exception:
                logger.exception("stage2 decision failed", extra=log_ctx(STAGE, symbol))
                return self._count(empty_result(symbol, timestamp, STAGE2_STATUS["ERROR"], "internal_error"))
            finally:
                self.in_flight -= 1
        return self._count(result)

    async def process_many(self, results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Рішення для пакета результатів Stage1 у тому ж порядку."""
        return list(await asyncio.gather(*(self.process(r) for r in results)))

    def _count(self, result: dict[str, Any]) -> dict[str, Any]:
        status = result.get("status")
        key = status if status in self.counters else "error"
        self.counters[key] += 1
        return result


__all__ = ["Stage2Processor"]
