"""Числа деривативних рядів, однакові до біта в інкрементній і пакетній формі (чиста логіка, numpy).

Кожна функція рахує значення для кількох позицій ряду одразу, і значення позиції залежить лише від
її околу, а не від довжини масиву: живий монітор викликає її на хвості кільця сховища (одна-дві
позиції), бектест — на всьому записаному ряду. Щоб суми не залежали від порядку додавання, ковзні
суми тут — послідовні додавання зсунутих зрізів (`shift_sums`: найстаріший доданок перший), а
суми ліквідацій — цілі центи (`cents`): цілочисельна сума точна за будь-якого порядку.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_NAN = float("nan")
_FEW = 8  # до стількох позицій перцентиль рахується зрізами


# ── Ковзні суми ──
def shift_sums(x: FloatArray, n: int) -> FloatArray:
    """Суми вікон з `n` сусідніх елементів для позицій `n−1 … len−1` (довжина `len − n + 1`).

    Додавання послідовне від найстарішого: x[p−n+1] + x[p−n+2] + … + x[p] — той самий порядок,
    що й цикл Python по вікну, тож сума однакова до біта. NaN у вікні дає NaN."""
    k = x.shape[0] - n + 1
    if n < 1 or k <= 0:
        return np.empty(0, dtype=np.float64)
    s = np.array(x[0:k], dtype=np.float64)
    for j in range(1, n):
        s += x[j : j + k]
    return s


def seq_sum(values: list[float]) -> float:
    """Скалярна сума в тому самому порядку, що `shift_sums` (для інкрементних тригерів)."""
    if not values:
        return 0.0
    s = values[0]
    for v in values[1:]:
        s += v
    return s


# ── z-скор і перцентиль ──
def trailing_z(x: FloatArray, m: int, min_std: float) -> FloatArray:
    """z позицій `m … len−1`: (x[p] − середнє) / σ попередніх `m` значень (без самої позиції).

    σ — зсунута (ділення на m), не менша за `min_std`; NaN у вікні чи в x[p] дає NaN."""
    k = x.shape[0] - m
    if m < 1 or k <= 0:
        return np.empty(0, dtype=np.float64)
    if k <= _FEW:  # живий шлях: ті самі додавання в тому самому порядку, але на float Python
        return np.array([_z_one(x[p : p + m + 1].tolist(), m, min_std) for p in range(k)], dtype=np.float64)
    s = np.array(x[0:k], dtype=np.float64)
    for j in range(1, m):
        s += x[j : j + k]
    mean = s / m
    d = x[0:k] - mean
    v = d * d
    for j in range(1, m):
        d = x[j : j + k] - mean
        v += d * d
    std = np.maximum(np.sqrt(v / m), min_std)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = (x[m:] - mean) / std
    return out


def _z_one(w: list[float], m: int, min_std: float) -> float:
    """z останнього з `m + 1` значень `w` — покроково ті самі операції, що векторна гілка `trailing_z`
    (додавання float64 і корінь однаково округлюються в numpy і в Python)."""
    s = w[0]
    for j in range(1, m):
        s += w[j]
    mean = s / m
    d = w[0] - mean
    v = d * d
    for j in range(1, m):
        d = w[j] - mean
        v += d * d
    std = math.sqrt(v / m)
    if not std >= min_std and std == std:  # noqa: PLR0124 — як np.maximum: NaN лишається NaN
        std = min_std
    num = w[m] - mean
    if std == 0.0:  # як ділення numpy на +0.0: ±inf, а 0/0 і NaN — NaN
        return math.copysign(math.inf, num) if num != 0.0 and num == num else math.nan  # noqa: PLR0124
    return num / std


def trailing_rank(x: FloatArray, window: int, min_points: int, start: int) -> FloatArray:
    """Перцентиль (0…100, середній ранг) x[p] серед останніх `window` значень до p включно для
    позицій `start … len−1`: 100 · (менших + ½ · рівних) / кількість. Рівний ряд дає 50.

    Менше `min_points` значень у вікні — NaN."""
    n = x.shape[0]
    if start >= n:
        return np.empty(0, dtype=np.float64)
    pos = np.arange(start, n)
    cur = x[start:]
    count = np.minimum(pos + 1, window)
    if pos.shape[0] <= _FEW:  # живий шлях: одна-дві позиції — зрізами, без циклу по вікну
        pairs = [(int(p), int(c)) for p, c in zip(pos, count, strict=True)]
        less = np.array([np.count_nonzero(x[p + 1 - c : p + 1] < x[p]) for p, c in pairs], dtype=np.int64)
        equal = np.array([np.count_nonzero(x[p + 1 - c : p + 1] == x[p]) for p, c in pairs], dtype=np.int64)
    else:
        less = np.zeros(pos.shape[0], dtype=np.int64)
        equal = np.zeros(pos.shape[0], dtype=np.int64)
        for off in range(min(window, n)):
            src = pos - off
            ok = src >= 0
            vals = x[np.where(ok, src, 0)]
            less += ok & (vals < cur)
            equal += ok & (vals == cur)
    # цілі лічильники точні, тож вираз нижче дає те саме число в обох гілках
    out: FloatArray = 100.0 * (less + 0.5 * equal) / count
    out[count < min_points] = _NAN
    return out


# ── OI ──
def oi_changes(ts: IntArray, oi: FloatArray, idx: IntArray, window_ms: int) -> FloatArray:
    """Зміна OI, %, у точках `idx` від останньої точки з часом ≤ ts[i] − `window_ms`.

    Опорна точка, старша за два вікна (пропуск опитувань), або відсутня — NaN."""
    target = ts[idx] - window_ms
    ref = np.searchsorted(ts, target, side="right") - 1
    ok = ref >= 0
    ref_c = np.where(ok, ref, 0)
    base = oi[ref_c]
    ok &= (ts[ref_c] >= target - window_ms) & (base > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = (oi[idx] / np.where(ok, base, 1.0) - 1.0) * 100.0
    out: FloatArray = np.where(ok, pct, _NAN)
    return out


def oi_stats(
    ts: IntArray, oi: FloatArray, positions: IntArray, window_ms: int, z_points: int, min_std: float
) -> tuple[FloatArray, FloatArray]:
    """(зміна OI %, z цієї зміни) у точках `positions` (зростають).

    z точки p — щодо змін у `z_points` попередніх точках (p − z_points … p − 1)."""
    if positions.shape[0] == 0:
        empty = np.empty(0, dtype=np.float64)
        return empty, empty
    first = int(positions[0]) - z_points
    span = np.arange(max(first, 0), int(positions[-1]) + 1, dtype=np.int64)
    changes = oi_changes(ts, oi, span, window_ms)
    if first < 0:  # на початку ряду бракує історії: z — NaN
        changes = np.concatenate((np.full(-first, _NAN), changes))
    z_all = trailing_z(changes, z_points, min_std)
    sel = positions - int(positions[0])
    return changes[z_points:][sel], z_all[sel]


# ── Ліквідації ──
def cents(notional: FloatArray) -> IntArray:
    """Обсяг у цілих центах USDT (точні суми за будь-якого порядку)."""
    out: IntArray = np.rint(np.asarray(notional, dtype=np.float64) * 100.0).astype(np.int64)
    return out


def window_cent_sums(ts: IntArray, values: IntArray, t: IntArray, window_ms: int) -> IntArray:
    """Суми `values` точок з часом у (t − window_ms, t] для кожного t."""
    cum = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(values, dtype=np.int64)))
    lo = np.searchsorted(ts, t - window_ms, side="right")
    hi = np.searchsorted(ts, t, side="right")
    out: IntArray = cum[hi] - cum[lo]
    return out


__all__ = [
    "FloatArray",
    "IntArray",
    "cents",
    "oi_changes",
    "oi_stats",
    "seq_sum",
    "shift_sums",
    "trailing_rank",
    "trailing_z",
    "window_cent_sums",
]
