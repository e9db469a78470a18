"""Stage1 на записаних даних binance-um-1m-2025-05: префільтр → монітор над усіма 16 символами.

Входи префільтра виведено з самих барів (у записах немає exchangeInfo і тікерів):
- exchangeInfo: кожен символ — TRADING, USDT, PERPETUAL (так і є на Binance USDT-M);
- ticker/24hr: за 1 440 барів перед початком вікна — last = останній close, зміна % = від open
  першого бару, high/low — екстремуми, quote volume = Σ volume × (high + low + close) / 3
  (та сама похідна формула, що й у `read_bars_parquet`);
- OI і глибину з барів не вивести, тож ці пороги не перевіряються (мапи не передаються).
Префільтр динамічний (поріг обсягу — 25-й перцентиль універсу), тож частина символів відсіюється.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from aione.config.config import STAGE1_MONITOR_PARAMS, TRIGGER_NAME_MAP, FilterParams, SymbolInfo
from aione.data.bars import BarArrays, BarEvent, list_symbols, read_bars_parquet
from aione.exchange.models import Ticker24h
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.prefilter import select_symbols

HIST = 1440  # прогрів: доба 1m барів
RUN = 1500  # барів на символ у перевірці
START_MS = 1_746_921_600_000  # 2025-05-11 00:00 UTC: у спільному вікні всіх 16 символів (з добою історії)
SAMPLES = 3  # точок перерахунку з нуля на символ


def _ticker(sym: str, b: BarArrays) -> Ticker24h:
    qv = float(np.sum(b.volume * (b.high + b.low + b.close) / 3.0))
    last = float(b.close[-1])
    return Ticker24h(
        sym,
        last,
        (last / float(b.open[0]) - 1.0) * 100.0,
        qv,
        float(b.high.max()),
        float(b.low.min()),
        float(b.volume.sum()),
        0,
    )


@pytest.fixture(scope="module")
def recorded(data_1m: Path) -> dict[str, BarArrays]:
    out: dict[str, BarArrays] = {}
    for sym in list_symbols(data_1m):
        b = read_bars_parquet(data_1m / f"{sym}.parquet")
        i0 = int(np.searchsorted(b.open_time, START_MS))
        assert i0 >= HIST and i0 + RUN <= len(b), sym
        out[sym] = b.slice(i0 - HIST, i0 + RUN)
    return out


@pytest.mark.slow
def test_monitor_over_all_symbols_keeps_invariants(recorded: dict[str, BarArrays]) -> None:
    symbols = sorted(recorded)
    assert len(symbols) == 16
    infos = [SymbolInfo(symbol=s, contract_type="PERPETUAL") for s in symbols]
    tickers = [_ticker(s, recorded[s].slice(0, HIST)) for s in symbols]
    params = FilterParams(dynamic=True, quote_volume_percentile=25.0, use_price_change=False)
    pre = select_symbols(infos, tickers, params=params)
    watched = set(pre.selected)
    assert pre.rejected and set(pre.rejected.values()) == {"low_volume"}
    assert watched | set(pre.rejected) == set(symbols)

    mon = AssetMonitor()
    mon.set_watched(pre.selected)
    for s in symbols:
        mon.warmup(s, recorded[s].slice(0, HIST))
    # Подача в часовому порядку, як у live: перед кожним закритим баром — його відкрита версія.
    results: dict[str, list[dict[str, object]]] = {s: [] for s in symbols}
    for k in range(HIST, HIST + RUN):
        for s in symbols:
            bar = recorded[s].bar(k)
            live = BarEvent(
                s,
                "1m",
                type(bar)(
                    bar.open_time,
                    bar.open,
                    bar.high,
                    bar.low,
                    bar.close,
                    bar.volume * 0.5,
                    bar.quote_volume * 0.5,
                    closed=False,
                ),
            )
            r_open = mon.update(live)
            assert r_open.new_alert is False and r_open.closed is False
            results[s].append(mon.update(BarEvent(s, "1m", bar)).to_dict())

    new_alerts: list[tuple[str, dict[str, object]]] = []
    min_reasons = STAGE1_MONITOR_PARAMS["min_reasons_for_alert"]
    for s in symbols:
        for d in results[s]:
            if d["signal"] == "ALERT":
                assert s in watched  # алерт лише на символі, що пройшов префільтр
                reasons = d["trigger_reasons"]
                assert isinstance(reasons, list) and len(set(reasons)) >= min_reasons
                details = d["trigger_details"]
                assert isinstance(details, dict)
                for name in reasons:
                    assert name in TRIGGER_NAME_MAP.values()
                    nums = details[name]
                    assert nums and all(isinstance(v, float) and math.isfinite(v) for v in nums.values())
            if d["new_alert"]:
                assert d["signal"] == "ALERT" and d["closed"] is True
                new_alerts.append((s, d))
    assert new_alerts, "a month of 1m data must produce some alerts"
    assert len({s for s, _ in new_alerts}) >= 3
    # Охолодження: нові алерти одного символу й напряму — не частіше, ніж раз на cooldown_sec.
    cooldown_ms = STAGE1_MONITOR_PARAMS["cooldown_sec"] * 1000
    last: dict[tuple[str, object], int] = {}
    for s, d in new_alerts:
        key = (s, d["direction"])
        ts = d["timestamp"]
        assert isinstance(ts, int)
        if key in last:
            assert ts - last[key] >= cooldown_ms
        last[key] = ts
    for s in pre.rejected:
        assert all(d["signal"] == "NORMAL" and not d["trigger_reasons"] for d in results[s])
        assert mon.state(s) is None

    # Без заглядання вперед: монітор, що бачив лише бари до t (обрізані дані), ухвалює на t те саме.
    rng = random.Random(2025)
    alert_points = {s: [i for i, d in enumerate(results[s]) if d["new_alert"]] for s in pre.selected}
    for s in pre.selected:
        picks = rng.sample(range(RUN), SAMPLES)
        if alert_points[s]:
            picks.append(rng.choice(alert_points[s]))  # і принаймні один бар з новим алертом
        for i in picks:
            fresh = AssetMonitor()
            fresh.warmup(s, recorded[s].slice(0, HIST + i))
            got = fresh.update(BarEvent(s, "1m", recorded[s].bar(HIST + i))).to_dict()
            assert got == results[s][i], (s, i)
