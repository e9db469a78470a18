"""Агрегатор стану для UI: один рядок на символ під наглядом, оновлюваний з результатів Stage1,
Stage2 і подій угод Stage3; будує кадр публікації (через `ui.publish_full_state.assemble_frame`).

Правила стану рядка (`ASSET_STATE`):
- `init` — символ щойно під наглядом, даних ще немає; `no_data` — Stage1 без ціни;
- `alert` / `normal` — за сигналом Stage1;
- після Stage2: `error` — статус error; `no_trade` — алерт розібрано, але рекомендація
  не BUY/SELL (HOLD, WAIT…, AVOID…); BUY/SELL лишає `alert`;
- `watch` — бюджет алертів не пропустив кандидата як сигнал: рядок показує ранг, тип і причину,
  але без рекомендації; поки триває той самий епізод алерту, рядок лишається `watch`.
Сигнал (кандидат, що пройшов бюджет) несе ранг, тип і виміряний запис типу (`record`); речення
про запис дописується до пояснення.
TP/SL рядка — лише з цілей Stage3 (активна угода); немає угоди — немає TP/SL. Власний план
сигналу і його стан — у `lifecycle` (id, issued_ts, state, age_sec, plan {entry_lo, entry_hi, tp,
sl, rr_net}, invalidation {rule, level}, reason, text, invalidation_text) незалежно від угоди.
Впевненість: `confidence_text` — виміряна частота типу сигналу, коли запис є, інакше сире число
з підписом «оцінка» (це не ймовірність). Рівні рядка — відбір для показу (`select_levels`).
Тексти для перемикача мови UI: `texts` рядка — {мова: {narrative, confidence_text}} для всіх мов
(`ui.labels.LOCALES`), `lifecycle.texts` — {мова: {text, invalidation_text}}; основні поля
(`narrative`, `confidence_text`, `lifecycle.text`) — мовою агрегатора. Друга мова будується лише
на результаті Stage2 чи зміні життєвого циклу (не на кожен кадр).
`dirty` = змінився сигнал, рекомендація або угода: кадр треба опублікувати одразу.
Жодного годинника: час — з результатів і подій.

Кадр для публікації (`build_frame(ts, rounded=True)`) — уже округлений кодеком (`round_row`), і
рядок будується заново лише тоді, коли він змінився: кожна подія, що міняє рядок, скидає його кеш
(`AssetRow.frame_cache`), а незмінний рядок береться з кешу з полями, що залежать від часу кадру
чи йдуть окремо від подій: `price` і `updated_ts` (`on_price` кешу не скидає), вік сигналу
(`lifecycle.age_sec`) і `deriv`. Результат Stage1 (кожне оновлення бару) кешу рядка теж не скидає:
він міняє лише поля `STAGE1_FIELDS`, їх округлена копія (`AssetRow.stage1_cache`) будується заново
й накладається на кеш рядка, тож рядок не округлюється цілком (тексти, рівні, план) на кожен бар. Рядок з активною угодою будується щоразу (угоду змінює Stage3, а
PnL — ціна). Кадр лише для читання: незмінні вкладені частини рядків спільні між кадрами.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aione.config.config import (
    ASSET_STATE,
    BUY_SET,
    FRAME_RECENT_TRADES,
    SELL_SET,
    SIGNAL_ALERT,
    STAGE2_STATUS,
    UI_LOCALE,
    USER_SETTINGS_DEFAULT,
)
from aione.data.ws_worker import round_field, round_frame, round_row, row_decimals
from aione.signals.lifecycle import SignalLifecycle
from aione.signals.records import record_sentence
from aione.stage2.level_manager import select_levels
from aione.stage2.narrative import build_narrative, confidence_text, invalidation_sentence, lifecycle_text
from aione.stage3.trade_model import (
    EVENT_CANCELLED,
    EVENT_CLOSED,
    STATUS_CLOSED,
    STATUS_OPEN,
    Trade,
    TradeEvent,
)
from aione.ui.labels import LOCALES
from aione.ui.publish_full_state import assemble_frame
from aione.utils.utils import finite_or_none, get_tick_size, normalize_trigger_name

MAX_LEVELS_PER_ROW = 6  # найближчих рівнів у рядку кадру: досить для UI, кадр лишається малим
# Поля рядка, які змінює `on_stage1` (окрім `price` і `updated_ts`, що накладаються на кожен кадр).
STAGE1_FIELDS = (
    "state",
    "price_change_pct",
    "volume_usd",
    "turnover_24h_usd",
    "atr_pct",
    "rsi",
    "triggers",
    "signal",
)


def _ts(value: Any) -> int | None:
    number = finite_or_none(value)
    return int(number) if number is not None else None


def _narrative_in(result: Mapping[str, Any], locale: str, style: str) -> str | None:
    """Наратив запису Stage2 іншою мовою; неповний запис (тести, старі видавці) — None."""
    if not isinstance(result.get("market_context"), Mapping) or not isinstance(
        result.get("risk_parameters"), Mapping
    ):
        return None
    try:
        return build_narrative(result, locale=locale, style=style)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


# ── Рядок ──
@dataclass(slots=True)
class AssetRow:
    """Стан одного символу для UI."""

    symbol: str
    state: str = ASSET_STATE["INIT"]
    price: float | None = None
    price_change_pct: float | None = None
    volume_usd: float | None = None  # quote volume останнього бару
    turnover_24h_usd: float | None = None  # оборот за 24 год (коли агрегатор має джерело)
    atr_pct: float | None = None  # у відсотках
    rsi: float | None = None
    band_pct: float | None = None
    triggers: list[str] = field(default_factory=list)
    signal: str | None = None
    recommendation: str | None = None
    confidence: float | None = None
    scenario: str | None = None
    narrative: str | None = None
    tick_size: float | None = None
    levels: list[dict[str, Any]] = field(default_factory=list)
    updated_ts: int | None = None
    active: dict[str, Trade] = field(default_factory=dict)  # бік → активна угода
    last_closed: Trade | None = None
    rank: float | None = None  # ранг останнього кандидата [0, 1]
    rank_parts: dict[str, Any] | None = None  # частини рангу: незвичність, переконаність, історія
    surfaced: bool | None = None  # True — сигнал, False — watch, None — кандидата ще не було
    budget_reason: str | None = None
    signal_kind: str | None = None
    signal_id: str | None = None
    record: dict[str, Any] | None = None  # виміряний запис типу сигналу
    confidence_text: str | None = None  # «TP першим у 31 % з 412 схожих випадків» або «оцінка 0.82»
    lifecycle: dict[str, Any] | None = None  # останній сигнал символу: план і стан (без віку)
    stale_reason: str | None = None  # фід символу застарів (немає закритих барів): чому
    texts: dict[str, dict[str, str | None]] | None = None  # мова → {narrative, confidence_text}
    # округлений рядок останнього кадру, його тік і знаки цін; None — рядок змінився (будувати заново)
    frame_cache: tuple[float, int, dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    # останній `deriv` від джерела і його округлена копія: джерело повертає той самий об'єкт, поки
    # підсумок не змінився (`data.deriv_view.FrameDerivs`)
    deriv_cache: tuple[object, int, Any] | None = field(default=None, repr=False, compare=False)
    # округлені поля `STAGE1_FIELDS` для накладання на `frame_cache`; None — Stage1 їх змінив
    stage1_cache: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def touch(self, ts: int | None) -> None:
        if ts is not None and (self.updated_ts is None or ts > self.updated_ts):
            self.updated_ts = ts

    def trade(self) -> Trade | None:
        """Угода для показу: відкрита → очікуюча → остання закрита."""
        opened = [t for t in self.active.values() if t.status == STATUS_OPEN]
        if opened:
            return opened[0]
        if self.active:
            return next(iter(self.active.values()))
        return self.last_closed

    def lifecycle_view(self, now_ms: int | None) -> dict[str, Any] | None:
        """Стан сигналу для кадру з віком на `now_ms` (час кадру), с."""
        if self.lifecycle is None:
            return None
        view = dict(self.lifecycle)
        issued = view.get("issued_ts")
        view["age_sec"] = (
            max(0, now_ms - issued) // 1000 if now_ms is not None and isinstance(issued, int) else None
        )
        return view

    def tick(self) -> float:
        """Тік рядка: відомий або за символом/ціною (`get_tick_size`)."""
        return self.tick_size or get_tick_size(self.symbol, self.price)

    def to_dict(self, now_ms: int | None = None) -> dict[str, Any]:
        """Рядок кадру. PnL відкритої угоди рахується за поточною ціною рядка; вік сигналу — на `now_ms`."""
        trade = self.trade()
        tick = self.tick()
        is_active = trade is not None and trade.is_active
        pnl = None
        if trade is not None and trade.status == STATUS_OPEN:
            pnl = trade.pnl_pct(self.price)
        elif trade is not None and trade.status == STATUS_CLOSED:
            pnl = trade.pnl_pct()
        return {
            "symbol": self.symbol,
            "state": self.state,
            "price": self.price,
            "price_change_pct": self.price_change_pct,
            "volume_usd": self.volume_usd,
            "turnover_24h_usd": self.turnover_24h_usd,
            "atr_pct": self.atr_pct,
            "rsi": self.rsi,
            "band_pct": self.band_pct,
            "triggers": list(self.triggers),
            "signal": self.signal,
            "recommendation": self.recommendation,
            "confidence": self.confidence,
            "scenario": self.scenario,
            "tp": trade.tp if is_active and trade is not None else None,
            "sl": trade.sl if is_active and trade is not None else None,
            "trade_side": trade.side if trade is not None else None,
            "trade_status": trade.status if trade is not None else None,
            "close_reason": trade.close_reason if trade is not None else None,
            "trailing": trade.trailing_active if trade is not None else None,
            "breakeven": trade.breakeven_done if trade is not None else None,
            "pnl_pct": pnl,
            "narrative": self.narrative,
            "rank": self.rank,
            "rank_parts": dict(self.rank_parts) if self.rank_parts else None,
            "surfaced": self.surfaced,
            "budget_reason": self.budget_reason,
            "signal_kind": self.signal_kind,
            "signal_id": self.signal_id,
            "record": dict(self.record) if self.record else None,
            "confidence_text": self.confidence_text,
            "texts": self.texts,
            "lifecycle": self.lifecycle_view(now_ms),
            "tick_size": tick,
            "levels": [dict(level) for level in self.levels],
            "updated_ts": self.updated_ts,
            "stale": self.stale_reason is not None,
            "stale_reason": self.stale_reason,
        }


# ── Агрегатор ──
class AssetStateAggregator:
    """Рядки всіх символів під наглядом і лічильники; `build_frame` дає один кадр стану."""

    def __init__(
        self,
        symbols: Iterable[str] = (),
        *,
        tick_sizes: Mapping[str, float] | None = None,
        start_seq: int = 0,
        recent_trades: int = FRAME_RECENT_TRADES,
        locale: str = UI_LOCALE,
    ) -> None:
        self.locale = locale
        self.narrative_style = str(USER_SETTINGS_DEFAULT["narrative_style"])  # для наративу іншою мовою
        self.rows: dict[str, AssetRow] = {}
        self.seq = start_seq
        self.dirty = False
        self.prefilter: dict[str, Any] = {}
        self._recent: deque[Trade] = deque(maxlen=recent_trades)
        # Необов'язкові джерела живого режиму: оборот 24 год символу і `meta` кадру (режим, час ринку).
        self.turnover_source: Callable[[str], float | None] | None = None
        self.meta_source: Callable[[], dict[str, Any]] | None = None
        # Деривативи символу (книга, OI, фінансування, ліквідації) на час кадру: поле `deriv` рядка.
        self.deriv_source: Callable[[str], dict[str, Any] | None] | None = None
        # Слухач подій (сповіщення, notify/): ("signal", рішення-сигнал) і ("trade", TradeEvent); не має кидати.
        self.listener: Callable[[str, Any], None] | None = None
        self.set_symbols(symbols, tick_sizes)

    # ── Вхідні події ──
    def _changing(self, symbol: str) -> AssetRow:
        """Рядок символу (новий — у `init`), який зараз зміниться: його кеш кадру скидається."""
        row = self.rows.get(symbol)
        if row is None:
            row = self.rows[symbol] = AssetRow(symbol)
        row.frame_cache = None
        return row

    def set_symbols(self, symbols: Iterable[str], tick_sizes: Mapping[str, float] | None = None) -> None:
        """Новий список під наглядом: нові рядки в `init`; зниклі прибираються, якщо не мають
        активної угоди (угода лишається видимою, доки не закриється)."""
        wanted = list(dict.fromkeys(symbols))
        for symbol in wanted:
            row = self.rows.setdefault(symbol, AssetRow(symbol))
            if tick_sizes and symbol in tick_sizes:
                row.tick_size = tick_sizes[symbol]
                row.frame_cache = None
        keep = set(wanted)
        for symbol in [s for s, row in self.rows.items() if s not in keep and not row.active]:
            del self.rows[symbol]
        self.dirty = True

    def on_stage1(self, result: Mapping[str, Any]) -> None:
        symbol = result.get("symbol")
        if not isinstance(symbol, str):
            return
        row = self.rows.get(symbol)
        if row is None:
            row = self._changing(symbol)
        row.stage1_cache = None  # змінюються лише `STAGE1_FIELDS`, ціна й час: кеш рядка лишається
        raw_stats = result.get("stats")
        stats: Mapping[str, Any] = raw_stats if isinstance(raw_stats, Mapping) else {}
        price = finite_or_none(stats.get("price"))
        if price is not None and price > 0:
            row.price = price
        row.price_change_pct = (
            finite_or_none(stats.get("price_change_pct"))
            if "price_change_pct" in stats
            else row.price_change_pct
        )
        row.volume_usd = finite_or_none(stats.get("volume_usd")) if "volume_usd" in stats else row.volume_usd
        if self.turnover_source is not None:
            row.turnover_24h_usd = self.turnover_source(symbol)
        atr = finite_or_none(stats.get("atr"))
        if atr is not None and row.price:
            row.atr_pct = atr / row.price * 100.0
        row.rsi = finite_or_none(stats.get("rsi")) if "rsi" in stats else row.rsi
        signal = result.get("signal")
        triggers = result.get("trigger_reasons") or []
        row.triggers = (
            [normalize_trigger_name(str(t)) for t in triggers] if isinstance(triggers, list) else []
        )
        if signal != row.signal:
            self.dirty = True
        row.signal = signal if isinstance(signal, str) else None
        if row.price is None:
            row.state = ASSET_STATE["NO_DATA"]
        elif row.signal == SIGNAL_ALERT:
            row.state = ASSET_STATE["WATCH"] if row.surfaced is False else ASSET_STATE["ALERT"]
        else:
            row.state = ASSET_STATE["NORMAL"]
        row.touch(_ts(result.get("timestamp")))

    def on_stage2(self, result: Mapping[str, Any]) -> None:
        symbol = result.get("symbol")
        if not isinstance(symbol, str):
            return
        row = self._changing(symbol)
        status = result.get("status")
        if status == STAGE2_STATUS["ERROR"]:
            row.state = ASSET_STATE["ERROR"]
            self.dirty = True
            row.touch(_ts(result.get("timestamp")))
            return
        if status != STAGE2_STATUS["COMPLETED"]:
            return
        context = result.get("market_context") or {}
        risk = result.get("risk_parameters") or {}
        metrics = result.get("confidence_metrics") or {}
        recommendation = result.get("recommendation")
        confidence = (
            finite_or_none(metrics.get("composite_confidence")) if isinstance(metrics, Mapping) else None
        )
        if recommendation != row.recommendation:
            self.dirty = True
        row.recommendation = recommendation if isinstance(recommendation, str) else None
        row.confidence = confidence
        if isinstance(context, Mapping):
            self._apply_context(row, context)
        tick = finite_or_none(risk.get("tick_size")) if isinstance(risk, Mapping) else None
        if tick is not None and tick > 0:
            row.tick_size = tick
        self._apply_signal(row, result)
        narrative = result.get("narrative")
        fresh = isinstance(narrative, str) and bool(narrative)
        row.narrative = narrative if isinstance(narrative, str) and narrative else row.narrative
        row.confidence_text = confidence_text(row.record, confidence, self.locale)
        sentence = record_sentence(row.record, self.locale)
        if sentence and row.narrative:
            row.narrative = f"{row.narrative}\n{sentence}"
        row.texts = self._texts(row, result, confidence, fresh)
        if row.recommendation not in BUY_SET and row.recommendation not in SELL_SET:
            row.state = ASSET_STATE["NO_TRADE"] if row.signal == SIGNAL_ALERT else row.state
        row.touch(_ts(result.get("timestamp")))
        if self.listener is not None:
            self.listener("signal", result)

    def on_watch(self, result: Mapping[str, Any]) -> None:
        """Кандидат, якого бюджет не пропустив: ранг, тип і причина без рекомендації й пояснення."""
        symbol = result.get("symbol")
        if not isinstance(symbol, str):
            return
        row = self._changing(symbol)
        if row.recommendation is not None or row.surfaced is not False:
            self.dirty = True
        row.recommendation = None
        row.confidence = None
        row.confidence_text = None
        row.narrative = None
        row.texts = None
        context = result.get("market_context")
        if isinstance(context, Mapping):
            self._apply_context(row, context)
        self._apply_signal(row, result)
        if row.price is not None:
            row.state = ASSET_STATE["WATCH"]
        row.touch(_ts(result.get("timestamp")))

    def _texts(
        self, row: AssetRow, result: Mapping[str, Any], confidence: float | None, fresh: bool
    ) -> dict[str, dict[str, str | None]]:
        """Наратив і впевненість усіма мовами UI: мова агрегатора — готові поля рядка, інші —
        `build_narrative` з того самого запису Stage2 (без запису — лише впевненість)."""
        old = row.texts or {}
        out: dict[str, dict[str, str | None]] = {}
        for loc in LOCALES:
            if loc == self.locale:
                text = row.narrative
            elif fresh:
                text = _narrative_in(result, loc, self.narrative_style)
                sentence = record_sentence(row.record, loc)
                if sentence and text:
                    text = f"{text}\n{sentence}"
            else:
                text = (old.get(loc) or {}).get("narrative")
            out[loc] = {"narrative": text, "confidence_text": confidence_text(row.record, confidence, loc)}
        return out

    @staticmethod
    def _apply_signal(row: AssetRow, result: Mapping[str, Any]) -> None:
        meta = result.get("signal")
        if not isinstance(meta, Mapping):
            return
        rank = meta.get("rank")
        row.rank = finite_or_none(rank.get("score")) if isinstance(rank, Mapping) else None
        row.rank_parts = (
            {k: rank.get(k) for k in ("unusual", "conviction", "history")}
            if isinstance(rank, Mapping)
            else None
        )
        surfaced = meta.get("surfaced")
        row.surfaced = surfaced if isinstance(surfaced, bool) else None
        reason, kind, sid = meta.get("reason"), meta.get("kind"), meta.get("id")
        row.budget_reason = reason if isinstance(reason, str) else None
        row.signal_kind = kind if isinstance(kind, str) else None
        row.signal_id = sid if isinstance(sid, str) else None
        record = meta.get("record")
        row.record = dict(record) if isinstance(record, Mapping) else None

    @staticmethod
    def _apply_context(row: AssetRow, context: Mapping[str, Any]) -> None:
        price = finite_or_none(context.get("price"))
        if price is not None and price > 0:
            row.price = price
        atr_frac = finite_or_none(context.get("atr_pct"))
        if atr_frac is not None:
            row.atr_pct = atr_frac * 100.0  # контракт Stage2: частка
        for name in ("rsi", "band_pct"):
            value = finite_or_none(context.get(name))
            if value is not None:
                setattr(row, name, value)
        scenario = context.get("scenario")
        row.scenario = scenario if isinstance(scenario, str) else row.scenario
        triggers = context.get("triggers")
        if isinstance(triggers, list) and triggers:
            row.triggers = [normalize_trigger_name(str(t)) for t in triggers]
        levels = context.get("levels")
        level_price = finite_or_none(context.get("price"))
        if isinstance(levels, list) and level_price is not None:
            usable = [
                lv for lv in levels if isinstance(lv, Mapping) and finite_or_none(lv.get("price")) is not None
            ]
            row.levels = select_levels(usable, level_price, finite_or_none(context.get("atr")))[
                :MAX_LEVELS_PER_ROW
            ]

    def on_trade_events(self, events: Iterable[TradeEvent]) -> None:
        for event in events:
            trade = event.trade
            row = self._changing(trade.symbol)
            if event.kind in (EVENT_CLOSED, EVENT_CANCELLED):
                row.active.pop(trade.side, None)
                if event.kind == EVENT_CLOSED:
                    row.last_closed = trade
                    self._recent.append(trade)
            else:
                row.active[trade.side] = trade
            if row.tick_size is None:
                row.tick_size = trade.tick_size
            row.touch(trade.last_ts or trade.decision_ts)
            self.dirty = True
            if self.listener is not None:
                self.listener("trade", event)

    def set_stale(self, stale: Mapping[str, str]) -> None:
        """Символи із застарілим фідом (символ → причина); решта — свіжі. Зміна прапорця — брудний кадр."""
        for symbol, row in self.rows.items():
            reason = stale.get(symbol)
            if (reason is None) != (row.stale_reason is None):
                self.dirty = True
            if reason != row.stale_reason:
                row.frame_cache = None
            row.stale_reason = reason

    def on_lifecycles(self, lives: Iterable[SignalLifecycle]) -> None:
        """Змінені життєві цикли сигналів: рядок показує найновіший сигнал символу."""
        for life in lives:
            row = self._changing(life.symbol)
            current = row.lifecycle
            if current is not None and current.get("id") != life.signal_id:
                if int(current.get("issued_ts") or 0) > life.issued_ts:
                    continue  # старший сигнал (скасований новішим) рядок уже не показує
            tick = row.tick_size or get_tick_size(life.symbol, life.plan.entry_hi)
            view = life.view()
            view["text"] = lifecycle_text(view, tick, self.locale)
            view["invalidation_text"] = invalidation_sentence(life.plan.side, life.plan.sl, tick, self.locale)
            view["texts"] = {
                loc: {
                    "text": lifecycle_text(view, tick, loc),
                    "invalidation_text": invalidation_sentence(life.plan.side, life.plan.sl, tick, loc),
                }
                for loc in LOCALES
            }
            row.lifecycle = view
            row.touch(life.final_ts or life.last_bar_ts or life.issued_ts)
            self.dirty = True

    def on_prefilter(self, stats: Mapping[str, Any]) -> None:
        """Статистика префільтра для лічильників (як є: universe, selected, rejected{reason})."""
        self.prefilter = dict(stats)

    def on_price(self, symbol: str, price: float, ts_ms: int) -> None:
        """Свіжа ціна між результатами Stage1 (не робить кадр «брудним»)."""
        row = self.rows.get(symbol)
        if row is not None and math.isfinite(price) and price > 0:
            row.price = price
            row.touch(ts_ms)

    def restore_trades(self, active: Iterable[Trade], recent: Iterable[Trade]) -> None:
        """Угоди після перезапуску (з `TradeManager.active_trades()/recent_trades()`)."""
        for trade in recent:
            self._recent.append(trade)
            row = self._changing(trade.symbol)
            row.last_closed = trade
        for trade in active:
            self._changing(trade.symbol).active[trade.side] = trade
        self.dirty = True

    # ── Кадр ──
    def build_frame(self, ts_ms: int, *, rounded: bool = False) -> dict[str, Any]:
        """Один кадр стану з наступним `seq`; скидає `dirty`.

        `rounded=True` — кадр для публікації: те саме, що `round_frame(build_frame(ts))`, але
        незмінні рядки беруться з кешу (див. docstring модуля)."""
        self.seq += 1
        self.dirty = False
        if rounded:
            rows = [self._rounded_row(row, ts_ms) for row in self.rows.values()]
        else:
            rows = [row.to_dict(ts_ms) for row in self.rows.values()]
            if self.deriv_source is not None:
                for item in rows:
                    item["deriv"] = self.deriv_source(item["symbol"])
        open_views = []
        for trade in self._active_trades():
            price = self._price_of(trade)
            view = trade.view()
            view["current_price"] = price
            if trade.status == STATUS_OPEN and price is not None:
                view["pnl_pct"] = trade.pnl_pct(price)
                view["pnl_r"] = trade.r_multiple(price)
            open_views.append(view)
        recent = [t.view() for t in reversed(self._recent)]
        frame = assemble_frame(rows, open_views, recent, self.prefilter, seq=self.seq, ts_ms=ts_ms)
        if self.meta_source is not None:
            frame["meta"] = self.meta_source()
        return round_frame(frame, assets_rounded=True) if rounded else frame

    def _rounded_row(self, row: AssetRow, ts_ms: int) -> dict[str, Any]:
        """Округлений рядок кадру: з кешу, якщо рядок не змінився (і тік той самий), інакше заново."""
        tick = row.tick()
        cached = row.frame_cache
        if cached is None or cached[0] != tick or row.active:
            item = row.to_dict(ts_ms)
            if self.deriv_source is not None:
                item["deriv"] = None  # місце поля в рядку; значення — нижче, округлене через кеш
            out = round_row(item)
            if self.deriv_source is not None:
                out["deriv"] = self._rounded_deriv(row, row_decimals(item))
            if row.active:
                return out
            row.frame_cache = (tick, row_decimals(item), out)
            row.stage1_cache = {name: out[name] for name in STAGE1_FIELDS}
            return dict(out)  # кеш — не частина кадру: кадр можна тримати, кеш живе далі
        _, decimals, base = cached
        out = dict(base)
        fresh = row.stage1_cache
        if fresh is None:
            fresh = row.stage1_cache = {
                name: round_field(
                    name, list(row.triggers) if name == "triggers" else getattr(row, name), decimals
                )
                for name in STAGE1_FIELDS
            }
        out.update(fresh)
        out["price"] = round_field("price", row.price, decimals)
        out["updated_ts"] = round_field("updated_ts", row.updated_ts, decimals)
        if row.lifecycle is not None:
            out["lifecycle"] = round_field("lifecycle", row.lifecycle_view(ts_ms), decimals)
        if self.deriv_source is not None:
            out["deriv"] = self._rounded_deriv(row, decimals)
        return out

    def _rounded_deriv(self, row: AssetRow, decimals: int) -> Any:
        """Округлений `deriv` рядка; той самий об'єкт від джерела — те саме округлене значення."""
        assert self.deriv_source is not None
        value = self.deriv_source(row.symbol)
        cached = row.deriv_cache
        if cached is not None and cached[0] is value and cached[1] == decimals and value is not None:
            return cached[2]
        rounded = round_field("deriv", value, decimals)
        row.deriv_cache = (value, decimals, rounded)
        return rounded

    def _active_trades(self) -> list[Trade]:
        return [t for row in self.rows.values() for t in row.active.values()]

    def _price_of(self, trade: Trade) -> float | None:
        row = self.rows.get(trade.symbol)
        return row.price if row is not None and row.price is not None else trade.last_price


__all__ = ["MAX_LEVELS_PER_ROW", "STAGE1_FIELDS", "AssetRow", "AssetStateAggregator"]
