"""The peer answers in the recorded samples' shapes, and the driver asks in the recorded requests'.

Each document the peer serves is a recorded sample with its values filled in
(`openstack_peer/documents.py`): these tests hold it to that, key for key, and
hold the requests openstacksdk sends for the driver to the recorded requests of
Nova's and Keystone's API samples.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from openstack_peer import PASSWORD, PROJECT_ID, PROJECT_NAME, REGIONS

from vertice_drivers.testkit import TEST_PUBLIC_KEY, default_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: What holds values rather than a shape: maps of any keys, lists that may be empty.
VARIABLE = {"metadata", "addresses", "extra_specs", "scheduler_hints", "properties",
            "os-extended-volumes:volumes_attached"}  # fmt: skip


def recorded(name):
    return json.loads((FIXTURES / name).read_text())


def keys(document):
    """The keys of a document, nested ones as dotted paths (lists: their first item's)."""
    found = set()

    def walk(value, at):
        if isinstance(value, dict):
            for key, item in value.items():
                found.add(f"{at}{key}")
                if key not in VARIABLE:
                    walk(item, f"{at}{key}.")
        elif isinstance(value, list) and value:
            walk(value[0], at)

    walk(document, "")
    return found


def get(url, token=None):
    request = urllib.request.Request(url, headers={"X-Auth-Token": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, json.loads(reply.read() or b"null"), reply.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


def test_a_listed_server_has_the_recorded_servers_keys(make_driver, peer):
    driver = make_driver()
    driver.create(default_spec("vti-openstack-tests", "asm-d1-1"))
    peer.cloud.when(lambda: peer.cloud.live()[0].status == "ACTIVE")
    token, _ = peer._issue()
    status, listing, _ = get(f"{peer.compute_base()}/v2.1/{PROJECT_ID}/servers/detail", token)
    assert status == 200
    (server,) = listing["servers"]
    assert keys(server) == keys(recorded("nova_v2.100_servers-details-resp.json")["servers"][0])
    status, shown, headers = get(
        f"{peer.compute_base()}/v2.1/{PROJECT_ID}/servers/{server['id']}", token
    )
    assert keys(shown["server"]) == keys(recorded("nova_v2.100_server-get-resp.json")["server"])
    assert {k: v for k, v in shown["server"].items() if k != "server_groups"} == server
    assert headers["OpenStack-API-Version"] == "compute 2.100"


def test_a_full_page_links_the_next_as_nova_does(peer):
    for n in range(3):
        peer.cloud.plant(f"s{n}", {})
    token, _ = peer._issue()
    base = f"{peer.compute_base()}/v2.1/{PROJECT_ID}/servers/detail"
    _, page, _ = get(f"{base}?limit=2", token)
    (link,) = page["servers_links"]
    assert keys(page) == keys(recorded("nova_v2.100_servers-details-resp.json"))
    assert link["rel"] == "next" and f"marker={page['servers'][1]['id']}" in link["href"]
    _, last, _ = get(link["href"], token)
    assert len(last["servers"]) == 1 and "servers_links" not in last


def test_an_error_server_shows_the_recorded_fault(peer):
    peer.cloud.build_faults.append((500, "No valid host was found."))
    server = peer.cloud.plant("broken", {}, booted=False)
    peer.cloud.when(lambda: server.status == "ERROR", timeout=5)
    token, _ = peer._issue()
    _, shown, _ = get(f"{peer.compute_base()}/v2.1/{PROJECT_ID}/servers/{server.id}", token)
    fault = shown["server"]["fault"]
    assert set(fault) == {"code", "created", "message"}  # as nova_faults.rst shows one
    assert (fault["code"], fault["message"]) == (500, "No valid host was found.")


def test_nova_faults_and_keystones_errors_have_their_shapes(peer):
    token, _ = peer._issue()
    status, body, _ = get(f"{peer.compute_base()}/v2.1/{PROJECT_ID}/servers/nope", token)
    assert status == 404 and set(body) == {"itemNotFound"}
    assert set(body["itemNotFound"]) == {"code", "message"}
    status, body, _ = get(f"{peer.compute_base()}/v2.1/{PROJECT_ID}/servers/detail", "bad")
    assert status == 401 and set(body["error"]) == {"code", "title", "message"}


def test_discovery_documents_point_at_the_peer(peer):
    status, versions, _ = get(peer.auth_url)
    assert status == 300
    assert keys(versions) == keys(recorded("keystone_identity-versions-response.json"))
    hrefs = [v["links"][0]["href"] for v in versions["versions"]["values"]]
    assert hrefs == [f"{peer.auth_url}/v3/", f"{peer.auth_url}/v2.0/"]
    _, compute, _ = get(f"{peer.compute_base()}/v2.1")
    assert keys(compute) == keys(recorded("nova_v21-version-get-resp.json"))
    assert compute["version"]["version"] == "2.104"


def test_a_token_is_the_recorded_token_with_its_catalog_rebased_on_the_peer(peer):
    body = recorded("keystone_project-name-password.json")  # the recorded request
    body["auth"]["identity"]["password"]["user"]["password"] = PASSWORD
    body["auth"]["scope"]["project"]["name"] = PROJECT_NAME
    request = urllib.request.Request(
        f"{peer.auth_url}/v3/auth/tokens", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as reply:
        status, token, subject = reply.status, json.loads(reply.read()), reply.headers
    sample = recorded("keystone_auth-password-project-scoped-response.json")
    assert status == 201 and subject["X-Subject-Token"]
    assert keys(token) == keys(sample)
    types = [s["type"] for s in token["token"]["catalog"]]
    assert types == [s["type"] for s in sample["token"]["catalog"]]
    urls = [e["url"] for s in token["token"]["catalog"] for e in s["endpoints"]]
    assert all(url.startswith(peer.url) for url in urls)
    compute = [e for s in token["token"]["catalog"] if s["type"] == "compute"
               for e in s["endpoints"]]  # fmt: skip
    assert {(e["region"], e["interface"]) for e in compute} == {
        (region, interface) for region in REGIONS for interface in ("public", "internal", "admin")
    }
    assert f"{peer.url}/RegionOne/public/compute/v2.1/{PROJECT_ID}" in [e["url"] for e in compute]


def test_the_drivers_create_asks_as_the_recorded_create_does(make_driver, peer):
    make_driver().create(
        default_spec("vti-openstack-tests", "asm-d2-1", ssh_public_key=TEST_PUBLIC_KEY)
    )
    (create,) = peer.called("servers.create")
    sample = recorded("nova_v2.100_server-create-req.json")["server"]
    # key_name is of Nova's create request too (the samples with a key pair show it).
    assert set(create.body["server"]) - {"key_name"} <= set(sample)
    (pair,) = peer.called("keypairs.create")
    assert set(pair.body["keypair"]) <= set(
        recorded("nova_v2.10_keypairs-import-post-req.json")["keypair"]
    )


def test_actions_are_the_recorded_action_bodies_and_the_documented_ones(peer):
    assert peer.actions == {
        "os-start": "start",
        "os-stop": "stop",
        "reboot": "reboot",
        "resize": "resize",
        "confirmResize": "confirm_resize",
        "createImage": "create_image",
        # No recorded sample: the compute API reference's bodies (see SOURCES.md).
        "suspend": "suspend",
        "resume": "resume",
    }


def post_action(peer, server_id, body, tail="action"):
    token, _ = peer._issue()
    request = urllib.request.Request(
        f"{peer.compute_base()}/v2.1/{PROJECT_ID}/servers/{server_id}/{tail}",
        data=json.dumps(body).encode(), method="POST",
        headers={"X-Auth-Token": token, "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_suspend_and_resume_take_the_documented_bodies_from_their_states_only(peer):
    peer.cloud.boot = peer.cloud.halt = 1.0  # time enough to see the tasks on a busy machine
    server = peer.cloud.plant("s", {})
    assert post_action(peer, server.id, {"resume": None})[0] == 409  # ACTIVE: not suspended
    assert post_action(peer, server.id, {"suspend": {}})[0] == 400  # the body is null
    assert post_action(peer, server.id, {"suspend": None}) == (202, None)
    assert (server.status, server.task_state) == ("ACTIVE", "suspending")
    peer.cloud.when(lambda: server.status == "SUSPENDED")
    assert (server.vm_state, server.power_state, server.task_state) == ("suspended", 4, None)
    status, body = post_action(peer, server.id, {"suspend": None})
    assert status == 409
    assert body == {"conflictingRequest": {"code": 409, "message": (
        f"Cannot 'suspend' instance {server.id} while it is in vm_state suspended")}}  # fmt: skip
    assert post_action(peer, server.id, {"resume": None}) == (202, None)
    assert server.task_state == "resuming"
    peer.cloud.when(lambda: server.status == "ACTIVE")
    assert (server.vm_state, server.power_state, server.reboots) == ("active", 1, 0)


def test_a_stopped_server_is_not_suspended(peer):
    server = peer.cloud.plant("s", {})
    assert post_action(peer, server.id, {"os-stop": None})[0] == 202
    peer.cloud.when(lambda: server.status == "SHUTOFF")
    status, body = post_action(peer, server.id, {"suspend": None})
    assert (status, body["conflictingRequest"]["message"]) == (
        409,
        f"Cannot 'suspend' instance {server.id} while it is in vm_state stopped",
    )
    assert server.status == "SHUTOFF"


def test_metadata_is_merged_as_the_recorded_request_and_reply_show(make_driver, peer):
    server = peer.cloud.plant("pet", {"owner": "ops"})
    tags = dict(default_spec("vti-openstack-tests", "asm-m2-1").tags)
    make_driver().adopt(server.id, tags)
    (sent,) = peer.called("servers.metadata")
    assert set(sent.body) == set(recorded("nova_server-metadata-all-req.json"))
    assert sent.body["metadata"] == tags
    status, body = post_action(peer, server.id, {"metadata": {"rack": "b2"}}, "metadata")
    assert status == 200 and set(body) == set(recorded("nova_server-metadata-all-resp.json"))
    assert body["metadata"] == {"owner": "ops", **tags, "rack": "b2"}  # all of it, merged
    assert post_action(peer, server.id, {"meta": {"rack": "b3"}}, "metadata")[0] == 400
    assert (server.status, server.reboots) == ("ACTIVE", 0)


def test_metadata_is_refused_while_a_task_is_in_flight(peer):
    peer.cloud.halt = 1.0
    server = peer.cloud.plant("pet", {})
    assert post_action(peer, server.id, {"os-stop": None})[0] == 202
    status, body = post_action(peer, server.id, {"metadata": {"rack": "b2"}}, "metadata")
    assert status == 409 and "task_state powering-off" in body["conflictingRequest"]["message"]
    assert server.metadata == {}
