"""Чиста статистика порівняння з базовими лініями: розкид, перцентиль, бутстреп різниці середніх.

Жодного I/O: списки чисел (чистий PnL угоди, % після комісій) → числа.

Бутстреп різниці «стратегія мінус випадкові входи» (`bootstrap_mean_diff`):
- дві вибірки перевибираються НЕЗАЛЕЖНО, кожна з поверненням і свого розміру: угоди стратегії
  (n_s) і об'єднані угоди всіх seed-ів випадкової лінії (n_r); у кожній з `resamples` ітерацій
  (типово B = 2000) рахується різниця середніх;
- інтервал — перцентильний: квантилі (1 − level)/2 і (1 + level)/2 цих B різниць (лінійна
  інтерполяція numpy); точкова оцінка — різниця середніх самих вибірок;
- генератор — `numpy.random.default_rng(seed)` (PCG64), тож той самий seed і ті самі вибірки
  дають той самий інтервал біт у біт; індекси тягнуться блоками по `_CHUNK` ітерацій (пам'ять
  обмежена), спершу для стратегії, потім для випадкової лінії — порядок теж частина схеми.
Угоди одного seed-а не незалежні (спільні бари), тож інтервал для об'єднаної лінії скоріше
завузький, ніж заширокий; саме тому вердикт вимагає, щоб увесь інтервал лежав вище нуля.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95
_CHUNK = 64  # ітерацій бутстрепу за один блок індексів


# ── Розкид ──
@dataclass(frozen=True, slots=True)
class Spread:
    """Розкид вибірки: середнє, стандартне відхилення (ddof=1; одне значення — 0), межі, 5-й/95-й перцентилі."""

    n: int
    mean: float
    std: float
    min: float
    max: float
    p5: float
    p95: float

    def as_dict(self) -> dict[str, float | int]:
        """Словник для звіту (ключі — імена полів)."""
        return {
            "n": self.n,
            "mean": self.mean,
            "std": self.std,
            "min": self.min,
            "max": self.max,
            "p5": self.p5,
            "p95": self.p95,
        }


def spread(values: Sequence[float]) -> Spread | None:
    """Розкид скінченних значень; None, якщо їх немає."""
    xs = np.asarray([v for v in values if math.isfinite(v)], dtype=np.float64)
    if xs.size == 0:
        return None
    std = float(xs.std(ddof=1)) if xs.size > 1 else 0.0
    p5, p95 = (float(q) for q in np.percentile(xs, [5.0, 95.0]))
    return Spread(
        int(xs.size), math.fsum(xs.tolist()) / xs.size, std, float(xs.min()), float(xs.max()), p5, p95
    )


# ── Перцентиль ──
def percentile_rank(value: float, population: Sequence[float]) -> tuple[float, int, int] | None:
    """Місце `value` серед `population`: (перцентиль 0–100, скільки строго нижче, скільки рівних).

    Перцентиль — середній ранг: (нижче + ½·рівні) / n · 100, тож значення, що дорівнює всім,
    стоїть на 50, а вище за всіх — на 100. None для нескінченного `value` чи порожньої сукупності."""
    pop = [v for v in population if math.isfinite(v)]
    if not pop or not math.isfinite(value):
        return None
    below = sum(1 for v in pop if v < value)
    ties = sum(1 for v in pop if v == value)
    return (below + 0.5 * ties) / len(pop) * 100.0, below, ties


# ── Бутстреп ──
@dataclass(frozen=True, slots=True)
class DiffInterval:
    """Різниця середніх a − b і її бутстреп-інтервал."""

    diff: float
    low: float
    high: float
    level: float
    resamples: int
    seed: int
    n_a: int
    n_b: int

    def as_dict(self) -> dict[str, float | int]:
        """Словник для звіту (ключі — імена полів)."""
        return {
            "diff": self.diff,
            "low": self.low,
            "high": self.high,
            "level": self.level,
            "resamples": self.resamples,
            "seed": self.seed,
            "n_a": self.n_a,
            "n_b": self.n_b,
        }


def _resampled_means(rng: np.random.Generator, xs: np.ndarray, resamples: int) -> np.ndarray:
    """Середні `resamples` перевибірок `xs` з поверненням (блоками по `_CHUNK`)."""
    n = xs.shape[0]
    out = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, _CHUNK):
        rows = min(_CHUNK, resamples - start)
        idx = rng.integers(0, n, size=(rows, n))
        out[start : start + rows] = xs[idx].mean(axis=1)
    return out


def bootstrap_mean_diff(
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> DiffInterval | None:
    """Бутстреп-інтервал різниці середніх a − b (схема — в описі модуля); None, якщо вибірка порожня.

    Нескінченні значення відкидаються до перевибірки."""
    if resamples < 1 or not 0.0 < level < 1.0:
        raise ValueError(f"need resamples >= 1 and 0 < level < 1, got {resamples}, {level}")
    xa = np.asarray([v for v in a if math.isfinite(v)], dtype=np.float64)
    xb = np.asarray([v for v in b if math.isfinite(v)], dtype=np.float64)
    if xa.size == 0 or xb.size == 0:
        return None
    rng = np.random.default_rng(seed)
    diffs = _resampled_means(rng, xa, resamples) - _resampled_means(rng, xb, resamples)
    tail = (1.0 - level) / 2.0
    low, high = (float(q) for q in np.quantile(diffs, [tail, 1.0 - tail]))
    diff = math.fsum(xa.tolist()) / xa.size - math.fsum(xb.tolist()) / xb.size
    return DiffInterval(diff, low, high, level, resamples, seed, int(xa.size), int(xb.size))


__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_RESAMPLES",
    "DiffInterval",
    "Spread",
    "bootstrap_mean_diff",
    "percentile_rank",
    "spread",
]
