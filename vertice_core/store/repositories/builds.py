"""Builds: requested by the API, claimed, logged and finished by the build controller.

A build is claimed with a lease on its own row (`holder`, `lease_until`) rather
than in the `leases` table: the row is the unit of work, and a claim is one
conditional UPDATE (queued, or running with its lease run out), so two
reconcilers never run the same build and a build whose reconciler died is
claimed again. Every write of the controller names its holder: a build that
another reconciler claimed since is not written by the one that lost it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vertice_core.ids import new_id
from vertice_core.model.build import BuildState
from vertice_core.store.fastread import NOW, FastQuery
from vertice_core.store.tables import AssemblyRow, BuildLogRow, BuildRow, utcnow

_QUEUED = BuildState.QUEUED.value
_RUNNING = BuildState.RUNNING.value


def _judged(now: Any) -> Any:
    """A build whose rollout deadline has passed."""
    return BuildRow.rollout_deadline <= now  # NULL (no deadline) compares as not true


def _claimable(now: Any) -> Any:
    """Builds a reconciler may claim at `now`: queued, or running with a lapsed lease."""
    return or_(
        BuildRow.state == _QUEUED,
        and_(BuildRow.state == _RUNNING, BuildRow.lease_until < now),
    )


_DUE = FastQuery(select(func.count().label("due")).where(or_(_claimable(NOW), _judged(NOW))))


class BuildRepository:
    """Rows of `builds` and `build_logs`; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the API's --

    def create(self, **values: Any) -> BuildRow | None:
        """Insert a queued build at the assembly's next revision; None when another
        request took that revision meanwhile (the unique index)."""
        revision = self.session.scalar(
            select(func.coalesce(func.max(BuildRow.revision), 0)).where(
                BuildRow.assembly_id == values["assembly_id"]
            )
        )
        row = BuildRow(id=new_id("bld"), created_at=utcnow(), revision=int(revision or 0) + 1,
                       **values)  # fmt: skip
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return None
        return row

    def supersede(self, assembly_id: str, newer: str) -> int:
        """Cancel the assembly's queued builds other than `newer` (a newer one replaces
        them); how many."""
        result = self.session.execute(
            update(BuildRow)
            .where(BuildRow.assembly_id == assembly_id, BuildRow.state == _QUEUED)
            .where(BuildRow.id != newer)
            .values(state=BuildState.CANCELLED.value, reason="Superseded",
                    message=f"build {newer} was requested after it", finished_at=time.time())
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        return int(getattr(result, "rowcount", 0) or 0)

    def get(self, build_id: str, scope: Sequence[str] | None) -> BuildRow | None:
        """The build with `build_id` if its project is one of `scope` (None: any)."""
        row = self.session.get(BuildRow, build_id)
        if row is None or (scope is not None and row.project_id not in scope):
            return None
        return row

    def in_projects(
        self, scope: Sequence[str] | None, assembly_id: str | None = None, limit: int = 100
    ) -> Sequence[BuildRow]:
        """The newest builds of the `scope` projects (None: any), of one assembly if given."""
        query = select(BuildRow).order_by(BuildRow.created_at.desc(), BuildRow.id.desc())
        if scope is not None:
            query = query.where(BuildRow.project_id.in_(scope))
        if assembly_id is not None:
            query = query.where(BuildRow.assembly_id == assembly_id)
        return self.session.scalars(query.limit(limit)).all()

    def log(self, build_id: str, offset: int, limit: int) -> str:
        """At most `limit` characters of the build's log from `offset` on."""
        rows = self.session.execute(
            select(BuildLogRow.offset, BuildLogRow.text)
            .where(BuildLogRow.build_id == build_id)
            .where(BuildLogRow.offset + func.length(BuildLogRow.text) > offset)
            .order_by(BuildLogRow.offset)
        )
        parts: list[str] = []
        size = 0
        for start, text in rows:
            piece = text[max(0, offset - start) :]
            parts.append(piece[: limit - size])
            size += len(parts[-1])
            if size >= limit:
                break
        return "".join(parts)

    def assembly_names(self, ids: set[str]) -> dict[str, str]:
        """The names of the assemblies with these ids (gone ones are left out)."""
        if not ids:
            return {}
        rows = self.session.execute(
            select(AssemblyRow.id, AssemblyRow.name).where(AssemblyRow.id.in_(sorted(ids)))
        )
        return dict(rows.tuples().all())

    def succeeded_before(
        self, assembly_id: str, current: int, revision: int | None
    ) -> BuildRow | None:
        """The assembly's successful build of `revision` (below `current`), or else its
        newest successful build below `current`."""
        query = select(BuildRow).where(
            BuildRow.assembly_id == assembly_id,
            BuildRow.state == BuildState.SUCCEEDED.value,
            BuildRow.revision < current,
        )
        if revision is not None:
            query = query.where(BuildRow.revision == revision)
        return self.session.scalars(query.order_by(BuildRow.revision.desc()).limit(1)).first()

    def cancel(self, row: BuildRow) -> None:
        """Cancel a queued build now; ask a running one's builder to stop."""
        if row.state == _QUEUED:
            row.state, row.reason = BuildState.CANCELLED.value, "Cancelled"
            row.message, row.finished_at = "cancelled before it started", time.time()
        elif row.state == _RUNNING:
            row.cancel_requested = True
        self.session.flush()

    # -- the build controller's --

    @staticmethod
    def due(connection: Connection, now: float) -> int:
        """How many builds a reconciler could claim at `now`, and rollouts to judge (one
        statement on the DBAPI cursor, `fastread`: the build controller polls it)."""
        row = _DUE.first(connection, now=now)
        return int(row.due or 0) if row is not None else 0

    def rows(self, ids: Sequence[str]) -> Sequence[BuildRow]:
        """The builds of `ids` that exist, read afresh."""
        query = (
            select(BuildRow).where(BuildRow.id.in_(ids)).execution_options(populate_existing=True)
        )
        return self.session.scalars(query).all()

    def rollouts_due(self, now: float, limit: int = 100) -> Sequence[BuildRow]:
        """The builds whose rollout deadline has passed (`building.rollouts` judges them)."""
        query = select(BuildRow).where(_judged(now)).order_by(BuildRow.rollout_deadline)
        return self.session.scalars(query.limit(limit)).all()

    def watch_rollout(self, build_id: str, deadline: float | None) -> None:
        """Set (or, with None, clear) the build's rollout deadline."""
        self.session.execute(
            update(BuildRow)
            .where(BuildRow.id == build_id)
            .values(rollout_deadline=deadline)
            .execution_options(synchronize_session=False)
        )

    def fail_rollout(self, build_id: str, message: str) -> bool:
        """Fail a succeeded build whose revision never became healthy; False if it is not
        (any longer) a succeeded build with a deadline."""
        result = self.session.execute(
            update(BuildRow)
            .where(BuildRow.id == build_id, BuildRow.rollout_deadline.is_not(None))
            .where(BuildRow.state == BuildState.SUCCEEDED.value)
            .values(
                state=BuildState.FAILED.value,
                reason="RolloutFailed",
                message=message,
                rollout_deadline=None,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def claimable(self, now: float, limit: int) -> Sequence[BuildRow]:
        """The oldest claimable builds."""
        query = select(BuildRow).where(_claimable(now)).order_by(BuildRow.created_at, BuildRow.id)
        return self.session.scalars(query.limit(limit)).all()

    def running_by_project(self, now: float) -> dict[str, int]:
        """Running builds (with a live lease) per project."""
        rows = self.session.execute(
            select(BuildRow.project_id, func.count())
            .where(BuildRow.state == _RUNNING, BuildRow.lease_until >= now)
            .group_by(BuildRow.project_id)
        )
        return {project: int(count) for project, count in rows}

    def claim(self, build_id: str, holder: str, now: float, lease: float) -> bool:
        """Claim a build for `holder` until `now + lease`; False when it is not claimable."""
        result = self.session.execute(
            update(BuildRow)
            .where(BuildRow.id == build_id, _claimable(now))
            .values(state=_RUNNING, holder=holder, lease_until=now + lease, started_at=now,
                    attempts=BuildRow.attempts + 1, log_size=0, commit="", builder="")
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if getattr(result, "rowcount", 0):
            # A build claimed again (its reconciler died) starts its log over.
            self.session.execute(delete(BuildLogRow).where(BuildLogRow.build_id == build_id))
            return True
        return False

    def renew(self, build_id: str, holder: str, until: float, **values: Any) -> bool | None:
        """Extend `holder`'s lease (and write `values`); whether a cancel was asked, or
        None when the build is no longer `holder`'s."""
        result = self.session.execute(
            update(BuildRow)
            .where(BuildRow.id == build_id, BuildRow.holder == holder, BuildRow.state == _RUNNING)
            .values(lease_until=until, **values)
            .returning(BuildRow.cancel_requested)
        )
        found = result.first()
        return None if found is None else bool(found[0])

    def let_go(self, build_id: str, holder: str, until: float, **values: Any) -> None:
        """Give up `holder`'s claim: the build is claimable again once `until` passed."""
        self.session.execute(
            update(BuildRow)
            .where(BuildRow.id == build_id, BuildRow.holder == holder, BuildRow.state == _RUNNING)
            .values(holder="", lease_until=until, **values)
            .execution_options(synchronize_session=False)
        )

    def append_log(self, build_id: str, offset: int, text: str) -> None:
        """Store a chunk of log at `offset` (the caller keeps `log_size` with `renew`)."""
        self.session.execute(insert(BuildLogRow), [{"build_id": build_id, "offset": offset,
                                                    "text": text}])  # fmt: skip

    def finish(self, build_id: str, holder: str, state: BuildState, **values: Any) -> bool:
        """Record the end of `holder`'s build; False when it is no longer theirs."""
        result = self.session.execute(
            update(BuildRow)
            .where(BuildRow.id == build_id, BuildRow.holder == holder, BuildRow.state == _RUNNING)
            .values(state=state.value, finished_at=time.time(), lease_until=0.0, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def assembly(self, assembly_id: str) -> AssemblyRow | None:
        """The build's assembly, if it still exists."""
        return self.session.get(AssemblyRow, assembly_id)

    def wait(self, assembly_id: str, text: str) -> None:
        """Say why an assembly with no release yet waits (and wake its reconciler)."""
        self.session.execute(
            update(AssemblyRow)
            .where(AssemblyRow.id == assembly_id, AssemblyRow.build_wait.is_not(None))
            .values(build_wait=text, due_at=time.time())
            .execution_options(synchronize_session=False)
        )
