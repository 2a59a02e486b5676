"""The routes in front of an assembly: on `GET /v3/assembly/{id}`, in its ETag, and as the
URL of its `appaccess` component."""

from __future__ import annotations

from sqlalchemy import update

from vertice_core.store.tables import RouteRow


def declared(alice, **fields):
    created = alice.declare("web-1", **fields)
    assert created.status_code == 201, created.json
    return created.json["uri"]


def add_route(alice, hostname, **fields):
    body = {"hostname": hostname, "assembly": "web-1", "port": 8080, **fields}
    created = alice.post("/v3/routes", body)
    assert created.status_code == 201, created.json
    return created.json


def test_the_document_lists_the_routes_in_front_by_hostname(alice, bob):
    uri = declared(alice)
    assert alice.get(uri).json["routes"] == []
    second = add_route(alice, "b.example.test", path_prefix="/api", tls="off")
    first = add_route(alice, "a.example.test")
    assert alice.get(uri).json["routes"] == [
        {"id": first["id"], "uri": first["uri"], "hostname": "a.example.test", "path_prefix": "",
         "port": 8080, "url": "https://a.example.test/", "phase": "PENDING"},
        {"id": second["id"], "uri": second["uri"], "hostname": "b.example.test",
         "path_prefix": "/api", "port": 8080, "url": "http://b.example.test/api",
         "phase": "PENDING"},
    ]  # fmt: skip
    assert bob.get(bob.declare("web-1").json["uri"]).json["routes"] == [], "alice's are not"


def test_the_routers_url_and_phase_are_shown_once_the_controller_wrote_them(ctx, alice):
    uri = declared(alice)
    route = add_route(alice, "a.example.test")
    with ctx.store.write() as session:
        session.execute(
            update(RouteRow)
            .where(RouteRow.id == route["id"])
            .values(phase="READY", status={"url": "https://a.example.test:8443/"})
        )
    (shown,) = alice.get(uri).json["routes"]
    assert (shown["phase"], shown["url"]) == ("READY", "https://a.example.test:8443/")


def test_the_etag_changes_when_a_route_in_front_changes(ctx, alice):
    uri = declared(alice)
    before = alice.get(uri).headers["etag"]
    route = add_route(alice, "a.example.test")
    added = alice.get(uri).headers["etag"]
    assert added != before
    assert alice.get(uri, headers={"If-None-Match": added}).status_code == 304
    with ctx.store.write() as session:
        session.execute(update(RouteRow).where(RouteRow.id == route["id"]).values(phase="READY"))
    ready = alice.get(uri).headers["etag"]
    assert ready != added
    assert alice.get(uri, headers={"If-None-Match": added}).status_code == 200
    assert alice.delete(route["uri"]).status_code == 204
    assert alice.get(uri).headers["etag"] not in (added, ready)
    assert ready.split(".")[0] == added.split(".")[0], "the spec version did not move"


def test_the_appaccess_component_shows_the_route_url(alice):
    uri = declared(alice, components=[{"tag": "appaccess", "name": "web"}])
    links = alice.get(uri).json["components"]
    (component_uri,) = [c["href"] for c in links if c["target_name"] == "web"]
    assert "url" not in alice.get(component_uri).json["attributes"]
    add_route(alice, "b.example.test", tls="off")
    add_route(alice, "a.example.test")
    attributes = alice.get(component_uri).json["attributes"]
    assert attributes == {
        "url": "https://a.example.test/",
        "urls": ["https://a.example.test/", "http://b.example.test/"],
    }
