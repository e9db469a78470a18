"""Швидке округлення Stage2: ті самі double, що й `round(x, n)`, здебільшого без його
десяткового перетворення (рядок туди й назад — найдорожча дрібниця рішення).

Чому результат той самий: для float x і 0 ≤ n < 23 множник 10ⁿ точний у double, а
y = x·10ⁿ при |y| < 1e12 має похибку множення менше 1e-3. Якщо y далі ніж на 0.001 від
половини (|y − k| < 0.499, k = round(y)), то k — точне округлення x·10ⁿ, а ділення точного
цілого k на точне 10ⁿ дає найближчий double до k·10⁻ⁿ — саме його повертає й round.
k = 0 — нуль зі знаком x (як у round: round(−0.0004, 3) = −0.0), тобто x·0.0.
Решта (майже-половини, великі числа, NaN/inf, не-float на кшталт int чи np.float64) — сам round.
"""

from __future__ import annotations

POW10 = tuple(10.0**i for i in range(23))  # точні степені 10 у double


# ── Округлення ──
def fast_round(x: float, digits: int) -> float:
    """Те саме, що `round(x, digits)` (біт у біт, зі знаком нуля), див. опис модуля."""
    if type(x) is float and 0 <= digits < 23:
        s = POW10[digits]
        y = x * s
        if -1e12 < y < 1e12:
            k = round(y)
            if -0.499 < y - k < 0.499:
                return k / s if k else x * 0.0
    return round(x, digits)


__all__ = ["POW10", "fast_round"]
