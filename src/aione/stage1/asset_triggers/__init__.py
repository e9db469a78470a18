"""Тригери Stage1 — по одному модулю на тригер.

Як додати тригер (рівно три кроки):
1. модуль тут з обома формами тригера — інкрементним класом (`evaluate(inp, th)`, `reset()`) і
   пакетною функцією (`batch(inp) -> BatchFires`, див. `base`) — і
   `SPEC = TriggerSpec(tag, raw_names, factory, batch)`; реєстр (`registry.discover`) знайде його сам;
2. кожна сира назва з `raw_names` — рядок у `TRIGGER_NAME_MAP` (config);
3. перемикач `tag` у `STAGE2_CONFIG['switches']['triggers']` (config).
Реєстр перевіряє обидві форми і кроки 2 і 3 під час імпорту й падає з `TriggerRegistryError`, якщо чогось бракує.
"""

__all__: list[str] = []
