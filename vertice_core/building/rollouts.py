"""Judging a new revision's rollout: running everywhere, ready, by its deadline; else undone.

A build released over an earlier revision (not an assembly's first release, not
a rollback) gets a rollout deadline, `BuildSettings.rollout_timeout` seconds
(`VERTICE_BUILD_ROLLOUT_TIMEOUT`, 600) after its release. The build controller
judges each rollout once its deadline has passed (`BuildRepository.due` counts
them, so an idle controller wakes for it), from what the assembly controller
last reported:

* **done**: every declared instance is ready and made since the release, and
  every instance listed runs the revision: the deadline is cleared;
* **moot**: the assembly has another release by now (a newer build, a rollback),
  is being deleted, or is not to run (stopped: it is replaced when it runs
  again): cleared;
* else **failed**: the build is marked failed (reason `RolloutFailed`, saying
  what was seen), the newest earlier successful build is released again (as
  `vertice rollback` does: its image, already built, is rolled out one instance
  at a time) and a Warning event `RolloutFailed` says so. The earlier revision
  never stopped serving meanwhile: a rolling replacement removes an old
  instance only once its new one is ready.
"""

from __future__ import annotations

import enum
from typing import Any

from vertice_core.building.releases import release
from vertice_core.model.status import Event, EventType
from vertice_core.store.repositories import EventRepository
from vertice_core.store.repositories.builds import BuildRepository
from vertice_core.store.tables import AssemblyRow, BuildRow, utcnow

__all__ = ["Verdict", "judge"]


class Verdict(enum.StrEnum):
    """What became of a rollout judged at its deadline."""

    DONE = "done"
    MOOT = "moot"
    FAILED = "failed"


def judge(session: Any, build: BuildRow) -> Verdict:
    """Judge the rollout of `build` (see the module's docstring)."""
    builds = BuildRepository(session)
    row = session.get(AssemblyRow, build.assembly_id, populate_existing=True)
    current = ((row.spec or {}).get("release") or {}) if row is not None else {}
    if row is None or row.desired_state != "running" or current.get("build_id") != build.id:
        builds.watch_rollout(build.id, None)
        return Verdict.MOOT
    missing = _not_done(row, build.revision)
    if missing is None:
        builds.watch_rollout(build.id, None)
        return Verdict.DONE
    message = f"revision {build.revision} did not run everywhere, ready, in time: {missing}"
    if not builds.fail_rollout(build.id, message):
        return Verdict.MOOT
    earlier = builds.succeeded_before(row.id, build.revision, None)
    if earlier is not None and release(
        session, row.id, revision=earlier.revision, build_id=earlier.id, image=earlier.image,
        commit=earlier.commit, back=True,
    ):  # fmt: skip
        then = f"revision {earlier.revision} (build {earlier.id}) is released again"
    else:
        then = "no earlier revision to go back to"
    event = Event(utcnow(), EventType.WARNING, "RolloutFailed", f"{message}; {then}", row.id,
                  region=row.region_name)  # fmt: skip
    EventRepository(session).add(row.project_id, [event])
    return Verdict.FAILED


def _not_done(row: AssemblyRow, revision: int) -> str | None:
    """What the assembly's last status says is not done yet for `revision`, or None."""
    status = row.status or {}
    instances = status.get("instances") or []
    others = sorted({i.get("revision") for i in instances if i.get("revision") != revision},
                    key=str)  # fmt: skip
    if others:
        return f"instances still run revision {', '.join(str(o) for o in others)}"
    for count in ("ready_replicas", "updated_replicas"):
        if int(status.get(count, 0)) < row.replicas:
            return (f"{status.get(count, 0)} of {row.replicas} instances "
                    f"{'ready' if count == 'ready_replicas' else 'made from it'}; phase "
                    f"{status.get('phase', '')} ({status.get('reason', '')})")  # fmt: skip
    return None
