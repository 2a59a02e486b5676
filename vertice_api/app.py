"""`create_app(ctx)`: the Falcon application of vertice, with every route.

The app takes its collaborators (`AppContext`) and builds nothing global, as
in Falcon's tutorial. Domain errors map to HTTP in `vertice_api.errors`.
"""

from __future__ import annotations

import mimetypes

import falcon
import orjson

from vertice_api import errors
from vertice_api.auth import AuthMiddleware, TokenCache
from vertice_api.context import AppContext
from vertice_api.generation import CacheGeneration
from vertice_api.http import RejectNulInUrl, dump_json
from vertice_api.observe import MetricsResource, RequestMetrics
from vertice_api.ratelimit import FailureLimiter
from vertice_api.resources import (
    assemblies,
    batch,
    billing,
    builds,
    catalog,
    discovery,
    disks,
    invitations,
    meta,
    plans,
    quotas,
    rehearsal,
    scalers,
    snapshots,
    tenancy,
)
from vertice_api.resources import routes as routes_
from vertice_api.retrying import with_retries
from vertice_api.ui.serve import ui_routes


def create_app(
    ctx: AppContext,
    failures: FailureLimiter | None = None,
    generation: CacheGeneration | None = None,
) -> falcon.App[falcon.Request, falcon.Response]:
    """The WSGI application serving `/v3/...` for the installation in `ctx`.

    `failures` counts failed authentications and `generation` says when the workers'
    token caches are out of date; gunicorn's master makes both before the workers fork so
    that they share them (`vertice_api.serve`). Without them the app makes its own.
    """
    cache = TokenCache(ctx.token_cache_seconds, generation=generation)
    if failures is None:
        failures = FailureLimiter()
    skip_system_mime_table()
    app = falcon.App(
        middleware=(
            RequestMetrics(ctx.metrics),
            RejectNulInUrl(),
            AuthMiddleware(ctx.store, cache, failures),
        )
    )
    # Bodies are read by vertice_api.http (limits, media types, messages), not by Falcon.
    app.req_options.strip_url_path_trailing_slash = True
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = falcon.media.JSONHandler(
        dumps=dump_json, loads=orjson.loads
    )
    errors.install(app)
    # A request the database failed (contention, a lost connection) is run again while
    # that is safe (`vertice_api.retrying`).
    for path, resource in routes(ctx, cache):
        app.add_route(path, with_retries(resource, ctx.metrics))
    # The web interface (`/`, `/ui`, `/docs`): static files, a client of the API above.
    for path, resource in ui_routes():
        app.add_route(path, resource)
    return app


def skip_system_mime_table() -> None:
    """Keep Falcon from reading the system's MIME table into every worker.

    Falcon's response options call `mimetypes.init()` unless it ran already, for the
    media types of static routes: that reads `/etc/mime.types` (Debian's: 2,286 lines,
    1,550 types), about 0.4 MB in each worker that no route uses: the API has no static
    route, and the web interface names its own types (`vertice_api.ui.serve`). Marking
    the module initialised leaves Falcon Python's built-in table; `mimetypes` itself
    still reads the system's files the first time something asks it (`guess_type`,
    `add_type`: they look at its database, which stays unread until then).
    """
    mimetypes.inited = True


def routes(ctx: AppContext, cache: TokenCache) -> list[tuple[str, object]]:
    """Every route of the API and its resource (the OpenAPI test walks this list)."""
    return [
        ("/healthz", meta.Health(ctx)),
        ("/metrics", MetricsResource(ctx)),
        ("/v3/openapi.json", meta.OpenApi(ctx.config.max_replicas)),
        ("/v3/platform", meta.Platform()),
        ("/v3/drivers", meta.Drivers(ctx)),
        ("/v3/sd/prometheus", discovery.PrometheusTargets(ctx)),
        ("/v3/plan_factory", plans.PlanFactory(ctx)),
        ("/v3/plan/{name}", plans.PlanItem(ctx)),
        ("/v3/assembly_factory", assemblies.AssemblyFactory(ctx)),
        ("/v3/assembly_factory/batch", batch.AssemblyBatch(ctx)),
        ("/v3/assembly/{assembly_id}", assemblies.AssemblyItem(ctx)),
        ("/v3/assembly/{assembly_id}/events", assemblies.AssemblyEvents(ctx)),
        ("/v3/assembly/{assembly_id}/plan", rehearsal.AssemblyPlan(ctx)),
        ("/v3/assembly/{assembly_id}/rollback", builds.AssemblyRollback(ctx)),
        ("/v3/assembly/{assembly_id}/webhook", builds.AssemblyWebhook(ctx)),
        ("/v3/component/{component_id}", assemblies.ComponentItem(ctx)),
        ("/v3/quotas", quotas.Quotas(ctx)),
        ("/v3/quotas/{project}", quotas.QuotaItem(ctx)),
        ("/v3/quotas/{project}/{region}", quotas.QuotaItem(ctx)),
        ("/v3/billing/usage", billing.Usage(ctx)),
        ("/v3/balances", billing.Balances(ctx)),
        ("/v3/balances/{project}", billing.BalanceItem(ctx)),
        ("/v3/balances/{project}/credits", billing.Credits(ctx)),
        ("/v3/regions", catalog.Regions(ctx)),
        ("/v3/regions/{name}", catalog.RegionItem(ctx)),
        ("/v3/flavors", catalog.Flavors(ctx)),
        ("/v3/flavors/{name}", catalog.FlavorItem(ctx)),
        ("/v3/routes", routes_.Routes(ctx)),
        ("/v3/routes/{route_id}", routes_.RouteItem(ctx)),
        ("/v3/scalers", scalers.Scalers(ctx)),
        ("/v3/scalers/{scaler_id}", scalers.ScalerItem(ctx)),
        ("/v3/assembly/{assembly_id}/snapshots", snapshots.AssemblySnapshots(ctx)),
        ("/v3/snapshots", snapshots.Snapshots(ctx)),
        ("/v3/snapshots/{snapshot_id}", snapshots.SnapshotItem(ctx)),
        ("/v3/disks", disks.Disks(ctx)),
        ("/v3/disks/{disk_id}", disks.DiskItem(ctx)),
        ("/v3/assembly/{assembly_id}/disks", disks.AssemblyDisks(ctx)),
        ("/v3/builds", builds.Builds(ctx)),
        ("/v3/builds/{build_id}", builds.BuildItem(ctx)),
        ("/v3/builds/{build_id}/log", builds.BuildLog(ctx)),
        ("/v3/builds/{build_id}/cancel", builds.BuildCancel(ctx)),
        ("/v3/hooks/{hook_id}", builds.Hook(ctx)),
        ("/v3/sshkeys", tenancy.SshKeys(ctx)),
        ("/v3/sshkeys/{name}", tenancy.SshKeyItem(ctx)),
        ("/v3/projects", tenancy.Projects(ctx, cache)),
        ("/v3/projects/{name}", tenancy.ProjectItem(ctx, cache)),
        ("/v3/projects/{name}/members", tenancy.ProjectMembers(ctx, cache)),
        ("/v3/projects/{name}/members/{user}", tenancy.ProjectMember(ctx, cache)),
        ("/v3/invitations", invitations.Invitations(ctx)),
        ("/v3/invitations/{invitation_id}", invitations.InvitationItem(ctx, cache)),
        ("/v3/invitations/{invitation_id}/accept", invitations.InvitationAccept(ctx, cache)),
        ("/v3/users", tenancy.Users(ctx)),
        ("/v3/users/{name}", tenancy.UserItem(ctx, cache)),
        ("/v3/tokens", tenancy.Tokens(ctx)),
        ("/v3/tokens/{token_id}", tenancy.TokenItem(ctx, cache)),
    ]
