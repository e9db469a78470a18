"""Метадані запуску в кожному кадрі стану (`frame["meta"]`): режим, швидкість, час ринку, мова;
з живим виконанням — ще розділ `execution` (`with_execution`).

UI (термінал і веб) беруть позначку «демо» звідси, а не вгадують її: демо над записаними барами
йде з віртуальним годинником симулятора, і людина біля екрана має бачити і це, і час ринку.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aione.ui.labels import MODE_DEMO, MODE_LIVE

MetaSource = Callable[[], dict[str, Any]]


def frame_meta_source(mode: str, speed: float, clock: Callable[[], int], locale: str) -> MetaSource:
    """Функція, що дає `meta` кадру зараз: `mode` (live | demo), `speed`, `market_clock_ms`, `locale`."""
    fixed_mode = MODE_DEMO if mode == MODE_DEMO else MODE_LIVE

    def meta() -> dict[str, Any]:
        return {"mode": fixed_mode, "speed": float(speed), "market_clock_ms": int(clock()), "locale": locale}

    return meta


def with_execution(meta: MetaSource, section: Callable[[], dict[str, Any]]) -> MetaSource:
    """`meta` кадру з розділом `execution` (живий брокер: режим, kill switch, останні події)."""

    def combined() -> dict[str, Any]:
        return {**meta(), "execution": section()}

    return combined


__all__ = ["MetaSource", "frame_meta_source", "with_execution"]
