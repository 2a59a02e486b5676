"""A per-process cache of what declarations refer to: plan, region and flavor names.

Declaring an assembly checks that its plan, region and flavor exist. They
change rarely, so each process (an API worker) keeps their names (and each flavor's
regions) for a few seconds instead of asking the database on every POST. A
name the cache does not know makes it reload at once, so something just
created is never refused; something just deleted is still caught by the
database's foreign keys when the assembly is inserted.
"""

from __future__ import annotations

import threading
import time

import attrs

from vertice_core.store import Store
from vertice_core.store.repositories import FlavorRepository, PlanRepository, RegionRepository


@attrs.frozen
class _Snapshot:
    plans: frozenset[str]
    regions: frozenset[str]
    #: Flavor name -> the regions it is offered in (empty: every region).
    flavors: dict[str, tuple[str, ...]]
    taken_at: float


class CatalogCache:
    """Plan, region and flavor names, reloaded when stale or when a name is unknown."""

    def __init__(self, store: Store, ttl: float = 5.0) -> None:
        self.store = store
        self.ttl = ttl
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def _load(self) -> _Snapshot:
        with self.store.read() as session:
            snapshot = _Snapshot(
                plans=frozenset(PlanRepository(session).names()),
                regions=frozenset(RegionRepository(session).names()),
                flavors={f.name: tuple(f.regions) for f in FlavorRepository(session).all()},
                taken_at=time.monotonic(),
            )
        with self._lock:
            self._snapshot = snapshot
        return snapshot

    def _current(self, fresh: bool = False) -> _Snapshot:
        with self._lock:
            snapshot = self._snapshot
        if fresh or snapshot is None or time.monotonic() - snapshot.taken_at > self.ttl:
            return self._load()
        return snapshot

    def _lookup(self, check: str, name: str) -> bool:
        if name in getattr(self._current(), check):
            return True
        return name in getattr(self._current(fresh=True), check)

    def has_plan(self, name: str) -> bool:
        """Whether a plan called `name` exists."""
        return self._lookup("plans", name)

    def has_region(self, name: str) -> bool:
        """Whether a region called `name` exists."""
        return self._lookup("regions", name)

    def flavor_regions(self, name: str) -> tuple[str, ...] | None:
        """The regions a flavor is offered in (empty: all), or None if there is no such flavor."""
        if name not in self._current().flavors:
            return self._current(fresh=True).flavors.get(name)
        return self._current().flavors[name]

    def invalidate(self) -> None:
        """Forget the snapshot (after this worker changed plans, regions or flavors)."""
        with self._lock:
            self._snapshot = None
