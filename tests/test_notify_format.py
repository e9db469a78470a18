"""Текст сповіщень обома мовами: символ, бік, рекомендація, ранг, вхід/TP/SL на сітці тіку,
впевненість, коротке пояснення, запис типу, посилання; угоди з PnL у % і R; Discord і вебхук."""

from __future__ import annotations

from aione.config.config import NotifyRules
from aione.notify.model import Alert, alert_from_decision, alert_from_trade_event
from aione.notify.rules import DigestBuffer
from aione.notify.text import TextContext, discord_payload, plain_text, telegram_html, webhook_body
from aione.stage2.narrative import build_narrative
from aione.stage3.trade_model import EVENT_CLOSED, EVENT_OPENED, TradeEvent
from tests.notify_helpers import closed_trade, signal_decision

DASH = "http://127.0.0.1:8080"


def _signal() -> Alert:
    alert = alert_from_decision(signal_decision())
    assert alert is not None
    return alert


def test_signal_uk_telegram_html() -> None:
    decision = signal_decision()
    text = telegram_html(_signal(), TextContext("uk", DASH))
    assert "<b>DOTUSDT · КУПІВЛЯ · сильна купівля</b>" in text
    assert "Ранг 0.82" in text and "впевненість 71 %" in text
    # 4.12345 / 4.25678 / 4.05011 на сітці тіку 0.001
    assert "Вхід 4.123 · TP 4.257 · SL 4.050" in text
    assert build_narrative(decision, locale="uk", style="short").split(";")[0] in text
    assert "Цей тип сигналу: 41 випадків, TP першим 39 %" in text
    assert f'<a href="{DASH}/#DOTUSDT">Панель</a>' in text
    assert '<a href="https://www.binance.com/en/futures/DOTUSDT">Binance</a>' in text


def test_signal_en_plain_and_spot_link() -> None:
    ctx = TextContext("en", None, market="spot")
    text = telegram_html(_signal(), ctx)
    assert "DOTUSDT · BUY · strong buy" in text
    assert "Rank 0.82 · confidence 71 %" in text
    assert "Entry 4.123 · TP 4.257 · SL 4.050" in text
    assert "This kind of signal: 41 cases, TP first 39 %" in text
    assert "https://www.binance.com/en/trade/DOT_USDT" in text
    assert "Панель" not in text and "Dashboard" not in text  # без адреси панелі — без посилання
    assert build_narrative(signal_decision(), locale="en", style="short").split(";")[0] in plain_text(_signal(), ctx)


def test_html_is_escaped() -> None:
    text = telegram_html(Alert(kind="trade_opened", id="x", symbol="A<B>", ts=0, side="BUY"), TextContext())
    assert "A&lt;B&gt;" in text and "A<B>" not in text


def test_trade_messages_carry_pnl_in_pct_and_r() -> None:
    trade = closed_trade()
    closed = alert_from_trade_event(TradeEvent(EVENT_CLOSED, trade))
    opened = alert_from_trade_event(TradeEvent(EVENT_OPENED, trade))
    assert closed is not None and opened is not None
    uk = plain_text(closed, TextContext("uk"))
    en = plain_text(closed, TextContext("en"))
    # +2.5 % при ризику 1.25 % = +2 R
    assert "Угоду закрито: DOTUSDT КУПІВЛЯ" in uk and "PnL +2.50 % (+2.00 R)" in uk and "вихід 4.100" in uk
    assert "Trade closed: DOTUSDT BUY" in en and "PnL +2.50 % (+2.00 R)" in en
    assert "Trade opened: DOTUSDT BUY" in plain_text(opened, TextContext("en"))
    body = webhook_body(closed, TextContext("en"))
    assert body["type"] == "trade_closed" and body["pnl_r"] == 2.0 and abs(body["pnl_pct"] - 2.5) < 1e-9


def test_discord_embed_and_webhook_body() -> None:
    ctx = TextContext("en", DASH)
    payload = discord_payload(_signal(), ctx)
    embed = payload["embeds"][0]
    assert embed["title"] == "DOTUSDT · BUY · strong buy"
    assert "Entry 4.123 · TP 4.257 · SL 4.050" in embed["description"]
    assert f"[Dashboard]({DASH}/#DOTUSDT)" in embed["description"]
    assert embed["color"] == 0x2E7D32
    body = webhook_body(_signal(), ctx)
    assert (body["entry"], body["tp"], body["sl"]) == (4.123, 4.257, 4.05)
    assert body["id"] == "DOTUSDT:1747981140000" and body["rank"] == 0.82 and body["record"]["cases"] == 41
    assert body["links"]["dashboard"] == f"{DASH}/#DOTUSDT"


def test_digest_lists_every_event() -> None:
    buf = DigestBuffer(NotifyRules(digest_minutes=10))
    buf.add(_signal())
    buf.add(alert_from_trade_event(TradeEvent(EVENT_CLOSED, closed_trade("LTCUSDT"))))  # type: ignore[arg-type]
    digest = buf.take()
    assert digest is not None
    text = plain_text(digest, TextContext("uk"))
    assert text.startswith("Дайджест: 2 подій")
    assert "DOTUSDT · КУПІВЛЯ" in text and "Угоду закрито: LTCUSDT" in text
