"""Єдине налаштування журналювання: рядок журналу називає символ і стадію."""

from __future__ import annotations

import logging
import sys
from typing import Any

LOG_FILENAME = "aione.log"  # журнал run/demo з живою таблицею: цей файл у каталозі даних (AIONE_DATA_DIR)
_FORMAT = "%(asctime)s %(levelname)s %(name)s stage=%(stage)s symbol=%(symbol)s | %(message)s"


class _ContextDefaults(logging.Filter):
    """Підставляє `stage`/`symbol` = '-' у записи, що їх не мають."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "stage"):
            record.stage = "-"
        if not hasattr(record, "symbol"):
            record.symbol = "-"
        return True


class _CurrentStderrHandler(logging.StreamHandler):
    """Пише в той `sys.stderr`, що є в момент запису, а не в момент налаштування: інакше після
    тимчасової підміни stderr (CliRunner, перенаправлення) журнал писав би в уже закритий потік."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """Потік завжди поточний `sys.stderr`; присвоєння (з `StreamHandler.__init__`) ігнорується."""


def setup_logging(level: str = "INFO", stream: Any = None, log_file: str | None = None) -> logging.Logger:
    """Налаштовує кореневий логер `aione` один раз (повторний виклик лише змінює рівень).

    `log_file` — писати журнал у файл (коли термінал зайнятий живою таблицею UI)."""
    logger = logging.getLogger("aione")
    if not logger.handlers:
        handler: logging.Handler
        if log_file:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        else:
            handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(_ContextDefaults())
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level.upper())
    return logger


def get_logger(name: str) -> logging.Logger:
    """Логер модуля під `aione.*`; контекст передається як `extra={"stage":…, "symbol":…}`."""
    logger = logging.getLogger(name if name.startswith("aione") else f"aione.{name}")
    if not logger.filters:
        logger.addFilter(_ContextDefaults())
    return logger


def log_ctx(stage: str, symbol: str = "-") -> dict[str, str]:
    """Коротка форма `extra` для рядка журналу про стадію та символ."""
    return {"stage": stage, "symbol": symbol}


__all__ = ["LOG_FILENAME", "get_logger", "log_ctx", "setup_logging"]
