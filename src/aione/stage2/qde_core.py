"""Ядро Stage2 (QDE): контекст → сценарій → скор → рекомендація, TP/SL, впевненість, наратив.

Чиста синхронна функція `decide`: і процесор, і бектест викликають саме її, тож на тих
самих барах рішення однакові. Жодного I/O, годинника чи журналу — лише запис результату.
Некоректний або недостатній вхід дає запис зі статусом skipped/error і `reason`.
Для статусу, відмінного від completed, `recommendation` і `side` — None.

TP/SL міряються в базі волатильності (`aione.stage2.volatility.volatility_basis`:
max(k·ATR(1m), ATR старшого ТФ)), а не в ATR(1m); `risk_parameters.atr` — саме ця база (нею ж
Stage3 міряє беззбиток і трейлінг), ATR(1m) і ATR старшого ТФ лежать поруч (`atr_1m`, `atr_htf`).
Угода за сценарієм руху (`TREND_SCENARIOS`) — лише за трендом старшого ТФ (`htf_trend_min`),
інакше WAIT_FOR_CONFIRMATION з тегом `against_htf_trend`.
Після плану — перевірка витрат (`aione.stage2.risk.cost_verdict`): стоп усередині комісій дає
WAIT_FOR_CONFIRMATION з тегом `stop_inside_costs`; чистий R/R нижче мінімуму — WAIT, якщо він
не менший за половину мінімуму, інакше AVOID (тег `rr_below_min`).
Деривативи (`Stage2Inputs.deriv`): свіжа книга живить фактор `orderbook` і аномалію `thin_book`;
застаріла чи схрещена відкидається, причина (`book: stale 7.2 s`) лягає в `derivatives.dropped`,
а угода, що спиралась би на неї, стає WAIT_FOR_CONFIRMATION з тегом `book_unusable` і тією ж
причиною в `reason`. OI/ціна і фінансування додають фактори `oi_price`, `funding` (ваги
`deriv_weights`); запис отримує розділ `derivatives` з числами знімка. Без знімка — нічого з цього.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from aione.config.config import (
    BUY_SET,
    SELL_SET,
    STAGE2_CONFIG,
    STAGE2_STATUS,
    TRADE_TAG_SIGNAL_GENERATED,
    UI_LOCALE,
    USER_SETTINGS_DEFAULT,
)
from aione.data.bars import BarArrays
from aione.indicators import IndicatorInputError
from aione.signals.deriv_context import DerivContext, with_taker
from aione.stage2.anomaly import detect_anomalies
from aione.stage2.context import MarketContext, build_context
from aione.stage2.inputs import OrderBookDepth, Stage2Inputs
from aione.stage2.narrative import build_narrative
from aione.stage2.risk import (
    TAG_RR_BELOW_MIN,
    TAG_STOP_INSIDE_COSTS,
    TradePlan,
    cost_verdict,
    net_rr,
    plan_trade,
    risk_class,
)
from aione.stage2.scenario import classify_scenario, recommend
from aione.stage2.scoring import (
    composite_confidence,
    composite_score,
    deriv_factor_scores,
    factor_agreement,
    factor_scores,
)
from aione.stage2.tick_grid import TickGrid
from aione.stage2.volatility import volatility_basis
from aione.utils.utils import deep_merge, get_tick_size, normalize_trigger_name, round_to_tick

TAG_AGAINST_HTF_TREND = "against_htf_trend"
TAG_BOOK_UNUSABLE = "book_unusable"
# Сценарії, що йдуть за рухом (пробій, контроль): їм потрібен тренд старшого ТФ. Розворот
# (BEARISH_REVERSAL) за визначенням проти попереднього руху, тож фільтр тренду його не стосується.
TREND_SCENARIOS = frozenset({"BULLISH_BREAKOUT", "BULLISH_CONTROL", "BEARISH_CONTROL"})


# ── Допоміжне ──
def _num(x: float | None, digits: int) -> float | None:
    """Округлене скінченне число або None."""
    if x is None or not math.isfinite(x):
        return None
    return round(x, digits)


def _price(x: float | None, grid: TickGrid) -> float | None:
    """Ціна на сітці тіку (як `round_to_tick(x, tick)`) або None."""
    if x is None or not math.isfinite(x):
        return None
    return grid.snap(x)


def resolve_params(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Параметри Stage2: повний `STAGE2_CONFIG` або накладене на нього часткове перевизначення."""
    if params is STAGE2_CONFIG:
        return params
    return deep_merge(STAGE2_CONFIG, params)


def _triggers(stage1_result: Mapping[str, Any]) -> list[str]:
    raw = stage1_result.get("trigger_reasons") or ()
    out: list[str] = []
    for name in raw:
        norm = normalize_trigger_name(str(name))
        if norm not in out:
            out.append(norm)
    return out


def empty_result(
    symbol: str, timestamp: int | None, status: str, reason: str | None, triggers: list[str] | None = None
) -> dict[str, Any]:
    """Запис Stage2 з усіма ключами контракту, але без рішення (skipped/error/pending)."""
    return {
        "symbol": symbol,
        "timestamp": timestamp,
        "status": status,
        "recommendation": None,
        "side": None,
        "scenario": None,
        "market_context": {
            "scenario": None,
            "price": None,
            "atr": None,
            "atr_pct": None,
            "rsi": None,
            "vwap": None,
            "volatility_regime": None,
            "trend": None,
            "htf_trend": None,
            "nearest_support": None,
            "nearest_resistance": None,
            "band_pct": None,
            "band_position": None,
            "levels": [],
            "volume_profile": None,
            "triggers": list(triggers or []),
        },
        "confidence_metrics": {
            "composite_confidence": 0.0,
            "factor_agreement": 0.0,
            "conviction": 0.0,
            "scenario_clarity": 0.0,
            "data_completeness": 0.0,
            "score": 0.0,
            "factor_scores": {},
            "weights_used": {},
        },
        "risk_parameters": {
            "entry": None,
            "entry_zone": None,
            "tp": None,
            "sl": None,
            "rr": None,
            "rr_net": None,
            "atr": None,
            "atr_1m": None,
            "atr_htf": None,
            "tp_mult": None,
            "sl_mult": None,
            "tick_size": None,
            "risk_class": None,
            "tags": [],
        },
        "narrative": "",
        "anomaly_detection": {"flags": []},
        "reason": reason,
    }


def skipped_passthrough(stage1_result: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """Stage2 вимкнено: результат Stage1 проходить далі зі статусом skipped."""
    symbol = str(stage1_result.get("symbol", ""))
    ts = stage1_result.get("timestamp")
    rec = empty_result(symbol, ts if isinstance(ts, int) else None, STAGE2_STATUS["SKIPPED"], reason)
    rec["market_context"]["triggers"] = _triggers(stage1_result)
    return {**stage1_result, **rec}


# ── Числові параметри рішення ──
class _Knobs(NamedTuple):
    """Числові параметри, які рішення читає завжди (приведені, як і раніше, float()/int())."""

    rsi_overbought: float
    rsi_oversold: float
    score_strong: float
    context_bars: int
    atr_basis_floor_1m: float
    fee_rate: float
    tp_mult: float
    sl_mult: float
    min_risk_reward: float
    min_stop_cost_mult: float
    atr_basis_minutes: int


def _knobs(cfg: Mapping[str, Any]) -> _Knobs:
    """Числові параметри з конфігурації Stage2."""
    return _Knobs(
        float(cfg["rsi_overbought"]),
        float(cfg["rsi_oversold"]),
        float(cfg["score_strong"]),
        int(cfg["context_bars"]),
        float(cfg["atr_basis_floor_1m"]),
        float(cfg["fee_rate"]),
        float(cfg["tp_mult"]),
        float(cfg["sl_mult"]),
        float(cfg["min_risk_reward"]),
        float(cfg["min_stop_cost_mult"]),
        int(cfg["atr_basis_minutes"]),
    )


# `STAGE2_CONFIG` — незмінне дерево MappingProxyType над літералами: його числа рахуються раз.
# Інша конфігурація (звичайний dict, його можна змінити між викликами) — щоразу заново.
_DEFAULT_KNOBS = _knobs(STAGE2_CONFIG)


def _knobs_for(cfg: Mapping[str, Any]) -> _Knobs:
    """Числові параметри `cfg` (для `STAGE2_CONFIG` — готові)."""
    return _DEFAULT_KNOBS if cfg is STAGE2_CONFIG else _knobs(cfg)


# ── Рішення ──
def _with_htf_trend(side: str, htf_trend: float, min_trend: float) -> bool:
    """Угода лише за трендом старшого ТФ: рух у бік угоди ≥ `min_trend` (ATR_htf·√m).

    Невідомий тренд (NaN: коротке вікно) — угоди немає, коли поріг додатний: без старшого ТФ
    напрям не підтверджено. Від'ємний поріг вимикає правило."""
    if min_trend < 0:
        return True
    if not math.isfinite(htf_trend):
        return min_trend <= 0
    return (htf_trend if side == "BUY" else -htf_trend) >= min_trend


def _entry_zone(plan: TradePlan, atr: float, zone_atr: float) -> list[float]:
    tick = plan.tick_size
    if plan.side == "BUY":
        lo = max(
            round_to_tick(plan.entry - zone_atr * atr, tick, "down"), round_to_tick(plan.sl + tick, tick)
        )
        return [min(lo, plan.entry), plan.entry]
    hi = min(round_to_tick(plan.entry + zone_atr * atr, tick, "up"), round_to_tick(plan.sl - tick, tick))
    return [plan.entry, max(hi, plan.entry)]


def _market_context(ctx: MarketContext, scenario: str, triggers: list[str], tick: float) -> dict[str, Any]:
    """Запис `market_context` (ціни — на сітці тіку)."""
    grid = TickGrid.of(tick)
    dec = grid.dec
    vp = ctx.profile
    lv = ctx.levels
    return {
        "scenario": scenario,
        "price": _price(ctx.price, grid),
        "atr": _num(ctx.atr, dec + 2),
        "atr_pct": _num(ctx.atr_pct, 6),
        "rsi": _num(ctx.rsi, 1),
        "vwap": _price(ctx.vwap, grid),
        "vwap_dev": _num(ctx.vwap_dev, 6),
        "volume_z": _num(ctx.volume_z, 2),
        "velocity": _num(ctx.velocity, 3),
        "volatility_regime": ctx.regime,
        "trend": ctx.trend,
        "trend_strength": _num(ctx.trend_strength, 3),
        "htf_trend": _num(ctx.htf_trend, 3),
        "nearest_support": lv.nearest_support,
        "nearest_resistance": lv.nearest_resistance,
        "band_pct": _num(lv.band_pct, 2),
        "band_position": _num(lv.band_position, 3),
        "levels": [level.as_dict() for level in lv.levels],
        "volume_profile": (
            {
                "poc": _price(vp.poc, grid),
                "val": _price(vp.val, grid),
                "vah": _price(vp.vah, grid),
            }
            if vp is not None
            else None
        ),
        "triggers": triggers,
    }


def decide(
    stage1_result: Mapping[str, Any],
    inputs: Stage2Inputs,
    params: Mapping[str, Any] = STAGE2_CONFIG,
    *,
    locale: str = UI_LOCALE,
    style: str = str(USER_SETTINGS_DEFAULT["narrative_style"]),
    explain: bool = True,
) -> dict[str, Any]:
    """Рішення Stage2 для одного результату Stage1 (див. контракт запису в SPEC/брифі).

    `explain=False` — без тексту наративу (поле `narrative` лишається порожнім рядком, решта
    запису та сама): для бектесту, де текст ніхто не читає."""
    cfg = resolve_params(params)
    # dict — найчастіший Mapping: перевірка типу дешевша за isinstance з ABC, результат той самий.
    is_map = type(stage1_result) is dict or isinstance(stage1_result, Mapping)
    symbol = stage1_result.get("symbol") if is_map else None
    if not isinstance(symbol, str) or not symbol:
        return empty_result("", None, STAGE2_STATUS["ERROR"], "invalid_stage1_result")
    ts_raw = stage1_result.get("timestamp")
    timestamp = int(ts_raw) if isinstance(ts_raw, int | float) and math.isfinite(ts_raw) else None
    triggers = _triggers(stage1_result)
    if not cfg["switches"]["use_qde"]:
        return skipped_passthrough(stage1_result, "qde_disabled")
    bars = inputs.bars_1m
    if len(bars) < int(cfg["min_bars"]):
        return empty_result(symbol, timestamp, STAGE2_STATUS["SKIPPED"], "insufficient_data", triggers)
    last_close = float(bars.close[-1])
    if not math.isfinite(last_close) or last_close <= 0:
        return empty_result(symbol, timestamp, STAGE2_STATUS["ERROR"], "invalid_bars", triggers)
    raw_stats = stage1_result.get("stats")
    stats: Mapping[str, Any] = raw_stats if type(raw_stats) is dict or isinstance(raw_stats, Mapping) else {}

    known_tick = inputs.symbol_info.tick_size if inputs.symbol_info is not None else None
    tick = get_tick_size(symbol, last_close, known_tick)
    extra: tuple[float, ...] = ()
    if inputs.bars_1d is None:
        extra = tuple(
            v for v in (stats.get("daily_high"), stats.get("daily_low")) if isinstance(v, int | float)
        )
    try:
        ctx = build_context(
            stats, bars, inputs.bars_1d, tick=tick, params=cfg, extra_macro=extra, features=inputs.features
        )
    except (IndicatorInputError, ValueError):  # нескінченні ціни/обсяги у вікні: вхід зіпсований
        return empty_result(symbol, timestamp, STAGE2_STATUS["ERROR"], "invalid_bars", triggers)
    if not ctx.atr > 0:
        return empty_result(symbol, timestamp, STAGE2_STATUS["SKIPPED"], "no_atr", triggers)
    deriv = None
    if inputs.deriv is not None:
        deriv = _DerivView.build(inputs.deriv, bars, cfg)
    return _decide_with_context(
        symbol, timestamp, triggers, ctx, tick, inputs.orderbook, cfg, locale, style, explain, deriv
    )


# ── Деривативи ──
class _DerivView(NamedTuple):
    """Знімок деривативів рішення: сам знімок (з потоком тейкерів з вікна барів), зміна ціни за
    вікно OI (і чи вона «на місці»), фактори деривативів і причина, чому книгу не взято (None —
    свіжа або її немає)."""

    ctx: DerivContext
    price_change_pct: float | None
    price_flat: bool
    scores: dict[str, float]
    book_problem: str | None
    suppress: bool

    @classmethod
    def build(cls, raw: DerivContext, bars: BarArrays, cfg: Mapping[str, Any]) -> _DerivView:
        dcfg = cfg.get("deriv") or {}
        ctx = with_taker(raw, bars)
        n = max(1, int(ctx.oi_window_min))
        price_change: float | None = None
        if len(bars) > n:
            ref = float(bars.close[-1 - n])
            if ref > 0:
                price_change = (float(bars.close[-1]) / ref - 1.0) * 100.0
        flat_pct = float(dcfg.get("price_flat_pct", 0.2))
        scores = deriv_factor_scores(
            ctx.oi_change_pct,
            price_change,
            ctx.funding_pct_rank,
            oi_full_pct=float(dcfg.get("oi_full_pct", 5.0)),
            price_flat_pct=flat_pct,
        )
        flat = price_change is not None and abs(price_change) < flat_pct
        suppress = bool(dcfg.get("suppress_on_bad_book", True))
        return cls(ctx, price_change, flat, scores, ctx.book_problem(), suppress)

    def orderbook(self, given: OrderBookDepth | None) -> OrderBookDepth | None:
        """Книга для фактора й аномалії: застаріла/схрещена — жодної; свіжа — зі знімка."""
        if self.book_problem is not None:
            return None
        if given is not None:
            return given
        c = self.ctx
        if c.book_fresh and c.bid_usd is not None and c.ask_usd is not None:
            return OrderBookDepth(c.bid_usd, c.ask_usd)
        return None

    def record(self) -> dict[str, Any]:
        """Розділ `derivatives` запису: числа знімка, зміна ціни, відкинуті фактори з причиною."""
        out: dict[str, Any] = {
            k: (_num(v, 6) if isinstance(v, float) else v) for k, v in self.ctx.as_dict().items()
        }
        out["price_change_pct"] = _num(self.price_change_pct, 4)
        out["price_flat"] = self.price_flat
        out["dropped"] = {"orderbook": self.book_problem} if self.book_problem is not None else {}
        return out


def _decide_with_context(
    symbol: str,
    timestamp: int | None,
    triggers: list[str],
    ctx: MarketContext,
    tick: float,
    orderbook: OrderBookDepth | None,
    cfg: Mapping[str, Any],
    locale: str,
    style: str,
    explain: bool = True,
    deriv: _DerivView | None = None,
) -> dict[str, Any]:
    trig = frozenset(triggers)
    if deriv is not None:
        orderbook = deriv.orderbook(orderbook)
    anomalies = detect_anomalies(
        ctx.open,
        ctx.high,
        ctx.low,
        ctx.price,
        atr=ctx.atr,
        volume_z=ctx.volume_z,
        orderbook=orderbook,
        params=cfg["anomaly"],
    )
    knobs = _knobs_for(cfg)
    ob, os_ = knobs.rsi_overbought, knobs.rsi_oversold
    scores = factor_scores(ctx, trig, orderbook, rsi_overbought=ob, rsi_oversold=os_)
    weights = cfg["weights"]
    if deriv is not None:
        scores.update(deriv.scores)
        weights = {**weights, **(cfg.get("deriv_weights") or {})}
    comp = composite_score(scores, weights)
    scen = classify_scenario(
        ctx, trig, anomalies.flags, rsi_overbought=ob, rsi_oversold=os_, min_evidence=cfg["min_evidence"]
    )
    agreement = factor_agreement(scores, comp.weights_used, comp.score)
    conviction = min(1.0, abs(comp.score) / max(knobs.score_strong, 1e-9))
    has_daily = ctx.has_daily or any(lv.scale == "macro" for lv in ctx.levels.levels)
    completeness = (
        0.5 * min(1.0, ctx.bars / max(knobs.context_bars, 1)) + 0.25 * has_daily + 0.25 * comp.coverage
    )
    confidence = round(
        composite_confidence(agreement, conviction, scen.clarity, completeness, cfg["confidence_weights"]), 2
    )
    recommendation = recommend(scen.scenario, comp.score, confidence, ctx.regime, cfg)

    side: str | None = "BUY" if recommendation in BUY_SET else "SELL" if recommendation in SELL_SET else None
    plan: TradePlan | None = None
    tags: list[str] = []
    if (
        side is not None
        and scen.scenario in TREND_SCENARIOS
        and not _with_htf_trend(side, ctx.htf_trend, float(cfg["htf_trend_min"]))
    ):
        tags.append(TAG_AGAINST_HTF_TREND)
        recommendation, side = "WAIT_FOR_CONFIRMATION", None
    suppressed: str | None = None
    if side is not None and deriv is not None and deriv.book_problem is not None and deriv.suppress:
        tags.append(TAG_BOOK_UNUSABLE)  # угода спиралась би на книгу, якій не можна вірити
        suppressed = deriv.book_problem
        recommendation, side = "WAIT_FOR_CONFIRMATION", None
    entry_zone: list[float] | None = None
    rr: float | None = None
    rr_net: float | None = None
    basis = volatility_basis(ctx.atr, ctx.atr_htf, knobs.atr_basis_floor_1m)
    fee_rate = knobs.fee_rate
    if side is not None:
        plan = plan_trade(
            "BUY" if side == "BUY" else "SELL",
            ctx.price,
            basis,
            supports=ctx.levels.supports(),
            resistances=ctx.levels.resistances(),
            tick=tick,
            tp_mult=knobs.tp_mult,
            sl_mult=knobs.sl_mult,
            buffer_eps=float(cfg["tp_buffer_eps"]),
            sl_max_atr=float(cfg["sl_max_atr"]),
        )
    if plan is not None:
        rr = round(plan.rr, 2)
        rr_net = round(max(0.0, net_rr(plan, fee_rate)), 2)  # 0: TP не покриває навіть комісій
        tags.extend(plan.tags)
        entry_zone = _entry_zone(plan, basis, float(cfg["entry_zone_atr"]))
        min_rr = knobs.min_risk_reward
        verdict = cost_verdict(plan, fee_rate, knobs.min_stop_cost_mult, min_rr)
        if verdict == TAG_STOP_INSIDE_COSTS:
            tags.append(verdict)
            recommendation, side = "WAIT_FOR_CONFIRMATION", None
        elif verdict == TAG_RR_BELOW_MIN:
            tags.append(verdict)
            recommendation = "WAIT_FOR_CONFIRMATION" if rr_net >= min_rr / 2.0 else "AVOID"
            side = None
        else:
            tags.append(TRADE_TAG_SIGNAL_GENERATED)
    elif side is not None:
        recommendation, side = "WAIT_FOR_CONFIRMATION", None

    dec = TickGrid.of(tick).dec
    market = _market_context(ctx, scen.scenario, triggers, tick)
    record: dict[str, Any] = {
        "symbol": symbol,
        "timestamp": timestamp,
        "status": STAGE2_STATUS["COMPLETED"],
        "recommendation": recommendation,
        "side": side,
        "scenario": scen.scenario,
        "market_context": market,
        "confidence_metrics": {
            "composite_confidence": confidence,
            "factor_agreement": round(agreement, 4),
            "conviction": round(conviction, 4),
            "scenario_clarity": scen.clarity,
            "data_completeness": round(completeness, 4),
            "score": round(comp.score, 4),
            "factor_scores": scores,
            "weights_used": comp.weights_used,
            "scenario_evidence": scen.evidence,
        },
        "risk_parameters": {
            "entry": plan.entry if plan else market["price"],  # = _price(ctx.price, TickGrid.of(tick))
            "entry_zone": entry_zone,
            "tp": plan.tp if plan else None,
            "sl": plan.sl if plan else None,
            "rr": rr,
            "rr_net": rr_net,
            "atr": _num(basis, dec + 2),
            "atr_1m": market["atr"],  # = _num(ctx.atr, dec + 2)
            "atr_htf": _num(ctx.atr_htf, dec + 2),
            "atr_basis_minutes": knobs.atr_basis_minutes,
            "fee_rate": fee_rate,
            "tp_mult": knobs.tp_mult,
            "sl_mult": knobs.sl_mult,
            "tick_size": tick,
            "risk_class": risk_class(ctx.regime, anomalies.flags, scen.scenario),
            "tags": tags,
            "sl_level": plan.sl_level if plan else None,
            "tp_level": plan.tp_level if plan else None,
            "min_risk_reward": knobs.min_risk_reward,
            "min_stop_cost_mult": knobs.min_stop_cost_mult,
        },
        "narrative": "",
        "anomaly_detection": anomalies.as_dict(),
        "reason": suppressed,
    }
    if deriv is not None:
        record["derivatives"] = deriv.record()
    if explain:
        record["narrative"] = build_narrative(record, locale=locale, style=style)
    return record


__all__ = [
    "TAG_AGAINST_HTF_TREND",
    "TAG_BOOK_UNUSABLE",
    "TAG_RR_BELOW_MIN",
    "TREND_SCENARIOS",
    "decide",
    "empty_result",
    "resolve_params",
    "skipped_passthrough",
]
