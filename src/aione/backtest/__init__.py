"""Бектест: те саме ядро конвеєра над записаними барами, звіт якості сигналів, перевірка погляду вперед.

Модулі: `runner` (драйвер `PipelineCore` над `iter_replay`), `metrics` (чиста математика звіту),
`baseline` (випадкові входи з тими самими правилами TP/SL і тим самим Stage3), `report` (JSON),
`html_report` (самодостатня сторінка з plotly), `lookahead` (перевірка обрізаними даними),
`walkforward` (відрізки і бал для калібрування), `session` (усе разом для команди CLI).
"""

from aione.backtest.lookahead import LookaheadError, check_lookahead
from aione.backtest.runner import BacktestResult, RunSpec, make_core, run_backtest
from aione.backtest.session import SessionOutput, run_session

__all__ = [
    "BacktestResult",
    "LookaheadError",
    "RunSpec",
    "SessionOutput",
    "check_lookahead",
    "make_core",
    "run_backtest",
    "run_session",
]
