"""The route controller: one target per router; each pass makes the proxy serve the routes.

A pass (`RouteController.run_target`) reads every route with its assembly (rows
first), observes the proxy **once**, plans with `routing.plan.plan_pass`,
applies the routes whose live fingerprint differs and removes the routes the
installation put there and no longer declares (after reading the routes again,
so one declared during the pass is not taken for a leftover) with one
`Router.apply_all` call (a proxy that reloads at every write is written once
per changed object, not once per route), and writes each
route's status if it changed. Everything is level-based: a proxy restarted
with an empty configuration is found empty by the next pass and given every
route again.

Passes are idempotent, so two reconciler processes sharing a database may both
run one: they apply the same specs and write the same statuses. Rows are not
leased, unlike assemblies: a proxy's configuration has no create to protect.

A route is looked at again when its spec changes, when its retry is due, and
when its assembly's status changes (instances come and go), besides the resync.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import cattrs

from vertice_core.crypto import SecretBox
from vertice_core.errors import DriverError, TerminalError
from vertice_core.metrics import Metrics
from vertice_core.model.route import Balancing, HealthCheck, RoutePhase, TlsMode
from vertice_core.reach import PlanPorts
from vertice_core.redact import loggable, public_error
from vertice_core.router import Router, RouteSpec
from vertice_core.routing.plan import RouteDecision, RouteFacts, plan_pass
from vertice_core.runtime import CallPool, Due, backoff
from vertice_core.runtime.conditions import condition, status_digest
from vertice_core.store import Store
from vertice_core.store.repositories import PlanRepository, RouteRepository
from vertice_core.store.tables import AssemblyRow, RouteRow

log = logging.getLogger("vertice.routes")

#: The target a controller without a router reports (its routes say none is configured).
NO_ROUTER = "(no router)"
#: The key, in a route's status document, of the keys of the instances the proxy was last
#: known to send requests to (internal: the API shows `upstreams`, not this).
SERVING = "serving"


@attrs.frozen
class RouteResult:
    """What a pass over one router did."""

    router: str
    busy: bool = False
    error: str | None = None
    applied: int = 0
    removed: int = 0
    written: int = 0


@attrs.frozen
class Shown:
    """What a route's status says after a pass: its phase and message, the upstreams the
    proxy sends requests to, and the keys of the instances behind them (`SERVING`)."""

    phase: RoutePhase
    message: str
    upstreams: tuple[str, ...] = ()
    serving: tuple[str, ...] = ()


def _unsure(row: RouteRow, phase: RoutePhase, message: str, wanted: Iterable[str] = ()) -> Shown:
    """The status of a route the proxy may not have taken (it refused, or did not answer):
    the upstreams it was last known to serve, and as serving both the instances it served
    and those it was given (it may have taken the change before failing), so no instance
    is deleted while the proxy may still send it requests."""
    before = row.status or {}
    served = {str(k) for k in before.get(SERVING) or ()}.union(wanted)
    upstreams = tuple(str(u) for u in before.get("upstreams") or ())
    return Shown(phase, message, upstreams, tuple(sorted(served)))


@attrs.frozen
class RouterTarget:
    """The configured router: its name and the plugin instance serving it."""

    name: str
    router: Router


class RouteController:
    """Routes made real in a reverse proxy (see the module's docstring)."""

    name = "routes"

    def __init__(
        self,
        store: Store,
        *,
        target: RouterTarget | None,
        converter: cattrs.Converter,
        box: SecretBox,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        call_timeout: float = 30.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        workers: int = 8,
    ) -> None:
        self.store = store
        self.target = target
        #: The proxy's URLs (its admin API's), which its errors may name (see `_public`).
        self.endpoints = _endpoints(target.router) if target is not None else ()
        self.converter = converter
        self.box = box
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 -- jitter, not security
        self.calls = CallPool(workers, metrics)
        self.call_timeout = call_timeout
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        #: Per route, the status digest of its assembly when the last pass read it.
        self._seen: dict[str, str | None] = {}
        #: What `due` compares first: the routes' count and (route, digest) pairs when
        #: the last pass read them; at first, that of no routes (as `_seen` says).
        self._watermark: tuple[int, str | None] = (0, None)
        self._plan_ports = PlanPorts(converter)

    @property
    def router_name(self) -> str:
        return self.target.name if self.target is not None else NO_ROUTER

    # -- the runtime's contract --

    def due(self, now: float) -> Due:
        """The router, and how many routes need a look (spec changed, retry due,
        assembly's status moved, or deleted and still in the proxy).

        Called at every idle wait of the runtime, so it first reads one row
        (`RouteRepository.watermark`): when no spec changed, no retry is due and
        the routes and their assemblies' status digests are what the last pass
        read, nothing is due and the routes are not read one by one. Only a pass
        records the watermark (read before its routes, so a change made while it
        reads moves the next one).
        """
        with self.store.connect() as connection:
            mark = RouteRepository.watermark(connection)
        key = (mark.routes, mark.digests)
        retry_due = mark.due_at is not None and mark.due_at <= now
        if key == self._watermark and not mark.changed and not retry_due:
            return Due(targets=[self.router_name], counts={}, oldest=None)
        with self.store.read() as session:
            rows = RouteRepository(session).watch()
        due = [
            (route_id, at)
            for route_id, changed, at, digest in rows
            if changed or (at is not None and at <= now) or self._seen.get(route_id, "") != digest
        ]
        # A route deleted since the last pass is due too: the proxy still serves it.
        gone = set(self._seen).difference(route_id for route_id, *_ in rows)
        due.extend((route_id, None) for route_id in gone)
        oldest = min((at for _, at in due if at is not None), default=None)
        counts = {self.router_name: len(due)} if due else {}
        return Due(targets=[self.router_name], counts=counts, oldest=oldest)

    def run_target(self, target: str) -> RouteResult:
        """One pass over the router (see the module's docstring)."""
        mark, (facts, rows, digests) = self._mark(), self._read()
        if self.target is None:
            message = "no router is configured (VERTICE_ROUTER, see docs/routes.md)"
            written = self._write(rows, dict.fromkeys(rows, Shown(RoutePhase.PENDING, message)))
            self._seen, self._watermark = digests, mark
            return RouteResult(target, written=written)
        router = self.target.router
        live = self.calls.run("router", "observe", router.observe, self.call_timeout)
        plan = plan_pass(facts, live, router.fingerprint)
        outcomes, removed = self._change([d for d in plan.decisions if d.apply], plan.remove)
        now = self.clock()
        statuses: dict[str, Shown] = {}
        retry: dict[str, float] = {}
        busy = False
        for decision in plan.decisions:
            route_id = decision.spec.id
            failure = outcomes.get(route_id)
            if failure is None:
                statuses[route_id] = Shown(decision.phase, decision.message,
                                           decision.spec.upstreams, decision.serving)  # fmt: skip
            elif isinstance(failure, TerminalError):
                why = f"the proxy refused the route: {failure.message}"
                statuses[route_id] = _unsure(rows[route_id], RoutePhase.FAILED, why,
                                             decision.serving)  # fmt: skip
            else:
                attempts = rows[route_id].attempts + 1
                delay = backoff(attempts - 1, base=self.backoff_base, cap=self.backoff_cap,
                                rng=self.rng)  # fmt: skip
                retry[route_id] = now + delay
                why = (f"the proxy did not take the route: {failure.message} "
                       f"(retrying in {delay:.0f}s)")  # fmt: skip
                statuses[route_id] = _unsure(rows[route_id], RoutePhase.PENDING, why,
                                             decision.serving)  # fmt: skip
                busy = True
        written = self._write(rows, statuses, retry)
        self._seen, self._watermark = digests, mark
        applied = sum(1 for d in plan.decisions if d.apply) - len(outcomes)
        return RouteResult(target, busy=busy, applied=applied, removed=removed, written=written)

    def target_failed(self, target: str, error: DriverError) -> None:
        """The proxy did not answer: every route says so, in the error's public words (the
        runtime logged its full message), and stays as it was served."""
        _, rows, _ = self._read()
        message = f"the router {target} does not answer: {self._public(error).message}"
        self._write(rows, {i: _unsure(row, RoutePhase.PENDING, message) for i, row in rows.items()})

    def error_result(self, target: str, message: str) -> RouteResult:
        return RouteResult(target, error=message)

    def close(self) -> None:
        self.calls.shutdown()
        if self.target is not None:
            self.target.router.close()

    # -- reading --

    def _mark(self) -> tuple[int, str | None]:
        """The watermark `due` compares, read before the routes (see `due`)."""
        with self.store.connect() as connection:
            mark = RouteRepository.watermark(connection)
        return mark.routes, mark.digests

    def _read(self) -> tuple[list[RouteFacts], dict[str, RouteRow], dict[str, str | None]]:
        """Every route with what the plan needs of its assembly, the rows, and the
        assemblies' status digests (what `due` compares)."""
        with self.store.read() as session:
            repo = RouteRepository(session)
            rows = {row.id: row for row in repo.all()}
            assemblies = repo.assemblies(r.assembly_id for r in rows.values())
            plans = PlanRepository(session)
            facts = [self._facts(row, assemblies.get(row.assembly_id), plans) for row in
                     rows.values()]  # fmt: skip
            session.expunge_all()
        digests = {
            row.id: (assemblies[row.assembly_id].status_digest
                     if row.assembly_id in assemblies else None)
            for row in rows.values()
        }  # fmt: skip
        return facts, rows, digests

    def _facts(self, row: RouteRow, assembly: AssemblyRow | None, plans: Any) -> RouteFacts:
        secret = self.box.open_json(row.sealed_tls) if row.sealed_tls else {}
        instances: list[Mapping[str, Any]] = []
        ports: tuple[int, ...] = ()
        if assembly is not None:
            instances = list((assembly.status or {}).get("instances") or [])
            ports = self._plan_ports.of(assembly.plan_name, plans)
        return RouteFacts(
            id=row.id, hostname=row.hostname, path_prefix=row.path_prefix, port=row.port,
            tls=row.tls, balancing=row.balancing, assembly_id=row.assembly_id,
            assembly_exists=assembly is not None, instances=instances, plan_ports=ports,
            health_check=HealthCheck(**row.health_check) if row.health_check else None,
            certificate=secret.get("certificate", ""), key=secret.get("key", ""),
        )  # fmt: skip

    # -- acting --

    def _change(
        self, decisions: list[RouteDecision], route_ids: Iterable[str]
    ) -> tuple[dict[str, DriverError], int]:
        """Apply the changed routes and remove the leftovers with **one** `apply_all`
        call; the applies' failures by route id (logged whole, returned in the public words
        of `redact.public_error`), and how many were removed.

        Leftovers are the routes the proxy serves for us that no row declares, read
        again just before the call (a route declared during the pass is no leftover).
        A call that fails as a whole (the proxy does not answer, the call timed out)
        fails every route it carried.
        """
        assert self.target is not None
        leftovers: list[str] = []
        candidates = list(route_ids)
        if candidates:
            with self.store.read() as session:
                declared = RouteRepository(session).ids()
            leftovers = [r for r in candidates if r not in declared]
        if not decisions and not leftovers:
            return {}, 0
        specs = [d.spec for d in decisions]
        router = self.target.router
        try:
            failures = self.calls.run(
                "router", "apply_all", lambda: router.apply_all(specs, leftovers),
                self.call_timeout,
            )  # fmt: skip
        except DriverError as exc:
            failures = dict.fromkeys([*(s.id for s in specs), *leftovers], exc)
        for route_id, failure in failures.items():
            log.warning("route %s: %s (%s)", route_id, loggable(failure.message), failure.reason)
        applied_failures = {s.id: self._public(failures[s.id]) for s in specs if s.id in failures}
        removed = sum(1 for r in leftovers if r not in failures)
        return applied_failures, removed

    def _public(self, error: DriverError) -> DriverError:
        """What the routes' projects may see of the proxy's `error` (see `redact`)."""
        return public_error(error, endpoints=self.endpoints)

    # -- writing --

    def _write(
        self,
        rows: Mapping[str, RouteRow],
        statuses: Mapping[str, Shown],
        retry: Mapping[str, float] | None = None,
    ) -> int:
        """Write each route's status that changed (one transaction)."""
        retry = retry or {}
        written = 0
        if not statuses:
            return 0
        with self.store.write() as session:
            repo = RouteRepository(session)
            for route_id, shown in statuses.items():
                row = rows[route_id]
                phase, message = shown.phase, shown.message
                status = self._status(row, shown)
                digest = status_digest(status, phase.value, message)
                due_at = retry.get(route_id)
                attempts = row.attempts + 1 if due_at is not None else 0
                unchanged = (
                    digest == row.status_digest
                    and row.observed_generation == row.generation
                    and (due_at, attempts) == (row.due_at, row.attempts)
                )
                if unchanged:
                    continue
                written += repo.write_status(
                    route_id, row.generation, phase=phase.value, message=message,
                    status=status, status_digest=digest, due_at=due_at, attempts=attempts,
                )  # fmt: skip
        return written

    def _status(self, row: RouteRow, shown: Shown) -> dict[str, Any]:
        """The status document of a route (conditions keep their transition times)."""
        phase, message, upstreams = shown.phase, shown.message, shown.upstreams
        ready = phase is RoutePhase.READY and bool(upstreams)
        synced = phase is RoutePhase.READY
        before = {c.get("type"): c for c in (row.status or {}).get("conditions", [])}
        conditions = [
            condition(before.get("Synced"), "Synced", synced,
                       "Served" if synced else phase.value.capitalize(), message),
            condition(before.get("Ready"), "Ready", ready,
                       "Serving" if ready else "NoUpstream", message),
        ]  # fmt: skip
        url = ""
        if self.target is not None:
            url = self.target.router.url(_spec_of(row))
        return {
            "observed_generation": row.generation,
            "upstreams": list(upstreams),
            SERVING: list(shown.serving),
            "router": self.router_name,
            "url": url,
            "conditions": conditions,
        }


def _endpoints(router: Router) -> tuple[str, ...]:
    """The URLs among the router's settings (the admin API's): its errors may name them."""
    settings = router.config.settings
    values = attrs.asdict(settings).values() if attrs.has(type(settings)) else ()
    return tuple(v for v in values if isinstance(v, str) and "://" in v)


def _spec_of(row: RouteRow) -> RouteSpec:
    """The spec of a row as `Router.url` needs it (no upstreams, no secrets)."""
    return RouteSpec(row.id, row.hostname, row.path_prefix, (), TlsMode(row.tls),
                     Balancing(row.balancing))  # fmt: skip
