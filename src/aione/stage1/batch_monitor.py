"""Batch-двійник монітора Stage1 для бектестів: нові алерти символу за один векторний прохід.

`batch_new_alerts(symbol, bars, ...)` повертає РІВНО ті `Stage1Result` з `new_alert=True`, які
свіжий `AssetMonitor` видав би на `update` кожного з цих закритих барів по черзі — побітово ті
самі поля (`orjson.dumps(to_dict())` однаковий). Так бектест бере ціну одного проходу numpy
замість ланцюжка викликів Python на кожному барі. Кроки:
1. `batch_series.stage1_series` — числа монітора на всіх барах (індикатори, TR%, медіана,
   денні рівні, стан ринку; сегменти між розривами — з нуля, як після скидання стану);
2. `batch_triggers.trigger_fires` — маски спрацювань кожної нормалізованої назви і їх напрями;
   звідси на кожному барі кількість причин (після `ready`), ALERT і напрям більшості;
3. ворота алертів (`AlertGate`: епізоди й охолодження) — цикл лише над барами ALERT: чи
   пережив епізод проміжні бари, видно з префіксних сум «бар без тиску в бік епізоду»;
4. на барах нових алертів запис будується тими самими виразами, що в моніторі: числа тригерів
   без стану — дзеркала їхніх `evaluate` над скалярами (`batch_details`), RSI — з активацій кроку 2.
   Набір причин звіряється з масками кроку 2; розбіжність — помилка двійника (RuntimeError).
Тригер, якого двійник не знає (новий модуль у реєстрі без batch-форми), вмикає запасний шлях:
той самий результат через інкрементний `AssetMonitor`.
Деривативи: `deriv_source` (записані ряди, `recorded_source`) дає поля знімка на кожному барі
(`deriv_columns` на `bar_event_time`), і тригери деривативів працюють так само, як у моніторі з
тим самим джерелом; без джерела вони мовчать, і результат — побітово той самий, що до них.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.config.config import (
    SIGNAL_ALERT,
    STAGE1_MONITOR_PARAMS,
    TIMEFRAME_MS,
    TRIGGER_TAG_BREAKOUT,
    TRIGGER_TAG_FUNDING,
    TRIGGER_TAG_LIQUIDATIONS,
    TRIGGER_TAG_OI_SURGE,
    TRIGGER_TAG_RSI,
    TRIGGER_TAG_TAKER,
    TRIGGER_TAG_VOLATILITY,
    TRIGGER_TAG_VOLUME_SPIKE,
    TRIGGER_TAG_VWAP,
)
from aione.data.bars import BarArrays, BarEvent
from aione.logging_setup import get_logger, log_ctx
from aione.signals.deriv_context import DerivColumns, DerivParams, SeriesSource, deriv_columns
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.asset_triggers import funding_extreme, liquidation_cluster, oi_surge, taker_imbalance
from aione.stage1.asset_triggers.base import DOWN, UP
from aione.stage1.asset_triggers.registry import enabled_specs
from aione.stage1.batch_details import (
    Fired,
    breakout_details,
    fired_tuple,
    volatility_details,
    volume_details,
    vwap_details,
)
from aione.stage1.batch_series import STATE_CODES, Stage1Series, stage1_series
from aione.stage1.batch_triggers import BATCH_TAGS, DOWN_CODE, UP_CODE, Fires, th_arrays, trigger_fires
from aione.stage1.daily_levels import DAY_MS
from aione.stage1.result import Stage1Result
from aione.stage1.thresholds import state_thresholds, symbol_params

logger = get_logger(__name__)
_NAN = math.nan
# Стовпці `BarArrays` з плаваючою комою, які запис алерту бере як `bar_<назва>`.
_BAR_FLOATS = ("open", "high", "low", "close", "volume", "quote_volume")


# ── Причини на барах ──
def _tally(fires: Fires, ready: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int16], ...]:
    """(кількість причин, скільки з них up, скільки down) на кожному барі; неготовий бар — нуль."""
    n = ready.shape[0]
    count = np.zeros(n, dtype=np.int16)
    ups = np.zeros(n, dtype=np.int16)
    downs = np.zeros(n, dtype=np.int16)
    for mask, d in fires.masks.values():
        m = mask & ready
        count += m
        if isinstance(d, int):
            if d == UP_CODE:
                ups += m
            elif d == DOWN_CODE:
                downs += m
        else:
            ups += m & (d == UP_CODE)
            downs += m & (d == DOWN_CODE)
    return count, ups, downs


def _breaks(
    quiet: npt.NDArray[np.bool_], idx: npt.NDArray[np.intp], new_seg: npt.NDArray[np.bool_]
) -> list[bool]:
    """Для кожного ALERT-бару `idx[j]`: чи був між ним і попереднім ALERT-баром хоч один «тихий» бар
    (або почався новий сегмент) — тоді епізод не дожив. Префіксна сума тихих барів, взята лише на
    ALERT-барах, без переведення всього ряду у списки Python."""
    cum = np.concatenate(([0], np.cumsum(quiet)))
    after_prev = np.concatenate(([0], idx[:-1] + 1))
    return (new_seg | (cum[idx] - cum[after_prev] > 0)).tolist()


# ── Ворота алертів ──
def gate_emits(
    alert_idx: Sequence[int],
    keys: Sequence[int],
    times: Sequence[int],
    breaks: Mapping[int, Sequence[bool]],
    cooldown_ms: int,
) -> list[int]:
    """Індекси барів, на яких `AlertGate.decide` видає новий алерт.

    `alert_idx` — бари з ALERT по порядку, `keys` — їхні коди напряму (0 — "none"), `times` — їхні
    open_time, `breaks[key][j]` — чи обірвався б епізод з ключем `key` між ALERT-барами j−1 і j:
    був бар, що НЕ продовжує його (немає тиску в його бік; для "none" — жодного тригера), або
    розрив сегмента (розрив скидає епізод, історію охолодження — ні)."""
    emits: list[int] = []
    last_emit: dict[int, int] = {}
    episode: int | None = None
    for j, (b, key, ts) in enumerate(zip(alert_idx, keys, times, strict=True)):
        if episode is not None and breaks[episode][j]:
            episode = None
        if episode == key:
            continue
        episode = key
        last = last_emit.get(key)
        if last is None or ts - last >= cooldown_ms:
            last_emit[key] = ts
            emits.append(b)
    return emits


def new_alert_bars(
    count: npt.NDArray[np.integer[Any]],
    ups: npt.NDArray[np.integer[Any]],
    downs: npt.NDArray[np.integer[Any]],
    alert: npt.NDArray[np.bool_],
    open_time: npt.NDArray[np.int64],
    seg_start: npt.NDArray[np.int64],
    cooldown_ms: int,
) -> list[int]:
    """Бари нових алертів за кількістю причин на барі (усіх, up, down), масками ALERT і сегментами.

    Напрям ALERT — більшість up проти down (рівність — "none"); бар продовжує епізод up, якщо хоч
    одна причина тисне вгору (down — дзеркально, "none" — будь-яка причина)."""
    alert_idx = np.flatnonzero(alert)
    if alert_idx.shape[0] == 0:
        return []
    keys = np.sign(ups[alert_idx].astype(np.int32) - downs[alert_idx]).tolist()
    seg = seg_start[alert_idx]
    new_seg = np.concatenate(([False], seg[1:] != seg[:-1]))
    breaks = {
        UP_CODE: _breaks(ups == 0, alert_idx, new_seg),
        DOWN_CODE: _breaks(downs == 0, alert_idx, new_seg),
        0: _breaks(count == 0, alert_idx, new_seg),
    }
    return gate_emits(alert_idx.tolist(), keys, open_time[alert_idx].tolist(), breaks, cooldown_ms)


# ── Записи нових алертів ──
class _Builder:
    """Будує `Stage1Result` на барі нового алерту тими самими виразами, що й монітор."""

    def __init__(
        self,
        symbol: str,
        bars: BarArrays,
        s: Stage1Series,
        fires: Fires,
        ths: Sequence[dict[str, Any]],
        tags: Sequence[str],
        timeframe_ms: int,
        deriv: DerivColumns | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.symbol = symbol
        self.bars = bars
        self.s = s
        self.fires = fires
        self.ths = ths
        self.deriv = deriv
        self.params: Mapping[str, Any] = params or {}
        # Спрацювання кожного тригера на барі: дзеркала `batch_details`, RSI — з активацій кроку 2.
        table = {
            TRIGGER_TAG_RSI: self._rsi,
            TRIGGER_TAG_BREAKOUT: self._breakout,
            TRIGGER_TAG_VOLUME_SPIKE: self._volume,
            TRIGGER_TAG_VOLATILITY: self._volatility,
            TRIGGER_TAG_VWAP: self._vwap,
            TRIGGER_TAG_OI_SURGE: self._oi,
            TRIGGER_TAG_FUNDING: self._funding,
            TRIGGER_TAG_LIQUIDATIONS: self._liq,
            TRIGGER_TAG_TAKER: self._taker,
        }
        self.calls = [table[tag] for tag in tags]
        self.day_bars = max(1, DAY_MS // timeframe_ms)

    def _rsi(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        rsi = col["rsi"][k]
        out: list[Fired] = []
        if rsi >= th["rsi_overbought"]:
            out.append(fired_tuple("rsi_overbought", UP, {"rsi": rsi, "threshold": th["rsi_overbought"]}))
        elif rsi <= th["rsi_oversold"]:
            out.append(fired_tuple("rsi_oversold", DOWN, {"rsi": rsi, "threshold": th["rsi_oversold"]}))
        f = self.fires
        if f.bear_src is not None and f.bear_src[i] >= 0:
            out.append(fired_tuple("bearish_divergence", DOWN, dict(f.bearish[int(f.bear_src[i])].values)))
        if f.bull_src is not None and f.bull_src[i] >= 0:
            out.append(fired_tuple("bullish_divergence", UP, dict(f.bullish[int(f.bull_src[i])].values)))
        return out

    def build(self, idx: list[int]) -> list[Stage1Result]:
        """Записи на барах `idx` (по порядку)."""
        if not idx:
            return []
        s = self.s
        sel = np.asarray(idx, dtype=np.int64)
        col = {name: getattr(s, name)[sel].tolist() for name in s._fields if name != "starts"}
        ref_i = np.maximum(s.seg_start[sel], sel - self.day_bars)
        col["ref_close"] = s.close[ref_i].tolist()
        b = self.bars
        for name in _BAR_FLOATS:
            col["bar_" + name] = getattr(b, name)[sel].tolist()
        col["open_time"] = b.open_time[sel].tolist()
        col["taker"] = b.taker_buy_volume[sel].tolist()
        masks = self.fires.masks
        names = list(masks)
        # набір спрацювань бару як бітовий код; набори назв будуються раз на код
        if len(names) > 62:
            raise RuntimeError(f"batch stage1 twin: {len(names)} trigger names do not fit an int64 code")
        codes = np.zeros(sel.shape[0], dtype=np.int64)
        for bit, (mask, _) in enumerate(masks.values()):
            codes |= mask[sel].astype(np.int64) << bit
        sets: dict[int, set[str]] = {}
        out: list[Stage1Result] = []
        for k, (i, code) in enumerate(zip(idx, codes.tolist(), strict=True)):
            expected = sets.get(code)
            if expected is None:
                expected = sets[code] = {name for bit, name in enumerate(names) if code >> bit & 1}
            out.append(self._one(i, k, col, expected))
        return out

    def _breakout(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        sup = col["support"][k]
        res = col["resistance"][k]
        return breakout_details(
            col["bar_close"][k],
            col["prev_close"][k],
            col["prev_high_n"][k],
            col["prev_low_n"][k],
            col["atr_frac"][k],
            None if sup != sup else sup,
            None if res != res else res,
            th,
        )

    def _volume(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        return volume_details(
            col["bar_open"][k],
            col["bar_high"][k],
            col["bar_low"][k],
            col["bar_close"][k],
            col["bar_volume"][k],
            col["taker"][k],
            col["volume_z"][k],
            col["atr"][k],
            th,
        )

    def _volatility(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        return volatility_details(
            col["bar_open"][k],
            col["bar_close"][k],
            col["tr_frac"][k],
            col["tr_median"][k],
            col["atr_frac"][k],
            th,
        )

    def _vwap(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        return vwap_details(col["bar_close"][k], col["vwap"][k], col["vwap_dev_std"][k], th)

    # Тригери деривативів: без полів знімка не спрацьовують (як монітор без джерела рядів).
    def _oi(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        if self.deriv is None:
            return []
        return [fired_tuple(*h) for h in oi_surge.batch_details(i, self.s, self.deriv, self.params)]

    def _funding(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        if self.deriv is None:
            return []
        return [fired_tuple(*h) for h in funding_extreme.batch_details(i, self.s, self.deriv, self.params)]

    def _liq(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        if self.deriv is None:
            return []
        hits = liquidation_cluster.batch_details(i, self.bars, self.s, self.deriv, self.params)
        return [fired_tuple(*h) for h in hits]

    def _taker(self, i: int, k: int, col: Mapping[str, list[Any]], th: Mapping[str, Any]) -> list[Fired]:
        if self.deriv is None:
            return []
        return [fired_tuple(*h) for h in taker_imbalance.batch_details(i, self.bars, self.s, self.params)]

    def _one(self, i: int, k: int, col: Mapping[str, list[Any]], expected: set[str]) -> Stage1Result:
        close = col["bar_close"][k]
        high = col["bar_high"][k]
        low = col["bar_low"][k]
        open_ = col["bar_open"][k]
        volume = col["bar_volume"][k]
        open_time = col["open_time"][k]
        atr = col["atr"][k]
        rsi = col["rsi"][k]
        vwap = col["vwap"][k]
        sup = col["support"][k]
        res = col["resistance"][k]
        support = None if sup != sup else sup
        resistance = None if res != res else res
        atr_frac = col["atr_frac"][k]
        th = self.ths[col["state"][k]]
        by_name: dict[str, Fired] = {}
        if col["ready"][k]:  # як у моніторі: до кінця прогріву причин немає
            for call in self.calls:
                for r in call(i, k, col, th):
                    if r[1] not in by_name:
                        by_name[r[1]] = r
        else:
            expected = set()
        if set(by_name) != expected:
            raise RuntimeError(
                f"batch stage1 twin diverged on {self.symbol} bar {open_time}: "
                f"built {sorted(by_name)}, masks {sorted(expected)}"
            )
        pressure = [r[2] for r in by_name.values()]
        ups = pressure.count(UP)
        downs = pressure.count(DOWN)
        direction = UP if ups > downs else DOWN if downs > ups else None
        ref = col["ref_close"][k]
        if col["local"][k] == 0:
            ref = open_  # перший бар суцільної історії — зміна від його ж open
        quote = col["bar_quote_volume"][k]
        if quote <= 0:
            quote = volume * (high + low + close) / 3.0
        stats: dict[str, float | None] = {
            "price": close,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "volume_usd": quote,
            "atr": atr,
            "atr_pct": atr_frac,
            "rsi": rsi,
            "vwap": vwap,
            "vwap_dev": (close - vwap) / vwap if vwap > 0 else _NAN,
            "volume_z": col["volume_z"][k],
            "high_n": col["high_n"][k],
            "low_n": col["low_n"][k],
            "daily_high": resistance,
            "daily_low": support,
            "price_change_pct": (close / ref - 1.0) * 100.0 if ref > 0 else _NAN,
        }
        return Stage1Result(
            self.symbol,
            open_time,
            SIGNAL_ALERT,
            True,
            direction,
            list(by_name),
            [r[0] for r in by_name.values()],
            {name: r[3] for name, r in by_name.items()},
            stats,
            th,
            True,
        )


# ── Публічна функція ──
def _canonical(bars: BarArrays) -> BarArrays:
    """Стовпці як int64/float64 (без копії, якщо вже такі): монітор бачить кожне число як Python
    float (`BarArrays.bar`), тож і арифметика двійника має йти в float64, а не, скажімо, float32."""

    def f64(col: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return np.asarray(col, dtype=np.float64)

    return BarArrays(
        np.asarray(bars.open_time, dtype=np.int64),
        f64(bars.open),
        f64(bars.high),
        f64(bars.low),
        f64(bars.close),
        f64(bars.volume),
        f64(bars.quote_volume),
        np.asarray(bars.trades, dtype=np.int64),
        f64(bars.taker_buy_volume),
        f64(bars.taker_buy_quote),
    )


def _incremental(
    symbol: str,
    bars: BarArrays,
    params: Mapping[str, Any],
    switches: Mapping[str, Any] | None,
    timeframe: str,
    deriv_source: SeriesSource | None = None,
) -> list[Stage1Result]:
    """Запасний шлях: той самий результат через інкрементний монітор."""
    mon = AssetMonitor(params, switches=switches, timeframe=timeframe, deriv_source=deriv_source)
    out: list[Stage1Result] = []
    for i in range(len(bars)):
        r = mon.update(BarEvent(symbol, timeframe, bars.bar(i)))
        if r.new_alert:
            out.append(r)
    return out


def batch_new_alerts(
    symbol: str,
    bars: BarArrays,
    params: Mapping[str, Any] = STAGE1_MONITOR_PARAMS,
    *,
    switches: Mapping[str, Any] | None = None,
    timeframe: str = "1m",
    deriv_source: SeriesSource | None = None,
) -> list[Stage1Result]:
    """Нові алерти свіжого `AssetMonitor(params, switches=..., timeframe=..., deriv_source=...)` на
    закритих барах `bars`.

    `bars` — закриті бари одного символу, open_time строго зростає (інакше ValueError);
    `deriv_source` — записані ряди деривативів (None — лише бари, тригери деривативів мовчать)."""
    if timeframe not in TIMEFRAME_MS:
        raise ValueError(f"batch_new_alerts: unknown timeframe {timeframe!r}")
    bars = _canonical(bars)
    t = bars.open_time
    n = t.shape[0]
    if n > 1 and not bool(np.all(t[1:] > t[:-1])):
        raise ValueError(f"batch_new_alerts: open_time of {symbol} is not strictly increasing")
    specs = enabled_specs(switches)
    unknown = [spec.tag for spec in specs if spec.tag not in BATCH_TAGS]
    if unknown:
        logger.info(
            "no batch form for triggers %s: incremental path", unknown, extra=log_ctx("stage1", symbol)
        )
        return _incremental(symbol, bars, params, switches, timeframe, deriv_source)
    if n == 0:
        return []
    timeframe_ms = TIMEFRAME_MS[timeframe]
    p = symbol_params(params, None, symbol)
    s = stage1_series(bars, p, timeframe_ms)
    ths = [state_thresholds(p, st) for st in STATE_CODES]
    tags = [spec.tag for spec in specs]
    deriv = None
    if deriv_source is not None:
        deriv = deriv_columns(deriv_source, symbol, t + (timeframe_ms - 1), DerivParams.from_params(p))
    fires = trigger_fires(bars, s, ths, p, tags, deriv)
    count, ups, downs = _tally(fires, s.ready)
    alert = count >= th_arrays(ths, s.state, "min_reasons_for_alert")
    emits = new_alert_bars(count, ups, downs, alert, t, s.seg_start, int(p["cooldown_sec"]) * 1000)
    return _Builder(symbol, bars, s, fires, ths, tags, timeframe_ms, deriv, p).build(emits)


__all__ = ["batch_new_alerts", "gate_emits", "new_alert_bars"]
