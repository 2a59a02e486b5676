"""Secrets: root passwords and region credentials are sealed at rest and never returned;
API tokens are stored as digests only."""

from __future__ import annotations

import attrs
import pytest
from sqlalchemy import select

from vertice_core.crypto import token_digest
from vertice_core.store.tables import AssemblyRow, RegionRow, TokenRow

PASSWORD = "Root-Pa55word-7319"
ACCESS, SECRET = "AKIA-ACCESS-8842", "wJalr-SECRET-9923"


@pytest.fixture
def ctx(ctx, vault_registry):
    """The API's context with a driver registry that also serves cloud type `vault`."""
    return attrs.evolve(ctx, registry=vault_registry)


@pytest.fixture
def region(admin):
    body = {"name": "vault-1", "cloud_type": "vault",
            "credentials": {"access_key": ACCESS, "secret_key": SECRET}}  # fmt: skip
    created = admin.post("/v3/regions", body)
    assert created.status_code == 201, created.json
    return created


@pytest.fixture
def assembly(alice, region):
    created = alice.declare(
        "web-1", region="vault-1", credential={"kind": "root_password", "password": PASSWORD}
    )
    assert created.status_code == 201, created.json
    return created


def every_response(admin, alice, assembly):
    """The raw text of every answer that concerns the region or the assembly."""
    uri = assembly.headers["location"]
    assembly_id = assembly.json["id"]
    texts = [assembly.text]
    for api in (admin, alice):
        for path in (
            "/v3/regions",
            "/v3/regions/vault-1",
            "/v3/assembly_factory",
            uri,
            f"{uri}/events",
            *(f"/v3/component/{assembly_id}.{i}" for i in range(5)),
        ):
            result = api.get(path)
            assert result.status_code == 200, path
            texts.append(result.text)
    patched = alice.patch(uri, [{"op": "replace", "path": "/description", "value": "x"}])
    texts.append(patched.text)
    texts.append(alice.delete(uri).text)
    return texts


def test_secrets_never_appear_in_a_response(admin, alice, region, assembly):
    texts = [region.text, *every_response(admin, alice, assembly)]
    for secret in (PASSWORD, ACCESS, SECRET):
        assert not any(secret in text for text in texts), secret


def test_secrets_are_sealed_at_rest(ctx, store, snapshot, region, assembly):
    dump = repr(snapshot())
    for secret in (PASSWORD, ACCESS, SECRET):
        assert secret not in dump
    with store.read() as session:
        row = session.get(AssemblyRow, assembly.json["id"])
        sealed_password = row.spec["credential"]["sealed_password"]
    assert ctx.box.open(sealed_password) == PASSWORD


def test_the_region_row_holds_the_sealed_credentials(ctx, store, region):
    with store.read() as session:
        row = session.get(RegionRow, "vault-1")
        assert ACCESS not in row.sealed_credentials
        assert ctx.box.open_json(row.sealed_credentials)["secret_key"] == SECRET
        assert row.credential_fields == ["access_key", "secret_key"]


@pytest.mark.parametrize(
    "credential",
    [
        {"kind": "root_password", "password": PASSWORD + "\u0007"},
        {"kind": "root_password", "password": PASSWORD * 8},
        {"kind": "root_password", "password": PASSWORD, "hint": PASSWORD},
    ],
)
def test_a_refused_password_is_not_echoed(alice, credential):
    result = alice.declare(credential=credential)
    assert result.status_code == 422
    assert PASSWORD not in result.text


def test_refused_credentials_are_not_echoed(admin, region):
    bad = {"access_key": ACCESS, "secret_key": SECRET, "pin": 1234, "token": 5}
    result = admin.put("/v3/regions/vault-1", {"cloud_type": "vault", "credentials": bad})
    assert result.status_code == 422
    assert ACCESS not in result.text and SECRET not in result.text


def test_tokens_are_stored_as_digests(admin, alice, bob, store, snapshot):
    issued = [alice.post("/v3/tokens", {"name": "ci"}).json["token"]]
    issued.append(admin.post("/v3/users", {"name": "carol"}).json["token"])
    plaintexts = [admin.token, alice.token, bob.token, *issued]
    dump = repr(snapshot())
    for token in plaintexts:
        assert token not in dump
        assert token[3:] not in dump
    with store.read() as session:
        digests = set(session.scalars(select(TokenRow.digest)))
    assert {token_digest(t) for t in plaintexts} <= digests
