"""Тригер RSI: перекупленість/перепроданість і дивергенції за двома останніми півотами.

Перекупленість/перепроданість: RSI ≥ `rsi_overbought` → `rsi_overbought` (up: ціну
розтягнуто вгору), RSI ≤ `rsi_oversold` → `rsi_oversold` (down). Пороги динамічні: монітор
додає дельти стану ринку і розширює їх множником `dynamic_rsi_multiplier` у трендовому чи
волатильному режимі, тут вони вже готові.

Дивергенція: півоти ціни (`aione.indicators.SwingPivots(pivot_left, pivot_right)`) — півот на
барі i підтверджується лише після закриття бару i + right, тож заглядання вперед немає.
Для кожного підтвердженого півота запам'ятовується RSI на його барі. Коли підтверджено новий
максимум-півот, а попередній максимум-півот був не далі `divergence_lookback` барів, і
ціна вища, а RSI нижчий → ведмежа дивергенція (`bearish_divergence`, down); дзеркально для
мінімумів → бичача (`bullish_divergence`, up). Дивергенція лишається активною
`divergence_hold_bars` закритих барів, починаючи з бару підтвердження, і гасне раніше, якщо
close виходить за ціну нового півота (ведмежа — вище за максимум, бичача — нижче за мінімум):
тоді її причина вже спростована ринком.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from aione.config.config import TRIGGER_TAG_RSI
from aione.indicators import SwingPivots
from aione.stage1.asset_triggers.base import DOWN, UP, TriggerInput, TriggerResult, TriggerSpec, finite, fired


# ── Тригер ──
class RsiDivergenceTrigger:
    """Стан: детектор півотів, RSI недавніх барів, останні півоти й активні дивергенції."""

    def __init__(self, left: int, right: int, lookback: int, hold: int, min_gap: float = 0.0) -> None:
        self._min_gap = min_gap
        self._left = left
        self._right = right
        self._lookback = lookback
        self._hold = hold
        self.reset()

    def reset(self) -> None:
        """Забуває все (після розриву в барах)."""
        self._pivots = SwingPivots(self._left, self._right)
        # open_time → (номер бару, RSI); довжина покриває затримку підтвердження півота.
        self._recent: deque[tuple[int, int, float]] = deque(maxlen=self._left + self._right + 2)
        self._last: dict[str, tuple[int, float, float]] = {}  # kind → (номер, ціна, RSI)
        # kind дивергенції → (останній активний номер бару, ціна півота, числа)
        self._active: dict[str, tuple[int, float, dict[str, float]]] = {}

    def _commit(self, inp: TriggerInput) -> None:
        self._recent.append((inp.bar.open_time, inp.index, inp.snap.rsi))
        for pv in self._pivots.update(inp.bar):
            found = next(((i, r) for t, i, r in self._recent if t == pv.open_time), None)
            if found is None:
                continue
            idx, rsi = found
            prev = self._last.get(pv.kind)
            self._last[pv.kind] = (idx, float(pv.price), rsi)
            if prev is None or not (finite(rsi) and finite(prev[2])) or idx - prev[0] > self._lookback:
                continue
            p_idx, p_price, p_rsi = prev
            values = {
                "price_1": p_price,
                "price_2": float(pv.price),
                "rsi_1": p_rsi,
                "rsi_2": rsi,
                "bars_apart": float(idx - p_idx),
            }
            if abs(rsi - p_rsi) < self._min_gap:
                continue
            if pv.kind == "high" and pv.price > p_price and rsi < p_rsi:
                self._active["bearish"] = (inp.index + self._hold - 1, float(pv.price), values)
            elif pv.kind == "low" and pv.price < p_price and rsi > p_rsi:
                self._active["bullish"] = (inp.index + self._hold - 1, float(pv.price), values)

    def evaluate(self, inp: TriggerInput, th: Mapping[str, Any]) -> Sequence[TriggerResult]:
        if inp.closed:
            self._commit(inp)
        rsi = inp.snap.rsi
        active = self._active
        if active:
            return self._with_divergence(inp, rsi, th)
        if rsi >= th["rsi_overbought"]:  # NaN не проходить
            return (fired("rsi_overbought", UP, {"rsi": rsi, "threshold": th["rsi_overbought"]}),)
        if rsi <= th["rsi_oversold"]:
            return (fired("rsi_oversold", DOWN, {"rsi": rsi, "threshold": th["rsi_oversold"]}),)
        return ()

    def _with_divergence(self, inp: TriggerInput, rsi: float, th: Mapping[str, Any]) -> list[TriggerResult]:
        out: list[TriggerResult] = []
        if rsi >= th["rsi_overbought"]:
            out.append(fired("rsi_overbought", UP, {"rsi": rsi, "threshold": th["rsi_overbought"]}))
        elif rsi <= th["rsi_oversold"]:
            out.append(fired("rsi_oversold", DOWN, {"rsi": rsi, "threshold": th["rsi_oversold"]}))
        close = inp.bar.close
        bear = self._active.get("bearish")
        if bear is not None:
            until, level, values = bear
            if inp.index <= until and close <= level:
                out.append(fired("bearish_divergence", DOWN, dict(values)))
            elif inp.closed:
                del self._active["bearish"]
        bull = self._active.get("bullish")
        if bull is not None:
            until, level, values = bull
            if inp.index <= until and close >= level:
                out.append(fired("bullish_divergence", UP, dict(values)))
            elif inp.closed:
                del self._active["bullish"]
        return out


def _factory(params: Mapping[str, Any]) -> RsiDivergenceTrigger:
    return RsiDivergenceTrigger(
        left=int(params["pivot_left"]),
        right=int(params["pivot_right"]),
        lookback=int(params["divergence_lookback"]),
        hold=int(params["divergence_hold_bars"]),
        min_gap=float(params["divergence_min_rsi_gap"]),
    )


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_RSI,
    raw_names=("rsi_overbought", "rsi_oversold", "bearish_divergence", "bullish_divergence"),
    factory=_factory,
)

__all__ = ["SPEC", "RsiDivergenceTrigger"]
