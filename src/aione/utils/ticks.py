"""Тік символу без мережі: зі знімка exchangeInfo і з сітки цін записаних барів (чиста логіка).

Живий конвеєр бере тік з exchangeInfo біржі (`get_tick_size(..., known=...)`). Бектест і
симулятор мережі не мають, а старий запасний шлях (`TICK_SIZE_MAP`, потім дужки за ціною) для
багатьох символів вгадує не той тік (DOTUSDT 0.0001 замість 0.001, LTCUSDT 0.001 замість 0.01,
ENAUSDT 0.00001 замість 0.0001), і TP/SL опиняються між справжніми тіками. Тут два джерела:

- знімок `PRICE_FILTER.tickSize` з записаного exchangeInfo (`aione.data.tick_snapshot`): точний,
  але старий — частини символів на дату знімка ще не було, а деяким біржа відтоді підняла тік
  (BTCUSDT: 0.01 у 2021, 0.1 пізніше);
- сітка цін самих барів (`infer_tick`): найбільший крок виду {1, 2, 5}×10^k, кратні якому всі
  ціни open/high/low/close (крім поодиноких збоїв запису, до частки `TICK_STRAY_SHARE` цін). На
  тисячах барів це і є тік біржі: кожна ціна лежить на його сітці, а шанс, що n різних цін
  випадково лягли на вдвічі грубшу сітку, — близько 2^-n.

Політика `resolve_tick` (порядок перевірок):
1. Є запис у знімку і всі ціни барів лежать на його сітці: береться тік знімка — якщо лише бари
   не лежать на ще грубшій сітці (тоді біржа підняла тік після знімка, як у BTCUSDT, і береться
   виведений з барів).
2. Запис у знімку є, але ціни барів з його сітки виходять (біржа тік зменшила), або запису немає
   (символ новіший за знімок: ENA, SUI, LAYER): береться виведений з барів тік.
3. Вивести не вдалося (замало різних цін, жодного бару): тік знімка, якщо бари йому не
   суперечать, інакше старий запасний шлях `get_tick_size` за символом і останньою ціною.

Грубший за справжній тік (малий запис) безпечний для сітки: для тіків виду 10^k кожна його
поділка лежить і на справжній сітці, тож TP/SL однаково кратні тіку біржі.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from aione.utils.utils import get_tick_size

FloatArray = npt.NDArray[np.float64]

# ── Параметри виведення ──
TICK_INFER_MIN_PRICES = 20  # менше різних цін — не вирішуємо (шанс хибної грубшої сітки ~2^-n)
TICK_GRID_TOLERANCE = 1e-6  # допуск «кратності» у частках кроку (шум float — ~1e-16 від ціни)
TICK_GRID_RELATIVE = 1e-12  # додатковий допуск на одиницю частки ціна/крок (великі частки)
TICK_STRAY_SHARE = 1e-3  # частка цін поза сіткою, яку ще вважаємо поодинокими збоями запису
TICK_MAX_STEPS = 1e9  # крок, дрібніший за ціну / 1e9, float уже не розрізняє — там не шукаємо
TICK_MANTISSAS = (5, 2, 1)  # кандидати кроку в межах одного порядку, від грубшого

SOURCE_SNAPSHOT = "snapshot"  # тік знімка, бари йому не суперечать
SOURCE_BARS_COARSER = "bars_coarser"  # бари на грубшій сітці за знімок: тік підняли після знімка
SOURCE_BARS = "bars"  # запису знімка немає або бари з його сітки виходять
SOURCE_FALLBACK = "fallback"  # вирішити не вдалося: `get_tick_size`


class PriceColumns(Protocol):
    """Що потрібно від барів: колонки цін (`BarArrays` підходить)."""

    @property
    def open(self) -> FloatArray: ...

    @property
    def high(self) -> FloatArray: ...

    @property
    def low(self) -> FloatArray: ...

    @property
    def close(self) -> FloatArray: ...


class TickChoice(NamedTuple):
    """Обраний тік і звідки він (`SOURCE_*`) — для звітів і тестів."""

    tick: float
    source: str


# ── Сітка цін ──
def grid_prices(columns: Iterable[npt.ArrayLike]) -> FloatArray:
    """Скінченні додатні ціни з колонок одним масивом (NaN, ±inf, нулі й від'ємні — геть).

    Без сортування й без усунення повторів: сітці вони не шкодять, а сортування сотень тисяч цін
    коштувало б більше за саму перевірку сітки."""
    parts = [np.asarray(col, dtype=np.float64).ravel() for col in columns]
    if not parts:
        return np.zeros(0, dtype=np.float64)
    values = np.concatenate(parts)
    return values[np.isfinite(values) & (values > 0)]


def bar_prices(bars: PriceColumns) -> FloatArray:
    """Ціни open/high/low/close барів (див. `grid_prices`)."""
    return grid_prices((bars.open, bars.high, bars.low, bars.close))


def distinct_at_least(prices: FloatArray, n: int) -> bool:
    """Чи є серед цін щонайменше `n` різних (спершу на початку масиву — зазвичай цього досить)."""
    if n <= 0:
        return True
    if prices.shape[0] < n:
        return False
    head = prices[: 16 * n]
    if np.unique(head).shape[0] >= n:
        return True
    return head.shape[0] < prices.shape[0] and np.unique(prices).shape[0] >= n


def _off_count(prices: FloatArray, step: float) -> int:
    """Скільки цін (додатних) не кратні `step`; робочі масиви — на місці, бо цін сотні тисяч."""
    q = prices / step
    err = np.rint(q)
    np.subtract(q, err, out=err)
    np.abs(err, out=err)
    np.multiply(q, TICK_GRID_RELATIVE, out=q)
    np.add(q, TICK_GRID_TOLERANCE, out=q)
    return int(np.count_nonzero(err > q))


def _multiple_of(coarse: float, fine: float) -> bool:
    """Чи `coarse` — ціле (≥ 1) число кроків `fine` (тоді сітка `coarse` лежить на сітці `fine`)."""
    ratio = coarse / fine
    return ratio >= 1.0 - 1e-9 and abs(ratio - round(ratio)) <= 1e-9 * ratio


def off_grid_share(prices: FloatArray, step: float) -> float:
    """Частка цін, не кратних `step` з допуском на шум float (порожній набір — 0, поганий крок — 1)."""
    if not step > 0 or not math.isfinite(step):
        return 1.0
    if prices.shape[0] == 0:
        return 0.0
    return _off_count(prices, step) / prices.shape[0]


def on_grid(prices: FloatArray, step: float, *, stray_share: float = TICK_STRAY_SHARE) -> bool:
    """Чи лежать ціни на сітці `step`: не кратних — не більше за частку `stray_share`.

    Частка потрібна для поодиноких «чужих» принтів у записах (SOLUSDT 2025-05: одна ціна 174.733
    серед десятків тисяч на сітці 0.01). Справжній дрібніший тік так не сховаєш: на вдвічі
    грубшій сітці лежить лише половина його цін, на вдесятеро — десята частина."""
    if not step > 0 or not math.isfinite(step):
        return False
    n = prices.shape[0]
    allowed = stray_share * n
    if n > 1024 and _off_count(prices[:1024], step) > allowed:
        return False  # швидка відмова: уже на початку більше збоїв, ніж дозволено на все
    return n == 0 or _off_count(prices, step) <= allowed


def _candidates(low: float, high: float) -> list[float]:
    """Кроки {5, 2, 1}×10^k від найбільшого, не більшого за найменшу ціну, до межі точності float."""
    k_hi = math.floor(math.log10(low))
    finest = high / TICK_MAX_STEPS
    out: list[float] = []
    k = k_hi
    while True:
        for m in TICK_MANTISSAS:
            step = float(f"{m}e{k}")  # десятковий запис → найближчий float (0.001, а не 10**-3)
            if step <= low and step >= finest:
                out.append(step)
        if float(f"1e{k}") < finest:
            return out
        k -= 1


def infer_tick(prices: FloatArray, *, min_prices: int = TICK_INFER_MIN_PRICES) -> float | None:
    """Найбільший крок {1, 2, 5}×10^k, кратні якому всі ціни (див. `on_grid`); None — не вирішити.

    `prices` — скінченні додатні ціни (`grid_prices` / `bar_prices`). None, якщо різних серед них
    менше за `min_prices` (на кількох цінах грубша сітка може збігтися випадково) або жоден крок
    до межі точності float не підходить (ціни не з біржової сітки)."""
    if prices.shape[0] == 0 or not distinct_at_least(prices, max(1, min_prices)):
        return None
    low, high = float(prices.min()), float(prices.max())
    for step in _candidates(low, high):
        if on_grid(prices, step):
            return step
    return None


# ── Вибір тіку ──
def _last_price(bars: PriceColumns | None) -> float | None:
    if bars is None:
        return None
    close = np.asarray(bars.close, dtype=np.float64)
    finite = close[np.isfinite(close) & (close > 0)]
    return float(finite[-1]) if finite.shape[0] else None


def choose_tick(
    symbol: str,
    bars: PriceColumns | None,
    snapshot: Mapping[str, float] | None,
    *,
    min_prices: int = TICK_INFER_MIN_PRICES,
) -> TickChoice:
    """Тік символу і його джерело за політикою з опису модуля."""
    prices = bar_prices(bars) if bars is not None else np.zeros(0, dtype=np.float64)
    inferred = infer_tick(prices, min_prices=min_prices)
    known = snapshot.get(symbol) if snapshot is not None else None
    # Ціни на виведеній сітці, кратній тіку знімка, лежать і на сітці знімка: другий прохід зайвий.
    if (
        known is not None
        and known > 0
        and ((inferred is not None and _multiple_of(inferred, known)) or on_grid(prices, known))
    ):
        if inferred is not None and inferred > known * (1.0 + 1e-9):
            return TickChoice(inferred, SOURCE_BARS_COARSER)
        return TickChoice(float(known), SOURCE_SNAPSHOT)
    if inferred is not None:
        return TickChoice(inferred, SOURCE_BARS)
    return TickChoice(get_tick_size(symbol, _last_price(bars)), SOURCE_FALLBACK)


def resolve_tick(
    symbol: str,
    bars: PriceColumns | None,
    snapshot: Mapping[str, float] | None,
    *,
    min_prices: int = TICK_INFER_MIN_PRICES,
) -> float:
    """Тік символу для роботи без мережі (бектест, симулятор); політика — в описі модуля:
    знімок, якщо бари йому не суперечать і не лежать на грубшій сітці; інакше виведений з барів;
    інакше старий `get_tick_size`."""
    return choose_tick(symbol, bars, snapshot, min_prices=min_prices).tick


__all__ = [
    "SOURCE_BARS",
    "SOURCE_BARS_COARSER",
    "SOURCE_FALLBACK",
    "SOURCE_SNAPSHOT",
    "TICK_GRID_RELATIVE",
    "TICK_GRID_TOLERANCE",
    "TICK_INFER_MIN_PRICES",
    "TICK_MANTISSAS",
    "TICK_MAX_STEPS",
    "TICK_STRAY_SHARE",
    "PriceColumns",
    "TickChoice",
    "bar_prices",
    "choose_tick",
    "distinct_at_least",
    "grid_prices",
    "infer_tick",
    "off_grid_share",
    "on_grid",
    "resolve_tick",
]
