"""Метрики Prometheus: `MetricsCollector` з приватним реєстром і ендпоінт `/metrics`.

Без prometheus-client колектор працює як no-op (усі методи нічого не роблять), тож код
стадій викликає методи без перевірок. Кожен колектор має власний `CollectorRegistry`:
у тестах їх можна створити скільки завгодно. Порт 0 = ендпоінт вимкнено.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aione.config.config import E2E_LATENCY_BUCKETS
from aione.logging_setup import get_logger, log_ctx

if TYPE_CHECKING:
    from aiohttp import web

try:  # prometheus-client — залежність, але колектор має працювати й без неї
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
    from prometheus_client.exposition import generate_latest

    PROMETHEUS_AVAILABLE = True
except ImportError:  # pragma: no cover - гілка для середовища без prometheus-client
    PROMETHEUS_AVAILABLE = False

logger = get_logger(__name__)
# Кошики часу «заявку надіслано → біржа підтвердила», с.
_ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Кошики тривалості циклів стадій і префільтра, с.
_CYCLE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


# ── Колектор ──
class MetricsCollector:
    """Усі метрики AiOne. Методи названо за тим, що вони записують.

    Імена метрик — рівно ті, що в документації (`stage1_cycle_seconds`, …); `namespace` додає
    префікс, якщо кілька систем ділять один Prometheus."""

    def __init__(self, *, enabled: bool = True, namespace: str = "") -> None:
        self.enabled = enabled and PROMETHEUS_AVAILABLE
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        if not self.enabled:
            return
        self.registry = CollectorRegistry(auto_describe=True)
        ns, reg = namespace, self.registry
        self._stage1_cycle = Histogram(
            "stage1_cycle_seconds",
            "Stage1 evaluation time per cycle",
            namespace=ns,
            registry=reg,
            buckets=_CYCLE_BUCKETS,
        )
        self._stage2_cycle = Histogram(
            "stage2_cycle_seconds",
            "Stage2 (QDE) processing time per batch",
            namespace=ns,
            registry=reg,
            buckets=_CYCLE_BUCKETS,
        )
        self._ws_messages = Counter(
            "ws_messages_total", "WebSocket messages received", namespace=ns, registry=reg
        )
        self._ws_reconnects = Counter(
            "ws_reconnects_total", "WebSocket reconnects", namespace=ns, registry=reg
        )
        self._filtered = Counter(
            "symbols_filtered_total",
            "Symbols rejected by the prefilter",
            ["reason"],
            namespace=ns,
            registry=reg,
        )
        self._prefilter_elapsed = Gauge(
            "prefilter_elapsed_seconds", "Duration of the last prefilter run", namespace=ns, registry=reg
        )
        self._e2e = Histogram(
            "e2e_latency_seconds",
            "Bar received to state frame published",
            namespace=ns,
            registry=reg,
            buckets=E2E_LATENCY_BUCKETS,
        )
        self._rest_weight = Gauge(
            "rest_weight_used", "Binance REST weight used in the current minute", namespace=ns, registry=reg
        )
        self._rest_429 = Counter(
            "rest_429_total", "REST responses 429/418 (rate limited)", namespace=ns, registry=reg
        )
        self._rejected = Counter(
            "rejected_inputs_total",
            "External inputs dropped by validation",
            ["reason"],
            namespace=ns,
            registry=reg,
        )
        self._redis_errors = Counter(
            "redis_errors_total", "Redis command failures", namespace=ns, registry=reg
        )
        self._feed_holes = Counter(
            "feed_hole_bars_total",
            "Bars the exchange confirmed missing (recorded as holes, not retried)",
            namespace=ns,
            registry=reg,
        )
        self._open_trades = Gauge("open_trades", "Open Stage3 paper trades", namespace=ns, registry=reg)
        self._signals = Counter(
            "signals_total", "Stage2 recommendations produced", ["recommendation"], namespace=ns, registry=reg
        )
        self._frames = Counter("frames_published_total", "State frames published", namespace=ns, registry=reg)
        # Живе виконання (execution/): заявки, виконання, відмови, kill switch, звірки.
        self._exec_orders = Counter(
            "execution_orders_total",
            "Broker orders by leg (entry/sl/tp/exit) and status (placed/acked/rejected/cancelled)",
            ["kind", "status"],
            namespace=ns,
            registry=reg,
        )
        self._exec_fills = Counter(
            "execution_fills_total", "Broker fills by leg", ["leg"], namespace=ns, registry=reg
        )
        self._exec_blocked = Counter(
            "execution_blocked_total",
            "Entries refused before sending (risk limits, daily loss, kill switch)",
            ["reason"],
            namespace=ns,
            registry=reg,
        )
        self._exec_alerts = Counter(
            "execution_alerts_total", "Broker alerts (orphans, unknown orders, emergency closes)", namespace=ns,
            registry=reg,
        )  # fmt: skip
        self._exec_reconciliations = Counter(
            "execution_reconciliations_total", "Reconciliations with the exchange", namespace=ns, registry=reg
        )
        self._exec_kill = Gauge(
            "execution_kill_switch", "Kill switch state (1 = new orders blocked)", namespace=ns, registry=reg
        )
        self._exec_ack = Histogram(
            "execution_order_ack_seconds",
            "Order sent to acknowledged by the exchange",
            namespace=ns,
            registry=reg,
            buckets=_ACK_BUCKETS,
        )

    # ── Стадії ──
    def observe_stage1_cycle(self, seconds: float) -> None:
        if self.enabled:
            self._stage1_cycle.observe(seconds)

    def observe_stage2_cycle(self, seconds: float) -> None:
        if self.enabled:
            self._stage2_cycle.observe(seconds)

    def count_symbols_filtered(self, reason: str, count: int = 1) -> None:
        if self.enabled and count > 0:
            self._filtered.labels(reason=reason).inc(count)

    def set_prefilter_elapsed(self, seconds: float) -> None:
        if self.enabled:
            self._prefilter_elapsed.set(seconds)

    def count_signal(self, recommendation: str) -> None:
        if self.enabled:
            self._signals.labels(recommendation=recommendation).inc()

    def set_open_trades(self, count: int) -> None:
        if self.enabled:
            self._open_trades.set(count)

    # ── Дані й транспорт ──
    def count_ws_messages(self, count: int = 1) -> None:
        if self.enabled:
            self._ws_messages.inc(count)

    def count_ws_reconnect(self) -> None:
        if self.enabled:
            self._ws_reconnects.inc()

    def set_rest_weight_used(self, weight: float) -> None:
        if self.enabled:
            self._rest_weight.set(weight)

    def count_rest_429(self) -> None:
        if self.enabled:
            self._rest_429.inc()

    def count_feed_hole_bars(self, count: int) -> None:
        if self.enabled and count > 0:
            self._feed_holes.inc(count)

    def count_rejected_input(self, reason: str) -> None:
        if self.enabled:
            self._rejected.labels(reason=reason).inc()

    def count_redis_error(self) -> None:
        if self.enabled:
            self._redis_errors.inc()

    # ── Публікація ──
    def observe_e2e_latency(self, seconds: float) -> None:
        if self.enabled and seconds >= 0:
            self._e2e.observe(seconds)

    def count_frame_published(self) -> None:
        if self.enabled:
            self._frames.inc()

    # ── Живе виконання ──
    def count_execution_order(self, kind: str, status: str) -> None:
        if self.enabled:
            self._exec_orders.labels(kind=kind, status=status).inc()

    def count_execution_fill(self, leg: str) -> None:
        if self.enabled:
            self._exec_fills.labels(leg=leg).inc()

    def count_execution_blocked(self, reason: str) -> None:
        if self.enabled:
            self._exec_blocked.labels(reason=reason).inc()

    def count_execution_alert(self) -> None:
        if self.enabled:
            self._exec_alerts.inc()

    def count_execution_reconciliation(self) -> None:
        if self.enabled:
            self._exec_reconciliations.inc()

    def set_execution_kill_switch(self, on: bool) -> None:
        if self.enabled:
            self._exec_kill.set(1 if on else 0)

    def observe_execution_ack(self, seconds: float) -> None:
        if self.enabled and seconds >= 0:
            self._exec_ack.observe(seconds)

    # ── Експозиція ──
    def exposition(self) -> bytes:
        """Текст у форматі експозиції Prometheus (порожній, якщо вимкнено)."""
        return generate_latest(self.registry) if self.enabled else b""

    def aiohttp_app(self) -> web.Application:
        """aiohttp-застосунок з маршрутом `/metrics` (можна вбудувати в інший сервер)."""
        from aiohttp import web

        async def handle(_request: web.Request) -> web.Response:
            return web.Response(body=self.exposition(), headers={"Content-Type": self._content_type()})

        app = web.Application()
        app.router.add_get("/metrics", handle)
        return app

    async def start_server(self, port: int = 8001, host: str = "0.0.0.0") -> int | None:
        """Запускає `/metrics` на порту; 0 або вимкнений колектор — нічого не запускає."""
        if port == 0 or not self.enabled:
            return None
        from aiohttp import web

        self._runner = web.AppRunner(self.aiohttp_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = port
        logger.info("metrics endpoint on %s:%d/metrics", host, port, extra=log_ctx("metrics"))
        return port

    async def stop_server(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    def _content_type() -> str:
        return str(CONTENT_TYPE_LATEST) if PROMETHEUS_AVAILABLE else "text/plain"

    def __repr__(self) -> str:
        return f"MetricsCollector(enabled={self.enabled}, port={self.port})"


def make_metrics(enabled: bool = True, **kwargs: Any) -> MetricsCollector:
    """Колектор (no-op, якщо вимкнено або prometheus-client недоступний)."""
    return MetricsCollector(enabled=enabled, **kwargs)


__all__ = ["PROMETHEUS_AVAILABLE", "MetricsCollector", "make_metrics"]
