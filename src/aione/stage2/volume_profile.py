"""Профіль обсягу за ціною вікна: точка контролю (POC) і зона вартості (value area).

Правило: обсяг кожного бару кладеться в кошик його типової ціни (high + low + close) / 3;
кошиків `bins` рівної ширини між мінімумом low і максимумом high вікна. POC — центр
найважчого кошика. Зона вартості росте від POC, щоразу додаючи важчий із двох сусідніх
кошиків (при рівності — верхній), доки не набере `value_area_pct` усього обсягу; VAL/VAH —
нижня й верхня межі крайніх кошиків зони.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aione.data.bars import FloatArray


# ── Результат ──
@dataclass(frozen=True, slots=True)
class VolumeProfile:
    """POC, межі зони вартості та частка обсягу, що реально в неї потрапила."""

    poc: float
    val: float
    vah: float
    covered: float

    def position(self, price: float) -> str:
        """Де ціна відносно зони: above | inside | below."""
        if price > self.vah:
            return "above"
        if price < self.val:
            return "below"
        return "inside"


# ── Обчислення ──
def volume_profile(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    *,
    bins: int = 40,
    value_area_pct: float = 0.70,
) -> VolumeProfile | None:
    """Профіль обсягу; None, якщо вікно порожнє, без обсягу або з нескінченними значеннями."""
    if len(close) == 0 or bins < 1:
        return None
    hlc = np.add(high, low, dtype=np.float64)  # свій float64-масив: далі змінюється на місці
    hlc += close
    return profile_from_hlc(hlc, high, low, volume, bins=bins, value_area_pct=value_area_pct)


def profile_from_hlc(
    hlc: FloatArray,
    high: FloatArray,
    low: FloatArray,
    volume: FloatArray,
    *,
    bins: int = 40,
    value_area_pct: float = 0.70,
) -> VolumeProfile | None:
    """`volume_profile` з готовою сумою `hlc` = high + low + close (її вже має контекст Stage2
    після перевірки скінченності); `hlc` — тимчасовий масив, функція перезаписує його."""
    if len(hlc) == 0 or bins < 1:
        return None
    lo = float(np.minimum.reduce(low))
    hi = float(np.maximum.reduce(high))
    total = float(np.add.reduce(volume))
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(total)) or total <= 0:
        return None
    if hi <= lo:
        return VolumeProfile(poc=lo, val=lo, vah=hi, covered=1.0)
    width = (hi - lo) / bins
    pos = hlc
    pos /= 3.0  # типова ціна (high + low + close) / 3
    pos -= lo
    pos /= width
    idx = pos.astype(np.int64)
    counts = np.bincount(idx, weights=volume, minlength=bins)
    if len(counts) > bins:  # типова ціна на самому максимумі: в останній кошик (рідко)
        np.minimum(idx, bins - 1, out=idx)
        counts = np.bincount(idx, weights=volume, minlength=bins)
    # Без індексів ≥ bins обрізання нічого не змінює: ті самі кошики, той самий порядок додавання.
    hist = counts.tolist()
    poc_i = hist.index(max(hist))  # перший найбільший, як np.argmax
    target = value_area_pct * total
    # Кошики зі сторожами −1.0 по краях (за межами профілю сусіда немає): індекси зсунуті на 1.
    h = [-1.0, *hist, -1.0]
    left = right = poc_i + 1
    acc = h[left]
    while acc < target:
        below, above = h[left - 1], h[right + 1]
        if below < 0 and above < 0:
            break
        if above >= below:
            right += 1
            acc += above
        else:
            left -= 1
            acc += below
    return VolumeProfile(
        poc=lo + (poc_i + 0.5) * width,
        val=lo + (left - 1) * width,
        vah=lo + right * width,
        covered=min(1.0, acc / total),
    )


__all__ = ["VolumeProfile", "profile_from_hlc", "volume_profile"]
