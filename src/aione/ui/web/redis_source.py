"""Джерело кадрів з Redis: спершу знімок `asset_state_snapshot`, далі канал `asset_state_update`.

Правила споживача (DESIGN «Publication»):
- підписка на канал відбувається ДО читання знімка, тож кадр між ними не губиться;
- кадр із `seq` ≤ останнього відкидається як дубль/запізнілий, окрім випадку, коли його `ts`
  новіший (видавець перезапустився і почав `seq` спочатку);
- пропуск у `seq` → перечитати знімок і віддати новіший з двох (pub/sub мовчки губить повідомлення);
- зірване з'єднання → повторне підключення з експоненційною затримкою і знову знімок;
- хибний payload (не декодується або не проходить схему `ui.frame_schema`) рахується
  (`bad_payloads`), журналюється один раз і пропускається — до звірки `seq`, тож кадр з
  `seq`/`ts` = 2^62 не блокує наступні.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from aione.config.config import UI_RECONNECT_BACKOFF_SEC
from aione.data.redis_keys import STATE_CHANNEL, STATE_SNAPSHOT_KEY
from aione.logging_setup import get_logger, log_ctx
from aione.ui.frame_schema import frame_problem

logger = get_logger(__name__)

Decoder = Callable[[bytes], Mapping[str, Any]]


# ── Кодек ──
def default_decoder() -> Decoder:
    """Декодер кадрів видавця (`aione.data.ws_worker.decode_frame`: orjson + lz4, обмежене розпакування)."""
    from aione.data.ws_worker import decode_frame

    return decode_frame


def _seq_of(frame: Mapping[str, Any]) -> int | None:
    seq = frame.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _ts_of(frame: Mapping[str, Any]) -> float:
    ts = frame.get("ts")
    return float(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else 0.0


# ── Джерело ──
class RedisFrameSource:
    """Асинхронний ітератор кадрів з Redis, який сам перепідключається (див. правила модуля)."""

    def __init__(
        self,
        url: str,
        *,
        channel: str = STATE_CHANNEL,
        snapshot_key: str = STATE_SNAPSHOT_KEY,
        decode: Decoder | None = None,
        backoff_initial: float = UI_RECONNECT_BACKOFF_SEC[0],
        backoff_max: float = UI_RECONNECT_BACKOFF_SEC[1],
    ) -> None:
        self.url = url
        self.channel = channel
        self.snapshot_key = snapshot_key
        self._decode = decode
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self.connects = 0  # успішні підключення (перше + повторні)
        self.gaps = 0  # пропуски в seq, після яких перечитано знімок
        self.bad_payloads = 0
        self._warned_bad = False
        self._last_seq: int | None = None
        self._last_ts = 0.0

    # ── Декодування ──
    def _decode_or_none(self, payload: Any) -> Mapping[str, Any] | None:
        if self._decode is None:
            self._decode = default_decoder()
        try:
            if isinstance(payload, str):
                payload = payload.encode()
            frame = self._decode(payload)
            if not isinstance(frame, Mapping):
                raise ValueError(f"decoded frame is {type(frame).__name__}, not a mapping")
            problem = frame_problem(frame)  # до звірки seq: кадр з seq/ts = 2^62 не має заморозити джерело
            if problem is not None:
                raise ValueError(f"frame rejected by schema: {problem}")
            return frame
        except (ValueError, TypeError) as exc:
            # Хибний payload: лічильник і одне попередження, стан не чіпаємо.
            self.bad_payloads += 1
            if not self._warned_bad:
                logger.warning("web_redis_bad_payload error=%r", exc, extra=log_ctx("web"))
                self._warned_bad = True
            return None

    def _accept(self, frame: Mapping[str, Any]) -> bool:
        """Чи новіший кадр за останній відданий; оновлює позицію, якщо так."""
        seq, ts = _seq_of(frame), _ts_of(frame)
        if self._last_seq is not None and seq is not None and seq <= self._last_seq and ts <= self._last_ts:
            return False
        self._last_seq = seq
        self._last_ts = ts
        return True

    async def _snapshot(self, client: aioredis.Redis) -> Mapping[str, Any] | None:
        raw = await client.get(self.snapshot_key)
        return None if raw is None else self._decode_or_none(raw)

    # ── Цикл ──
    async def _session(self, client: aioredis.Redis) -> AsyncIterator[Mapping[str, Any]]:
        """Одна сесія з'єднання: підписка, знімок, потім повідомлення каналу."""
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self.connects += 1
            logger.info("web_redis_connected channel=%s", self.channel, extra=log_ctx("web"))
            snap = await self._snapshot(client)
            if snap is not None and self._accept(snap):
                yield snap
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                frame = self._decode_or_none(message.get("data"))
                if frame is None:
                    continue
                seq, last = _seq_of(frame), self._last_seq
                if seq is not None and last is not None and seq > last + 1:
                    self.gaps += 1
                    snap = await self._snapshot(client)
                    if snap is not None and (_seq_of(snap) or -1) > seq:
                        frame = snap
                if self._accept(frame):
                    yield frame
        finally:
            await pubsub.aclose()

    async def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        delay = self._backoff_initial
        while True:
            client = aioredis.from_url(self.url, socket_connect_timeout=5)
            try:
                async for frame in self._session(client):
                    delay = self._backoff_initial
                    yield frame
                return  # канал закрито без помилки: кінець джерела
            except (RedisError, OSError) as exc:
                logger.warning("web_redis_lost error=%r retry_in=%.2fs", exc, delay, extra=log_ctx("web"))
            finally:
                await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_max)


__all__ = ["Decoder", "RedisFrameSource", "default_decoder"]
