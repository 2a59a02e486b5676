"""The rows of the instances table: one per assembly and ordinal, read and written in batches.

An instance row holds an ordinal's bookkeeping (incarnation, key, restarts, the
write-ahead create marker) and what was last seen of its instance. The
reconciler reads them with its work items and writes only what changed: rows
to insert, to update by (assembly, ordinal), to delete, one statement each.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any, cast

import attrs
from sqlalchemy import Connection, Table, bindparam, delete, select

from vertice_core.store.bulk import insert_rows, update_rows
from vertice_core.store.leases import chunked
from vertice_core.store.repositories.spans import SpanChange, span_changes
from vertice_core.store.tables import InstanceRow

INSTANCES = cast(Table, InstanceRow.__table__)
_I = INSTANCES.c


@attrs.frozen
class InstanceSlot:
    """One row of the instances table: an ordinal's bookkeeping and its last sighting."""

    ordinal: int
    incarnation: int
    key: str
    restarts_done: int = 0
    create_key: str | None = None
    create_started_at: float | None = None
    cloud_id: str = ""
    state: str = ""
    public_ipv4: str = ""
    private_ipv4: str = ""
    since: float | None = None
    replaced_done: int = 0
    retiring: int | None = None
    drain_started_at: float | None = None
    #: The region the instance was placed in.
    region_name: str = ""
    #: The flavor the instance runs (its assembly's when created or last resized).
    flavor_name: str = ""


_SLOT_COLUMNS = [getattr(_I, f.name) for f in attrs.fields(InstanceSlot)]


@attrs.frozen
class SlotChanges:
    """The instance rows of one assembly to insert, to update (by ordinal), to delete."""

    inserts: tuple[InstanceSlot, ...] = ()
    updates: tuple[InstanceSlot, ...] = ()
    deletes: tuple[int, ...] = ()
    #: The status history to record with them (instances seen in a new state, or gone).
    spans: tuple[SpanChange, ...] = ()

    @classmethod
    def between(
        cls,
        stored: Sequence[InstanceSlot],
        after: Sequence[InstanceSlot],
        rewritten: frozenset[int] | set[int] = frozenset(),
        *,
        now: float,
    ) -> SlotChanges | None:
        """The changes, seen at `now`, from the `stored` rows to `after`; ordinals in
        `rewritten` were written since `stored` was read (create markers), so they exist
        and are updated."""
        before = {slot.ordinal: slot for slot in stored}
        existing = before.keys() | rewritten
        kept = {slot.ordinal for slot in after}
        changes = cls(
            inserts=tuple(s for s in after if s.ordinal not in existing),
            updates=tuple(
                s
                for s in after
                if s.ordinal in existing and (s.ordinal in rewritten or before.get(s.ordinal) != s)
            ),
            deletes=tuple(sorted(o for o in existing if o not in kept)),
            spans=tuple(span_changes(before, after, now)),
        )
        return changes if changes.inserts or changes.updates or changes.deletes else None


class SlotRows:
    """Reads and writes of instance rows on one connection (the caller's transaction)."""

    def __init__(self, db: Connection) -> None:
        self._db = db

    def of(self, ids: Sequence[str]) -> dict[str, tuple[InstanceSlot, ...]]:
        """The instance rows of these assemblies, by assembly id, in ordinal order."""
        found: dict[str, tuple[InstanceSlot, ...]] = {}
        for part in chunked(ids):
            found.update(
                _group_slots(
                    self._db.execute(
                        select(_I.assembly_id, *_SLOT_COLUMNS)
                        .where(_I.assembly_id.in_(part))
                        .order_by(_I.assembly_id, _I.ordinal)
                    )
                )
            )
        return found

    def write(
        self,
        inserts: Sequence[tuple[str, InstanceSlot]],
        updates: Sequence[tuple[str, InstanceSlot]],
        deletes: Sequence[tuple[str, int]],
    ) -> None:
        """Insert, update (by assembly and ordinal) and delete instance rows: one
        statement each (see `vertice_core.store.bulk`)."""
        if deletes:
            by_key = (_I.assembly_id == bindparam("b_id")) & (_I.ordinal == bindparam("b_ordinal"))
            self._db.execute(
                delete(INSTANCES).where(by_key),
                [{"b_id": i, "b_ordinal": o} for i, o in deletes],
            )
        update_rows(self._db, INSTANCES, ("assembly_id", "ordinal"), _rows(updates))
        insert_rows(self._db, INSTANCES, _rows(inserts))


def _rows(slots: Sequence[tuple[str, InstanceSlot]]) -> list[dict[str, Any]]:
    """Rows of `INSTANCES` (attrs.asdict took a quarter of a batch's write)."""
    names, values = _SLOT_NAMES, _SLOT_VALUES
    return [dict(zip(names, (i, *values(s)), strict=True)) for i, s in slots]


_SLOT_NAMES = ("assembly_id", *(f.name for f in attrs.fields(InstanceSlot)))
_SLOT_VALUES = operator.attrgetter(*_SLOT_NAMES[1:])


def _group_slots(rows: Iterable[Any]) -> dict[str, tuple[InstanceSlot, ...]]:
    """`(assembly id, *slot columns)` rows, in assembly and ordinal order, grouped."""
    grouped: dict[str, list[InstanceSlot]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(InstanceSlot(*row[1:]))
    return {assembly_id: tuple(slots) for assembly_id, slots in grouped.items()}
