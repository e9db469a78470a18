"""Припущення паперового виконання угод у бектесті: комісії, заповнення, правило TP/SL в одному барі.

Чиста логіка: параметри Stage3 прогону (з перевизначеннями) → розділ звіту `assumptions` (числа й
коди правил) і його опис словами для сторінки (`describe`). Правила — справжні правила
`aione.stage3.trade_manager` і `aione.stage3.trade_rules`: вхід — наступне оновлення ціни після
рішення (відкриття наступного 1m бару); SL має пріоритет, коли діапазон зачепив обидва рівні.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Коди правил (значення полів розділу; опис — `describe`).
ENTRY_NEXT_BAR_OPEN = "next_bar_open"
SL_AT_STOP_OR_GAP = "stop_or_gap_price"
TP_LIMIT = "tp_or_better"
SAME_BAR_SL_FIRST = "sl_first"
SIZING_UNIT = "one_unit_per_trade_no_compounding"


def _float(params: Mapping[str, Any], key: str) -> float:
    value = params.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def assumptions_section(p3: Mapping[str, Any]) -> dict[str, Any]:
    """Розділ `assumptions`: числа параметрів Stage3 і коди правил виконання."""
    fee = _float(p3, "fee_rate")
    return {
        "fee_rate_per_side": fee,
        "round_trip_fee_pct": 2 * fee * 100,
        "slippage_pct": 0.0,
        "entry_fill": ENTRY_NEXT_BAR_OPEN,
        "sl_fill": SL_AT_STOP_OR_GAP,
        "tp_fill": TP_LIMIT,
        "tp_sl_same_bar": SAME_BAR_SL_FIRST,
        "sizing": SIZING_UNIT,
        "max_holding_seconds": _float(p3, "max_holding_sec"),
        "entry_timeout_seconds": _float(p3, "entry_timeout_sec"),
        "breakeven_after_atr": _float(p3, "breakeven_after_atr"),
        "trail_after_atr": _float(p3, "trail_after_atr"),
        "trail_atr_mult": _float(p3, "trail_atr_mult"),
    }


def _g(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "–"


def describe(section: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(назва, опис) кожного припущення розділу для сторінки звіту."""
    fee = section.get("fee_rate_per_side")
    fee_pct = f"{fee * 100:.3f} %" if isinstance(fee, int | float) else "–"
    rt = section.get("round_trip_fee_pct")
    rt_pct = f"{rt:.3f} %" if isinstance(rt, int | float) else "–"
    hold = section.get("max_holding_seconds")
    timeout = section.get("entry_timeout_seconds")
    lines = [
        (
            "Комісії",
            f"taker {fee_pct} від обсягу на вході й на виході (коло ≈ {rt_pct}); PnL % і R — після комісій.",
        ),
        (
            "Вхід",
            "ринковий, за першою ціною після рішення: відкриття наступного 1m бару (рішення — на "
            "закритті бару сигналу); проковзування і спред не додаються; ордер скасовується, якщо ця "
            f"ціна вже за TP чи SL або ціни немає довше за {_g(timeout)} с.",
        ),
        (
            "Вихід",
            "SL — за ціною стопу, а якщо весь діапазон уже за стопом (геп) — за найкращою ціною "
            "діапазону; TP — як лімітний ордер: за TP або краще; вихід за часом — за відкриттям бару, "
            "за протилежним сигналом — за закриттям бару сигналу.",
        ),
        (
            "TP і SL в одному барі",
            "кожен 1m бар — два оновлення: відкриття, потім діапазон high/low із закриттям; якщо "
            "діапазон одного оновлення зачепив і SL, і TP, порядок усередині бару невідомий — "
            "береться гірший результат (SL).",
        ),
        (
            "Стоп",
            f"у беззбиток (на вхід) після +{_g(section.get('breakeven_after_atr'))} ATR, трейлінг "
            f"{_g(section.get('trail_atr_mult'))} ATR від найкращої ціни після "
            f"+{_g(section.get('trail_after_atr'))} ATR (0 вимикає правило); стоп ніколи не "
            "розширюється і діє з наступного оновлення ціни.",
        ),
        (
            "Часова зупинка",
            f"угода закривається через {_g(hold / 3600)} год"
            if isinstance(hold, int | float) and hold > 0
            else "немає",
        ),
        (
            "Розмір",
            "одна ставка на угоду, без реінвестування; не більше однієї активної угоди на символ і бік; "
            "паперовий капітал — сума чистих PnL % у порядку закриття.",
        ),
        (
            "Час угод",
            "UTC, час відкриття 1m бару, на якому сталося заповнення (у барах немає часу всередині хвилини).",
        ),
    ]
    return lines


__all__ = [
    "ENTRY_NEXT_BAR_OPEN",
    "SAME_BAR_SL_FIRST",
    "SIZING_UNIT",
    "SL_AT_STOP_OR_GAP",
    "TP_LIMIT",
    "assumptions_section",
    "describe",
]
