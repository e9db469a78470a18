"""Моделі відповідей API веб-панелі (pydantic): з них будується документ OpenAPI і ними ж тести
перевіряють відповіді, тож опис не розходиться з тим, що сервер справді віддає.

Кадр (`/api/frame`) описує вже наявна схема `ui.frame_schema.FrameModel`; тут — решта відповідей.
Невідомі поля дозволені там, де видавець може додати нові (рядки угод, конфігурація сторінки).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from aione.ui.frame_schema import SEQ_MAX

STREAM_ID_PATTERN = r"^[0-9]{1,20}-[0-9]{1,20}$"

Num = float | None
Text = StrictStr | None


# ── Помилка ──
class ApiError(BaseModel):
    """Відповідь з помилкою: один рядок англійською."""

    model_config = ConfigDict(extra="forbid")

    error: StrictStr = Field(pattern=r"^[^\n]+$", description="one-line reason")


# ── Сигнали ──
class SignalItem(BaseModel):
    """Сигнал, що пройшов ворота (бюджет) сигналів."""

    model_config = ConfigDict(extra="forbid")

    stream_id: StrictStr = Field(
        pattern=STREAM_ID_PATTERN,
        description="position in the feed (`<ms>-<seq>`); pass it as `since` to resume",
    )
    id: StrictStr = Field(description="signal id (`SYMBOL:bar_ms`), the same in every channel")
    symbol: StrictStr
    ts: StrictInt | None = Field(None, description="signal time, ms UTC")
    side: Literal["BUY", "SELL"] | None = None
    recommendation: Text = None
    rank: Num = Field(None, description="rank score 0..1")
    confidence: Num = Field(None, description="composite confidence 0..1 (a score, not a probability)")
    entry: Num = None
    entry_lo: Num = None
    entry_hi: Num = None
    tp: Num = None
    sl: Num = None
    signal_kind: Text = None
    scenario: Text = None
    narrative: Text = None
    record: dict[str, Any] | None = Field(None, description="measured record of the signal kind")


class SignalsPage(BaseModel):
    """Сторінка стрічки сигналів: старіші першими, новіші останніми."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["redis", "memory"] = Field(
        description="`redis` — the Redis Stream; `memory` — the server's bounded ring (ids restart with the server)"
    )
    since: Text = Field(description="the `since` the page was read from (null — the latest signals)")
    next_since: StrictStr = Field(
        pattern=STREAM_ID_PATTERN,
        description="pass as `since` for the next page; nothing is lost or repeated",
    )
    truncated: bool | None = Field(
        description="true — signals after `since` were already evicted (memory ring); null — unknown (Redis)"
    )
    signals: list[SignalItem]


# ── Угоди ──
class TradeView(BaseModel):
    """Паперова угода Stage3 (`Trade.view()`): активна або недавно закрита."""

    model_config = ConfigDict(extra="allow")

    id: StrictStr
    symbol: StrictStr
    side: Literal["BUY", "SELL"]
    status: StrictStr = Field(description="pending | open | closed")
    recommendation: Text = None
    confidence: Num = None
    entry_price: Num = None
    entry_ts: StrictInt | None = None
    tp: Num = None
    sl: Num = None
    last_price: Num = None
    current_price: Num = None
    exit_price: Num = None
    exit_ts: StrictInt | None = None
    close_reason: Text = None
    pnl_pct: Num = None
    pnl_r: Num = None
    mfe_pct: Num = None
    mae_pct: Num = None
    holding_sec: Num = None
    tick_size: Num = None


class TradesPage(BaseModel):
    """Угоди з останнього кадру стану."""

    model_config = ConfigDict(extra="forbid")

    seq: StrictInt = Field(ge=0, le=SEQ_MAX, description="seq of the frame the trades come from")
    ts: float = Field(ge=0, description="time of that frame (ms or s since epoch, as published)")
    open: list[TradeView] = Field(description="pending and open trades")
    recent: list[TradeView] = Field(description="recently closed trades, newest first")


# ── Бари, спарклайни, конфігурація, здоров'я ──
class BarRecordModel(BaseModel):
    """Один бар графіка."""

    model_config = ConfigDict(extra="allow")

    open_time: StrictInt
    open: Num
    high: Num
    low: Num
    close: Num
    volume: Num


class BarsPage(BaseModel):
    """Бари символу для графіка."""

    model_config = ConfigDict(extra="allow")

    symbol: StrictStr
    timeframe: StrictStr
    bars: list[BarRecordModel]


class SparklinesPage(BaseModel):
    """Закриття останніх хвилин для кожного символу останнього кадру."""

    model_config = ConfigDict(extra="allow")

    minutes: StrictInt
    points: dict[StrictStr, list[Num]]


class UiConfigModel(BaseModel):
    """Константи сторінки (мова, ринок, таймфрейми, тіки, назви колонок)."""

    model_config = ConfigDict(extra="allow")

    locale: StrictStr
    market: StrictStr
    timeframes: list[StrictStr]
    labels: dict[str, Any]


class HealthModel(BaseModel):
    """Стан розсилки кадрів."""

    model_config = ConfigDict(extra="allow")

    status: Literal["ok"]
    frames: StrictInt
    clients: StrictInt
    dropped: StrictInt
    rejected: StrictInt
    last_seq: StrictInt | None = None
    frame_age_sec: Num = None


__all__ = [
    "STREAM_ID_PATTERN",
    "ApiError",
    "BarRecordModel",
    "BarsPage",
    "HealthModel",
    "SignalItem",
    "SignalsPage",
    "SparklinesPage",
    "TradeView",
    "TradesPage",
    "UiConfigModel",
]
