"""Вхідні дані Stage2: вікно барів, денні бари, параметри символу, глибина стакана.

Лише контейнери без логіки: ядро (`qde_core.decide`) отримує все, що йому треба, одним
незмінним об'єктом — і в живому процесорі, і в бектесті.
"""

from __future__ import annotations

from dataclasses import dataclass

from aione.config.config import SymbolInfo
from aione.data.bars import BarArrays
from aione.signals.deriv_context import DerivContext
from aione.stage2.window_features import WindowFeatures


# ── Стакан ──
@dataclass(frozen=True, slots=True)
class OrderBookDepth:
    """Сумарна глибина стакана в USD біля середини (обидві сторони окремо)."""

    bid_usd: float
    ask_usd: float

    @property
    def total_usd(self) -> float:
        """Обидві сторони разом."""
        return self.bid_usd + self.ask_usd

    @property
    def imbalance(self) -> float:
        """(bid − ask) / (bid + ask) у [−1, 1]; 0 для порожнього стакана."""
        total = self.total_usd
        if total <= 0:
            return 0.0
        return (self.bid_usd - self.ask_usd) / total


# ── Вхід ядра ──
@dataclass(frozen=True, slots=True)
class Stage2Inputs:
    """Контекст для одного рішення Stage2.

    `bars_1m` — недавнє вікно ЗАКРИТИХ 1m барів (останній бар — оцінений Stage1);
    `bars_1d` — денні бари (може містити відкритий поточний день), None — немає;
    `symbol_info` — біржові параметри (тік), None — тік за ціною;
    `orderbook` — глибина стакана, None — фактор стакана відкидається (або береться з `deriv`);
    `deriv` — знімок деривативів на час бару (`DerivContext`), None — рішення лише з барів, рівно
    як до деривативів. Зі знімком свіжа книга живить фактор стакана і аномалію тонкої книги,
    застаріла чи схрещена — відкидається з причиною, а OI і фінансування дають свої фактори;
    `features` — величини саме вікна `bars_1m`, пораховані наперед на ряд символу (пакетний
    бектест; ті самі числа, що ядро порахувало б з вікна), None — ядро рахує все з вікна."""

    bars_1m: BarArrays
    bars_1d: BarArrays | None = None
    symbol_info: SymbolInfo | None = None
    orderbook: OrderBookDepth | None = None
    deriv: DerivContext | None = None
    features: WindowFeatures | None = None


__all__ = ["OrderBookDepth", "Stage2Inputs"]
