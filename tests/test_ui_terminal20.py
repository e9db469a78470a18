"""Термінальний UI пояснює себе (issue 20, item 5): колонки під ширину терміналу без переносу
(80×24 — головні колонки читаються, 180×45 — ще план, стан, впевненість словами), клавіша `s`
перебирає сортування, ↑/↓ — обраний рядок, рядок деталей показує стан сигналу з причиною,
правило скасування й коротке пояснення. Кадр — зі справжнього конвеєра (`tests.test_web_ui20`)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aione.ui.ui_consumer import KEY_DOWN, KEY_UP, TerminalUI, parse_keys
from aione.ui.ui_render import CONF_COLUMN, LIFE_COLUMN, PLAN_COLUMN, rank_score, short_narrative
from aione.utils.utils import format_price
from tests.test_web_ui20 import EXPIRED, INVALID, LIVE, Ui20Scene, plan_bits, rows_of, ui20_scene
from tests.web_helpers import QueueFrameSource


@pytest.fixture(scope="module")
def scene(data_1m: Path) -> Ui20Scene:
    return ui20_scene(data_1m)


def _ui(frame: dict[str, Any], width: int, height: int) -> TerminalUI:
    console = Console(record=True, width=width, height=height, file=io.StringIO(), color_system=None)
    ui = TerminalUI(QueueFrameSource(), console=console)
    ui.accept(frame)
    return ui


def _screen(ui: TerminalUI) -> list[str]:
    ui.console.print(ui.renderable())
    return ui.console.export_text().splitlines()


def _header(lines: list[str]) -> list[str]:
    head = next(line for line in lines if "Символ" in line)
    return [c.strip() for c in head.replace("┃", "│").split("│")[1:-1]]


def _rows(lines: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in lines:
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0].endswith("USDT") or (cells and cells[0].split(" ")[0].endswith("USDT")):
            out[cells[0].split(" ")[0]] = cells
    return out


def test_80x24_keeps_the_essential_columns_on_one_line_each(scene: Ui20Scene) -> None:
    frame = scene.frame()
    lines = _screen(_ui(frame, 80, 24))
    header = _header(lines)
    assert header[:2] == ["Символ", "Ціна"] and "Сигнал" in header and "Стан" in header
    assert "План" not in header and "RSI" not in header and "Тригери" not in header
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    rows = _rows(lines)
    assert set(rows) == {a["symbol"] for a in frame["assets"]}
    for symbol in rows:  # жодного переносу: символ — рівно в одному рядку таблиці
        assert sum(1 for line in lines if line.startswith("│") and f" {symbol}" in line) == 1
    live = rows_of(frame)[LIVE]
    state = rows[LIVE][header.index("Стан")]
    assert state.startswith("у роботі") or state.startswith("чекає входу") or state.startswith("новий")
    assert rows[INVALID][header.index("Стан")] == "скасований"
    assert rows[LIVE][1] == format_price(live["price"], live["tick_size"])


def test_180x45_adds_plan_state_and_honest_confidence(scene: Ui20Scene) -> None:
    frame = scene.frame()
    lines = _screen(_ui(frame, 180, 45))
    header = _header(lines)
    for name in ("Символ", "Ціна", "Зміна 24 год %", "Сигнал", LIFE_COLUMN, PLAN_COLUMN, CONF_COLUMN, "Ранг"):
        assert name in header, name
    assert max(len(line) for line in lines) <= 180
    rows = _rows(lines)
    live = rows_of(frame)[LIVE]
    plan = rows[LIVE][header.index(PLAN_COLUMN)]
    lo_hi, tp, sl = plan_bits(live)
    assert plan == f"{lo_hi} → {tp.removeprefix('TP ')} / {sl.removeprefix('SL ')}"
    assert rows[LIVE][header.index(CONF_COLUMN)] == live["confidence_text"]  # «оцінка 0.93», не відсоток
    assert rows[EXPIRED][header.index(LIFE_COLUMN)] == "застарів"
    assert any("Смуга" in line for line in lines)  # легенда на широкому терміналі


def test_sort_key_cycles_and_detail_line_follows_the_selection(scene: Ui20Scene) -> None:
    frame = scene.frame()
    ui = _ui(frame, 180, 45)
    lines = _screen(ui)
    assert any("сортування: як у кадрі" in line for line in lines)
    ui.on_key("s")
    lines = _screen(_copy(ui, frame))
    assert any("сортування: ранг" in line for line in lines)
    order = list(_rows(lines))
    by_rank = sorted(frame["assets"], key=lambda a: -(rank_score(a) or -1.0))
    assert order[:3] == [a["symbol"] for a in by_rank[:3]]
    # Деталі обраного: перший рядок; ↓ — наступний, з причиною стану й коротким поясненням.
    detail = next(line for line in lines if line.startswith("▶ "))
    assert detail.startswith(f"▶ {order[0]} · ")
    ui.on_key(KEY_DOWN)
    ui.on_key(KEY_DOWN)
    ui.on_key(KEY_UP)
    lines = _screen(_copy(ui, frame))
    at = next(i for i, line in enumerate(lines) if line.startswith("▶ "))
    detail = " ".join(line.strip() for line in lines[at : at + 2])  # широкий: деталі до двох рядків
    picked = rows_of(frame)[order[1]]
    assert detail.startswith(f"▶ {order[1]} · {picked['lifecycle']['text']} · {picked['lifecycle']['invalidation_text']}")
    assert short_narrative(picked) in detail
    ui.on_key("s")
    lines = _screen(_copy(ui, frame))
    assert any("сортування: зміна 24 год" in line for line in lines)
    assert next(line for line in lines if line.startswith("▶ ")).startswith(f"▶ {list(_rows(lines))[0]} ")


def test_invalidated_detail_states_the_rule_at_80_columns(scene: Ui20Scene) -> None:
    frame = scene.frame()
    ui = _ui(frame, 80, 24)
    order = list(_rows(_screen(ui)))
    for _ in range(order.index(INVALID)):
        ui.on_key("j")
    lines = _screen(_copy(ui, frame, 80, 24))
    detail = next(line for line in lines if line.startswith("▶ "))
    assert detail.startswith(f"▶ {INVALID} · скасований: протилежний сигнал · Ідею скасує закриття нижче ")
    assert len(detail) <= 80


def test_arrow_keys_are_parsed() -> None:
    assert parse_keys("\x1b[Bs\x1b[Aj") == [KEY_DOWN, "s", KEY_UP, "j"]


def _copy(ui: TerminalUI, frame: dict[str, Any], width: int = 180, height: int = 45) -> TerminalUI:
    """Той самий стан UI (сортування, вибір) на чистій консолі — щоб знімок містив лише один екран."""
    fresh = _ui(frame, width, height)
    fresh.sort_key, fresh.selected = ui.sort_key, ui.selected
    return fresh


def test_english_locale_changes_headers_header_line_and_states(scene: Ui20Scene) -> None:
    """`meta.locale = en`: заголовки колонок, шапка й стани — англійською (issue 20: мова терміналу)."""
    frame = scene.frame()
    frame["meta"] = {**(frame.get("meta") or {}), "locale": "en"}
    lines = _screen(_ui(frame, 180, 45))
    head = next(line for line in lines if "Symbol" in line)
    header = [c.strip() for c in head.replace("┃", "│").split("│")[1:-1]]
    for name in ("Symbol", "Price", "24 h change %", "Signal", "Signal state", "Signal plan", "Confidence"):
        assert name in header, name
    text = "\n".join(lines)
    assert "Символ" not in text and "показано" not in text and "угод" not in text
    assert "assets" in text and "showing" in text
    narrow = _screen(_ui(frame, 80, 24))
    assert any("Symbol" in line and "State" in line for line in narrow)
