"""The database work of a reconcile pass, each step one short transaction.

`PassStore` is what `RegionPass` talks to: it knows the reconciler's lease
identity, builds instance specs from stored declarations (decrypting launch
passwords in memory), and hands every recorded event to the plugins' event
hook once the transaction that stored it has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import cattrs
import pluggy

from vertice_core import hooks
from vertice_core.convert import structure
from vertice_core.crypto import SecretBox
from vertice_core.driver import InstanceSpec, SizeSpec
from vertice_core.model.camp import Plan
from vertice_core.model.placement import Placement
from vertice_core.model.status import Event, EventType
from vertice_core.reconcile.placed import Placed
from vertice_core.reconcile.specs import instance_spec
from vertice_core.reconcile.status import now_utc
from vertice_core.store import Store
from vertice_core.store.repositories.orphans import OrphanRepository
from vertice_core.store.repositories.placements import PlacementRepository
from vertice_core.store.repositories.probes import ProbeRepository, ProbeState
from vertice_core.store.repositories.slots import InstanceSlot
from vertice_core.store.repositories.work import StatusWrite, WorkItem, WorkRepository


class PassStore:
    """The store operations of the reconcile loop, for one reconciler identity."""

    def __init__(
        self,
        store: Store,
        *,
        holder: str,
        lease_ttl: float,
        installation_id: str,
        converter: cattrs.Converter,
        box: SecretBox,
        plugins: pluggy.PluginManager,
    ) -> None:
        self.store = store
        self.holder = holder
        self.lease_ttl = lease_ttl
        self.installation_id = installation_id
        self.converter = converter
        self.box = box
        self.plugins = plugins

    def region_items(self, region: str) -> list[WorkItem]:
        with self.store.read() as session:
            return WorkRepository(session).region_items(region)

    def region_rows(self, region: str) -> Sequence[tuple[Any, ...]]:
        with self.store.read() as session:
            return WorkRepository(session).region_rows(region)

    def slots(self, ids: Sequence[str]) -> dict[str, tuple[InstanceSlot, ...]]:
        with self.store.read() as session:
            return WorkRepository(session).slots(ids)

    def probe_states(self, region: str) -> dict[str, dict[int, ProbeState]]:
        with self.store.read() as session:
            return ProbeRepository(session).of_region(region)

    def served(self, region: str) -> dict[str, frozenset[str]]:
        with self.store.read() as session:
            return WorkRepository(session).served(region)

    def placed(self, ids: Sequence[str]) -> dict[str, Placed]:
        """What the passes need about these assemblies with a placement."""
        with self.store.read() as session:
            found = PlacementRepository(session).placed(ids)
        return {
            assembly_id: Placed(structure(self.converter, placement, Placement), prices, status)
            for assembly_id, (placement, prices, status) in found.items()
        }

    def served_ids(self, ids: Sequence[str]) -> dict[str, frozenset[str]]:
        with self.store.read() as session:
            return PlacementRepository(session).served(ids)

    def probe_states_of(self, ids: Sequence[str]) -> dict[str, dict[int, ProbeState]]:
        with self.store.read() as session:
            return ProbeRepository(session).states(ids)

    def items(self, ids: Sequence[str]) -> list[WorkItem]:
        with self.store.read() as session:
            return WorkRepository(session).items(ids)

    def existing(self, ids: set[str]) -> set[str]:
        """Which of these assembly ids have a row or were orphaned: the instances of
        neither kind are ghosts (an orphaned assembly's were abandoned on purpose)."""
        with self.store.read() as session:
            return WorkRepository(session).existing(ids) | OrphanRepository(session).among(ids)

    def statuses(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self.store.read() as session:
            return WorkRepository(session).statuses(ids)

    def claim(self, ids: Sequence[str], now: float) -> set[str]:
        with self.store.write() as session:
            return WorkRepository(session).claim(ids, self.holder, now, self.lease_ttl)

    def release(self, ids: Sequence[str]) -> None:
        with self.store.write() as session:
            WorkRepository(session).release(ids, self.holder)

    def mark_creating(self, markers: Sequence[tuple[str, InstanceSlot, bool]]) -> set[str]:
        """Write-ahead: commit the create markers before any create is issued; the ids of
        assemblies whose rows are gone meanwhile (their creates must not be issued)."""
        with self.store.write() as session:
            return WorkRepository(session).mark_creating(markers)

    def instance_specs(
        self, wanted: Sequence[tuple[str, int, str]]
    ) -> dict[tuple[str, int], InstanceSpec]:
        """`{(assembly id, ordinal): spec}` for `(assembly id, ordinal, key)` about to be
        created."""
        with self.store.read() as session:
            work = WorkRepository(session)
            rows = work.spec_rows(sorted({assembly_id for assembly_id, _, _ in wanted}))
            plans = work.plan_documents({row.plan_name for row in rows.values()})
            flavors = work.flavors({row.flavor_name for row in rows.values()})
            projects = work.project_names({row.project_id for row in rows.values()})
        structured = {name: structure(self.converter, doc, Plan) for name, doc in plans.items()}
        return {
            (assembly_id, ordinal): instance_spec(
                rows[assembly_id],
                key,
                ordinal=ordinal,
                plan=structured[rows[assembly_id].plan_name],
                flavor=flavors[rows[assembly_id].flavor_name],
                project=projects.get(rows[assembly_id].project_id, ""),
                installation_id=self.installation_id,
                box=self.box,
            )
            for assembly_id, ordinal, key in wanted
        }

    def sizes(self, names: Sequence[str]) -> dict[str, SizeSpec]:
        """The sizes of these flavors, by name (what a resize asks the driver for)."""
        with self.store.read() as session:
            rows = WorkRepository(session).flavors(names)
        return {name: SizeSpec(r.name, r.cpu, r.ram, r.disk) for name, r in rows.items()}

    def commit_pass(
        self,
        writes: Sequence[StatusWrite],
        events: Sequence[dict[str, Any]],
        removed: Sequence[str],
    ) -> set[str]:
        """Write outcomes, events and removals, release the leases: one transaction.

        Only for the assemblies whose lease this reconciler still holds (fencing): a pass
        slower than its leases (a cloud near its call timeout, a huge backlog) may find
        some taken by another reconciler meanwhile, which has observed the cloud since and
        writes its own outcome; this pass's older one is dropped, not written over it.
        Returns the ids whose outcomes were dropped so.
        """
        now = now_utc().timestamp()
        with self.store.write() as session:
            work = WorkRepository(session)
            ids = sorted({w.id for w in writes} | set(removed))
            held = work.held(ids, self.holder) if ids else set()
            lost = set(ids) - held
            if lost:
                writes = [w for w in writes if w.id not in lost]
                events = [e for e in events if e.get("assembly_id") not in lost]
                removed = [r for r in removed if r not in lost]
            work.write_status(writes, now)
            work.add_events(events)
            names = self._names(work, events)
            work.remove(removed, now)
            work.release([w.id for w in writes], self.holder)
        self._announce(events, names)
        return lost

    def settle(
        self,
        ids: Sequence[str],
        now: float,
        decide: Callable[
            [Sequence[WorkItem]],
            tuple[list[StatusWrite], list[dict[str, Any]], list[str]],
        ],
    ) -> tuple[int, int, bool]:
        """Claim `ids`, let `decide(items)` compute their writes, write
        them and release, all in one transaction (for work that calls no driver).

        Returns `(written, removed, every id was claimed)`.
        """
        with self.store.write() as session:
            work = WorkRepository(session)
            claimed = work.claim(ids, self.holder, now, self.lease_ttl)
            items = [i for i in work.items(sorted(claimed)) if i.id in claimed]
            writes, events, removed = decide(items)
            work.write_status(writes, now)
            work.add_events(events)
            names = self._names(work, events)
            work.remove(removed, now)
            work.release(sorted(claimed), self.holder)
        self._announce(events, names)
        return len(writes), len(removed), len(claimed) == len(ids)

    def record_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Store events that belong to no assembly write (ghosts)."""
        if not events:
            return
        with self.store.write() as session:
            WorkRepository(session).add_events(events)
        self._announce(events)

    def _names(self, work: WorkRepository, events: Sequence[dict[str, Any]]) -> dict[str, str]:
        """The names of the events' assemblies, read before a removal in the same
        transaction takes the rows away; only when a plugin listens (one read a chunk)."""
        if not events or not self.plugins.hook.vertice_event_recorded.get_hookimpls():
            return {}
        return work.assembly_names({e["assembly_id"] for e in events if e.get("assembly_id")})

    def _announce(
        self, events: Sequence[dict[str, Any]], names: dict[str, str] | None = None
    ) -> None:
        hook = self.plugins.hook.vertice_event_recorded
        if not hook.get_hookimpls():
            return
        assemblies = names or {}
        time = now_utc()
        ids = {row["project_id"] for row in events if row.get("project_id")}
        with self.store.read() as session:
            names = WorkRepository(session).project_names(ids) if ids else {}
        recorded = [
            (
                Event(
                    time=time,
                    type=EventType(row["type"]),
                    reason=row["reason"],
                    message=row["message"],
                    assembly_id=row.get("assembly_id"),
                    project=names.get(row.get("project_id") or ""),
                    region=row.get("region_name"),
                    assembly=assemblies.get(row.get("assembly_id") or ""),
                ),
                row.get("project_id"),
            )
            for row in events
        ]
        # A plugin that raises is logged: the pass that stored the events goes on.
        hooks.announce(self.plugins, recorded)
