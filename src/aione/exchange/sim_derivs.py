"""Деривативні дані симулятора: книга, марк-ціна і фінансування, ліквідації, відкритий інтерес.

Чиста логіка без I/O. Два джерела:

1. **Похідні з барів** (каталог лише з барами). Кожна величина — детермінована функція записаних
   барів, без випадковості й без погляду вперед (значення під час бару `i` залежить лише від барів
   до `i` включно закритих):
   - *книга* (`depth20`, REST `depth`): `bid₀` = поточна ціна, `ask₀` = ціна + тік, далі рівні через
     тік; базова кількість рівня = середній обсяг 60 попередніх барів / 20, рівень k — × (1 + k/10);
     нахил книги = (2 × частка тейкер-купівель попереднього закритого бару − 1) × 0.8: bids × (1 + нахил),
     asks × (1 − нахил). Так дисбаланс книги в смузі ±1 % ≈ нахил і рухається разом із потоком угод;
   - *марк-ціна* = індекс = поточна ціна (close проміжного бару);
   - *фінансування* під час бару `i`: премія = close[i−1] / середнє close[i−60 … i−1] − 1,
     ставка = clip(0.01 % + 0.1 × премія, −0.3 %, +0.3 %), 8 знаків; `nextFundingTime` — наступна межа
     8 год (00:00, 08:00, 16:00 UTC);
   - *ліквідації* (`forceOrder`) на закритті бару з великою тінню: поріг = max(0.1 %, 1.0 × середній
     діапазон (high − low) / close 60 попередніх барів) × close. Нижня тінь понад поріг — ліквідація
     лонгів (ордер SELL за ціною low), верхня — шортів (BUY за high); кількість = обсяг бару ×
     тінь / діапазон × 0.1, 3 знаки; час угоди — остання мс бару;
   - *відкритий інтерес* після бару `i`: база = 0.3 × середній добовий обсяг серії (обсяг бару × 1440);
     потік = сума (2 × тейкер-купівлі − обсяг) за останні 1440 барів; OI = база × (1 + 0.5 × tanh(потік /
     база)), 3 знаки — завжди додатний, росте з чистими купівлями тейкерів і падає з продажами.
     REST `openInterest` віддає OI останнього закритого бару з часом «зараз»; `openInterestHist` —
     точки на межах періоду (OI останнього бару, закритого до межі; вартість = OI × close).
2. **Запис `aione record`** (каталог має ряди `book`/`mark`/`oi`/`liq`): кожен записаний рядок
   віддається рівно один раз зі своїм часом, тож сховище клієнта отримує ті самі ряди, що записав
   `aione record`. Книга з метрик (mid, spread_bps, bid_usd, ask_usd) відтворюється двома рівнями:
   bid = mid × (1 − spread/2), ask = mid × (1 + spread/2), кількості = bid_usd / bid і ask_usd / ask.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from aione.data.bars import BarArrays

FloatArray = npt.NDArray[np.float64]
Columns = Mapping[str, npt.NDArray[np.generic]]

# ── Константи похідних рядів ──
BOOK_LEVELS = 20
BOOK_QTY_WINDOW = 60  # барів для базової кількості рівня
BOOK_QTY_DIVISOR = 20.0
BOOK_TILT_GAIN = 0.8
FUNDING_BASE = 0.0001  # 0.01 % за 8 год
FUNDING_PREMIUM_GAIN = 0.1
FUNDING_CAP = 0.003
FUNDING_WINDOW = 60  # барів для середнього close
FUNDING_PERIOD_MS = 8 * 3_600_000
LIQ_MIN_WICK_PCT = 0.001
LIQ_WICK_MULT = 1.0
LIQ_WINDOW = 60
LIQ_VOLUME_SHARE = 0.1
OI_DAILY_SHARE = 0.3
OI_FLOW_WINDOW = 1_440
BARS_PER_DAY = 1_440


def next_funding_time(now_ms: int) -> int:
    """Наступна межа періоду фінансування (8 год) після `now_ms`."""
    return (now_ms // FUNDING_PERIOD_MS + 1) * FUNDING_PERIOD_MS


def _trailing_mean(x: FloatArray, window: int) -> FloatArray:
    """Середнє x[i−window … i−1] для кожного i (для i=0 — x[0]): лише минуле."""
    csum = np.concatenate(([0.0], np.cumsum(x)))
    idx = np.arange(x.shape[0])
    lo = np.maximum(0, idx - window)
    count = idx - lo
    out = np.empty_like(x)
    has = count > 0
    out[has] = (csum[idx[has]] - csum[lo[has]]) / count[has]
    out[~has] = x[0] if x.shape[0] else 0.0
    return out


# ── Похідні масиви серії ──
@dataclass(frozen=True, slots=True)
class DerivArrays:
    """Похідні ряди однієї серії барів (довжина — кількість барів)."""

    funding: FloatArray  # ставка під час бару i
    oi: FloatArray  # OI після закриття бару i
    book_qty: FloatArray  # базова кількість рівня під час бару i
    book_tilt: FloatArray  # нахил книги під час бару i
    liq_long_qty: FloatArray  # ліквідація лонгів на закритті бару i (0 — немає)
    liq_short_qty: FloatArray  # ліквідація шортів на закритті бару i (0 — немає)


def derive_arrays(bars: BarArrays, taker_buy: FloatArray) -> DerivArrays:
    """Усі похідні ряди серії (див. докстрінг модуля)."""
    o, h, low, c, v = bars.open, bars.high, bars.low, bars.close, bars.volume
    n = c.shape[0]
    # фінансування: премія попереднього закритого бару до середнього 60 барів перед ним
    mean_c = _trailing_mean(c, FUNDING_WINDOW)  # середнє c[i-60..i-1]
    prev_c = np.concatenate(([c[0]], c[:-1])) if n else c
    prev_mean = np.concatenate(([c[0]], mean_c[:-1])) if n else c
    with np.errstate(invalid="ignore", divide="ignore"):
        premium = np.where(prev_mean > 0, prev_c / prev_mean - 1.0, 0.0)
    funding = np.round(np.clip(FUNDING_BASE + FUNDING_PREMIUM_GAIN * premium, -FUNDING_CAP, FUNDING_CAP), 8)
    # книга: кількість від обсягу минулих барів, нахил від частки тейкер-купівель попереднього бару
    book_qty = np.maximum(_trailing_mean(v, BOOK_QTY_WINDOW) / BOOK_QTY_DIVISOR, 0.001)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(v > 0, taker_buy / v, 0.5)
    share = np.nan_to_num(share, nan=0.5)
    tilt_now = np.clip((2.0 * share - 1.0) * BOOK_TILT_GAIN, -0.9, 0.9)
    book_tilt = np.concatenate(([0.0], tilt_now[:-1])) if n else tilt_now
    # ліквідації: тінь понад поріг від середнього діапазону минулих барів
    with np.errstate(invalid="ignore", divide="ignore"):
        rng_pct = np.where(c > 0, (h - low) / c, 0.0)
    thr = np.maximum(LIQ_MIN_WICK_PCT, LIQ_WICK_MULT * _trailing_mean(rng_pct, LIQ_WINDOW)) * c
    thr[: min(n, LIQ_WINDOW)] = np.inf  # замало історії для порогу
    rng = h - low
    lower = np.minimum(o, c) - low
    upper = h - np.maximum(o, c)
    with np.errstate(invalid="ignore", divide="ignore"):
        long_qty = np.where((lower > thr) & (rng > 0), np.round(v * lower / rng * LIQ_VOLUME_SHARE, 3), 0.0)
        short_qty = np.where((upper > thr) & (rng > 0), np.round(v * upper / rng * LIQ_VOLUME_SHARE, 3), 0.0)
    # OI: база від середнього добового обсягу, потік — ковзна сума чистих купівель тейкерів
    base = max(OI_DAILY_SHARE * float(np.mean(v)) * BARS_PER_DAY, 1.0) if n else 1.0
    signed = np.nan_to_num(2.0 * taker_buy - v, nan=0.0)
    csum = np.concatenate(([0.0], np.cumsum(signed)))
    idx = np.arange(n)
    flow = csum[idx + 1] - csum[np.maximum(0, idx + 1 - OI_FLOW_WINDOW)]
    oi = np.round(base * (1.0 + 0.5 * np.tanh(flow / base)), 3)
    return DerivArrays(
        *(np.asarray(x, dtype=np.float64) for x in (funding, oi, book_qty, book_tilt, long_qty, short_qty))
    )


# ── Книга ──
def _fmt_price(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def derived_levels(
    price: float, tick: float, decimals: int, qty: float, tilt: float, levels: int, crossed: bool = False
) -> tuple[list[list[str]], list[list[str]]]:
    """(bids, asks) рядками Binance: bid₀ = ціна, ask₀ = ціна + тік; `crossed` — несправність:
    bids починаються вище за ask₀ (схрещена книга)."""
    shift = 2 * tick if crossed else 0.0
    bids = []
    for k in range(levels):
        p = price + shift - k * tick
        if p <= 0:
            break
        bids.append([_fmt_price(p, decimals), f"{qty * (1 + k / 10) * (1 + tilt):.3f}"])
    asks = [
        [_fmt_price(price + (k + 1) * tick, decimals), f"{qty * (1 + k / 10) * (1 - tilt):.3f}"]
        for k in range(levels)
    ]
    return bids, asks


def levels_from_metrics(
    mid: float, spread_bps: float, bid_usd: float, ask_usd: float
) -> tuple[list[list[str]], list[list[str]]]:
    """Два рівні, що відтворюють записані метрики книги (див. докстрінг модуля)."""
    half = spread_bps / 2e4
    bid = mid * (1.0 - half)
    ask = mid * (1.0 + half)
    qb = bid_usd / bid if bid > 0 else 0.0
    qa = ask_usd / ask if ask > 0 else 0.0
    return [[repr(bid), repr(qb)]], [[repr(ask), repr(qa)]]


def depth_update(
    symbol: str, event_time: int, update_id: int, prev_id: int, bids: list[list[str]], asks: list[list[str]]
) -> dict[str, Any]:
    """Кадр часткової книги ф'ючерсів (`depthUpdate` з `U`/`u`/`pu`)."""
    return {
        "e": "depthUpdate",
        "E": event_time,
        "T": event_time,
        "s": symbol,
        "U": update_id,
        "u": update_id,
        "pu": prev_id,
        "b": bids,
        "a": asks,
    }


# ── Марк-ціна і ліквідації ──
def mark_update(
    symbol: str, event_time: int, mark: str, index: str, funding_rate: float, next_funding: int
) -> dict[str, Any]:
    """Кадр `markPriceUpdate`."""
    return {
        "e": "markPriceUpdate",
        "E": event_time,
        "s": symbol,
        "p": mark,
        "i": index,
        "P": mark,
        "r": f"{funding_rate:.8f}" if math.isfinite(funding_rate) else "0",
        "T": next_funding,
    }


def force_order(
    symbol: str, side: str, price: str, avg_price: str, qty: str, trade_time: int, event_time: int
) -> dict[str, Any]:
    """Кадр `forceOrder` (ліквідація виконана повністю)."""
    return {
        "e": "forceOrder",
        "E": event_time,
        "o": {
            "s": symbol,
            "S": side,
            "o": "LIMIT",
            "f": "IOC",
            "q": qty,
            "p": price,
            "ap": avg_price,
            "X": "FILLED",
            "l": qty,
            "z": qty,
            "T": trade_time,
        },
    }


# ── Записані ряди ──
@dataclass(frozen=True, slots=True)
class RecordedSeries:
    """Записані ряди одного символу (стовпці `ts` і значення за видом; вид може бути відсутнім)."""

    book: Columns | None = None
    mark: Columns | None = None
    oi: Columns | None = None
    liq: Columns | None = None

    def rows_between(self, kind: str, after: int, until: int) -> range:
        """Індекси рядків виду `kind` з часом у (after, until]."""
        cols = getattr(self, kind)
        if not cols or "ts" not in cols:
            return range(0)
        ts = np.asarray(cols["ts"])
        lo = int(np.searchsorted(ts, after, side="right"))
        hi = int(np.searchsorted(ts, until, side="right"))
        return range(lo, hi)

    def at_or_before(self, kind: str, t: int) -> int | None:
        """Індекс останнього рядка виду `kind` з часом ≤ t."""
        cols = getattr(self, kind)
        if not cols or "ts" not in cols:
            return None
        i = int(np.searchsorted(np.asarray(cols["ts"]), t, side="right")) - 1
        return i if i >= 0 else None


def recorded_book_frame(symbol: str, cols: Columns, i: int, prev_id: int) -> dict[str, Any]:
    """Кадр книги з записаного рядка `i` (час і id = записаний час)."""
    ts = int(cols["ts"][i])
    bids, asks = levels_from_metrics(
        float(cols["mid"][i]),
        float(cols["spread_bps"][i]),
        float(cols["bid_usd"][i]),
        float(cols["ask_usd"][i]),
    )
    return depth_update(symbol, ts, ts, prev_id, bids, asks)


def recorded_mark_frame(symbol: str, cols: Columns, i: int) -> dict[str, Any]:
    """Кадр марк-ціни з записаного рядка `i`."""
    return mark_update(
        symbol,
        int(cols["ts"][i]),
        repr(float(cols["mark_price"][i])),
        repr(float(cols["index_price"][i])),
        float(cols["funding_rate"][i]),
        int(cols["next_funding_time"][i]),
    )


def recorded_liq_frame(symbol: str, cols: Columns, i: int) -> dict[str, Any]:
    """Кадр ліквідації з записаного рядка `i` (середня ціна = notional / qty)."""
    ts = int(cols["ts"][i])
    qty = float(cols["qty"][i])
    notional = float(cols["notional"][i])
    avg = notional / qty if qty > 0 else float(cols["price"][i])
    side = "BUY" if float(cols["side"][i]) > 0 else "SELL"
    return force_order(symbol, side, repr(float(cols["price"][i])), repr(avg), repr(qty), ts, ts)


__all__ = [
    "BOOK_LEVELS",
    "FUNDING_PERIOD_MS",
    "DerivArrays",
    "RecordedSeries",
    "depth_update",
    "derive_arrays",
    "derived_levels",
    "force_order",
    "levels_from_metrics",
    "mark_update",
    "next_funding_time",
    "recorded_book_frame",
    "recorded_liq_frame",
    "recorded_mark_frame",
]
