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
ліквідації) рахуються заново лише тоді, коли змінився їхній ряд (`SeriesRing.version`) або час
кадру дійшов до межі, де результат може змінитися (наступна точка, межа свіжості, край вікна);
точка книги — так само, а її вік і стан (свіжа/застара) — на кожен виклик із часу точки, без
знімка. Незмінний підсумок повертається тим самим об'єктом (агрегатор не округлює його вдруге).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from aione.data.deriv_series import SeriesRing
from aione.data.deriv_store import DerivStore
from aione.signals.deriv_context import (
    BOOK_CROSSED,
    BOOK_FRESH,
    BOOK_MISSING,
    BOOK_STALE,
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
    """Частина знімка одного символу (OI, фінансування чи ліквідації): поля, ряд і його `version`
    на момент обчислення, час обчислення, межа, до якої поля чинні, і підпис вмісту (`_mark_signature`,
    лише для фінансування)."""

    __slots__ = ("fields", "ring", "version", "since", "until", "signature")

    def __init__(
        self,
        fields: dict[str, Any],
        ring: object,
        version: int,
        since: int,
        until: float,
        signature: tuple[Any, ...] | None = None,
    ) -> None:
        self.fields = fields
        self.ring = ring
        self.version = version
        self.since = since
        self.until = until
        self.signature = signature


def _mark_signature(ring: SeriesRing, t: int, params: DerivParams) -> tuple[Any, ...]:
    """Усе, від чого залежать поля фінансування на `t`: (кількість точок, час першої, позиція точки
    ≤ t, її ставка, чи вона свіжа). Час першої точки не спадає, а за того самого часу кількість
    росте лише з додаванням, тож рівні підписи означають: ставки [0, позиція) ті самі, а заміщення
    в кошику змінило хіба останню точку — її ставку підпис містить. Марк-ціна кожного заміщення
    (найчастіша зміна ряду) на поля не впливає: перцентиль не рахується заново."""
    ts = ring.times()
    n = ts.shape[0]
    if n == 0:
        return (0,)
    pos = int(np.searchsorted(ts, t, side="right")) - 1
    if pos < 0:
        return (n, int(ts[0]), pos)
    fresh = t - int(ts[pos]) <= params.mark_max_age_ms
    return (n, int(ts[0]), pos, float(ring.column("funding_rate")[pos]), fresh)


class _Entry:
    """Підсумок символу між змінами: ключ рядів (ряд, version) × 4, проміжок часу [since, until),
    де частини OI/фінансування/ліквідацій і вибрана точка книги не змінюються, поля цих частин і
    точка книги (час, схрещена, дисбаланс, глибина). Вік і стан книги — на кожен виклик з часу точки."""

    __slots__ = ("key", "since", "until", "static", "book_ts", "crossed", "imbalance", "depth")

    def __init__(self, key: tuple[Any, ...], since: int, until: float, static: dict[str, Any]) -> None:
        self.key = key
        self.since = since
        self.until = until
        self.static = static
        self.book_ts: int | None = None  # час точки книги з часом ≤ t (None — книги немає)
        self.crossed = False
        self.imbalance: float | None = None
        self.depth: float | None = None

    def book_fields(self, t: int, stale_ms: int) -> dict[str, Any]:
        """Поля книги на `t` — як `_book_fields(deriv_context(...))` для тієї самої точки."""
        ts = self.book_ts
        if ts is None:
            return {
                "book_state": BOOK_MISSING,
                "book_age_sec": None,
                "book_imbalance": None,
                "depth_usd": None,
            }
        age = t - ts
        state = BOOK_CROSSED if self.crossed else BOOK_STALE if age > stale_ms else BOOK_FRESH
        return {
            "book_state": state,
            "book_age_sec": round(max(0, age) / 1000.0, 1),
            "book_imbalance": self.imbalance,
            "depth_usd": self.depth,
        }


def _opt(x: float) -> float | None:
    return x if x == x else None  # noqa: PLR0124 — NaN → None, як у знімку


class FrameDerivs:
    """Джерело поля `deriv` рядків кадру: `deriv_summary` на годиннику `clock` з кешем.

    На кадр для символу — один пошук рядів у сховищі, порівняння їхніх `version` з ключем запису й
    перевірка, що час кадру ще в проміжку, де частини знімка не змінюються; тоді лише вік і стан
    книги рахуються з часу її точки. Інакше заново — лише частини, чий ряд змінився або чия межа
    часу настала (`_valid_until`), і точка книги."""

    def __init__(self, store: DerivStore, params: DerivParams, clock: Callable[[], int]) -> None:
        self.store = store
        self.params = frame_params(params)
        self.clock = clock
        self._parts: dict[tuple[str, str], _Part] = {}
        self._entries: dict[str, _Entry] = {}
        self._last: dict[str, dict[str, Any]] = {}
        self.recomputed = 0  # скільки частин перераховано (для тестів і профілю)
        self.refreshed = 0  # скільки разів запис символу збирався заново

    def __call__(self, symbol: str) -> dict[str, Any] | None:
        rings = self.store.rings(symbol)
        if rings is None:
            return None
        t = int(self.clock())
        book, oi, mark, liq = rings["book"], rings["oi"], rings["mark"], rings["liq"]
        key = (book, book.version, oi, oi.version, mark, mark.version, liq, liq.version)
        entry = self._entries.get(symbol)
        if entry is None or entry.key != key or not entry.since <= t < entry.until:
            entry = self._refresh(symbol, rings, key, t)
        out = {**entry.book_fields(t, self.params.book_stale_ms), **entry.static}
        last = self._last.get(symbol)
        if last == out:
            return last  # той самий об'єкт: агрегатор бере округлене з кешу
        self._last[symbol] = out
        return out

    def _refresh(self, symbol: str, rings: Mapping[str, SeriesRing], key: tuple[Any, ...], t: int) -> _Entry:
        static: dict[str, Any] = {}
        since, until = t, _NEVER
        for part in _PARTS:
            cached = self._part(symbol, part, rings[part], t)
            static.update(cached.fields)
            since, until = max(since, cached.since), min(until, cached.until)
        entry = _Entry(key, since, until, static)
        ring = rings["book"]
        if len(ring):
            ts = ring.times()
            pos = int(np.searchsorted(ts, t, side="right")) - 1
            if pos + 1 < ts.shape[0]:
                entry.until = min(entry.until, int(ts[pos + 1]))  # наступна точка книги входить у знімок
            if pos >= 0:
                spread = float(ring.column("spread_bps")[pos])
                bid = _opt(float(ring.column("bid_usd")[pos]))
                ask = _opt(float(ring.column("ask_usd")[pos]))
                entry.book_ts = int(ts[pos])
                entry.crossed = not spread > 0
                entry.imbalance = _opt(float(ring.column("imbalance")[pos]))
                entry.depth = None if bid is None or ask is None else bid + ask
        self._entries[symbol] = entry
        self.refreshed += 1
        return entry

    def _part(self, symbol: str, part: str, ring: SeriesRing, t: int) -> _Part:
        cached = self._parts.get((symbol, part))
        if (
            cached is not None
            and cached.ring is ring
            and cached.version == ring.version
            and cached.since <= t < cached.until
        ):
            return cached
        until = _valid_until(part, ring.times(), t, self.params) if len(ring) else _NEVER
        signature = _mark_signature(ring, t, self.params) if part == "mark" else None
        if (
            signature is not None
            and cached is not None
            and cached.ring is ring
            and cached.signature == signature
        ):
            fresh = _Part(cached.fields, ring, ring.version, t, until, signature)  # ставки ті самі
            self._parts[(symbol, part)] = fresh
            return fresh
        ctx = deriv_context(_only(self.store, part), symbol, t, self.params)
        fresh = _Part(_part_fields(part, ctx), ring, ring.version, t, until, signature)
        self._parts[(symbol, part)] = fresh
        self.recomputed += 1
        return fresh


__all__ = ["WINDOW_MS", "FrameDerivs", "deriv_summary", "frame_params"]
