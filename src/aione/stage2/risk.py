"""TP/SL у множниках ATR з урахуванням рівнів, прив'язка до тіку, R/R і клас ризику.

Правила (для BUY; SELL — дзеркально):
- TP = entry + `tp_mult`·ATR, SL = entry − `sl_mult`·ATR;
- SL ховається за рівень: перша підтримка під entry, що не лежить між entry і SL (тобто
  sl-стоп стояв би біля неї або перед нею), забирає SL на `pad` нижче себе — але не далі ніж
  `sl_max_atr`·ATR від entry (інакше стоп лишається ATR-шним);
- TP обрізається перед найближчим опором над entry: TP = опір − `pad`, якщо той ближчий за TP;
- `pad` = max(`tp_buffer_eps`·entry, тік);
- TP і SL прив'язуються до тіку в консервативний бік (BUY: обидва вниз; SELL: обидва вгору);
- якщо TP і SL опинились по хибні боки від entry — вони міняються місцями з тегом
  `tp_sl_swapped_long/short`; далі кожен щонайменше на тік від entry (і SL > 0);
- R/R = |TP − entry| / |entry − SL|.

Витрати (правила трейдера, `cost_verdict`): комісія кола C = 2·`fee_rate`·entry (taker на
вході й на виході). Чистий R/R = (|TP − entry| − C) / (|entry − SL| + C) — саме стільки
отримує угода на TP відносно втрати на SL. Угоди немає, коли:
- стоп тісніший за `min_stop_cost_mult`·C (тег `stop_inside_costs`): комісія з'їдає помітну
  частку ризику, а такий стоп стоїть усередині шуму — вибиває випадковим тиком;
- чистий R/R < `min_risk_reward` (тег `rr_below_min`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from aione.config.config import TRADE_TAG_SWAPPED_LONG, TRADE_TAG_SWAPPED_SHORT
from aione.utils.utils import round_to_tick

Side = Literal["BUY", "SELL"]

TAG_SL_BEYOND_LEVEL = "sl_beyond_level"
TAG_TP_CAPPED = "tp_capped_by_level"
TAG_STOP_INSIDE_COSTS = "stop_inside_costs"
TAG_RR_BELOW_MIN = "rr_below_min"


# ── Результат ──
@dataclass(frozen=True, slots=True)
class TradePlan:
    """План угоди: ціни вже на сітці тіку."""

    side: Side
    entry: float
    tp: float
    sl: float
    rr: float
    tick_size: float
    tags: tuple[str, ...]
    sl_level: float | None  # рівень, за який сховано SL
    tp_level: float | None  # рівень, перед яким обрізано TP


# ── Фіналізація ──
def finalize_targets(side: Side, entry: float, tp: float, sl: float, tick: float) -> TradePlan:
    """Прив'язка до тіку, обмін хибних сторін, мінімальна відстань в один тік, R/R."""
    tags: list[str] = []
    entry_t = round_to_tick(entry, tick)
    if side == "BUY":
        if tp < entry_t and sl > entry_t:
            tp, sl = sl, tp
            tags.append(TRADE_TAG_SWAPPED_LONG)
        tp_t = max(round_to_tick(tp, tick, "down"), round_to_tick(entry_t + tick, tick))
        sl_t = min(round_to_tick(sl, tick, "down"), round_to_tick(entry_t - tick, tick))
        if sl_t <= 0:
            sl_t = min(round_to_tick(tick, tick), round_to_tick(entry_t - tick, tick))
        reward, risk = tp_t - entry_t, entry_t - sl_t
    else:
        if tp > entry_t and sl < entry_t:
            tp, sl = sl, tp
            tags.append(TRADE_TAG_SWAPPED_SHORT)
        tp_t = min(round_to_tick(tp, tick, "up"), round_to_tick(entry_t - tick, tick))
        if tp_t <= 0:
            tp_t = round_to_tick(tick, tick)
        sl_t = max(round_to_tick(sl, tick, "up"), round_to_tick(entry_t + tick, tick))
        reward, risk = entry_t - tp_t, sl_t - entry_t
    rr = reward / risk if risk > 0 else 0.0
    return TradePlan(side, entry_t, tp_t, sl_t, rr, tick, tuple(tags), None, None)


# ── План від ATR і рівнів ──
def plan_trade(
    side: Side,
    entry: float,
    atr: float,
    *,
    supports: Iterable[float] = (),
    resistances: Iterable[float] = (),
    tick: float,
    tp_mult: float = 3.0,
    sl_mult: float = 1.0,
    buffer_eps: float = 0.0005,
    sl_max_atr: float = 1.5,
) -> TradePlan | None:
    """План угоди; None, якщо entry/ATR/тік не скінченні або не додатні."""
    if not all(math.isfinite(x) and x > 0 for x in (entry, atr, tick)):
        return None
    pad = max(buffer_eps * entry, tick)
    sign = 1.0 if side == "BUY" else -1.0
    tp = entry + sign * tp_mult * atr
    sl = entry - sign * sl_mult * atr
    sl_limit = entry - sign * sl_max_atr * atr
    # Захисні рівні — з боку стопа, від найближчого до entry; цільові — з боку тейку.
    if side == "BUY":
        protect = sorted((p for p in supports if p < entry), reverse=True)
        oppose = sorted(p for p in resistances if p > entry)
    else:
        protect = sorted(p for p in resistances if p > entry)
        oppose = sorted((p for p in supports if p < entry), reverse=True)
    sl_level: float | None = None
    for level in protect:
        beyond = level - sign * pad
        if sign * (beyond - sl) < 0:  # рівень біля або за SL: стоп має бути за ним
            if sign * (beyond - sl_limit) >= 0:
                sl, sl_level = beyond, level
            break
    tp_level: float | None = None
    if oppose:
        capped = oppose[0] - sign * pad
        if sign * (capped - tp) < 0:
            tp, tp_level = capped, oppose[0]
    plan = finalize_targets(side, entry, tp, sl, tick)
    tags = list(plan.tags)
    if sl_level is not None:
        tags.append(TAG_SL_BEYOND_LEVEL)
    if tp_level is not None:
        tags.append(TAG_TP_CAPPED)
    return TradePlan(side, plan.entry, plan.tp, plan.sl, plan.rr, tick, tuple(tags), sl_level, tp_level)


# ── Витрати ──
def round_trip_cost(entry: float, fee_rate: float) -> float:
    """Комісія входу й виходу в одиницях ціни (наближено: вихід за ціною входу)."""
    return 2.0 * max(0.0, fee_rate) * entry


def net_rr(plan: TradePlan, fee_rate: float) -> float:
    """R/R після комісій: (винагорода − C) / (ризик + C); 0, якщо ризику немає."""
    cost = round_trip_cost(plan.entry, fee_rate)
    reward, risk = abs(plan.tp - plan.entry), abs(plan.entry - plan.sl)
    if risk <= 0:
        return 0.0
    return (reward - cost) / (risk + cost)


def cost_verdict(plan: TradePlan, fee_rate: float, min_stop_cost_mult: float, min_rr: float) -> str | None:
    """Тег причини, з якої план не є угодою після витрат (див. опис модуля), або None."""
    cost = round_trip_cost(plan.entry, fee_rate)
    if abs(plan.entry - plan.sl) < min_stop_cost_mult * cost:
        return TAG_STOP_INSIDE_COSTS
    if net_rr(plan, fee_rate) < min_rr:
        return TAG_RR_BELOW_MIN
    return None


# ── Клас ризику ──
def risk_class(regime: str, anomaly_flags: Iterable[str], scenario: str) -> str:
    """low | medium | high | extreme: маніпуляція — extreme; висока волатильність або
    аномалії — high; низька волатильність без аномалій — low; інакше medium."""
    flags = tuple(anomaly_flags)
    if scenario == "MANIPULATED":
        return "extreme"
    if regime == "high" or flags:
        return "high"
    if regime == "low":
        return "low"
    return "medium"


__all__ = [
    "TAG_RR_BELOW_MIN",
    "TAG_SL_BEYOND_LEVEL",
    "TAG_STOP_INSIDE_COSTS",
    "TAG_TP_CAPPED",
    "Side",
    "TradePlan",
    "cost_verdict",
    "finalize_targets",
    "net_rr",
    "plan_trade",
    "risk_class",
    "round_trip_cost",
]
