"""Garbage collection in the long-running processes (API, worker)."""

import gc


def freeze_startup_heap() -> None:
    """Move everything alive once a process has started — modules, the Temporal SDK, compiled caches:
    about 140,000 objects in a worker — out of the collector's sight, so a full collection scans only
    what came later. Measured in a worker: full collections of that heap took 100–230 ms each and were
    the tail of the real-time path (an event's list update stalled inside a primary-key lookup)."""
    gc.collect()
    gc.freeze()
