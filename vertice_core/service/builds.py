"""Builds: request, list, read, follow the log of, and cancel, for any caller of the domain.

A build is requested for an assembly built from source (its first one is
queued when the assembly is declared), optionally of another ref than the
source declares; a queued build the new one makes pointless is cancelled
(`Superseded`). A build of a project the caller is not a member of answers
"not found", like a missing one. The build controller (`vertice_core.building`)
runs them; nothing here fetches or builds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from vertice_core.building.policy import ref_problem
from vertice_core.building.releases import release
from vertice_core.errors import Conflict, InvalidInput, NotFound
from vertice_core.model.build import Build, BuildRequest, BuildState
from vertice_core.model.status import Event, EventType
from vertice_core.service import sources
from vertice_core.service.resolve import project_id_for, project_name, visible_project
from vertice_core.store.repositories import AssemblyRepository, EventRepository
from vertice_core.store.repositories.builds import BuildRepository
from vertice_core.store.tables import AssemblyRow, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.store.tables import BuildRow

#: The most characters of log one read returns.
MAX_LOG_READ = 1_048_576
#: The most builds one listing returns (newest first).
MAX_LISTED = 200


class BuildService:
    """Every operation on builds (see the module's docstring)."""

    def request(self, session: Session, caller: Caller, request: BuildRequest) -> Build:
        """Queue a build of an assembly's source (of `request.ref`, else its declared ref)."""
        project_id = project_id_for(session, caller, request.project)
        assembly = assembly_row(session, project_id, request.assembly)
        source = sources.stored_source(assembly.spec or {})
        if source is None:
            raise InvalidInput.at("$.assembly", f"assembly {assembly.name!r} is not built from "
                                  "source: it runs its plan's image")  # fmt: skip
        if assembly.desired_state == "deleted":
            raise Conflict(f"assembly {assembly.name!r} is being deleted")
        if request.ref is not None:
            problem = ref_problem(request.ref)
            if problem:
                raise InvalidInput.at("$.ref", problem)
        row = sources.queue_build(
            session, assembly_id=assembly.id, project_id=project_id,
            region=assembly.region_name, source=source, ref=request.ref,
        )  # fmt: skip
        if row is None:
            raise Conflict("another build of the assembly was requested at the same time; retry")
        BuildRepository(session).wait(assembly.id, sources.awaiting(row.revision, row.id))
        return build_of(row, project_name(session, caller, project_id), assembly.name)

    def visible(
        self, session: Session, caller: Caller, project: str | None, assembly: str | None
    ) -> list[Build]:
        """The newest builds the caller may see (of one project, of one assembly)."""
        scope = caller.scope if project is None else [visible_project(session, caller, project)]
        assembly_id = None
        if assembly is not None:
            assembly_id = assembly_row(
                session, project_id_for(session, caller, project), assembly
            ).id
        rows = BuildRepository(session).in_projects(scope, assembly_id, limit=MAX_LISTED)
        names = BuildRepository(session).assembly_names({r.assembly_id for r in rows})
        return [build_of(r, project_name(session, caller, r.project_id),
                         names.get(r.assembly_id, "")) for r in rows]  # fmt: skip

    def get(self, session: Session, caller: Caller, build_id: str) -> Build:
        """One build the caller may see."""
        row = _find(session, caller, build_id)
        names = BuildRepository(session).assembly_names({row.assembly_id})
        return build_of(row, project_name(session, caller, row.project_id),
                        names.get(row.assembly_id, ""))  # fmt: skip

    def log(
        self, session: Session, caller: Caller, build_id: str, offset: int, limit: int
    ) -> tuple[Build, str]:
        """The build and up to `limit` characters of its log from `offset` on."""
        if offset < 0:
            raise InvalidInput.at("$.offset", "must be 0 or more")
        if not 0 < limit <= MAX_LOG_READ:
            raise InvalidInput.at("$.limit", f"must be 1 to {MAX_LOG_READ}")
        build = self.get(session, caller, build_id)
        return build, BuildRepository(session).log(build_id, offset, limit)

    def rollback(
        self, session: Session, caller: Caller, assembly_ref: str, revision: int | None,
        project: str | None = None,
    ) -> tuple[Build, Event, str]:  # fmt: skip
        """Make an earlier successful build the assembly's release again (`revision`, else
        the newest before the current one): its image, already built, is rolled out one
        instance at a time; nothing is rebuilt. The build rolled back to, and the
        `RolledBack` event stored with its project's id, for the caller to hand to the
        plugins once the transaction committed (`vertice_core.hooks.announce`)."""
        visible = AssemblyRepository(session).one(assembly_ref, caller.scope)
        if project is None and visible is not None:  # by id: in whichever project it is
            assembly = assembly_row(session, visible.project_id, assembly_ref)
        else:
            assembly = assembly_row(session, project_id_for(session, caller, project),
                                    assembly_ref)  # fmt: skip
        current = (assembly.spec or {}).get("release")
        if current is None:
            raise Conflict(f"assembly {assembly.name!r} has no release to roll back from")
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
            raise InvalidInput.at("$.revision", "must be an integer")
        builds = BuildRepository(session)
        target = builds.succeeded_before(assembly.id, current["revision"], revision)
        if target is None:
            wanted = f"revision {revision}" if revision is not None else "an earlier revision"
            raise Conflict(f"assembly {assembly.name!r} has no successful build of {wanted} "
                           f"to roll back to (it runs revision {current['revision']})")  # fmt: skip
        if not release(session, assembly.id, revision=target.revision, build_id=target.id,
                       image=target.image, commit=target.commit, back=True):  # fmt: skip
            raise Conflict(f"assembly {assembly.name!r} changed meanwhile; retry")
        message = (f"rolled back from revision {current['revision']} to {target.revision} "
                   f"(build {target.id}, commit {target.commit[:12]})")  # fmt: skip
        project = project_name(session, caller, assembly.project_id)
        event = Event(utcnow(), EventType.NORMAL, "RolledBack", message, assembly.id,
                      project=project, region=assembly.region_name,
                      assembly=assembly.name)  # fmt: skip
        EventRepository(session).add(assembly.project_id, [event])
        return build_of(target, project, assembly.name), event, assembly.project_id

    def cancel(self, session: Session, caller: Caller, build_id: str) -> Build:
        """Cancel a queued build; ask a running one to stop. A finished build is a 409."""
        row = _find(session, caller, build_id)
        if BuildState(row.state).done:
            raise Conflict(f"build {build_id} is already {row.state}")
        BuildRepository(session).cancel(row)
        return self.get(session, caller, build_id)


def build_of(row: BuildRow, project: str, assembly: str) -> Build:
    """The `Build` record of a row."""
    end = row.finished_at if row.finished_at is not None else time.time()
    return Build(
        id=row.id, project=project, assembly_id=row.assembly_id, assembly=assembly,
        revision=row.revision, region=row.region_name, url=row.url, ref=row.ref,
        subdirectory=row.subdirectory, recipe=row.recipe, state=BuildState(row.state),
        builder=row.builder, commit=row.commit, image=row.image, reason=row.reason,
        message=row.message, attempts=row.attempts, log_size=row.log_size,
        created_at=row.created_at, started_at=_time(row.started_at),
        finished_at=_time(row.finished_at),
        duration=None if row.started_at is None else round(max(0.0, end - row.started_at), 3),
    )  # fmt: skip


def _time(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def assembly_row(session: Session, project_id: str, name_or_id: str) -> AssemblyRow:
    assembly_id = AssemblyRepository(session).id_in_project(project_id, name_or_id)
    row = session.get(AssemblyRow, assembly_id) if assembly_id else None
    if row is None:
        raise NotFound(f"the project has no assembly {name_or_id!r}")
    return row


def _find(session: Session, caller: Caller, build_id: str) -> BuildRow:
    row = BuildRepository(session).get(build_id, caller.scope)
    if row is None:
        raise NotFound(f"there is no build {build_id!r}")
    return row
