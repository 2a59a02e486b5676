"""Scenarios every cloud's driver goes through the same way, against its own peer.

A plugin's error tests set up their region and peer, declare an assembly, and
hand over to one of these: the steps and what they check are the same for
every cloud, so they are written once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Protocol

from vertice_core.reconcile.loop import Reconciler
from vertice_testing.api import Api


class Peer(Protocol):
    """A cloud's local peer that can be taken down and brought back on the same port."""

    def stop(self) -> None: ...

    def start(self) -> None: ...


def outage_is_retried_until_back(
    api: Api,
    uri: str,
    peer: Peer,
    reconciler: Reconciler,
    converge: Callable[..., Any],
    phases: Callable[[], dict[str, int]],
) -> None:
    """An endpoint that goes down leaves the assembly as it was, says why, and the change
    asked for meanwhile is carried out once the endpoint is back."""
    converge(reconciler, lambda: phases() == {"RUNNING": 1})

    peer.stop()
    api.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: api.condition(uri, "Synced").get("reason") == "CloudUnavailable")
    assert "cannot be reached" in api.condition(uri, "Synced")["message"]
    assert api.status(uri)["phase"] == "RUNNING"  # nothing observed, nothing changed

    peer.start()  # same port again
    converge(reconciler, lambda: phases() == {"STOPPED": 1}, timeout=30)


def rejected_credentials_show(api: Api, region: str, reconciler: Reconciler,
                              converge: Callable[..., Any]) -> str:  # fmt: skip
    """Declare an assembly in `region` (whose credentials the cloud refuses) and one in the
    sim's `local` region; wait until the first says `AuthFailed` while the other runs.
    Returns its `Synced` message (the cloud's words, for the caller to check)."""
    uri = api.declare("web", region=region).headers["location"]
    local = api.declare("elsewhere").headers["location"]
    converge(
        reconciler,
        lambda: (
            api.condition(uri, "Synced").get("reason") == "AuthFailed"
            and api.status(local)["phase"] == "RUNNING"
        ),
    )
    assert api.status(uri)["phase"] != "RUNNING"
    message: str = api.condition(uri, "Synced")["message"]
    return message


def replace_credentials(admin: Api, region: str, credentials: dict[str, Any]) -> None:
    """PUT `region` back as it is stored, with new credentials."""
    stored = admin.get(f"/v3/regions/{region}").json
    body = {k: stored[k] for k in ("cloud_type", "provider_region", "endpoint", "settings")}
    assert (
        admin.put(f"/v3/regions/{region}", {**body, "credentials": credentials}).status_code == 200
    )


def throttling_is_backed_off(
    api: Api,
    uri: str,
    reconciler: Reconciler,
    converge: Callable[..., Any],
    phases: Callable[[], dict[str, int]],
    *,
    says: str,
    attempts: Callable[[], list[float]],
) -> None:
    """A create the cloud throttles three times (`says` in its answer) shows `Throttled` with
    the retry time, then runs; `attempts()` (the times the peer saw the create) are spaced by
    the backoff of a reconciler made with `backoff_base=0.4`."""
    converge(reconciler, lambda: api.condition(uri, "Synced").get("reason") == "Throttled")
    condition = api.condition(uri, "Synced")
    assert condition["status"] == "False"
    assert says in condition["message"]
    assert "retrying in" in condition["message"]
    converge(reconciler, lambda: phases() == {"RUNNING": 1}, timeout=30)
    assert api.condition(uri, "Synced")["status"] == "True"
    times = attempts()
    assert len(times) == 4, times  # three throttled, then the one that worked
    # backoff(n) = base * 2**n * uniform(0.5, 1): at least 0.2 s, then 0.4 s, then 0.8 s,
    # each counted from the start of the pass that failed (a little before its call).
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] >= 0.15, gaps
    assert gaps[1] >= 0.3, gaps
    assert gaps[2] >= 0.6, gaps
    assert times[-1] - times[0] >= 1.2, times
