"""Per-key token buckets: `TEMPOGRAM_RATE_LIMIT_PER_SECOND` requests per second per API key (per API
process), bursting to `TEMPOGRAM_RATE_LIMIT_BURST`. Off when the rate is 0."""

import math
import time
from dataclasses import dataclass


@dataclass
class Bucket:
    tokens: float
    refilled_at: float


class RateLimiter:
    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.capacity = float(max(burst, 1))
        self._buckets: dict[str, Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def retry_after(self, key: str) -> int | None:
        """Take one token for `key`; None when allowed, else the whole seconds to wait."""
        now = time.monotonic()
        bucket = self._buckets.setdefault(key, Bucket(self.capacity, now))
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.refilled_at) * self.per_second)
        bucket.refilled_at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / self.per_second))
