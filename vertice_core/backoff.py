"""Exponential backoff with jitter, for rows and for whole targets.

Pure arithmetic, outside the controller runtime (`vertice_core.runtime` re-exports it):
the planner's outcomes use it, and the API runs the planner for a plan's preview
without importing the runtime's threads and pools.
"""

from __future__ import annotations

import random

from vertice_core.errors import DriverError, wait_asked


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after `attempts` consecutive failures: exponential, jittered, capped.

    `base * 2**attempts`, at most `cap`, times a uniform factor in [0.5, 1): retries of
    many rows that failed together spread out instead of arriving together.
    """
    delay = min(cap, base * (2 ** min(attempts, 30)))
    return float(delay * rng.uniform(0.5, 1.0))


def retry_delay(
    attempts: int, *, base: float, cap: float, rng: random.Random, error: DriverError | None
) -> float:
    """Seconds before the next try after `attempts` + 1 consecutive failures, the last one
    `error`: the backoff, and no sooner than a throttling error's `Retry-After` (at most
    `cap`)."""
    return max(backoff(attempts, base=base, cap=cap, rng=rng), wait_asked(error, cap))
