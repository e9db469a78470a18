"""Текст повідомлень (чиста логіка, uk/en): Telegram HTML, Discord embed, тіло JSON-вебхука.

Ціни входу/TP/SL — на сітці тіку символу (`round_to_tick` + `format_price`), PnL угоди — у % і в R,
коротке пояснення — `build_narrative(..., style="short")` з полів рішення мовою каналу, запис типу
сигналу — `record_sentence`. Посилання: символ на панелі (`{dashboard}/#SYMBOL`) і на Binance.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aione.notify.model import (
    KIND_DIGEST,
    KIND_SIGNAL,
    KIND_TEST,
    KIND_TRADE_CLOSED,
    KIND_TRADE_OPENED,
    Alert,
)
from aione.signals.records import record_sentence
from aione.stage2.narrative import RECOMMENDATION_LABELS, build_narrative
from aione.utils.utils import format_price, round_to_tick

BINANCE_FUTURES_URL = "https://www.binance.com/en/futures/{symbol}"
BINANCE_SPOT_URL = "https://www.binance.com/en/trade/{base}_{quote}"
SPOT_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY")
DISCORD_COLORS = {"BUY": 0x2E7D32, "SELL": 0xC62828, None: 0x607D8B}
DIGEST_MAX_LINES = 30  # довший дайджест обрізається рядком «… і ще N»

# ── Словники ──
_TEXT: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "side_BUY": "КУПІВЛЯ",
        "side_SELL": "ПРОДАЖ",
        "rank": "Ранг",
        "confidence": "впевненість",
        "entry": "Вхід",
        "opened": "Угоду відкрито",
        "closed": "Угоду закрито",
        "exit": "вихід",
        "pnl": "PnL",
        "dashboard": "Панель",
        "digest": "Дайджест: {n} подій",
        "more": "… і ще {n}",
        "test": "AiOne: тестове повідомлення — канал працює.",
        "reason_tp_hit": "TP",
        "reason_sl_hit": "SL",
        "reason_time_exit": "за часом",
        "reason_early_exit": "дострокове закриття",
        "reason_manual": "вручну",
    },
    "en": {
        "side_BUY": "BUY",
        "side_SELL": "SELL",
        "rank": "Rank",
        "confidence": "confidence",
        "entry": "Entry",
        "opened": "Trade opened",
        "closed": "Trade closed",
        "exit": "exit",
        "pnl": "PnL",
        "dashboard": "Dashboard",
        "digest": "Digest: {n} events",
        "more": "… and {n} more",
        "test": "AiOne: test message — the channel works.",
        "reason_tp_hit": "TP",
        "reason_sl_hit": "SL",
        "reason_time_exit": "time exit",
        "reason_early_exit": "early exit",
        "reason_manual": "manual",
    },
}


@dataclass(frozen=True, slots=True)
class TextContext:
    """Мова й адреси для посилань."""

    locale: str = "uk"
    dashboard_url: str | None = None  # None — без посилання на панель
    market: str = "um"

    @property
    def t(self) -> Mapping[str, str]:
        return _TEXT.get(self.locale, _TEXT["uk"])


# ── Частини ──
def binance_url(symbol: str, market: str = "um") -> str:
    """Сторінка символу на Binance (ф'ючерси USDT-M або спот)."""
    if market == "spot":
        for quote in SPOT_QUOTES:
            if symbol.endswith(quote) and len(symbol) > len(quote):
                return BINANCE_SPOT_URL.format(base=symbol[: -len(quote)], quote=quote)
    return BINANCE_FUTURES_URL.format(symbol=symbol)


def dashboard_link(symbol: str, ctx: TextContext) -> str | None:
    return f"{ctx.dashboard_url.rstrip('/')}/#{symbol}" if ctx.dashboard_url else None


def price_text(price: float | None, tick: float) -> str:
    """Ціна на сітці тіку з точністю тіку; немає — '-'."""
    return format_price(round_to_tick(price, tick) if price is not None else None, tick)


def recommendation_label(rec: str | None, ctx: TextContext) -> str:
    if not rec:
        return ""
    return RECOMMENDATION_LABELS.get(ctx.locale, RECOMMENDATION_LABELS["uk"]).get(rec, rec)


def short_narrative(alert: Alert, ctx: TextContext) -> str | None:
    """Коротке пояснення мовою каналу з полів рішення (або готовий текст події)."""
    d = alert.decision
    if d and isinstance(d.get("market_context"), Mapping) and isinstance(d.get("risk_parameters"), Mapping):
        try:
            return build_narrative(d, locale=ctx.locale, style="short")
        except (KeyError, TypeError, ValueError):
            return alert.narrative  # неповне рішення (наприклад, з outbox старішої версії)
    return alert.narrative


def _signed(value: float | None, digits: int, suffix: str) -> str:
    return "-" if value is None else f"{value:+.{digits}f}{suffix}"


def _plan_line(alert: Alert, ctx: TextContext) -> str:
    tick = alert.tick_size
    return (
        f"{ctx.t['entry']} {price_text(alert.entry, tick)} · TP {price_text(alert.tp, tick)}"
        f" · SL {price_text(alert.sl, tick)}"
    )


def _score_line(alert: Alert, ctx: TextContext) -> str:
    parts = []
    if alert.rank is not None:
        parts.append(f"{ctx.t['rank']} {alert.rank:.2f}")
    if alert.confidence is not None:
        parts.append(f"{ctx.t['confidence']} {alert.confidence * 100:.0f} %")
    return " · ".join(parts)


def _side(alert: Alert, ctx: TextContext) -> str:
    return ctx.t.get(f"side_{alert.side}", alert.side or "")


def _close_line(alert: Alert, ctx: TextContext) -> str:
    reason = ctx.t.get(f"reason_{alert.close_reason}", alert.close_reason or "")
    pnl = f"{_signed(alert.pnl_pct, 2, ' %')} ({_signed(alert.pnl_r, 2, ' R')})"
    return f"{reason} · {ctx.t['exit']} {price_text(alert.exit_price, alert.tick_size)} · {ctx.t['pnl']} {pnl}"


def headline(alert: Alert, ctx: TextContext) -> str:
    """Перший рядок без розмітки: що і з яким символом."""
    if alert.kind == KIND_SIGNAL:
        rec = recommendation_label(alert.recommendation, ctx)
        return " · ".join(p for p in (alert.symbol, _side(alert, ctx), rec) if p)
    if alert.kind == KIND_TRADE_OPENED:
        return f"{ctx.t['opened']}: {alert.symbol} {_side(alert, ctx)}"
    if alert.kind == KIND_TRADE_CLOSED:
        return f"{ctx.t['closed']}: {alert.symbol} {_side(alert, ctx)}"
    if alert.kind == KIND_DIGEST:
        return ctx.t["digest"].format(n=len(alert.items))
    return ctx.t["test"]


def body_lines(alert: Alert, ctx: TextContext) -> list[str]:
    """Рядки після заголовка без розмітки (спільні для всіх каналів)."""
    if alert.kind == KIND_SIGNAL:
        lines = [_score_line(alert, ctx), _plan_line(alert, ctx)]
        narrative = short_narrative(alert, ctx)
        if narrative:
            lines.append(narrative)
        sentence = record_sentence(alert.record, ctx.locale)
        if sentence:
            lines.append(sentence)
        return [line for line in lines if line]
    if alert.kind == KIND_TRADE_OPENED:
        return [_plan_line(alert, ctx)]
    if alert.kind == KIND_TRADE_CLOSED:
        return [_close_line(alert, ctx)]
    if alert.kind == KIND_DIGEST:
        items = [Alert.from_dict(item) for item in alert.items]
        lines = [_digest_line(item, ctx) for item in items[:DIGEST_MAX_LINES]]
        if len(items) > DIGEST_MAX_LINES:
            lines.append(ctx.t["more"].format(n=len(items) - DIGEST_MAX_LINES))
        return lines
    return []


def _digest_line(item: Alert, ctx: TextContext) -> str:
    when = datetime.fromtimestamp(item.ts / 1000, tz=UTC).strftime("%H:%M")
    if item.kind == KIND_TRADE_CLOSED:
        return f"{when} {headline(item, ctx)} · {_close_line(item, ctx)}"
    if item.kind == KIND_SIGNAL:
        return f"{when} {headline(item, ctx)} · {_score_line(item, ctx)} · {_plan_line(item, ctx)}"
    return f"{when} {headline(item, ctx)} · {_plan_line(item, ctx)}"


def plain_text(alert: Alert, ctx: TextContext) -> str:
    """Повний текст без розмітки (тіло вебхука, журнал тесту)."""
    return "\n".join([headline(alert, ctx), *body_lines(alert, ctx)])


def _links(alert: Alert, ctx: TextContext) -> dict[str, str]:
    if alert.kind in (KIND_DIGEST, KIND_TEST):
        return {}
    out = {"binance": binance_url(alert.symbol, ctx.market)}
    dash = dashboard_link(alert.symbol, ctx)
    if dash:
        out["dashboard"] = dash
    return out


# ── Канали ──
def telegram_html(alert: Alert, ctx: TextContext) -> str:
    """Текст для Telegram `sendMessage` з `parse_mode=HTML` (екрановано все, крім нашої розмітки)."""
    icon = {"BUY": "🟢", "SELL": "🔴"}.get(alert.side or "", "ℹ️")
    lines = [f"{icon} <b>{html.escape(headline(alert, ctx))}</b>"]
    lines += [html.escape(line) for line in body_lines(alert, ctx)]
    links = _links(alert, ctx)
    if links:
        anchors = []
        if "dashboard" in links:
            anchors.append(f'<a href="{html.escape(links["dashboard"])}">{ctx.t["dashboard"]}</a>')
        anchors.append(f'<a href="{html.escape(links["binance"])}">Binance</a>')
        lines.append(" · ".join(anchors))
    return "\n".join(lines)


def discord_payload(alert: Alert, ctx: TextContext) -> dict[str, Any]:
    """Тіло Discord webhook з одним embed (опис — до 4096 символів, як дозволяє Discord)."""
    links = _links(alert, ctx)
    lines = body_lines(alert, ctx)
    if links:
        anchors = [f"[{ctx.t['dashboard']}]({links['dashboard']})"] if "dashboard" in links else []
        anchors.append(f"[Binance]({links['binance']})")
        lines.append(" · ".join(anchors))
    embed: dict[str, Any] = {
        "title": headline(alert, ctx)[:256],
        "description": "\n".join(lines)[:4096],
        "color": DISCORD_COLORS.get(alert.side, DISCORD_COLORS[None]),
        "timestamp": datetime.fromtimestamp(alert.ts / 1000, tz=UTC).isoformat(),
    }
    if "binance" in links:
        embed["url"] = links.get("dashboard", links["binance"])
    return {"embeds": [embed]}


def webhook_body(alert: Alert, ctx: TextContext) -> dict[str, Any]:
    """Тіло JSON-вебхука: машинні поля (ціни на сітці тіку) плюс текст і посилання."""
    tick = alert.tick_size

    def on_grid(price: float | None) -> float | None:
        return round_to_tick(price, tick) if price is not None else None

    body: dict[str, Any] = {
        "type": alert.kind,
        "id": alert.id,
        "symbol": alert.symbol,
        "ts": alert.ts,
        "side": alert.side,
        "recommendation": alert.recommendation,
        "rank": alert.rank,
        "confidence": alert.confidence,
        "entry": on_grid(alert.entry),
        "tp": on_grid(alert.tp),
        "sl": on_grid(alert.sl),
        "tick_size": tick,
        "signal_kind": alert.signal_kind,
        "record": alert.record,
        "text": plain_text(alert, ctx),
        "links": _links(alert, ctx),
    }
    if alert.kind == KIND_TRADE_CLOSED:
        body.update(
            trade_id=alert.trade_id,
            exit_price=on_grid(alert.exit_price),
            close_reason=alert.close_reason,
            pnl_pct=alert.pnl_pct,
            pnl_r=alert.pnl_r,
        )
    elif alert.kind == KIND_TRADE_OPENED:
        body["trade_id"] = alert.trade_id
    if alert.kind == KIND_DIGEST:
        body["items"] = [webhook_body(Alert.from_dict(item), ctx) for item in alert.items]
    return body


__all__ = [
    "BINANCE_FUTURES_URL",
    "TextContext",
    "binance_url",
    "body_lines",
    "dashboard_link",
    "discord_payload",
    "headline",
    "plain_text",
    "price_text",
    "short_narrative",
    "telegram_html",
    "webhook_body",
]
