"""An assembly's ETag: its spec version and its status version.

It changes when the spec does and when the reconciler writes a new status,
so `If-None-Match` answers 304 exactly while nothing changed; `If-Match` on
a write compares the spec version only, so a status update alone never
makes a write stale.
"""

from __future__ import annotations


def test_if_none_match_with_the_current_etag_is_304_without_a_body(alice, uri):
    etag = alice.get(uri).headers["etag"]
    again = alice.get(uri, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    for header in (f'"0.0", {etag}', f"W/{etag}", "*"):
        assert alice.get(uri, headers={"If-None-Match": header}).status_code == 304, header


def test_another_etag_gets_the_document(alice, uri):
    etag = alice.get(uri).headers["etag"]
    other = etag.replace('"1.', '"2.')
    result = alice.get(uri, headers={"If-None-Match": other})
    assert result.status_code == 200
    assert result.json["name"] == "web-1"


def test_the_etag_moves_with_the_spec(alice, uri):
    before = alice.get(uri).headers["etag"]
    alice.replace(uri, "/description", "changed")
    after = alice.get(uri, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["etag"] != before


def test_the_etag_moves_with_the_status_and_if_match_still_holds(
    alice, uri, make_reconciler, converge
):
    before = alice.get(uri).headers["etag"]
    converge(make_reconciler(), lambda: alice.status(uri)["phase"] == "RUNNING")
    read = alice.get(uri, headers={"If-None-Match": before})
    assert read.status_code == 200  # the status changed; the spec did not
    assert read.json["generation"] == 1
    now = read.headers["etag"]
    assert now != before and now.startswith('"1.')
    assert alice.get(uri, headers={"If-None-Match": now}).status_code == 304
    patched = alice.patch(
        uri,
        [{"op": "replace", "path": "/description", "value": "x"}],
        headers={"If-Match": before},  # read before the status moved: still the same spec
    )
    assert patched.status_code == 200, patched.json


def test_a_missing_assembly_is_404_whatever_the_precondition(alice):
    missing = "/v3/assembly/asm-0000000000000000"
    assert alice.get(missing, headers={"If-None-Match": "*"}).status_code == 404


def test_if_none_match_does_not_reveal_another_users_assembly(alice, bob, uri):
    assert bob.get(uri, headers={"If-None-Match": "*"}).status_code == 404


def test_the_get_answers_the_document_a_write_answers(alice, uri, make_reconciler, converge):
    """The GET makes its document straight from the row (`vertice_core.service.plain`),
    a write from the record: the same document and ETag, before and after the reconciler
    wrote a status, with routes in front and components declared."""
    for hostname in ("b.example.test", "a.example.test"):
        body = {"hostname": hostname, "assembly": "web-1", "port": 8080}
        assert alice.post("/v3/routes", body).status_code == 201
    for step in range(2):
        patched = alice.patch(uri, [{"op": "replace", "path": "/description", "value": f"d{step}"}])
        assert patched.status_code == 200, patched.json
        read = alice.get(uri)
        assert read.json == patched.json
        assert read.headers["etag"] == patched.headers["etag"]
        assert len(read.json["routes"]) == 2
        if step == 0:
            converge(make_reconciler(), lambda: alice.status(uri)["phase"] == "RUNNING")
    assert read.json["status"]["instances"] and read.json["status"]["conditions"]
    assert read.json["components"]  # the plan's components, linked
