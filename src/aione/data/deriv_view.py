"""Короткий підсумок деривативних рядів символу для рядка кадру (`deriv`) — з того самого знімка,
що бачить Stage2 (`signals.deriv_context.deriv_context`), тож кадр і пояснення сигналу не
розходяться в числах: ті самі вікна, правила свіжості й перцентиль.

Поля (None — даних немає або точка застара, нічого не вигадується):
- `book_state` — fresh | stale | crossed | missing, `book_age_sec` — вік книги за годинником біржі
  (0.1 с), `book_imbalance` — (bid − ask) / (bid + ask) обсягів у смузі сховища, `depth_usd` — bid + ask;
- `oi` — відкритий інтерес, не старший за `oi_max_age_ms`; `oi_change_15m_pct` — зміна OI за вікно
  `oi_window_min` (типово 15 хв) так, як її рахує тригер `oi_surge`;
- `funding_rate`, `funding_pct_rank` — ставка (частка: 0.0001 = 0.01 %) і її перцентиль серед
  останніх `funding_rank_points` точок (не менше `funding_min_points`), як у Stage2;
- `liq_usd_15m` — ліквідації обох боків за 15 хв тим самим підрахунком (у центах), що й у знімку;
  0.0, коли за добу їх не було зовсім (знімок Stage2 тоді каже None: не знає, чи потік був).

`FrameDerivs` — те саме з кешем для кадру на сотні символів: частини знімка (OI, фінансування,
ліквідації) рахуються заново лише тоді, коли змінився їхній ряд або час кадру дійшов до межі, де
результат може змінитися (наступна точка, межа свіжості, край вікна); книга — на кожен виклик
(її вік іде з часом). Незмінний підсумок повертається тим самим об'єктом (агрегатор не
округлює його вдруге).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from aione.data.deriv_store import DerivStore
from aione.signals.deriv_context import (
    DEFAULT_DERIV_PARAMS,
    DerivContext,
    DerivParams,
    SeriesView,
    deriv_context,
)
from aione.signals.deriv_math import IntArray

WINDOW_MS = 15 * 60_000  # вікно `liq_usd_15m`
_NEVER = math.inf
_PARTS = ("oi", "mark", "liq")  # частини знімка, що кешуються; книга — щоразу


# ── Параметри й поля ──
def frame_params(params: DerivParams = DEFAULT_DERIV_PARAMS, book_stale_ms: int | None = None) -> DerivParams:
    """Параметри знімка для кадру: як у Stage2, але ліквідації — за `WINDOW_MS` (назва поля — 15 хв)."""
    out = replace(params, liq_window_ms=WINDOW_MS)
    return out if book_stale_ms is None else replace(out, book_stale_ms=book_stale_ms)


def _book_fields(ctx: DerivContext) -> dict[str, Any]:
    age = ctx.book_age_ms
    return {
        "book_state": ctx.book_state,
        "book_age_sec": None if age is None else round(max(0, age) / 1000.0, 1),
        "book_imbalance": ctx.book_imbalance,
        "depth_usd": ctx.depth_usd,
    }


def _part_fields(part: str, ctx: DerivContext) -> dict[str, Any]:
    if part == "oi":
        return {"oi": ctx.oi, "oi_change_15m_pct": ctx.oi_change_pct}
    if part == "mark":
        return {"funding_rate": ctx.funding_rate, "funding_pct_rank": ctx.funding_pct_rank}
    long_usd, short_usd = ctx.liq_long_usd, ctx.liq_short_usd
    total = 0.0 if long_usd is None or short_usd is None else long_usd + short_usd
    return {"liq_usd_15m": total}


def _only(store: DerivStore, kind: str | None = None) -> Callable[[str, str], SeriesView | None]:
    """Джерело рядів сховища; з `kind` — лише цей вид (інші — None): знімок рахує одну частину."""

    def source(symbol: str, wanted: str) -> SeriesView | None:
        return store.series(symbol, wanted) if kind in (None, wanted) else None  # type: ignore[arg-type]

    return source


def _assemble(book: dict[str, Any], parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {**book, **parts["oi"], **parts["mark"], **parts["liq"]}


def deriv_summary(
    store: DerivStore,
    symbol: str,
    now_ms: int,
    book_stale_ms: int | None = None,
    params: DerivParams = DEFAULT_DERIV_PARAMS,
) -> dict[str, Any] | None:
    """Підсумок символу на `now_ms` (час біржі) або None, якщо сховище про символ нічого не має.

    Числа — зі знімка `deriv_context(store.series, symbol, now_ms, frame_params(params))`.
    `book_stale_ms` — межа свіжості книги (None — з `params`, а без них — межа сховища)."""
    if store.series(symbol, "book") is None:
        return None
    if book_stale_ms is None and params is DEFAULT_DERIV_PARAMS:
        book_stale_ms = store.windows.book_stale_ms
    ctx = deriv_context(_only(store), symbol, now_ms, frame_params(params, book_stale_ms))
    return _assemble(_book_fields(ctx), {part: _part_fields(part, ctx) for part in _PARTS})


# ── Межі часу, до яких частина знімка не змінюється ──
def _valid_until(part: str, ts: IntArray, t: int, params: DerivParams) -> float:
    """Найраніший час > t, коли частину знімка (при тих самих точках ряду) треба рахувати заново.

    OI і фінансування залежать від часу лише через останню точку ≤ t і її свіжість; ліквідації —
    ще й через край вікна (t − вікно, t] і правило «за добу була хоч одна»."""
    n = ts.shape[0]
    hi = int(np.searchsorted(ts, t, side="right"))  # точок з часом ≤ t
    until = float(ts[hi]) if hi < n else _NEVER  # наступна точка входить у знімок
    if hi == 0:
        return until
    last = int(ts[hi - 1])
    if part in ("oi", "mark"):
        max_age = params.oi_max_age_ms if part == "oi" else params.mark_max_age_ms
        if t - last <= max_age:
            until = min(until, last + max_age + 1)  # точка застаріває
        return until
    if t < last + params.liq_known_ms:
        until = min(until, last + params.liq_known_ms)  # добу без ліквідацій — невідомо
    lo = int(np.searchsorted(ts, t - params.liq_window_ms, side="right"))
    if lo < hi:
        until = min(until, int(ts[lo]) + params.liq_window_ms)  # найстаріша виходить з вікна
    return until


# ── Кеш для кадру ──
class _Part:
    """Частина знімка одного символу: поля, ключ ряду (довжина, перший і останній час, останнє
    значення), час обчислення і межа, до якої поля чинні."""

    __slots__ = ("fields", "key", "since", "until")

    def __init__(self, fields: dict[str, Any], key: tuple[Any, ...], since: int, until: float) -> None:
        self.fields = fields
        self.key = key
        self.since = since
        self.until = until


class FrameDerivs:
    """Джерело поля `deriv` рядків кадру: `deriv_summary` на годиннику `clock` з кешем частин."""

    def __init__(self, store: DerivStore, params: DerivParams, clock: Callable[[], int]) -> None:
        self.store = store
        self.params = frame_params(params)
        self.clock = clock
        self._parts: dict[tuple[str, str], _Part] = {}
        self._last: dict[str, dict[str, Any]] = {}
        self.recomputed = 0  # скільки частин перераховано (для тестів і профілю)

    def __call__(self, symbol: str) -> dict[str, Any] | None:
        store = self.store
        book_ring = store.series(symbol, "book")
        if book_ring is None:
            return None
        t = int(self.clock())
        if len(book_ring):
            book = _book_fields(deriv_context(_only(store, "book"), symbol, t, self.params))
        else:
            book = _book_fields(DerivContext(t))
        parts = {part: self._part(symbol, part, t) for part in _PARTS}
        out = _assemble(book, parts)
        last = self._last.get(symbol)
        if last == out:
            return last  # той самий об'єкт: агрегатор бере округлене з кешу
        self._last[symbol] = out
        return out

    def _part(self, symbol: str, part: str, t: int) -> dict[str, Any]:
        ring = self.store.series(symbol, part)  # type: ignore[arg-type]
        key: tuple[Any, ...] = ()
        ts: IntArray = np.empty(0, dtype=np.int64)
        if ring is not None and len(ring):
            ts = ring.times()
            column = "open_interest" if part == "oi" else "funding_rate" if part == "mark" else "notional"
            key = (ts.shape[0], int(ts[0]), int(ts[-1]), ring.last(column))
        cached = self._parts.get((symbol, part))
        if cached is not None and cached.key == key and cached.since <= t < cached.until:
            return cached.fields
        ctx = deriv_context(_only(self.store, part), symbol, t, self.params)
        until = _valid_until(part, ts, t, self.params) if key else _NEVER
        fields = _part_fields(part, ctx)
        self._parts[(symbol, part)] = _Part(fields, key, t, until)
        self.recomputed += 1
        return fields


__all__ = ["WINDOW_MS", "FrameDerivs", "deriv_summary", "frame_params"]
