"""Термінальний UI (`aione ui`): стежить за кадрами стану й малює Rich-таблицю.

Джерела кадрів:
- Redis — `RedisFrameSource` (спільний з веб-дашбордом): знімок `asset_state_snapshot` на
  старті, далі канал `asset_state_update`; пропуск у `seq` → перечитати знімок; обрив →
  повторне підключення з експоненційною паузою; хибний чи завеликий payload відкидається
  (`decode_frame` обмежує розпаковку) і рахується, споживач працює далі;
- `StateBus` у тому ж процесі (демо) — `BusFrameSource`: спершу останній кадр шини, далі
  підписка; кадри з `seq`, не новішим за показаний, пропускаються.
Кадр перед показом проходить схему (`ui.frame_schema`): хибний (наприклад, `recommendation` —
список або `seq`/`ts` = 2^62) відкидається й рахується (`rejected`, одне попередження), таблиця
показує останній придатний кадр і працює далі.
UI нічого не рахує: `now_ms` для позначки застарілості = `ts` останнього кадру + час, що
минув відтоді на монотонному годиннику (працює і для live, і для реплею історичних даних).
Таблиця підлаштовується під розмір терміналу (колонки за пріоритетом, без переносу); клавіші
(коли stdin — термінал): `s` — наступне сортування, ↑/↓ (або k/j) — обраний рядок, чий стан
сигналу й коротке пояснення показує рядок деталей під таблицею.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Final, Protocol

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from aione.config.config import UI_REFRESH_PER_SEC, UI_STALE_AFTER_SEC, UI_TOP_N
from aione.data.ws_worker import StateBus
from aione.logging_setup import get_logger, log_ctx
from aione.ui.frame_schema import FrameGuard
from aione.ui.ui_render import SORT_KEYS, next_sort, render_table

logger = get_logger(__name__)
Frame = Mapping[str, Any]
KEY_UP: Final = "up"
KEY_DOWN: Final = "down"
_ESCAPES: Final = {"\x1b[A": KEY_UP, "\x1b[B": KEY_DOWN, "\x1bOA": KEY_UP, "\x1bOB": KEY_DOWN}


def parse_keys(data: str) -> list[str]:
    """Натиснуті клавіші з прочитаних байтів терміналу: стрілки ↑/↓ → `up`/`down`, решта — символи."""
    keys: list[str] = []
    i = 0
    while i < len(data):
        seq = data[i : i + 3]
        if seq in _ESCAPES:
            keys.append(_ESCAPES[seq])
            i += 3
            continue
        keys.append(data[i])
        i += 1
    return keys


class FrameSource(Protocol):
    """Асинхронно-ітероване джерело кадрів."""

    def __aiter__(self) -> AsyncIterator[Frame]: ...


# ── Джерела ──
def _newer(frame: Frame, last: Frame | None) -> bool:
    """Кадр новіший за показаний: більший `seq`, або новіший `ts` (видавець перезапустився)."""
    if last is None:
        return True
    seq, last_seq = frame.get("seq"), last.get("seq")
    if isinstance(seq, int) and isinstance(last_seq, int) and seq > last_seq:
        return True
    ts, last_ts = frame.get("ts"), last.get("ts")
    return isinstance(ts, int) and isinstance(last_ts, int) and ts > last_ts


class BusFrameSource:
    """Кадри з внутрішньопроцесної `StateBus`: знімок, потім підписка (повільний UI втрачає
    старі кадри в черзі шини, але завжди доходить до найсвіжішого)."""

    def __init__(self, bus: StateBus) -> None:
        self.bus = bus

    async def __aiter__(self) -> AsyncIterator[Frame]:
        sub = self.bus.subscribe()
        last: Frame | None = None
        try:
            if self.bus.snapshot is not None:
                last = self.bus.snapshot
                yield last
            async for frame in sub:
                if _newer(frame, last):
                    last = frame
                    yield frame
        finally:
            sub.close()


def redis_source(url: str) -> FrameSource:
    """Джерело з Redis (знімок + канал, пропуски, перепідключення, відкидання хибних кадрів)."""
    from aione.ui.web.redis_source import RedisFrameSource

    return RedisFrameSource(url)


# ── Стан UI ──
class TerminalUI:
    """Останній кадр і його малювання; `follow` читає джерело, `run` — живий екран."""

    def __init__(
        self,
        source: FrameSource,
        *,
        console: Console | None = None,
        top_n: int = UI_TOP_N,
        stale_after_sec: float = UI_STALE_AFTER_SEC,
        refresh_per_sec: float = UI_REFRESH_PER_SEC,
    ) -> None:
        self.source = source
        self.console = console or Console()
        self.top_n = top_n
        self.stale_after_sec = stale_after_sec
        self.refresh_per_sec = refresh_per_sec
        self.frame: Frame | None = None
        self.frames = 0
        self.guard = FrameGuard(logger, "ui")
        self._received_at = 0.0
        self.sort_key = SORT_KEYS[0]
        self.selected = 0

    def on_key(self, key: str) -> None:
        """Клавіша: `s` — наступне сортування (вибір — на перший рядок), ↑/↓ або k/j — обраний рядок."""
        rows = len(self.frame.get("assets", [])) if self.frame is not None else 0
        if key in ("s", "S"):
            self.sort_key = next_sort(self.sort_key)
            self.selected = 0
        elif key in (KEY_DOWN, "j") and rows:
            self.selected = min(rows - 1, self.selected + 1)
        elif key in (KEY_UP, "k"):
            self.selected = max(0, self.selected - 1)

    def now_ms(self) -> int:
        """Час для позначки застарілості: `ts` кадру + скільки минуло від його отримання."""
        if self.frame is None:
            return 0
        return int(self.frame.get("ts", 0)) + int((time.monotonic() - self._received_at) * 1000)

    def accept(self, frame: Frame) -> None:
        self.frame = frame
        self.frames += 1
        self._received_at = time.monotonic()

    def renderable(self) -> RenderableType:
        if self.frame is None:
            return Text("AiOne: очікування першого кадру стану…", style="dim")
        size = self.console.size
        return render_table(
            self.frame,
            self.now_ms(),
            top_n=self.top_n,
            stale_after_sec=self.stale_after_sec,
            width=size.width,
            height=size.height,
            sort_key=self.sort_key,
            selected=self.selected,
        )

    def _attach_keys(self) -> Callable[[], None] | None:
        """Читання клавіш зі stdin у режимі cbreak (лише коли stdin — термінал); повертає відновлення."""
        if not sys.stdin.isatty():
            return None
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        loop = asyncio.get_running_loop()

        def on_read() -> None:
            for key in parse_keys(os.read(fd, 64).decode(errors="ignore")):
                self.on_key(key)

        loop.add_reader(fd, on_read)

        def restore() -> None:
            loop.remove_reader(fd)
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

        return restore

    @property
    def rejected(self) -> int:
        """Скільки кадрів відкинула схема."""
        return self.guard.rejected

    async def follow(self) -> None:
        """Читає джерело, доки воно не скінчиться; хибні кадри відкидаються схемою."""
        async for frame in self.source:
            if self.guard.ok(frame):
                self.accept(frame)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Живий екран: перемальовує таблицю `refresh_per_sec` разів на секунду (позначка
        застарілості з'являється і тоді, коли кадри перестали надходити)."""
        stop = stop or asyncio.Event()
        follower = asyncio.create_task(self.follow(), name="ui-follow")
        follower.add_done_callback(lambda _t: stop.set())
        restore_keys = self._attach_keys()
        try:
            with Live(self.renderable(), console=self.console, auto_refresh=False, transient=False) as live:
                while not stop.is_set():
                    live.update(self.renderable(), refresh=True)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=1.0 / self.refresh_per_sec)
                live.update(self.renderable(), refresh=True)
        finally:
            if restore_keys is not None:
                restore_keys()
            follower.cancel()
            (outcome,) = await asyncio.gather(follower, return_exceptions=True)
            if isinstance(outcome, Exception):
                logger.error("ui source failed: %r", outcome, extra=log_ctx("ui"))


async def run_ui(
    redis_url: str | None = None,
    bus: StateBus | None = None,
    *,
    console: Console | None = None,
    stop: asyncio.Event | None = None,
    top_n: int = UI_TOP_N,
) -> None:
    """Термінальний UI з Redis (`redis_url`) або з шини в процесі (`bus`)."""
    if bus is not None:
        source: FrameSource = BusFrameSource(bus)
    elif redis_url:
        source = redis_source(redis_url)
    else:
        raise ValueError("run_ui needs redis_url or bus")
    await TerminalUI(source, console=console, top_n=top_n).run(stop)


__all__ = [
    "KEY_DOWN",
    "KEY_UP",
    "BusFrameSource",
    "FrameSource",
    "TerminalUI",
    "parse_keys",
    "redis_source",
    "render_table",
    "run_ui",
]
