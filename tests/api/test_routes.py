"""Routes: `/v3/routes[/{id}]`, declared per project, hostnames unique in the installation."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vertice_core.store.repositories import RouteRepository


def route(hostname="web.example.test", assembly="web-1", port=8080, **fields):
    return {"hostname": hostname, "assembly": assembly, "port": port, **fields}


def self_signed(hostname: str) -> tuple[str, str]:
    """A PEM certificate and key for `hostname` (what a user might provide)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def test_declare_read_list_delete(alice):
    assembly_id = alice.declare("web-1").json["id"]
    created = alice.post("/v3/routes", route(path_prefix="/api"))
    assert created.status_code == 201, created.json
    body = created.json
    assert created.headers["location"] == body["uri"] == f"/v3/routes/{body['id']}"
    assert body["type"] == "route"
    assert (body["hostname"], body["path_prefix"], body["port"]) == (
        "web.example.test",
        "/api",
        8080,
    )
    assert body["assembly_uri"] == f"/v3/assembly/{assembly_id}"
    assert (body["tls"], body["balancing"]) == ("internal", "round_robin")
    assert body["url"] == "https://web.example.test/api"
    assert body["status"]["phase"] == "PENDING"
    assert alice.get(body["uri"]).json == body
    assert [i["id"] for i in alice.get("/v3/routes").json["items"]] == [body["id"]]
    assert alice.delete(body["uri"]).status_code == 204
    assert alice.get(body["uri"]).status_code == 404
    assert alice.delete(body["uri"]).status_code == 404
    assert alice.get("/v3/routes").json["items"] == []


def test_the_assembly_may_be_named_by_id_and_tls_off_is_plain_http(alice):
    assembly_id = alice.declare("web-1").json["id"]
    created = alice.post("/v3/routes", route(assembly=assembly_id, tls="off"))
    assert created.status_code == 201, created.json
    assert created.json["url"] == "http://web.example.test/"


def test_a_hostname_is_unique_in_the_installation_and_named_only_to_who_may_see_it(alice, bob):
    alice.declare("web-1")
    bob.declare("web-1")
    first = alice.post("/v3/routes", route()).json
    again = alice.post("/v3/routes", route(port=9090))
    assert again.status_code == 409
    assert first["id"] in again.json["description"]
    stranger = bob.post("/v3/routes", route())
    assert stranger.status_code == 409
    assert stranger.json["description"] == "hostname taken"
    assert first["id"] not in stranger.text


def test_another_projects_assembly_and_route_are_not_found(alice, bob):
    alice.declare("web-1")
    theirs = bob.declare("only-bob").json["id"]
    for ref in ("only-bob", theirs, "missing"):
        answer = alice.post("/v3/routes", route(assembly=ref))
        assert answer.status_code == 404, (ref, answer.json)
    bob_route = bob.post("/v3/routes", route(assembly="only-bob")).json
    assert alice.get(bob_route["uri"]).status_code == 404
    assert alice.delete(bob_route["uri"]).status_code == 404
    assert alice.get("/v3/routes").json["items"] == []
    assert bob.get(bob_route["uri"]).status_code == 200


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"hostname": "Web.example.test"}, "$.hostname"),
        ({"hostname": "-web.example.test"}, "$.hostname"),
        ({"hostname": "web..test"}, "$.hostname"),
        ({"hostname": "a" * 64 + ".test"}, "$.hostname"),
        ({"hostname": ""}, "$.hostname"),
        ({"port": 0}, "$.port"),
        ({"port": 65536}, "$.port"),
        ({"port": "80"}, "$.port"),
        ({"path_prefix": "api"}, "$.path_prefix"),
        ({"path_prefix": "/api/"}, "$.path_prefix"),
        ({"path_prefix": "/a*"}, "$.path_prefix"),
        ({"tls": "acme"}, "$.tls"),
        ({"balancing": "random"}, "$.balancing"),
        ({"tls": "provided"}, "$.certificate"),
        ({"certificate": "not pem"}, "$.certificate"),
        ({"unknown": 1}, "$.unknown"),
    ],
)
def test_bad_routes_are_422_naming_the_field_and_store_nothing(alice, snapshot, fields, path):
    alice.declare("web-1")
    before = snapshot()
    answer = alice.post("/v3/routes", route(**fields))
    assert answer.status_code == 422, answer.json
    assert path in [p["path"] for p in answer.json["problems"]], answer.json
    assert snapshot() == before


def test_a_provided_certificate_and_key_are_sealed_and_never_returned(alice, ctx):
    alice.declare("web-1")
    certificate, key = self_signed("secure.example.test")
    body = route("secure.example.test", tls="provided", certificate=certificate, key=key)
    created = alice.post("/v3/routes", body)
    assert created.status_code == 201, created.json
    assert created.json["tls"] == "provided"
    secret_line = key.splitlines()[1]
    for answer in (created, alice.get(created.json["uri"]), alice.get("/v3/routes")):
        assert "certificate" not in answer.json and secret_line not in answer.text
    with ctx.store.read() as session:
        (row,) = RouteRepository(session).all()
    assert secret_line not in row.sealed_tls and row.sealed_tls
    assert ctx.box.open_json(row.sealed_tls) == {"certificate": certificate, "key": key}
