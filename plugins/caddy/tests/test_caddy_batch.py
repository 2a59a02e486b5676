"""`CaddyRouter.apply_all` on a real Caddy: If-Match against concurrent writers, refused
writes falling back to one route at a time, foreign configuration kept in place."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest

from vertice_core.errors import TerminalError
from vertice_core.router import Router, TlsMode
from vertice_drivers.router_testkit import route_spec, serve_upstream
from vertice_router_caddy.client import etag

ROUTES = "/config/apps/http/servers/vertice_http/routes"


@pytest.fixture
def upstream():
    with serve_upstream("batch-upstream") as up:
        yield up


def hand_route(host: str) -> dict:
    return {
        "match": [{"host": [host]}],
        "handle": [{"handler": "static_response", "body": "by hand"}],
    }


def trailer_etag(admin_url: str, path: str) -> str:
    """The `Etag` trailer Caddy sends after the body of `GET path` (httpx drops trailers)."""
    where = urlsplit(admin_url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {where.netloc}\r\nConnection: close\r\n\r\n"
                     .encode())  # fmt: skip
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    for line in answer.decode().split("\r\n"):
        if line.lower().startswith("etag:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no Etag in {answer[-300:]!r}")


def test_the_computed_etag_is_caddys_own(caddy, make_router, upstream):
    router = make_router()
    spec = route_spec("etag.vertice.test", upstream, path_prefix="/a&b<c>")
    assert router.apply_all([spec], []) == {}
    routes = httpx.get(caddy.admin_url + ROUTES, timeout=10).json()
    assert trailer_etag(caddy.admin_url, ROUTES) == etag(ROUTES, routes)


def test_a_concurrent_write_to_the_same_array_is_not_lost(caddy, make_router, upstream):
    """Someone adds a route to vertice's server between observe() and apply_all(): the
    write sent with If-Match gets a 412, the pass reads again and keeps theirs."""
    router = make_router()
    first = route_spec("first.vertice.test", upstream)
    assert router.apply_all([first], []) == {}
    assert set(router.observe()) == {first.id}
    added = httpx.post(caddy.admin_url + ROUTES, json=hand_route("hand.vertice.test"), timeout=10)
    assert added.status_code == 200, added.text
    reads, writes = caddy.config_reads(), caddy.config_writes()
    second = route_spec("second.vertice.test", upstream)
    assert router.apply_all([second], []) == {}
    assert caddy.request("hand.vertice.test") == (200, "by hand")
    assert caddy.config_reads() - reads == 1, "read again after the 412"
    assert caddy.config_writes() - writes == 2, "the refused write and the one after it"
    assert caddy.request(second.hostname)[1].startswith(upstream.name)
    assert set(router.observe()) == {first.id, second.id}


def test_an_array_whose_etag_is_computed_wrong_still_converges(caddy, make_router, upstream):
    """A foreign route holding a form feed: Go's encoder writes it as \u000c, which the
    computed Etag does not imitate, so both writes with If-Match get a 412. The pass
    then writes route by route, without If-Match, and the routes are served."""
    router = make_router()
    first = route_spec("wrong.vertice.test", upstream)
    assert router.apply_all([first], []) == {}  # vertice's server exists
    odd = hand_route("odd.vertice.test")
    odd["handle"][0]["body"] = "form\ffeed"
    added = httpx.post(caddy.admin_url + ROUTES, json=odd, timeout=10)
    assert added.status_code == 200, added.text
    routes = httpx.get(caddy.admin_url + ROUTES, timeout=10).json()
    assert trailer_etag(caddy.admin_url, ROUTES) != etag(ROUTES, routes), "not a wrong Etag"
    specs = [route_spec(f"wrong{i}.vertice.test", upstream) for i in range(3)]
    router.observe()
    assert router.apply_all(specs, []) == {}
    assert router.observe() == {s.id: router.fingerprint(s) for s in (first, *specs)}
    assert caddy.request("odd.vertice.test") == (200, "form\ffeed")


def test_a_refused_certificate_fails_only_its_route(caddy, make_router, upstream):
    """The batch is refused (Caddy validates the certificate): the other routes go in
    again as one batch, not one write each, and only the bad route fails."""
    router = make_router()
    good = [route_spec(f"good{i}.vertice.test", upstream) for i in range(10)]
    secure = route_spec("secure.vertice.test", upstream, tls=TlsMode.INTERNAL)
    bad = route_spec("bad.vertice.test", upstream, tls=TlsMode.PROVIDED,
                     certificate="garbage", key="not a key SECRET")  # fmt: skip
    router.observe()
    writes = caddy.config_writes()
    failures = router.apply_all([*good, bad, secure], [])
    assert list(failures) == [bad.id], failures
    assert isinstance(failures[bad.id], TerminalError)
    assert "SECRET" not in str(failures[bad.id])
    assert caddy.config_writes() - writes <= 8, "not one write per route"
    assert router.observe() == {s.id: router.fingerprint(s) for s in (*good, secure)}
    assert caddy.request(good[0].hostname)[1].startswith(upstream.name)


def test_foreign_routes_stay_where_they_are(caddy, make_router, upstream):
    """Routes of another installation and by hand keep their place in vertice's server;
    ours go in by path prefix length, longer first."""
    ours, theirs = make_router(installation="vti-ours"), make_router(installation="vti-theirs")
    assert theirs.apply_all([route_spec("theirs.vertice.test", upstream)], []) == {}
    httpx.post(caddy.admin_url + ROUTES, json=hand_route("hand.vertice.test"), timeout=10)
    before = httpx.get(caddy.admin_url + ROUTES, timeout=10).json()
    specs = [route_spec("ours.vertice.test", upstream, path_prefix=p) for p in ("", "/a/b", "/a")]
    assert ours.apply_all(specs, []) == {}
    after = httpx.get(caddy.admin_url + ROUTES, timeout=10).json()
    foreign = [r for r in after if not str(r.get("@id", "")).startswith("vertice_vti-ours_")]
    assert foreign == before
    mine = [r["@id"].rsplit("_", 1)[1] for r in after if r not in foreign]
    assert mine == [specs[1].id, specs[2].id, specs[0].id]
    assert after.index(before[0]) < after.index(before[1]), "their order is kept"
    assert ours.apply_all([], [s.id for s in specs]) == {}
    assert httpx.get(caddy.admin_url + ROUTES, timeout=10).json() == before


def test_the_base_class_applies_and_removes_one_route_at_a_time(caddy, make_router, upstream):
    """`Router.apply_all`, what a router without its own gets: `apply` and `remove` per
    route, the failures by route id."""
    router = make_router()
    first, second = (route_spec(f"base{i}.vertice.test", upstream) for i in range(2))
    bad = route_spec("base-bad.vertice.test", upstream, tls=TlsMode.PROVIDED,
                     certificate="garbage", key="garbage")  # fmt: skip
    assert Router.apply_all(router, [first], []) == {}
    writes = caddy.config_writes()
    failures = Router.apply_all(router, [second, bad], [first.id, "rte-never-applied"])
    assert list(failures) == [bad.id], failures
    assert isinstance(failures[bad.id], TerminalError)
    assert caddy.config_writes() - writes >= 3, "one write (or more) per route"
    assert router.observe() == {second.id: router.fingerprint(second)}
