"""What crosses the Temporal boundary for the charts' counts."""

from dataclasses import dataclass

FOLD_TRENDS = "fold-trends"


@dataclass
class FoldInput:
    now: str  # ISO 8601: the clock's time, so a retried fold counts the same hour's list sizes
