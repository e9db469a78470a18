"""Реєстр тригерів Stage1: знаходить модулі пакета `asset_triggers` з атрибутом `SPEC`.

Як додати тригер (рівно три кроки, четвертого немає):
1. модуль у `stage1/asset_triggers/` з обома формами тригера (інкрементний клас і пакетна функція,
   див. `base`) і `SPEC = TriggerSpec(tag, raw_names, factory, batch)`;
2. кожна сира назва з `raw_names` — рядок у `TRIGGER_NAME_MAP` (config);
3. перемикач `tag` у `STAGE2_CONFIG['switches']['triggers']` (config; за бажання — тег у `TRIGGER_TAGS`).
Реєстр перевіряє обидві форми, 2 і 3 під час імпорту і падає з `TriggerRegistryError`, якщо
чогось бракує: тригер без однієї з форм, без назви в мапі чи без перемикача не може тихо працювати
«наполовину» (зокрема бектест і live не можуть рахувати його по-різному).
Порядок тригерів — як у `TRIGGER_TAGS`, далі решта за назвою тегу (детерміновано).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from typing import Any, cast

from aione.config.config import STAGE2_CONFIG, TRIGGER_NAME_MAP, TRIGGER_TAGS
from aione.stage1.asset_triggers.base import TriggerSpec

_PACKAGE = "aione.stage1.asset_triggers"
_SKIP = frozenset({"base", "registry"})


class TriggerRegistryError(ValueError):
    """Тригер оголошено не повністю (немає однієї з форм, назви в мапі, перемикача або тег повторюється)."""


# ── Пошук і перевірка ──
def _default_switches() -> Mapping[str, bool]:
    return cast("Mapping[str, bool]", cast("Mapping[str, Any]", STAGE2_CONFIG["switches"])["triggers"])


def validate_specs(specs: Iterable[TriggerSpec], switches: Mapping[str, bool] | None = None) -> None:
    """Кожен тригер має обидві форми, кожна сира назва є в `TRIGGER_NAME_MAP`, кожен тег має
    перемикач, теги не повторюються."""
    known = _default_switches() if switches is None else switches
    seen: set[str] = set()
    for spec in specs:
        if spec.tag in seen:
            raise TriggerRegistryError(f"duplicate trigger tag {spec.tag!r}")
        seen.add(spec.tag)
        if spec.tag not in known:
            raise TriggerRegistryError(
                f"trigger {spec.tag!r} has no switch in STAGE2_CONFIG['switches']['triggers']"
            )
        missing = [n for n in spec.raw_names if n not in TRIGGER_NAME_MAP]
        if missing:
            raise TriggerRegistryError(f"trigger {spec.tag!r}: names {missing} missing from TRIGGER_NAME_MAP")
        if not callable(spec.factory):
            raise TriggerRegistryError(f"trigger {spec.tag!r} has no incremental form (SPEC.factory)")
        if not callable(spec.batch):
            raise TriggerRegistryError(f"trigger {spec.tag!r} has no batch form (SPEC.batch)")


def _order(spec: TriggerSpec) -> tuple[int, str]:
    return (TRIGGER_TAGS.index(spec.tag) if spec.tag in TRIGGER_TAGS else len(TRIGGER_TAGS), spec.tag)


def discover(package: str = _PACKAGE) -> tuple[TriggerSpec, ...]:
    """Імпортує модулі пакета і збирає їхні `SPEC`; перевіряє повноту оголошення."""
    pkg = importlib.import_module(package)
    specs: list[TriggerSpec] = []
    for mod_info in pkgutil.iter_modules(pkg.__path__):
        if mod_info.name in _SKIP or mod_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{mod_info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, TriggerSpec):
            specs.append(spec)
    specs.sort(key=_order)
    validate_specs(specs)
    return tuple(specs)


TRIGGER_REGISTRY: tuple[TriggerSpec, ...] = discover()


# ── Перемикачі ──
def resolve_switches(switches: Mapping[str, Any] | None) -> dict[str, bool]:
    """Тег → увімкнено. Приймає або повну мапу `STAGE2_CONFIG['switches']` (з ключем `triggers`),
    або одразу мапу тригерів; тег, якого там немає, бере значення з config."""
    base = dict(_default_switches())
    if switches is None:
        return base
    sub = switches.get("triggers")
    chosen: Mapping[str, Any] = sub if isinstance(sub, Mapping) else switches
    for tag, on in chosen.items():
        if tag in base or any(s.tag == tag for s in TRIGGER_REGISTRY):
            base[tag] = bool(on)
    return base


def enabled_specs(
    switches: Mapping[str, Any] | None = None, registry: Iterable[TriggerSpec] = TRIGGER_REGISTRY
) -> list[TriggerSpec]:
    """Увімкнені тригери в порядку реєстру."""
    on = resolve_switches(switches)
    return [s for s in registry if on.get(s.tag, True)]


__all__ = [
    "TRIGGER_REGISTRY",
    "TriggerRegistryError",
    "discover",
    "enabled_specs",
    "resolve_switches",
    "validate_specs",
]
