"""`stop`, `start`, `restart`, `suspend`, `resume`: the power of assemblies, as desired state.

Stop, start, suspend and resume replace `desired_state` with a JSON Patch (and the
`stop_mode`: soft, hard or suspend); restart raises `restart_count` by one (with
`If-Match`, so two restarts racing are both counted, never merged), with the
`restart_mode`. A suspended instance is observed stopped; its start resumes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vertice_api.cli.acting import Act, Mode, action, mode_operations, raise_counter
from vertice_api.cli.assemblies import Document

if TYPE_CHECKING:
    from vertice_api.client import Client


def _desired(state: str, verb: str, mode: Mode = None) -> Act:
    def act(client: Client, document: Document, etag: str | None) -> tuple[Document, str]:
        """Replace the desired state (and the stop mode), unless they are as asked."""
        name = document["name"]
        operations = mode_operations(document, mode)
        if document.get("desired_state") != state:
            operations.append({"op": "replace", "path": "/desired_state", "value": state})
        if not operations:
            return document, f"{name}: already desired {state}"
        how = f" ({mode[1]})" if mode is not None and mode[1] == "hard" else ""
        return client.patch(document["uri"], operations, etag), f"{name}: {verb} requested{how}"

    return act


def _power(field: str, hard: bool) -> Mode:
    """The power mode `--hard` asks for (soft without it)."""
    return (field, "hard" if hard else "soft")


stop = action(
    "stop",
    lambda hard: _desired("stopped", "stop", _power("stop_mode", hard)),
    "Stop assemblies NAMES: their desired state becomes stopped.",
    hard="Power the instances off (kill them) without asking their system to shut down: for a "
    "hung one (stop_mode hard; the region's driver must support it). Without it, stops are "
    "soft again.",
)
start = action(
    "start",
    lambda _hard: _desired("running", "start"),
    "Start assemblies NAMES: their desired state becomes running.",
)
restart = action(
    "restart",
    lambda hard: raise_counter("restart_count", "restart", _power("restart_mode", hard)),
    "Restart assemblies NAMES once (restart_count + 1). With --wait, until the instances "
    "were restarted for it (the status's restarts_done) and the assembly is Ready again.",
    until="restarted",
    hard="Power-cycle the instances without asking their system (restart_mode hard; the "
    "region's driver must support it). Without it, restarts are soft again.",
)
suspend = action(
    "suspend",
    lambda _hard: _desired("stopped", "suspend", ("stop_mode", "suspend")),
    "Suspend assemblies NAMES: their desired state becomes stopped, with stop_mode suspend "
    "(each instance's memory is kept; the region's driver must support it). Observed, the "
    "instances are stopped; `vertice resume` (or `start`) resumes them without a boot.",
)
resume = action(
    "resume",
    lambda _hard: _desired("running", "resume"),
    "Resume assemblies NAMES (as `start` does): their desired state becomes running; "
    "suspended instances resume where they were, stopped ones boot.",
)

COMMANDS = [stop, start, restart, suspend, resume]
