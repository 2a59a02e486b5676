"""Scenarios every cloud's driver goes through the same way, against its own peer.

A plugin's error tests set up their region and peer, declare an assembly, and
hand over to one of these: the steps and what they check are the same for
every cloud, so they are written once.
"""

from __future__ import annotations

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
