"""Живий драйвер ядра: події WS → ядро → обмежений Stage2 → публікація кадрів стану.

Прийом барів ніколи не чекає на Stage2 чи публікацію: `on_bar` синхронно проводить бар через
ядро, алерти йдуть у фонові задачі Stage2 (паралельність обмежує процесор), а кадри публікує
окремий цикл — одразу, якщо з попередньої публікації минуло `min_interval` (настінний час), або
в кінці інтервалу; зміна сигналу чи угоди публікується без очікування інтервалу.

Угоди зберігаються ДО публікації кадру, що їх показує: кадр ніколи не випереджає збережений стан.
Зміна статусу угоди (створено, відкрито, закрито, скасовано) зберігається одразу; рух стопу —
не частіше за `TRADES_SAVE_INTERVAL_SEC`; під час збою сховища спроби теж не частіші за це.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aione.app.pipeline import PipelineCore, Released
from aione.config.config import PUBLISH_MIN_INTERVAL_MS
from aione.data.bars import BarEvent
from aione.data.ws_worker import StatePublisher
from aione.logging_setup import get_logger
from aione.metrics import MetricsCollector
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.processor import Stage2Processor
from aione.stage3.trade_model import EVENT_PENDING
from aione.stage3.trade_store import TradeSaver, TradeStore
from aione.ui.publish_full_state import publish_full_state
from aione.utils.utils import wall_clock_ms

logger = get_logger(__name__)


MAX_LATENCY_SAMPLES = 10_000  # скільки отримань бару між двома кадрами зберігаємо для гістограми
TRADES_SAVE_INTERVAL_SEC = 1.0  # не частіше: збереження угод — I/O, а стан змінюється пачками


class ScreeningProducer:
    """Зв'язує ядро з асинхронним світом: Stage2 у фоні, публікація, збереження угод."""

    def __init__(
        self,
        core: PipelineCore,
        processor: Stage2Processor,
        publisher: StatePublisher,
        *,
        clock: Callable[[], int] = wall_clock_ms,
        metrics: MetricsCollector | None = None,
        trade_store: TradeStore | None = None,
        min_interval_ms: int = PUBLISH_MIN_INTERVAL_MS,
        keep_latencies: bool = False,
    ) -> None:
        self.core = core
        self.processor = processor
        self.publisher = publisher
        self.clock = clock
        self.metrics = metrics
        self.trade_store = trade_store
        self.trade_saver = TradeSaver(trade_store, retry_sec=TRADES_SAVE_INTERVAL_SEC) if trade_store else None
        self.min_interval = min_interval_ms / 1000.0
        self.counters: dict[str, int] = {
            "bars": 0,
            "rejected": 0,
            "alerts": 0,
            "decisions": 0,
            "frames": 0,
            "trades_opened": 0,
            "signals": 0,
            "watch": 0,
        }
        self._changed = asyncio.Event()
        self._stopping = False
        self._stage2_tasks: set[asyncio.Task[None]] = set()
        self._recv_pending: list[float] = []
        self._last_publish = 0.0
        self._saved_version = -1
        self._saved_status: tuple[object, ...] | None = None
        # затримки «бар отримано → кадр опубліковано», с (для бенчмарку; у метриках — гістограма)
        self.latencies: list[float] | None = [] if keep_latencies else None
        self._last_save = 0.0

    # ── Прийом ──
    def on_bar(self, event: BarEvent) -> None:
        """Колбек WS-клієнта: одна подія бару через ядро (без очікувань)."""
        if self._stopping:
            return
        started = time.perf_counter()
        step = self.core.on_bar(event)
        if step.released:
            self._count_released(step.released)
        if self.metrics is not None:
            self.metrics.count_ws_messages()
            self.metrics.observe_stage1_cycle(time.perf_counter() - started)
        if not step.accepted:
            self.counters["rejected"] += 1
            if self.metrics is not None:
                self.metrics.count_rejected_input("store")
            return
        self.counters["bars"] += 1
        if self.core.aggregator is not None:
            # свіжість рядка для UI — за настінним годинником (і в демо з віртуальним часом ринку)
            self.core.aggregator.on_price(event.symbol, event.bar.close, self.clock())
        if event.recv_ts and len(self._recv_pending) < MAX_LATENCY_SAMPLES:
            self._recv_pending.append(event.recv_ts)
        if step.alert is not None:
            self.counters["alerts"] += 1
            # вхід Stage2 знімається з ядра зараз, синхронно: ті самі бари, що бачить бектест
            inputs = self.core.stage2_inputs(step.alert)
            task = asyncio.create_task(self._stage2(step.alert, inputs), name=f"stage2-{event.symbol}")
            self._stage2_tasks.add(task)
            task.add_done_callback(self._stage2_tasks.discard)
        self._changed.set()

    async def _stage2(self, alert: dict[str, Any], inputs: Stage2Inputs | None) -> None:
        started = time.perf_counter()
        result = await self.processor.process(alert, inputs)  # процесор не кидає винятків назовні
        if self.metrics is not None:
            self.metrics.observe_stage2_cycle(time.perf_counter() - started)
            self.metrics.count_signal(str(result.get("recommendation")))
        if self._stopping:
            return
        # Кандидат до воріт сигналів; вердикт — на першій новішій події (або одразу, якщо запізнився).
        self._count_released(self.core.offer(alert, result))
        self.counters["decisions"] += 1
        self._changed.set()

    def _count_released(self, released: list[Released]) -> None:
        for rel in released:
            if rel.verdict.promoted:
                self.counters["signals"] += 1
                self.counters["trades_opened"] += sum(1 for ev in rel.events if ev.kind == EVENT_PENDING)
            else:
                self.counters["watch"] += 1

    # ── Публікація ──
    async def publish_now(self) -> bool:
        """Будує й публікує кадр зараз (час кадру — годинник драйвера)."""
        aggregator = self.core.aggregator
        if aggregator is None:
            return False
        await self._maybe_save_trades()  # спершу зберегти, потім показати
        recv = self._recv_pending
        self._recv_pending = []
        # інтервал — від початку попередньої публікації: її тривалість не подовжує період кадрів
        self._last_publish = time.monotonic()
        sent = await publish_full_state(
            aggregator, self.publisher, self.clock(), force=True, metrics=self.metrics
        )
        if sent:
            self.counters["frames"] += 1
            # момент, коли кадр дійшов до адресатів (для Redis — відповідь сервера в потоці видавця)
            now = self.publisher.published_at or time.perf_counter()
            if self.metrics is not None:
                for recv_ts in recv:
                    self.metrics.observe_e2e_latency(now - recv_ts)
            if self.latencies is not None:
                self.latencies.extend(now - recv_ts for recv_ts in recv)
        return sent

    def request_publish(self) -> None:
        """Просить цикл публікації опублікувати кадр (коли стан змінився без нового бару, як-от
        застарілий фід); `dirty` агрегатора робить це без очікування інтервалу. Публікує лише цикл,
        тож кадри не обганяють один одного."""
        self._changed.set()

    def next_frame_in(self) -> float:
        """Скільки секунд до наступного планового кадру (від початку попередньої публікації)."""
        return self._last_publish + self.min_interval - time.monotonic()

    async def publish_loop(self) -> None:
        """Публікує кадри, доки не зупинено; зміна сигналу/угоди — без очікування інтервалу."""
        while not self._stopping:
            await self._changed.wait()
            self._changed.clear()
            aggregator = self.core.aggregator
            urgent = aggregator is not None and aggregator.dirty
            wait = self.next_frame_in()
            if wait > 0 and not urgent:
                await asyncio.sleep(wait)
            await self.publish_now()

    async def _maybe_save_trades(self, *, force: bool = False) -> None:
        saver = self.trade_saver
        if saver is None:
            return
        trades = self.core.trades
        version = trades.version
        if version == self._saved_version:
            return
        status = trades.status_key()
        now = time.monotonic()
        due = force or status != self._saved_status or now - self._last_save >= TRADES_SAVE_INTERVAL_SEC
        if not due or not (force or saver.may_try(now)):
            return
        if await saver.save(trades):  # збій уже пораховано й записано в журнал (раз на збій)
            self._saved_version = version
            self._saved_status = status
            self._last_save = time.monotonic()

    # ── Зупинка ──
    async def drain(self, timeout: float = 5.0) -> None:
        """Дочікується задач Stage2, публікує останній кадр і зберігає угоди."""
        if self._stage2_tasks:
            await asyncio.wait(list(self._stage2_tasks), timeout=timeout)
        self._count_released(self.core.flush())  # кандидати останньої хвилини: вердикт без новішої події
        self._stopping = True
        self._changed.set()
        await self.publish_now()
        await self._maybe_save_trades(force=True)


__all__ = ["ScreeningProducer"]
