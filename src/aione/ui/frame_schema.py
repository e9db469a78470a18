"""Схема кадру стану (pydantic) для споживачів: термінальний UI і веб-хаб перевіряють кадр до показу.

Кадр приходить ззовні (Redis) і може бути будь-яким: рядок таблиці, де `recommendation` — список,
валив `aione ui`, а `seq`/`ts` = 2^62 «заморожував» UI до перезапуску (кожен наступний кадр здавався
старішим). Правила:
- `seq` — ціле 0..2^53−1 (безпечне ціле і для JavaScript);
- `ts` — скінченне невід'ємне число (мс або с епохи), не далі ніж `FRAME_MAX_FUTURE_MS` у майбутньому
  від настінного годинника споживача: кадр «з майбутнього» не може заблокувати наступні;
- `assets` — список рядків; відомі поля рядка мають свої типи (рядок — рядок, число — число або null,
  списки — списки); невідомі поля дозволені (нові версії видавця);
- `counters`, `trades`, `meta` — об'єкти, якщо є; `meta.execution` (живий брокер) — режим, мережа,
  kill switch, кількість позицій і список останніх подій (час, символ, вид, текст);
- `lifecycle` (план і стан сигналу), `levels` (рівні для графіка), `texts` (тексти рядка за мовами) —
  типи полів, які малюють сторінка й термінал.
`frame_problem` повертає один рядок «де й що не так» або None; сам кадр не змінюється.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from aione.utils.utils import wall_clock_ms

# ── Межі ──
SEQ_MAX = 2**53 - 1
FRAME_MAX_FUTURE_MS = 24 * 3_600_000  # кадр не може бути новішим за годинник споживача більше ніж на добу
SECONDS_BELOW = 1e11  # `ts` менший за це — секунди епохи (як у `frame_ts_seconds` веб-хаба)

Num = float | None  # число або null (NaN/inf видавець пише як null)
Text = StrictStr | None


# ── Моделі ──
class PlanModel(BaseModel):
    """Власний план сигналу: зона входу, TP, SL, R/R нетто."""

    model_config = ConfigDict(extra="allow")

    entry_lo: Num = None
    entry_hi: Num = None
    tp: Num = None
    sl: Num = None
    rr_net: Num = None


class LifecycleModel(BaseModel):
    """Життєвий цикл сигналу рядка (`signals.lifecycle` → `AssetRow.lifecycle_view`)."""

    model_config = ConfigDict(extra="allow")

    id: Text = None
    side: Text = None
    issued_ts: Num = None
    state: Text = None
    final: StrictBool | None = None
    age_sec: Num = None
    plan: PlanModel | None = None
    invalidation: dict[str, Any] | None = None
    reason: Text = None
    text: Text = None
    invalidation_text: Text = None
    expires_ts: Num = None
    triggered_ts: Num = None
    final_ts: Num = None
    texts: dict[StrictStr, dict[StrictStr, Text]] | None = None


class LevelModel(BaseModel):
    """Рівень для показу (`select_levels`): ціна, вид, відстань, сила; зона — `lo`/`hi`."""

    model_config = ConfigDict(extra="allow")

    price: float = Field(allow_inf_nan=False)
    kind: Text = None
    distance_pct: Num = None
    strength: Num = None
    merged: StrictInt | None = None
    lo: Num = None
    hi: Num = None


class DerivModel(BaseModel):
    """Деривативи рядка (`data.deriv_view.deriv_summary`): книга, OI, фінансування, ліквідації."""

    model_config = ConfigDict(extra="allow")

    book_state: Text = None
    book_age_sec: Num = None
    book_imbalance: Num = None
    depth_usd: Num = None
    oi: Num = None
    oi_change_15m_pct: Num = None
    funding_rate: Num = None
    funding_pct_rank: Num = None
    liq_usd_15m: Num = None


class AssetRowModel(BaseModel):
    """Рядок таблиці: типи полів, які читають термінал і сторінка."""

    model_config = ConfigDict(extra="allow")

    symbol: StrictStr
    state: Text = None
    price: Num = None
    price_change_pct: Num = None
    volume_usd: Num = None
    atr_pct: Num = None
    rsi: Num = None
    band_pct: Num = None
    triggers: list[StrictStr] | None = None
    signal: Text = None
    recommendation: Text = None
    confidence: Num = None
    scenario: Text = None
    tp: Num = None
    sl: Num = None
    trade_side: Text = None
    trade_status: Text = None
    close_reason: Text = None
    pnl_pct: Num = None
    narrative: Text = None
    rank: float | dict[str, Any] | None = None
    rank_parts: dict[str, Any] | None = None
    surfaced: StrictBool | None = None
    budget_reason: Text = None
    signal_kind: Text = None
    signal_id: Text = None
    record: dict[str, Any] | None = None
    tick_size: Num = None
    levels: list[LevelModel] | None = None
    updated_ts: Num = None
    confidence_text: Text = None
    lifecycle: LifecycleModel | None = None
    texts: dict[StrictStr, dict[StrictStr, Text]] | None = None
    deriv: DerivModel | None = None


class TradesModel(BaseModel):
    """Угоди кадру: активні й недавні закриті."""

    model_config = ConfigDict(extra="allow")

    open: list[dict[str, Any]] = Field(default_factory=list)
    recent: list[dict[str, Any]] = Field(default_factory=list)


class ExecutionNoteModel(BaseModel):
    """Одна подія брокера (`execution.monitor.BrokerNote`)."""

    model_config = ConfigDict(extra="allow")

    ts: Num = None
    symbol: Text = None
    kind: StrictStr
    text: Text = None


class ExecutionModel(BaseModel):
    """`meta.execution`: стан живого виконання для показу."""

    model_config = ConfigDict(extra="allow")

    mode: StrictStr
    env: Text = None
    kill: StrictBool | None = None
    open_positions: StrictInt | None = Field(default=None, ge=0)
    orders: StrictInt | None = None
    fills: StrictInt | None = None
    blocked: StrictInt | None = None
    events: list[ExecutionNoteModel] = Field(default_factory=list)


class MetaModel(BaseModel):
    """`meta` кадру: довільні ключі, але відомий розділ `execution` має свої типи."""

    model_config = ConfigDict(extra="allow")

    execution: ExecutionModel | None = None


class FrameModel(BaseModel):
    """Кадр стану (див. DESIGN «Publication»)."""

    model_config = ConfigDict(extra="allow")

    schema_version: StrictInt | None = None
    seq: StrictInt = Field(ge=0, le=SEQ_MAX)
    ts: float = Field(ge=0, allow_inf_nan=False)
    assets: list[AssetRowModel] = Field(default_factory=list)
    counters: dict[str, Any] | None = None
    trades: TradesModel | None = None
    meta: MetaModel | None = None

    @field_validator("ts", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("ts must be a number, not a boolean")
        return value


# ── Перевірка ──
def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "frame"
    given = repr(err.get("input"))
    more = len(exc.errors()) - 1
    tail = f" (+{more} more)" if more > 0 else ""
    return f"{where}: {err['msg']} (got {given[:60]}){tail}"


def frame_problem(frame: Any, now_ms: Callable[[], int] = wall_clock_ms) -> str | None:
    """Чому кадр не можна показати (один рядок) або None, якщо кадр придатний."""
    if not isinstance(frame, Mapping):
        return f"frame is {type(frame).__name__}, not an object"
    try:
        model = FrameModel.model_validate(frame)
    except ValidationError as exc:
        return _describe(exc)
    ts_ms = model.ts * 1000.0 if model.ts < SECONDS_BELOW else model.ts
    limit = now_ms() + FRAME_MAX_FUTURE_MS
    if not math.isfinite(ts_ms) or ts_ms > limit:
        return (
            f"ts: {frame.get('ts')!r} is in the future (more than {FRAME_MAX_FUTURE_MS // 3_600_000} h ahead)"
        )
    return None


class FrameGuard:
    """Лічильник відкинутих кадрів і одне попередження на споживача (далі — лише лічильник)."""

    def __init__(self, logger: Any, label: str, *, now_ms: Callable[[], int] = wall_clock_ms) -> None:
        self.logger = logger
        self.label = label
        self.now_ms = now_ms
        self.rejected = 0

    def ok(self, frame: Any) -> bool:
        """True — кадр придатний; False — відкинуто (пораховано, перше попередження в журнал)."""
        problem = frame_problem(frame, self.now_ms)
        if problem is None:
            return True
        self.rejected += 1
        if self.rejected == 1:
            self.logger.warning(
                "%s_bad_frame rejected=1 problem=%s; further bad frames only counted", self.label, problem
            )
        return False


__all__ = [
    "FRAME_MAX_FUTURE_MS",
    "SEQ_MAX",
    "AssetRowModel",
    "ExecutionModel",
    "ExecutionNoteModel",
    "FrameGuard",
    "FrameModel",
    "LevelModel",
    "LifecycleModel",
    "MetaModel",
    "PlanModel",
    "TradesModel",
    "frame_problem",
]
