"""Stage2: наратив — тригери й рівні згадано, кожне число є в результаті, обидві мови, усі стилі."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from aione.stage2.narrative import STYLES, build_narrative, trigger_label
from aione.stage2.qde_core import decide
from aione.utils.utils import format_price
from tests.test_stage2_scenarios import breakout_case, flat_case, reversal_case

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numeric_leaves(obj: Any) -> Iterator[float]:
    """Усі числа запису (крім самого наративу), рекурсивно."""
    if isinstance(obj, bool):
        return
    if isinstance(obj, int | float):
        yield float(obj)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if key != "narrative":
                yield from numeric_leaves(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            yield from numeric_leaves(value)


def cases() -> list[tuple[str, dict[str, Any]]]:
    s1b, inb, _ = breakout_case()
    s1r, inr = reversal_case()
    s1f, inf = flat_case()
    return [("breakout", decide(s1b, inb)), ("reversal", decide(s1r, inr)), ("flat", decide(s1f, inf))]


@pytest.mark.parametrize("locale", ["uk", "en"])
@pytest.mark.parametrize("style", STYLES)
def test_every_number_in_narrative_is_in_result(locale: str, style: str) -> None:
    for name, rec in cases():
        text = build_narrative(rec, locale=locale, style=style)
        values = set(numeric_leaves(rec))
        tokens = NUMBER.findall(text)
        assert tokens, name
        for token in tokens:
            assert float(token) in values, f"{name}: {token!r} not in result: {text}"


@pytest.mark.parametrize("locale", ["uk", "en"])
@pytest.mark.parametrize("style", STYLES)
def test_narrative_mentions_triggers_and_levels(locale: str, style: str) -> None:
    for name, rec in cases():
        text = build_narrative(rec, locale=locale, style=style)
        tick = rec["risk_parameters"]["tick_size"]
        for trig in rec["market_context"]["triggers"]:
            assert trigger_label(trig, locale) in text, name
        for key in ("nearest_support", "nearest_resistance"):
            level = rec["market_context"][key]
            if level is not None:
                assert format_price(level, tick) in text, (name, key, text)
        if rec["side"] is not None:
            for key in ("tp", "sl"):
                assert format_price(rec["risk_parameters"][key], tick) in text
        sentences = [s for s in re.split(r"(?<=\.)\s+", text) if s]
        assert 2 <= len(sentences) <= 4, text


def test_locales_differ_and_default_is_ukrainian() -> None:
    _, rec = cases()[0]
    uk = build_narrative(rec, locale="uk")
    en = build_narrative(rec, locale="en")
    assert uk != en
    assert rec["narrative"] == uk  # decide за замовчуванням пише українською
    assert "пробій угору" in uk and "upside breakout" in en
    assert build_narrative(rec, locale="xx") == uk


def test_styles_have_different_lengths() -> None:
    _, rec = cases()[1]
    lengths = {style: len(build_narrative(rec, style=style)) for style in STYLES}
    assert lengths["short"] < lengths["explain"]
