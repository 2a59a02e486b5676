"""The binding controller: consumers' bound values kept equal to what their providers offer.

A consumer's bindings (`vertice_core.model.binding`) resolve to environment
variables: a `databaseinstance` to `scheme://user:password@host:port/database`
(the provider's plan says the scheme and port and which of its inputs hold the
user, password and database; the host is the private address of its first
running instance, which other instances of the same network reach), an
`appaccess` to the URL of the provider's first route, else
`http://<private address>:<first port>`. A provider with no running instance
offers nothing yet.

Its one target is `bindings`, looked at every `interval` seconds. A pass reads
the consumers and their providers, resolves every value, and compares a keyed
digest of them with the one the consumer's spec holds. When it moved, it seals
the values into the spec (`sealed_bound_env`, which the create path opens into
the instances' environment) and raises its `replace_count` in the same write:
instances made with the old values are replaced one at a time, each new one
running (and passing its probe) before the old one drains. It raises it even when
the pass saw no instance: a create may have read the spec just before this write
and be writing its marker just after the pass's read, and only the count (which
the create's slot records as `replaced_done`) marks that instance as behind; a
slot made after the write records the raised count and is not replaced. Level-based:
a provider that moves, restarts elsewhere or comes up late is caught up with by
the next pass, whatever happened in between.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import attrs
import cattrs

from vertice_core.convert import structure
from vertice_core.crypto import SecretBox
from vertice_core.errors import DriverError
from vertice_core.model.camp import Plan
from vertice_core.runtime import Due
from vertice_core.store import Store
from vertice_core.store.repositories import AssemblyRepository, PlanRepository
from vertice_core.store.repositories.bindings import BindingRepository
from vertice_core.store.tables import AssemblyRow

log = logging.getLogger("vertice.bindings")

TARGET = "bindings"
#: Seconds between two passes.
INTERVAL = 2.0


@attrs.frozen
class BindingResult:
    """What a pass did."""

    target: str
    busy: bool = False
    error: str | None = None
    consumers: int = 0
    changed: int = 0


def database_url(plan: Plan, inputs: Mapping[str, str], host: str) -> str | None:
    """The URL a `databaseinstance` binding gives, or None (no such component, no host)."""
    settings = plan.settings("databaseinstance")
    if not settings or not host:
        return None
    user = inputs.get(settings.get("user", ""), "")
    password = inputs.get(settings.get("password", ""), "")
    database = inputs.get(settings.get("database", ""), "")
    credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    at = f"{credentials}@" if credentials else ""
    return f"{settings.get('scheme', 'postgresql')}://{at}{host}:{settings.get('port', '')}/" + (
        quote(database, safe=""))  # fmt: skip


def app_url(plan: Plan, route_url: str | None, host: str) -> str | None:
    """The URL an `appaccess` binding gives: the route's, else the first port's, or None."""
    if route_url:
        return route_url
    ports = plan.ports()
    return f"http://{host}:{ports[0]}" if host and ports else None


class BindingController:
    """See the module's docstring."""

    name = "bindings"

    def __init__(
        self,
        store: Store,
        *,
        converter: cattrs.Converter,
        box: SecretBox,
        clock: Callable[[], float] = time.time,
        interval: float = INTERVAL,
    ) -> None:
        self.store, self.converter, self.box = store, converter, box
        self.clock, self.interval = clock, interval
        self._next = 0.0

    def due(self, now: float) -> Due:
        due = now >= self._next
        return Due(targets=[TARGET], counts={TARGET: 1} if due else {})

    def run_target(self, target: str) -> BindingResult:
        self._next = self.clock() + self.interval
        with self.store.read() as session:
            bindings = BindingRepository(session)
            consumers = bindings.consumers()
            if not consumers:
                return BindingResult(target)
            rows = bindings.assemblies(consumers)
            wanted = [b["assembly_id"] for r in rows.values()
                      for b in (r.spec or {}).get("bindings", [])]  # fmt: skip
            providers = bindings.assemblies(wanted)
            hosts = bindings.hosts(providers)
            routes = bindings.route_urls(providers)
            # Read each pass: an administrator may have replaced a plan since the last one.
            plans = {name: self._plan(session, name)
                     for name in {p.plan_name for p in providers.values()}}  # fmt: skip
        changed = 0
        for consumer in rows.values():
            if consumer.desired_state == "deleted":
                continue
            values = self._values(consumer, providers, plans, hosts, routes)
            digest = self.box.digest(repr(sorted(values.items())))
            if digest != (consumer.spec or {}).get("bound_digest"):
                changed += self._write(
                    consumer.id,
                    values,
                    digest,
                )
        return BindingResult(target, consumers=len(rows), changed=changed)

    def _values(
        self, consumer: AssemblyRow, providers: Mapping[str, AssemblyRow],
        plans: Mapping[str, Plan | None], hosts: Mapping[str, str], routes: Mapping[str, str],
    ) -> dict[str, str]:  # fmt: skip
        """The consumer's bound variables that have a value now."""
        values: dict[str, str] = {}
        for binding in (consumer.spec or {}).get("bindings", []):
            provider = providers.get(binding["assembly_id"])
            plan = plans.get(provider.plan_name) if provider is not None else None
            if provider is None or plan is None or provider.desired_state == "deleted":
                continue
            host = hosts.get(provider.id, "")
            if binding["component"] == "databaseinstance":
                value = database_url(plan, self._inputs(provider), host)
            else:
                value = app_url(plan, routes.get(provider.id), host)
            if value:
                values[binding["env"]] = value
        return values

    def _inputs(self, provider: AssemblyRow) -> dict[str, str]:
        spec = provider.spec or {}
        opened = {k: self.box.open(v) for k, v in (spec.get("sealed_inputs") or {}).items()}
        return {**(spec.get("inputs") or {}), **opened}

    def _write(self, consumer_id: str, values: dict[str, str], digest: str) -> int:
        """Seal the values into the consumer's spec and raise its `replace_count`."""
        with self.store.write() as session:
            row = session.get(AssemblyRow, consumer_id)
            if row is None or row.desired_state == "deleted":
                return 0
            sealed = {k: self.box.seal(v) for k, v in values.items()}
            spec = {**(row.spec or {}), "bound_digest": digest, "sealed_bound_env": sealed}
            changes: dict[str, Any] = {"spec": spec, "replace_count": row.replace_count + 1}
            if not AssemblyRepository(session).change_spec(row.id, row.generation, **changes):
                return 0  # changed meanwhile: the next pass looks again
        log.info("assembly %s: bound values changed; its instances are replaced", consumer_id)
        return 1

    def _plan(self, session: Any, name: str) -> Plan | None:
        row = PlanRepository(session).get(name)
        return structure(self.converter, row.document, Plan) if row is not None else None

    def target_failed(self, target: str, error: DriverError) -> None:
        """Nothing to record."""

    def error_result(self, target: str, message: str) -> BindingResult:
        return BindingResult(target, error=message)

    def close(self) -> None:
        """Nothing held."""
