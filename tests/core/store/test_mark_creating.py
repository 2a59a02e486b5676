"""Create markers of an assembly deleted (with `orphan=true`) after the pass read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from vertice_core.store.repositories.slots import InstanceSlot
from vertice_core.store.repositories.work import WorkRepository
from vertice_core.store.tables import InstanceRow


def test_markers_of_a_gone_assembly_are_not_written_and_are_named(alice: Any, ctx: Any) -> None:
    """Before, the insert broke the instances' foreign key and failed the whole pass
    (a fresh-clone run's stateful test orphaned an assembly at that moment)."""
    kept = alice.declare("kept").headers["location"].rsplit("/", 1)[1]
    slot = InstanceSlot(ordinal=0, incarnation=1, key="k", create_key="k", create_started_at=1.0)
    with ctx.store.write() as session:
        gone = WorkRepository(session).mark_creating(
            [(kept, slot, False), ("asm-0000000000000000", slot, False)]
        )
    assert gone == {"asm-0000000000000000"}
    with ctx.store.read() as session:
        rows = session.scalars(select(InstanceRow.assembly_id)).all()
    assert rows == [kept]
    assert alice.get(f"/v3/assembly/{kept}").json["status"]["phase"] == "SCHEDULED"
