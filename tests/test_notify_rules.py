"""Контроль шуму (час подій): фільтри, дедуплікація й епізод, пауза, тихі години, дайджест,
приглушення; відро токенів і обмежена черга, що викидає відкладні першими."""

from __future__ import annotations

import asyncio

from aione.config.config import NotifyRules
from aione.notify.flow import BoundedQueue, TokenBucket
from aione.notify.model import Alert, Message
from aione.notify.notifier import Notifier
from aione.notify.rules import ROUTE_DIGEST, ROUTE_SEND, NoiseGate, in_quiet_hours
from tests.notify_helpers import FakeTime

MIN = 60_000
T0 = 1_747_990_800_000  # 2025-05-23 09:00 UTC


def sig(symbol: str, minute: float, side: str = "BUY", rank: float = 0.8, kind: str = "signal") -> Alert:
    ts = int(T0 + minute * MIN)
    return Alert(kind=kind, id=f"{symbol}:{ts}:{kind}", symbol=symbol, ts=ts, side=side, rank=rank,
                 confidence=0.6, recommendation="STRONG_BUY" if side == "BUY" else "STRONG_SELL")  # fmt: skip


def test_filters() -> None:
    gate = NoiseGate(NotifyRules(min_rank=0.7, sides=("BUY",), symbols=("BTCUSDT", "ETHUSDT"), cooldown_min=0))
    assert gate.route(sig("BTCUSDT", 0, rank=0.6)).reason == "min_rank"
    assert gate.route(sig("BTCUSDT", 1, side="SELL")).reason == "side"
    assert gate.route(sig("DOGEUSDT", 2)).reason == "symbol"
    assert gate.route(sig("ETHUSDT", 3)).action == ROUTE_SEND
    kinds = NoiseGate(NotifyRules(kinds=("trade_closed",)))
    assert kinds.route(sig("BTCUSDT", 0)).reason == "kind"
    assert kinds.route(sig("BTCUSDT", 0, kind="trade_closed")).action == ROUTE_SEND
    recs = NoiseGate(NotifyRules(recommendations=("STRONG_SELL",)))
    assert recs.route(sig("BTCUSDT", 0)).reason == "recommendation"


def test_dedup_episode_and_cooldown() -> None:
    gate = NoiseGate(NotifyRules(cooldown_min=15, episode_gap_min=30))
    first = sig("BTCUSDT", 0)
    assert gate.route(first).action == ROUTE_SEND
    assert gate.route(first).reason == "duplicate"  # той самий id ще раз
    assert gate.route(sig("BTCUSDT", 20)).reason == "same_episode"  # той самий бік ближче 30 хв
    assert gate.route(sig("BTCUSDT", 45)).reason == "same_episode"  # епізод триває (20 → 45)
    assert gate.route(sig("BTCUSDT", 5, side="SELL")).reason == "cooldown"  # інший бік, але пауза 15 хв
    assert gate.route(sig("BTCUSDT", 80)).action == ROUTE_SEND  # 35 хв тиші: новий епізод, пауза минула
    assert gate.route(sig("ETHUSDT", 81)).action == ROUTE_SEND  # інший символ незалежний
    trade = sig("BTCUSDT", 82, kind="trade_closed")
    assert gate.route(trade).action == ROUTE_SEND  # угоди не підлягають паузі
    digest_gate = NoiseGate(NotifyRules(cooldown_min=15, episode_gap_min=0, digest_minutes=10))
    assert digest_gate.route(sig("BTCUSDT", 0)).action == ROUTE_DIGEST
    assert digest_gate.route(sig("BTCUSDT", 5, side="SELL")).reason == "cooldown"


def test_quiet_hours_and_mute() -> None:
    assert in_quiet_hours(T0 - 10 * 3_600_000, (22, 7))  # 23:00
    assert not in_quiet_hours(T0, (22, 7))  # 09:00
    assert in_quiet_hours(T0, (9, 10))
    assert not in_quiet_hours(T0, (10, 9))  # 10:00 → 09:00 через північ: 09:00 уже не тиша
    assert not in_quiet_hours(T0, (9, 9))
    gate = NoiseGate(NotifyRules(quiet_hours=(8, 12), cooldown_min=0))
    assert gate.route(sig("BTCUSDT", 0)).reason == "quiet_hours"
    muted = {"ETHUSDT": T0 + 120 * MIN}
    assert gate.route(sig("ETHUSDT", 60), muted).reason == "muted"
    assert gate.route(sig("ETHUSDT", 121), muted).action == ROUTE_DIGEST  # приглушення минуло, але ще тиша
    assert gate.route(sig("ETHUSDT", 181), muted).action == ROUTE_SEND  # 12:01


async def test_digest_one_message_per_window_in_event_time() -> None:
    fake = FakeTime()
    rules = NotifyRules(digest_minutes=10, cooldown_min=0, episode_gap_min=0)
    notifier = Notifier([_NullChannel()], rules={"webhook": rules}, clock=fake.clock)
    worker = notifier.workers[0]
    for minute, symbol in ((0, "A"), (3, "B"), (9, "C")):
        notifier.submit(sig(symbol, minute))
    assert len(worker.queue) == 0  # усе ще в дайджесті
    notifier.submit(sig("D", 10))  # вікно 10 хв від першої події минуло
    items = worker.queue.items()
    assert len(items) == 1 and items[0].alert.kind == "digest"
    assert [a["symbol"] for a in items[0].alert.items] == ["A", "B", "C", "D"]
    notifier.submit(sig("E", 12))
    assert len(worker.queue) == 1  # нове вікно ще триває
    fake.now += 600  # подій немає, але настінний час вийшов — запасний годинник дайджесту
    assert notifier.flush_digests(notifier.memory.now_ts) == 1
    assert worker.queue.items()[-1].alert.items[0]["symbol"] == "E"


async def test_mute_via_notifier_memory() -> None:
    notifier = Notifier([_NullChannel()], rules={"webhook": NotifyRules(cooldown_min=0)})
    notifier.memory.muted["BTCUSDT"] = T0 + 60 * MIN
    notifier.submit(sig("BTCUSDT", 1))
    notifier.submit(sig("ETHUSDT", 1))
    assert [m.alert.symbol for m in notifier.workers[0].queue.items()] == ["ETHUSDT"]
    assert notifier.dropped == {"muted": 1}


def test_token_bucket_with_injected_clock() -> None:
    fake = FakeTime()
    bucket = TokenBucket(rate=1.0, burst=3, clock=fake.clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert abs(bucket.wait_time() - 1.0) < 1e-9
    fake.now += 0.5
    assert abs(bucket.wait_time() - 0.5) < 1e-9
    fake.now += 0.5
    assert bucket.take()
    bucket.drain()
    assert bucket.wait_time() == 1.0


def test_bounded_queue_drops_oldest_digestable_first() -> None:
    def msg(i: int, digestable: bool) -> Message:
        return Message(id=str(i), channel="c", alert=sig("X", i), seq=i, digestable=digestable)

    q = BoundedQueue(3)
    assert q.put(msg(1, False)) is None
    assert q.put(msg(2, True)) is None
    assert q.put(msg(3, True)) is None
    dropped = q.put(msg(4, False))
    assert dropped is not None and dropped.id == "2"  # найстаріше відкладне, не угода №1
    assert q.put(msg(5, False)).id == "3"  # type: ignore[union-attr]
    assert q.put(msg(6, False)).id == "1"  # відкладних немає — найстаріше взагалі  # type: ignore[union-attr]
    assert [m.id for m in q.items()] == ["4", "5", "6"] and q.dropped == 3


class _NullChannel:
    """Канал без мережі (для тестів маршруту; доставку не запускаємо)."""

    name = "webhook"
    kind = "webhook"

    async def send(self, alert: Alert) -> None:
        await asyncio.sleep(0)

    async def close(self) -> None:
        return None

