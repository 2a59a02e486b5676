"""The status history: each stretch of time an instance was observed in one state
(`InstanceSpanRow`), what metering prices (`vertice_core.billing`).

The reconciler records a `SpanChange` for an ordinal whose observed state, key, region
or flavor (a resize) changed, in the transaction that writes its instance row
(`WorkRepository.write_slots`); removing an assembly closes its spans
(`WorkRepository.remove`). A span is closed by its key, so two region passes of a placed
assembly, each writing its own instances, never close each other's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, cast

import attrs
from sqlalchemy import Connection, Table, and_, bindparam, select, update

from vertice_core.store.bulk import insert_rows
from vertice_core.store.leases import chunked
from vertice_core.store.tables import AssemblyRow, InstanceSpanRow

SPANS = cast(Table, InstanceSpanRow.__table__)
_S = SPANS.c
_A = cast(Table, AssemblyRow.__table__).c


@attrs.frozen
class SpanChange:
    """What changed of one ordinal's observed instance: the span to close (the key of the
    instance it was, if it was seen in a state) and the span to open (if it is seen now)."""

    ordinal: int
    #: When the pass saw it (its clock's time).
    at: float
    close_key: str | None = None
    #: `(key, region, state, flavor)` of the instance now seen, or None (not seen, or
    #: gone); flavor '' when its row does not know it (the assembly's is recorded).
    opened: tuple[str, str, str, str] | None = None


class SlotLike(Protocol):
    """What `span_changes` reads of an instance row (`InstanceSlot`)."""

    @property
    def ordinal(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def region_name(self) -> str: ...
    @property
    def flavor_name(self) -> str: ...


def span_changes(
    before: Mapping[int, SlotLike], after: Sequence[SlotLike], now: float
) -> list[SpanChange]:
    """The span changes, seen at `now`, from the stored rows `before` (by ordinal) to the
    rows `after`; an ordinal of `before` missing from `after` is gone."""
    changes = []
    for slot in after:
        prior = before.get(slot.ordinal)
        was = _seen(prior)
        seen = _seen(slot)
        if was != seen:
            changes.append(SpanChange(slot.ordinal, now, was[0] if was else None, seen))
    kept = {slot.ordinal for slot in after}
    for ordinal, prior in before.items():
        was = _seen(prior)
        if ordinal not in kept and was is not None:
            changes.append(SpanChange(ordinal, now, was[0], None))
    return changes


def _seen(slot: SlotLike | None) -> tuple[str, str, str, str] | None:
    if slot is None or not slot.state:
        return None
    return (slot.key, slot.region_name, slot.state, slot.flavor_name)


class SpanRows:
    """Writes of the status history on one connection (the caller's transaction)."""

    def __init__(self, db: Connection) -> None:
        self._db = db

    def record(self, changes: Sequence[tuple[str, SpanChange]]) -> None:
        """Close and open the spans of `(assembly id, change)`: one statement each, plus
        one read of the assemblies' project, name and flavor."""
        closes = [
            {"b_id": i, "b_ordinal": c.ordinal, "b_key": c.close_key, "b_at": c.at}
            for i, c in changes
            if c.close_key is not None
        ]
        if closes:
            self._db.execute(
                update(SPANS)
                .where(
                    and_(
                        _S.assembly_id == bindparam("b_id"),
                        _S.ordinal == bindparam("b_ordinal"),
                        _S.key == bindparam("b_key"),
                        _S.ended_at.is_(None),
                    )
                )
                .values(ended_at=bindparam("b_at")),
                closes,
            )
        opens = [(i, c) for i, c in changes if c.opened is not None]
        if not opens:
            return
        names = self._identities(sorted({i for i, _ in opens}))
        rows = []
        for assembly_id, change in opens:
            if assembly_id not in names or change.opened is None:
                continue
            project_id, name, declared = names[assembly_id]
            key, region, state, flavor = change.opened
            rows.append({
                "project_id": project_id, "assembly_id": assembly_id, "assembly_name": name,
                "ordinal": change.ordinal, "key": key, "region_name": region,
                "flavor_name": flavor or declared, "state": state, "started_at": change.at,
                "ended_at": None,
            })  # fmt: skip
        insert_rows(self._db, SPANS, rows)

    def close_all(self, assembly_ids: Sequence[str], now: float) -> None:
        """Close every open span of these assemblies (their rows are being removed)."""
        for part in chunked(assembly_ids):
            self._db.execute(
                update(SPANS)
                .where(_S.assembly_id.in_(part), _S.ended_at.is_(None))
                .values(ended_at=now)
            )

    def _identities(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        found: dict[str, tuple[str, str, str]] = {}
        for part in chunked(ids):
            rows = self._db.execute(
                select(_A.id, _A.project_id, _A.name, _A.flavor_name).where(_A.id.in_(part))
            )
            found.update({str(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows})
        return found
