"""Стрічка сигналів для `/api/signals`: позиції (`<ms>-<seq>`), курсор `since` і кільце в пам'яті.

Позиція сигналу має той самий вигляд, що id запису Redis Stream (`1700000000000-0`), і
порівнюється як пара цілих `(ms, seq)`, тож клієнт продовжує з останньої отриманої позиції
однаково для обох джерел:
- Redis Stream `asset_signals` (`SIGNAL_STREAM_KEY`) — коли сервер має Redis; сигнали — записи
  виду `signal` (події угод у тому ж потоці пропускаються);
- `SignalRing` — обмежене кільце в процесі, яке наповнюють кадри, що бачить сервер: рядок, чий
  id сигналу (пропущеного воротами: `surfaced`) або id життєвого циклу ще не траплявся, стає новим
  записом. Позиції кільця зростають монотонно (час кадру, а в межах мілісекунди — лічильник) і
  починаються заново з перезапуском сервера.
`since` — остання отримана позиція (виключно) або час у мс (сигнали від цієї мілісекунди включно).
Тут лише чиста логіка: жодного I/O.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from aione.config.config import BUY_SET, SELL_SET
from aione.utils.utils import finite_or_none

# ── Позиції ──
Position = tuple[int, int]
PART_MAX = 2**64 - 1  # межа кожної частини id Redis Stream
ZERO_ID = "0-0"
_ID_RE = re.compile(r"^([0-9]{1,20})-([0-9]{1,20})$")
_MS_RE = re.compile(r"^[0-9]{1,20}$")
SINCE_HELP = "since must be a signal position like 1700000000000-0 or a time in ms"

RING_SIZE = 2_000  # сигналів у кільці в пам'яті
SEEN_SIZE = 8_192  # id, які кільце пам'ятає як уже бачені (більше за кількість символів у кадрі)


def format_position(pos: Position) -> str:
    """`(ms, seq)` → `ms-seq`."""
    return f"{pos[0]}-{pos[1]}"


def parse_position(text: str) -> Position:
    """`ms-seq` → `(ms, seq)`; інше — ValueError."""
    match = _ID_RE.match(text)
    if match is None:
        raise ValueError(SINCE_HELP)
    ms, seq = int(match.group(1)), int(match.group(2))
    if ms > PART_MAX or seq > PART_MAX:
        raise ValueError(SINCE_HELP)
    return ms, seq


def parse_since(text: str | None) -> Position | None:
    """Курсор «після цієї позиції» (виключно) з параметра `since`; None — з самого початку.

    `ms-seq` — позиція останнього отриманого сигналу; голе число — час у мс (сигнали з цієї
    мілісекунди включно, тобто після `(ms−1)-max`). Хибне значення — ValueError з одним рядком."""
    if text is None:
        return None
    text = text.strip()
    if _MS_RE.match(text):
        ms = int(text)
        if ms > PART_MAX:
            raise ValueError(SINCE_HELP)
        return None if ms == 0 else (ms - 1, PART_MAX)
    return parse_position(text)


def redis_min(cursor: Position | None) -> str:
    """Нижня межа XRANGE для курсора: `-` (з початку) або `(ms-seq` (виключно)."""
    return "-" if cursor is None else "(" + format_position(cursor)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _side(value: Any) -> str | None:
    return value if value in ("BUY", "SELL") else None


def _id_ts(signal_id: str) -> int | None:
    """Час сигналу з id `SYMBOL:ms`, якщо він там є."""
    _, _, tail = signal_id.rpartition(":")
    return int(tail) if tail.isdigit() else None


def _int(value: Any) -> int | None:
    num = finite_or_none(value)
    return int(num) if num is not None else None


# ── Сигнал із запису Redis Stream ──
def _field(fields: Mapping[Any, Any], name: str) -> Any:
    value = fields.get(name.encode(), fields.get(name))
    return value.decode() if isinstance(value, bytes) else value


def item_from_stream(entry_id: str, fields: Mapping[Any, Any]) -> dict[str, Any] | None:
    """Запис потоку `asset_signals` → сигнал API; не сигнал (подія угоди, тест) або зіпсований — None."""
    if _field(fields, "type") != "signal":
        return None
    raw = fields.get(b"data", fields.get("data"))
    try:
        data = orjson.loads(raw) if isinstance(raw, bytes | str) else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    symbol, sid = _text(data.get("symbol")), _text(data.get("id"))
    if symbol is None or sid is None:
        return None
    record = data.get("record")
    return {
        "stream_id": entry_id,
        "id": sid,
        "symbol": symbol,
        "ts": _int(data.get("ts")),
        "side": _side(data.get("side")),
        "recommendation": _text(data.get("recommendation")),
        "rank": finite_or_none(data.get("rank")),
        "confidence": finite_or_none(data.get("confidence")),
        "entry": finite_or_none(data.get("entry")),
        "entry_lo": None,
        "entry_hi": None,
        "tp": finite_or_none(data.get("tp")),
        "sl": finite_or_none(data.get("sl")),
        "signal_kind": _text(data.get("signal_kind")),
        "scenario": _text(data.get("scenario")),
        "narrative": _text(data.get("narrative")),
        "record": record if isinstance(record, dict) else None,
    }


def take_signals(
    entries: Sequence[tuple[str, Mapping[Any, Any]]], limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Сигнали з пачки записів потоку (старіші першими) до `limit` штук і id останнього
    переглянутого запису (з нього читати далі: все до нього вже віддано або не є сигналом)."""
    items: list[dict[str, Any]] = []
    consumed: str | None = None
    for entry_id, fields in entries:
        if len(items) >= limit:
            break
        consumed = entry_id
        item = item_from_stream(entry_id, fields)
        if item is not None:
            items.append(item)
    return items, consumed


# ── Сигнал із рядка кадру ──
def row_signal_ids(row: Mapping[str, Any]) -> list[str]:
    """Id сигналів, які показує рядок: пропущений воротами (`surfaced`) і id життєвого циклу."""
    ids: list[str] = []
    sid = _text(row.get("signal_id"))
    if sid is not None and row.get("surfaced") is True:
        ids.append(sid)
    life = row.get("lifecycle")
    life_id = _text(life.get("id")) if isinstance(life, Mapping) else None
    if life_id is not None and life_id not in ids:
        ids.append(life_id)
    return ids


def item_from_row(row: Mapping[str, Any], signal_id: str, stream_id: str) -> dict[str, Any]:
    """Сигнал API з рядка кадру: план і бік — з життєвого циклу, рекомендація, ранг і пояснення —
    з рядка, лише якщо рядок показує саме цей сигнал."""
    life = row.get("lifecycle")
    life = life if isinstance(life, Mapping) and life.get("id") == signal_id else {}
    plan = life.get("plan")
    plan = plan if isinstance(plan, Mapping) else {}
    own = row.get("signal_id") == signal_id and row.get("surfaced") is True
    rec = _text(row.get("recommendation")) if own else None
    side = _side(life.get("side"))
    if side is None and rec is not None:
        side = "BUY" if rec in BUY_SET else "SELL" if rec in SELL_SET else None
    rank = row.get("rank") if own else None
    if isinstance(rank, Mapping):
        rank = rank.get("score")
    record = row.get("record") if own else None
    ts = _int(life.get("issued_ts"))
    if ts is None:
        ts = _id_ts(signal_id)
    return {
        "stream_id": stream_id,
        "id": signal_id,
        "symbol": str(row.get("symbol")),
        "ts": ts,
        "side": side,
        "recommendation": rec,
        "rank": finite_or_none(rank),
        "confidence": finite_or_none(row.get("confidence")) if own else None,
        "entry": None,
        "entry_lo": finite_or_none(plan.get("entry_lo")),
        "entry_hi": finite_or_none(plan.get("entry_hi")),
        "tp": finite_or_none(plan.get("tp")),
        "sl": finite_or_none(plan.get("sl")),
        "signal_kind": _text(row.get("signal_kind")) if own else None,
        "scenario": _text(row.get("scenario")) if own else None,
        "narrative": _text(row.get("narrative")) if own else None,
        "record": dict(record) if isinstance(record, Mapping) else None,
    }


def frame_ms(frame: Mapping[str, Any]) -> int | None:
    """Час кадру в мс (видавець пише мс, тести й старі видавці — секунди)."""
    ts = finite_or_none(frame.get("ts"))
    if ts is None or ts < 0:
        return None
    return int(ts * 1000.0) if ts < 1e11 else int(ts)


# ── Кільце в пам'яті ──
class SignalRing:
    """Обмежене кільце сигналів, наповнене кадрами; читання — сторінками після курсора."""

    def __init__(self, size: int = RING_SIZE, seen_size: int = SEEN_SIZE) -> None:
        self._items: deque[tuple[Position, dict[str, Any]]] = deque(maxlen=size)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_size = seen_size
        self._last: Position = (0, 0)
        self.evicted_last: Position | None = None  # позиція останнього витісненого сигналу

    def __len__(self) -> int:
        return len(self._items)

    def _next_position(self, ms: int | None) -> Position:
        last_ms, last_seq = self._last
        if ms is not None and ms > last_ms:
            self._last = (ms, 0)
        else:
            self._last = (last_ms, last_seq + 1)
        return self._last

    def _mark_seen(self, signal_id: str) -> bool:
        """True — id новий; бачені id освіжаються, щоб показувані зараз не витіснилися."""
        if signal_id in self._seen:
            self._seen.move_to_end(signal_id)
            return False
        self._seen[signal_id] = None
        while len(self._seen) > self._seen_size:
            self._seen.popitem(last=False)
        return True

    def observe(self, frame: Mapping[str, Any]) -> int:
        """Додає нові сигнали кадру (старіші першими); повертає їх кількість. Не кидає на хибних даних."""
        assets = frame.get("assets")
        if not isinstance(assets, list):
            return 0
        fresh: list[dict[str, Any]] = []
        for row in assets:
            if not isinstance(row, Mapping) or not isinstance(row.get("symbol"), str):
                continue
            fresh.extend(
                item_from_row(row, sid, ZERO_ID) for sid in row_signal_ids(row) if self._mark_seen(sid)
            )
        ms = frame_ms(frame)
        for item in sorted(fresh, key=lambda it: (it["ts"] or 0, it["symbol"], it["id"])):
            pos = self._next_position(ms)
            item["stream_id"] = format_position(pos)
            if len(self._items) == self._items.maxlen:
                self.evicted_last = self._items[0][0]
            self._items.append((pos, item))
        return len(fresh)

    def page(self, cursor: Position | None, limit: int) -> tuple[list[dict[str, Any]], str, bool]:
        """До `limit` сигналів після `cursor` (старіші першими), наступний `since` і чи частину
        сигналів після `cursor` вже витіснено."""
        truncated = self.evicted_last is not None and (cursor is None or cursor < self.evicted_last)
        items = [item for pos, item in self._items if cursor is None or pos > cursor][:limit]
        if items:
            next_since = items[-1]["stream_id"]
        else:
            next_since = format_position(cursor) if cursor is not None else ZERO_ID
        return items, next_since, truncated

    def tail(self, limit: int) -> tuple[list[dict[str, Any]], str]:
        """Останні `limit` сигналів (старіші першими) і `since` для продовження після них."""
        items = [item for _, item in list(self._items)[-limit:]] if limit > 0 else []
        next_since = format_position(self._items[-1][0]) if self._items else ZERO_ID
        return items, next_since

    def extend(self, frames: Iterable[Mapping[str, Any]]) -> int:
        """Кілька кадрів поспіль (тести, відновлення): сума нових сигналів."""
        return sum(self.observe(frame) for frame in frames)


__all__ = [
    "PART_MAX",
    "RING_SIZE",
    "SINCE_HELP",
    "ZERO_ID",
    "Position",
    "SignalRing",
    "format_position",
    "frame_ms",
    "item_from_row",
    "item_from_stream",
    "parse_position",
    "parse_since",
    "redis_min",
    "row_signal_ids",
    "take_signals",
]
