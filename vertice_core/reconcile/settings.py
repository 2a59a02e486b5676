"""The reconciler's knobs, with defaults for a small installation."""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

from vertice_core.driver import CONCURRENT_CALLS


@attrs.frozen
class ReconcilerSettings:
    """How often, how fast and how patiently the loop works (seconds unless said)."""

    #: Every region is observed at least this often when nothing changes (jittered).
    resync: float = 15.0
    #: Share of `resync` by which each region's resync is jittered (+/-).
    jitter: float = 0.2
    #: While something is in transition in a region, it is observed again this soon.
    poll: float = 1.0
    #: The loop looks for newly due work at least this often.
    idle_wait: float = 0.25
    #: After a create, the cloud may not list the instance for this long.
    grace: float = 30.0
    #: Driver calls in flight at once (per reconciler process).
    workers: int = CONCURRENT_CALLS
    #: Assemblies claimed, submitted and written together; batches are pipelined.
    batch: int = 500
    #: Regions worked on at once.
    region_workers: int = 8
    #: A driver call that takes longer counts as a transient failure.
    call_timeout: float = 60.0
    #: An observe (all pages) that takes longer counts as a transient failure.
    observe_timeout: float = 120.0
    #: How long a claimed assembly stays with this reconciler without renewal.
    lease_ttl: float = 300.0
    #: First retry delay after a transient failure, doubled per failure...
    backoff_base: float = 1.0
    #: ...up to this cap.
    backoff_cap: float = 300.0
    #: An instance of an assembly with a route in front of it, on its way out (scale
    #: down, or replaced), is taken out of the routes and deleted this much later, so
    #: the requests it is serving finish.
    drain: float = 10.0
    #: A drained instance is deleted only once its routes no longer send it requests (the
    #: route controller records what the proxy took), or this long after its drain began
    #: whatever the routes say (a proxy that does not answer must not keep it forever).
    drain_limit: float = 120.0
    #: A region that refused a create of a placed assembly for lack of capacity or quota
    #: is left out of its new placements this long (`vertice_core.model.placement`).
    placement_retry: float = 300.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReconcilerSettings:
        """Defaults overridden by `VERTICE_RECONCILE_<FIELD>` variables (e.g. `..._RESYNC=10`)."""
        env = os.environ if environ is None else environ
        values: dict[str, float | int] = {}
        for field in attrs.fields(cls):
            name = f"VERTICE_RECONCILE_{field.name.upper()}"
            raw = env.get(name)
            if raw:
                values[field.name] = _number(name, raw, whole=field.type in (int, "int"))
        return cls(**values)  # type: ignore[arg-type]


def _number(name: str, raw: str, *, whole: bool) -> float | int:
    """A knob's value; a wrong one stops the start with one line naming the variable."""
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = -1
    if not value >= 0:  # negative, or NaN
        kind = "an integer" if whole else "a number"
        raise ValueError(f"{name} must be {kind} of 0 or more, not {raw!r}") from None
    return value
