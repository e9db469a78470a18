"""Менеджер паперових угод Stage3: відкриття з рішень Stage2, супровід за кожною ціною, закриття.

Правила (чисті функції — у `trade_rules`):
- угода відкривається з рекомендації BUY_SET/SELL_SET, що пройшла поріг впевненості, якщо на
  цьому символі й боці ще немає активної (очікуючої чи відкритої) угоди;
- вхід — за НАСТУПНОЮ ціною після рішення (час оновлення строго більший за час рішення),
  тож рішення на закритті бару t виконується на барі t+1 без заглядання вперед;
- кожне оновлення ціни (інтра-бар теж) спершу перевіряє вихід за стопами, що діяли ДО нього,
  потім оновлює MAE/MFE і лише тоді адаптує стоп (беззбиток, трейлінг) — на наступні оновлення;
- часова зупинка, тайм-аут входу, протилежний сигнал (early_exit) і ручне закриття.
Час — лише з подій (мс), тож бектест і live дають однакові угоди.

Кожен публічний виклик кладе список подій у `last_events` (і повертає його, крім
`on_decision`, що повертає створену угоду) — агрегатор стану знає, що змінилося.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from aione.config.config import STAGE2_STATUS, STAGE3_TRADE_PARAMS, TRADE_REFRESH_INTERVAL
from aione.data.bars import Bar
from aione.logging_setup import get_logger, log_ctx
from aione.stage3 import trade_rules as rules
from aione.stage3.trade_model import (
    CANCEL_INVALIDATED,
    CANCEL_TIMEOUT,
    CLOSE_REASONS,
    EVENT_CANCELLED,
    EVENT_CLOSED,
    EVENT_OPENED,
    EVENT_PENDING,
    EVENT_UPDATED,
    REASON_EARLY,
    REASON_TIME,
    REASON_TP,
    STATUS_CANCELLED,
    STATUS_CLOSED,
    STATUS_OPEN,
    STATUS_PENDING,
    Side,
    Trade,
    TradeEvent,
)

if TYPE_CHECKING:  # інтерфейс виконання; імпорт лише для типів (execution/ імпортує stage3)
    from aione.execution.broker import Broker

logger = get_logger(__name__)
_INFO = logging.INFO
_COMPLETED = STAGE2_STATUS["COMPLETED"]
_isfinite = math.isfinite


# ── Менеджер ──
class TradeManager:
    """Стан угод: активні (одна на символ і бік) та недавні закриті. Без I/O.

    Параметри (`params`) читаються при створенні — як і правила стопу з них: межі часу
    рахуються один раз, щоб не розбирати словник на кожну ціну."""

    def __init__(
        self,
        params: Mapping[str, Any] = STAGE3_TRADE_PARAMS,
        stop_rules: Sequence[rules.StopRule] | None = None,
        *,
        refresh_interval_sec: int = TRADE_REFRESH_INTERVAL,
        broker: Broker | None = None,
    ) -> None:
        self.params: dict[str, Any] = dict(params)
        self.stop_rules = tuple(stop_rules) if stop_rules is not None else rules.default_stop_rules(params)
        self._active: dict[tuple[str, Side], Trade] = {}
        self._recent: deque[Trade] = deque(maxlen=int(self.params["recent_trades_keep"]))
        self._last_price: dict[str, float] = {}
        self.last_events: list[TradeEvent] = []
        self.version = 0  # зростає з кожною зміною стану (сигнал зберегти)
        self.refresh_interval_ms = refresh_interval_sec * 1000
        self._last_refresh: int | None = None
        # Межі часу з параметрів, пораховані один раз тим самим виразом, що й у правилах
        # (`time_exit_due`, `entry_timed_out`); None — межу вимкнено.
        self._hold_ms = _limit_ms(self.params, "max_holding_sec")
        self._entry_timeout_ms = _limit_ms(self.params, "entry_timeout_sec")
        # Поріг руху (ATR), нижче якого жодне правило стопу нічого не пропонує; рахується для
        # набору `stop_rules`, на який вказує `_floor_rules` (перерахунок, якщо набір замінили).
        self._floor_rules: tuple[rules.StopRule, ...] | None = None
        self._floor: float | None = None
        # Остання «тиха» перевірка правил стопу для символу й боку: (угода, найкраща ціна, стоп),
        # на яких відомі правила нічого не запропонували. Їхні пропозиції залежать лише від
        # незмінних полів угоди, найкращої ціни і стопу, тож при тих самих значеннях відповідь
        # та сама — перевірку можна пропустити.
        self._quiet: dict[tuple[str, Side], tuple[Trade, float, float]] = {}
        self._symbols: frozenset[str] | None = None  # кеш `active_symbols`
        # Виконавець рішень (execution/): отримує кожен непорожній список подій угод.
        # None — лише паперові угоди цього менеджера, як і раніше.
        self.broker: Broker | None = broker

    # ── Читання ──
    def open_trades(self) -> list[Trade]:
        """Відкриті угоди (копії)."""
        return [_copy(t) for t in self._active.values() if t.status == STATUS_OPEN]

    def pending_trades(self) -> list[Trade]:
        """Очікуючі входу угоди (копії)."""
        return [_copy(t) for t in self._active.values() if t.status == STATUS_PENDING]

    def active_trades(self) -> list[Trade]:
        """Очікуючі й відкриті угоди (копії) — те, що зберігається як «відкрите»."""
        return [_copy(t) for t in self._active.values()]

    def active_symbols(self) -> frozenset[str]:
        """Символи з очікуючою чи відкритою угодою (лише їм потрібна кожна ціна).

        Множина кешується до наступної зміни складу активних угод (вона незмінна, тож
        спільний об'єкт безпечний)."""
        symbols = self._symbols
        if symbols is None:
            symbols = self._symbols = frozenset([symbol for symbol, _ in self._active])
        return symbols

    def recent_trades(self) -> list[Trade]:
        """Недавні закриті угоди, старіші першими (копії)."""
        return [_copy(t) for t in self._recent]

    def status_key(self) -> tuple[object, ...]:
        """Відбиток статусів угод: змінюється, коли угоду створено, відкрито, закрито чи скасовано
        (але не від руху стопу чи ціни) — така зміна зберігається одразу, без обмеження частоти."""
        last = self._recent[-1].trade_id if self._recent else None
        return (tuple(sorted((t.trade_id, t.status) for t in self._active.values())), len(self._recent), last)

    def get(self, symbol: str, side: Side) -> Trade | None:
        """Активна угода символу й боку (копія) або None."""
        trade = self._active.get((symbol, side))
        return _copy(trade) if trade is not None else None

    # ── Рішення Stage2 ──
    def on_decision(self, result: Mapping[str, Any]) -> Trade | None:
        """Обробляє результат Stage2: злам контексту закриває угоди, сигнал, що пройшов поріг,
        створює очікуючу угоду. Повертає нову угоду (копію) або None."""
        events: list[TradeEvent] = []
        symbol = result.get("symbol")
        created: Trade | None = None
        if isinstance(symbol, str):
            active = self._active
            ts = _event_ts(result.get("timestamp"))
            # Обидві угоди символу беруться одразу: закриття однієї не чіпає іншу.
            buy, sell = active.get((symbol, "BUY")), active.get((symbol, "SELL"))
            if ts is not None and (buy is not None or sell is not None):
                for trade in (buy, sell):
                    if trade is None or not rules.is_context_break(trade, result, self.params):
                        continue
                    if trade.status == STATUS_PENDING:
                        events.append(self._cancel(trade, CANCEL_INVALIDATED, ts))
                    else:
                        price = self._exit_reference(trade, result)
                        events.append(self._close(trade, REASON_EARLY, price, ts))
            # План можливий лише для завершеного результату з BUY/SELL — перша умова
            # `rules.passes_gate` у тому самому порядку; решту рішень правила плану не розбирають.
            # Бік плану — бік рекомендації: якщо угода цього боку вже активна (і не закрилась
            # вище), план однаково був би відкинутий, тож він і не будується.
            plan: Trade | None = None
            if result.get("status") == _COMPLETED:
                side = rules.side_of(result.get("recommendation"))
                if side is not None and (symbol, side) not in active:
                    plan = rules.plan_trade(result, self.params)
            if plan is not None and (symbol, plan.side) not in active:
                active[(symbol, plan.side)] = plan
                self._symbols = None
                created = _copy(plan)
                events.append(TradeEvent(EVENT_PENDING, created))
                if logger.isEnabledFor(_INFO):
                    logger.info(
                        "trade pending side=%s conf=%.3f entry~%s tp=%s sl=%s",
                        plan.side,
                        plan.confidence,
                        plan.planned_entry,
                        plan.tp,
                        plan.sl,
                        extra=log_ctx("stage3", symbol),
                    )
        self._finish(events, result if created is not None else None)
        return created

    # ── Ціни ──
    def on_price(
        self,
        symbol: str,
        price: float,
        ts_ms: int,
        *,
        high: float | None = None,
        low: float | None = None,
    ) -> list[TradeEvent]:
        """Оновлення ціни (інтра-бар теж). `high`/`low` — діапазон з попереднього оновлення.

        Нескінченна чи непозитивна ціна ігнорується (погані дані не псують угоди)."""
        events: list[TradeEvent] = []
        if _isfinite(price) and price > 0:
            self._last_price[symbol] = price
            active = self._active
            buy, sell = active.get((symbol, "BUY")), active.get((symbol, "SELL"))
            if buy is not None or sell is not None:
                self._step(buy, sell, price, _upper(price, high), _lower(price, low), ts_ms, events)
        return self._finish(events)

    def on_bar(self, symbol: str, bar: Bar, *, ts_ms: int | None = None) -> list[TradeEvent]:
        """Зручність для барів. Закритий бар = два оновлення: відкриття (вхід очікуючих, геп
        через стоп), потім діапазон бару з ціною закриття; обидва з часом `ts_ms` (типово
        `bar.open_time`). Незакритий (live) бар — одне оновлення ціною `close` без діапазону:
        live-потік і так приносить ціну кожні ~250 мс."""
        ts = bar.open_time if ts_ms is None else ts_ms
        if not bar.closed:
            return self.on_price(symbol, bar.close, ts)
        return self.on_closed_bar(symbol, ts, bar.open, bar.high, bar.low, bar.close)

    def on_closed_bar(
        self, symbol: str, ts: int, opened: float, high: float | None, low: float | None, close: float
    ) -> list[TradeEvent]:
        """Закритий бар числами (те саме, що `on_bar` із закритим `Bar`, без побудови `Bar`:
        пакетний бектест бере числа прямо з масивів)."""
        # Те саме, що два виклики `on_price` (відкриття, потім закриття з діапазоном), але
        # угоди символу шукаються один раз: між двома оновленнями угоди лише зникають
        # (закриття, скасування), нових не з'являється.
        events: list[TradeEvent] = []
        active = self._active
        buy, sell = active.get((symbol, "BUY")), active.get((symbol, "SELL"))
        open_ok = _isfinite(opened) and opened > 0
        close_ok = _isfinite(close) and close > 0
        if buy is None and sell is None:
            # Угод немає: лишається тільки остання ціна (закриття, інакше відкриття).
            if close_ok:
                self._last_price[symbol] = close
            elif open_ok:
                self._last_price[symbol] = opened
            return self._finish(events)
        if open_ok:
            self._last_price[symbol] = opened
            self._step(buy, sell, opened, opened, opened, ts, events)
        first = len(events)
        if close_ok:
            # Закрита чи скасована на відкритті бару угода вже не активна — `_step` її пропускає.
            self._last_price[symbol] = close
            self._step(buy, sell, close, _upper(close, high), _lower(close, low), ts, events)
        if events:
            # Як у двох `on_price` і підсумку: +1 за кожен непорожній список подій.
            self.version += 1 + (first > 0) + (len(events) > first)
            if self.broker is not None:
                self.broker.on_trade_events(events)
        self.last_events = events
        return events

    # ── Закриття і планове оновлення ──
    def close(
        self, symbol: str, side: Side, reason: str, price: float | None = None, ts_ms: int | None = None
    ) -> list[TradeEvent]:
        """Закриває активну угоду (ручне закриття тощо); очікуюча — скасовується.

        Без ціни береться остання відома ціна символу, без часу — час останньої ціни угоди."""
        if reason not in CLOSE_REASONS:
            raise ValueError(f"unknown close reason {reason!r}; allowed: {', '.join(CLOSE_REASONS)}")
        events: list[TradeEvent] = []
        trade = self._active.get((symbol, side))
        if trade is not None:
            ts = ts_ms if ts_ms is not None else (trade.last_ts or trade.decision_ts)
            if trade.status == STATUS_PENDING:
                events.append(self._cancel(trade, reason, ts))
            else:
                exit_price = price if price is not None and _valid_price(price) else None
                events.append(self._close(trade, reason, exit_price or self._exit_reference(trade, {}), ts))
        return self._finish(events)

    def refresh(self, ts_ms: int) -> list[TradeEvent]:
        """Планове оновлення (кожні `TRADE_REFRESH_INTERVAL` часу подій): часова зупинка
        відкритих угод за останньою ціною і тайм-аут входу очікуючих."""
        events: list[TradeEvent] = []
        if self._active:
            hold, timeout = self._hold_ms, self._entry_timeout_ms
            for trade in list(self._active.values()):
                status = trade.status
                if status == STATUS_OPEN:
                    entry_ts = trade.entry_ts
                    if hold is not None and entry_ts is not None and ts_ms - entry_ts >= hold:
                        price = self._exit_reference(trade, {})
                        events.append(self._close(trade, REASON_TIME, price, ts_ms))
                elif (
                    status == STATUS_PENDING and timeout is not None and ts_ms - trade.decision_ts >= timeout
                ):
                    events.append(self._cancel(trade, CANCEL_TIMEOUT, ts_ms))
        return self._finish(events)

    def refresh_if_due(self, ts_ms: int) -> list[TradeEvent]:
        """`refresh`, якщо з попереднього минуло `TRADE_REFRESH_INTERVAL` часу подій (для циклу,
        що викликає це на кожній події); інакше порожній список."""
        last = self._last_refresh
        if last is not None and ts_ms - last < self.refresh_interval_ms:
            return self._finish([])
        self._last_refresh = ts_ms
        return self.refresh(ts_ms)

    # ── Відновлення ──
    def restore(self, active: Iterable[Trade], recent: Iterable[Trade]) -> None:
        """Замінює стан збереженим (після перезапуску). Неактивні записи з `active` ігноруються."""
        self._active.clear()
        self._recent.clear()
        self._quiet.clear()
        self._symbols = None
        for trade in active:
            if trade.is_active:
                self._active[(trade.symbol, trade.side)] = _copy(trade)
                if trade.last_price is not None:
                    self._last_price[trade.symbol] = trade.last_price
        for trade in recent:
            self._recent.append(_copy(trade))
        self.last_events = []

    # ── Внутрішнє ──
    def _step(
        self,
        buy: Trade | None,
        sell: Trade | None,
        price: float,
        hi: float,
        lo: float,
        ts_ms: int,
        events: list[TradeEvent],
    ) -> None:
        """Одне оновлення ціни для угод символу (BUY, потім SELL); події — в `events`. Угода, вже
        закрита чи скасована (попереднім оновленням того самого бару), пропускається."""
        for trade in (buy, sell):
            if trade is None:
                continue
            status = trade.status
            if status == STATUS_OPEN:
                event = self._follow(trade, price, hi, lo, ts_ms)
            elif status == STATUS_PENDING:
                event = self._try_fill(trade, price, ts_ms)
            else:
                continue
            if event is not None:
                events.append(event)

    def _stop_floor(self) -> float | None:
        """Поріг руху (ATR) для поточного набору правил стопу (див. `rules.proposal_floor`)."""
        stop_rules = self.stop_rules
        if stop_rules is not self._floor_rules:
            self._floor_rules = stop_rules
            self._floor = rules.proposal_floor(stop_rules)
            self._quiet.clear()
        return self._floor

    def _try_fill(self, trade: Trade, price: float, ts_ms: int) -> TradeEvent | None:
        if ts_ms <= trade.decision_ts:
            return None  # ціна не новіша за рішення: це ще не «наступне оновлення»
        if rules.entry_invalid(trade, price):
            return self._cancel(trade, CANCEL_INVALIDATED, ts_ms)
        trade.status = STATUS_OPEN
        trade.entry_price = price
        trade.entry_ts = ts_ms
        trade.last_price = price
        trade.last_ts = ts_ms
        trade.best_price = price
        trade.worst_price = price
        if logger.isEnabledFor(_INFO):
            logger.info(
                "trade opened side=%s entry=%s", trade.side, price, extra=log_ctx("stage3", trade.symbol)
            )
        return TradeEvent(EVENT_OPENED, _copy(trade))

    def _follow(self, trade: Trade, price: float, hi: float, lo: float, ts_ms: int) -> TradeEvent | None:
        """Супровід відкритої угоди: вихід за стопами ДО оновлення → екстремуми → час → стоп.

        Те саме, що послідовність `rules.check_exit`, `rules.track_extremes`,
        `rules.time_exit_due`, `rules.tightened_stop`, але з перевірками на місці (ті самі
        порівняння тих самих чисел), бо це викликається на кожну ціну кожної угоди."""
        best, worst = trade.best_price, trade.worst_price
        if trade.side == "BUY":
            direction = 1
            if lo <= trade.sl or hi >= trade.tp:
                return self._exit(trade, hi, lo, ts_ms)
            if best is None or hi - best > 0:
                best = trade.best_price = hi
            if worst is None or lo - worst < 0:
                trade.worst_price = lo
        else:
            direction = -1
            if hi >= trade.sl or lo <= trade.tp:
                return self._exit(trade, hi, lo, ts_ms)
            if best is None or lo - best < 0:
                best = trade.best_price = lo
            if worst is None or hi - worst > 0:
                trade.worst_price = hi
        trade.last_price = price
        trade.last_ts = ts_ms
        hold, entry_ts = self._hold_ms, trade.entry_ts
        if hold is not None and entry_ts is not None and ts_ms - entry_ts >= hold:
            return self._close(trade, REASON_TIME, price, ts_ms)
        floor = self._floor if self.stop_rules is self._floor_rules else self._stop_floor()
        key: tuple[str, Side] | None = None
        if floor is not None:
            # Відомі правила: рух менший за поріг усіх — жодне не запропонує стоп (як `_favourable_atr`).
            entry, atr = trade.entry_price, trade.atr
            favourable = 0.0 if entry is None or atr <= 0 else direction * (best - entry) / atr
            if favourable < floor:
                return None
            key = (trade.symbol, trade.side)
            quiet = self._quiet.get(key)
            if quiet is not None and quiet[0] is trade and quiet[1] == best and quiet[2] == trade.sl:
                return None
        new_sl = rules.tightened_stop(trade, self.stop_rules)
        if new_sl is None:
            if key is not None and best is not None:
                self._quiet[key] = (trade, best, trade.sl)
            return None
        trade.sl = new_sl
        trade.breakeven_done = (
            trade.breakeven_done or trade.direction * (new_sl - (trade.entry_price or 0)) >= 0
        )
        trade.trailing_active = trade.trailing_active or _trailing_reached(trade, self.stop_rules)
        self.version += 1
        return TradeEvent(EVENT_UPDATED, _copy(trade))

    def _exit(self, trade: Trade, hi: float, lo: float, ts_ms: int) -> TradeEvent:
        """Закриття за SL/TP, яке зачепив діапазон [lo, hi] (його вже виявив `_follow`)."""
        hit = rules.check_exit(trade, hi, lo)
        if hit is None:  # pragma: no cover - `_follow` кличе лише при зачепленні
            raise AssertionError("exit without a hit")
        reason, exit_price = hit
        # Порядок усередині діапазону невідомий: при TP несприятливий край рахуємо (MAE
        # консервативно більший), при SL сприятливий — ні (він міг бути вже після виходу).
        if reason == REASON_TP and trade.side == "BUY":
            rules.track_extremes(trade, exit_price, lo)
        elif reason == REASON_TP:
            rules.track_extremes(trade, hi, exit_price)
        trade.best_price, trade.worst_price = _clip_extremes(trade, exit_price)
        return self._close(trade, reason, exit_price, ts_ms)

    def _close(self, trade: Trade, reason: str, price: float, ts_ms: int) -> TradeEvent:
        trade.status = STATUS_CLOSED
        trade.close_reason = reason
        trade.exit_price = price
        trade.exit_ts = ts_ms
        trade.last_price = price
        trade.last_ts = ts_ms
        self._active.pop((trade.symbol, trade.side), None)
        self._quiet.pop((trade.symbol, trade.side), None)
        self._symbols = None
        self._recent.append(trade)
        if logger.isEnabledFor(_INFO):
            logger.info(
                "trade closed side=%s reason=%s exit=%s pnl_pct=%.3f",
                trade.side,
                reason,
                price,
                trade.pnl_pct() or 0.0,
                extra=log_ctx("stage3", trade.symbol),
            )
        return TradeEvent(EVENT_CLOSED, _copy(trade))

    def _cancel(self, trade: Trade, reason: str, ts_ms: int) -> TradeEvent:
        trade.status = STATUS_CANCELLED
        trade.close_reason = reason
        trade.exit_ts = ts_ms
        self._active.pop((trade.symbol, trade.side), None)
        self._symbols = None
        return TradeEvent(EVENT_CANCELLED, _copy(trade))

    def _exit_reference(self, trade: Trade, result: Mapping[str, Any]) -> float:
        """Ціна для виходу без діапазону: остання ціна символу → ціна з контексту → вхід."""
        price = self._last_price.get(trade.symbol) or trade.last_price
        if price is None:
            context = result.get("market_context") or {}
            candidate = context.get("price") if isinstance(context, Mapping) else None
            price = (
                float(candidate) if isinstance(candidate, int | float) and _valid_price(candidate) else None
            )
        return price or trade.entry_price or trade.planned_entry

    def _finish(
        self, events: list[TradeEvent], decision: Mapping[str, Any] | None = None
    ) -> list[TradeEvent]:
        if events:
            self.version += 1
            if self.broker is not None:
                self.broker.on_trade_events(events, decision)
        self.last_events = events
        return events


# ── Помічники ──
# Усі поля угоди в порядку оголошення: копія = конструктор з тими самими значеннями.
_trade_values = attrgetter(*(f.name for f in fields(Trade)))


def _copy(trade: Trade) -> Trade:
    """Копія угоди з власним списком тегів (події не дають змінити внутрішній стан).

    Те саме, що `dataclasses.replace(trade, tags=list(trade.tags))`, без розбору полів на кожен
    виклик: значення всіх полів одним `attrgetter` у конструктор."""
    clone = Trade(*_trade_values(trade))
    clone.tags = list(clone.tags)
    return clone


def _valid_price(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _upper(price: float, high: float | None) -> float:
    """Верх діапазону оновлення: `max(price, high)` для коректного `high`, інакше ціна."""
    if high is not None and _isfinite(high) and high > 0 and high > price:
        return high
    return price


def _lower(price: float, low: float | None) -> float:
    """Низ діапазону оновлення: `min(price, low)` для коректного `low`, інакше ціна."""
    if low is not None and _isfinite(low) and low > 0 and low < price:
        return low
    return price


def _limit_ms(params: Mapping[str, Any], key: str) -> float | None:
    """Межа часу в мс з параметра в секундах (`limit * 1000.0`, як у правилах); None — вимкнено."""
    limit = float(params.get(key) or 0.0)
    return limit * 1000.0 if limit > 0 else None


def _event_ts(value: Any) -> int | None:
    """Час рішення в мс: скінченне число (не bool) → int, інакше None."""
    kind = type(value)
    if kind is int or kind is float:  # звичайний випадок: ті самі перевірки без isinstance
        return int(value) if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value)


def _clip_extremes(trade: Trade, exit_price: float) -> tuple[float | None, float | None]:
    """Найкраща/найгірша ціни з урахуванням виходу: екстремум на боці виходу — не далі ціни виходу."""
    best, worst = trade.best_price, trade.worst_price
    favourable = trade.direction * (exit_price - (trade.entry_price or exit_price)) >= 0
    if favourable and (best is None or trade.direction * (exit_price - best) > 0):
        best = exit_price
    if not favourable and (worst is None or trade.direction * (exit_price - worst) < 0):
        worst = exit_price
    return best, worst


def _trailing_reached(trade: Trade, stop_rules: Sequence[rules.StopRule]) -> bool:
    """Чи досягнуто порогу трейлінгу (для позначки в UI)."""
    for rule in stop_rules:
        if isinstance(rule, rules.TrailingRule) and rule.propose(trade) is not None:
            return True
    return False


__all__ = ["TradeManager"]
