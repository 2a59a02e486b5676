"""Every exception the core raises.

Two families live here:

* **Domain errors** (`VerticeError` subclasses) describe why a declaration, a
  change or a lookup cannot be honoured, in the domain's words (nothing here
  knows HTTP). The API maps each class to one HTTP status in one place
  (`vertice_api.errors`); the CLI prints their message. None carries a secret.
* **Driver errors** (`DriverError` subclasses) are what a driver raises instead
  of its SDK's exceptions. The reconciler only needs to know which of three
  classes an error belongs to: *transient* (retry with backoff), *terminal* (the
  spec cannot work here; wait for a change) or *unavailable* (the driver cannot
  work at all: SDK missing, credentials rejected).

This module imports nothing of the project, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class VerticeError(Exception):
    """Base of every error the core raises on purpose."""

    title = "Error"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class NotFound(VerticeError):
    """A resource does not exist, or exists in a project the caller cannot see."""

    title = "Not found"


class Conflict(VerticeError):
    """The request collides with the current state (a name in use, a plan still used)."""

    title = "Conflict"


class Unauthenticated(VerticeError):
    """The request does not prove who sent it (a webhook delivery without a valid signature)."""

    title = "Unauthorized"


class Forbidden(VerticeError):
    """The caller is known but may not do this (admin-only route, refused admission)."""

    title = "Forbidden"


class StaleVersion(VerticeError):
    """The caller named a version of the resource that is no longer the current one.

    A write that says which spec version it was made from (the API's `If-Match`)
    is refused when someone changed the spec since; `current` is the version now.
    """

    title = "Stale version"

    def __init__(self, description: str, current: int) -> None:
        super().__init__(description)
        self.current = current


class ConfigurationError(VerticeError):
    """The installation is misconfigured (a bad database URL, an unreadable key file)."""

    title = "Configuration error"


class Unavailable(VerticeError):
    """Something vertice needs (its database) cannot be reached right now; the same request
    may work in `retry_after` seconds (the API answers 503 with that `Retry-After`).

    The store raises it when connecting fails or the database dropped the connection
    (a restart), instead of the driver's exception: the layers above know no SQLAlchemy.
    """

    title = "Service unavailable"

    def __init__(self, description: str, retry_after: int = 5) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class Contended(Unavailable):
    """The database rolled a transaction back to keep concurrent ones consistent
    (SQLSTATE 40001, a serialization failure, CockroachDB's "restart transaction"; or
    40P01, a deadlock): nothing of it was stored and the same work can simply be tried
    again. The API retries a request that met it (`vertice_api.retrying`), the
    reconciler its pass; a 503 only when the contention outlasts the retries."""

    def __init__(self, description: str, retry_after: int = 1) -> None:
        super().__init__(description, retry_after)


class StorageFull(Unavailable):
    """The database's disk is full: nothing can be written until space is freed (the API
    answers 507; reads still work). Raised by the store instead of the driver's error."""

    title = "Insufficient storage"


class MalformedInput(VerticeError):
    """A document is not of the shape its format requires (a JSON Patch operation
    without `path`): the request itself is malformed, not the values it carries."""

    title = "Malformed input"

    def __init__(self, description: str, title: str | None = None) -> None:
        super().__init__(description)
        if title is not None:
            self.title = title


@dataclass(frozen=True)
class Problem:
    """One validation problem: where in the document (a JSON path) and what is wrong."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


#: The most problems an `InvalidInput` lists: a document with 60,000 wrong items gets the
#: first ones and a count, not a 23 MB answer (issue 17); and the most characters of one
#: problem's path and message (a message may quote the value, up to the body's size).
MAX_PROBLEMS = 50
MAX_PROBLEM_TEXT = 300
#: The most characters of the problems the description (the error's text, also logged)
#: repeats: all of them for a few, a start and a count for many.
MAX_DESCRIPTION = 1000


def _cut(text: str) -> str:
    return text if len(text) <= MAX_PROBLEM_TEXT else f"{text[: MAX_PROBLEM_TEXT - 3]}..."


def bounded(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """The problems once each, in order, each cut to `MAX_PROBLEM_TEXT` characters, at most
    `MAX_PROBLEMS` of them, the last saying how many more there were. Reads the iterable
    to its end (it is already built: the count must be right)."""
    seen: dict[Problem, None] = {}
    more = 0
    for problem in problems:
        cut = Problem(_cut(problem.path), _cut(problem.message))
        if cut in seen:
            continue
        if len(seen) < MAX_PROBLEMS:
            seen[cut] = None
        else:
            more += 1
    kept = tuple(seen)
    if more:
        kept += (Problem("$", f"and {more} more problems not listed"),)
    return kept


class InvalidInput(VerticeError):
    """A document failed validation; `problems` names every field that is wrong."""

    title = "Invalid input"

    def __init__(self, problems: Iterable[Problem], description: str | None = None) -> None:
        self.problems: Sequence[Problem] = bounded(problems)
        if description is None:
            description = "; ".join(f"{p.path}: {p.message}" for p in self.problems)
            if len(description) > MAX_DESCRIPTION:
                count = len(self.problems)
                description = f"{description[:MAX_DESCRIPTION]}... ({count} problems listed)"
        super().__init__(description or "the document is invalid")

    @classmethod
    def at(cls, path: str, message: str) -> InvalidInput:
        """A single problem at one path."""
        return cls([Problem(path, message)])


class DriverError(Exception):
    """Base of the errors a driver raises; `reason` is a short CamelCase word."""

    reason = "DriverError"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class TransientError(DriverError):
    """The call may work later (network, 5xx, throttling, a cloud not ready yet)."""

    reason = "CloudUnavailable"


class Throttled(TransientError):
    """The cloud asked us to slow down; `retry_after`: the seconds it asked us to wait, if it said.

    The reconciler waits at least that long (its `backoff_cap` at most) before it tries
    again, on the assembly or, when a whole pass failed, on the region.
    """

    reason = "Throttled"

    def __init__(
        self, message: str, *, reason: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, reason=reason)
        self.retry_after = retry_after


def wait_asked(error: BaseException | None, cap: float) -> float:
    """The seconds a throttling `error` asked to wait (0 for any other error), at most `cap`."""
    if isinstance(error, Throttled) and error.retry_after is not None:
        return min(max(error.retry_after, 0.0), cap)
    return 0.0


class TerminalError(DriverError):
    """The spec cannot work in this region as it stands; retrying will not help."""

    reason = "InvalidSpec"


class QuotaExceeded(TerminalError):
    """The account or the cloud has no capacity left for this spec."""

    reason = "QuotaExceeded"


class UnavailableError(DriverError):
    """The driver cannot work at all: its SDK is missing or the credentials are rejected."""

    reason = "DriverUnavailable"


class AuthFailed(UnavailableError):
    """The cloud rejected the region's credentials."""

    reason = "AuthFailed"
