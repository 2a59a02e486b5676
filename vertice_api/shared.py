"""What the API's gunicorn workers share, made once in gunicorn's master before they fork.

The table of failed authentications (`FailureLimiter`) and the generation of the
workers' token caches (`CacheGeneration`) live in anonymous shared memory: one made
in the master before the fork is seen by every worker; one made in a worker is that
worker's alone (each would allow `LIMIT` failures per key, and a revoked token would
stay cached in the others until their cache expires).

Under an operator's own gunicorn (`-c python:vertice_api.gunicorn_conf`), the
configuration's `on_starting` hook calls `make()` in the master; gunicorn imports
`vertice_api.wsgi` in each worker after the fork (no `preload_app`), and
`inherited()` there returns what the master made, since the forked worker has the
master's copy of this module. `vertice serve` makes its own in `ApiServer`.
"""

from __future__ import annotations

import attrs

from vertice_api.generation import CacheGeneration
from vertice_api.ratelimit import FailureLimiter


@attrs.frozen
class Shared:
    """The objects every worker of one gunicorn shares."""

    failures: FailureLimiter = attrs.field(factory=FailureLimiter)
    generation: CacheGeneration = attrs.field(factory=CacheGeneration)


_made: Shared | None = None


def make() -> Shared:
    """Make the shared objects (in gunicorn's master, before the workers fork)."""
    global _made  # noqa: PLW0603 -- one per process by design: the fork hands it on
    _made = Shared()
    return _made


def inherited() -> Shared | None:
    """What the master made before this worker forked, or None (not made: the app then
    makes objects of its own)."""
    return _made
