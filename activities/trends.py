"""The charts' counts: the system clock's minute fold (see domain/trends/folding.py)."""

import time
from datetime import datetime

from temporalio import activity

from core.db import SessionFactory
from domain.trends.folding import fold_messaging, record_list_sizes
from domain.trends.payloads import FoldInput

# A fold catching up a long history stops after this long; the next minute's goes on.
FOLD_BUDGET_SECONDS = 20.0


class TrendActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn
    async def fold_trends(self, job: FoldInput) -> int:
        """Fold the messaging events recorded since the last fold, a transaction per stretch, and count
        each list's members once an hour. Returns how many transactions it took."""
        folds, caught_up = 0, False
        started = time.monotonic()
        while not caught_up and time.monotonic() - started < FOLD_BUDGET_SECONDS:
            async with self.sessions() as session:
                caught_up = await fold_messaging(session)
                await session.commit()
            folds += 1
        async with self.sessions() as session:
            await record_list_sizes(session, datetime.fromisoformat(job.now))
            await session.commit()
        return folds
