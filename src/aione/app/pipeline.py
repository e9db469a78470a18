"""Ядро конвеєра: одна подія бару → сховище → Stage1 → (Stage2) → Stage3 → агрегатор стану.

Одне ядро, багато драйверів: живий режим (Binance), демо (симулятор) і бектест викликають
ті самі методи в тому самому порядку, тож на тих самих барах дають ті самі рішення.
Ядро синхронне й не питає годинник: час — з подій. Асинхронність (обмежений Stage2,
публікація, збереження угод) — у драйверах.

Порядок на одну подію (`on_bar`):
1. сховище приймає бар (єдиний запис); відхилений бар далі не йде;
2. закритий 1m бар оновлює денний бар (макрорівні): відкритий день живе в агрегаторі ядра,
   у сховище пишеться лише закритий день (запис на кожному барі коштував як чверть Stage1);
   Stage2 бере відкритий день з агрегатора (`daily_bars`);
3. Stage3 бачить ціну (вхід очікуючих угод, TP/SL, трейлінг) і планове оновлення за часом;
4. Stage1 оцінює символ; новий алерт (лише на закритому барі) повертається драйверу,
   щоб той викликав Stage2 (`decide` тут або асинхронний процесор) і передав рішення в `offer`.

Ворота сигналів (`signals.gate.SignalGate`): рішення Stage2 — лише кандидат. Він отримує ранг і
чекає вердикту бюджету алертів; кандидати хвилини T вирішуються разом на першій події з часом
> T (крок 0 нижче), тож порядок приходу рішень наживо не змінює вердиктів. До Stage3 і в UI як
сигнал іде лише `promoted`; решта — watch без рекомендації. Отже на одну подію спершу:
0. вердикти кандидатів попередніх хвилин (`released` кроку) → Stage3 і агрегатор;
а закритий 1m бар ще й оновлює трекер наслідків сигналів і життєві цикли сигналів (наживо;
бектест рахує їх пакетно тими самими правилами); змінені цикли йдуть в агрегатор.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from aione.config.config import (
    ALERT_BUDGET,
    PRELOAD_DAILY_DAYS,
    STAGE2_CONFIG,
    UI_LOCALE,
    USER_SETTINGS_DEFAULT,
    SymbolInfo,
)
from aione.data.bars import Bar, BarArrays, BarEvent, copy_upto
from aione.data.resample import DAY_MS, DailyAggregator
from aione.data.unified_store import UnifiedDataStore
from aione.signals.budget import Verdict
from aione.signals.deriv_context import DEFAULT_DERIV_PARAMS, DerivParams, bar_event_time, deriv_context
from aione.signals.gate import SignalGate
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage2.inputs import Stage2Inputs
from aione.stage2.qde_core import decide, resolve_params
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_manager import TradeManager
from aione.stage3.trade_model import TradeEvent


# ── Результат одного кроку ──
@dataclass(slots=True)
class Released:
    """Вердикт бюджету про кандидата і події угод, які він спричинив (лише для `promoted`)."""

    verdict: Verdict
    events: list[TradeEvent] = field(default_factory=list)

    @property
    def alert(self) -> Mapping[str, Any]:
        return self.verdict.candidate.alert

    @property
    def decision(self) -> dict[str, Any]:
        return self.verdict.candidate.decision


@dataclass(slots=True)
class CoreStep:
    """Що сталося на одній події: вердикти попередніх хвилин, прийнято бар чи ні, запис Stage1,
    новий алерт, події угод."""

    accepted: bool
    stage1: dict[str, Any] | None = None
    alert: dict[str, Any] | None = None
    trade_events: list[TradeEvent] = field(default_factory=list)
    released: list[Released] = field(default_factory=list)


def _append_bar(bars: BarArrays, bar: Bar) -> BarArrays:
    """Нові масиви: `bars` і ще один бар у кінці (кожна колонка — своїм типом)."""
    cols = []
    for name, col in zip(BarArrays._fields, bars, strict=True):
        out = np.empty(col.shape[0] + 1, dtype=col.dtype)  # без np.append: той самий тип, втричі дешевше
        out[:-1] = col
        out[-1] = getattr(bar, name)
        cols.append(out)
    return BarArrays(*cols)


# ── Вхід Stage2 (чисті функції; їх ділять ядро і пакетний рушій бектесту) ──
def with_open_day(closed: BarArrays, open_day: Bar | None) -> BarArrays:
    """Закриті денні бари + відкритий день у кінці (якщо він новіший за останній закритий)."""
    if open_day is None:
        return closed
    if len(closed) and int(closed.open_time[-1]) >= open_day.open_time:
        return closed
    return _append_bar(closed, open_day)


def build_stage2_inputs(
    bars_1m: BarArrays, daily: BarArrays, ts: int, symbol_info: SymbolInfo | None, *, copy: bool = True
) -> Stage2Inputs | None:
    """Вхід Stage2 для алерту на барі `ts`: копії вікна 1m і денних барів, обрізані по `ts`
    (1m — до бару алерту включно, денні — до доби алерту включно); None — 1m барів немає.
    `copy=False` — view замість копій, коли масиви більше ніхто не змінить (див. `copy_upto`)."""
    if not len(bars_1m):
        return None
    window = copy_upto(bars_1m, ts, copy=copy)
    day_of_alert = ts - ts % DAY_MS
    bars_1d = copy_upto(daily, day_of_alert, copy=copy) if len(daily) else None
    return Stage2Inputs(
        bars_1m=window,
        bars_1d=bars_1d if bars_1d is not None and len(bars_1d) else None,
        symbol_info=symbol_info,
    )


# ── Ядро ──
class PipelineCore:
    """Синхронне ядро конвеєра; стадії лише читають сховище, пише тільки `on_bar`."""

    def __init__(
        self,
        store: UnifiedDataStore,
        monitor: AssetMonitor,
        trades: TradeManager,
        aggregator: AssetStateAggregator | None = None,
        *,
        stage2_params: Mapping[str, Any] = STAGE2_CONFIG,
        locale: str = UI_LOCALE,
        style: str = str(USER_SETTINGS_DEFAULT["narrative_style"]),
        daily_days: int = PRELOAD_DAILY_DAYS,
        records: bool = True,
        budget_params: Mapping[str, Any] = ALERT_BUDGET,
        track_outcomes: bool | None = None,
    ) -> None:
        # records=False (бектест без агрегатора): запис Stage1 як словник будується лише для
        # нового алерту — решта барів його нікому не віддає, а `to_dict` коштує як пів Stage1.
        self.records = records or aggregator is not None
        self.explain = True  # False — Stage2 без тексту пояснення (бектест його не читає)
        self.deriv_params: DerivParams = DEFAULT_DERIV_PARAMS  # вікна й свіжість знімка деривативів для Stage2
        self.store = store
        self.monitor = monitor
        self.trades = trades
        self.aggregator = aggregator
        self.stage2_params = resolve_params(stage2_params)
        self.locale = locale
        self.style = style
        self.daily_days = daily_days
        self._daily: dict[str, DailyAggregator] = {}
        # Трекер наслідків — наживо (типово, коли є агрегатор); бектест рахує наслідки пакетно.
        track = self.records if track_outcomes is None else track_outcomes
        self.gate = SignalGate(budget_params, track=track)
        self.counters: dict[str, int] = {
            "events": 0,
            "rejected": 0,
            "alerts": 0,
            "decisions": 0,
            "signals": 0,
            "watch": 0,
        }

    # ── Підготовка ──
    def warmup(self, symbol: str) -> None:
        """Прогріває Stage1 історією зі сховища (після preload) і відновлює відкритий денний бар.

        REST віддає лише закриті дні, тож поточний день збирається з 1m барів сховища від 00:00 UTC
        (доба 1m історії це покриває) — так само, як його зібрав би бектест, що йшов з початку дня."""
        bars_1m = self.store.get_bars(symbol, "1m")
        daily = self.store.get_bars(symbol, "1d", include_open=True)
        if len(bars_1m):
            self.monitor.warmup(symbol, bars_1m, daily if len(daily) else None)
        agg = self._daily.setdefault(symbol, DailyAggregator())
        open_day = self.store.open_bar(symbol, "1d")
        if open_day is not None:
            agg.seed(open_day)
        elif len(bars_1m) and agg.open_bar() is None:
            last = int(bars_1m.open_time[-1])
            start = int(np.searchsorted(bars_1m.open_time, last - last % DAY_MS, side="left"))
            for i in range(start, len(bars_1m)):
                agg.push(bars_1m.bar(i))

    # ── Подія бару ──
    def on_bar(self, event: BarEvent) -> CoreStep:
        """Одна подія бару через усі синхронні стадії (див. порядок у модулі)."""
        self.counters["events"] += 1
        released = self.release(event.bar.open_time)
        if not self.store.apply(event):
            self.counters["rejected"] += 1
            return CoreStep(accepted=False, released=released)
        symbol, bar = event.symbol, event.bar
        if bar.closed and event.timeframe == "1m":
            if self.gate.track:
                self.gate.on_closed_bar(symbol, bar.open_time, bar.high, bar.low, bar.close)
                self._push_lifecycles()
            agg = self._daily.get(symbol)
            if agg is None:
                agg = self._daily[symbol] = DailyAggregator()
            day_closed = agg.push(bar)
            # день, уже покладений у сховище (денний бар біржі з запису, `runner.DailyFeed`), важить більше
            if day_closed is not None and self.store.last_closed_time(symbol, "1d") != day_closed.open_time:
                self.store.apply(BarEvent(symbol, "1d", day_closed))
        trade_events = list(self.trades.on_bar(symbol, bar))
        trade_events.extend(self.trades.refresh_if_due(bar.open_time))
        result = self.monitor.update(event)
        if not self.records and not result.new_alert:
            return CoreStep(True, None, None, trade_events, released)
        stage1 = result.to_dict()
        alert = stage1 if stage1.get("new_alert") else None
        if alert is not None:
            self.counters["alerts"] += 1
        if self.aggregator is not None:
            self.aggregator.on_stage1(stage1)
            if trade_events:
                self.aggregator.on_trade_events(trade_events)
        return CoreStep(True, stage1, alert, trade_events, released)

    # ── Stage2 ──
    def daily_bars(self, symbol: str, n_closed: int) -> BarArrays:
        """Останні `n_closed` закритих денних барів сховища + відкритий день з агрегатора ядра
        (якщо агрегатора ще немає — відкритий день сховища, наприклад з preload)."""
        agg = self._daily.get(symbol)
        open_day = agg.open_bar() if agg is not None else None
        if open_day is None:
            return self.store.get_bars(symbol, "1d", n_closed, include_open=True)
        return with_open_day(self.store.get_bars(symbol, "1d", n_closed), open_day)

    @property
    def context_bars(self) -> int:
        """Скільки закритих 1m барів бачить Stage2."""
        return int(self.stage2_params["context_bars"])

    def stage2_inputs(self, stage1_result: Mapping[str, Any]) -> Stage2Inputs | None:
        """Вхід Stage2 зі сховища, обрізаний по бару алерту (без погляду вперед)."""
        symbol = str(stage1_result.get("symbol", ""))
        ts = int(stage1_result.get("timestamp") or 0)
        inputs = build_stage2_inputs(
            self.store.get_bars(symbol, "1m", self.context_bars),
            self.daily_bars(symbol, self.daily_days + 1),
            ts,
            self.store.get_symbol_info(symbol),
        )
        source = self.monitor.deriv_source  # деривативи (issue 16): знімок на кінець бару алерту
        if inputs is not None and source is not None:
            t = bar_event_time(ts, self.monitor.timeframe_ms)
            inputs = replace(inputs, deriv=deriv_context(source, symbol, t, self.deriv_params))
        return inputs

    def decide(self, stage1_result: Mapping[str, Any]) -> dict[str, Any]:
        """Синхронне рішення Stage2 тим самим чистим ядром, що й у процесорі."""
        return self.decide_with(stage1_result, self.stage2_inputs(stage1_result))

    def decide_with(self, stage1_result: Mapping[str, Any], inputs: Stage2Inputs | None) -> dict[str, Any]:
        """Рішення Stage2 на готовому вході (None — даних немає, запис `skipped`)."""
        if inputs is None:
            from aione.stage2.qde_core import empty_result

            ts = stage1_result.get("timestamp")
            return empty_result(
                str(stage1_result.get("symbol", "")), int(ts) if ts else None, "skipped", "no_data", None
            )
        return decide(
            stage1_result,
            inputs,
            self.stage2_params,
            locale=self.locale,
            style=self.style,
            explain=self.explain,
        )

    # ── Ворота сигналів ──
    def offer(self, alert: Mapping[str, Any], result: dict[str, Any]) -> list[Released]:
        """Рішення Stage2 на алерт — кандидат до воріт; вердикти, які вже можна дати (зазвичай жодного:
        хвилина вирішується на першій новішій події або `flush`)."""
        self.counters["decisions"] += 1
        return [self._apply(v) for v in self.gate.offer(alert, result)]

    def on_stage2(self, result: dict[str, Any], alert: Mapping[str, Any] | None = None) -> list[TradeEvent]:
        """Те саме, що `offer`, для драйверів, яким потрібні лише події угод. Без алерту кандидат
        будується з самого рішення (символ, час, тригери з контексту)."""
        if alert is None:
            ctx = result.get("market_context") or {}
            alert = {
                "symbol": result.get("symbol"),
                "timestamp": result.get("timestamp"),
                "trigger_reasons": list(ctx.get("triggers") or ()),
                "stats": {},
            }
        return [ev for rel in self.offer(alert, result) for ev in rel.events]

    def release(self, before_ts: int) -> list[Released]:
        """Вердикти кандидатів з ts < `before_ts` → Stage3 і агрегатор."""
        verdicts = self.gate.release(before_ts)
        if not verdicts:
            return []
        released = [self._apply(v) for v in verdicts]
        self._push_lifecycles()
        return released

    def flush(self) -> list[Released]:
        """Вердикти всіх кандидатів, що чекають (кінець бектесту, зупинка живого режиму)."""
        released = [self._apply(v) for v in self.gate.release_all()]
        self._push_lifecycles()
        return released

    def _push_lifecycles(self) -> None:
        """Змінені життєві цикли сигналів → агрегатор (без агрегатора просто забираються)."""
        changed = self.gate.take_changed() if self.gate.changed else []
        if changed and self.aggregator is not None:
            self.aggregator.on_lifecycles(changed)

    def _apply(self, verdict: Verdict) -> Released:
        """Сигнал (`promoted`) → Stage3 і агрегатор; watch — лише агрегатор, без рекомендації."""
        decision = verdict.candidate.decision
        if not verdict.promoted:
            self.counters["watch"] += 1
            if self.aggregator is not None:
                self.aggregator.on_watch(decision)
            return Released(verdict)
        self.counters["signals"] += 1
        self.trades.on_decision(decision)
        events = list(self.trades.last_events)
        if self.aggregator is not None:
            self.aggregator.on_stage2(decision)
            if events:
                self.aggregator.on_trade_events(events)
        return Released(verdict, events)

    # ── Набір символів ──
    def set_symbols(self, symbols: Sequence[str]) -> None:
        """Новий список під наглядом (після префільтра): Stage1 і агрегатор."""
        self.monitor.set_watched(symbols)
        if self.aggregator is not None:
            ticks = {}
            for symbol in symbols:
                info = self.store.get_symbol_info(symbol)
                if info is not None:
                    ticks[symbol] = info.tick_size
            self.aggregator.set_symbols(symbols, ticks)


__all__ = ["CoreStep", "PipelineCore", "Released", "build_stage2_inputs", "with_open_day"]
