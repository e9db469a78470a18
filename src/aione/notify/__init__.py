"""Сповіщення: Telegram, Discord, підписані вебхуки, Redis Stream сигналів; контроль шуму й outbox."""

from aione.notify.model import Alert, Message
from aione.notify.notifier import Notifier
from aione.notify.setup import NotifySetup, build_notifier
from aione.notify.signing import verify_signature

__all__ = ["Alert", "Message", "NotifySetup", "Notifier", "build_notifier", "verify_signature"]
