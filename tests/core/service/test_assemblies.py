"""The assembly service without HTTP: what the CLI and any other caller get."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from vertice_core.accounts import create_user
from vertice_core.convert import structure
from vertice_core.crypto import token_digest
from vertice_core.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from vertice_core.hooks import hookimpl, make_plugin_manager
from vertice_core.model.assembly import AssemblyDeclaration
from vertice_core.service import AssemblyService, Caller
from vertice_core.service.caller import caller_for_token


@pytest.fixture
def owner(ctx) -> Caller:
    """A user with a project, as the service sees them."""
    with ctx.store.write() as session:
        created = create_user(session, "olga")
    with ctx.store.read() as session:
        caller = caller_for_token(session, token_digest(created.token), datetime.now(UTC))
    assert caller is not None
    return caller


def declaration(ctx, name: str = "web-1", **fields) -> AssemblyDeclaration:
    body = {"name": name, "plan_uri": "1_virtualmachine_ubuntu", "region": "local",
            "flavor": "small", **fields}  # fmt: skip
    return structure(ctx.converter, body, AssemblyDeclaration)


def declare(ctx, caller: Caller, **fields) -> str:
    with ctx.store.write() as session:
        return ctx.assemblies.declare(session, caller, declaration(ctx, **fields)).row.id


def test_declare_then_scale_and_read(ctx, owner):
    assembly_id = declare(ctx, owner, replicas=2)
    with ctx.store.write() as session:
        scaled = ctx.assemblies.scale(session, owner, assembly_id, 4, expected={1})
    assert (scaled.assembly.replicas, scaled.assembly.generation) == (4, 2)
    with ctx.store.connect() as connection:
        read = ctx.assemblies.read(connection, owner, assembly_id)
    assert read == scaled
    assert read.assembly.status.replicas == 4  # nothing observed yet: the declared number


def test_a_stale_version_is_refused_and_changes_nothing(ctx, owner):
    assembly_id = declare(ctx, owner)
    with ctx.store.write() as session, pytest.raises(StaleVersion) as stale:
        ctx.assemblies.scale(session, owner, assembly_id, 3, expected={7})
    assert stale.value.current == 1
    with ctx.store.connect() as connection:
        assert ctx.assemblies.read(connection, owner, assembly_id).assembly.replicas == 1


@pytest.mark.parametrize(("replicas", "error"), [(-1, InvalidInput), (101, InvalidInput)])
def test_scale_checks_the_bound(ctx, owner, replicas, error):
    assembly_id = declare(ctx, owner)
    with ctx.store.write() as session, pytest.raises(error) as raised:
        ctx.assemblies.scale(session, owner, assembly_id, replicas)
    assert [p.path for p in raised.value.problems] == ["$.replicas"]


def test_the_bound_applies_to_a_change_of_replicas_only(ctx, owner):
    assembly_id = declare(ctx, owner, replicas=5)
    tighter = AssemblyService(
        attrs.evolve(ctx.service, config=attrs.evolve(ctx.config, max_replicas=2))
    )
    with ctx.store.write() as session:
        renamed = tighter.patch(
            session, owner, assembly_id, [{"op": "replace", "path": "/name", "value": "web-2"}]
        )
    assert renamed.assembly.name == "web-2"
    with ctx.store.write() as session, pytest.raises(InvalidInput):
        tighter.scale(session, owner, assembly_id, 4)
    with ctx.store.write() as session:
        assert tighter.scale(session, owner, assembly_id, 2).assembly.replicas == 2


def test_metadata_without_replicas_forbids_scaling(ctx, owner):
    metadata = {"mutable": ["/replicas"], "consumer_mutable": ["/description"]}
    assembly_id = declare(ctx, owner, metadata=metadata)
    with ctx.store.write() as session, pytest.raises(Forbidden):
        ctx.assemblies.scale(session, owner, assembly_id, 2)
    with ctx.store.write() as session:  # the installation's operator is an administrator
        assert ctx.assemblies.scale(session, Caller.operator(), assembly_id, 2).assembly.replicas


def test_others_do_not_see_it_and_deleted_ones_do_not_scale(ctx, owner):
    assembly_id = declare(ctx, owner)
    stranger = Caller("usr-x", "x", False, ("prj-x",))
    with ctx.store.write() as session, pytest.raises(NotFound):
        ctx.assemblies.scale(session, stranger, assembly_id, 2)
    with ctx.store.write() as session:
        deleted = ctx.assemblies.delete(session, owner, assembly_id)
    assert deleted.assembly.desired_state.value == "deleted"
    with ctx.store.write() as session, pytest.raises(Conflict):
        ctx.assemblies.scale(session, owner, assembly_id, 2)


class Quota:
    """An admission plugin allowing at most 3 instances per assembly."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int | None]] = []

    @hookimpl
    def vertice_admit_assembly(self, request):
        previous = request.previous.replicas if request.previous else None
        self.seen.append((request.spec.replicas, previous))
        return "at most 3 instances" if request.spec.replicas > 3 else None


def test_admission_sees_the_replicas_of_declarations_and_scales(ctx, owner):
    quota = Quota()
    service = AssemblyService(
        attrs.evolve(ctx.service, plugins=make_plugin_manager([quota], load_entry_points=False))
    )
    with ctx.store.write() as session:
        assembly_id = service.declare(session, owner, declaration(ctx, replicas=2)).row.id
    with ctx.store.write() as session, pytest.raises(Forbidden) as refused:
        service.scale(session, owner, assembly_id, 4)
    assert "at most 3 instances" in refused.value.description
    assert quota.seen == [(2, None), (4, 2)]
