"""The built-in plans are the design document's, as written there; the seed is idempotent."""

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
    """A plan file without what vertice added to the design document's plans: its `inputs`
    and its own characteristics (`org.vertice...::image`, to run them offline)."""
    stripped = {k: v for k, v in plan.items() if k != "inputs"}
    stripped["services"] = [
        {key: [c for c in value if not str(c.get("type", "")).startswith("org.vertice")]
         if key in ("characteristics", "Characteristics") else value
         for key, value in service.items()}
        for service in plan.get("services", [])
    ]  # fmt: skip
    return stripped


def test_the_plan_files_are_the_design_documents_json():
    documents = [repaired(b) for b in seed_blocks()]
    assert len(documents) == 3
    for document in documents:
        assert isinstance(document, dict)
        on_disk = json.loads((PLANS / f"{document['name']}.json").read_text())
        assert without_additions(on_disk) == document


def test_both_spellings_load_and_are_emitted_normalised():
    plans = {p.name: p for p in builtins.builtin_plans(make_converter())}
    assert set(plans) == {"1_virtualmachine_ubuntu", "2_application_java", "3_webserver_apache"}
    ubuntu = plans["1_virtualmachine_ubuntu"]
    assert ubuntu.tags == ["linux", "ubuntu", "xenial", "14.04"]  # written "[linux, ...]"
    assert ubuntu.services[0].characteristics  # written "Characteristics"
    assert plans["2_application_java"].ports() == [8080]
    assert plans["3_webserver_apache"].ports() == [80]


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
