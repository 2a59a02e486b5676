"""Retiring a cloud: assemblies deleted with `orphan=true`, regions with `cascade=orphan`.

The usual delete waits for the reconciler to delete every instance, which a cloud that
is unreachable or retired never confirms. Orphaning removes vertice's records at once
and calls no driver; the cloud side keeps running, and vertice no longer manages nor
bills it:

* the rows go as the reconciler's final removal takes them (`WorkRepository.remove`:
  leases, instances, the assembly; placements, probes, builds and bindings by their
  foreign keys; routes and scalers outlive the assembly, as after any delete);
* an `OrphanRow` records what was abandoned; the reconciler spares the instances of an
  orphaned assembly, which would otherwise be ghosts (they keep its tags);
* a Warning event `Orphaned` on the project lists each instance's region and cloud id,
  and `GET /v3/assembly/{id}/events` still answers for an orphaned assembly. The caller
  owns the transaction, so `Orphaned.event` is handed back for it to pass to the plugins'
  event hook once the transaction committed (`vertice_core.hooks.announce`).

A region is retired by orphaning every assembly homed there, then deleting it. An
assembly with a placement spans several regions and its placement never changes, so
one that names the region is refused (409): delete it (with `orphan=true` if need be).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from vertice_core.errors import Conflict, NotFound
from vertice_core.model.status import Event, EventType
from vertice_core.store.repositories import AssemblyRepository, EventRepository, RegionRepository
from vertice_core.store.repositories.disks import DiskRepository
from vertice_core.store.repositories.orphans import OrphanRepository
from vertice_core.store.repositories.work import WorkRepository
from vertice_core.store.tables import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.service.records import Row

#: The reason of the event an orphaned assembly leaves.
ORPHANED = "Orphaned"


@attrs.frozen
class AbandonedInstance:
    """An instance left running in the cloud when its assembly was orphaned."""

    region: str
    #: The cloud's id ("" if it was never observed: a create that may have happened).
    cloud_id: str
    key: str


@attrs.frozen
class Orphaned:
    """An assembly deleted with `orphan=true`, and the instances it abandoned."""

    id: str
    name: str
    project: str
    region: str
    instances: tuple[AbandonedInstance, ...]
    #: The id of its project (the event hook's `project_id`).
    project_id: str
    #: The `Orphaned` event stored in the caller's transaction, for the plugins once it
    #: committed (never before: a rolled-back orphan notifies nothing).
    event: Event


def orphan(session: Session, row: Row) -> Orphaned:
    """Remove the assembly `row` (read with its project's name) and every row of it now,
    record what it abandons, and say so in a Warning event on its project."""
    work = WorkRepository(session)
    slots = work.slots([row.id]).get(row.id, ())
    abandoned = tuple(
        AbandonedInstance(slot.region_name or row.region_name, slot.cloud_id, slot.key)
        for slot in slots
    )
    OrphanRepository(session).add(
        row.id, row.project_id, row.name, [attrs.asdict(i) for i in abandoned]
    )
    work.remove([row.id])
    DiskRepository(session).detach_assembly(row.id, time.time())  # kept, detached
    event = Event(utcnow(), EventType.WARNING, ORPHANED, _message(row.name, abandoned), row.id,
                  project=row.project_name, region=row.region_name,
                  assembly=row.name)  # fmt: skip
    EventRepository(session).add(row.project_id, [event])
    return Orphaned(row.id, row.name, row.project_name, row.region_name, abandoned,
                    row.project_id, event)  # fmt: skip


def _message(name: str, abandoned: Sequence[AbandonedInstance]) -> str:
    if not abandoned:
        return f"assembly {name!r} was deleted with orphan=true; it had no instance"
    listed = "; ".join(
        f"{i.region} {i.cloud_id or '(never observed)'} (key {i.key})" for i in abandoned
    )
    return (
        f"assembly {name!r} was deleted with orphan=true: its {len(abandoned)} instance(s) "
        f"keep running in the cloud, no longer managed nor billed by vertice: {listed}"
    )


def orphan_region(session: Session, caller: Caller, region: str) -> list[Orphaned]:
    """Orphan every assembly homed in `region`, so the region can be deleted
    (administrators). Bindings to them are dropped, as a forced delete drops them."""
    caller.require_admin()
    regions = RegionRepository(session)
    if regions.get(region) is None:
        raise NotFound(f"there is no region named {region!r}")
    spread = regions.placed_in(region)
    if spread:
        raise Conflict(
            f"region {region!r} is in the placement of assemblies {', '.join(spread)}, which "
            "span several regions and cannot lose one: delete them first (with orphan=true "
            "to abandon their instances)"
        )
    assemblies = AssemblyRepository(session)
    return [orphan(session, assemblies.one(i, None)) for i in regions.homed_ids(region)]


def events_visible(session: Session, caller: Caller, assembly_id: str) -> bool:
    """Whether `assembly_id` names an orphaned assembly of a project the caller sees: its
    events (the `Orphaned` one above all) stay readable once its row is gone."""
    found = OrphanRepository(session).get(assembly_id)
    return found is not None and caller.sees(found.project_id)
