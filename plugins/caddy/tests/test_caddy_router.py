"""What the contract does not say and Caddy makes matter: other config, restarts, certificates."""

from __future__ import annotations

import datetime
import importlib.metadata
import ssl

import attrs
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vertice_core.errors import TerminalError
from vertice_core.router import TlsMode
from vertice_drivers.ports import free_port
from vertice_drivers.router_testkit import route_spec, serve_upstream
from vertice_router_caddy import ROUTER, CaddySettings
from vertice_router_caddy.router import CaddyRouter


@pytest.fixture
def upstream():
    with serve_upstream("caddy-upstream") as up:
        yield up


def admin(caddy, method, path, body=None):
    answer = httpx.request(method, caddy.admin_url + path, json=body, timeout=10)
    assert answer.status_code < 400, answer.text
    return answer.json() if answer.content.strip() else None


def test_the_plugin_is_found_by_entry_point():
    (found,) = [
        e for e in importlib.metadata.entry_points(group="vertice.routers") if e.name == "caddy"
    ]
    info = found.load()
    assert info is ROUTER
    assert info.settings is CaddySettings
    assert info.load() is CaddyRouter


def test_settings_are_validated():
    assert CaddySettings().admin == "http://127.0.0.1:2019"
    with pytest.raises(ValueError, match="admin"):
        CaddySettings(admin="127.0.0.1:2019")
    with pytest.raises(ValueError, match="http_port"):
        CaddySettings(http_port=0)
    with pytest.raises(ValueError, match="timeout"):
        CaddySettings(timeout=0)


def test_foreign_configuration_survives_apply_and_remove(caddy, make_router, upstream):
    other_port = free_port()
    foreign_server = {
        "listen": [f"127.0.0.1:{other_port}"],
        "routes": [{"handle": [{"handler": "static_response", "body": "foreign"}]}],
    }
    admin(
        caddy,
        "PUT",
        "/config/apps",
        {
            "http": {
                "http_port": caddy.http_port,
                "https_port": caddy.https_port,
                "servers": {"other": foreign_server},
            }
        },
    )
    router = make_router()
    spec = route_spec("kept.vertice.test", upstream)
    router.apply(spec)
    # Someone else's route inside vertice's own server is kept too.
    admin(
        caddy,
        "POST",
        "/config/apps/http/servers/vertice_http/routes",
        {
            "match": [{"host": ["hand.vertice.test"]}],
            "handle": [{"handler": "static_response", "body": "by hand"}],
        },
    )
    router.apply(attrs.evolve(spec, path_prefix="/moved"))
    router.remove(spec.id)
    servers = admin(caddy, "GET", "/config/apps/http/servers")
    assert servers["other"] == foreign_server
    assert [r["match"][0]["host"] for r in servers["vertice_http"]["routes"]] == [
        ["hand.vertice.test"]
    ]
    assert httpx.get(f"http://127.0.0.1:{other_port}/", timeout=5).text == "foreign"
    assert caddy.request("hand.vertice.test") == (200, "by hand")


def test_a_caddy_restarted_empty_is_filled_again(caddy, make_router, upstream):
    router = make_router()
    spec = route_spec("again.vertice.test", upstream)
    router.apply(spec)
    caddy.start()  # a restart with an empty configuration
    assert router.observe() == {}
    router.apply(spec)
    assert router.observe() == {spec.id: router.fingerprint(spec)}
    assert caddy.request(spec.hostname)[1].startswith(upstream.name)


def test_a_caddy_restarted_between_observe_and_apply_is_read_again(caddy, make_router, upstream):
    """The kept configuration is stale (the server it would append to is gone): the
    refused write is retried once on a fresh read, and the route is served."""
    router = make_router()
    first, second = route_spec("one.vertice.test", upstream), route_spec("two.vertice.test")
    router.apply(first)
    assert set(router.observe()) == {first.id}
    caddy.start()  # empty again, behind the router's back
    reads = caddy.config_reads()
    router.apply(attrs.evolve(second, upstreams=(upstream.address,)))
    assert caddy.config_reads() - reads == 1
    assert caddy.request(second.hostname)[1].startswith(upstream.name)


def test_observe_is_one_get_of_the_config(caddy, make_router, upstream):
    router = make_router()
    router.apply(route_spec("count.vertice.test", upstream))
    before = caddy.admin_requests()
    router.observe()
    assert caddy.admin_requests()[len(before) :] == [("GET", "/config/")]


def test_changing_tls_moves_the_route(caddy, make_router, upstream):
    router = make_router()
    spec = route_spec("moving.vertice.test", upstream)
    router.apply(spec)
    secure = attrs.evolve(spec, tls=TlsMode.INTERNAL)
    router.apply(secure)
    assert router.observe() == {spec.id: router.fingerprint(secure)}
    assert caddy.request(spec.hostname)[1] == ""  # no longer on plain HTTP
    router.apply(spec)
    assert router.observe() == {spec.id: router.fingerprint(spec)}
    policies = admin(caddy, "GET", "/config/apps/tls/automation/policies")
    assert policies == []


def self_signed(hostname):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def test_a_provided_certificate_is_served(caddy, make_router, upstream):
    hostname = "provided.vertice.test"
    cert, key = self_signed(hostname)
    router = make_router()
    spec = route_spec(hostname, upstream, tls=TlsMode.PROVIDED, certificate=cert, key=key)
    router.apply(spec)
    assert router.observe() == {spec.id: router.fingerprint(spec)}
    context = ssl.create_default_context(cadata=cert)
    with httpx.Client(verify=context, timeout=10) as client:
        answer = client.get(
            f"https://127.0.0.1:{caddy.https_port}/",
            headers={"Host": hostname},
            extensions={"sni_hostname": hostname},
        )
    assert answer.text.startswith(upstream.name)
    router.remove(spec.id)
    assert router.observe() == {}
    assert admin(caddy, "GET", "/config/apps/tls/certificates/load_pem") == []


def test_a_refused_certificate_is_terminal_and_keeps_the_key_secret(make_router, upstream):
    router = make_router()
    secret = "-----BEGIN PRIVATE KEY-----\nnot-a-key-SECRET\n-----END PRIVATE KEY-----\n"
    spec = route_spec(
        "broken.vertice.test", upstream, tls=TlsMode.PROVIDED, certificate="garbage", key=secret
    )
    with pytest.raises(TerminalError) as caught:
        router.apply(spec)
    assert "SECRET" not in str(caught.value)
    assert "caddy refused" in str(caught.value)
