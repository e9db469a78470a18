"""Журнал без явного потоку пише в поточний `sys.stderr`: після тимчасової підміни stderr
(CliRunner у тестах, перенаправлення) рядки не падають «--- Logging error ---» на закритому потоці."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from aione.logging_setup import get_logger, setup_logging


def test_log_lines_follow_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger("aione")
    saved = list(root.handlers)
    for h in saved:
        root.removeHandler(h)
    try:
        first = io.StringIO()
        monkeypatch.setattr(sys, "stderr", first)
        setup_logging("INFO")
        get_logger("t").warning("to first")
        first.close()  # як CliRunner після виклику
        second = io.StringIO()
        monkeypatch.setattr(sys, "stderr", second)
        get_logger("t").warning("to second")
        assert "to second" in second.getvalue() and "Logging error" not in second.getvalue()
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved:
            root.addHandler(h)
