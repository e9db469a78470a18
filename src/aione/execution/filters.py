"""Фільтри exchangeInfo для заявок: LOT_SIZE (MARKET_LOT_SIZE), MIN_NOTIONAL, PRICE_FILTER, PERCENT_PRICE.

Чиста логіка без I/O. Порушення — `OrderFilterError` з назвою фільтра й числами: зрозуміла
локальна помилка до відправки, а не відмова біржі. Арифметика — `Decimal` (кроки на кшталт
0.001 у float не ділять націло).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any


class OrderFilterError(ValueError):
    """Заявка порушує фільтр біржі; `filter_type` — який саме."""

    def __init__(self, symbol: str, filter_type: str, detail: str) -> None:
        self.symbol = symbol
        self.filter_type = filter_type
        super().__init__(f"{symbol}: {filter_type} violated: {detail}")


# ── Фільтри символу ──
@dataclass(frozen=True, slots=True)
class SymbolFilters:
    """Фільтри одного символу (None — фільтра немає в exchangeInfo)."""

    symbol: str
    tick_size: Decimal | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    step_size: Decimal | None = None
    min_qty: Decimal | None = None
    max_qty: Decimal | None = None
    market_step_size: Decimal | None = None
    market_min_qty: Decimal | None = None
    market_max_qty: Decimal | None = None
    min_notional: Decimal | None = None
    multiplier_up: Decimal | None = None
    multiplier_down: Decimal | None = None

    # ── Округлення ──
    def floor_qty(self, qty: float, *, market: bool = False) -> float:
        """Кількість вниз до кроку лоту (0.0, якщо менше за крок)."""
        step = (self.market_step_size if market else None) or self.step_size
        value = Decimal(repr(qty))
        if step is None or step <= 0:
            return float(value)
        return float((value / step).to_integral_value(ROUND_DOWN) * step)

    def round_price(self, price: float) -> float:
        """Ціна до найближчого кроку ціни."""
        value = Decimal(repr(price))
        tick = self.tick_size
        if tick is None or tick <= 0:
            return float(value)
        return float((value / tick).to_integral_value(ROUND_HALF_UP) * tick)

    # ── Перевірка ──
    def check(
        self,
        *,
        quantity: float | None,
        price: float | None,
        reference_price: float,
        market: bool,
        reduce_only: bool = False,
        stop_price: float | None = None,
        mark_price: float | None = None,
    ) -> None:
        """Кидає `OrderFilterError`, якщо заявка порушує фільтр. `reference_price` — ціна для
        вартості ринкової заявки; `mark_price` — опора PERCENT_PRICE (None — перевірки немає)."""
        for label, value in (("price", price), ("stopPrice", stop_price)):
            if value is not None:
                self._check_price(label, value)
        if quantity is not None:
            self._check_qty(quantity, market)
            notional_price = price if price is not None and not market else reference_price
            notional = Decimal(repr(quantity)) * Decimal(repr(notional_price))
            if not reduce_only and self.min_notional is not None and notional < self.min_notional:
                raise OrderFilterError(
                    self.symbol, "MIN_NOTIONAL", f"notional {notional:.4f} < {self.min_notional} USDT"
                )
        if price is not None and mark_price is not None and mark_price > 0:
            self._check_percent(price, mark_price)

    def _check_price(self, label: str, price: float) -> None:
        value = Decimal(repr(price))
        if value <= 0:
            raise OrderFilterError(self.symbol, "PRICE_FILTER", f"{label} {price} must be positive")
        if self.min_price is not None and self.min_price > 0 and value < self.min_price:
            raise OrderFilterError(
                self.symbol, "PRICE_FILTER", f"{label} {price} < minPrice {self.min_price}"
            )
        if self.max_price is not None and self.max_price > 0 and value > self.max_price:
            raise OrderFilterError(
                self.symbol, "PRICE_FILTER", f"{label} {price} > maxPrice {self.max_price}"
            )
        tick = self.tick_size
        if (
            tick is not None
            and tick > 0
            and (value - (self.min_price or 0)) % tick != 0
            and value % tick != 0
        ):
            raise OrderFilterError(
                self.symbol, "PRICE_FILTER", f"{label} {price} is not a multiple of tickSize {tick}"
            )

    def _check_qty(self, quantity: float, market: bool) -> None:
        value = Decimal(repr(quantity))
        step = (self.market_step_size if market else None) or self.step_size
        low = (self.market_min_qty if market else None) or self.min_qty
        high = (self.market_max_qty if market else None) or self.max_qty
        name = "MARKET_LOT_SIZE" if market and self.market_step_size is not None else "LOT_SIZE"
        if value <= 0:
            raise OrderFilterError(self.symbol, name, f"quantity {quantity} must be positive")
        if low is not None and value < low:
            raise OrderFilterError(self.symbol, name, f"quantity {quantity} < minQty {low}")
        if high is not None and high > 0 and value > high:
            raise OrderFilterError(self.symbol, name, f"quantity {quantity} > maxQty {high}")
        if step is not None and step > 0 and value % step != 0:
            raise OrderFilterError(
                self.symbol, name, f"quantity {quantity} is not a multiple of stepSize {step}"
            )

    def _check_percent(self, price: float, mark: float) -> None:
        value, ref = Decimal(repr(price)), Decimal(repr(mark))
        up, down = self.multiplier_up, self.multiplier_down
        if up is not None and value > ref * up:
            raise OrderFilterError(self.symbol, "PERCENT_PRICE", f"price {price} > {up} x mark {mark}")
        if down is not None and value < ref * down:
            raise OrderFilterError(self.symbol, "PERCENT_PRICE", f"price {price} < {down} x mark {mark}")


def _dec(item: Mapping[str, Any], key: str) -> Decimal | None:
    raw = item.get(key)
    if raw is None or raw == "":
        return None
    return Decimal(str(raw))


def parse_symbol_filters(entry: Mapping[str, Any]) -> SymbolFilters:
    """Фільтри з запису символу exchangeInfo (`{"symbol": ..., "filters": [...]}`)."""
    values: dict[str, Decimal | None] = {}
    for item in entry.get("filters") or ():
        kind = item.get("filterType")
        if kind == "PRICE_FILTER":
            values |= {
                "tick_size": _dec(item, "tickSize"),
                "min_price": _dec(item, "minPrice"),
                "max_price": _dec(item, "maxPrice"),
            }
        elif kind == "LOT_SIZE":
            values |= {
                "step_size": _dec(item, "stepSize"),
                "min_qty": _dec(item, "minQty"),
                "max_qty": _dec(item, "maxQty"),
            }
        elif kind == "MARKET_LOT_SIZE":
            values |= {
                "market_step_size": _dec(item, "stepSize"),
                "market_min_qty": _dec(item, "minQty"),
                "market_max_qty": _dec(item, "maxQty"),
            }
        elif kind in ("MIN_NOTIONAL", "NOTIONAL"):
            values["min_notional"] = _dec(item, "notional") or _dec(item, "minNotional")
        elif kind == "PERCENT_PRICE":
            values |= {
                "multiplier_up": _dec(item, "multiplierUp"),
                "multiplier_down": _dec(item, "multiplierDown"),
            }
    return SymbolFilters(str(entry.get("symbol", "")), **values)


def parse_exchange_filters(payload: Mapping[str, Any]) -> dict[str, SymbolFilters]:
    """Фільтри всіх символів відповіді exchangeInfo."""
    out: dict[str, SymbolFilters] = {}
    for entry in payload.get("symbols") or ():
        if isinstance(entry, Mapping) and entry.get("symbol"):
            out[str(entry["symbol"])] = parse_symbol_filters(entry)
    return out


__all__ = ["OrderFilterError", "SymbolFilters", "parse_exchange_filters", "parse_symbol_filters"]
