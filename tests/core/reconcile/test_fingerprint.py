"""What a pass keeps of a settled assembly's instances: one number (`_fingerprint`).

A pass skips planning an assembly whose row and instances did not move since it was
found settled; the instances are compared by fingerprint. Any field of `Instance`
that changes must change it, a field added later included: this test walks them all.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from vertice_core.driver import Instance
from vertice_core.model.status import InstanceState
from vertice_core.reconcile.region import _fingerprint

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
