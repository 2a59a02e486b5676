"""What cannot be done with a disk is refused, storing nothing (issue 14, day 2).

A region whose installed driver does not claim `disks` is a 422 naming the
capability and the cloud type; a bad size, an attachment to what the project does
not have or what does not run in the disk's region, and a shrink are 422s at the
field; a taken name is a 409; another project's disk is a 404 like a missing one;
a disk beyond the project's disk quota is a 403 naming it.
"""

from __future__ import annotations

from tests.core.disks.test_disks import change, declare


def problems(answer) -> list[str]:
    return [p["path"] for p in answer.json.get("problems", [])]


def test_bad_declarations_are_422s_at_their_field_and_store_nothing(alice, admin):
    alice.declare("web-1")
    bodies = [
        ({"name": "a b", "region": "local", "size_gb": 1}, "$.name"),
        ({"name": "d", "region": "local", "size_gb": 0}, "$.size_gb"),
        ({"name": "d", "region": "local", "size_gb": 16385}, "$.size_gb"),
        ({"name": "d", "region": "local"}, "$.size_gb"),
        ({"name": "d", "region": "nowhere", "size_gb": 1}, "$.region"),
        ({"name": "d", "region": "local", "size_gb": 1, "colour": "red"}, "$.colour"),
        ({"name": "d", "region": "local", "size_gb": 1, "attach": {"assembly": "none"}},
         "$.attach.assembly"),
        ({"name": "d", "region": "local", "size_gb": 1,
          "attach": {"assembly": "web-1", "instance": 1}}, "$.attach.instance"),
    ]  # fmt: skip
    for body, path in bodies:
        refused = alice.post("/v3/disks", body)
        assert refused.status_code == 422, (body, refused.json)
        assert path in problems(refused), (body, refused.json)
    assert admin.post("/v3/regions", {"name": "far", "cloud_type": "sim"}).status_code == 201
    elsewhere = alice.post("/v3/disks", {"name": "d", "region": "far", "size_gb": 1,
                                         "attach": {"assembly": "web-1"}})  # fmt: skip
    assert elsewhere.status_code == 422 and problems(elsewhere) == ["$.attach"]
    assert "does not run in region 'far'" in elsewhere.json["problems"][0]["message"]
    assert alice.get("/v3/disks").json["items"] == []
    declare(alice, "d")
    taken = alice.post("/v3/disks", {"name": "d", "region": "local", "size_gb": 1})
    assert taken.status_code == 409
    assert len(alice.get("/v3/disks").json["items"]) == 1


def test_bad_changes_are_refused_and_change_nothing(alice):
    alice.declare("web-1")
    disk = declare(alice, size_gb=2)
    for body, code in (({"size_gb": 1}, 422), ({"size_gb": "big"}, 422),
                       ({"attach": {"assembly": "web-1"}, "detach": True}, 422),
                       ({"attach": {"assembly": "nope"}}, 422), ({"colour": 1}, 422)):  # fmt: skip
        refused = change(alice, disk["uri"], body)
        assert refused.status_code == code, (body, refused.json)
    after = alice.get(disk["uri"]).json
    assert (after["size_gb"], after["attach"], after["updated_at"]) == (
        2, None, disk["updated_at"])  # fmt: skip
    assert alice.delete(disk["uri"]).status_code == 202
    late = change(alice, disk["uri"], {"size_gb": 5})
    assert late.status_code == 409 and "being deleted" in late.json["description"]


def test_a_driver_without_the_capability_is_a_422_naming_it_and_the_cloud_type(alice, bare_region):
    refused = alice.post("/v3/disks", {"name": "d", "region": bare_region, "size_gb": 1})
    assert refused.status_code == 422, refused.json
    message = refused.json["problems"][0]["message"]
    assert "'softlayer'" in message and "'disks'" in message
    assert alice.get("/v3/disks").json["items"] == []


def test_another_projects_disk_is_a_404(alice, bob, admin):
    uri = alice.declare("web-1").headers["location"]
    disk = declare(alice)
    assert bob.get(disk["uri"]).status_code == 404
    assert bob.delete(disk["uri"]).status_code == 404
    assert change(bob, disk["uri"], {"size_gb": 9}).status_code == 404
    assert change(bob, disk["uri"], {"colour": 1}).status_code == 404  # whatever the body
    assert bob.get("/v3/disks").json["items"] == []
    assert bob.get(f"{uri}/disks").status_code == 404
    attach = bob.post("/v3/disks", {"name": "x", "region": "local", "size_gb": 1,
                                    "attach": {"assembly": "web-1"}})  # fmt: skip
    assert attach.status_code == 422 and problems(attach) == ["$.attach.assembly"]
    assert [d["id"] for d in admin.get("/v3/disks").json["items"]] == [disk["id"]]
    assert alice.get(disk["uri"]).json["size_gb"] == 1


def test_disks_count_against_the_projects_disk_quota(alice, admin):
    project = alice.get("/v3/projects").json["items"][0]["name"]
    put = admin.put(f"/v3/quotas/{project}", {"disk": 15})
    assert put.status_code == 200, put.json
    alice.declare("web-1")  # a small flavor declares 10 GiB of disk
    first = declare(alice, size_gb=5)
    over = alice.post("/v3/disks", {"name": "more", "region": "local", "size_gb": 1})
    assert over.status_code == 403 and "quota exceeded" in over.json["description"]
    assert "disk" in over.json["description"]
    grow = change(alice, first["uri"], {"size_gb": 6})
    assert grow.status_code == 403
    assert alice.get(first["uri"]).json["size_gb"] == 5
