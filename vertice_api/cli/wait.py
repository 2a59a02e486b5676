"""`--wait`: follow assemblies until they converge, fail, or the time is up.

An assembly has converged when the reconciler has seen its latest spec
(`status.observed_generation` >= the generation our write produced) and both
its `Ready` and `Synced` conditions are true (and, when a number of replicas
was asked for, as many instances are ready; after a restart, once
`status.restarts_done` reached the `restart_count` we set and a pass saw the
instances after their reboot); a deleted one when the API answers 404.
A FAILED phase at that generation is a failure. One or a few assemblies
show every phase change as a line; many show a progress bar
(redrawn on a terminal, a line per step otherwise) and only their failures.
Only a status the reconciler wrote after the change is shown: before it has
seen the change, the status still tells of the assembly as it was (a stop would
show RUNNING first).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli.connect import Failure, TimedOut

if TYPE_CHECKING:
    from vertice_api.client import Client

#: From this many assemblies on, a progress bar replaces the lines of phase changes.
BAR_FROM = 4
#: Seconds between two looks at the API.
INTERVAL = 0.5
#: The reason of the pass that asked for the reboots: the restart is under way, and a
#: later pass tells how the instances came back.
RESTARTING = "Restarting"


def wait_options(func: Any) -> Any:
    """`--wait` and `--timeout`."""
    func = click.option(
        "--timeout",
        type=click.FloatRange(min=0),
        metavar="SECONDS",
        default=300.0,
        show_default=True,
        help="With --wait: give up after this many seconds (exit code 3).",
    )(func)
    return click.option(
        "--wait",
        is_flag=True,
        help="Wait until converged, showing progress; exit 1 on FAILED, 3 on timeout.",
    )(func)


@dataclass
class Tracked:
    """One assembly being waited on: until it is ready (at `generation`) or gone."""

    name: str
    uri: str
    generation: int
    until: str = "ready"
    shown: str = ""
    #: How many ready instances to wait for (None: whatever the assembly declares).
    replicas: int | None = None
    #: Of a restart (`until` "restarted"): the `restart_count` our write set.
    restarts: int = 0

    @classmethod
    def of(
        cls, document: Mapping[str, Any], until: str = "ready", *, replicas: int | None = None
    ) -> Tracked:
        """Track the assembly `document` as a write just returned it."""
        return cls(
            document["name"], document["uri"], int(document["generation"]), until,
            replicas=replicas, restarts=int(document.get("restart_count") or 0),
        )  # fmt: skip

    @classmethod
    def declared(cls, document: Mapping[str, Any], declaration: Mapping[str, Any]) -> Tracked:
        """Track the assembly `document` that `declaration` created or updated, waiting for
        the replicas the declaration asks for (whatever it declares when it says none)."""
        replicas = declaration.get("replicas")
        return cls.of(document, replicas=replicas if type(replicas) is int else None)


def _condition(status: Mapping[str, Any], kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions", [])
    )


def look(client: Client, tracked: Tracked) -> tuple[str, str]:
    """`(outcome, line)`: outcome is `done`, `failed` or `waiting`; line describes the state."""
    from vertice_api.client import ApiError

    try:
        document = client.get(tracked.uri, select_attr="generation,status")
    except ApiError as exc:
        if exc.status != 404:
            raise
        if tracked.until == "gone":
            return "done", f"{tracked.name}: deleted"
        return "failed", f"{tracked.name}: was deleted"
    status = document.get("status", {})
    seen = int(status.get("observed_generation") or 0) >= tracked.generation
    if not seen and tracked.until != "gone":
        return "waiting", ""  # the status of the assembly as it was before our change
    phase = status.get("phase", "?")
    line = f"{tracked.name}: {phase}"
    if status.get("reason"):
        line += f" ({status['reason']})"
    if status.get("message"):
        line += f": {status['message']}"
    counted = True
    if tracked.until == "replaced":
        # A rolling replacement: every instance new, and the old ones gone.
        updated = int(status.get("updated_replicas") or 0)
        declared = int(status.get("replicas") or 0)
        line += f" [{updated}/{declared} replaced]"
        counted = updated == declared and len(status.get("instances") or []) == declared
    elif tracked.until == "restarted":
        done = int(status.get("restarts_done") or 0)
        line += f" [restarts done {min(done, tracked.restarts)}/{tracked.restarts}]"
        counted = done >= tracked.restarts and status.get("reason") != RESTARTING
    elif tracked.replicas is not None:
        ready = int(status.get("ready_replicas") or 0)
        line += f" [{ready}/{tracked.replicas} ready]"
        # Scaled down, the instances beyond the count may still be listed (draining)
        # when the kept ones are ready: done once they are gone too.
        instances = len(status.get("instances") or [])
        counted = ready == tracked.replicas and instances == tracked.replicas
    if tracked.until in ("ready", "replaced", "restarted"):
        if phase == "FAILED":
            return "failed", line
        if counted and _condition(status, "Ready") and _condition(status, "Synced"):
            return "done", line
    return "waiting", line


class Bar:
    """A progress bar of done/total: redrawn on a terminal, a line per change otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = -1
        self.tty = sys.stdout.isatty()

    def show(self, done: int) -> None:
        """Show `done` of `total`, if it changed."""
        if done == self.done:
            return
        self.done = done
        filled = round(30 * done / self.total) if self.total else 30
        text = f"[{'#' * filled}{'-' * (30 - filled)}] {done}/{self.total} converged"
        click.echo(f"\r{text}" if self.tty else text, nl=not self.tty)

    def clear(self) -> None:
        """Make room for a line of text (on a terminal)."""
        if self.tty:
            click.echo("\r\033[K", nl=False)
            self.done = -1

    def close(self) -> None:
        """End the bar's line."""
        if self.tty:
            click.echo()


def wait_for(client: Client, tracked: Sequence[Tracked], timeout: float) -> None:
    """Wait for every tracked assembly; `Failure` on FAILED (exit 1) or timeout (exit 3)."""
    pending = list(tracked)
    bar = Bar(len(pending)) if len(pending) >= BAR_FROM else None
    failed: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        for item in list(pending):
            outcome, line = look(client, item)
            if outcome != "waiting":
                pending.remove(item)
            if outcome == "failed":
                failed.append(line)
            if line and line != item.shown and (bar is None or outcome == "failed"):
                if bar is not None:
                    bar.clear()
                click.echo(line)
            item.shown = line or item.shown
        if bar is not None:
            bar.show(len(tracked) - len(pending))
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(min(INTERVAL, max(0.0, deadline - time.monotonic())))
    if bar is not None:
        bar.close()
    problems = list(failed)
    if pending:
        states = "; ".join(
            p.shown or f"{p.name}: the reconciler has not seen the change yet" for p in pending
        )
        problems.append(f"timed out after {timeout:g}s waiting for {states}")
    if problems:
        raise (Failure if failed else TimedOut)("\n".join(problems))
