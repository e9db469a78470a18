"""Бенчмарк живого виконання проти локального симулятора: рішення → підтвердження заявки.

Запуск: `python bench/execution.py` з кореня репозиторію (вбудований зразок барів, без мережі).
Фаза 1: 1000 угод по черзі (рішення Stage3 «відкрито» → MARKET-вхід → SL і TP → «закрито» →
скасування й вихід); затримка — від `on_trade_events` до відповіді біржі на вхід.
Фаза 2: ще 100 угод з несправностями (тайм-аут після прийняття, 5xx, -1021, дубльовані й
пропущені через обрив потоку виконання); її затримки до p99 не входять.
Дублікати — client id з більш ніж однією прийнятою заявкою; втрачені — наміри з журналу без
заявки на біржі та виконання біржі без запису в журналі. Останній рядок — головна цифра.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from aione.app.demo import sample_data_dir  # noqa: E402
from aione.config.config import EXECUTION_JOURNAL_FILENAME, ExecutionLimits  # noqa: E402
from aione.exchange.binance_rest import BinanceRestClient  # noqa: E402
from aione.exchange.sim_trading import SIM_API_KEY, SIM_API_SECRET  # noqa: E402
from aione.exchange.simulator import BinanceSimulator  # noqa: E402
from aione.execution import journal as jr  # noqa: E402
from aione.execution.binance_trading import BinanceTradingClient  # noqa: E402
from aione.execution.kill import KillSwitch  # noqa: E402
from aione.execution.live import BinanceBroker  # noqa: E402
from aione.logging_setup import get_logger  # noqa: E402
from aione.stage3.trade_model import Trade, TradeEvent  # noqa: E402

N_ORDERS = 1000
N_FAULTY = 100
TARGET_MS = 50.0
LIMITS = ExecutionLimits(
    max_notional_per_trade=500.0,  # BTC: 0.005 при кроці лоту 0.001
    max_open_positions=50,
    max_total_exposure=10_000.0,
    max_daily_loss=1_000_000.0,
    recommendations=("STRONG_BUY", "STRONG_SELL"),
)


def _trade(sim: BinanceSimulator, symbol: str, n: int) -> Trade:
    price = sim.trading.price(symbol)
    assert price is not None
    side = "BUY" if n % 2 == 0 else "SELL"
    d = 1 if side == "BUY" else -1
    return Trade(
        trade_id=f"{symbol}-{side}-{n}", symbol=symbol, side=side, status="open", decision_ts=n,  # type: ignore[arg-type]
        recommendation="STRONG_BUY" if d > 0 else "STRONG_SELL", confidence=0.9, planned_entry=price,
        tp=price * (1 + d * 0.2), sl=price * (1 - d * 0.2), initial_sl=price * (1 - d * 0.2), atr=price * 0.01,
        tick_size=0.0001, fee_rate=0.0004, entry_price=price, entry_ts=sim.clock(),
    )  # fmt: skip


async def _cycle(broker: BinanceBroker, trade: Trade) -> None:
    broker.on_trade_events([TradeEvent("opened", trade)])
    await broker.wait_idle(30.0)
    trade.status, trade.close_reason = "closed", "manual"
    broker.on_trade_events([TradeEvent("closed", trade)])
    await broker.wait_idle(30.0)


async def main() -> None:
    get_logger("aione").setLevel("CRITICAL")  # повтори й звірки фази 2 не засмічують вивід
    data = Path(tempfile.mkdtemp(prefix="aione-bench-exec-"))
    async with BinanceSimulator(sample_data_dir(), speed=1.0, market="um") as sim:
        symbols = sim.symbols
        async with BinanceRestClient(sim.rest_url, weight_limit=10**9) as rest:
            await rest.sync_time()
            client = BinanceTradingClient(
                rest, SecretStr(SIM_API_KEY), SecretStr(SIM_API_SECRET), timeout=0.25, retry_pause=0.005
            )
            journal = jr.Journal(data / EXECUTION_JOURNAL_FILENAME)
            broker = BinanceBroker(client, journal, KillSwitch(data), ws_url=sim.ws_url, limits=LIMITS)
            await broker.start()
            assert broker.stream is not None
            await asyncio.wait_for(broker.stream.connected.wait(), 10)
            started = time.perf_counter()
            for n in range(N_ORDERS):
                await _cycle(broker, _trade(sim, symbols[n % len(symbols)], n))
            clean = list(broker.latencies_ms)
            clean_s = time.perf_counter() - started
            sim.trading.hang_seconds = 0.5
            for n in range(N_ORDERS, N_ORDERS + N_FAULTY):
                k = n - N_ORDERS
                if k % 10 == 0:
                    sim.trading.inject("timeout")
                elif k % 10 == 3:
                    sim.trading.inject("http5xx")
                elif k % 10 == 5:
                    sim.trading.inject("timestamp")
                elif k % 10 == 7:
                    sim.trading.inject("duplicate_fills", 3)
                elif k % 25 == 9:
                    sim.trading.drop_user_streams(hold_seconds=0.2)
                await _cycle(broker, _trade(sim, symbols[n % len(symbols)], n))
            await asyncio.sleep(1.0)  # потік перепідключився, пропущені виконання добрано
            await broker.reconcile("bench end")
            await broker.stop()
        records = jr.Journal(data / EXECUTION_JOURNAL_FILENAME).records()
        accepted = Counter(o.client_id for o in sim.trading.account.orders.values())
        duplicates = sum(c - 1 for c in accepted.values() if c > 1)
        intents = {r["client_id"] for r in records if r["kind"] == jr.J_INTENT}
        lost_orders = len(intents - set(accepted))
        journal_fills = {r["fill_id"] for r in records if r["kind"] == jr.J_FILL}
        exchange_fills = {f"{t['symbol']}:{t['id']}" for t in sim.trading.account.trades}
        lost_fills = len(exchange_fills - journal_fills)
        open_left = [o for o in sim.trading.account.orders.values() if o.status == "NEW"]
        positions_left = [s for s, p in sim.trading.account.positions.items() if p.amount]
    lat = np.asarray(clean[:N_ORDERS], dtype=np.float64)
    p50, p99, worst = np.percentile(lat, 50), np.percentile(lat, 99), lat.max()
    print(f"phase 1: {len(lat)} entry orders in {clean_s:.1f} s ({len(accepted)} orders incl. SL/TP/exit)")
    print(f"decision to ack: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms")
    print(
        f"phase 2: {N_FAULTY} trades with faults {dict(sim.trading.faults_fired)}; "
        f"order lookups {client.order_lookups}, time re-syncs {client.time_resyncs}, "
        f"duplicate fill events dropped {broker.duplicate_fills}, fills recovered {broker.recovered_fills}"
    )
    print(
        f"lost orders {lost_orders}, lost fills {lost_fills}, open orders left {len(open_left)}, "
        f"positions left {len(positions_left)}"
    )
    lost = lost_orders + lost_fills
    met = p99 < TARGET_MS and duplicates == 0 and lost == 0
    print(
        f"decision to ack p99: {p99:.0f} ms (target < {TARGET_MS:.0f} ms local), "
        f"duplicates {duplicates}, lost {lost}: {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
