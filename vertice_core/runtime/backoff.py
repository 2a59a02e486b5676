"""Exponential backoff with jitter, for rows and for whole targets."""

from __future__ import annotations

import random


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after `attempts` consecutive failures: exponential, jittered, capped.

    `base * 2**attempts`, at most `cap`, times a uniform factor in [0.5, 1): retries of
    many rows that failed together spread out instead of arriving together.
    """
    delay = min(cap, base * (2 ** min(attempts, 30)))
    return float(delay * rng.uniform(0.5, 1.0))
