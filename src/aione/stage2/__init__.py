"""Stage2 (QDE): рівні, контекст, композитний скор, рекомендація з TP/SL, впевненість, наратив.

Публічне: `decide` (чисте ядро, його ж кличе бектест), `Stage2Inputs`, `OrderBookDepth`,
`Stage2Processor` (асинхронна оболонка над сховищем/REST).
"""

from aione.stage2.inputs import OrderBookDepth, Stage2Inputs
from aione.stage2.processor import Stage2Processor
from aione.stage2.qde_core import decide

__all__ = ["OrderBookDepth", "Stage2Inputs", "Stage2Processor", "decide"]
