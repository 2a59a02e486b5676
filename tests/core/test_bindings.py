"""Bindings on the sim region: a consumer bound to a provider's databaseinstance and appaccess
gets their values, is replaced when the provider moves, and a bound provider's deletion is
refused unless forced; bad bindings are 4xx naming the field."""

from __future__ import annotations

from vertice_core.crypto import SecretBox
from vertice_core.store.tables import AssemblyRow

DB_PLAN = {
    "name": "db-plan",
    "camp_version": "1.2",
    "services": [{"name": "db", "characteristics": [
        {"type": "org.vertice.catalog::env", "db.port": "5432"},
        {"type": "org.vertice.catalog::databaseinstance", "scheme": "postgresql",
         "port": "5432", "user": "user", "password": "password", "database": "database"}]}],
    "inputs": [{"name": "user", "default": "app"}, {"name": "database", "default": "shop"},
               {"name": "password", "secret": True, "generate": True}],
}  # fmt: skip


def bound_env(ctx, uri):
    with ctx.store.read() as session:
        row = session.get(AssemblyRow, uri.rsplit("/", 1)[1])
        sealed = (row.spec or {}).get("sealed_bound_env") or {}
    box = SecretBox(ctx.config.secret_key)
    return {k: box.open(v) for k, v in sealed.items()}


def test_a_consumer_gets_its_providers_values_and_follows_them(
    admin, alice, ctx, make_reconciler, converge
):
    assert admin.post("/v3/plan_factory", DB_PLAN).status_code == 201
    db = alice.declare("db", plan_uri="/v3/plan/db-plan")
    password = db.json["generated_inputs"]["password"]
    api = alice.declare("api", plan_uri="/v3/plan/db-plan")
    wanted = [{"assembly": "db", "component": "databaseinstance"},
              {"assembly": "api", "component": "appaccess"}]  # fmt: skip
    web = alice.declare("web", bindings=wanted)
    assert web.status_code == 201, web.json
    assert [b["env"] for b in web.json["bindings"]] == ["DATABASE_URL", "API_URL"]
    reconciler = make_reconciler()
    uris = [db.json["uri"], api.json["uri"], web.json["uri"]]

    def settled():
        reconciler.run_binding_pass()
        values = bound_env(ctx, uris[2])
        running = all(alice.status(u)["phase"] == "RUNNING" for u in uris)
        return running and len(values) == 2 and alice.status(uris[2])["updated_replicas"] == 1

    converge(reconciler, settled)
    values = bound_env(ctx, uris[2])
    db_host = alice.status(uris[0])["instances"][0]["private_ipv4"]
    assert values["DATABASE_URL"] == f"postgresql://app:{password}@{db_host}:5432/shop"
    api_host = alice.status(uris[1])["instances"][0]["private_ipv4"]
    assert values["API_URL"] == f"http://{api_host}:5432"
    assert password not in alice.get(uris[2]).text  # the consumer's document shows no value

    # the provider moves: its instance is replaced, the consumer's follow
    before = alice.status(uris[2])["instances"][0]["key"]
    alice.replace(uris[0], "/replace_count", 1)

    def followed():
        reconciler.run_binding_pass()
        provider = alice.status(uris[0])["instances"]
        host = provider[0]["private_ipv4"] if len(provider) == 1 else db_host
        url = bound_env(ctx, uris[2]).get("DATABASE_URL", "")
        instances = alice.status(uris[2])["instances"]
        replaced = len(instances) == 1 and instances[0]["key"] != before
        running = alice.status(uris[2])["phase"] == "RUNNING"
        return host != db_host and url.endswith(f"@{host}:5432/shop") and replaced and running

    converge(reconciler, followed)

    # a bound provider is not deleted unless forced
    refused = alice.delete(uris[0])
    assert refused.status_code == 409 and "'web'" in refused.json["description"]
    assert alice.delete(f"{uris[0]}?force=true").status_code == 202


def test_bad_bindings(admin, alice, bob):
    admin.post("/v3/plan_factory", DB_PLAN)
    alice.declare("plain")
    bob.declare("theirs", plan_uri="/v3/plan/db-plan")
    other = alice.declare("web", bindings=[{"assembly": "theirs",
                                            "component": "databaseinstance"}])  # fmt: skip
    assert other.status_code == 404
    no_db = alice.declare("web", bindings=[{"assembly": "plain",
                                            "component": "databaseinstance"}])  # fmt: skip
    assert no_db.status_code == 422
    assert no_db.json["problems"][0]["path"] == "$.bindings[0].component"
    twice = alice.declare("web", bindings=[{"assembly": "plain", "component": "appaccess",
                                            "env": "X"},
                                           {"assembly": "plain", "component": "appaccess",
                                            "env": "X"}])  # fmt: skip
    assert twice.status_code == 422 and twice.json["problems"][0]["path"] == "$.bindings[1].env"
    kind = alice.declare("web", bindings=[{"assembly": "plain", "component": "nope"}])
    assert kind.status_code == 422
    assert [a["name"] for a in alice.get("/v3/assembly_factory").json["items"]] == ["plain"]


def test_a_database_offers_its_databaseinstance_component_without_its_password(
    admin, alice, make_reconciler, converge
):
    admin.post("/v3/plan_factory", DB_PLAN)
    db = alice.declare("db", plan_uri="/v3/plan/db-plan")
    password = db.json["generated_inputs"]["password"]
    (link,) = [c["href"] for c in db.json["components"] if c["target_name"] == "database"]
    uri = db.json["uri"]
    converge(make_reconciler(), lambda: alice.status(uri)["phase"] == "RUNNING")
    found = alice.get(link).json
    assert found["tag"] == "databaseinstance"
    host = alice.status(uri)["instances"][0]["private_ipv4"]
    facts = found["attributes"]
    assert facts["url"] == f"postgresql://app@{host}:5432/shop"
    assert (facts["user"], facts["database"], facts["password_set"]) == ("app", "shop", True)
    assert password not in alice.get(link).text


def test_a_rotated_password_reaches_the_consumer_which_is_replaced(
    admin, alice, ctx, make_reconciler, converge
):
    assert admin.post("/v3/plan_factory", DB_PLAN).status_code == 201
    db = alice.declare("db", plan_uri="/v3/plan/db-plan")
    old = db.json["generated_inputs"]["password"]
    web = alice.declare("web", bindings=[{"assembly": "db", "component": "databaseinstance"}])
    reconciler = make_reconciler()
    uris = (db.json["uri"], web.json["uri"])

    def bound_with(password: str) -> bool:
        reconciler.run_binding_pass()
        url = bound_env(ctx, uris[1]).get("DATABASE_URL", "")
        status = alice.status(uris[1])
        running = all(alice.status(u)["phase"] == "RUNNING" for u in uris)
        return running and f":{password}@" in url and status["updated_replicas"] == 1

    converge(reconciler, lambda: bound_with(old))
    provider_key = alice.status(uris[0])["instances"][0]["key"]
    consumer_key = alice.status(uris[1])["instances"][0]["key"]

    rotated = alice.patch(uris[0], [{"op": "remove", "path": "/inputs/password"}])
    assert rotated.status_code == 200, rotated.json
    new = rotated.json["generated_inputs"]["password"]
    assert new != old

    def replaced() -> bool:
        provider = alice.status(uris[0])["instances"]
        consumer = alice.status(uris[1])["instances"]
        return (bound_with(new) and [i["key"] for i in provider] != [provider_key]
                and len(consumer) == 1 and consumer[0]["key"] != consumer_key)  # fmt: skip

    converge(reconciler, replaced)
    assert old not in str(bound_env(ctx, uris[1]))


def test_an_instance_made_from_the_spec_read_before_its_values_were_sealed_is_replaced(
    admin, alice, make_reconciler, converge, monkeypatch
):
    """The binding pass can run between the reconciler's read of a consumer's spec and
    its write-ahead create marker: it sees no instance yet, seals the values, and the
    instance is then made from the spec read before. That instance must still be replaced
    (a fresh-clone run once served an application with no DATABASE_URL for 180 s)."""
    from vertice_core.binding import TARGET
    from vertice_core.reconcile.storeops import PassStore

    assert admin.post("/v3/plan_factory", DB_PLAN).status_code == 201
    db = alice.declare("db", plan_uri="/v3/plan/db-plan")
    reconciler = make_reconciler()
    converge(reconciler, lambda: alice.status(db.json["uri"])["phase"] == "RUNNING")
    web = alice.declare("web", bindings=[{"assembly": "db", "component": "databaseinstance"}])
    web_id = web.json["uri"].rsplit("/", 1)[1]
    made_with: dict[str, dict[str, str]] = {}  # each web instance's key: the env it got
    first: list[dict[str, str]] = []
    specs, marks = PassStore.instance_specs, PassStore.mark_creating

    def instance_specs(self, wanted):
        found = specs(self, wanted)
        made_with.update({s.key: dict(s.env) for (i, _), s in found.items() if i == web_id})
        first.extend([] if first else [dict(s.env) for (i, _), s in found.items() if i == web_id])
        return found

    def mark_creating(self, markers):
        if any(i == web_id for i, _, _ in markers) and len(made_with) == 1:
            reconciler.bindings.run_target(TARGET)  # in the window, once
        return marks(self, markers)

    monkeypatch.setattr(PassStore, "instance_specs", instance_specs)
    monkeypatch.setattr(PassStore, "mark_creating", mark_creating)

    def bound_everywhere() -> bool:
        if first:  # not before the first create: the window is where it must first run
            reconciler.run_binding_pass()
        status = alice.status(web.json["uri"])
        keys = [i["key"] for i in status["instances"] or []]
        bound = all("DATABASE_URL" in made_with.get(k, {}) for k in keys)
        return status["phase"] == "RUNNING" and len(keys) == 1 and bound

    converge(reconciler, bound_everywhere, timeout=30)
    assert first and "DATABASE_URL" not in first[0]  # the window was hit
