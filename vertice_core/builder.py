"""The builder interface: what a plugin that turns source into an image must do, in types.

A builder turns a source tree (a git commit, already checked out by the build
controller) into something a region's instances can run: an image on a Docker
Engine, today. The build controller (`vertice_core.building`) picks the
builder, gives it the tree, a log to write to and a deadline, and records what
it returns. It owns the build's row, its state, its retries and its limits.

The contract, checked by the builders' own tests against a real engine:

* `detect(tree)` says, without I/O beyond reading files under `tree`, whether
  the builder can build that tree (a Dockerfile is there; a `requirements.txt`
  or `pyproject.toml`; a `package.json`...). The controller asks the builders
  that serve the region's cloud type, by `BuilderInfo.priority` (lowest first),
  when the source names no recipe; the first that says yes builds.
* `build(job, log)` builds `job.tree` into an image named `job.image` (a full
  reference, `localhost/vertice-<assembly>:<revision>`) carrying `job.labels`
  (a VM region's builder makes a `vertice_core.program.Program` instead and
  returns its reference: the VM fetches the commit and runs it at boot),
  writes what the build prints to `log` as it goes (the user reads it while it
  runs), and returns the reference it made. It must not run longer than
  `job.deadline` (epoch seconds): past it, it stops the build and raises
  `BuildFailed(message, reason="BuildTimedOut")`. It never touches what runs: a failed
  build leaves the instances of the previous revision serving.
* `cancel()` stops a build in flight from another thread (the controller's
  watchdog, a reconciler stopping); `build` then raises `BuildFailed`.
* Errors: `BuildFailed(message, reason=...)` when the tree cannot be built (a step
  failed, no Dockerfile, the recipe does not apply): the build fails with that
  reason and is not retried. `TransientError` when the builder could not work
  (the engine is down): the build is retried with backoff. Anything else is a
  bug, and fails the build with reason `BuilderError`.
* Secrets: the log is shown to the project's members; a builder never writes
  credentials to it. The source's token or deploy key never reaches a builder.

A builder is published as an entry point in group `vertice.builders` whose name
is the recipe's name (`dockerfile`, `python`, `node`, `static`) and whose object
is a `BuilderInfo`; the module holding it must be cheap to import (no SDK).
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

import attrs

from vertice_core.driver import RegionConfig
from vertice_core.errors import DriverError

__all__ = [
    "BUILDER_NAMESPACE",
    "BuildFailed",
    "BuildJob",
    "BuildLog",
    "Builder",
    "BuilderInfo",
]

BUILDER_NAMESPACE = "vertice.builders"


class BuildFailed(DriverError):
    """The tree cannot be built: the build fails with `reason` and is not retried."""

    reason = "BuildFailed"


class BuildLog(Protocol):
    """Where a builder writes what its build prints (the controller stores it, bounded)."""

    def write(self, text: str) -> None:
        """Append `text` (a line or a chunk; the controller adds nothing between chunks)."""


@attrs.frozen
class BuildJob:
    """One build, as a builder sees it."""

    #: The build's id (`bld-...`), for labels and logs.
    build_id: str
    #: The checked-out source: the repository's tree at `commit`, or its `subdirectory`.
    tree: Path
    #: The commit built (40 hex digits).
    commit: str
    #: The reference to give the image (`localhost/vertice-<assembly id>:<revision>`).
    image: str
    #: Labels the image must carry (installation, assembly, build, commit).
    labels: Mapping[str, str]
    #: When the build must be over (epoch seconds).
    deadline: float
    #: A folder the builder may use for its own files; removed after the build.
    scratch: Path
    #: The recipe the source asked for ("" when the builder was detected).
    recipe: str = ""
    #: Where the tree came from: the repository's URL (no credential in it), the ref
    #: fetched and the folder built (VM builders hand them to the VM, which fetches itself).
    url: str = ""
    ref: str = ""
    subdirectory: str = ""
    #: Whether the repository needed a token or deploy key (which never reaches a builder).
    private: bool = False


@attrs.frozen
class BuilderInfo:
    """What a `vertice.builders` entry point names: a builder, without importing it."""

    #: The recipe's name (the entry point's name): `dockerfile`, `python`...
    name: str
    #: `module:Class` of the `Builder`, imported when a build runs.
    factory: str
    #: The cloud types whose regions it builds for (`("docker",)`).
    cloud_types: frozenset[str]
    #: Its turn when the source names no recipe: lowest asked first.
    priority: int = 100
    description: str = ""
    #: Whether it builds from private repositories (a token or deploy key). A VM builder
    #: does not: its VMs fetch the source themselves, and a credential would travel in
    #: their user data, readable on the VM and shown in cloud consoles.
    private_sources: bool = True

    def load(self) -> type[Builder]:
        """Import the builder class."""
        module, _, name = self.factory.partition(":")
        found: Any = getattr(importlib.import_module(module), name)
        if not (isinstance(found, type) and issubclass(found, Builder)):
            raise TypeError(f"{self.factory} is not a vertice_core.builder.Builder")
        return found


class Builder(abc.ABC):
    """Builds source trees into images for one region (see the module's docstring)."""

    #: The recipe's name, as in its entry point.
    name: ClassVar[str] = ""

    def __init__(self, config: RegionConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def detect(self, tree: Path) -> bool:
        """Whether this builder can build `tree` (reads files only)."""

    @abc.abstractmethod
    def build(self, job: BuildJob, log: BuildLog) -> str:
        """Build `job.tree` into `job.image`, writing its output to `log`; the reference."""

    def cancel(self) -> None:  # noqa: B027 -- optional: a builder without it runs to its end
        """Stop the build in flight (called from another thread)."""

    def close(self) -> None:  # noqa: B027 -- optional
        """Release what the builder holds (clients, files)."""
