"""The built-in plans are the design document's, as written there, and the one-click catalog's;
the seed is idempotent."""

from __future__ import annotations

import json
import re
from pathlib import Path

from vertice_core import builtins
from vertice_core.convert import make_converter
from vertice_core.store.repositories import FlavorRepository, PlanRepository, RegionRepository

#: The design document this project grew from (see SOURCES.md beside it).
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "deployments-2.0.md"
PLANS = Path(builtins.__file__).parent / "plans"
#: The design document's plans, then the one-click catalog's (`vertice_driver_docker.appimages`).
DESIGN = ["1_virtualmachine_ubuntu", "2_application_java", "3_webserver_apache"]
CATALOG = ["4_webserver_static", "5_application_python", "6_database_postgresql", "7_cache_redis"]


def seed_blocks() -> list[str]:
    """The JSON blocks under the design document's `### /v3/plan/...` headings."""
    text = SEED.read_text()
    return re.findall(r"### /v3/plan/[^\n]*\n.*?```(?:json)?\n(.*?)```", text, re.S)


def repaired(block: str) -> object:
    """The document's JSON, with its two typos repaired (the Java plan misses a comma
    between two characteristics and has a trailing comma): nothing else changes."""
    try:
        return json.loads(block)
    except json.JSONDecodeError:
        fixed = re.sub(r"\}\s*\n(\s*)\{", "},\n\\1{", block)
        return json.loads(re.sub(r",(\s*)\]", r"\1]", fixed))


def without_additions(plan: dict) -> dict:
    """A plan file without what vertice added to the design document's plans: its `inputs`,
    its own characteristics (`org.vertice...::image`, to run them offline), and, for the
    seed's apache, the port moved to 8080 (`HTTP_PORT`: Apache runs unprivileged in its
    image)."""
    stripped = {k: v for k, v in plan.items() if k != "inputs"}
    services = []
    for service in plan.get("services", []):
        kept = {}
        for key, given in service.items():
            value = given
            if key in ("characteristics", "Characteristics"):
                value = [dict(c) for c in given
                         if not str(c.get("type", "")).startswith("org.vertice")]  # fmt: skip
                for characteristic in value:
                    if plan["name"] == "3_webserver_apache" and str(
                        characteristic.get("type", "")).endswith("::env"):  # fmt: skip
                        assert characteristic.pop("HTTP_PORT") == "8080"
                        characteristic["http.port"] = "80"
            kept[key] = value
        services.append(kept)
    stripped["services"] = services
    return stripped


def test_the_plan_files_are_the_design_documents_json():
    documents = [repaired(b) for b in seed_blocks()]
    assert len(documents) == 3
    for document in documents:
        assert isinstance(document, dict)
        on_disk = json.loads((PLANS / f"{document['name']}.json").read_text())
        assert without_additions(on_disk) == document


def test_the_catalogs_plans_run_its_images_and_declare_their_inputs():
    plans = {p.name: p for p in builtins.builtin_plans(make_converter())}
    images = {name: plans[name].image() for name in ["3_webserver_apache", *CATALOG]}
    assert images == {
        "3_webserver_apache": "localhost/vertice-app-apache:latest",
        "4_webserver_static": "localhost/vertice-app-static:latest",
        "5_application_python": "localhost/vertice-app-pyhello:latest",
        "6_database_postgresql": "localhost/vertice-app-postgresql:latest",
        "7_cache_redis": "localhost/vertice-app-redis:latest",
    }
    assert [plans[name].ports() for name in CATALOG] == [[8080], [8080], [5432], [6379]]
    postgresql = plans["6_database_postgresql"]
    assert [i.variable for i in postgresql.inputs] == ["POSTGRES_USER", "POSTGRES_DB",
                                                       "POSTGRES_PASSWORD"]  # fmt: skip
    assert postgresql.settings("databaseinstance") == {
        "scheme": "postgresql", "port": "5432", "user": "user", "password": "password",
        "database": "database",
    }  # fmt: skip
    for plan in plans.values():  # each launches in a click: nothing required
        assert not [given.name for given in plan.inputs if given.required], plan.name
        assert plan.run_problems() == [], plan.name


def test_both_spellings_load_and_are_emitted_normalised():
    plans = {p.name: p for p in builtins.builtin_plans(make_converter())}
    assert sorted(plans) == [*DESIGN, *CATALOG]
    ubuntu = plans["1_virtualmachine_ubuntu"]
    assert ubuntu.tags == ["linux", "ubuntu", "xenial", "14.04"]  # written "[linux, ...]"
    assert ubuntu.services[0].characteristics  # written "Characteristics"
    assert plans["2_application_java"].ports() == [8080]
    assert plans["3_webserver_apache"].ports() == [8080]  # 80 in the design document


def test_seeding_twice_keeps_what_the_operator_changed(store):
    converter = make_converter()
    first = builtins.seed(store, converter)
    assert "region local (sim)" in first
    with store.write() as session:
        flavors = FlavorRepository(session)
        flavors.update(flavors.get("small"), cpu=3)
        PlanRepository(session).delete(PlanRepository(session).get("3_webserver_apache"))
    again = builtins.seed(store, converter)
    assert again == ["plan 3_webserver_apache"]
    with store.read() as session:
        assert FlavorRepository(session).get("small").cpu == 3
        assert RegionRepository(session).get("local").cloud_type == "sim"
    assert builtins.installation_id(store) == builtins.installation_id(store)


def test_a_cockroachdb_url_selects_its_dialect():
    from vertice_core.store import Store

    store = Store("cockroachdb://root@127.0.0.1:26257/vertice")  # no connection is made
    assert store.dialect == "cockroachdb"
    store.dispose()
