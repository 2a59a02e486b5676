"""What a pass keeps of a settled assembly: one number for its row and its instances
(`seen_as`, with `_fingerprint` for the instances).

A pass skips planning an assembly whose row and instances did not move since it was
found settled; both are compared by that number. Any field of `Instance` or of the
row (`WorkItem`'s columns) that changes must change it, a field added later included:
these tests walk them all.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from vertice_core.driver import Instance
from vertice_core.model.status import InstanceState
from vertice_core.reconcile.fingerprints import _fingerprint, seen_as
from vertice_core.store.repositories.work import WorkItem

BASE = Instance(
    key="k-1", cloud_id="i-1", state=InstanceState.RUNNING, public_ipv4="203.0.113.1",
    private_ipv4="10.0.0.1", access=("h:80",), tags={"a": "1", "b": "2"},
    created_at=datetime(2026, 12, 6, tzinfo=UTC), size="t3.micro",
)  # fmt: skip
OTHER = {
    str: lambda v: v + "x",
    InstanceState: lambda v: InstanceState.STOPPED,
    tuple: lambda v: (*v, "h:81"),
    dict: lambda v: {**v, "b": "3"},
    datetime: lambda v: v.replace(second=1),
}


def test_every_field_of_an_instance_moves_the_fingerprint() -> None:
    before = _fingerprint([BASE])
    for field in attrs.fields(Instance):
        value = getattr(BASE, field.name)
        changed = attrs.evolve(BASE, **{field.name: OTHER[type(value)](value)})
        assert _fingerprint([changed]) != before, field.name


def test_equal_views_agree_and_order_and_count_matter() -> None:
    same = attrs.evolve(BASE, tags={"b": "2", "a": "1"})  # another dict, another order
    assert _fingerprint([same]) == _fingerprint([BASE])
    second = attrs.evolve(BASE, key="k-2", cloud_id="i-2")
    assert _fingerprint([BASE, second]) != _fingerprint([second, BASE])
    assert _fingerprint([BASE]) != _fingerprint([BASE, second]) != _fingerprint([])


#: A row of the region's read (`WorkItem`'s fields but its slots), as a pass sees one.
ROW = {
    "id": "asm-1", "project_id": "prj-1", "name": "web", "generation": 3,
    "observed_generation": 3, "desired_state": "running", "restart_count": 0,
    "restarts_done": 0, "replicas": 1, "phase": "RUNNING", "attempts": 0,
    "due_at": 1796586304.7032228, "status_digest": "ab12", "ready": True,
    "ready_since": 1796586300.5, "synced": True, "synced_since": 1796586301.25,
    "replace_count": 0, "probed": False, "placed": False, "build_wait": None,
    "flavor_name": "small", "restart_mode": "soft", "stop_mode": "soft",
}  # fmt: skip
CHANGED = {
    str: lambda v: v + "x",
    int: lambda v: v + 1,
    float: lambda v: v + 0.001,
    bool: lambda v: not v,
    type(None): lambda v: "waiting",
}


def test_every_column_of_the_row_moves_what_isseen_as() -> None:
    columns = [f.name for f in attrs.fields(WorkItem) if f.name != "slots"]
    assert sorted(columns) == sorted(ROW), "a column was added: give it a value in ROW"
    row = tuple(ROW[name] for name in columns)
    before = seen_as(row, [BASE])
    assert seen_as(tuple(ROW[name] for name in columns), [BASE]) == before
    for index, name in enumerate(columns):
        value = row[index]
        changed = (*row[:index], CHANGED[type(value)](value), *row[index + 1 :])
        assert seen_as(changed, [BASE]) != before, name
    assert seen_as(row, [attrs.evolve(BASE, state=InstanceState.STOPPED)]) != before
    assert seen_as(row, []) != before
