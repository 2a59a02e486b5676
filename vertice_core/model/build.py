"""Applications built from source: the declared repository, builds and the release they make.

An assembly may be built from a git repository instead of running its plan's
image: its `source` (the design document's `apprepository` component) names
the URL, the branch, tag or commit, an optional subdirectory and recipe, and,
for a private repository, a token or a deploy key. Secrets are sealed at rest
(`SourceSpec`) and reads show only whether they are set (`SourceSummary`).

Each build is a row of its own (`Build`): the commit it fetched, the builder
that ran, its state and log, and the image it made. A build that succeeds
becomes the assembly's `Release` (a revision): the instances run its image,
and a later release replaces them one at a time. A failed build changes
nothing that runs.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from vertice_core.model.types import Name


@attrs.frozen
class AppSource:
    """The repository an assembly is built from, as declared (`source` of the declaration)."""

    #: `https://`, `ssh://`, `git://` or scp-like `git@host:path` (`file://` only where
    #: the operator allows local sources).
    url: str
    #: A branch, a tag or a 40-hex commit; empty: the repository's default branch.
    ref: str = ""
    #: The folder of the repository to build; empty: its root.
    subdirectory: str = ""
    #: The builder to use (`dockerfile`, `python`, `node`, `static`); empty: detected.
    recipe: str = ""
    #: A token for HTTPS (`secret` or `user:secret`); sealed at rest, never returned.
    token: str | None = attrs.field(default=None, repr=False)
    #: An OpenSSH private key for `ssh://`; sealed at rest, never returned.
    deploy_key: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class SourceSpec:
    """The stored form of a source: secrets only ever sealed."""

    url: str
    ref: str = ""
    subdirectory: str = ""
    recipe: str = ""
    sealed_token: str = ""
    sealed_deploy_key: str = ""


@attrs.frozen
class SourceSummary:
    """A source as reads show it: where it is, and whether a secret is set."""

    url: str
    ref: str = ""
    subdirectory: str = ""
    recipe: str = ""
    token_set: bool = False
    deploy_key_set: bool = False


@attrs.frozen
class Release:
    """What a source-built assembly's instances run: the image of one successful build."""

    #: Counts the assembly's builds from 1 (every build gets the next one).
    revision: int
    build_id: str
    image: str
    #: The commit the image was built from (40 hex digits).
    commit: str


class BuildState(enum.StrEnum):
    """Where a build is."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        """Whether the build is over (it will not change again)."""
        return self in (BuildState.SUCCEEDED, BuildState.FAILED, BuildState.CANCELLED)


@attrs.frozen
class BuildRequest:
    """The body of `POST /v3/builds`: build an assembly's source again, or another ref."""

    #: The assembly's name or id.
    assembly: str
    #: The branch, tag or commit to build; None: the one its source declares.
    ref: str | None = None
    #: The assembly's project; defaults to the caller's first project.
    project: Name | None = None


@attrs.frozen
class RollbackRequest:
    """The body of `POST /v3/assembly/{id}/rollback`."""

    #: The revision to run again (a successful build's); None: the newest one before the
    #: current release.
    revision: int | None = None


@attrs.frozen
class Build:
    """A build as reads return it."""

    id: str
    project: str
    assembly_id: str
    #: The assembly's name ("" once it is gone).
    assembly: str
    revision: int
    region: str
    #: The repository, safe to show (no secret is ever part of it).
    url: str
    ref: str
    subdirectory: str
    #: The recipe the source asked for ("" when the builder was detected).
    recipe: str
    state: BuildState
    #: The builder that ran ("" until one was chosen).
    builder: str = ""
    #: The commit fetched ("" until it was).
    commit: str = ""
    #: The image made ("" until the build succeeded).
    image: str = ""
    #: Why the build failed or was cancelled.
    reason: str = ""
    message: str = ""
    #: How many times a builder started on it (a reconciler that died mid-build restarts it).
    attempts: int = 0
    #: Characters of log stored so far (`GET /v3/builds/{id}/log?offset=` reads on from any).
    log_size: int = 0
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: Seconds from start to end (or to now, while it runs); None before it starts.
    duration: float | None = None


@attrs.frozen
class Webhook:
    """An assembly's push webhook as reads show it (its secret only when it is made)."""

    id: str
    assembly_id: str
    #: Where git hosts deliver pushes (`/v3/hooks/<id>`, relative to the API's URL).
    url: str
    created_at: datetime | None = None
    deliveries: int = 0
    last_delivery_at: datetime | None = None
    last_result: str = ""
    #: The secret to give the git host; only in the answer that made it, never again.
    secret: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class Delivery:
    """What a push delivery did: the build it queued, or why it built nothing."""

    #: `github`, `gitea` or `gitlab`.
    host: str
    build_id: str | None = None
    ignored: str | None = None
