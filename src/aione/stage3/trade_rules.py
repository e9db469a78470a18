"""Чисті правила Stage3: поріг впевненості, план угоди з рішення Stage2, перевірка виходу,
адаптація стопу. Жодного I/O і жодного годинника: час приходить аргументом (мс події).

Правила виходу для діапазону ціни [low, high] одного оновлення (інтра-бар або бар):
- BUY: SL спрацьовує, коли low ≤ SL, TP — коли high ≥ TP (SELL — дзеркально);
- обидва в одному діапазоні → порядок невідомий, приймається гірший результат (SL);
- ціна виходу SL = SL, а якщо весь діапазон уже за стопом (геп) — найкраща ціна діапазону
  (BUY: min(SL, high)); TP виконується як лімітний ордер: TP або краще (BUY: max(TP, low)).
Адаптація стопу — список правил `StopRule`; кожне пропонує новий стоп, береться найтісніший,
і стоп ніколи не розширюється.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aione.config.config import BUY_SET, SELL_SET, STAGE2_STATUS
from aione.stage3.trade_model import (
    REASON_SL,
    REASON_TP,
    STATUS_PENDING,
    Side,
    Trade,
)
from aione.utils.utils import get_tick_size, round_to_tick

BULLISH_SCENARIOS = frozenset({"BULLISH_BREAKOUT", "BULLISH_CONTROL"})
BEARISH_SCENARIOS = frozenset({"BEARISH_REVERSAL", "BEARISH_CONTROL"})
_COMPLETED = STAGE2_STATUS["COMPLETED"]


# ── Рішення Stage2 → план ──
def side_of(recommendation: str | None) -> Side | None:
    """BUY для `BUY_SET`, SELL для `SELL_SET`, інакше None (угоди немає)."""
    if recommendation in BUY_SET:
        return "BUY"
    if recommendation in SELL_SET:
        return "SELL"
    return None


def confidence_threshold(volatility_regime: str | None, params: Mapping[str, Any]) -> float:
    """Поріг впевненості: `min_confidence`, у низькій волатильності — `low_vol_conf_override`."""
    if volatility_regime == "low":
        return float(params["low_vol_conf_override"])
    return float(params["min_confidence"])


def _num(value: Any) -> float | None:
    """Скінченне число або None (зовнішні дані не довіряємо)."""
    kind = type(value)
    if kind is not float and kind is not int:  # звичайні float/int — без isinstance
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
    result = float(value)
    return result if math.isfinite(result) else None


def _is_mapping(value: Any) -> bool:
    """`isinstance(value, Mapping)`; звичайний dict — без перевірки через ABC."""
    return type(value) is dict or isinstance(value, Mapping)


def _ts(value: Any) -> int | None:
    """Час події в мс: ціле число (або float без дробової частини)."""
    number = _num(value)
    return int(number) if number is not None and number == int(number) else None


def decision_confidence(result: Mapping[str, Any]) -> float | None:
    """`confidence_metrics.composite_confidence` результату Stage2."""
    metrics = result.get("confidence_metrics") or {}
    return _num(metrics.get("composite_confidence")) if _is_mapping(metrics) else None


def _gate_confidence(result: Mapping[str, Any], params: Mapping[str, Any]) -> float | None:
    """Впевненість результату, що проходить поріг (`passes_gate`), інакше None."""
    if result.get("status") != _COMPLETED or side_of(result.get("recommendation")) is None:
        return None
    confidence = decision_confidence(result)
    context = result.get("market_context") or {}
    regime = context.get("volatility_regime") if _is_mapping(context) else None
    if confidence is not None and confidence >= confidence_threshold(regime, params):
        return confidence
    return None


def passes_gate(result: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Чи дає результат Stage2 право на угоду: завершений, BUY/SELL, впевненість ≥ порогу."""
    return _gate_confidence(result, params) is not None


def stop_inside_costs(entry: float, sl: float, params: Mapping[str, Any]) -> bool:
    """Стоп ближчий до входу, ніж `min_stop_cost_mult` комісій кола (2·`fee_rate`·entry).

    Друга лінія після Stage2 (те саме правило в `aione.stage2.risk.cost_verdict`): Stage3
    знає свою комісію і не відкриває угоду, яку комісія з'їдає ще до руху ціни."""
    mult = float(params.get("min_stop_cost_mult") or 0.0)
    cost = 2.0 * float(params.get("fee_rate") or 0.0) * entry
    return mult > 0 and abs(entry - sl) < mult * cost


def plan_trade(result: Mapping[str, Any], params: Mapping[str, Any]) -> Trade | None:
    """Очікуюча угода з результату Stage2, що пройшов поріг; None, якщо план некоректний.

    План некоректний, коли немає скінченних entry/TP/SL, вони не з того боку
    (BUY: SL < entry < TP) або стоп усередині комісій (`stop_inside_costs`). ATR для адаптації — з `risk_parameters.atr`, інакше з контексту,
    інакше відстань до стопу (1R)."""
    confidence = _gate_confidence(result, params)  # рахується один раз: і поріг, і поле угоди
    if confidence is None:
        return None
    side = side_of(result.get("recommendation"))
    risk = result.get("risk_parameters") or {}
    context = result.get("market_context") or {}
    if side is None or not _is_mapping(risk) or not _is_mapping(context):
        return None
    entry, tp, sl = _num(risk.get("entry")), _num(risk.get("tp")), _num(risk.get("sl"))
    ts = _ts(result.get("timestamp"))
    symbol = result.get("symbol")
    if entry is None or tp is None or sl is None or ts is None or not isinstance(symbol, str):
        return None
    if entry <= 0 or (side == "BUY" and not sl < entry < tp) or (side == "SELL" and not tp < entry < sl):
        return None
    if stop_inside_costs(entry, sl, params):
        return None
    atr = _num(risk.get("atr")) or _num(context.get("atr")) or abs(entry - sl)
    tick = _num(risk.get("tick_size")) or get_tick_size(symbol, entry)
    tags = risk.get("tags") or []
    return Trade(
        trade_id=f"{symbol}-{side}-{ts}",
        symbol=symbol,
        side=side,
        status=STATUS_PENDING,
        decision_ts=ts,
        recommendation=str(result.get("recommendation")),
        confidence=confidence or 0.0,
        planned_entry=entry,
        tp=tp,
        sl=sl,
        initial_sl=sl,
        atr=atr if atr > 0 else abs(entry - sl),
        tick_size=tick,
        fee_rate=float(params["fee_rate"]),
        scenario=context.get("scenario"),
        volatility_regime=context.get("volatility_regime"),
        tags=[str(t) for t in tags] if isinstance(tags, list) else [],
    )


def is_context_break(trade: Trade, result: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Злам контексту для відкритої угоди: протилежний сигнал, що пройшов поріг, або
    (якщо `exit_on_scenario_flip`) сценарій Stage2 змінився на протилежний."""
    opposite = side_of(result.get("recommendation"))
    if opposite is not None and opposite != trade.side and passes_gate(result, params):
        return True
    if not params.get("exit_on_scenario_flip", False) or result.get("status") != _COMPLETED:
        return False
    context = result.get("market_context") or {}
    scenario = context.get("scenario") if _is_mapping(context) else None
    against = BEARISH_SCENARIOS if trade.side == "BUY" else BULLISH_SCENARIOS
    return scenario in against


# ── Вхід і вихід ──
def entry_invalid(trade: Trade, price: float) -> bool:
    """Ціна входу вже за TP або SL: план втратив сенс, входу не буде."""
    if trade.side == "BUY":
        return price <= trade.sl or price >= trade.tp
    return price >= trade.sl or price <= trade.tp


def exit_hit(side: str, tp: float, sl: float, high: float, low: float) -> tuple[str, float] | None:
    """(причина, ціна виходу), якщо діапазон [low, high] зачепив SL або TP плану; SL має пріоритет.

    Те саме правило для угоди Stage3 (`check_exit`) і для плану сигналу (`signals.lifecycle`)."""
    if side == "BUY":
        if low <= sl:
            return REASON_SL, min(sl, high)
        if high >= tp:
            return REASON_TP, max(tp, low)
        return None
    if high >= sl:
        return REASON_SL, max(sl, low)
    if low <= tp:
        return REASON_TP, min(tp, high)
    return None


def check_exit(trade: Trade, high: float, low: float) -> tuple[str, float] | None:
    """(причина, ціна виходу), якщо діапазон [low, high] зачепив SL або TP угоди (`exit_hit`)."""
    return exit_hit(trade.side, trade.tp, trade.sl, high, low)


def track_extremes(trade: Trade, high: float, low: float) -> None:
    """Оновлює найкращу/найгіршу ціну після входу (для MFE/MAE і трейлінгу)."""
    best, worst = (high, low) if trade.side == "BUY" else (low, high)
    if trade.best_price is None or trade.direction * (best - trade.best_price) > 0:
        trade.best_price = best
    if trade.worst_price is None or trade.direction * (worst - trade.worst_price) < 0:
        trade.worst_price = worst


def time_exit_due(trade: Trade, ts_ms: int, params: Mapping[str, Any]) -> bool:
    """Часова зупинка: відкрита довше за `max_holding_sec` (час події)."""
    limit = float(params.get("max_holding_sec") or 0.0)
    return limit > 0 and trade.entry_ts is not None and ts_ms - trade.entry_ts >= limit * 1000.0


def entry_timed_out(trade: Trade, ts_ms: int, params: Mapping[str, Any]) -> bool:
    """Очікуюча угода без жодної ціни довше за `entry_timeout_sec`."""
    limit = float(params.get("entry_timeout_sec") or 0.0)
    return limit > 0 and ts_ms - trade.decision_ts >= limit * 1000.0


# ── Адаптація стопу ──
class StopRule(Protocol):
    """Правило адаптації: пропонує новий стоп для відкритої угоди або None."""

    def propose(self, trade: Trade) -> float | None: ...


def _favourable_atr(trade: Trade) -> float:
    """Найбільший сприятливий рух після входу в одиницях ATR."""
    if trade.entry_price is None or trade.best_price is None or trade.atr <= 0:
        return 0.0
    return trade.direction * (trade.best_price - trade.entry_price) / trade.atr


@dataclass(frozen=True, slots=True)
class BreakEvenRule:
    """Стоп у беззбиток після руху на `after_atr` ATR.

    Беззбиток — після комісій, якщо `cover_fees`: ціна, на якій чистий PnL (з `fee_rate` угоди
    на вході й виході) дорівнює нулю, бо стоп рівно на ціні входу закриває угоду в мінус на
    комісію. Якщо найкраща ціна ще не дійшла до цієї ціни, стоп стає на вхід."""

    after_atr: float
    cover_fees: bool = False

    def propose(self, trade: Trade) -> float | None:
        if self.after_atr <= 0 or trade.entry_price is None or _favourable_atr(trade) < self.after_atr:
            return None
        if not self.cover_fees or trade.best_price is None:
            return trade.entry_price
        # Нуль чистого PnL: (стоп − вхід)·напрям = fee·(вхід + стоп) → стоп = вхід·(1 ± fee)/(1 ∓ fee).
        fee = min(max(0.0, trade.fee_rate), 0.5)
        level = trade.entry_price * (1.0 + trade.direction * fee) / (1.0 - trade.direction * fee)
        if trade.direction * (trade.best_price - level) <= 0:
            return trade.entry_price
        return level


@dataclass(frozen=True, slots=True)
class TrailingRule:
    """Трейлінг: після руху на `after_atr` ATR стоп іде за найкращою ціною на `mult` × ATR."""

    after_atr: float
    mult: float

    def propose(self, trade: Trade) -> float | None:
        if self.after_atr <= 0 or self.mult <= 0 or trade.best_price is None:
            return None
        if _favourable_atr(trade) < self.after_atr:
            return None
        return trade.best_price - trade.direction * self.mult * trade.atr


def default_stop_rules(params: Mapping[str, Any]) -> tuple[StopRule, ...]:
    """Правила з параметрів: беззбиток і трейлінг (0 у параметрі вимикає правило)."""
    return (
        BreakEvenRule(
            float(params.get("breakeven_after_atr") or 0.0), bool(params.get("breakeven_cover_fees", False))
        ),
        TrailingRule(float(params.get("trail_after_atr") or 0.0), float(params.get("trail_atr_mult") or 0.0)),
    )


def proposal_floor(rules: Sequence[StopRule]) -> float | None:
    """Найменший сприятливий рух (в ATR, як `_favourable_atr`), з якого хоч одне правило може
    запропонувати стоп: нижче нього `tightened_stop` гарантовано дає None.

    Відомо лише для `BreakEvenRule` і `TrailingRule` (кожне мовчить, поки рух < `after_atr`, і
    завжди при `after_atr` ≤ 0); для стороннього правила чи `after_atr` = NaN — None (порогу
    немає, правила треба питати щоразу). Без жодного дієвого правила — нескінченність."""
    floor = math.inf
    for rule in rules:
        if type(rule) is not BreakEvenRule and type(rule) is not TrailingRule:
            return None
        after = rule.after_atr
        if math.isnan(after):
            return None
        if after > 0:
            floor = min(floor, after)
    return floor


def tightened_stop(trade: Trade, rules: Sequence[StopRule]) -> float | None:
    """Найтісніший із запропонованих стопів, прив'язаний до тіку, якщо він тісніший за поточний.

    Стоп ніколи не розширюється: пропозиції, гірші за поточний SL, відкидаються."""
    best: float | None = None
    for rule in rules:
        proposal = rule.propose(trade)
        if proposal is None or not math.isfinite(proposal):
            continue
        proposal = round_to_tick(proposal, trade.tick_size)
        if trade.direction * (proposal - trade.sl) > 0 and (
            best is None or trade.direction * (proposal - best) > 0
        ):
            best = proposal
    return best


__all__ = [
    "BEARISH_SCENARIOS",
    "BULLISH_SCENARIOS",
    "BreakEvenRule",
    "StopRule",
    "TrailingRule",
    "check_exit",
    "confidence_threshold",
    "decision_confidence",
    "default_stop_rules",
    "entry_invalid",
    "entry_timed_out",
    "exit_hit",
    "is_context_break",
    "passes_gate",
    "plan_trade",
    "proposal_floor",
    "side_of",
    "stop_inside_costs",
    "tightened_stop",
    "time_exit_due",
    "track_extremes",
]
