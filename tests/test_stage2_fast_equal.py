"""Швидкі функції Stage2 дають рівно те саме, що й прямолінійні еталони (`tests/stage2_reference.py`).

Порівняння — через `repr` результатів: він розрізняє кожен біт числа (найкоротший точний запис
float, −0.0 ≠ 0.0), тож рівність `repr` означає однакові записи Stage2 до байта. Дані — реальні
1m бари місяця й згенеровані hypothesis вікна з пропусками, пласкими вершинами й рівними цінами.
"""

from __future__ import annotations

import math
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aione.config.config import STAGE2_CONFIG
from aione.data.bars import BarArrays, read_bars_parquet
from aione.data.resample import resample_daily
from aione.indicators import IndicatorInputError, atr, rolling_vwap, rsi, swing_pivots, volume_zscore
from aione.stage2.context import build_context
from aione.stage2.inputs import OrderBookDepth, Stage2Inputs
from aione.stage2.level_manager import (
    build_levels,
    hourly_bars,
    merge_levels,
    pivot_positions,
    series_pivots,
)
from aione.stage2.qde_core import _market_context, decide
from aione.stage2.scenario import DIRECTION, rank_evidence
from aione.stage2.scoring import composite_confidence, composite_score, factor_agreement, factor_scores
from aione.stage2.volatility import htf_atr, htf_true_ranges
from aione.stage2.volume_profile import volume_profile
from tests import stage2_reference as ref

DAY_MS = 86_400_000
MINUTE_MS = 60_000
# Ціни з грубої сітки: багато рівних значень (пласкі вершини, однакові кандидати рівнів).
_GRID = st.integers(0, 12).map(lambda k: 100.0 + 0.25 * k)


# ── Генерація барів ──
def _bars(open_time: list[int], high: list[float], low: list[float], close: list[float]) -> BarArrays:
    n = len(open_time)
    vol = np.linspace(1.0, 3.0, n) if n else np.zeros(0)
    return BarArrays(
        np.array(open_time, dtype=np.int64),
        np.array(close, dtype=np.float64),
        np.array(high, dtype=np.float64),
        np.array(low, dtype=np.float64),
        np.array(close, dtype=np.float64),
        vol,
        vol * 100.0,
        np.zeros(n, dtype=np.int64),
        vol / 2.0,
    )


@st.composite
def windows(draw: st.DrawFn, min_size: int = 1, max_size: int = 160) -> BarArrays:
    """Вікно 1m барів із пропусками (крок 1–90 хвилин) і цінами із сітки."""
    n = draw(st.integers(min_size, max_size))
    steps = draw(st.lists(st.sampled_from([1, 1, 1, 1, 2, 7, 45, 90]), min_size=n, max_size=n))
    start = draw(st.integers(0, 2000)) * MINUTE_MS + 1_746_000_000_000 // DAY_MS * DAY_MS
    ot = [start + MINUTE_MS * k for k in accumulate(steps)]
    a = draw(st.lists(_GRID, min_size=n, max_size=n))
    b = draw(st.lists(_GRID, min_size=n, max_size=n))
    c = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    high = [max(x, y) for x, y in zip(a, b, strict=True)]
    low = [min(x, y) for x, y in zip(a, b, strict=True)]
    close = [lo + f * (hi - lo) for hi, lo, f in zip(high, low, c, strict=True)]
    return _bars(ot, high, low, close)


@st.composite
def dailies(draw: st.DrawFn, bars: BarArrays) -> BarArrays | None:
    """Денні бари до дня останнього 1m бару включно (відкритий день теж буває)."""
    k = draw(st.integers(0, 9))
    if k == 0:
        return None
    last_day = int(bars.open_time[-1]) // DAY_MS * DAY_MS
    ot = [last_day - DAY_MS * (k - 1 - i) for i in range(k)]
    a = draw(st.lists(_GRID, min_size=k, max_size=k))
    b = draw(st.lists(_GRID, min_size=k, max_size=k))
    high = [max(x, y) + 1.0 for x, y in zip(a, b, strict=True)]
    low = [min(x, y) - 1.0 for x, y in zip(a, b, strict=True)]
    return _bars(ot, high, low, low)


# ── Рівні ──
@settings(max_examples=300, deadline=None)
@given(data=st.data(), bars=windows())
def test_build_levels_equal_reference(data: st.DataObject, bars: BarArrays) -> None:
    daily = data.draw(dailies(bars))
    kw: dict[str, Any] = {
        "price": data.draw(_GRID),
        "atr": data.draw(st.sampled_from([0.3, 0.1, 1.0, 0.0, math.nan, 20.0, 40.0])),
        "tick": data.draw(st.sampled_from([0.01, 0.25, 0.001, 1e-5, 0.5])),
        "sr_window": data.draw(st.integers(5, 80)),
        "merge_atr": data.draw(st.sampled_from([0.25, 0.0, 1.0])),
        "micro_order": data.draw(st.integers(1, 4)),
        "meso_order": data.draw(st.integers(1, 3)),
        "macro_order": data.draw(st.integers(1, 3)),
        "max_levels": data.draw(st.integers(1, 14)),
        "extra_macro": tuple(data.draw(st.lists(_GRID | st.just(math.nan), max_size=2))),
    }
    assert repr(build_levels(bars, daily, **kw)) == repr(ref.build_levels(bars, daily, **kw))


def test_build_levels_rounding_at_half_way_points() -> None:
    """Відстані рівно посередині між сусідніми округленнями (0.25/160·100 = 0.15625 %,
    0.25/20 = 0.0125 ATR) округлюються так само, як round(), і збігаються з еталоном."""
    n = 10
    bars = _bars([1_746_000_000_000 + MINUTE_MS * k for k in range(n)], [150.0] * n, [149.0] * n, [149.5] * n)
    kw: dict[str, Any] = {
        "price": 160.0,
        "atr": 20.0,
        "tick": 0.01,
        "merge_atr": 0.0,
        "extra_macro": (159.75, 160.25),
    }
    got = build_levels(bars, None, **kw)
    assert repr(got) == repr(ref.build_levels(bars, None, **kw))
    near = [lv for lv in got.levels if lv.price in (159.75, 160.25)]
    assert len(near) == 2
    for lv in near:
        assert lv.distance_pct == round(0.25 / 160.0 * 100.0, 4)
        assert lv.distance_atr == round(0.25 / 20.0, 3)


def test_build_levels_same_daily_series() -> None:
    """Той самий денний ряд у різних рішеннях — ті самі рівні, що й в еталоні; денний ряд з NaN
    кидає виняток щоразу."""
    n = 120
    t0 = 1_746_000_000_000 // DAY_MS * DAY_MS + 30 * DAY_MS
    ot = [t0 + MINUTE_MS * k for k in range(n)]
    high = [100.0 + (k % 17) * 0.25 for k in range(n)]
    low = [h - 0.5 for h in high]
    bars = _bars(ot, high, low, low)
    d_ot = [t0 - DAY_MS * (9 - i) for i in range(10)]
    d_hi = [110.0, 112.0, 111.0, 115.0, 113.0, 114.0, 118.0, 116.0, 117.0, 119.0]
    daily = _bars(d_ot, d_hi, [h - 9.0 for h in d_hi], [h - 5.0 for h in d_hi])
    kw: dict[str, Any] = {"price": 101.0, "atr": 0.3, "tick": 0.25}
    for k in (n, n - 7, n):  # повтор того самого денного ряду з іншими 1m вікнами
        part = bars.slice(0, k)
        assert repr(build_levels(part, daily, **kw)) == repr(ref.build_levels(part, daily, **kw))
    bad = _bars(d_ot, [*d_hi[:4], math.nan, *d_hi[5:]], [h - 9.0 for h in d_hi], [h - 5.0 for h in d_hi])
    for _ in range(2):
        with pytest.raises(IndicatorInputError):
            build_levels(bars, bad, **kw)


@settings(max_examples=100, deadline=None)
@given(bars=windows())
def test_hourly_bars_equal_reference(bars: BarArrays) -> None:
    got, want = hourly_bars(bars), ref.hourly_bars(bars)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_GRID, max_size=60), order=st.integers(1, 5))
def test_pivot_positions_equal_swing_pivots(values: list[float], order: int) -> None:
    high = np.array(values, dtype=np.float64)
    low = high - 0.5
    want_hi, want_lo = swing_pivots(high, low, order, order) if len(values) else ([], [])
    assert pivot_positions(high.tolist(), order, lows=False) == list(want_hi)
    assert pivot_positions(low.tolist(), order, lows=True) == list(want_lo)


def test_series_pivots_reject_non_finite_like_swing_pivots() -> None:
    ot = np.arange(9, dtype=np.int64)
    high = np.array([1.0, 2, 3, 2, 1, 2, math.inf, 2, 1])
    low = high - 0.5
    with pytest.raises(IndicatorInputError):
        series_pivots([(ot, high, low, 1, 2)])
    with pytest.raises(IndicatorInputError):
        ref.pivots_batched([ref._Series(ot, high, low, 1, 2)])
    # Закороткий ряд півотів не має, тож і не перевіряється — як і раніше.
    assert series_pivots([(ot[:4], high[:4] * math.nan, low[:4], 1, 2)]) == []


@settings(max_examples=300, deadline=None)
@given(
    cands=st.lists(
        st.tuples(_GRID, st.integers(1, 3), st.integers(1, 4), st.integers(0, 3)), min_size=1, max_size=25
    ),
    tol=st.sampled_from([0.0, 0.25, 0.3, 1.0]),
)
def test_merge_levels_equal_reference(cands: list[tuple[float, int, int, int]], tol: float) -> None:
    got = merge_levels(cands, tol)
    arrays = [np.array([c[i] for c in cands]) for i in range(4)]
    arrays[1:] = [a.astype(np.int64) for a in arrays[1:]]
    want = ref.merge_candidates(*arrays, tol)
    assert got == list(zip(*(a.tolist() for a in want), strict=True))


# ── Волатильність і профіль обсягу ──
@settings(max_examples=150, deadline=None)
@given(
    bars=windows(max_size=240),
    minutes=st.sampled_from([1, 3, 5, 15, 60]),
    period=st.integers(1, 20),
)
def test_htf_atr_equal_reference(bars: BarArrays, minutes: int, period: int) -> None:
    assert repr(htf_atr(bars, minutes, period)) == repr(ref.htf_atr(bars, minutes, period))
    np.testing.assert_array_equal(htf_true_ranges(bars, minutes), ref.htf_true_ranges(bars, minutes))


@st.composite
def contiguous_windows(draw: st.DrawFn, max_size: int = 400) -> BarArrays:
    """Вікно 1m барів без пропусків, що починається з довільної хвилини."""
    n = draw(st.integers(1, max_size))
    start = draw(st.integers(0, 200)) * MINUTE_MS + 1_746_000_000_000 // DAY_MS * DAY_MS
    a = draw(st.lists(_GRID, min_size=n, max_size=n))
    b = draw(st.lists(_GRID, min_size=n, max_size=n))
    high = [max(x, y) for x, y in zip(a, b, strict=True)]
    low = [min(x, y) for x, y in zip(a, b, strict=True)]
    close = [(hi + lo) / 2.0 for hi, lo in zip(high, low, strict=True)]
    return _bars([start + MINUTE_MS * k for k in range(n)], high, low, close)


@settings(max_examples=150, deadline=None)
@given(bars=contiguous_windows(), minutes=st.sampled_from([1, 3, 5, 15, 60]), period=st.integers(1, 20))
def test_htf_atr_contiguous_equal_reference(bars: BarArrays, minutes: int, period: int) -> None:
    """Вікно без пропусків (арифметичні межі кошиків) — те саме, що пошук меж в еталоні."""
    assert repr(htf_atr(bars, minutes, period)) == repr(ref.htf_atr(bars, minutes, period))


@settings(max_examples=150, deadline=None)
@given(bars=contiguous_windows())
def test_hourly_bars_contiguous_equal_reference(bars: BarArrays) -> None:
    """Години вікна без пропусків (арифметичні межі) — ті самі, що з пошуку меж в еталоні."""
    for got, want in zip(hourly_bars(bars), ref.hourly_bars(bars), strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@settings(max_examples=150, deadline=None)
@given(bars=windows(), bins=st.integers(1, 50), pct=st.sampled_from([0.7, 0.0, 0.95, 1.0]))
def test_volume_profile_equal_reference(bars: BarArrays, bins: int, pct: float) -> None:
    args = (bars.high, bars.low, bars.close, bars.volume)
    got = volume_profile(*args, bins=bins, value_area_pct=pct)
    assert repr(got) == repr(ref.volume_profile(*args, bins=bins, value_area_pct=pct))


def test_volume_profile_integer_input_equal_reference() -> None:
    # Цілі масиви (як у простих викликах): профіль рахує у float64, не на місці у вхідних даних.
    high, low, close, volume = (np.array(x) for x in ([3, 5, 4, 6], [1, 2, 2, 3], [2, 4, 3, 5], [1, 2, 3, 4]))
    got = volume_profile(high, low, close, volume, bins=4)
    assert repr(got) == repr(ref.volume_profile(high, low, close, volume, bins=4))
    assert high.tolist() == [3, 5, 4, 6]


def test_volume_profile_typical_price_at_the_top() -> None:
    """Бар з high = low = close = максимум вікна: типова ціна поза останнім кошиком, обрізається
    в нього (запасний шлях), обсяг додається в тому самому порядку, що й в еталоні."""
    high, low, close = (
        np.array([3.0, 5.0, 6.0, 4.0]),
        np.array([1.0, 2.0, 6.0, 2.0]),
        np.array([2.0, 4.0, 6.0, 3.0]),
    )
    volume = np.array([0.1, 0.2, 0.7, 0.3])
    for bins in (1, 4, 40):
        got = volume_profile(high, low, close, volume, bins=bins)
        assert repr(got) == repr(ref.volume_profile(high, low, close, volume, bins=bins))


# ── Скор ──
_FACTORS = ("volume", "rsi", "atr", "orderbook", "vwap", "velocity", "volume_profile", "levels")


@settings(max_examples=200, deadline=None)
@given(
    weights=st.dictionaries(st.sampled_from(_FACTORS), st.sampled_from([0.0, 0.18, 0.2, 0.25, -0.1, 1.0])),
    scores=st.dictionaries(st.sampled_from(_FACTORS), st.floats(-1.0, 1.0)),
)
def test_composite_score_equal_reference(weights: dict[str, float], scores: dict[str, float]) -> None:
    assert repr(composite_score(scores, weights)) == repr(ref.composite_score(scores, weights))
    weights["volume"] = 0.5
    assert repr(composite_score(scores, weights)) == repr(ref.composite_score(scores, weights))


_EVIDENCE_VALUES = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, 1.3, 2.25]) | st.floats(0.0, 3.0)


@settings(max_examples=500, deadline=None)
@given(values=st.lists(_EVIDENCE_VALUES, min_size=7, max_size=7))
def test_rank_evidence_equal_reference(values: list[float]) -> None:
    """Перші два місця й суперник без сортування — як зі стабільним sorted (багато рівних балів)."""
    names = [*DIRECTION, "RANGE_BOUND", "HIGH_VOLATILITY", "MANIPULATED"]
    ev = dict(zip(names, values, strict=True))
    assert repr(rank_evidence(ev)) == repr(ref.rank_evidence(ev))
    shuffled = dict(zip(reversed(names), values, strict=True))
    assert repr(rank_evidence(shuffled)) == repr(ref.rank_evidence(shuffled))


_PARTS = ("agreement", "conviction", "clarity", "completeness", "other")


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.floats(-0.5, 1.5, allow_nan=False), min_size=4, max_size=4),
    weights=st.dictionaries(
        st.sampled_from(_PARTS), st.one_of(st.floats(-1.0, 2.0, allow_nan=False), st.integers(-1, 2))
    ),
)
def test_composite_confidence_equal_reference(parts: list[float], weights: dict[str, float]) -> None:
    a, b, c, d = parts
    want = ref.composite_confidence(a, b, c, d, weights)
    assert repr(composite_confidence(a, b, c, d, weights)) == repr(want)


# ── Контекст і рішення на реальних барах ──
def _real_cases(data_1m: Path, symbol: str, n: int) -> list[tuple[dict[str, Any], Stage2Inputs]]:
    bars = read_bars_parquet(data_1m / f"{symbol}.parquet")
    daily = resample_daily(bars)
    a = atr(bars.high, bars.low, bars.close, 14)
    r = rsi(bars.close, 14)
    vw = rolling_vwap(bars.high, bars.low, bars.close, bars.volume, 60)
    vz = volume_zscore(bars.volume, 60)
    window = int(STAGE2_CONFIG["context_bars"])
    cases = []
    for k, i in enumerate(np.linspace(100, len(bars) - 1, n).astype(int)):
        stats = {"price": float(bars.close[i]), "atr": a[i], "rsi": r[i], "vwap": vw[i], "volume_z": vz[i]}
        s1 = {
            "symbol": symbol,
            "timestamp": int(bars.open_time[i]),
            "trigger_reasons": [["breakout_up", "bull_vol_spike"], ["breakout_down"], ["rsi_oversold"]][
                k % 3
            ],
            "stats": stats if k % 4 else {},  # кожне четверте — без stats: ядро рахує індикатори саме
        }
        day_stop = int(np.searchsorted(daily.open_time, bars.open_time[i], side="right"))
        bars_1d = daily.slice(max(0, day_stop - 31), day_stop) if k % 5 else None
        cases.append((s1, Stage2Inputs(bars.slice(max(0, i + 1 - window), i + 1), bars_1d)))
    return cases


@pytest.mark.parametrize("symbol", ["BTCUSDT", "XRPUSDT", "ENAUSDT"])
def test_context_equal_reference_on_real_bars(data_1m: Path, symbol: str) -> None:
    if not (data_1m / f"{symbol}.parquet").exists():
        pytest.skip(f"{symbol} not in the recorded set")
    for s1, inputs in _real_cases(data_1m, symbol, 60):
        kw: dict[str, Any] = {"tick": 0.0001, "params": STAGE2_CONFIG}
        got = build_context(s1["stats"], inputs.bars_1m, inputs.bars_1d, **kw)
        want = ref.build_context(s1["stats"], inputs.bars_1m, inputs.bars_1d, **kw)
        assert repr(got) == repr(want)
        assert len(got.levels.levels) > 0


def test_decide_without_explain_differs_only_in_narrative(data_1m: Path) -> None:
    for s1, inputs in _real_cases(data_1m, "ETHUSDT", 40):
        full = decide(s1, inputs)
        bare = decide(s1, inputs, explain=False)
        assert full["narrative"] and bare["narrative"] == ""
        assert repr({**full, "narrative": ""}) == repr(bare)


def test_market_context_levels_equal_as_dict(data_1m: Path) -> None:
    """Рівні в `market_context` — ті самі словники (ключі, порядок, значення), що й `Level.as_dict`."""
    for s1, inputs in _real_cases(data_1m, "BTCUSDT", 12):
        ctx = build_context(s1["stats"], inputs.bars_1m, inputs.bars_1d, tick=0.1, params=STAGE2_CONFIG)
        got = _market_context(ctx, "RANGE_BOUND", [], 0.1)["levels"]
        assert repr(got) == repr([lv.as_dict() for lv in ctx.levels.levels])
        assert [list(d) for d in got] == [list(lv.as_dict()) for lv in ctx.levels.levels]


@settings(max_examples=400, deadline=None)
@given(
    scores=st.dictionaries(
        st.sampled_from(_FACTORS),
        st.floats(-1.0, 1.0) | st.sampled_from([0.0, -0.0, 1.0, -1.0, math.nan]),
        min_size=1,
    ),
    weights=st.lists(st.floats(0.0, 1.0) | st.just(0.0), min_size=8, max_size=8),
    score=st.floats(-1.0, 1.0) | st.sampled_from([0.0, -0.0, math.nan]),
)
def test_factor_agreement_equal_reference(
    scores: dict[str, float], weights: list[float], score: float
) -> None:
    used = {k: w for k, w in zip(_FACTORS, weights, strict=True) if k in scores}
    assert repr(factor_agreement(scores, used, score)) == repr(ref.factor_agreement(scores, used, score))


@pytest.mark.parametrize("symbol", ["BTCUSDT", "XRPUSDT"])
def test_factor_scores_equal_reference_on_real_bars(data_1m: Path, symbol: str) -> None:
    """Оцінки факторів (з нулями, NaN-факторами, стаканом і без) — як у попередній версії."""
    if not (data_1m / f"{symbol}.parquet").exists():
        pytest.skip(f"{symbol} not in the recorded set")
    books = [None, OrderBookDepth(0.0, 0.0), OrderBookDepth(1e5, 1e5), OrderBookDepth(3e5, 1e5)]
    trigger_sets = [
        frozenset(),
        frozenset({"breakout_up", "near_low"}),
        frozenset({"bearish_div", "near_high"}),
    ]
    for k, (s1, inputs) in enumerate(_real_cases(data_1m, symbol, 40)):
        ctx = build_context(s1["stats"], inputs.bars_1m, inputs.bars_1d, tick=0.0001, params=STAGE2_CONFIG)
        trig, book = trigger_sets[k % 3], books[k % 4]
        assert repr(factor_scores(ctx, trig, book)) == repr(ref.factor_scores(ctx, trig, book))
