"""The build controller: queued builds claimed and run, on the controller runtime.

Its one target is `builds`. `due` is one count of the builds any reconciler
could claim (queued, or running with a lapsed lease: its reconciler died), and
of the rollouts whose deadline has passed: a pass judges those too
(`building.rollouts`: a new revision that never became ready everywhere is
failed and the previous one released again).
A pass claims the oldest of them while this process has free workers
(`VERTICE_BUILD_WORKERS`) and the build's project has fewer than
`VERTICE_BUILD_PROJECT_LIMIT` builds running installation-wide, and starts
each in a thread of its own (`BuildRun`): builds take minutes, and a pass must
not. The pass is `busy` while any of its builds runs, so the runtime looks
again after `poll` and claims the next as soon as a worker is free. Closing the
controller cancels the builds in flight; their claims lapse and another
reconciler starts them over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from vertice_core.builder import Builder
from vertice_core.building.rollouts import Verdict, judge
from vertice_core.building.run import LEASE, BuildRun, Claimed
from vertice_core.config import BuildSettings
from vertice_core.crypto import SecretBox
from vertice_core.driver import RegionConfig
from vertice_core.errors import DriverError, UnavailableError
from vertice_core.metrics import Metrics
from vertice_core.runtime import Due
from vertice_core.store import Store
from vertice_core.store.repositories.builds import BuildRepository
from vertice_core.store.tables import RegionRow

log = logging.getLogger("vertice.builds")

TARGET = "builds"


@attrs.frozen
class BuildResult:
    """What a pass did."""

    target: str
    busy: bool = False
    error: str | None = None
    started: int = 0
    running: int = 0
    #: The verdicts on the rollouts judged (`building.rollouts`).
    rollouts: tuple[Verdict, ...] = ()


class BuildController:
    """See the module's docstring."""

    name = "builds"

    def __init__(
        self,
        store: Store,
        *,
        settings: BuildSettings,
        box: SecretBox,
        region_config: Callable[[RegionRow], RegionConfig],
        home: Path,
        holder: str,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.settings, self.box = store, settings, box
        self.region_config, self.home, self.holder = region_config, home, holder
        self.metrics = metrics or Metrics()
        self.clock = clock
        self._runs: dict[str, tuple[BuildRun, threading.Thread]] = {}
        self._lock = threading.Lock()

    def due(self, now: float) -> Due:
        with self.store.connect() as connection:
            waiting = BuildRepository.due(connection, now)
        return Due(targets=[TARGET], counts={TARGET: waiting} if waiting else {})

    def run_target(self, target: str) -> BuildResult:
        now = self.clock()
        started = 0
        free = self.settings.workers - self.running()
        with self.store.read() as session:  # one read: what to claim, what to judge
            builds = BuildRepository(session)
            candidates = [_claimed(r) for r in builds.claimable(now, limit=free * 8 + 8)] if (
                free > 0) else []  # fmt: skip
            per_project = builds.running_by_project(now) if candidates else {}
            judged = [b.id for b in builds.rollouts_due(now)]
        for build in candidates:
            if started >= free:
                break
            if per_project.get(build.project_id, 0) >= self.settings.project_limit:
                continue
            with self.store.write() as session:
                if not BuildRepository(session).claim(build.id, self.holder, now, LEASE):
                    continue
            per_project[build.project_id] = per_project.get(build.project_id, 0) + 1
            self._start(attrs.evolve(build, attempts=build.attempts + 1))
            started += 1
        verdicts = []
        if judged:
            with self.store.write() as session:
                verdicts = [judge(session, b) for b in BuildRepository(session).rows(judged)]
        running = self.running()
        return BuildResult(target, busy=running > 0, started=started, running=running,
                           rollouts=tuple(verdicts))  # fmt: skip

    def _start(self, build: Claimed) -> None:
        run = BuildRun(self.store, build, holder=self.holder, settings=self.settings,
                       box=self.box, config_of=self._config_of, home=self.home)  # fmt: skip
        thread = threading.Thread(target=self._run, args=(run,), name=f"build-{build.id}",
                                  daemon=True)  # fmt: skip
        with self._lock:
            self._runs[build.id] = (run, thread)
        thread.start()

    def _run(self, run: BuildRun) -> None:
        try:
            state = run.run()
            builder = run.builder.name if run.builder is not None else ""
            self.metrics.builds.labels(builder or "none", state.value).inc()
            log.info("build %s: %s", run.build.id, state.value)
        finally:
            with self._lock:
                self._runs.pop(run.build.id, None)

    def _config_of(self, region_name: str) -> RegionConfig:
        with self.store.read() as session:
            region = session.get(RegionRow, region_name)
            if region is None:
                raise UnavailableError(f"region {region_name!r} no longer exists")
            return self.region_config(region)

    def running(self) -> int:
        """Builds this process runs now."""
        with self._lock:
            return len(self._runs)

    def builders(self) -> list[Builder]:
        """The builders at work now (tests and tools)."""
        with self._lock:
            return [r.builder for r, _t in self._runs.values() if r.builder is not None]

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until this process's builds are over; whether they are (tests and tools)."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                threads = [t for _r, t in self._runs.values()]
            if not threads:
                return True
            for thread in threads:
                left = None if end is None else max(0.0, end - time.monotonic())
                thread.join(left)
            if end is not None and time.monotonic() >= end:
                return self.running() == 0

    def target_failed(self, target: str, error: DriverError) -> None:
        """Nothing to record: the builds stay claimable."""

    def error_result(self, target: str, message: str) -> BuildResult:
        return BuildResult(target, error=message)

    def close(self) -> None:
        """Stop the builds in flight and wait for their threads; their claims are let go,
        so another reconciler (or this one, restarted) starts them over."""
        with self._lock:
            runs = [r for r, _t in self._runs.values()]
        for run in runs:
            run.cancel(stopping=True)
        self.wait(timeout=30.0)


def _claimed(row: object) -> Claimed:
    return Claimed(**{f.name: getattr(row, f.name) for f in attrs.fields(Claimed)})
