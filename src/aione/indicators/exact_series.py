"""Рекурсивні індикатори (RSI і ATR Вайлдера, EMA) по всьому ряду — побітово як інкрементні класи.

Batch-форми (`rsi`, `atr`, `ema`) рахують рекурсію фільтром над блоками і відрізняються від
інкрементних на ~1e-15 відносно. Там, де потрібна побітова рівність з live (бектест-двійник
Stage1), ці функції беруть наближення блоковою рекурсією numpy (`_approx_linear`, без scipy: модуль
імпортує кожен процес бектесту) і доводять його до рекурсії з ТИМИ САМИМИ виразами,
тим самим порядком операцій і тією самою затравкою, що й `RSI`, `ATR`, `EMA` (`_settle`: векторні
проходи по неузгоджених позиціях, короткий хвіст — циклом Python).
Поелементна арифметика (різниці, true range, RSI з середніх) — у numpy: IEEE-операції над
float64 дають той самий результат, що й скалярні в Python. Суми затравки — послідовні (не
`sum()`: у Python ≥ 3.12 вона компенсована і округлює інакше).
Вхід — 1-D float64 одного суцільного ряду (без розривів); NaN — прогрів, як в інкрементних.
"""

from __future__ import annotations

from collections.abc import Callable
from math import nan
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.indicators.rsi import RSI_FLAT

FloatArray = npt.NDArray[np.float64]


# ── Спільна рекурсія ──
# Довжина блоку наближення: рекурсія всередині блоків — `_APPROX_BLOCK` векторних кроків над усіма
# блоками, перенос стану між блоками — цикл Python по кінцях блоків (n / _APPROX_BLOCK кроків).
_APPROX_BLOCK = 64
# Поки неузгоджених позицій більше за цю кількість, уточнюємо їх векторно; решту ланцюжків
# доходимо циклом Python (кожна векторна ітерація коштує десяток викликів numpy).
_VECTOR_MIN = 48


def _seq_sum(values: list[float]) -> float:
    """Послідовна сума зліва направо від 0.0 (як накопичення затравки в інкрементних класах)."""
    s = 0.0
    for x in values:
        s = s + x
    return s


def _approx_linear(x: FloatArray, a: float, b: float, y0: float) -> FloatArray:
    """Наближення y_t = a·y_{t−1} + b·x_t (t = 0…n−1, y_{−1} = y0) з відносною похибкою ~1e-15.

    Ряд ріжеться на блоки по `_APPROX_BLOCK`: спершу відповідь кожного блоку з нульовим початковим
    станом (рядки матриці блоків — паралельно), далі стан на початку кожного блоку — коротка
    рекурсія по кінцях блоків, і внесок цього стану a^(j+1)·s додається до позиції j блоку. Точних
    бітів тут не треба: їх дає `_settle`, якому вистачає будь-якого близького наближення."""
    n = x.shape[0]
    w = _APPROX_BLOCK
    nb = -(-n // w)
    u = np.zeros(nb * w)
    np.multiply(x, b, out=u[:n])
    blocks = u.reshape(nb, w)
    for j in range(1, w):
        blocks[:, j] += a * blocks[:, j - 1]
    starts: list[float] = []
    state = y0
    a_w = a**w
    for end in blocks[:, -1].tolist():
        starts.append(state)
        state = a_w * state + end
    blocks += np.multiply.outer(np.array(starts), np.power(a, np.arange(1, w + 1, dtype=np.float64)))
    return u[:n]


def _settle(y: FloatArray, x: FloatArray, step: Callable[[Any, Any], Any]) -> FloatArray:
    """Доводить наближення `y` до точної рекурсії y[j+1] = step(y[j], x[j]) (y[0] — затравка).

    Позиція j «узгоджена», якщо y[j] == step(y[j−1], x[j−1]); ряд, узгоджений усюди, і є точною
    рекурсією (індукція від затравки). Спершу всі позиції неузгоджені; кожен прохід перераховує
    їх векторно тим самим виразом `step` (поелементні операції numpy — ті самі IEEE-операції, що
    й скалярні), а неузгодженими наступного проходу лишаються тільки сусіди змінених. Найменша
    неузгоджена позиція щопроходу росте, тож процес скінченний; короткий хвіст — циклом Python
    по ланцюжках: ідемо вперед, поки перераховане значення не збіжиться з наявним."""
    n = x.shape[0]
    y1 = y[1:]  # y1[j] = y[j + 1]: позиція, яку дає крок з попередника j
    pre = np.arange(n)  # попередники неузгоджених позицій (зростають, без повторів)
    while pre.shape[0] > _VECTOR_MIN:
        new = step(y[pre], x[pre])
        changed = new != y1[pre]
        pre = pre[changed]
        y1[pre] = new[changed]
        pre += 1
        if pre.shape[0] and pre[-1] == n:  # за кінцем ряду може вийти лише останній
            pre = pre[:-1]
    idx = pre + 1
    done = 0
    item = y.item
    xitem = x.item
    for m in idx.tolist():
        if m < done:
            continue  # цю позицію вже пройшов попередній ланцюжок
        prev = item(m - 1)
        while m <= n:
            v = step(prev, xitem(m - 1))
            if v == item(m):
                break
            y[m] = v
            prev = v
            m += 1
        done = m + 1
    return y


def _wilder(seed: float, xs: FloatArray, period: int) -> FloatArray:
    """[seed, y1, y2, ...], де y = (y·(p−1) + x)/p — вираз `RSI._next`/`ATR._next`."""
    q = period - 1
    x = np.ascontiguousarray(xs, dtype=np.float64)
    y = np.empty(x.shape[0] + 1)
    y[0] = seed
    if x.shape[0]:
        y[1:] = _approx_linear(x, q / period, 1.0 / period, seed)
    return _settle(y, x, lambda a, b: (a * q + b) / period)


# ── Індикатори ──
def rsi_exact(close: FloatArray, period: int = 14) -> FloatArray:
    """RSI Вайлдера, побітово як `RSI.update` бар за баром; NaN на перших `period` барах."""
    c = np.asarray(close, dtype=np.float64)
    n = c.shape[0]
    out = np.full(n, nan)
    if n <= period:
        return out
    d = c[1:] - c[:-1]
    gain = np.where(d > 0.0, d, 0.0)
    loss = np.where(d < 0.0, -d, 0.0)
    ag = _wilder(_seq_sum(gain[:period].tolist()) / period, gain[period:], period)
    al = _wilder(_seq_sum(loss[:period].tolist()) / period, loss[period:], period)
    den = ag + al
    with np.errstate(divide="ignore", invalid="ignore"):
        val = 100.0 * (ag / den)
    out[period:] = np.where(den > 0.0, val, RSI_FLAT)
    return out


def true_range_exact(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """True range з індексу 1 (max(high, close₋₁) − min(low, close₋₁)); на індексі 0 — NaN."""
    h = np.asarray(high, dtype=np.float64)
    lo = np.asarray(low, dtype=np.float64)
    c = np.asarray(close, dtype=np.float64)
    out = np.full(c.shape[0], nan)
    if c.shape[0] > 1:
        pc = c[:-1]
        out[1:] = np.maximum(h[1:], pc) - np.minimum(lo[1:], pc)
    return out


def atr_exact(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """ATR Вайлдера, побітово як `ATR.update`; NaN на перших `period` барах."""
    tr = true_range_exact(high, low, close)
    n = tr.shape[0]
    out = np.full(n, nan)
    if n <= period:
        return out
    xs = tr[1:]
    out[period:] = _wilder(_seq_sum(xs[:period].tolist()) / period, xs[period:], period)
    return out


def ema_exact(x: FloatArray, period: int) -> FloatArray:
    """EMA з затравкою SMA, побітово як `EMA.update`; NaN на перших period−1 значеннях."""
    arr = np.asarray(x, dtype=np.float64)
    n = arr.shape[0]
    out = np.full(n, nan)
    if n < period:
        return out
    k = 2.0 / (period + 1)
    seed = _seq_sum(arr[:period].tolist()) / period
    rest = np.ascontiguousarray(arr[period:])
    y = np.empty(rest.shape[0] + 1)
    y[0] = seed
    if rest.shape[0]:
        y[1:] = _approx_linear(rest, 1.0 - k, k, seed)
    out[period - 1 :] = _settle(y, rest, lambda a, v: (v - a) * k + a)
    return out


__all__ = ["atr_exact", "ema_exact", "rsi_exact", "true_range_exact"]
