"""One build, start to end, in its own thread: fetch the commit, choose a builder, build, record.

`BuildRun.run` never raises. Its outcome is one of:

* **succeeded**: the image becomes the assembly's release when it is newer than
  the release it has (`release`); the instances of an assembly that already
  ran a release are then replaced one at a time (`replace_count` is raised), so
  the rolling replacement and its health checks apply; an event says so.
* **failed**: the reason and message are the builder's or the fetch's; what ran
  before keeps running; an assembly with no release yet shows `BuildFailed`.
* **retried**: the builder could not work (its engine is down: `TransientError`):
  the claim is let go with a lease that lapses after a backoff, so a pass of any
  reconciler claims it again, up to `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from vertice_core.builder import Builder, BuildFailed, BuildJob
from vertice_core.building import builders
from vertice_core.building.logsink import StoredLog
from vertice_core.building.releases import release
from vertice_core.building.source import fetch
from vertice_core.config import BuildSettings
from vertice_core.crypto import SecretBox
from vertice_core.driver import TAG_ASSEMBLY, TAG_INSTALLATION, RegionConfig
from vertice_core.errors import DriverError, TransientError
from vertice_core.model.build import BuildState
from vertice_core.model.status import Event, EventType
from vertice_core.redact import loggable, public_error, public_message
from vertice_core.runtime import backoff
from vertice_core.store import Store
from vertice_core.store.repositories import EventRepository
from vertice_core.store.repositories.builds import BuildRepository
from vertice_core.store.tables import AssemblyRow, utcnow

log = logging.getLogger("vertice.builds")

#: A build whose builder could not work is tried this many times in all.
MAX_ATTEMPTS = 3
#: Seconds a claim lasts without renewal (the log's heartbeat renews it).
LEASE = 30.0
#: Label of the build an image was made by, and of the commit it holds.
LABEL_BUILD = "vertice-build"
LABEL_COMMIT = "vertice-commit"


@attrs.frozen
class Claimed:
    """What a build's thread needs of its row, read when it was claimed."""

    id: str
    project_id: str
    assembly_id: str
    revision: int
    region_name: str
    url: str
    ref: str
    subdirectory: str
    recipe: str
    attempts: int


class BuildRun:
    """One claimed build (see the module's docstring)."""

    def __init__(
        self,
        store: Store,
        build: Claimed,
        *,
        holder: str,
        settings: BuildSettings,
        box: SecretBox,
        config_of: Callable[[str], RegionConfig],
        home: Path,
        on_builder: Callable[[Builder | None], None] = lambda _b: None,
    ) -> None:
        self.store, self.build, self.holder = store, build, holder
        self.settings, self.box, self.config_of, self.home = settings, box, config_of, home
        self.on_builder = on_builder
        self.builder: Builder | None = None
        #: The endpoint of the build's region, once known (what `_public` leaves out).
        self.endpoints: tuple[str, ...] = ()
        self.cancelled = False
        #: The process is stopping: the build is let go (another reconciler starts it over),
        #: not cancelled.
        self.stopping = False

    def cancel(self, *, stopping: bool = False) -> None:
        """Stop the build (a cancel asked through the API, or the process stopping)."""
        self.stopping = self.stopping or stopping
        self.cancelled = True
        builder = self.builder
        if builder is not None:
            builder.cancel()

    def run(self) -> BuildState:
        """Run the build to its end; the state it ended in (`RUNNING`: let go, to retry)."""
        b = self.build
        scratch = self.home / "builds" / b.id
        shutil.rmtree(scratch, ignore_errors=True)
        (scratch / "work").mkdir(parents=True)
        token, deploy_key = self._secrets()
        sink = StoredLog(
            self.store, b.id, self.holder, limit=self.settings.log_limit, lease=LEASE,
            on_cancel=self.cancel, secrets=[token, deploy_key],
        )  # fmt: skip
        sink.start()
        deadline = time.time() + self.settings.timeout
        try:
            sink.write(f"build {b.id}: revision {b.revision}, attempt {b.attempts}\n")
            checkout = fetch(
                b.url, b.ref, scratch / "source", subdirectory=b.subdirectory, token=token,
                deploy_key=deploy_key, allow_local=self.settings.allow_local,
                deadline=deadline, log=sink,
            )  # fmt: skip
            sink.flush(commit=checkout.commit)
            self._check_cancelled()
            config = self.config_of(b.region_name)
            self.endpoints = (config.endpoint,)
            builder = self._builder(config, checkout.tree, sink)
            sink.flush(builder=builder.name)
            labels = {TAG_INSTALLATION: config.installation_id, TAG_ASSEMBLY: b.assembly_id,
                      LABEL_BUILD: b.id, LABEL_COMMIT: checkout.commit}  # fmt: skip
            image = builder.build(
                BuildJob(build_id=b.id, tree=checkout.tree, commit=checkout.commit,
                         image=f"localhost/vertice-{b.assembly_id}:{b.revision}", labels=labels,
                         deadline=deadline, scratch=scratch / "work", recipe=b.recipe,
                         url=b.url, ref=b.ref, subdirectory=b.subdirectory,
                         private=bool(token or deploy_key)),
                sink,
            )  # fmt: skip
            self._check_cancelled()
            sink.write(f"built {image}\n")
            sink.close()
            return self._succeeded(image, checkout.commit, builder.name)
        except TransientError as exc:
            public = self._public(exc)
            sink.write(f"the builder could not work: {public.message}\n")
            sink.close()
            return self._retry(public)
        except DriverError as exc:
            public = self._public(exc)
            reason = exc.reason or "BuildFailed"
            sink.write(f"build failed: {reason}: {public.message}\n")
            sink.close()
            return self._failed(reason, public.message)
        except Exception as exc:  # a builder's bug must not take the reconciler down
            log.exception("build %s: the builder failed", b.id)  # its text and traceback
            text = public_message(f"{type(exc).__name__}: {exc}", endpoints=self.endpoints)
            sink.write(f"build failed: {text}\n")
            sink.close()
            return self._failed("BuilderError", text)
        finally:
            sink.close()
            if self.builder is not None:
                self.builder.close()
                self.on_builder(None)
            shutil.rmtree(scratch, ignore_errors=True)

    def _public(self, error: DriverError) -> DriverError:
        """What the build's project may see of `error` (the build's status, its log and
        the assembly's events are theirs); its full message is logged here, once."""
        b = self.build
        log.warning("build %s of assembly %s failed: %s: %s", b.id, b.assembly_id,
                    error.reason, loggable(error.message))  # fmt: skip
        return public_error(error, endpoints=self.endpoints)

    def _check_cancelled(self) -> None:
        if self.cancelled:
            raise BuildFailed("the build was cancelled", reason="BuildCancelled")

    def _secrets(self) -> tuple[str, str]:
        """The source's token and deploy key, opened from the assembly's spec."""
        with self.store.read() as session:
            row = session.get(AssemblyRow, self.build.assembly_id)
            source = (row.spec or {}).get("source") if row is not None else None
        if not source:
            return "", ""
        return tuple(  # type: ignore[return-value]
            self.box.open(source[k]) if source.get(k) else ""
            for k in ("sealed_token", "sealed_deploy_key")
        )

    def _builder(self, config: RegionConfig, tree: Path, sink: StoredLog) -> Builder:
        """The builder the source names, else the first of the region's that detects `tree`."""
        available = builders.serving(config.cloud_type)
        if self.build.recipe:
            available = [i for i in available if i.name == self.build.recipe]
        if not available:
            raise BuildFailed(
                f"no builder {self.build.recipe or ''} builds for {config.cloud_type!r} regions",
                reason="NoBuilder",
            )
        for info in available:
            builder = info.load()(config)
            if self.build.recipe or builder.detect(tree):
                sink.write(f"builder: {info.name}\n")
                self.builder = builder
                self.on_builder(builder)
                return builder
            builder.close()
        names = ", ".join(i.name for i in available)
        raise BuildFailed(f"no recipe recognises the source (tried {names}): add a Dockerfile, "
                          "or name a recipe", reason="NoRecipe")  # fmt: skip

    def _succeeded(self, image: str, commit: str, builder: str) -> BuildState:
        b = self.build
        with self.store.write() as session:
            if not BuildRepository(session).finish(
                b.id, self.holder, BuildState.SUCCEEDED, image=image, commit=commit, builder=builder
            ):
                return BuildState.RUNNING  # fmt: skip
            released = release(session, b.assembly_id, revision=b.revision, build_id=b.id,
                               image=image, commit=commit)  # fmt: skip
            if released is not None and released.previous is not None:
                # a new revision over a serving one: judged at its deadline (rollouts)
                deadline = time.time() + self.settings.rollout_timeout
                BuildRepository(session).watch_rollout(b.id, deadline)
            if released:
                self._event(session, EventType.NORMAL, "Released",
                            f"revision {b.revision} (build {b.id}, commit {commit[:12]}) is "
                            "what the instances run now")  # fmt: skip
        return BuildState.SUCCEEDED

    def _failed(self, reason: str, message: str) -> BuildState:
        b = self.build
        if self.stopping:  # not the build's fault: let another reconciler start it over
            with self.store.write() as session:
                BuildRepository(session).let_go(b.id, self.holder, 0.0)
            return BuildState.RUNNING
        state = BuildState.CANCELLED if reason == "BuildCancelled" else BuildState.FAILED
        with self.store.write() as session:
            builds = BuildRepository(session)
            if not builds.finish(b.id, self.holder, state, reason=reason, message=message):
                return BuildState.RUNNING
            builds.wait(b.assembly_id, f"BuildFailed: build {b.id} (revision {b.revision}) "
                                       f"failed: {reason}: {message}")  # fmt: skip
            self._event(session, EventType.WARNING, "BuildFailed",
                        f"build {b.id} (revision {b.revision}) failed: {reason}: {message}; "
                        "what ran before still runs")  # fmt: skip
        return state

    def _retry(self, error: DriverError) -> BuildState:
        """Let the claim go, to be claimed again after a backoff (or fail after the last)."""
        b = self.build
        if b.attempts >= MAX_ATTEMPTS:
            return self._failed(error.reason, f"{error.message} (after {b.attempts} attempts)")
        delay = backoff(b.attempts, base=2.0, cap=60.0, rng=random.Random())  # noqa: S311
        with self.store.write() as session:
            BuildRepository(session).let_go(b.id, self.holder, time.time() + delay,
                                            reason=error.reason, message=error.message)  # fmt: skip
        return BuildState.RUNNING

    def _event(self, session: Any, kind: EventType, reason: str, message: str) -> None:
        event = Event(utcnow(), kind, reason, message, self.build.assembly_id,
                      region=self.build.region_name)  # fmt: skip
        EventRepository(session).add(self.build.project_id, [event])
