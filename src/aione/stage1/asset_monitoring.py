"""Монітор активів Stage1: інкрементальна оцінка тригерів на кожному оновленні бару.

Кожне оновлення символу (закритий чи відкритий 1m бар) дає `Stage1Result`:
- закритий бар оновлює індикатори (`IndicatorBundle.update`) і стан тригерів; відкритий лише
  оцінюється (`peek`), нічого не змінюючи, тож послідовність закритих барів сама визначає стан;
- ALERT, коли спрацювало щонайменше `min_reasons_for_alert` різних нормалізованих тригерів і
  індикатори готові (`snapshot.ready`); інакше NORMAL. Поки історії замало, тригери все одно
  отримують закриті бари (щоб накопичити стан), але результат — NORMAL без причин;
- напрям — більшість голосів тригерів з напрямом (up проти down); рівність — None;
- новий алерт (`new_alert`) вирішують лише закриті бари через `AlertGate` (епізоди й
  охолодження `cooldown_sec` за часом подій на символ і напрям) — бектест над закритими
  барами дає ті самі алерти, що й live;
- закритий бар з open_time ≤ останнього закритого (дубль, запізнення) і відкритий бар, старший
  за останній закритий, стан не змінюють: повертається останній результат з `new_alert=False`;
- розрив довший за `max_gap_bars` інтервалів робить історію несуцільною: стан символу
  скидається (індикатори, тригери, авто-рівні, епізод), і символ прогрівається заново.
`warmup` проганяє історію через той самий шлях, що й `update`, тому монітор, прогрітий на
барах [0, t), і монітор, що бачив їх по одному, ухвалюють на барі t однакове рішення.
Денні бари біржі (`exchange_days` / `set_exchange_days`; у `warmup` — закриті дні з переданих
денних барів) задають денні рівні доби D з біржового дня D−1 (`DailyLevels.known`): так прогрів
живого монітора, що почався посеред учорашньої доби, і бектест запису `aione record` з тими самими
денними барами бачать ті самі рівні на тих самих барах.
Деривативи: з джерелом рядів (`deriv_source`, наприклад `DerivStore.series`) кожен закритий бар
отримує `TriggerInput.deriv` — знімок на останню мілісекунду бару (`bar_event_time`); відкриті
бари й прогрів (`warmup`) його не отримують (тригери деривативів там мовчать). Частини книги в
цьому знімку немає (`book=False`): жоден тригер Stage1 її не читає. Без джерела монітор працює
рівно як раніше.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from aione.config.config import SIGNAL_ALERT, SIGNAL_NORMAL, STAGE1_MONITOR_PARAMS, TIMEFRAME_MS
from aione.data.bars import Bar, BarArrays, BarEvent
from aione.logging_setup import get_logger, log_ctx
from aione.signals.deriv_context import DerivParams, SeriesSource, bar_event_time, deriv_context
from aione.stage1.asset_triggers.base import DOWN, UP, TriggerInput, TriggerResult, TriggerSpec
from aione.stage1.asset_triggers.registry import enabled_specs
from aione.stage1.daily_levels import DAY_MS, KnownDays, exchange_levels
from aione.stage1.result import STATS_KEYS, Stage1Result
from aione.stage1.symbol_state import SymbolTracker
from aione.stage1.thresholds import MARKET_STATES, classify_market_state, symbol_params

logger = get_logger(__name__)
_NAN = math.nan


# ── Монітор ──
def _bare_result(symbol: str, bar: Bar) -> Stage1Result:
    """NORMAL без оцінки: ціни бару є, індикаторів і порогів немає (None)."""
    stats: dict[str, float | None] = dict.fromkeys(STATS_KEYS)
    stats.update(
        price=bar.close,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.volume,
        volume_usd=bar.quote_volume,
    )
    return Stage1Result(symbol, bar.open_time, SIGNAL_NORMAL, False, None, [], [], {}, stats, {}, bar.closed)


class AssetMonitor:
    """Стан і оцінка всіх символів під наглядом (один таймфрейм, за замовчуванням 1m)."""

    def __init__(
        self,
        params: Mapping[str, Any] = STAGE1_MONITOR_PARAMS,
        *,
        switches: Mapping[str, Any] | None = None,
        symbol_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        timeframe: str = "1m",
        deriv_source: SeriesSource | None = None,
        exchange_days: Mapping[str, BarArrays] | None = None,
    ) -> None:
        if timeframe not in TIMEFRAME_MS:
            raise ValueError(f"AssetMonitor: unknown timeframe {timeframe!r}")
        self.deriv_source = deriv_source
        self._known: dict[str, KnownDays] = {
            sym: exchange_levels(days) for sym, days in (exchange_days or {}).items() if len(days)
        }
        self._deriv_params: dict[str, DerivParams] = {}
        self.params = params
        self.timeframe = timeframe
        self.timeframe_ms = TIMEFRAME_MS[timeframe]
        self.specs: tuple[TriggerSpec, ...] = tuple(enabled_specs(switches))
        self._overrides = {k: dict(v) for k, v in (symbol_overrides or {}).items()}
        self._trackers: dict[str, SymbolTracker] = {}
        self._watched: frozenset[str] | None = None
        self.ignored_updates = 0
        self.unwatched_updates = 0
        self.gap_resets = 0

    # ── Керування символами ──
    def _tracker(self, symbol: str) -> SymbolTracker:
        tr = self._trackers.get(symbol)
        if tr is None:
            p = symbol_params(self.params, self._overrides.get(symbol), symbol)
            tr = SymbolTracker(symbol, p, self.specs, self.timeframe_ms)
            tr.daily.known = self._known.get(symbol)
            self._trackers[symbol] = tr
        return tr

    @property
    def symbols(self) -> list[str]:
        """Символи, для яких є стан."""
        return sorted(self._trackers)

    def drop(self, symbol: str) -> None:
        """Символ покинув список нагляду: стан забувається."""
        self._trackers.pop(symbol, None)

    def set_deriv_source(self, source: SeriesSource | None) -> None:
        """Джерело рядів деривативів (`DerivStore.series` або `recorded_source(...)`); None — без них."""
        self.deriv_source = source

    def set_exchange_days(self, symbol: str, days: BarArrays | None) -> None:
        """Закриті денні бари біржі символу (записані `aione record`) для денних рівнів; None —
        без них (рівні лише з 1m барів)."""
        known = exchange_levels(days) if days is not None and len(days) else None
        if known is None:
            self._known.pop(symbol, None)
        else:
            self._known[symbol] = known
        tr = self._trackers.get(symbol)
        if tr is not None:
            tr.daily.known = known

    def set_watched(self, symbols: Iterable[str] | None) -> list[str]:
        """Список нагляду (наприклад, `fast_symbols` префільтра); None — наглядати за всім.

        Символи поза списком забуваються (повертаються), а їхні запізнілі оновлення (WS ще
        не відписався) дають NORMAL без причин і не створюють стану: алерт можливий лише на
        символі, що пройшов префільтр."""
        if symbols is None:
            self._watched = None
            return []
        self._watched = frozenset(symbols)
        gone = sorted(s for s in self._trackers if s not in self._watched)
        for sym in gone:
            self.drop(sym)
        return gone

    @property
    def watched(self) -> frozenset[str] | None:
        """Чинний список нагляду (None — усі символи)."""
        return self._watched

    def set_daily_levels(self, symbol: str, support: float | None, resistance: float | None) -> None:
        """Ручні денні рівні (перекривають автоматичні); обидва None — назад до автоматичних."""
        self._tracker(symbol).daily.set_manual(support, resistance)

    def set_market_state(self, symbol: str, state: str | None) -> None:
        """Зовнішній стан ринку (range_bound | trend_strong | high_volatility) замість власної
        класифікації; None — знову класифікувати самому."""
        if state is not None and state not in MARKET_STATES:
            raise ValueError(f"unknown market state {state!r}; allowed: {', '.join(MARKET_STATES)}")
        self._tracker(symbol).market_state_override = state

    def state(self, symbol: str) -> dict[str, Any] | None:
        """Знімок стану символу для діагностики/UI; None, якщо символ невідомий."""
        tr = self._trackers.get(symbol)
        if tr is None:
            return None
        last = tr.last_result
        return {
            "symbol": symbol,
            "bars": tr.index,
            "ready": tr.ready,
            "last_closed_time": tr.last_closed_time,
            "market_state": last.thresholds.get("market_state") if last is not None else None,
            "daily_support": tr.daily.support,
            "daily_resistance": tr.daily.resistance,
            "alert_episode": tr.gate.episode_direction,
            "last_alert_ms": dict(tr.gate.last_emit_ms),
            "resets": tr.resets,
            "last_result": last,
        }

    # ── Прогрів ──
    def warmup(self, symbol: str, bars_1m: BarArrays, daily: BarArrays | None = None) -> None:
        """Новий стан символу з закритої історії (той самий шлях, що й `update`, без записів).

        Денні бари (якщо є): їхні закриті дні (до доби останнього бару історії) діють як дні біржі
        ще під час прогріву (рівні доби D — з дня D−1, `DailyLevels.known`), а після прогріву рівні
        задає остання доба, що завершилась до доби останнього бару історії. Ручні рівні й
        зовнішній стан ринку зберігаються. Символ поза списком нагляду (`set_watched`) не
        прогрівається."""
        if self._watched is not None and symbol not in self._watched:
            return
        old = self._trackers.pop(symbol, None)
        tr = self._tracker(symbol)
        if old is not None:
            tr.market_state_override = old.market_state_override
            if old.daily.manual:
                tr.daily.set_manual(old.daily.support, old.daily.resistance)
        if daily is not None and len(daily) and len(bars_1m):
            last = int(bars_1m.open_time[-1])
            warm = exchange_levels(daily, before_ms=last - last % DAY_MS)
            if warm:
                tr.daily.known = {**warm, **(tr.daily.known or {})}
        for i in range(len(bars_1m)):
            self._process(tr, bars_1m.bar(i), build=False)
        if daily is not None and len(daily) and tr.last_closed_time is not None:
            day_start = tr.last_closed_time // DAY_MS * DAY_MS
            for j in range(len(daily) - 1, -1, -1):
                if int(daily.open_time[j]) < day_start:
                    tr.daily.seed(float(daily.low[j]), float(daily.high[j]))
                    break

    # ── Оновлення ──
    def update(self, event: BarEvent) -> Stage1Result:
        """Оцінює оновлення бару і повертає запис Stage1 (правила — у docstring модуля)."""
        if event.timeframe != self.timeframe:
            raise ValueError(f"AssetMonitor({self.timeframe}) got a {event.timeframe} bar for {event.symbol}")
        if self._watched is not None and event.symbol not in self._watched:
            self.unwatched_updates += 1
            return _bare_result(event.symbol, event.bar)
        result = self._process(self._tracker(event.symbol), event.bar, build=True)
        if result is None:  # build=True завжди будує запис; гілка лише для типізації
            raise RuntimeError("stage1: no result built")
        return result

    def _stale(self, tr: SymbolTracker, bar: Bar) -> Stage1Result:
        self.ignored_updates += 1
        last = tr.last_result
        if last is not None:
            return replace(last, new_alert=False)
        return _bare_result(tr.symbol, bar)

    def _process(self, tr: SymbolTracker, bar: Bar, *, build: bool) -> Stage1Result | None:
        # Гаряча гілка: кожне оновлення кожного символу. Локальні змінні замість атрибутів і
        # жодних зайвих викликів — бенчмарк bench/stage1.py міряє саме її.
        open_time = bar.open_time
        last_t = tr.last_closed_time
        closed = bar.closed
        if last_t is not None:
            if open_time <= last_t:
                return self._stale(tr, bar) if build else None
            if closed and open_time - last_t > tr.max_gap_ms:
                self.gap_resets += 1
                logger.info(
                    "bar gap %d ms: state reset", open_time - last_t, extra=log_ctx("stage1", tr.symbol)
                )
                tr.reset()
        daily = tr.daily
        if closed:
            snap = tr.bundle.update(bar)
            daily.on_closed(bar)
            support, resistance = daily.support, daily.resistance
        else:
            snap = tr.bundle.peek(bar)
            support, resistance = daily.peek(bar)
        close = bar.close
        high = bar.high
        low = bar.low
        prev_close = tr.prev_close
        if prev_close == prev_close:  # не NaN
            tr_abs = (high if high > prev_close else prev_close) - (low if low < prev_close else prev_close)
        else:
            tr_abs = high - low
        atr = snap.atr
        if close > 0:
            tr_frac = tr_abs / close
            atr_frac = atr / close
        else:
            tr_frac = atr_frac = _NAN
        med = tr.tr_median.value
        state = tr.market_state_override
        if state is None:
            state = classify_market_state(
                close, atr, snap.ema, snap.high_n, snap.low_n, atr_frac, med, tr.params
            )
        th = tr.th_cache.get(state)
        if th is None:
            th = tr.thresholds(state)
        deriv = None
        source = self.deriv_source
        if source is not None and closed and build:
            dp = self._deriv_params.get(tr.symbol)
            if dp is None:
                dp = self._deriv_params[tr.symbol] = DerivParams.from_params(tr.params)
            # книги тригери Stage1 не читають (лише OI, фінансування, ліквідації, наявність знімка)
            deriv = deriv_context(
                source, tr.symbol, bar_event_time(open_time, self.timeframe_ms), dp, book=False
            )
        inp = TriggerInput(
            tr.symbol,
            bar,
            snap,
            closed,
            tr.index,
            prev_close,
            atr_frac,
            tr_frac,
            med,
            support,
            resistance,
            deriv,
        )
        by_name: dict[str, TriggerResult] = {}
        for evaluate in tr.evaluators:
            out = evaluate(inp, th)
            if out:
                for r in out:
                    if r.name not in by_name:
                        by_name[r.name] = r
        if by_name and not snap.ready:
            by_name = {}
        alert = len(by_name) >= th["min_reasons_for_alert"]
        direction = None
        pressure: list[str | None] = []
        if by_name:
            pressure = [r.direction for r in by_name.values()]
            ups = pressure.count(UP)
            downs = pressure.count(DOWN)
            direction = UP if ups > downs else DOWN if downs > ups else None
        new_alert = False
        closes = tr.closes
        ref = closes[0] if closes else _NAN
        if closed:
            new_alert = tr.gate.decide(alert, direction, open_time, pressure)
            tr.tr_median.push(tr_frac)
            closes.append(close)
            tr.prev_close = close
            tr.last_closed_time = open_time
            tr.index += 1
            tr.ready = snap.ready
        if not build:
            return None
        if ref != ref:  # NaN: перший бар історії — зміна від його ж open
            ref = bar.open
        vwap = snap.vwap
        quote = bar.quote_volume
        if quote <= 0:
            quote = bar.volume * (high + low + close) / 3.0
        stats: dict[str, float | None] = {
            "price": close,
            "open": bar.open,
            "high": high,
            "low": low,
            "close": close,
            "volume": bar.volume,
            "volume_usd": quote,
            "atr": atr,
            "atr_pct": atr_frac,
            "rsi": snap.rsi,
            "vwap": vwap,
            "vwap_dev": (close - vwap) / vwap if vwap > 0 else _NAN,
            "volume_z": snap.volume_z,
            "high_n": snap.high_n,
            "low_n": snap.low_n,
            "daily_high": resistance,
            "daily_low": support,
            "price_change_pct": (close / ref - 1.0) * 100.0 if ref > 0 else _NAN,
        }
        if by_name:
            reasons = list(by_name)
            raw = [r.name_raw for r in by_name.values()]
            details = {name: r.values for name, r in by_name.items()}
        else:
            reasons, raw, details = [], [], {}
        result = Stage1Result(
            tr.symbol,
            open_time,
            SIGNAL_ALERT if alert else SIGNAL_NORMAL,
            new_alert,
            direction,
            reasons,
            raw,
            details,
            stats,
            th,
            closed,
        )
        tr.last_result = result
        return result


__all__ = ["AssetMonitor"]
