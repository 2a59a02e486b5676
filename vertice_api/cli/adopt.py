"""`vertice adopt`: take over instances that already run in a region (server-side).

Listing what a region holds that no installation manages is a cloud call, so it is
made here, on the installation's host, with the region's driver and credentials (as
the reconciler makes it), never inside an API request. Adopting one declares an
assembly through the service layer, as the installation's operator (an
administrator): the reconciler then tags the instance once, without a restart
(`Driver.adopt`), and reconciles it like any other from then on.
"""

from __future__ import annotations

from typing import Any

import click

from vertice_api.cli.configfile import CONFIG, fail, load

#: The columns of the listing.
HEADER = ("CLOUD ID", "STATE", "SIZE", "PUBLIC", "PRIVATE", "TAGS")


@click.command("adopt")
@CONFIG
@click.argument("region")
@click.argument("cloud_id", required=False)
@click.option("--name", help="The adopting assembly's name (with CLOUD_ID).")
@click.option("--plan", help="Its plan: what the instance runs (with CLOUD_ID).")
@click.option("--flavor", help="Its flavor: the instance's size (with CLOUD_ID).")
@click.option("--project", help="The project it belongs to (with CLOUD_ID).")
def adopt(
    region: str,
    cloud_id: str | None,
    name: str | None,
    plan: str | None,
    flavor: str | None,
    project: str | None,
) -> None:
    """Without CLOUD_ID: list the instances of REGION that no installation manages (made
    by hand, or by vertice 1.5). With CLOUD_ID: declare assembly --name in --project,
    of --plan and --flavor, that adopts that instance: the reconciler tags it once,
    without restarting it, and manages it from then on. The region's driver must
    support it (the `adopt` capability: `vertice regions` lists them)."""
    from vertice_api.context import build_context

    ctx = build_context(load())
    try:
        if cloud_id is None:
            _list(ctx, region)
        else:
            given = {"--name": name, "--plan": plan, "--flavor": flavor, "--project": project}
            missing = [option for option, value in given.items() if not value]
            if missing:
                fail(f"adopting {cloud_id} needs {', '.join(missing)}")
            document = {"name": name, "plan_uri": f"/v3/plan/{plan}", "flavor": flavor,
                        "region": region, "project": project,
                        "adopt": {"cloud_id": cloud_id}}  # fmt: skip
            _declare(ctx, document)
    finally:
        ctx.store.dispose()


def _list(ctx: Any, region: str) -> None:
    """Print the region's unmanaged instances, a line each (or say there are none)."""
    from vertice_core.builtins import installation_id
    from vertice_core.errors import VerticeError
    from vertice_core.reconcile.drivers import RegionDrivers
    from vertice_core.store.repositories import RegionRepository

    with ctx.store.read() as session:
        row = RegionRepository(session).get(region)
    if row is None:
        fail(f"there is no region named {region!r}")
    installation = installation_id(ctx.store)
    drivers = RegionDrivers(ctx.registry, ctx.converter, ctx.box,
                            installation_id=installation, home=ctx.config.home)  # fmt: skip
    try:
        found = drivers.get(row).unmanaged()
    except VerticeError as exc:
        fail(f"region {region!r}: {exc.description}")
    if not found:
        click.echo(f"region {region!r} holds no instance that no installation manages")
        return
    rows = [HEADER] + [
        (i.cloud_id, i.state.value, i.size or "-", i.public_ipv4 or "-", i.private_ipv4 or "-",
         ",".join(f"{k}={v}" for k, v in sorted(i.tags.items())) or "-")
        for i in sorted(found, key=lambda i: i.cloud_id)
    ]  # fmt: skip
    widths = [max(len(r[c]) for r in rows) for c in range(len(HEADER) - 1)]
    for r in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1])


def _declare(ctx: Any, document: dict[str, Any]) -> None:
    """Declare the adopting assembly as the operator; one error line if it is refused."""
    from vertice_core.convert import structure
    from vertice_core.errors import VerticeError
    from vertice_core.model.assembly import AssemblyDeclaration
    from vertice_core.service import Caller

    try:
        declaration = structure(ctx.converter, document, AssemblyDeclaration)
        with ctx.store.write() as session:
            stored = ctx.assemblies.declare(session, Caller.operator(), declaration)
    except VerticeError as exc:
        fail(exc.description)
    assembly = stored.assembly
    click.echo(f"{assembly.name}: declared to adopt {document['adopt']['cloud_id']} in region "
               f"{assembly.region!r} (assembly {assembly.id}); the reconciler tags it, without "
               "a restart")  # fmt: skip
