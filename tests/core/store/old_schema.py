"""The built-ins as an older schema stores them, for upgrade tests.

`builtins.seed` writes through today's tables; at an older revision a table
may lack today's columns (flavors had no `region_prices` before 0008), so the
flavors are inserted with the columns the database has.
"""

from __future__ import annotations

from datetime import UTC, datetime

import cattrs
import sqlalchemy as sa

from vertice_core import builtins
from vertice_core.convert import make_converter, unstructure
from vertice_core.store import Store, migrate
from vertice_core.store.repositories import PlanRepository, RegionRepository


def seed_catalog(store: Store, converter: cattrs.Converter) -> None:
    """The installation id, the built-in plans, the local region and the default flavors."""
    builtins.installation_id(store)
    with store.write() as session:
        plans = PlanRepository(session)
        for plan in builtins.builtin_plans(converter):
            plans.add(name=plan.name, builtin=True, document=unstructure(converter, plan))
        RegionRepository(session).add(
            name=builtins.LOCAL_REGION, cloud_type="sim", provider_region="local", settings={}
        )
    flavors = sa.Table("flavors", sa.MetaData(), autoload_with=store.engine)
    stamp = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {"name": name, "cpu": cpu, "ram": ram, "disk": disk, "price_per_hour": price,
         "regions": [], "currency": "USD", "description": "", "created_at": stamp,
         "updated_at": stamp}
        for name, cpu, ram, disk, price in builtins.DEFAULT_FLAVORS
    ]  # fmt: skip
    with store.engine.begin() as connection:
        connection.execute(flavors.insert(), rows)


def at_revision(
    store: Store, revision: str, tables: tuple[str, ...]
) -> tuple[dict[str, sa.Table], datetime]:
    """Migrate an empty database to `revision`, seed its catalog, and reflect `tables` as
    they are there; with a naive UTC timestamp for the rows a test inserts."""
    migrate.upgrade(store.engine, revision)
    seed_catalog(store, make_converter())
    metadata = sa.MetaData()
    reflected = {name: sa.Table(name, metadata, autoload_with=store.engine) for name in tables}
    return reflected, datetime.now(UTC).replace(tzinfo=None)
