"""`vertice adopt`: take over instances that already run in a region (server-side).

Listing what a region holds that no installation manages is a cloud call, so it is
made here, on the installation's host, with the region's driver and credentials (as
the reconciler makes it), never inside an API request. Adopting one declares an
assembly through the service layer, as the installation's operator (an
administrator): the reconciler then tags the instance once, without a restart
(`Driver.adopt`), and reconciles it like any other from then on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli.configfile import CONFIG, fail, load

if TYPE_CHECKING:
    from vertice_core.driver import CloudFlavor, Driver, Instance

#: The columns of the listing.
HEADER = ("CLOUD ID", "STATE", "SIZE", "PUBLIC", "PRIVATE", "TAGS")


@click.command("adopt")
@CONFIG
@click.argument("region")
@click.argument("cloud_id", required=False)
@click.option("--name", help="The adopting assembly's name (with CLOUD_ID).")
@click.option("--plan", help="Its plan: what the instance runs (with CLOUD_ID).")
@click.option("--flavor", help="Its flavor: the instance's size (with CLOUD_ID; default: the "
              "flavor of the instance's size, when exactly one matches).")  # fmt: skip
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
    without restarting it, and manages it from then on. Without --flavor, the flavor
    is inferred from the instance's size: the flavor of that name, else the one offered
    in REGION with the CPUs and RAM the cloud gives that size. The region's driver must
    support it (the `adopt` capability: `vertice regions` lists them)."""
    from vertice_api.context import build_context

    ctx = build_context(load())
    try:
        if cloud_id is None:
            _list(ctx, region)
        else:
            given = {"--name": name, "--plan": plan, "--project": project}
            missing = [option for option, value in given.items() if not value]
            if missing:
                fail(f"adopting {cloud_id} needs {', '.join(missing)}")
            if not flavor:
                flavor = _inferred_flavor(ctx, region, cloud_id)
            document = {"name": name, "plan_uri": f"/v3/plan/{plan}", "flavor": flavor,
                        "region": region, "project": project,
                        "adopt": {"cloud_id": cloud_id}}  # fmt: skip
            _declare(ctx, document)
    finally:
        ctx.store.dispose()


def _driver(ctx: Any, region: str) -> Driver:
    """The region's driver, as the reconciler builds it (one error line if there is no
    such region)."""
    from vertice_core.builtins import installation_id
    from vertice_core.reconcile.drivers import RegionDrivers
    from vertice_core.store.repositories import RegionRepository

    with ctx.store.read() as session:
        row = RegionRepository(session).get(region)
    if row is None:
        fail(f"there is no region named {region!r}")
    installation = installation_id(ctx.store)
    drivers = RegionDrivers(ctx.registry, ctx.converter, ctx.box,
                            installation_id=installation, home=ctx.config.home)  # fmt: skip
    return drivers.get(row)


def _unmanaged(driver: Driver, region: str) -> list[Instance]:
    """The region's unmanaged instances (one error line when the cloud cannot tell)."""
    from vertice_core.errors import VerticeError

    try:
        return driver.unmanaged()
    except VerticeError as exc:
        fail(f"region {region!r}: {exc.description}")


def _inferred_flavor(ctx: Any, region: str, cloud_id: str) -> str:
    """The flavor of the unmanaged instance `cloud_id`'s size (`infer_flavor`), said in a
    line; one error line when none or several match."""
    from vertice_core.errors import VerticeError
    from vertice_core.store.repositories import FlavorRepository

    driver = _driver(ctx, region)
    found = [i for i in _unmanaged(driver, region) if i.cloud_id == cloud_id]
    if not found:
        fail(f"region {region!r} holds no unmanaged instance {cloud_id!r} (vertice adopt "
             f"{region} lists them)")  # fmt: skip
    try:
        offered = driver.flavors()
    except VerticeError as exc:
        fail(f"region {region!r}: {exc.description}")
    with ctx.store.read() as session:
        flavors = [(f.name, f.cpu, f.ram, list(f.regions or [])) for f in
                   FlavorRepository(session).all()]  # fmt: skip
    name, why = infer_flavor(found[0].size, offered, flavors, region)
    if name is None:
        fail(f"cannot infer the flavor of {cloud_id}: {why}; pass --flavor")
    click.echo(f"flavor {name}: {why}")
    return name


def infer_flavor(
    size: str,
    offered: list[CloudFlavor],
    flavors: list[tuple[str, int, int, list[str]]],
    region: str,
) -> tuple[str | None, str]:
    """The vertice flavor of an instance of the cloud's `size`, and why (or None and why
    not): the flavor named `size` if there is one, else the one offered in `region` whose
    CPUs and RAM are those the cloud's `offered` sizes give `size`. `flavors` are `(name,
    cpu, ram, regions)` (no regions: offered everywhere)."""
    here = [f for f in flavors if not f[3] or region in f[3]]
    if not size:
        return None, "the cloud does not say its size"
    if any(name == size for name, *_ in here):
        return size, f"the instance's size is {size!r}"
    cloud = next((f for f in offered if f.name == size), None)
    if cloud is None:
        return None, f"the cloud lists no size {size!r}"
    same = sorted(name for name, cpu, ram, _ in here if (cpu, ram) == (cloud.cpu, cloud.ram))
    what = f"{size!r} has {cloud.cpu} CPU(s) and {cloud.ram} MiB"
    if len(same) == 1:
        return same[0], f"{what}, as flavor {same[0]!r}"
    if not same:
        return None, f"{what}, and no flavor offered in {region!r} has those"
    return None, f"{what}, as flavors {', '.join(same)}"


def _list(ctx: Any, region: str) -> None:
    """Print the region's unmanaged instances, a line each (or say there are none)."""
    found = _unmanaged(_driver(ctx, region), region)
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
            declared = ctx.assemblies.declare(session, Caller.operator(), declaration)
    except VerticeError as exc:
        fail(exc.description)
    assembly = declared.stored().assembly
    click.echo(f"{assembly.name}: declared to adopt {document['adopt']['cloud_id']} in region "
               f"{assembly.region!r} (assembly {assembly.id}); the reconciler tags it, without "
               "a restart")  # fmt: skip
