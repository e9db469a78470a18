"""Побудова ручних послідовностей барів для тестів Stage1 і прогін через монітор."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aione.data.bars import Bar, BarEvent
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.result import Stage1Result

MIN = 60_000
T0 = 1_748_736_000_000  # 2025-06-01 00:00 UTC


def bar(
    i: int,
    o: float,
    h: float,
    low: float,
    c: float,
    v: float = 10.0,
    *,
    taker: float = 0.0,
    closed: bool = True,
    t0: int = T0,
) -> Bar:
    """Бар з номером хвилини `i` від `t0`."""
    return Bar(t0 + i * MIN, o, h, low, c, v, quote_volume=v * c, taker_buy_volume=taker, closed=closed)


def calm(n: int, price: float = 100.0, *, start: int = 0, vol: float = 10.0, swing: float = 0.1) -> list[Bar]:
    """Тихий ринок: бари поперемінно вгору/вниз на `swing` навколо `price`, обсяг vol ± 10 %."""
    out = []
    for k in range(n):
        i = start + k
        up = i % 2 == 0
        o, c = (price - swing / 2, price + swing / 2) if up else (price + swing / 2, price - swing / 2)
        out.append(bar(i, o, max(o, c) + swing / 2, min(o, c) - swing / 2, c, vol * (1.1 if up else 0.9)))
    return out


def path(closes: Sequence[float], *, start: int = 0, vol: float = 10.0, wick: float = 0.05) -> list[Bar]:
    """Бари з заданих close: open = попередній close, тіні по `wick`."""
    out = []
    prev = closes[0]
    for k, c in enumerate(closes):
        o = prev
        out.append(bar(start + k, o, max(o, c) + wick, min(o, c) - wick, c, vol * (1.1 if k % 2 else 0.9)))
        prev = c
    return out


def only(tag: str, **params: Any) -> AssetMonitor:
    """Монітор лише з одним тригером; `params` перекривають параметри символу."""
    switches = {
        t: t == tag for t in ("volume_spike", "rsi", "breakout", "volatility_spike", "vwap_deviation")
    }
    return AssetMonitor(switches=switches, symbol_overrides={"TESTUSDT": params} if params else None)


def run(mon: AssetMonitor, bars: Iterable[Bar], symbol: str = "TESTUSDT") -> list[Stage1Result]:
    """Проганяє бари через `update`, повертає всі результати."""
    return [mon.update(BarEvent(symbol, "1m", b)) for b in bars]


def names(res: Stage1Result) -> set[str]:
    """Нормалізовані причини результату."""
    return set(res.trigger_reasons)


def details(res: Stage1Result, name: str) -> Mapping[str, float]:
    """Числа тригера `name`."""
    return res.trigger_details[name]
