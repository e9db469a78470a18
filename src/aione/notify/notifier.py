"""Сповіщувач: події агрегатора стану → маршрут кожного каналу → воркери доставки, потік Redis, бот.

Вхід — `listener(kind, payload)`, який агрегатор кличе синхронно (`"signal"` з рішенням, що
пройшло ворота, `"trade"` з подією угоди). Він нічого не чекає і ніколи не кидає винятків у
конвеєр: подія стає `Alert`, іде в Redis Stream (без фільтрів — для програм), у пам'ять бота і в
маршрут кожного каналу (`rules.NoiseGate`): `send` — у чергу воркера, `digest` — у буфер
дайджесту каналу, `drop` — лише лічильник. Дайджести віддаються, коли минуло вікно (час подій або
настінний), перевірка — на кожній події і раз на секунду.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from aione.config.config import (
    NOTIFY_CHANNEL_LIMITS,
    NOTIFY_CLOSE_TIMEOUT_SEC,
    NOTIFY_DEFAULT_RULES,
    NOTIFY_RETRY_BACKOFF_SEC,
    NotifyRules,
)
from aione.logging_setup import get_logger, log_ctx
from aione.notify.bot import BotMemory, BotPoller
from aione.notify.channels import Channel
from aione.notify.model import (
    KIND_DIGEST,
    KIND_SIGNAL,
    Alert,
    Message,
    alert_from_decision,
    alert_from_trade_event,
)
from aione.notify.outbox import MemoryOutbox, Outbox
from aione.notify.rules import ROUTE_DIGEST, ROUTE_DROP, DigestBuffer, NoiseGate
from aione.notify.stream import SignalStream
from aione.notify.worker import ChannelWorker
from aione.stage3.trade_model import TradeEvent
from aione.utils.aio import cancel_and_wait

logger = get_logger(__name__)
_CTX = log_ctx("notify")
TICK_SEC = 1.0  # як часто перевіряти дайджести без нових подій


class _Route:
    """Канал з його правилами, станом шуму і буфером дайджесту."""

    __slots__ = ("digest", "gate", "worker")

    def __init__(self, worker: ChannelWorker, rules: NotifyRules, clock: Callable[[], float]) -> None:
        self.worker = worker
        self.gate = NoiseGate(rules)
        self.digest = DigestBuffer(rules, clock)


class Notifier:
    """Розсилка подій у канали, Redis Stream і пам'ять бота."""

    def __init__(
        self,
        channels: Sequence[Channel],
        outbox: Outbox | None = None,
        *,
        rules: Mapping[str, NotifyRules] | None = None,
        stream: SignalStream | None = None,
        limits: Mapping[str, Mapping[str, float]] = NOTIFY_CHANNEL_LIMITS,
        backoff: tuple[float, float] = NOTIFY_RETRY_BACKOFF_SEC,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_delivered: Callable[[Message], None] | None = None,
    ) -> None:
        self.outbox = outbox if outbox is not None else MemoryOutbox()
        self.stream = stream
        self.clock = clock
        self.memory = BotMemory()
        self.bot: BotPoller | None = None
        chosen = rules or {}
        self.routes: list[_Route] = []
        for channel in channels:
            # правила за назвою каналу (`telegram:123`), за видом (`telegram`, `discord`, `webhook`) або типові
            kind = channel.kind.split("_", 1)[0]
            rule = chosen.get(channel.name) or chosen.get(kind) or NOTIFY_DEFAULT_RULES
            worker = ChannelWorker(
                channel,
                self.outbox,
                limits[channel.kind],
                backoff=backoff,
                sleep=sleep,
                clock=clock,
                on_delivered=on_delivered,
            )
            self.routes.append(_Route(worker, rule, clock))
        self.counters: dict[str, int] = {"events": 0, "errors": 0}
        self.dropped: dict[str, int] = {}  # причина → скільки подій не пішло (сума по каналах)
        self._seq = 0
        self._last_event_wall = clock()
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    @property
    def workers(self) -> list[ChannelWorker]:
        return [r.worker for r in self.routes]

    # ── Вхід з агрегатора ──
    def listener(self, kind: str, payload: Any) -> None:
        """Колбек агрегатора стану: `("signal", рішення)` або `("trade", TradeEvent)`; не кидає."""
        try:
            if kind == "signal":
                self.on_signal(payload)
            elif kind == "trade" and isinstance(payload, TradeEvent):
                self.on_trade_events([payload])
        except Exception:  # сповіщення ніколи не зупиняють конвеєр; подія лише пропускається
            self.counters["errors"] += 1
            logger.exception("notify listener failed", extra=_CTX)

    def on_signal(self, decision: Mapping[str, Any]) -> None:
        alert = alert_from_decision(decision)
        if alert is not None:
            self.submit(alert)

    def on_trade_events(self, events: Iterable[TradeEvent]) -> None:
        for event in events:
            alert = alert_from_trade_event(event)
            if alert is not None:
                self.submit(alert)

    def submit(self, alert: Alert) -> None:
        """Одна подія: потік, пам'ять бота, маршрут кожного каналу."""
        if self._closed:
            return
        self.counters["events"] += 1
        self.memory.observe(alert)
        self._last_event_wall = self.clock()
        if self.stream is not None:
            self.stream.publish(alert)
        for route in self.routes:
            verdict = route.gate.route(alert, self.memory.muted)
            if verdict.action == ROUTE_DROP:
                reason = verdict.reason or "filtered"
                self.dropped[reason] = self.dropped.get(reason, 0) + 1
            elif verdict.action == ROUTE_DIGEST:
                route.digest.add(alert)
            else:
                self._enqueue(route, alert)
        self.flush_digests(self.event_now())

    def _enqueue(self, route: _Route, alert: Alert) -> None:
        self._seq = max(self._seq + 1, time.time_ns() // 1000)  # порядок і після перезапуску
        digestable = alert.kind in (KIND_SIGNAL, KIND_DIGEST)
        message = Message(
            id=f"{route.worker.name}|{alert.id}",
            channel=route.worker.name,
            alert=alert,
            seq=self._seq,
            digestable=digestable,
            created=time.monotonic(),
        )
        route.worker.submit(message)

    # ── Час і дайджести ──
    def event_now(self) -> int:
        """Оцінка «зараз» у часі подій: остання подія + настінний час відтоді."""
        return self.memory.now_ts + int((self.clock() - self._last_event_wall) * 1000)

    def flush_digests(self, now_ts: int, *, force: bool = False) -> int:
        """Віддає дайджести, яким настав час (або всі, `force`); повертає скільки."""
        sent = 0
        for route in self.routes:
            if force or route.digest.due(now_ts):
                digest = route.digest.take()
                if digest is not None:
                    self._enqueue(route, digest)
                    sent += 1
        return sent

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SEC)
            self.flush_digests(self.event_now())

    # ── Життєвий цикл ──
    async def start(self) -> None:
        """Відновлює outbox (недоставлене до перезапуску — першим) і запускає доставку."""
        for worker in self.workers:
            restored = await worker.restore()
            if restored:
                logger.info("notify: %d undelivered messages restored", restored, extra={**_CTX, "symbol": worker.name})
            worker.start()
        if self.stream is not None:
            self.stream.start()
        if self.bot is not None:
            self._tasks.append(asyncio.create_task(self.bot.run(), name="notify-bot"))
        self._tasks.append(asyncio.create_task(self._tick(), name="notify-digest"))

    async def aclose(self, timeout: float = NOTIFY_CLOSE_TIMEOUT_SEC) -> None:
        """Приймання зупинено; накопичені дайджести — у черги; доставка до `timeout` с; решта лишається
        в outbox і піде після перезапуску."""
        if self._closed:
            return
        self.flush_digests(self.event_now(), force=True)
        self._closed = True
        await cancel_and_wait(self._tasks)
        await asyncio.gather(*(w.stop(timeout) for w in self.workers))
        if self.stream is not None:
            await self.stream.aclose()
        if self.bot is not None:
            await self.bot.api.close()
        await self.outbox.close()
        left = sum(w.pending for w in self.workers)
        if left:
            logger.warning("notify: %d messages left in the outbox for the next start", left, extra=_CTX)

    def stats(self) -> dict[str, Any]:
        """Лічильники для звіту: на канал і причини відсіву."""
        return {
            "events": self.counters["events"],
            "errors": self.counters["errors"],
            "dropped_by_rules": dict(self.dropped),
            "channels": {w.name: dict(w.counters) for w in self.workers},
            "stream": dict(self.stream.counters) if self.stream is not None else None,
            "bot": dict(self.bot.counters) if self.bot is not None else None,
        }


__all__ = ["Notifier"]
