"""Stage1: префільтр ринку, монітор активів і тригери.

- `prefilter` — які символи варто дивитися (`select_symbols` чистий, `run_prefilter` і
  `PrefilterScheduler` ходять на біржу);
- `asset_monitoring.AssetMonitor` — інкрементна оцінка тригерів на кожному оновленні бару,
  запис `Stage1Result` для Stage2 і UI;
- `asset_triggers/` — по модулю на тригер, реєстр знаходить їх сам (див. `asset_triggers.registry`).
"""

from aione.stage1.asset_monitoring import AssetMonitor
from aione.stage1.prefilter import PrefilterResult, PrefilterScheduler, run_prefilter, select_symbols
from aione.stage1.result import Stage1Result

__all__ = [
    "AssetMonitor",
    "PrefilterResult",
    "PrefilterScheduler",
    "Stage1Result",
    "run_prefilter",
    "select_symbols",
]
