"""What a new installation starts with: the built-in plans, default flavors, a `local` region.

`seed()` adds each of them only if nothing of that name exists, so running it
again (every `make run`) keeps whatever the operator changed. The built-in
plans are the three plans of the design document, loaded from their JSON as
written there (`vertice_core/plans/*.json`).
"""

from __future__ import annotations

import json
import secrets
from importlib import resources

import cattrs

from vertice_core.convert import structure, unstructure
from vertice_core.model.camp import Plan
from vertice_core.store.engine import Store
from vertice_core.store.repositories import (
    FlavorRepository,
    PlanRepository,
    RegionRepository,
    SettingRepository,
)

INSTALLATION_KEY = "installation_id"

#: (name, cpu, ram MiB, disk GiB, price per hour in USD)
DEFAULT_FLAVORS = (
    ("small", 1, 1024, 10, 0.01),
    ("medium", 2, 4096, 40, 0.04),
    ("large", 4, 8192, 80, 0.08),
)

LOCAL_REGION = "local"


def builtin_plans(converter: cattrs.Converter) -> list[Plan]:
    """The built-in plans, structured from their JSON files."""
    folder = resources.files("vertice_core") / "plans"
    plans = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            plans.append(structure(converter, json.loads(entry.read_text()), Plan))
    return plans


def installation_id(store: Store) -> str:
    """The id every managed instance of this installation is tagged with (made once)."""
    with store.read() as session:
        found = SettingRepository(session).get(INSTALLATION_KEY)
    if found:
        return found
    with store.write() as session:
        settings = SettingRepository(session)
        found = settings.get(INSTALLATION_KEY)
        if found:
            return found
        new = f"vti-{secrets.token_hex(8)}"
        settings.put(INSTALLATION_KEY, new)
        return new


def seed(store: Store, converter: cattrs.Converter) -> list[str]:
    """Add the built-ins that are missing; return a line for each thing added."""
    added: list[str] = []
    installation_id(store)
    with store.write() as session:
        plans = PlanRepository(session)
        for plan in builtin_plans(converter):
            if plans.get(plan.name) is None:
                plans.add(name=plan.name, builtin=True, document=unstructure(converter, plan))
                added.append(f"plan {plan.name}")
        regions = RegionRepository(session)
        if regions.get(LOCAL_REGION) is None:
            regions.add(
                name=LOCAL_REGION,
                cloud_type="sim",
                provider_region="local",
                description="The simulated cloud of this installation",
                settings={},
            )
            added.append(f"region {LOCAL_REGION} (sim)")
        flavors = FlavorRepository(session)
        for name, cpu, ram, disk, price in DEFAULT_FLAVORS:
            if flavors.get(name) is None:
                flavors.add(
                    name=name, cpu=cpu, ram=ram, disk=disk, price_per_hour=price, regions=[]
                )
                added.append(f"flavor {name}")
    return added
