"""Команди Telegram-бота: `/top`, `/why SYMBOL`, `/trades`, `/mute SYMBOL 2h` (`/unmute SYMBOL`).

`BotMemory` — що бачив сповіщувач (останній сигнал кожного символу, угоди, приглушені символи,
час останньої події); `answer` — чиста відповідь на текст команди (HTML для Telegram).
`BotPoller` опитує `getUpdates` (long polling) і відповідає лише чатам зі списку дозволених;
решта ігнорується й рахується (`ignored`).
"""

from __future__ import annotations

import asyncio
import html
import re
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from aione.config.config import NOTIFY_BOT_POLL_TIMEOUT_SEC, NOTIFY_BOT_TOP_N, NOTIFY_MUTE_MAX_HOURS
from aione.logging_setup import get_logger, log_ctx
from aione.notify.channels import DeliveryError, TelegramBotApi
from aione.notify.model import KIND_SIGNAL, KIND_TRADE_CLOSED, KIND_TRADE_OPENED, Alert
from aione.notify.text import TextContext, headline, plain_text, price_text
from aione.notify.worker import backoff_delay

logger = get_logger(__name__)
_CTX = log_ctx("notify-bot")
TOP_MAX_AGE_MS = 24 * 3_600_000  # /top: сигнали не старші за добу (час подій)
RECENT_CLOSED = 5
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")
_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}

_TEXT = {
    "uk": {
        "help": "Команди: /top, /why SYMBOL, /trades, /mute SYMBOL 2h, /unmute SYMBOL",
        "no_signals": "Сигналів поки немає.",
        "no_signal_for": "Сигналу для {s} поки немає.",
        "no_trades": "Угод поки немає.",
        "open": "Відкриті угоди:",
        "closed": "Закриті нещодавно:",
        "muted": "{s} приглушено на {d}.",
        "unmuted": "{s} знову сповіщається.",
        "bad_mute": "Формат: /mute SYMBOL 2h (m, h або d; не більше {h:g} год).",
    },
    "en": {
        "help": "Commands: /top, /why SYMBOL, /trades, /mute SYMBOL 2h, /unmute SYMBOL",
        "no_signals": "No signals yet.",
        "no_signal_for": "No signal for {s} yet.",
        "no_trades": "No trades yet.",
        "open": "Open trades:",
        "closed": "Recently closed:",
        "muted": "{s} muted for {d}.",
        "unmuted": "{s} notifications back on.",
        "bad_mute": "Usage: /mute SYMBOL 2h (m, h or d; at most {h:g} h).",
    },
}


@dataclass(slots=True)
class BotMemory:
    """Що бачив сповіщувач; час — час подій (мс)."""

    signals: dict[str, Alert] = field(default_factory=dict)  # символ → останній сигнал
    open_trades: dict[str, Alert] = field(default_factory=dict)  # trade_id → подія відкриття
    closed: deque[Alert] = field(default_factory=lambda: deque(maxlen=RECENT_CLOSED))
    muted: dict[str, int] = field(default_factory=dict)  # символ → до якого часу подій
    now_ts: int = 0

    def observe(self, alert: Alert) -> None:
        self.now_ts = max(self.now_ts, alert.ts)
        if alert.kind == KIND_SIGNAL:
            self.signals[alert.symbol] = alert
        elif alert.kind == KIND_TRADE_OPENED and alert.trade_id:
            self.open_trades[alert.trade_id] = alert
        elif alert.kind == KIND_TRADE_CLOSED:
            if alert.trade_id:
                self.open_trades.pop(alert.trade_id, None)
            self.closed.append(alert)


def parse_duration_ms(raw: str) -> int | None:
    """`90m`, `2h`, `1d` → мс; None — не розібрано або довше за `NOTIFY_MUTE_MAX_HOURS`."""
    match = _DURATION.match(raw.strip().lower())
    if not match:
        return None
    ms = int(float(match.group(1)) * _UNIT_MS[match.group(2)])
    return ms if 0 < ms <= NOTIFY_MUTE_MAX_HOURS * 3_600_000 else None


def answer(text: str, memory: BotMemory, ctx: TextContext) -> str | None:
    """Відповідь на команду (HTML) або None — не команда."""
    parts = text.strip().split()
    if not parts or not parts[0].startswith("/"):
        return None
    command = parts[0].split("@", 1)[0].lower()  # /top@MyBot у групах
    args = [p.upper() for p in parts[1:]]
    t = _TEXT.get(ctx.locale, _TEXT["uk"])
    if command == "/top":
        fresh = [a for a in memory.signals.values() if memory.now_ts - a.ts <= TOP_MAX_AGE_MS]
        fresh.sort(key=lambda a: (a.rank if a.rank is not None else -1.0, a.ts), reverse=True)
        if not fresh:
            return t["no_signals"]
        return "\n".join(
            f"{i}. {html.escape(headline(a, ctx))} · {a.rank if a.rank is not None else 0:.2f}"
            for i, a in enumerate(fresh[:NOTIFY_BOT_TOP_N], 1)
        )
    if command == "/why" and args:
        signal = memory.signals.get(args[0])
        return html.escape(plain_text(signal, ctx)) if signal else t["no_signal_for"].format(s=html.escape(args[0]))
    if command == "/trades":
        if not memory.open_trades and not memory.closed:
            return t["no_trades"]
        lines = []
        if memory.open_trades:
            lines.append(t["open"])
            for a in memory.open_trades.values():
                lines.append(f"{a.symbol} {a.side} @ {price_text(a.entry, a.tick_size)}")
        if memory.closed:
            lines.append(t["closed"])
            for a in reversed(memory.closed):
                pnl = "-" if a.pnl_pct is None else f"{a.pnl_pct:+.2f} %"
                r = "-" if a.pnl_r is None else f"{a.pnl_r:+.2f} R"
                lines.append(f"{a.symbol} {a.side} {a.close_reason or ''} {pnl} ({r})")
        return html.escape("\n".join(lines))
    if command == "/mute":
        duration = parse_duration_ms(parts[2]) if len(parts) == 3 else None
        if duration is None:
            return t["bad_mute"].format(h=NOTIFY_MUTE_MAX_HOURS)
        memory.muted[args[0]] = memory.now_ts + duration
        return t["muted"].format(s=html.escape(args[0]), d=html.escape(parts[2]))
    if command == "/unmute" and args:
        memory.muted.pop(args[0], None)
        return t["unmuted"].format(s=html.escape(args[0]))
    return t["help"]


def chat_of(update: dict[str, Any]) -> tuple[str | None, str]:
    """(id чату, текст) з оновлення `getUpdates`."""
    message = update.get("message") or update.get("edited_message") or {}
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    text = message.get("text") if isinstance(message, dict) else None
    return (str(chat_id) if chat_id is not None else None), (text if isinstance(text, str) else "")


class BotPoller:
    """Long polling `getUpdates` → відповіді дозволеним чатам."""

    def __init__(
        self,
        api: TelegramBotApi,
        allowed: Collection[str],
        memory: BotMemory,
        ctx: TextContext,
        *,
        poll_timeout: int = NOTIFY_BOT_POLL_TIMEOUT_SEC,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.api = api
        self.allowed = {str(c) for c in allowed}
        self.memory = memory
        self.ctx = ctx
        self.poll_timeout = poll_timeout
        self.sleep = sleep
        self.offset: int | None = None
        self.counters = {"updates": 0, "answered": 0, "ignored": 0, "errors": 0}

    async def handle(self, updates: list[dict[str, Any]]) -> None:
        """Обробляє пачку оновлень (і посуває `offset`, щоб Telegram їх не повторював)."""
        for update in updates:
            update_id = update.get("update_id")
            if isinstance(update_id, int):
                self.offset = max(self.offset or 0, update_id + 1)
            self.counters["updates"] += 1
            chat_id, text = chat_of(update)
            if chat_id is None or chat_id not in self.allowed:
                self.counters["ignored"] += 1
                continue
            reply = answer(text, self.memory, self.ctx)
            if reply is None:
                continue
            try:
                await self.api.send_message(chat_id, reply)
                self.counters["answered"] += 1
            except DeliveryError as exc:
                self.counters["errors"] += 1
                logger.warning("bot reply failed: %s", exc, extra=_CTX)

    async def run(self) -> None:
        """До скасування; хибний токен (4xx) зупиняє опитування з одним рядком журналу."""
        attempt = 0
        while True:
            try:
                updates = await self.api.get_updates(self.offset, self.poll_timeout)
            except DeliveryError as exc:
                self.counters["errors"] += 1
                if not exc.retryable:
                    logger.error("bot polling stopped: %s", exc, extra=_CTX)
                    return
                attempt += 1
                await self.sleep(backoff_delay(attempt))
                continue
            attempt = 0
            await self.handle(updates)


__all__ = ["BotMemory", "BotPoller", "answer", "chat_of", "parse_duration_ms"]
