"""`/metrics`: справжній HTTP-скрейп, розбір парсером prometheus-client, усі обов'язкові метрики."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from aione.config.config import E2E_LATENCY_BUCKETS
from aione.metrics import MetricsCollector
from tests.redis_server import free_port

REQUIRED = {
    "stage1_cycle_seconds": "histogram",
    "stage2_cycle_seconds": "histogram",
    "ws_messages": "counter",
    "symbols_filtered": "counter",
    "prefilter_elapsed_seconds": "gauge",
    "e2e_latency_seconds": "histogram",
    "ws_reconnects": "counter",
    "rest_weight_used": "gauge",
    "rest_429": "counter",
    "rejected_inputs": "counter",
    "redis_errors": "counter",
    "open_trades": "gauge",
    "signals": "counter",
    "feed_hole_bars": "counter",
}


def exercise(m: MetricsCollector) -> None:
    m.observe_stage1_cycle(0.012)
    m.observe_stage2_cycle(0.2)
    m.count_ws_messages(5)
    m.count_symbols_filtered("low_volume", 3)
    m.count_symbols_filtered("low_atr")
    m.set_prefilter_elapsed(1.5)
    for latency in (0.0007, 0.004, 0.004, 0.03):
        m.observe_e2e_latency(latency)
    m.count_ws_reconnect()
    m.set_rest_weight_used(420)
    m.count_rest_429()
    m.count_rejected_input("non_finite")
    m.count_redis_error()
    m.set_open_trades(2)
    m.count_signal("STRONG_BUY")
    m.count_signal("STRONG_BUY")
    m.count_feed_hole_bars(3)
    m.count_feed_hole_bars(0)


async def test_metrics_endpoint_serves_valid_exposition() -> None:
    metrics = MetricsCollector()
    exercise(metrics)
    port = await metrics.start_server(free_port(), host="127.0.0.1")
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as resp,
        ):
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
            body = await resp.text()
    finally:
        await metrics.stop_server()
    families = {f.name: f for f in text_string_to_metric_families(body)}
    for name, kind in REQUIRED.items():
        assert name in families and families[name].type == kind, name
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples
    }
    assert samples[("symbols_filtered_total", (("reason", "low_volume"),))] == 3
    assert samples[("signals_total", (("recommendation", "STRONG_BUY"),))] == 2
    assert samples[("open_trades", ())] == 2
    assert samples[("feed_hole_bars_total", ())] == 3
    assert samples[("e2e_latency_seconds_count", ())] == 4
    buckets = [s for s in families["e2e_latency_seconds"].samples if s.name.endswith("_bucket")]
    assert len(buckets) == len(E2E_LATENCY_BUCKETS) + 1  # +Inf
    assert samples[("e2e_latency_seconds_bucket", (("le", "0.005"),))] == 3  # p75 видно в кошику 5 мс


def test_collectors_are_independent() -> None:
    a, b = MetricsCollector(), MetricsCollector()
    a.count_rest_429()
    assert a.registry.get_sample_value("rest_429_total") == 1
    assert b.registry.get_sample_value("rest_429_total") == 0


async def test_port_zero_and_disabled_collector_do_nothing() -> None:
    assert await MetricsCollector().start_server(0) is None
    off = MetricsCollector(enabled=False)
    exercise(off)  # no-op, без винятків
    assert off.exposition() == b"" and await off.start_server(free_port()) is None
