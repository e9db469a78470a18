"""Рядок журналу про застарілі символи: кількість і перші назви, а не всі 1 000 назв в одному рядку."""

from __future__ import annotations

from aione.app.main import STALE_LOG_NAMES, _stale_line


def test_stale_line_gives_the_count_and_the_first_names() -> None:
    names = [f"S{i:04d}USDT" for i in range(1000)]
    line = _stale_line(reversed(names))
    assert line.startswith("1000 symbols: S0000USDT, S0001USDT, ")
    assert line.endswith(f"and {1000 - STALE_LOG_NAMES} more")
    assert line.count("USDT") == STALE_LOG_NAMES
    assert _stale_line(["BTCUSDT"]) == "1 symbol: BTCUSDT"
