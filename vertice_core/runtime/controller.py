"""What a controller supplies to the runtime (see `docs/controllers.md`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar

import attrs

from vertice_core.errors import DriverError


@attrs.frozen
class Due:
    """A controller's due queue as the runtime sees it at one moment."""

    #: Every target the controller works on (regions, proxies...).
    targets: Sequence[str]
    #: Targets with rows due now, and how many rows each.
    counts: Mapping[str, int] = attrs.Factory(dict)
    #: The earliest due time of any due row (epoch seconds), for the lag metric.
    oldest: float | None = None


class PassResult(Protocol):
    """What a pass over one target reports to the runtime."""

    @property
    def busy(self) -> bool:
        """Something is in transition: look at the target again after `poll`."""

    @property
    def error(self) -> str | None:
        """Why the pass failed, if it did."""


R = TypeVar("R", bound=PassResult)
R_co = TypeVar("R_co", bound=PassResult, covariant=True)


class Controller(Protocol[R_co]):
    """A controller: the runtime schedules its targets and calls these.

    `run_target` makes one pass over a target: observe it once, read the target's rows,
    plan each with a pure function, claim (lease) the rows that need work, act, write
    statuses and events in batches, release. It raises `DriverError` when the whole
    target cannot be worked on (its API is down, its credentials are wrong): the runtime
    then backs the target off and calls `target_failed`, so the controller can tell its
    due rows why nothing happens.
    """

    #: A short name for logs (`assemblies`, `routes`...).
    name: str

    def due(self, now: float) -> Due:
        """The targets, and which have due rows at `now` (one cheap read)."""

    def run_target(self, target: str) -> R_co:
        """One pass over `target`."""

    def target_failed(self, target: str, error: DriverError) -> None:
        """The pass over `target` raised `error`: record it on the due rows."""

    def error_result(self, target: str, message: str) -> R_co:
        """The result to report for a pass that failed with `message`."""

    def close(self) -> None:
        """Release what the controller holds (connections, pools)."""
