"""Доставка проти заглушок на 127.0.0.1: 429 з retry_after, підпис HMAC у приймача, збій → відновлення
без втрат через перезапуск (outbox у файлі й у справжньому Redis), секрети не в журналі, бот
відповідає лише дозволеним чатам."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from aione.config.config import NotifyRules
from aione.logging_setup import setup_logging
from aione.notify.bot import BotMemory, BotPoller
from aione.notify.channels import DiscordChannel, TelegramBotApi, TelegramChannel, WebhookChannel
from aione.notify.model import Alert, alert_from_decision
from aione.notify.notifier import Notifier
from aione.notify.outbox import FileOutbox, Outbox, RedisOutbox
from aione.notify.setup import NotifySetup, send_test
from aione.notify.signing import compute_signature, sign_headers, verify_signature
from aione.notify.text import TextContext
from tests.notify_helpers import (
    SECRET,
    TOKEN,
    FakeTime,
    Stub,
    fake_discord,
    fake_telegram,
    signal_decision,
    webhook_receiver,
)

NO_NOISE = NotifyRules(cooldown_min=0, episode_gap_min=0)
FAST = (0.01, 0.05)


def signals(n: int, start: int = 0) -> list[Alert]:
    out = []
    for i in range(start, start + n):
        alert = alert_from_decision(signal_decision(f"SYM{i:03d}USDT", 1_747_981_140_000 + i * 60_000))
        assert alert is not None
        out.append(alert)
    return out


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


# ── 429 ──
async def test_telegram_429_retry_after_is_honoured() -> None:
    tg = await fake_telegram()
    fake = FakeTime()
    tg.responses = [(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                           "parameters": {"retry_after": 7}})]  # fmt: skip
    api = TelegramBotApi(TOKEN, api_url=tg.url)
    notifier = Notifier([TelegramChannel(api, "111", TextContext())], rules={"telegram": NO_NOISE},
                        sleep=fake.sleep, clock=fake.clock, backoff=FAST)  # fmt: skip
    try:
        await notifier.start()
        for alert in signals(2):
            notifier.submit(alert)
        await eventually(lambda: len(tg.received) == 3)  # 429, повтор, друге
        worker = notifier.workers[0]
        assert worker.counters["rate_limited"] == 1 and worker.counters["delivered"] == 2
        assert worker.retry_waits == [7.0]  # пауза — рівно retry_after сервісу, не власний backoff
        assert 7.0 in fake.sleeps
        assert tg.received[1]["text"] == tg.received[0]["text"]  # той самий лист повторено
        assert tg.received[0]["parse_mode"] == "HTML" and tg.received[0]["chat_id"] == "111"
    finally:
        await notifier.aclose(timeout=1)
        await tg.stop()


async def test_discord_429_uses_retry_after_from_body() -> None:
    dc = await fake_discord()
    fake = FakeTime()
    dc.responses = [(429, {"message": "You are being rate limited.", "retry_after": 1.5, "global": False})]
    notifier = Notifier([DiscordChannel(dc.url, TextContext("en"))], rules={"discord": NO_NOISE},
                        sleep=fake.sleep, clock=fake.clock)  # fmt: skip
    try:
        await notifier.start()
        notifier.submit(signals(1)[0])
        await eventually(lambda: notifier.workers[0].counters["delivered"] == 1)
        assert notifier.workers[0].retry_waits == [1.5]
        assert dc.received[-1]["embeds"][0]["title"].startswith("SYM000USDT · BUY")
    finally:
        await notifier.aclose(timeout=1)
        await dc.stop()


# ── HMAC ──
async def test_receiver_verifies_hmac_signature() -> None:
    rx = await webhook_receiver(SECRET)
    notifier = Notifier([WebhookChannel(rx.url, TextContext(), secret=SECRET)], rules={"webhook": NO_NOISE})
    try:
        await notifier.start()
        notifier.submit(signals(1)[0])
        await eventually(lambda: len(rx.received) == 1)
        got = rx.received[0]
        assert got["verified"] is True and got["body"]["symbol"] == "SYM000USDT"
        assert got["headers"]["X-AiOne-Signature"].startswith("sha256=")
    finally:
        await notifier.aclose(timeout=1)
        await rx.stop()
    # приймач з іншим ключем відкидає (401 — не повторюється), змінене тіло чи старий підпис — теж
    bad = await webhook_receiver("other-key")
    wrong = Notifier([WebhookChannel(bad.url, TextContext(), secret=SECRET)], rules={"webhook": NO_NOISE})
    try:
        await wrong.start()
        wrong.submit(signals(1)[0])
        await eventually(lambda: wrong.workers[0].counters["failed"] == 1)
        assert bad.received == []
    finally:
        await wrong.aclose(timeout=1)
        await bad.stop()
    body = b'{"a":1}'
    headers = sign_headers(SECRET, body, now=1_000_000)
    assert verify_signature(SECRET, body, headers, now=1_000_010)
    assert not verify_signature(SECRET, b'{"a":2}', headers, now=1_000_010)
    assert not verify_signature(SECRET, body, headers, now=1_000_000 + 301)  # повтор через 5 хв
    assert headers["X-AiOne-Signature"] == compute_signature(SECRET, 1_000_000, body)


# ── Збій → відновлення через перезапуск ──
async def _outage_then_restart(make_outbox: Callable[[], Outbox]) -> None:
    rx = await webhook_receiver(SECRET)
    rx.default = (503, {"error": "down"})  # приймач лежить
    first = Notifier([WebhookChannel(rx.url, TextContext(), secret=SECRET)], make_outbox(),
                     rules={"webhook": NO_NOISE}, backoff=FAST)  # fmt: skip
    sent = signals(25)
    try:
        await first.start()
        for alert in sent:
            first.submit(alert)
        await eventually(lambda: first.workers[0].counters["retries"] >= 3)
    finally:
        await first.aclose(timeout=0.2)  # «процес зупинено» посеред збою
    assert rx.received == [] and first.workers[0].counters["delivered"] == 0
    rx.default = (200, {"ok": True})  # приймач піднявся
    second = Notifier([WebhookChannel(rx.url, TextContext(), secret=SECRET)], make_outbox(),
                      rules={"webhook": NO_NOISE}, backoff=FAST)  # fmt: skip
    try:
        await second.start()
        second.submit(signals(1, start=25)[0])  # нова подія після перезапуску
        await eventually(lambda: len(rx.received) == 26)
        await asyncio.sleep(0.05)
    finally:
        await second.aclose(timeout=2)
        await rx.stop()
    ids = [r["body"]["id"] for r in rx.received]
    assert sorted(ids) == sorted(a.id for a in [*sent, *signals(1, start=25)])  # кожне рівно раз
    assert ids[:25] == [a.id for a in sent]  # відновлені — першими і в тому самому порядку
    assert all(r["verified"] for r in rx.received)
    assert second.workers[0].counters["restored"] == 25
    assert await make_outbox().load("webhook") == []  # outbox порожній після доставки


async def test_outage_recovery_loses_nothing_across_restart_file_outbox(tmp_path: Path) -> None:
    await _outage_then_restart(lambda: FileOutbox(tmp_path / "notify_outbox.jsonl"))


@pytest.mark.redis
async def test_outage_recovery_loses_nothing_across_restart_redis_outbox(redis_url: str) -> None:
    await _outage_then_restart(lambda: RedisOutbox(redis_url))


# ── Секрети ──
async def test_secrets_never_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    setup_logging("DEBUG")
    logging.getLogger("aione").propagate = True  # caplog слухає корінь
    tg = await fake_telegram()
    dc = await fake_discord()
    rx = await webhook_receiver(SECRET)
    tg.responses = [(500, {"ok": False}), (403, {"ok": False, "description": "Forbidden: bot was blocked"})]
    rx.default = (500, {"error": "x"})
    dead = Stub()
    setup = NotifySetup(
        telegram_token=SecretStr(TOKEN),
        telegram_chat_ids=("111",),
        telegram_api_url=tg.url,
        discord_webhook_url=SecretStr(dc.url.replace("secret-discord-token", "secret-discord-token-404")),
        webhook_urls=(rx.url, "http://127.0.0.1:9/closed"),
        webhook_secret=SecretStr(SECRET),
    )
    try:
        with caplog.at_level(logging.DEBUG, logger="aione"):
            results = await send_test(setup, 1_747_981_140_000)
            channels = [
                TelegramChannel(TelegramBotApi(TOKEN, api_url=tg.url), "111", TextContext()),
                WebhookChannel(rx.url, TextContext(), secret=SECRET),
            ]
            notifier = Notifier(channels, rules={"telegram": NO_NOISE, "webhook": NO_NOISE}, backoff=FAST)
            await notifier.start()
            notifier.submit(signals(1)[0])
            await eventually(lambda: notifier.workers[0].counters["failed"] + notifier.workers[0].counters["delivered"] >= 1)
            await eventually(lambda: notifier.workers[1].counters["retries"] >= 2)
            bad_api = TelegramBotApi("999:wrong-" + TOKEN, api_url=tg.url)
            poller = BotPoller(bad_api, {"111"}, BotMemory(), TextContext())
            await poller.run()  # 401 у getUpdates — опитування зупиняється одним рядком
            await notifier.aclose(timeout=0.2)
    finally:
        await tg.stop()
        await dc.stop()
        await rx.stop()
        await dead.stop()
        logging.getLogger("aione").propagate = False
    assert [error is None for _, error in results] == [False, False, False, False]
    text = caplog.text + repr(results) + repr(notifier.stats())
    assert "telegram" in caplog.text and "webhook" in caplog.text  # журнал є, і він про канали
    for secret in (TOKEN, "wrong-", "secret-discord-token", SECRET, "/bot"):
        assert secret not in text, secret
    assert "***" in repr(channels[0].api) and TOKEN not in repr(channels[0].api)


# ── Бот ──
async def test_bot_answers_only_allow_listed_chats() -> None:
    tg = await fake_telegram()
    memory = BotMemory()
    for alert in signals(3):
        memory.observe(alert)
    tg.updates = [
        {"update_id": 10, "message": {"chat": {"id": 111}, "text": "/top"}},
        {"update_id": 11, "message": {"chat": {"id": 999}, "text": "/top"}},  # чужий чат
        {"update_id": 12, "message": {"chat": {"id": 111}, "text": "/why SYM001USDT"}},
        {"update_id": 13, "message": {"chat": {"id": 999}, "text": "/mute SYM001USDT 2h"}},  # чужий: без дії
        {"update_id": 14, "message": {"chat": {"id": 111}, "text": "/mute sym002usdt 2h"}},
        {"update_id": 15, "message": {"chat": {"id": 111}, "text": "/trades"}},
    ]
    poller = BotPoller(TelegramBotApi(TOKEN, api_url=tg.url), {"111"}, memory, TextContext("en"))
    try:
        await poller.handle(await poller.api.get_updates(None, 0))
        assert poller.offset == 16
        assert await poller.api.get_updates(poller.offset, 0) == []  # offset підтверджує прочитане
    finally:
        await poller.api.close()
        await tg.stop()
    assert poller.counters["ignored"] == 2 and poller.counters["answered"] == 4
    assert {r["chat_id"] for r in tg.received} == {"111"}
    top, why, mute, trades = (r["text"] for r in tg.received)
    assert top.splitlines()[0].startswith("1. SYM00") and len(top.splitlines()) == 3
    assert why.startswith("SYM001USDT · BUY · strong buy") and "Entry 4.123" in why
    assert mute == "SYM002USDT muted for 2h." and trades == "No trades yet."
    assert memory.muted == {"SYM002USDT": memory.now_ts + 2 * 3_600_000}
