"""Ліміти ризику перед кожною заявкою входу (чиста логіка) і облік денного збитку за часом біржі."""

from __future__ import annotations

from dataclasses import dataclass, field

from aione.config.config import ExecutionLimits

DAY_MS = 86_400_000

# Причини відмови (ключі журналу й подій).
BLOCK_KILL = "kill_switch"
BLOCK_DAILY_LOSS = "daily_loss"
BLOCK_RECOMMENDATION = "recommendation_not_allowed"
BLOCK_RANK = "rank_below_min"
BLOCK_SYMBOL_BUSY = "symbol_has_position"
BLOCK_MAX_POSITIONS = "max_open_positions"
BLOCK_EXPOSURE = "max_total_exposure"
BLOCK_NOTIONAL = "max_notional_per_trade"


@dataclass(frozen=True, slots=True)
class EntryRequest:
    """Що хоче відкрити брокер (вартість у USDT)."""

    symbol: str
    recommendation: str
    rank: float | None
    notional: float


@dataclass(slots=True)
class DailyPnl:
    """Реалізований PnL (після комісій) за UTC-добу часу біржі."""

    by_day: dict[int, float] = field(default_factory=dict)

    def add(self, pnl: float, ts_ms: int) -> None:
        day = ts_ms // DAY_MS
        self.by_day[day] = self.by_day.get(day, 0.0) + pnl

    def today(self, ts_ms: int) -> float:
        return self.by_day.get(ts_ms // DAY_MS, 0.0)


def check_entry(
    limits: ExecutionLimits,
    request: EntryRequest,
    *,
    open_notional: dict[str, float],
    busy_symbols: set[str],
    realized_today: float,
    kill: bool,
) -> str | None:
    """Причина відмови або None (можна). `open_notional` — вартості відкритих позицій за trade id."""
    if kill:
        return BLOCK_KILL
    if realized_today <= -limits.max_daily_loss:
        return BLOCK_DAILY_LOSS
    if request.recommendation not in limits.recommendations:
        return BLOCK_RECOMMENDATION
    if limits.min_rank > 0 and (request.rank is None or request.rank < limits.min_rank):
        return BLOCK_RANK
    if request.symbol in busy_symbols:
        return BLOCK_SYMBOL_BUSY  # one-way режим: дві угоди символу злилися б в одну позицію
    if len(open_notional) >= limits.max_open_positions:
        return BLOCK_MAX_POSITIONS
    if request.notional > limits.max_notional_per_trade * (1 + 1e-9):
        return BLOCK_NOTIONAL
    if sum(open_notional.values()) + request.notional > limits.max_total_exposure * (1 + 1e-9):
        return BLOCK_EXPOSURE
    return None


__all__ = [
    "BLOCK_DAILY_LOSS",
    "BLOCK_EXPOSURE",
    "BLOCK_KILL",
    "BLOCK_MAX_POSITIONS",
    "BLOCK_NOTIONAL",
    "BLOCK_RANK",
    "BLOCK_RECOMMENDATION",
    "BLOCK_SYMBOL_BUSY",
    "DAY_MS",
    "DailyPnl",
    "EntryRequest",
    "check_entry",
]
