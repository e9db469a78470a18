"""Інкрементні ковзні вікна з блоковою схемою (внутрішній модуль).

Дзеркало `_blocks.py`: бари йдуть блоками по w, вирівняними від першого бару.
Стан — префіксні суми поточного блоку (скаляри) і суфіксні суми попереднього
блоку (список довжини w, рахується один раз, коли блок заповнився: O(w) раз на
w барів, тобто амортизовано O(1)). Значення вікна = суфікс[pos] + префікс.
Віднімань немає — дрейфу немає; порядок додавань той самий, що в batch-формі,
тому результати збігаються побітово.

`push(x)` фіксує закрите значення; `peek(x)` — те саме без зміни стану.
"""

from __future__ import annotations

from math import inf, nan

# ── Проста сума ──


class PlainSum:
    """Ковзна сума за w значень (SMA)."""

    __slots__ = ("w", "pos", "vals", "pre", "suf")

    def __init__(self, w: int) -> None:
        self.w = w
        self.pos = 0
        self.vals: list[float] = []
        self.pre = 0.0
        self.suf: list[float] | None = None

    def reset(self) -> None:
        """Порожній стан."""
        self.__init__(self.w)  # type: ignore[misc]

    def peek(self, x: float) -> float:
        """Сума вікна, якби `x` було наступним значенням (NaN, поки вікно неповне)."""
        pre = self.pre + x
        suf = self.suf
        if suf is not None:
            return suf[self.pos] + pre
        return pre if self.pos + 1 == self.w else nan

    def push(self, x: float) -> float:
        """Додає значення; повертає суму вікна (NaN, поки вікно неповне)."""
        pre = self.pre + x
        pos = self.pos
        suf = self.suf
        full = pos + 1 == self.w
        out = suf[pos] + pre if suf is not None else (pre if full else nan)
        vals = self.vals
        vals.append(x)
        if full:
            suf = [0.0] * self.w
            acc = 0.0
            for j in range(self.w - 2, -1, -1):
                acc = acc + vals[j + 1]
                suf[j] = acc
            self.suf = suf
            self.vals = []
            self.pre = 0.0
            self.pos = 0
        else:
            self.pre = pre
            self.pos = pos + 1
        return out


# ── Зсунуті моменти ──


class Moments:
    """Ковзні Σd і Σd² за w значень, d = x − c (c — опора блоку, як у `_blocks`)."""

    __slots__ = ("w", "pos", "vals", "c", "p1", "p2", "suf1", "suf2", "started")

    def __init__(self, w: int) -> None:
        self.w = w
        self.pos = 0
        self.vals: list[float] = []
        self.c = 0.0
        self.p1 = 0.0
        self.p2 = 0.0
        self.suf1: list[float] | None = None
        self.suf2: list[float] | None = None
        self.started = False

    def reset(self) -> None:
        """Порожній стан."""
        self.__init__(self.w)  # type: ignore[misc]

    def peek(self, x: float) -> tuple[float, float, float]:
        """(c, S1, S2) вікна з `x` наступним; S1 = NaN, поки вікно неповне."""
        c = self.c if self.started else x
        d = x - c
        p1 = self.p1 + d
        p2 = self.p2 + d * d
        if self.suf1 is not None:
            pos = self.pos
            return c, self.suf1[pos] + p1, self.suf2[pos] + p2  # type: ignore[index]
        if self.pos + 1 == self.w:
            return c, p1, p2
        return c, nan, nan

    def push(self, x: float) -> tuple[float, float, float]:
        """Додає значення; повертає (c, S1, S2) як `peek`."""
        if not self.started:
            self.c = x
            self.started = True
        c = self.c
        d = x - c
        p1 = self.p1 + d
        p2 = self.p2 + d * d
        pos = self.pos
        suf1 = self.suf1
        full = pos + 1 == self.w
        if suf1 is not None:
            out = (c, suf1[pos] + p1, self.suf2[pos] + p2)  # type: ignore[index]
        else:
            out = (c, p1, p2) if full else (c, nan, nan)
        vals = self.vals
        vals.append(x)
        if full:
            w = self.w
            suf1 = [0.0] * w
            suf2 = [0.0] * w
            a1 = 0.0
            a2 = 0.0
            for j in range(w - 2, -1, -1):
                d = vals[j + 1] - x
                a1 = a1 + d
                a2 = a2 + d * d
                suf1[j] = a1
                suf2[j] = a2
            self.suf1 = suf1
            self.suf2 = suf2
            self.vals = []
            self.c = x
            self.p1 = 0.0
            self.p2 = 0.0
            self.pos = 0
        else:
            self.p1 = p1
            self.p2 = p2
            self.pos = pos + 1
        return out


class WeightedMoments:
    """Ковзні Σv, Σ(v·d), Σ((v·d)·d) за w барів, d = x − c (VWAP: x — типова ціна, v — обсяг)."""

    __slots__ = ("w", "pos", "xs", "vs", "c", "p0", "p1", "p2", "suf0", "suf1", "suf2", "started")

    def __init__(self, w: int) -> None:
        self.w = w
        self.pos = 0
        self.xs: list[float] = []
        self.vs: list[float] = []
        self.c = 0.0
        self.p0 = 0.0
        self.p1 = 0.0
        self.p2 = 0.0
        self.suf0: list[float] | None = None
        self.suf1: list[float] | None = None
        self.suf2: list[float] | None = None
        self.started = False

    def reset(self) -> None:
        """Порожній стан."""
        self.__init__(self.w)  # type: ignore[misc]

    def peek(self, x: float, v: float) -> tuple[float, float, float, float]:
        """(c, S0, S1, S2) вікна з (x, v) наступним; NaN-и, поки вікно неповне."""
        c = self.c if self.started else x
        d = x - c
        vd = v * d
        p0 = self.p0 + v
        p1 = self.p1 + vd
        p2 = self.p2 + vd * d
        if self.suf0 is not None:
            pos = self.pos
            return c, self.suf0[pos] + p0, self.suf1[pos] + p1, self.suf2[pos] + p2  # type: ignore[index]
        if self.pos + 1 == self.w:
            return c, p0, p1, p2
        return c, nan, nan, nan

    def push(self, x: float, v: float) -> tuple[float, float, float, float]:
        """Додає бар; повертає (c, S0, S1, S2) як `peek`."""
        if not self.started:
            self.c = x
            self.started = True
        c = self.c
        d = x - c
        vd = v * d
        p0 = self.p0 + v
        p1 = self.p1 + vd
        p2 = self.p2 + vd * d
        pos = self.pos
        suf0 = self.suf0
        full = pos + 1 == self.w
        if suf0 is not None:
            out = (c, suf0[pos] + p0, self.suf1[pos] + p1, self.suf2[pos] + p2)  # type: ignore[index]
        else:
            out = (c, p0, p1, p2) if full else (c, nan, nan, nan)
        xs = self.xs
        vs = self.vs
        xs.append(x)
        vs.append(v)
        if full:
            w = self.w
            suf0 = [0.0] * w
            suf1 = [0.0] * w
            suf2 = [0.0] * w
            a0 = a1 = a2 = 0.0
            for j in range(w - 2, -1, -1):
                vj = vs[j + 1]
                d = xs[j + 1] - x
                vd = vj * d
                a0 = a0 + vj
                a1 = a1 + vd
                a2 = a2 + vd * d
                suf0[j] = a0
                suf1[j] = a1
                suf2[j] = a2
            self.suf0 = suf0
            self.suf1 = suf1
            self.suf2 = suf2
            self.xs = []
            self.vs = []
            self.c = x
            self.p0 = self.p1 = self.p2 = 0.0
            self.pos = 0
        else:
            self.p0 = p0
            self.p1 = p1
            self.p2 = p2
            self.pos = pos + 1
        return out


# ── Екстремуми ──


class Extremes:
    """Ковзні максимум `hi` і мінімум `lo` за w барів (Donchian)."""

    __slots__ = ("w", "pos", "his", "los", "phi", "plo", "sufhi", "suflo")

    def __init__(self, w: int) -> None:
        self.w = w
        self.pos = 0
        self.his: list[float] = []
        self.los: list[float] = []
        self.phi = -inf
        self.plo = inf
        self.sufhi: list[float] | None = None
        self.suflo: list[float] | None = None

    def reset(self) -> None:
        """Порожній стан."""
        self.__init__(self.w)  # type: ignore[misc]

    def peek(self, hi: float, lo: float) -> tuple[float, float]:
        """(max, min) вікна з баром наступним; NaN, поки вікно неповне."""
        phi = self.phi if self.phi >= hi else hi
        plo = self.plo if self.plo <= lo else lo
        if self.sufhi is not None:
            sh = self.sufhi[self.pos]
            sl = self.suflo[self.pos]  # type: ignore[index]
            return (sh if sh >= phi else phi), (sl if sl <= plo else plo)
        if self.pos + 1 == self.w:
            return phi, plo
        return nan, nan

    def push(self, hi: float, lo: float) -> tuple[float, float]:
        """Додає бар; повертає (max, min) як `peek`."""
        phi = self.phi if self.phi >= hi else hi
        plo = self.plo if self.plo <= lo else lo
        pos = self.pos
        sufhi = self.sufhi
        full = pos + 1 == self.w
        if sufhi is not None:
            sh = sufhi[pos]
            sl = self.suflo[pos]  # type: ignore[index]
            out = ((sh if sh >= phi else phi), (sl if sl <= plo else plo))
        else:
            out = (phi, plo) if full else (nan, nan)
        his = self.his
        los = self.los
        his.append(hi)
        los.append(lo)
        if full:
            w = self.w
            sufhi = [-inf] * w
            suflo = [inf] * w
            ah = -inf
            al = inf
            for j in range(w - 2, -1, -1):
                h = his[j + 1]
                q = los[j + 1]
                if h > ah:
                    ah = h
                if q < al:
                    al = q
                sufhi[j] = ah
                suflo[j] = al
            self.sufhi = sufhi
            self.suflo = suflo
            self.his = []
            self.los = []
            self.phi = -inf
            self.plo = inf
            self.pos = 0
        else:
            self.phi = phi
            self.plo = plo
            self.pos = pos + 1
        return out


__all__ = ["Extremes", "Moments", "PlainSum", "WeightedMoments"]
