"""Кожен зареєстрований тригер: інкрементна форма = пакетна, побітово, на записаних барах.

Тест параметризовано самим реєстром (`TRIGGER_REGISTRY`): новий модуль тригера потрапляє сюди
без жодного рядка тут. Для кожного тригера (лише він увімкнений) і кожного вікна реальних 1m барів
(кілька символів × дві доби, тейкери — за тілом бару, деривативи — синтетичні ряди навколо цих
барів, як у `test_deriv_triggers`) порівнюється на КОЖНОМУ барі: що спрацювало в моніторі
(`AssetMonitor.update`) — те саме, що маски пакетної форми; числа й напрям кожного спрацювання —
ті самі, що дає `details` пакетної форми. Нарешті нові алерти — ті самі, що з `batch_new_alerts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
import pytest

from aione.config.config import STAGE2_CONFIG, TIMEFRAME_MS
from aione.data.bars import BarArrays, BarEvent, read_bars_parquet
from aione.signals.deriv_context import DerivParams, SeriesSource, deriv_columns
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.asset_triggers.base import DOWN, DOWN_CODE, UP, UP_CODE, BatchInput, TriggerSpec
from aione.stage1.asset_triggers.registry import TRIGGER_REGISTRY
from aione.stage1.batch_monitor import batch_new_alerts, canonical_bars, rows
from aione.stage1.batch_series import STATE_CODES, stage1_series
from aione.stage1.daily_levels import DAY_MS
from aione.stage1.thresholds import state_thresholds, symbol_params
from tests.test_deriv_triggers import DATA, SYM, _synthetic_store, recorded

ALL_TAGS = tuple(STAGE2_CONFIG["switches"]["triggers"])
WINDOWS = (("BTCUSDT", 7_000), ("XRPUSDT", 20_000), ("SOLUSDT", 31_000))  # (символ, перший бар)
BARS = 2 * 1_440  # дві доби: денні рівні встигають з'явитися
# Низькі пороги: кожен тригер спрацьовує десятки разів за вікно.
LOOSE: dict[str, Any] = {
    "min_reasons_for_alert": 1,
    "cooldown_sec": 120,
    "vol_z_threshold": 1.5,
    "volatility_k": 1.2,
    "vwap_deviation": 0.001,
    "vwap_min_std": 1.0,
    "rsi_overbought": 62.0,
    "rsi_oversold": 38.0,
    "divergence_min_rsi_gap": 1.0,
    "divergence_hold_bars": 12,
    "near_level_atr_mult": 2.0,
    "oi_z_threshold": 2.0,
    "oi_min_change_pct": 0.3,
    "funding_pct_high": 90.0,
    "funding_high_min": 0.0,
    "funding_pct_low": 10.0,
    "funding_low_max": 0.001,
    "liq_min_usd": 20_000.0,
    "liq_volume_share": 0.0,
    "taker_ratio_min": 0.15,
}
_CODE = {UP: UP_CODE, DOWN: DOWN_CODE, None: 0}


# ── Дані ──
def _window(symbol: str, start: int) -> BarArrays:
    """Реальні бари символу; тейкери — частка за тілом бару (у записі їх немає), угод — 100."""
    arr = read_bars_parquet(DATA / f"{symbol}.parquet").slice(start, start + BARS)
    n = len(arr)
    share = np.clip(0.5 + (arr.close - arr.open) / np.maximum(arr.high - arr.low, 1e-12) * 0.4, 0.05, 0.95)
    return BarArrays(
        arr.open_time,
        arr.open,
        arr.high,
        arr.low,
        arr.close,
        arr.volume,
        arr.quote_volume,
        np.full(n, 100, dtype=np.int64),
        arr.volume * share,
        arr.quote_volume * share,
    )


def _dumps(x: Any) -> bytes:
    return orjson.dumps(x, option=orjson.OPT_SERIALIZE_NUMPY)


# ── Порівняння форм ──
def _compare_pair(
    spec: TriggerSpec, bars: BarArrays, live_source: SeriesSource, source: SeriesSource
) -> tuple[int, int]:
    """Монітор з лише цим тригером (ряди живого сховища) проти його пакетної форми (ті самі ряди,
    записані) на кожному барі; (спрацювань, нових алертів)."""
    switches = {t: t == spec.tag for t in ALL_TAGS}
    mon = AssetMonitor(LOOSE, switches=switches, deriv_source=live_source)
    live = [mon.update(BarEvent(SYM, "1m", bars.bar(i))) for i in range(len(bars))]

    arrays = canonical_bars(bars)
    p = symbol_params(LOOSE, None, SYM)
    s = stage1_series(arrays, p, TIMEFRAME_MS["1m"])
    ths = [state_thresholds(p, st) for st in STATE_CODES]
    deriv = deriv_columns(
        source, SYM, arrays.open_time + (TIMEFRAME_MS["1m"] - 1), DerivParams.from_params(p)
    )
    fires = spec.run_batch(BatchInput(arrays, s, ths, p, deriv))
    masks: Mapping[str, Any] = fires.masks

    hits = 0
    fired_bars = [i for i, r in enumerate(live) if r.trigger_reasons]
    batch_bars = sorted(
        {int(i) for mask, _ in masks.values() for i in np.flatnonzero(mask & s.ready).tolist()}
    )
    assert fired_bars == batch_bars, f"{spec.tag}: bars with a reason differ"
    if not fired_bars:
        return 0, 0
    sel = np.asarray(fired_bars, dtype=np.int64)
    col = rows(arrays, s, sel, DAY_MS // TIMEFRAME_MS["1m"])
    for k, i in enumerate(fired_bars):
        r = live[i]
        got = fires.details(i, k, col, ths[int(s.state[i])])
        want = [
            (raw, name, r.trigger_details[name])
            for raw, name in zip(r.raw_trigger_reasons, r.trigger_reasons, strict=True)
        ]
        assert _dumps([(raw, name, values) for raw, name, _, values in got]) == _dumps(want), (spec.tag, i)
        on = {name for name, (mask, _) in masks.items() if mask[i]}
        assert on == set(r.trigger_reasons), (spec.tag, i)
        for _, name, direction, _ in got:
            code = masks[name][1]
            assert (code if isinstance(code, int) else int(code[i])) == _CODE[direction], (spec.tag, i, name)
        hits += len(got)

    new = [r for r in live if r.new_alert]
    twin = batch_new_alerts(SYM, bars, LOOSE, switches=switches, deriv_source=source)
    assert [_dumps(r.to_dict()) for r in twin] == [_dumps(r.to_dict()) for r in new], spec.tag
    return hits, len(new)


@pytest.fixture(scope="module")
def windows() -> list[tuple[BarArrays, Any, SeriesSource]]:
    """(бари, сховище деривативів для монітора, ті самі ряди як записані) на кожне вікно."""
    out = []
    for k, (symbol, start) in enumerate(WINDOWS):
        bars = _window(symbol, start)
        store = _synthetic_store(bars, seed=11 + k)
        out.append((bars, store.series, recorded(store)))
    return out


@pytest.mark.skipif(not DATA.is_dir(), reason="shared data not mounted")
@pytest.mark.parametrize("spec", TRIGGER_REGISTRY, ids=[s.tag for s in TRIGGER_REGISTRY])
def test_incremental_form_equals_batch_form(
    spec: TriggerSpec, windows: list[tuple[BarArrays, Any, SeriesSource]]
) -> None:
    total_hits = total_alerts = 0
    for bars, live_source, rec_source in windows:
        hits, alerts = _compare_pair(spec, bars, live_source, rec_source)
        total_hits += hits
        total_alerts += alerts
    assert total_hits >= 20 and total_alerts >= 5, (spec.tag, total_hits, total_alerts)
