"""Перевірка файлу перевизначень `--params` проти відомих параметрів стадій (чиста логіка, без I/O).

Дерево відомих ключів — типові словники конфігурації (`STAGE1_MONITOR_PARAMS` разом з
`DERIV_SIGNAL_PARAMS`, `STAGE2_CONFIG`, `STAGE3_TRADE_PARAMS`, `ALERT_BUDGET`); тип кожного значення — тип типового:
- bool — лише true/false; ціле — лише ціле (не 14.0 і не "14"); дробове — будь-яке скінченне число;
- рядок — рядок; вкладений словник — об'єкт (перевіряється рекурсивно); список — масив;
- `null` заборонено скрізь (стадії чекають число, а не «нічого»);
- невідомий ключ — помилка з підказкою найближчої назви (одруківка не має зникати мовчки).
Усі проблеми повертаються одним рядком: `stage1.vol_z_thresold: unknown key (did you mean ...)`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from aione.config.config import (
    ALERT_BUDGET,
    DERIV_SIGNAL_PARAMS,
    STAGE1_MONITOR_PARAMS,
    STAGE2_CONFIG,
    STAGE3_TRADE_PARAMS,
)

# ── Відомі параметри ──
DEFAULT_SECTIONS: Mapping[str, Mapping[str, Any]] = {
    # вікна й пороги деривативів — теж ключі stage1: монітор і знімок беруть їх з параметрів символу
    "stage1": {**STAGE1_MONITOR_PARAMS, **DERIV_SIGNAL_PARAMS},
    "stage2": STAGE2_CONFIG,
    "stage3": STAGE3_TRADE_PARAMS,
    "budget": ALERT_BUDGET,
}
MAX_PROBLEMS_SHOWN = 5  # більше проблем — «… and N more» у тому самому рядку
_ANY = object()  # позначка адреси без типового значення (ціль калібрування поза словником стадії)


class ParamsError(ValueError):
    """Хибний файл перевизначень: повідомлення — один рядок з адресою ключа й причиною."""


# ── Перевірка одного значення ──
def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def value_problem(value: Any, default: Any) -> str | None:
    """Що не так зі значенням `value` для параметра з типовим `default`; None — усе гаразд."""
    if value is None:
        return f"null is not allowed (default {default!r})" if default is not _ANY else "null is not allowed"
    if default is _ANY or default is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a finite number"
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        expected = "true or false"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "an integer"
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "a number"
    elif isinstance(default, str):
        ok = isinstance(value, str)
        expected = "a string"
    elif isinstance(default, list | tuple):
        ok = isinstance(value, list | tuple)
        expected = "a list"
    else:
        return None
    return None if ok else f"expected {expected} (default {default!r}), got {_type_name(value)} {value!r}"


# ── Дерево ──
def _known_tree(extra: Iterable[tuple[str, tuple[str, ...]]]) -> dict[str, Any]:
    """Дерево типових значень секцій + додаткові адреси (значення будь-якого типу, крім null)."""

    def plain(node: Mapping[str, Any]) -> dict[str, Any]:
        return {k: plain(v) if isinstance(v, Mapping) else v for k, v in node.items()}

    tree = {name: plain(section) for name, section in DEFAULT_SECTIONS.items()}
    for stage, path in extra:
        node = tree.setdefault(stage, {})
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node.setdefault(path[-1], _ANY)
    return tree


def _walk(value: Any, known: Any, address: str, problems: list[str]) -> None:
    if isinstance(known, dict):
        if not isinstance(value, Mapping):
            problems.append(f"{address}: expected an object, got {_type_name(value)} {value!r}")
            return
        for key, item in value.items():
            where = f"{address}.{key}"
            if key not in known:
                close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=0.6)
                hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(sorted(map(str, known)))}"
                problems.append(f"{where}: unknown key ({hint})")
                continue
            _walk(item, known[key], where, problems)
        return
    problem = value_problem(value, known)
    if problem is not None:
        problems.append(f"{address}: {problem}")


def override_problems(
    overrides: Mapping[str, Any], extra: Iterable[tuple[str, tuple[str, ...]]] = ()
) -> list[str]:
    """Усі проблеми перевизначень (порожній список — файл придатний). Службові ключі `_…` пропускаються."""
    tree = _known_tree(extra)
    problems: list[str] = []
    for section, body in overrides.items():
        if str(section).startswith("_"):
            continue
        if section not in tree:
            problems.append(f"{section}: unknown section (allowed: {', '.join(tree)})")
            continue
        if body is None:
            problems.append(f"{section}: null is not allowed (use {{}} or leave the section out)")
            continue
        _walk(body, tree[section], str(section), problems)
    return problems


def check_overrides(overrides: Mapping[str, Any], extra: Iterable[tuple[str, tuple[str, ...]]] = ()) -> None:
    """`ParamsError` з одним рядком, якщо перевизначення мають невідомі ключі, null чи хибні типи."""
    problems = override_problems(overrides, extra)
    if not problems:
        return
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    raise ParamsError(shown + (f"; … and {more} more" if more > 0 else ""))


__all__ = ["DEFAULT_SECTIONS", "ParamsError", "check_overrides", "override_problems", "value_problem"]
