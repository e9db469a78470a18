"""Монітор Stage1: поєднання тригерів в ALERT, дедуплікація й охолодження, контракт запису, реєстр."""

from __future__ import annotations

import numpy as np
import pytest

from aione.config.config import STAGE2_CONFIG, TRIGGER_NAME_MAP
from aione.data.bars import Bar, BarArrays, BarEvent
from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.asset_triggers.base import TriggerSpec
from aione.stage1.asset_triggers.registry import (
    TRIGGER_REGISTRY,
    TriggerRegistryError,
    discover,
    enabled_specs,
    resolve_switches,
    validate_specs,
)
from aione.stage1.result import STATS_KEYS
from tests.stage1_bars import bar, calm, names, run

RESULT_KEYS = {
    "symbol",
    "timestamp",
    "signal",
    "new_alert",
    "direction",
    "trigger_reasons",
    "raw_trigger_reasons",
    "trigger_details",
    "stats",
    "thresholds",
    "closed",
}


def _burst(i: int, base: float = 100.0) -> Bar:
    """Бар, що пробиває вікно вгору з великим обсягом і широким діапазоном."""
    return bar(i, base, base + 1.6, base - 0.05, base + 1.5, v=200.0)


def _hist(n: int = 300) -> list[Bar]:
    return calm(n, swing=0.1)


# ── Поєднання тригерів ──
def test_alert_needs_min_distinct_reasons_and_reports_numbers() -> None:
    res = run(AssetMonitor(), [*_hist(), _burst(300)])[-1]
    assert res.signal == "ALERT" and res.new_alert and res.closed
    assert len(set(res.trigger_reasons)) >= 2
    assert {"bull_vol_spike", "breakout_up", "volatility_burst"} <= names(res)
    assert res.direction == "up"
    for name in res.trigger_reasons:
        assert name in TRIGGER_NAME_MAP.values()
        assert res.trigger_details[name] and all(
            isinstance(v, float) for v in res.trigger_details[name].values()
        )
    assert [TRIGGER_NAME_MAP[r] for r in res.raw_trigger_reasons] == res.trigger_reasons
    # одного тригера з увімкнених замало
    mon = AssetMonitor(
        switches={
            "triggers": {"breakout": False, "volatility_spike": False, "vwap_deviation": False, "rsi": False}
        }
    )
    one = run(mon, [*_hist(), _burst(300)])[-1]
    assert names(one) == {"bull_vol_spike"} and one.signal == "NORMAL" and not one.new_alert


def test_min_reasons_override_per_symbol() -> None:
    mon = AssetMonitor(symbol_overrides={"TESTUSDT": {"min_reasons_for_alert": 5}})
    res = run(mon, [*_hist(), _burst(300)])[-1]
    assert res.thresholds["min_reasons_for_alert"] == 5
    assert (res.signal == "ALERT") == (len(res.trigger_reasons) >= 5)
    other = run(mon, [*_hist(), _burst(300)], symbol="OTHERUSDT")[-1]
    assert other.thresholds["min_reasons_for_alert"] == 2


def test_same_alert_not_reemitted_while_cause_persists_then_cooldown() -> None:
    # лише сплеск обсягу + волатильність: тихі бари між сплесками дають NORMAL
    mon = AssetMonitor(switches={"rsi": False, "breakout": False, "vwap_deviation": False})
    out = run(mon, _hist())
    # рух угору кілька барів поспіль: ALERT триває, новим є лише перший
    seq = [_burst(300 + k, base=100.0 + 1.5 * k) for k in range(3)]
    res = run(mon, seq)
    assert all(r.signal == "ALERT" and r.direction == "up" for r in res)
    assert [r.new_alert for r in res] == [True, False, False]
    # тиша, потім новий сплеск угору через 4 хв після виданого — ще під охолодженням (300 с)
    top = 100.0 + 1.5 * 3
    quiet = calm(1, price=top, start=303, swing=0.1)
    res2 = run(mon, [*quiet, _burst(304, base=top)])
    assert [r.signal for r in res2] == ["NORMAL", "ALERT"]
    assert res2[-1].new_alert is False
    # після охолодження новий епізод — новий алерт
    quiet2 = calm(6, price=top + 1.5, start=305, swing=0.1)
    res3 = run(mon, [*quiet2, _burst(311, base=top + 1.5)])
    assert [r.signal for r in res3] == ["NORMAL"] * 6 + ["ALERT"]
    assert res3[-1].new_alert is True
    st = mon.state("TESTUSDT")
    assert st is not None and st["last_alert_ms"]["up"] == res3[-1].timestamp
    assert out[-1].signal == "NORMAL"


def test_open_bar_alert_is_not_new_until_close() -> None:
    mon = AssetMonitor()
    run(mon, _hist())
    b = _burst(300)
    live = Bar(b.open_time, b.open, b.high, b.low, b.close, b.volume, b.quote_volume, closed=False)
    r_open = mon.update(BarEvent("TESTUSDT", "1m", live))
    assert r_open.signal == "ALERT" and r_open.new_alert is False and r_open.closed is False
    r_closed = mon.update(BarEvent("TESTUSDT", "1m", b))
    assert r_closed.signal == "ALERT" and r_closed.new_alert is True


def test_to_dict_has_exactly_the_contract_keys() -> None:
    res = run(AssetMonitor(), [*_hist(), _burst(300)])[-1]
    d = res.to_dict()
    assert set(d) == RESULT_KEYS
    assert tuple(d["stats"]) == STATS_KEYS
    assert d["timestamp"] == _burst(300).open_time
    s = d["stats"]
    assert s["price"] == s["close"] == 101.5 and s["volume_usd"] == pytest.approx(200.0 * 101.5)
    assert 0 < s["atr_pct"] < 0.05  # частка, не відсотки
    assert s["atr_pct"] == pytest.approx(s["atr"] / s["close"])
    assert s["high_n"] >= s["low_n"]
    # зміна ціни: менше доби історії → від першого close у вікні
    first_close = _hist()[0].close
    assert s["price_change_pct"] == pytest.approx((101.5 / first_close - 1) * 100)
    assert "market_state" in d["thresholds"] and d["thresholds"]["vol_z_threshold"] >= 2.5
    # NaN не просочується в словник
    early = run(AssetMonitor(), calm(5))[-1].to_dict()
    assert early["stats"]["rsi"] is None and early["signal"] == "NORMAL"


def test_wrong_timeframe_rejected() -> None:
    with pytest.raises(ValueError):
        AssetMonitor().update(BarEvent("X", "5m", bar(0, 1, 1, 1, 1)))


# ── Список нагляду, прогрів, стан ──
def _arrays(bars: list[Bar]) -> BarArrays:
    return BarArrays(
        np.array([b.open_time for b in bars], dtype=np.int64),
        *(
            np.array([getattr(b, f) for b in bars], dtype=np.float64)
            for f in ("open", "high", "low", "close", "volume", "quote_volume")
        ),
        np.zeros(len(bars), dtype=np.int64),
        np.array([b.taker_buy_volume for b in bars], dtype=np.float64),
    )


def test_warmup_equals_bar_by_bar_and_daily_bars_seed_levels() -> None:
    hist = _hist()
    inc = AssetMonitor()
    run(inc, hist)
    warm = AssetMonitor()
    warm.warmup("TESTUSDT", _arrays(hist))
    nxt = _burst(300)
    assert (
        warm.update(BarEvent("TESTUSDT", "1m", nxt)).to_dict()
        == inc.update(BarEvent("TESTUSDT", "1m", nxt)).to_dict()
    )
    t_day = hist[0].open_time // 86_400_000 * 86_400_000
    daily = _arrays([Bar(t_day - 86_400_000, 100, 105, 95, 101, 1e4), Bar(t_day, 100, 103, 97, 101, 1e4)])
    seeded = AssetMonitor()
    seeded.warmup("TESTUSDT", _arrays(hist), daily=daily)
    st = seeded.state("TESTUSDT")
    assert st is not None and (st["daily_support"], st["daily_resistance"]) == (95.0, 105.0)
    assert st["ready"] and st["bars"] == len(hist)


def test_watched_set_blocks_alerts_and_drops_state() -> None:
    mon = AssetMonitor()
    run(mon, _hist(), symbol="AUSDT")
    run(mon, _hist(), symbol="BUSDT")
    assert mon.set_watched(["AUSDT"]) == ["BUSDT"]
    assert mon.state("BUSDT") is None
    r_b = mon.update(BarEvent("BUSDT", "1m", _burst(300)))
    assert r_b.signal == "NORMAL" and r_b.trigger_reasons == [] and mon.state("BUSDT") is None
    assert tuple(r_b.to_dict()["stats"]) == STATS_KEYS and r_b.stats["price"] == 101.5
    assert mon.update(BarEvent("AUSDT", "1m", _burst(300))).new_alert
    mon.warmup("BUSDT", _arrays(_hist()))
    assert mon.state("BUSDT") is None and mon.unwatched_updates == 1
    mon.set_watched(None)
    mon.drop("AUSDT")
    assert mon.symbols == []


# ── Реєстр тригерів ──
def test_registry_has_the_five_triggers_each_mapped_and_switchable() -> None:
    tags = [s.tag for s in TRIGGER_REGISTRY]
    # п'ять тригерів барів, далі (за назвою) чотири тригери деривативів (issue 16)
    assert tags == [
        "volume_spike",
        "rsi",
        "breakout",
        "volatility_spike",
        "vwap_deviation",
        "funding_extreme",
        "liquidation_cluster",
        "oi_surge",
        "taker_imbalance",
    ]
    switches = STAGE2_CONFIG["switches"]["triggers"]
    for spec in TRIGGER_REGISTRY:
        assert spec.tag in switches
        assert all(n in TRIGGER_NAME_MAP for n in spec.raw_names)
    assert discover() == TRIGGER_REGISTRY


def test_registry_rejects_incomplete_trigger() -> None:
    def factory(params: object) -> object:
        raise AssertionError("not called")

    with pytest.raises(TriggerRegistryError, match="TRIGGER_NAME_MAP"):
        validate_specs([TriggerSpec("volume_spike", ("no_such_name",), factory)])  # type: ignore[arg-type]
    with pytest.raises(TriggerRegistryError, match="switch"):
        validate_specs([TriggerSpec("order_flow", ("order_imbalance",), factory)])  # type: ignore[arg-type]
    with pytest.raises(TriggerRegistryError, match="duplicate"):
        validate_specs([TRIGGER_REGISTRY[0], TRIGGER_REGISTRY[0]])
    # Кожен тригер — обидві форми: без пакетної чи без інкрементної реєстр його не пропускає.
    spec = TRIGGER_REGISTRY[0]
    with pytest.raises(TriggerRegistryError, match="no batch form"):
        validate_specs([TriggerSpec(spec.tag, spec.raw_names, spec.factory)])
    with pytest.raises(TriggerRegistryError, match="no incremental form"):
        validate_specs([TriggerSpec(spec.tag, spec.raw_names, None, spec.batch)])


def test_switches_accept_full_or_trigger_mapping() -> None:
    assert resolve_switches({"use_qde": True, "triggers": {"rsi": False}})["rsi"] is False
    assert resolve_switches({"rsi": False})["rsi"] is False
    assert resolve_switches(None) == dict(STAGE2_CONFIG["switches"]["triggers"])
    assert [s.tag for s in enabled_specs({"rsi": False, "breakout": False})][:3] == [
        "volume_spike",
        "volatility_spike",
        "vwap_deviation",
    ]
    mon = AssetMonitor(switches={t: False for t in resolve_switches(None)})
    assert all(not r.trigger_reasons for r in run(mon, [*_hist(), _burst(300)]))


def test_state_of_unknown_symbol_is_none() -> None:
    assert AssetMonitor().state("NOPEUSDT") is None
    mon = AssetMonitor()
    run(mon, calm(3))
    st = mon.state("TESTUSDT")
    assert st is not None and st["bars"] == 3 and st["last_closed_time"] == calm(3)[-1].open_time
