"""Regions and flavors: `/v3/regions[/{name}]`, `/v3/flavors[/{name}]`.

Everyone lists what they may launch on; administrators create, replace and
delete. A region's settings and credentials are validated against the driver
of its cloud type (without importing the driver's SDK); credentials are sealed
before they are stored and never returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs
import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import read_body, respond
from vertice_api.resources.named import created, delete_unused, ensure_free, existing
from vertice_core.addresses import is_metadata_address
from vertice_core.convert import structure, unstructure
from vertice_core.errors import Conflict, InvalidInput, Problem, UnavailableError
from vertice_core.model.cloud import Flavor, Region
from vertice_core.service import orphans
from vertice_core.store.repositories import FlavorRepository, RegionRepository
from vertice_core.store.repositories.disks import DiskRepository
from vertice_core.store.repositories.snapshots import SnapshotRepository
from vertice_core.store.tables import RegionRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _with_name(body: Any, name: str) -> Any:
    if isinstance(body, dict):
        body.setdefault("name", name)
    return body


def _same_name(given: str, name: str) -> None:
    if given != name:
        raise InvalidInput.at("$.name", f"must be {name!r}, the name in the URI")


def endpoint_refusal(endpoint: str, *, allowed: bool) -> str | None:
    """Why this installation refuses a region endpoint (already a valid http(s) URL), or None:
    a link-local or metadata host, unless `VERTICE_REGION_ALLOW_METADATA` allows it. The
    control plane sends signed requests to a region's endpoint as soon as it is stored."""
    host = urlsplit(endpoint).hostname or ""
    if allowed or not host or not is_metadata_address(host):
        return None
    return (
        f"must not be a link-local or metadata address ({host}): the control plane would send "
        "it the region's signed requests (VERTICE_REGION_ALLOW_METADATA=1 allows it)"
    )


def region_columns(ctx: AppContext, body: Any, existing: RegionRow | None = None) -> dict[str, Any]:
    """The columns of a region from a request body, validated against its driver.

    On a replace (`existing` given), omitted credentials keep the stored ones
    as long as the cloud type stays the same.
    """
    region = structure(ctx.converter, body, Region)
    refused = endpoint_refusal(region.endpoint, allowed=ctx.config.allow_metadata_endpoints)
    if refused:
        raise InvalidInput.at("$.endpoint", refused)
    try:
        info = ctx.registry.info(region.cloud_type)
    except UnavailableError as exc:
        raise InvalidInput.at("$.cloud_type", str(exc)) from None
    problems: list[Problem] = []
    settings: Any = None
    credentials: Any = None
    try:
        settings = structure(ctx.converter, region.settings, info.settings, "$.settings")
    except InvalidInput as exc:
        problems.extend(exc.problems)
    keep = (
        existing is not None
        and isinstance(body, dict)
        and "credentials" not in body
        and existing.cloud_type == region.cloud_type
    )
    if not keep:
        try:
            credentials = structure(
                ctx.converter, region.credentials, info.credentials, "$.credentials"
            )
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    columns: dict[str, Any] = {
        "name": region.name,
        "cloud_type": region.cloud_type,
        "provider_region": region.provider_region,
        "endpoint": region.endpoint,
        "description": region.description,
        "settings": unstructure(ctx.converter, settings),
    }
    if not keep:
        secrets = unstructure(ctx.converter, credentials)
        columns["sealed_credentials"] = ctx.box.seal_json(secrets)
        columns["credential_fields"] = sorted(k for k, v in secrets.items() if v not in ("", None))
    return columns


def _region(session: Session, name: str) -> RegionRow:
    return existing(RegionRepository(session), name, "region")


class Regions:
    """`/v3/regions`: list (everyone), create (admins)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        admin = caller_of(req).admin
        with self.ctx.store.read() as session:
            items = [views.region(r, admin=admin) for r in RegionRepository(session).all()]
        respond(req, resp, views.listing("/v3/regions", "regions", "Regions to launch in", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.ctx.catalog.invalidate()
        caller_of(req).require_admin()
        columns = region_columns(self.ctx, read_body(req))
        with self.ctx.store.write() as session:
            regions = RegionRepository(session)
            ensure_free(regions, columns["name"], "region")
            document = views.region(regions.add(**columns), admin=True)
        created(resp, document)


class RegionItem:
    """`/v3/regions/{name}`: read (everyone); replace and delete (admins)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        with self.ctx.store.read() as session:
            document = views.region(_region(session, name), admin=caller_of(req).admin)
            respond(req, resp, document, views.REGION_SOMETIMES)

    def on_put(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        self.ctx.catalog.invalidate()
        caller_of(req).require_admin()
        body = _with_name(read_body(req), name)
        with self.ctx.store.write() as session:
            row = _region(session, name)
            columns = region_columns(self.ctx, body, existing=row)
            _same_name(columns.pop("name"), name)
            if columns["cloud_type"] != row.cloud_type:
                users = RegionRepository(session).used_by(name)
                if users:
                    raise Conflict(
                        f"region {name!r} cannot change cloud type while assemblies use it: "
                        + ", ".join(users)
                    )
            resp.media = views.region(RegionRepository(session).update(row, **columns), admin=True)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        """204; with `cascade=orphan`, every assembly homed in the region is orphaned first
        (`vertice_core.service.orphans`): 200 listing them, and their `Orphaned` events go
        to the plugins once the delete committed."""
        self.ctx.catalog.invalidate()
        caller = caller_of(req)
        caller.require_admin()
        cascade = _cascade(req)
        with self.ctx.store.write() as session:
            found = orphans.orphan_region(session, caller, name) if cascade else None
            for kind, repository in (("snapshots", SnapshotRepository), ("disks", DiskRepository)):
                held = repository(session).names_in_region(name) if not cascade else []
                if held:  # their images or disks would be left in the cloud, owned by nobody
                    left = f"their {kind} are then left in the cloud"
                    raise Conflict(f"region {name!r} still holds {kind}: {', '.join(held)}; "
                                   "delete them first, or retire the region with "
                                   f"?cascade=orphan ({left})")  # fmt: skip
            delete_unused(RegionRepository(session), name, "region", RETIRE_HINT)
        self.ctx.announce([(o.event, o.project_id) for o in found or ()])
        if found is None:
            resp.status = falcon.HTTP_204
        else:
            resp.media = views.retired_region(name, found)


#: How a region still in use can be deleted all the same.
RETIRE_HINT = (
    "; delete them first, or delete the region with ?cascade=orphan to remove them and "
    "leave their instances running in the cloud"
)


def _cascade(req: falcon.Request) -> bool:
    """Whether the region delete asks `cascade=orphan` (the only cascade there is)."""
    raw = req.get_param("cascade")
    if raw is not None and raw != "orphan":
        raise falcon.HTTPBadRequest(
            title="Invalid query parameter", description=f"cascade must be orphan, not {raw!r}"
        )
    return raw is not None


def flavor_columns(ctx: AppContext, session: Session, body: Any) -> dict[str, Any]:
    """The columns of a flavor from a request body; every region it names must exist."""
    flavor = structure(ctx.converter, body, Flavor)
    known = set(RegionRepository(session).names())
    problems = [
        Problem(f"$.regions[{i}]", f"there is no region named {r!r}")
        for i, r in enumerate(flavor.regions)
        if r not in known
    ] + [
        Problem(f"$.region_prices.{r}", f"there is no region named {r!r}")
        for r in sorted(flavor.region_prices)
        if r not in known
    ]
    if problems:
        raise InvalidInput(problems)
    return attrs.asdict(flavor)


class Flavors:
    """`/v3/flavors`: list (everyone; `?region=` keeps those offered there), create (admins)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        region = req.get_param("region")
        with self.ctx.store.read() as session:
            if region is not None and RegionRepository(session).get(region) is None:
                raise InvalidInput.at("?region", f"there is no region named {region!r}")
            rows = FlavorRepository(session).all()
        items = [
            views.flavor(r) for r in rows if region is None or not r.regions or region in r.regions
        ]
        respond(req, resp, views.listing("/v3/flavors", "flavors", "Flavors to launch with", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.ctx.catalog.invalidate()
        caller_of(req).require_admin()
        body = read_body(req)
        with self.ctx.store.write() as session:
            columns = flavor_columns(self.ctx, session, body)
            flavors = FlavorRepository(session)
            ensure_free(flavors, columns["name"], "flavor")
            document = views.flavor(flavors.add(**columns))
        created(resp, document)


class FlavorItem:
    """`/v3/flavors/{name}`: read (everyone); replace and delete (admins)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        with self.ctx.store.read() as session:
            respond(req, resp, views.flavor(existing(FlavorRepository(session), name, "flavor")))

    def on_put(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        self.ctx.catalog.invalidate()
        caller_of(req).require_admin()
        body = _with_name(read_body(req), name)
        with self.ctx.store.write() as session:
            flavors = FlavorRepository(session)
            row = existing(flavors, name, "flavor")
            columns = flavor_columns(self.ctx, session, body)
            _same_name(columns.pop("name"), name)
            resp.media = views.flavor(flavors.update(row, **columns))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        self.ctx.catalog.invalidate()
        caller_of(req).require_admin()
        with self.ctx.store.write() as session:
            delete_unused(FlavorRepository(session), name, "flavor")
        resp.status = falcon.HTTP_204
