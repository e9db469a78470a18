"""Блокове розкладання ряду для batch-форм (внутрішній модуль).

Ряд довжини n (або m рядів однакової довжини: символи × бари) ріжеться на блоки
довжини w, вирівняні від індексу 0, і транспонується в масив (w, m, nb): рядок j —
позиція j усередині кожного блоку. Тоді префіксні/суфіксні накопичення робляться
циклом по w рядках, кожен крок — векторна операція над усіма блоками й символами.

Сума вікна, що закінчується на позиції j блоку k, = (суфікс блоку k-1 після j)
+ (префікс блоку k до j включно). Віднімань немає, тож на довгих рядах нічого не
«дрейфує». Інкрементні вікна (`_windows.py`) виконують ТІ САМІ додавання в тому
самому порядку, тому batch і інкрементна форма збігаються побітово.

Лінійна рекурсія y_t = a·y_{t-1} + u_t (EMA, Wilder) рахується так само: нульова
реакція в кожному блоці паралельно, потім перенос стану між блоками (scipy lfilter
по кінцях блоків) і поправка a^(j+1)·s_{k-1}. `scipy.signal` імпортується лише тут, у `iir`
(~1 с і ~100 МБ на процес): бектест його не потребує, тож його процеси без нього й стартують.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from aione.indicators.base import VAR_REL_EPS

FloatArray = npt.NDArray[np.float64]

# ── Пороги вибору алгоритму ──
# Для малих масивів накладні витрати циклу по рядках більші за виграш:
# тоді накопичення робить одна ufunc.accumulate вздовж осі 0 (той самий порядок додавань).
_SMALL_ROW = 256
# Рекурсія для малих масивів — напряму lfilter у часовому порядку.
_SMALL_IIR = 65536


# ── Розкладка ──
class Layout(NamedTuple):
    """Параметри розкладки: довжина блоку, кількість рядів, блоків, барів; чи був вхід 1-D."""

    w: int
    m: int
    nb: int
    n: int
    one_d: bool


def to_blocks(x: FloatArray, w: int) -> tuple[FloatArray, Layout]:
    """Часовий ряд (n,) або (m, n) → масив (w, m, nb). Хвіст доповнюється останнім значенням."""
    x2 = x[None, :] if x.ndim == 1 else x
    m, n = x2.shape
    nb = max(1, -(-n // w))
    full = n // w
    blocks = np.empty((w, m, nb), dtype=np.float64)
    if full:
        blocks[:, :, :full] = x2[:, : full * w].reshape(m, full, w).transpose(2, 0, 1)
    if full < nb:
        tail = np.empty((m, w), dtype=np.float64)
        tail[:] = x2[:, -1:] if n else 0.0
        tail[:, : n - full * w] = x2[:, full * w :]
        blocks[:, :, full] = tail.T
    return blocks, Layout(w, m, nb, n, x.ndim == 1)


def blocks_like(x: FloatArray, lay: Layout) -> FloatArray:
    """Те саме, що `to_blocks`, для ще одного ряду в уже відомій розкладці."""
    return to_blocks(x, lay.w)[0]


def from_blocks(blocks: FloatArray, lay: Layout, shift: int = 0) -> FloatArray:
    """Зворотне перетворення (w, m, nb) → (n,) або (m, n) одним копіюванням.

    `shift=1` зсуває ряд на бар уперед (значення t-1 на місці t, NaN на початку) без зайвого проходу."""
    size = lay.nb * lay.w
    buf = np.empty((lay.m, size + shift), dtype=np.float64)
    buf[:, :shift] = np.nan
    buf[:, shift:].reshape(lay.m, lay.nb, lay.w)[...] = blocks.transpose(1, 2, 0)
    out = buf[:, : lay.n]
    return out[0] if lay.one_d else out


def from_blocks_with_prev(blocks: FloatArray, lay: Layout) -> tuple[FloatArray, FloatArray]:
    """(ряд, ряд зсунутий на бар уперед) одним копіюванням: обидва — види одного буфера."""
    size = lay.nb * lay.w
    buf = np.empty((lay.m, size + 1), dtype=np.float64)
    buf[:, 0] = np.nan
    buf[:, 1:].reshape(lay.m, lay.nb, lay.w)[...] = blocks.transpose(1, 2, 0)
    cur, prev = buf[:, 1 : lay.n + 1], buf[:, : lay.n]
    return (cur[0], prev[0]) if lay.one_d else (cur, prev)


def time_index(t: int, lay: Layout) -> tuple[int, int]:
    """Позиція (рядок, блок) бару з часовим індексом t."""
    return t % lay.w, t // lay.w


def mask_warmup(blocks: FloatArray, k: int, lay: Layout, value: float = np.nan) -> None:
    """Записує `value` (типово NaN) для часових індексів t < k (прогрів)."""
    t = np.arange(min(k, lay.nb * lay.w))
    blocks[t % lay.w, :, t // lay.w] = value


# ── Зсуви ──
def shift_time(blocks: FloatArray, fill: FloatArray | float) -> FloatArray:
    """Значення попереднього бару (t-1) у тій самій розкладці; для t=0 — `fill`."""
    out = np.empty_like(blocks)
    out[1:] = blocks[:-1]
    out[0, :, 1:] = blocks[-1, :, :-1]
    out[0, :, 0] = fill
    return out


def shift_time_back(blocks: FloatArray, fill: float) -> FloatArray:
    """Значення наступного бару (t+1) у тій самій розкладці; для останньої позиції — `fill`."""
    out = np.empty_like(blocks)
    out[:-1] = blocks[1:]
    out[-1, :, :-1] = blocks[0, :, 1:]
    out[-1, :, -1] = fill
    return out


def prev_block_last(blocks: FloatArray) -> FloatArray:
    """Опорне значення зсуву для блоку k: останнє значення блоку k-1; для блоку 0 — перше значення.

    Ці самі опори бере інкрементна форма, тож зсунуті суми збігаються побітово."""
    c = np.empty(blocks.shape[1:], dtype=np.float64)
    c[:, 0] = blocks[0, :, 0]
    c[:, 1:] = blocks[-1, :, :-1]
    return c


# ── Накопичення (на місці: вхід — тимчасовий масив, який можна зіпсувати) ──
def prefix_inplace(x: FloatArray, op: np.ufunc) -> FloatArray:
    """X[j] ← op(X[j-1], X[j]) — послідовний префікс усередині кожного блоку."""
    if x[0].size <= _SMALL_ROW:
        op.accumulate(x, axis=0, out=x)
        return x
    for j in range(1, x.shape[0]):
        op(x[j - 1], x[j], out=x[j])
    return x


def suffix_inplace(x: FloatArray, op: np.ufunc) -> FloatArray:
    """X[j] ← op(X[j+1], X[j]) справа наліво — включний суфікс усередині кожного блоку."""
    if x[0].size <= _SMALL_ROW:
        rev = x[::-1]
        op.accumulate(rev, axis=0, out=rev)
        return x
    for j in range(x.shape[0] - 2, -1, -1):
        op(x[j + 1], x[j], out=x[j])
    return x


def combine_inplace(suf: FloatArray, pre: FloatArray, op: np.ufunc) -> FloatArray:
    """Значення вікна довжини w у кожній позиції, записане в `pre`; NaN, поки вікно неповне.

    Вікно, що закінчується в позиції j блоку k, = op(суфікс блоку k-1 з позиції j+1, префікс блоку k
    до j); у позиції w-1 суфікс порожній, і вікно — це весь блок k."""
    op(pre[:-1, :, 1:], suf[1:, :, :-1], out=pre[:-1, :, 1:])
    pre[:-1, :, 0] = np.nan
    return pre


def window_inplace(x: FloatArray, op: np.ufunc) -> FloatArray:
    """Ковзне op (сума/max/min) за w барів; ПСУЄ `x` (в ньому ж і результат)."""
    suf = suffix_inplace(x.copy(), op)
    return combine_inplace(suf, prefix_inplace(x, op), op)


def shifted_window_sums(
    x: FloatArray, weight: FloatArray | None = None, consume_weight: bool = False
) -> tuple[FloatArray, FloatArray | None, FloatArray, FloatArray]:
    """Зсунуті моменти вікна: (c, S0, S1, S2), де d = x − c, c — опора блоку (m, nb).

    Без ваг: S0 = None (це w), S1 = Σd, S2 = Σd². З вагами v: S0 = Σv, S1 = Σ(v·d),
    S2 = Σ((v·d)·d). Зсув прибирає катастрофічне скорочення E[x²] − E[x]² для цін
    порядку 1e5 з малим розкидом. `consume_weight` дозволяє зіпсувати `weight` (без копії)."""
    c = prev_block_last(x)
    d_suf = x - x[-1]  # блок k-1 зсувається на власне останнє значення = опора блоку k
    d_pre = x - c
    if weight is None:
        q_suf = d_suf * d_suf
        q_pre = d_pre * d_pre
        s1 = combine_inplace(suffix_inplace(d_suf, np.add), prefix_inplace(d_pre, np.add), np.add)
        s2 = combine_inplace(suffix_inplace(q_suf, np.add), prefix_inplace(q_pre, np.add), np.add)
        return c, None, s1, s2
    a_suf = weight * d_suf
    a_pre = weight * d_pre
    d_suf *= a_suf  # d·(v·d) = (v·d)·d: ті самі два множники, що в інкрементній формі
    d_pre *= a_pre
    s0 = window_inplace(weight if consume_weight else weight.copy(), np.add)
    s1 = combine_inplace(suffix_inplace(a_suf, np.add), prefix_inplace(a_pre, np.add), np.add)
    s2 = combine_inplace(suffix_inplace(d_suf, np.add), prefix_inplace(d_pre, np.add), np.add)
    return c, s0, s1, s2


def finish_moments(
    c: FloatArray, s0: FloatArray | float, s1: FloatArray, s2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(середнє, std) зі зсунутих сум; ПЕРЕЗАПИСУЄ s1 і s2. `c` — опора, що транслюється на s1.

    std = +inf там, де дисперсія в межах шуму округлення (var ≤ VAR_REL_EPS·E[d²]):
    тоді відхилення/std дає рівно 0 без окремої маски. Публічні функції замінюють inf на 0.
    Дзеркало скалярних `mean_std`/`finish` інкрементних форм."""
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(s1, s0, out=s1)
        np.divide(s2, s0, out=s2)
        var = s1 * s1
        np.subtract(s2, var, out=var)
        s2 *= VAR_REL_EPS
        small = var <= s2
        np.sqrt(var, out=var)
    var[small] = np.inf
    s1 += c
    return s1, var


def inf_to_zero(std: FloatArray) -> FloatArray:
    """Публічне std: 0 замість внутрішнього маркера +inf (нульова дисперсія)."""
    std[np.isinf(std)] = 0.0
    return std


# ── Лінійна рекурсія ──
def iir(u: FloatArray, a: float, lay: Layout) -> FloatArray:
    """y_t = a·y_{t-1} + u_t, y_{-1} = 0, у розкладці (w, m, nb). ПЕРЕЗАПИСУЄ `u` результатом.

    Стан на кінці кожного блоку з нульовим входом — зважена сума рядків (одне множення
    матриці на вектор); перенос між блоками — коротка рекурсія по nb (lfilter); далі
    рекурсія по рядках з правильним початковим станом, паралельно для всіх блоків."""
    from scipy.signal import lfilter  # важкий імпорт — лише на шляху, якому він потрібен (див. опис модуля)

    w = lay.w
    if u.size <= _SMALL_IIR or w < 8:
        flat = np.ascontiguousarray(u.transpose(1, 2, 0)).reshape(lay.m, lay.nb * w)
        y = np.asarray(lfilter([1.0], [1.0, -a], flat, axis=-1), dtype=np.float64)
        u[...] = y.reshape(lay.m, lay.nb, w).transpose(2, 0, 1)
        return u
    weights = np.power(a, np.arange(w - 1, -1, -1, dtype=np.float64))
    ends = (weights @ u.reshape(w, -1)).reshape(lay.m, lay.nb)
    state = np.asarray(lfilter([1.0], [1.0, -(a**w)], ends, axis=-1), dtype=np.float64)
    prev = np.zeros_like(ends)
    prev[:, 1:] = state[:, :-1]
    tmp = np.empty_like(ends)
    for j in range(w):
        np.multiply(prev, a, out=tmp)
        u[j] += tmp
        prev = u[j]
    return u


__all__ = [
    "FloatArray",
    "Layout",
    "blocks_like",
    "combine_inplace",
    "from_blocks",
    "from_blocks_with_prev",
    "iir",
    "mask_warmup",
    "prefix_inplace",
    "prev_block_last",
    "shift_time",
    "shift_time_back",
    "shifted_window_sums",
    "finish_moments",
    "inf_to_zero",
    "suffix_inplace",
    "window_inplace",
    "time_index",
    "to_blocks",
]
