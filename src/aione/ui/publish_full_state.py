"""Збирання повного кадру стану і його публікація.

Кадр: `schema_version`, `seq`, `ts`, `assets` (рядки вже впорядковані для показу), `counters`,
`trades` (`open` — активні, `recent` — недавні закриті, новіші першими). Порядок рядків —
частина кадру, щоб UI лише малювали: спершу алерти/сигнали BUY·SELL і відкриті угоди, далі за
впевненістю (спадає), далі за символом.

`publish_full_state` будує кадр лише тоді, коли його справді буде опубліковано (змінився
сигнал чи угода, або минув мінімальний інтервал) — тож `seq` не має «дір» через тротлінг.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aione.config.config import BUY_SET, SELL_SET, SIGNAL_ALERT, STATE_SCHEMA_VERSION

if TYPE_CHECKING:
    from aione.data.ws_worker import StatePublisher
    from aione.metrics import MetricsCollector
    from aione.stage3.asset_state import AssetStateAggregator


# ── Порядок і лічильники ──
def row_priority(row: Mapping[str, Any]) -> int:
    """0..2: +1 за алерт чи сигнал BUY/SELL, +1 за відкриту угоду."""
    rec = row.get("recommendation")
    signalled = row.get("signal") == SIGNAL_ALERT or rec in BUY_SET or rec in SELL_SET
    return int(signalled) + int(row.get("trade_status") == "open")


def row_sort_key(row: Mapping[str, Any]) -> tuple[int, float, str]:
    confidence = row.get("confidence")
    conf = float(confidence) if isinstance(confidence, int | float) else -1.0
    return (-row_priority(row), -conf, str(row.get("symbol", "")))


def frame_counters(
    rows: Sequence[Mapping[str, Any]],
    open_trades: Sequence[Mapping[str, Any]],
    prefilter: Mapping[str, Any],
    ts_ms: int,
) -> dict[str, Any]:
    """Лічильники шапки: активи, алерти, BUY/SELL, угоди, вік найсвіжіших даних."""
    updated = [r["updated_ts"] for r in rows if isinstance(r.get("updated_ts"), int)]
    return {
        "assets": len(rows),
        "alerts": sum(1 for r in rows if r.get("signal") == SIGNAL_ALERT),
        "buy": sum(1 for r in rows if r.get("recommendation") in BUY_SET),
        "sell": sum(1 for r in rows if r.get("recommendation") in SELL_SET),
        "open_trades": sum(1 for t in open_trades if t.get("status") == "open"),
        "pending_trades": sum(1 for t in open_trades if t.get("status") == "pending"),
        "data_age_ms": max(0, ts_ms - max(updated)) if updated else None,
        "prefilter": dict(prefilter),
    }


def assemble_frame(
    rows: Sequence[Mapping[str, Any]],
    open_trades: Sequence[Mapping[str, Any]],
    recent_trades: Sequence[Mapping[str, Any]],
    prefilter: Mapping[str, Any],
    *,
    seq: int,
    ts_ms: int,
) -> dict[str, Any]:
    """Повний кадр з рядків і угод (чиста функція). Рядки кадру — ті самі словники `rows`
    (впорядковані), без копій: викликач будує їх для цього кадру."""
    return {
        "schema_version": STATE_SCHEMA_VERSION,
        "seq": seq,
        "ts": ts_ms,
        "assets": sorted(rows, key=row_sort_key),
        "counters": frame_counters(rows, open_trades, prefilter, ts_ms),
        "trades": {"open": [dict(t) for t in open_trades], "recent": [dict(t) for t in recent_trades]},
    }


# ── Публікація ──
async def publish_full_state(
    aggregator: AssetStateAggregator,
    publisher: StatePublisher,
    ts_ms: int,
    *,
    force: bool = False,
    recv_ts: float | None = None,
    metrics: MetricsCollector | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> bool:
    """Публікує кадр, якщо стан «брудний», `force` або минув інтервал публікатора.

    `recv_ts` — `time.perf_counter()` отримання бару, що спричинив оновлення: після публікації
    записується e2e-затримка (бар отримано → кадр опубліковано)."""
    if not (force or aggregator.dirty or publisher.due(ts_ms)):
        return False
    frame = aggregator.build_frame(ts_ms, rounded=True)  # уже округлений: видавець не округлює вдруге
    sent = await publisher.publish(frame, force=True, rounded=True)
    if sent and metrics is not None:
        metrics.set_open_trades(frame["counters"]["open_trades"])
        if recv_ts:
            metrics.observe_e2e_latency(clock() - recv_ts)
    return sent


__all__ = ["assemble_frame", "frame_counters", "publish_full_state", "row_priority", "row_sort_key"]
