"""Збирання живого брокера для запуску: власний REST-клієнт виконання, журнал, kill switch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from aione.config.config import EXECUTION_JOURNAL_FILENAME, ExecutionLimits
from aione.exchange.binance_rest import BinanceRestClient
from aione.execution.binance_trading import BinanceTradingClient
from aione.execution.journal import Journal
from aione.execution.kill import KillSwitch
from aione.execution.live import BinanceBroker, kill_now
from aione.execution.monitor import ExecutionMonitor
from aione.logging_setup import get_logger, log_ctx

logger = get_logger(__name__)


@dataclass(frozen=True)
class ExecutionSetup:
    """Все для живого брокера; ключі — `SecretStr` (repr їх не показує)."""

    rest_url: str
    ws_url: str
    env: str
    api_key: SecretStr
    api_secret: SecretStr
    limits: ExecutionLimits
    data_dir: Path
    redis_url: str | None = None

    async def start(
        self, clock: Callable[[], int] | None = None, monitor: ExecutionMonitor | None = None
    ) -> BinanceBroker:
        """Синхронізує годинник, звіряє стан з біржею й запускає брокер. `clock` — годинник
        запуску (симулятор: віртуальний), інакше настінний; `monitor` — слухач подій брокера
        (метрики й кадр), уже під час звірки на старті."""
        rest = BinanceRestClient(self.rest_url, "um", clock=clock)
        try:
            await rest.sync_time()
            client = BinanceTradingClient(rest, self.api_key, self.api_secret)
            broker = BinanceBroker(
                client,
                Journal(self.data_dir / EXECUTION_JOURNAL_FILENAME),
                KillSwitch(self.data_dir, self.redis_url),
                ws_url=self.ws_url,
                limits=self.limits,
                monitor=monitor or ExecutionMonitor("live", self.env),
            )
            await broker.start()
        except BaseException:
            await rest.close()
            raise
        broker.on_stop.append(rest.close)
        logger.warning(
            "LIVE EXECUTION ON (%s) at %s: max %.0f USDT per trade, %d positions, daily loss %.0f USDT",
            self.env,
            self.rest_url,
            self.limits.max_notional_per_trade,
            self.limits.max_open_positions,
            self.limits.max_daily_loss,
            extra=log_ctx("exec"),
        )
        return broker


async def kill_command(
    data_dir: Path,
    redis_url: str | None,
    *,
    rest_url: str | None,
    api_key: SecretStr | None,
    api_secret: SecretStr | None,
    flatten: bool,
    clear: bool,
) -> dict[str, object]:
    """`aione kill`: ставить (чи знімає) прапорець; з ключами — одразу скасовує всі заявки
    (з `flatten` — закриває позиції), не чекаючи, поки це зробить запущений брокер."""
    kill = KillSwitch(data_dir, redis_url)
    try:
        if clear:
            await kill.clear()
            return {"kill": "cleared", "flag": str(kill.path)}
        await kill.set("aione kill")
        result: dict[str, object] = {"kill": "set", "flag": str(kill.path)}
    finally:
        await kill.close()
    if rest_url and api_key is not None and api_secret is not None:
        async with BinanceRestClient(rest_url, "um") as rest:
            await rest.sync_time()
            result |= await kill_now(BinanceTradingClient(rest, api_key, api_secret), flatten=flatten)
    else:
        result["exchange"] = (
            "not contacted: no AIONE_API_KEY/AIONE_API_SECRET; a running broker acts on the flag"
        )
    return result


__all__ = ["ExecutionSetup", "kill_command"]
