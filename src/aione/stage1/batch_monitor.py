"""Пакетний Stage1 для бектестів: нові алерти символу за один векторний прохід (спільний драйвер).

`batch_new_alerts(symbol, bars, ...)` повертає РІВНО ті `Stage1Result` з `new_alert=True`, які
свіжий `AssetMonitor` видав би на `update` кожного з цих закритих барів по черзі — побітово ті
самі поля (`orjson.dumps(to_dict())` однаковий). Так бектест бере ціну одного проходу numpy
замість ланцюжка викликів Python на кожному барі. Кроки:
1. `batch_series.stage1_series` — числа монітора на всіх барах (індикатори, TR%, медіана,
   денні рівні, стан ринку; сегменти між розривами — з нуля, як після скидання стану);
2. пакетна форма кожного увімкненого тригера (`SPEC.batch`, у модулі тригера поруч з його
   інкрементною формою) — маски спрацювань кожної нормалізованої назви і їх напрями; звідси на
   кожному барі кількість причин (після `ready`), ALERT і напрям більшості;
3. ворота алертів (`AlertGate`: епізоди й охолодження) — цикл лише над барами ALERT: чи
   пережив епізод проміжні бари, видно з префіксних сум «бар без тиску в бік епізоду»;
4. на барах нових алертів запис будується тими самими виразами, що в моніторі: спрацювання
   кожного тригера дає його `details` (те саме правило на скалярах, що й `evaluate`).
   Набір причин звіряється з масками кроку 2; розбіжність — помилка тригера (RuntimeError).
Реєстр не пропускає тригер без пакетної форми, тож запасного шляху через монітор немає.
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

from aione.config.config import SIGNAL_ALERT, STAGE1_MONITOR_PARAMS, TIMEFRAME_MS
from aione.data.bars import BarArrays
from aione.signals.deriv_context import DerivParams, SeriesSource, deriv_columns
from aione.stage1.asset_triggers.base import (
    DOWN,
    DOWN_CODE,
    UP,
    UP_CODE,
    BatchInput,
    Details,
    Fired,
    Mask,
    th_arrays,
)
from aione.stage1.asset_triggers.registry import enabled_specs
from aione.stage1.batch_series import STATE_CODES, Stage1Series, stage1_series
from aione.stage1.daily_levels import DAY_MS, exchange_levels
from aione.stage1.result import Stage1Result
from aione.stage1.thresholds import state_thresholds, symbol_params

_NAN = math.nan
# Стовпці `BarArrays` з плаваючою комою, які запис алерту бере як `bar_<назва>`.
_BAR_FLOATS = ("open", "high", "low", "close", "volume", "quote_volume")


# ── Причини на барах ──
def _tally(masks: Mapping[str, Mask], ready: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int16], ...]:
    """(кількість причин, скільки з них up, скільки down) на кожному барі; неготовий бар — нуль."""
    n = ready.shape[0]
    count = np.zeros(n, dtype=np.int16)
    ups = np.zeros(n, dtype=np.int16)
    downs = np.zeros(n, dtype=np.int16)
    for mask, d in masks.values():
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
def rows(bars: BarArrays, s: Stage1Series, sel: npt.NDArray[np.int64], day_bars: int) -> dict[str, list[Any]]:
    """Рядки барів `sel` для `details` тригерів і запису алерту (див. `asset_triggers.base.Rows`):
    поля `Stage1Series`, `bar_<поле>` бару, `taker`, `open_time` і `ref_close` — close за добу
    (`day_bars` барів) до бару в межах його сегмента."""
    col = {name: getattr(s, name)[sel].tolist() for name in s._fields if name != "starts"}
    ref_i = np.maximum(s.seg_start[sel], sel - day_bars)
    col["ref_close"] = s.close[ref_i].tolist()
    for name in _BAR_FLOATS:
        col["bar_" + name] = getattr(bars, name)[sel].tolist()
    col["open_time"] = bars.open_time[sel].tolist()
    col["taker"] = bars.taker_buy_volume[sel].tolist()
    return col


class _Builder:
    """Будує `Stage1Result` на барі нового алерту тими самими виразами, що й монітор."""

    def __init__(
        self,
        symbol: str,
        bars: BarArrays,
        s: Stage1Series,
        masks: Mapping[str, Mask],
        details: Sequence[Details],
        ths: Sequence[dict[str, Any]],
        timeframe_ms: int,
    ) -> None:
        self.symbol = symbol
        self.bars = bars
        self.s = s
        self.masks = masks
        self.ths = ths
        self.calls = details  # спрацювання тригерів на барі, у порядку реєстру
        self.day_bars = max(1, DAY_MS // timeframe_ms)

    def build(self, idx: list[int]) -> list[Stage1Result]:
        """Записи на барах `idx` (по порядку)."""
        if not idx:
            return []
        sel = np.asarray(idx, dtype=np.int64)
        col = rows(self.bars, self.s, sel, self.day_bars)
        masks = self.masks
        names = list(masks)
        # набір спрацювань бару як бітовий код; набори назв будуються раз на код
        if len(names) > 62:
            raise RuntimeError(f"batch stage1: {len(names)} trigger names do not fit an int64 code")
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
                f"batch stage1 diverged from the trigger masks on {self.symbol} bar {open_time}: "
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
def canonical_bars(bars: BarArrays) -> BarArrays:
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


def batch_new_alerts(
    symbol: str,
    bars: BarArrays,
    params: Mapping[str, Any] = STAGE1_MONITOR_PARAMS,
    *,
    switches: Mapping[str, Any] | None = None,
    timeframe: str = "1m",
    deriv_source: SeriesSource | None = None,
    exchange_days: BarArrays | None = None,
) -> list[Stage1Result]:
    """Нові алерти свіжого `AssetMonitor(params, switches=..., timeframe=..., deriv_source=...,
    exchange_days={symbol: exchange_days})` на закритих барах `bars`.

    `bars` — закриті бари одного символу, open_time строго зростає (інакше ValueError);
    `deriv_source` — записані ряди деривативів (None — лише бари, тригери деривативів мовчать);
    `exchange_days` — закриті денні бари біржі символу (денні рівні, `DailyLevels.known`)."""
    if timeframe not in TIMEFRAME_MS:
        raise ValueError(f"batch_new_alerts: unknown timeframe {timeframe!r}")
    bars = canonical_bars(bars)
    t = bars.open_time
    n = t.shape[0]
    if n > 1 and not bool(np.all(t[1:] > t[:-1])):
        raise ValueError(f"batch_new_alerts: open_time of {symbol} is not strictly increasing")
    specs = enabled_specs(switches)
    if n == 0:
        return []
    timeframe_ms = TIMEFRAME_MS[timeframe]
    p = symbol_params(params, None, symbol)
    known = exchange_levels(exchange_days) if exchange_days is not None and len(exchange_days) else None
    s = stage1_series(bars, p, timeframe_ms, known)
    ths = [state_thresholds(p, st) for st in STATE_CODES]
    deriv = None
    if deriv_source is not None:
        deriv = deriv_columns(deriv_source, symbol, t + (timeframe_ms - 1), DerivParams.from_params(p))
    inp = BatchInput(bars, s, ths, p, deriv)
    masks: dict[str, Mask] = {}
    details: list[Details] = []
    for spec in specs:
        fires = spec.run_batch(inp)
        masks.update(fires.masks)
        details.append(fires.details)
    count, ups, downs = _tally(masks, s.ready)
    alert = count >= th_arrays(ths, s.state, "min_reasons_for_alert")
    emits = new_alert_bars(count, ups, downs, alert, t, s.seg_start, int(p["cooldown_sec"]) * 1000)
    return _Builder(symbol, bars, s, masks, details, ths, timeframe_ms).build(emits)


__all__ = ["batch_new_alerts", "canonical_bars", "gate_emits", "new_alert_bars", "rows"]
