"""Outbox недоставлених повідомлень: переживає перезапуск процесу, після нього все досилається.

Два сховища з однаковим контрактом (`add_many`, `remove_many`, `load`):
- `RedisOutbox` — хеш `ai_one:notify:outbox:{канал}`: поле — id повідомлення, значення — JSON;
- `FileOutbox` — JSON-рядки `notify_outbox.jsonl` у каталозі даних (коли Redis немає): записи
  `{"op": "add", "msg": …}` і `{"op": "del", "id": …}` дописуються в кінець; `load` відтворює
  журнал і переписує файл лише з живими повідомленнями.
Порядок відновлення — за `seq` повідомлення.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from aione.data.redis_keys import NOTIFY_OUTBOX_KEY as OUTBOX_KEY
from aione.notify.model import Message


def outbox_key(channel: str) -> str:
    return OUTBOX_KEY.format(channel=channel)


class Outbox(Protocol):
    """Сховище недоставлених повідомлень."""

    async def add_many(self, messages: Sequence[Message]) -> None: ...

    async def remove_many(self, channel: str, ids: Sequence[str]) -> None: ...

    async def load(self, channel: str) -> list[Message]: ...

    async def close(self) -> None: ...


def _sorted(messages: Iterable[Message]) -> list[Message]:
    return sorted(messages, key=lambda m: m.seq)


# ── Redis ──
class RedisOutbox:
    """Outbox у Redis (HSET/HDEL/HGETALL одним конвеєром на пачку)."""

    def __init__(self, url: str | None = None, *, client: aioredis.Redis | None = None) -> None:
        if client is None and url is None:
            raise ValueError("RedisOutbox needs a url or a client")
        self._client = client if client is not None else aioredis.from_url(url)  # type: ignore[arg-type]
        self._own = client is None

    async def add_many(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        pipe = self._client.pipeline(transaction=False)
        for m in messages:
            pipe.hset(outbox_key(m.channel), m.id, orjson.dumps(m.to_dict()))
        await pipe.execute()

    async def remove_many(self, channel: str, ids: Sequence[str]) -> None:
        if ids:
            await self._client.hdel(outbox_key(channel), *ids)

    async def load(self, channel: str) -> list[Message]:
        raw = await self._client.hgetall(outbox_key(channel))
        return _sorted(Message.from_dict(orjson.loads(v)) for v in raw.values())

    async def close(self) -> None:
        if self._own:
            await self._client.aclose()


# ── Файл ──
class FileOutbox:
    """Outbox у файлі JSON-рядків (один файл на всі канали)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    def _append(self, records: Sequence[dict[str, Any]], *, durable: bool) -> None:
        """Дописує записи; `durable` — fsync (нові повідомлення). Запис про доставку без fsync: після
        аварії в гіршому разі повідомлення піде вдруге (з тим самим `X-AiOne-Id`), а не загубиться."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as fh:
            fh.write(b"".join(orjson.dumps(r) + b"\n" for r in records))
            fh.flush()
            if durable:
                os.fsync(fh.fileno())

    def _replay(self) -> dict[str, dict[str, Any]]:
        live: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return live
        for line in self.path.read_bytes().splitlines():
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # обірваний останній рядок після аварії: решта журналу ціла
            if rec.get("op") == "add" and isinstance(rec.get("msg"), dict):
                msg = rec["msg"]
                live[f"{msg.get('channel')}|{msg.get('id')}"] = msg
            elif rec.get("op") == "del":
                live.pop(f"{rec.get('channel')}|{rec.get('id')}", None)
        return live

    async def add_many(self, messages: Sequence[Message]) -> None:
        if messages:
            async with self._lock:
                self._append([{"op": "add", "msg": m.to_dict()} for m in messages], durable=True)

    async def remove_many(self, channel: str, ids: Sequence[str]) -> None:
        if ids:
            async with self._lock:
                self._append([{"op": "del", "channel": channel, "id": i} for i in ids], durable=False)

    async def load(self, channel: str) -> list[Message]:
        async with self._lock:
            live = self._replay()
            tmp = self.path.with_suffix(".tmp")
            if live or self.path.exists():
                tmp.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(b"".join(orjson.dumps({"op": "add", "msg": m}) + b"\n" for m in live.values()))
                tmp.replace(self.path)
        return _sorted(Message.from_dict(m) for m in live.values() if m.get("channel") == channel)

    async def close(self) -> None:
        return None


class MemoryOutbox:
    """Outbox у пам'яті (тести, запуск без каталогу даних і Redis): перезапуск не переживає."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Message]] = {}

    async def add_many(self, messages: Sequence[Message]) -> None:
        for m in messages:
            self.entries.setdefault(m.channel, {})[m.id] = m

    async def remove_many(self, channel: str, ids: Sequence[str]) -> None:
        for i in ids:
            self.entries.get(channel, {}).pop(i, None)

    async def load(self, channel: str) -> list[Message]:
        return _sorted(Message.from_dict(m.to_dict()) for m in self.entries.get(channel, {}).values())

    async def close(self) -> None:
        return None


__all__ = ["OUTBOX_KEY", "FileOutbox", "MemoryOutbox", "Outbox", "RedisOutbox", "outbox_key"]
