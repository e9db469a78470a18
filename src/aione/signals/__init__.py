"""Сигнали: ранг кандидатів, бюджет алертів, наслідки сигналів і виміряні записи їхніх типів."""

from aione.signals.budget import AlertBudget, Candidate, Verdict
from aione.signals.gate import SignalGate
from aione.signals.outcomes import OutcomeTracker, forward_outcome
from aione.signals.ranking import Rank, RankScorer
from aione.signals.records import RecordBook, signal_kind

__all__ = [
    "AlertBudget",
    "Candidate",
    "OutcomeTracker",
    "Rank",
    "RankScorer",
    "RecordBook",
    "SignalGate",
    "Verdict",
    "forward_outcome",
    "signal_kind",
]
