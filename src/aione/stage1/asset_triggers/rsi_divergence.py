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
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.config.config import TRIGGER_TAG_RSI
from aione.indicators import SwingPivots, swing_pivots
from aione.stage1.asset_triggers.base import (
    DOWN,
    DOWN_CODE,
    UP,
    UP_CODE,
    BatchFires,
    BatchInput,
    Fired,
    FloatArray,
    Rows,
    TriggerInput,
    TriggerResult,
    TriggerSpec,
    finite,
    fired,
    fired_tuple,
)
from aione.stage1.batch_series import Stage1Series


# ── Інкрементна форма ──
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


# ── Пакетна форма ──
# Стан тригера (дивергенції між двома останніми півотами, їх утримання і згасання) — малий цикл
# Python лише над активаціями; перекупленість/перепроданість — маски.
@dataclass(frozen=True, slots=True)
class Divergence:
    """Активація дивергенції: бар підтвердження (глобальний індекс), ціна нового півота і числа."""

    bar: int
    level: float
    values: dict[str, float]


def _activations(
    s: Stage1Series,
    prices: FloatArray,
    idx: npt.NDArray[np.int64],
    a: int,
    bearish: bool,
    p: Mapping[str, Any],
) -> list[Divergence]:
    """Активації одного виду в сегменті з першим баром `a` (`idx` — півоти, номери від початку сегмента)."""
    if idx.shape[0] < 2:
        return []
    right = int(p["pivot_right"])
    rsi = s.rsi[a + idx]
    price = prices[a + idx]
    r1, r2 = rsi[:-1], rsi[1:]
    p1, p2 = price[:-1], price[1:]
    apart = idx[1:] - idx[:-1]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(r1) & np.isfinite(r2) & (apart <= int(p["divergence_lookback"]))
        ok &= ~(np.abs(r2 - r1) < float(p["divergence_min_rsi_gap"]))
        ok &= (p2 > p1) & (r2 < r1) if bearish else (p2 < p1) & (r2 > r1)
    out: list[Divergence] = []
    for k in np.flatnonzero(ok).tolist():
        values = {
            "price_1": float(p1[k]),
            "price_2": float(p2[k]),
            "rsi_1": float(r1[k]),
            "rsi_2": float(r2[k]),
            "bars_apart": float(apart[k]),
        }
        out.append(Divergence(a + int(idx[k + 1]) + right, float(p2[k]), values))
    return out


def _hold_mask(
    acts: list[Divergence],
    close: list[float],
    seg_end: int,
    hold: int,
    bearish: bool,
    src: npt.NDArray[np.int64],
) -> None:
    """Позначає в `src` бари, на яких активація k ще спрацьовує: від бару підтвердження протягом
    `hold` барів, до першого close за ціною півота (тоді тригер її видаляє) або до заміни новою."""
    for k, act in enumerate(acts):
        stop = min(act.bar + hold, seg_end)
        if k + 1 < len(acts):
            stop = min(stop, acts[k + 1].bar)
        level = act.level
        for t in range(act.bar, stop):
            c = close[t]
            if (c > level) if bearish else (c < level):
                break
            src[t] = k


_Kind = tuple[list[Divergence], npt.NDArray[np.int64]]


def _divergences(inp: BatchInput) -> tuple[_Kind, _Kind]:
    """(ведмежі, бичачі): активації по всіх сегментах і на кожному барі — індекс активної (−1 — немає)."""
    s, p, bars = inp.s, inp.p, inp.bars
    n = s.rsi.shape[0]
    left, right = int(p["pivot_left"]), int(p["pivot_right"])
    hold = int(p["divergence_hold_bars"])
    bounds = [*s.starts.tolist(), n]
    close = s.close.tolist()
    kinds: tuple[_Kind, _Kind] = (([], np.full(n, -1, dtype=np.int64)), ([], np.full(n, -1, dtype=np.int64)))
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        h = np.ascontiguousarray(bars.high[a:b], dtype=np.float64)
        lo = np.ascontiguousarray(bars.low[a:b], dtype=np.float64)
        pivots = swing_pivots(h, lo, left, right, check=False)
        for (acts, src), idx, prices, bearish in zip(
            kinds, pivots, (bars.high, bars.low), (True, False), strict=True
        ):
            seg = _activations(s, prices, idx, a, bearish, p)
            _hold_mask(seg, close, b, hold, bearish, src)
            src[a:b][src[a:b] >= 0] += len(acts)
            acts.extend(seg)
    return kinds


def batch(inp: BatchInput) -> BatchFires:
    """Маски на всіх барах: перекупленість/перепроданість і дивергенції."""
    rsi = inp.s.rsi
    with np.errstate(invalid="ignore"):
        ob = rsi >= inp.th("rsi_overbought")
        os_ = ~ob & (rsi <= inp.th("rsi_oversold"))
    (bearish, bear_src), (bullish, bull_src) = _divergences(inp)

    def details(i: int, k: int, col: Rows, th: Mapping[str, Any]) -> list[Fired]:
        value = col["rsi"][k]
        out: list[Fired] = []
        if value >= th["rsi_overbought"]:
            out.append(fired_tuple("rsi_overbought", UP, {"rsi": value, "threshold": th["rsi_overbought"]}))
        elif value <= th["rsi_oversold"]:
            out.append(fired_tuple("rsi_oversold", DOWN, {"rsi": value, "threshold": th["rsi_oversold"]}))
        if bear_src[i] >= 0:
            out.append(fired_tuple("bearish_divergence", DOWN, dict(bearish[int(bear_src[i])].values)))
        if bull_src[i] >= 0:
            out.append(fired_tuple("bullish_divergence", UP, dict(bullish[int(bull_src[i])].values)))
        return out

    masks = {
        "rsi_overbought": (ob, UP_CODE),
        "rsi_oversold": (os_, DOWN_CODE),
        "bearish_div": (bear_src >= 0, DOWN_CODE),
        "bullish_div": (bull_src >= 0, UP_CODE),
    }
    return BatchFires(masks, details)


SPEC = TriggerSpec(
    tag=TRIGGER_TAG_RSI,
    raw_names=("rsi_overbought", "rsi_oversold", "bearish_divergence", "bullish_divergence"),
    factory=_factory,
    batch=batch,
)

__all__ = ["SPEC", "Divergence", "RsiDivergenceTrigger", "batch"]
