"""End to end on the peer: API -> store -> reconciler -> `openstack` driver -> openstacksdk.

The peer's servers are Nova's recorded 2.100 server documents filled with their
values; they go BUILD -> ACTIVE, stop to SHUTOFF, start, reboot (REBOOT ->
ACTIVE) and are deleted as Nova does it, with time (see `openstack_peer/cloud.py`).
"""

from __future__ import annotations

import base64

import pytest

from vertice_core import builtins
from vertice_drivers.testkit import TEST_PUBLIC_KEY

pytestmark = pytest.mark.slow

CIRROS = "1bea47ed-f6a9-463b-b423-14b9cca9ad27"  # the recorded image of conftest.IMAGE
M1_SMALL = "2"  # the smallest recorded flavor with 1 CPU, 1024 MB and 10 GB (`small`)


def test_an_assembly_lives_its_whole_life_on_openstack(
    ctx, alice, openstack_region, make_reconciler, converge, phases, peer, cloud
):
    openstack_region()
    credential = {"kind": "ssh_public_key", "public_key": TEST_PUBLIC_KEY}
    declared = alice.declare("web", region="os-test", credential=credential)
    assert declared.status_code == 201, declared.json
    uri = declared.headers["location"]
    reconciler = make_reconciler()

    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    body = alice.get(uri).json
    (shown,) = body["status"]["instances"]
    server = cloud.servers[shown["cloud_id"]]
    assert server.name == shown["key"]  # the server is named after the instance's key
    assert shown["private_ipv4"] == server.address != ""
    installation = builtins.installation_id(ctx.store)
    assert server.metadata == {
        "vertice-installation": installation,
        "vertice-assembly": body["id"],
        "vertice-key": shown["key"],
        "vertice-project": server.metadata["vertice-project"],
    }
    (create,) = [c.body["server"] for c in peer.called("servers.create")]
    assert create["imageRef"] == CIRROS and create["flavorRef"] == M1_SMALL
    assert create["networks"] == "auto"
    user_data = base64.b64decode(create["user_data"]).decode()
    assert user_data.startswith("#cloud-config") and TEST_PUBLIC_KEY in user_data
    (pair,) = cloud.keypairs.values()  # the SSH key, imported once as a key pair
    assert create["key_name"] == pair["name"] and pair["public_key"] == TEST_PUBLIC_KEY
    assert {c.region for c in peer.calls if c.region} == {"RegionOne"}
    assert {c.interface for c in peer.calls if c.interface} == {"public"}

    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert server.status == "SHUTOFF" and _actions(peer, "os-stop") == 1

    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert server.status == "ACTIVE" and _actions(peer, "os-start") == 1

    alice.replace(uri, "/restart_count", 1)
    converge(reconciler, lambda: server.reboots == 1 and phases() == {"RUNNING": 1})
    for _ in range(3):  # a restart request is carried out once
        reconciler.run_pass()
    assert server.reboots == 1 and reconciler.metrics.calls("openstack", "reboot") == 1
    (reboot,) = [c.body for c in peer.called("servers.action") if "reboot" in c.body]
    assert reboot == {"reboot": {"type": "SOFT"}}

    # Another flavor: Nova resizes the same server, and the driver confirms it.
    alice.replace(uri, "/flavor", "medium")
    converge(reconciler, lambda: _actions(peer, "confirmResize") == 1
             and phases() == {"RUNNING": 1})  # fmt: skip
    assert server.status == "ACTIVE" and _actions(peer, "resize") == 1
    assert server.flavor["name"] != "m1.small" and server.id == shown["cloud_id"]
    assert alice.status(uri)["instances"][0]["flavor"] == "medium"
    for _ in range(3):  # carried out once
        reconciler.run_pass()
    assert reconciler.metrics.calls("openstack", "resize") == 1

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: phases() == {})
    assert server.task_state == "deleting" or server.gone  # a server being deleted is gone
    cloud.when(lambda: server.gone)
    assert peer.count("servers.create") == 1
    assert alice.get(uri).status_code == 404


def _actions(peer, name):
    return sum(1 for c in peer.called("servers.action") if name in (c.body or {}))


# The ghost and foreign-server paths are the driver's and the loop's, not the database's:
# the lifecycle test runs on both engines, these on SQLite alone to keep the suite quick.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_ghost_is_deleted_and_servers_not_of_vertice_are_never_touched(
    ctx, alice, openstack_region, make_reconciler, converge, phases, peer, cloud, managed
):
    openstack_region()
    installation = builtins.installation_id(ctx.store)
    ghost = cloud.plant("asm-gone-1", managed(installation, "asm-gone", "asm-gone-1"))
    pet = cloud.plant("someones-pet", {"owner": "ops"})  # no metadata of vertice
    alike = cloud.plant("asm-nope-1", {})  # named like vertice's, without its metadata
    neighbour = cloud.plant(
        "asm-theirs-1", managed("vti-another", "asm-theirs", "asm-theirs-1")
    )  # another installation's

    uri = alice.declare("web", region="os-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1} and ghost.gone)
    for _ in range(3):
        reconciler.run_pass()
    assert [c.target for c in peer.called("servers.delete")] == [ghost.id]
    touched = {c.target for c in peer.calls if c.action.startswith("servers.") and c.target}
    for bystander in (pet, alike, neighbour):
        assert bystander.id not in touched
        assert (bystander.status, bystander.gone) == ("ACTIVE", False)
    assert alice.get(uri).json["status"]["phase"] == "RUNNING"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_what_happens_behind_vertices_back_is_undone(
    alice, openstack_region, make_reconciler, converge, phases, peer, cloud
):
    openstack_region()
    uri = alice.declare("web", region="os-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    (first,) = alice.get(uri).json["status"]["instances"]

    cloud.action(first["cloud_id"], {"os-stop": None}, peer.actions)  # shut down by hand
    converge(
        reconciler,
        lambda: reconciler.metrics.calls("openstack", "start") >= 1 and phases() == {"RUNNING": 1},
    )
    assert alice.get(uri).json["status"]["instances"][0]["cloud_id"] == first["cloud_id"]

    cloud.delete(first["cloud_id"])  # someone deleted it: it is replaced under a new key
    converge(
        reconciler,
        lambda: (
            phases() == {"RUNNING": 1}
            and alice.get(uri).json["status"]["instances"][0]["cloud_id"] != first["cloud_id"]
        ),
    )
    # Whether the replacement gets a new key (the reconciler saw the server deleting) or
    # the same one (it was gone between two looks), it is a new server, and the only one:
    # a lookup by key never adopts a server being deleted.
    (second,) = alice.get(uri).json["status"]["instances"]
    assert [s.id for s in cloud.live()] == [second["cloud_id"]]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_one_listing_per_pass_follows_nova_pages(
    alice, openstack_region, make_reconciler, converge, phases, peer, cloud
):
    openstack_region(page_size=3)
    for n in range(7):  # other servers of the project, on the pages before and after ours
        cloud.plant(f"other-{n}", {"owner": "ops"})
    uris = [alice.declare(f"web{n}", region="os-test").headers["location"] for n in range(2)]
    reconciler = make_reconciler()
    reconciler.run_pass()
    # The pass's observation: one listing of the project, page by page (a create's lookup
    # by key is a listing of its own, narrowed by `name`).
    pages = [c for c in peer.called("servers.list") if "name" not in c.query]
    # 7 servers, 3 a page: two full pages (each with a `next` link), the last one, and the
    # empty page openstacksdk asks for after a page without a link.
    assert [c.query.get("marker") is not None for c in pages] == [False, True, True, True]
    assert all(c.query["limit"] == ["3"] for c in pages)
    assert peer.count("servers.create") == 2
    converge(reconciler, lambda: phases() == {"RUNNING": 2})
    for uri in uris:
        assert alice.get(uri).json["status"]["phase"] == "RUNNING"
