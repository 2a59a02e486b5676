"""Bindings between assemblies: written at declaration, read by deletes and the binding pass."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vertice_core.store.tables import AssemblyRow, BindingRow, InstanceRow, RouteRow


class BindingRepository:
    """Rows of `bindings`; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, consumer_id: str, bindings: Sequence[dict[str, str]]) -> None:
        """Record a consumer's bindings (`assembly_id`, `component`, `env` each)."""
        rows = [{"consumer_id": consumer_id, "provider_id": b["assembly_id"],
                 "component": b["component"], "env": b["env"]} for b in bindings]  # fmt: skip
        if rows:
            self.session.execute(insert(BindingRow), rows)

    def consumer_names(self, provider_id: str, limit: int = 20) -> list[str]:
        """The names of the live assemblies bound to `provider_id`."""
        query = (
            select(AssemblyRow.name)
            .join(BindingRow, BindingRow.consumer_id == AssemblyRow.id)
            .where(BindingRow.provider_id == provider_id)
            .where(AssemblyRow.desired_state != "deleted")
            .order_by(AssemblyRow.name)
            .distinct()
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def consumers(self) -> list[str]:
        """The ids of every assembly with a binding."""
        return sorted(set(self.session.scalars(select(BindingRow.consumer_id))))

    # -- the binding controller's reads --

    def assemblies(self, ids: Iterable[str]) -> dict[str, AssemblyRow]:
        """The assemblies with these ids."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self.session.scalars(select(AssemblyRow).where(AssemblyRow.id.in_(wanted)))
        return {row.id: row for row in rows}

    def hosts(self, ids: Iterable[str]) -> dict[str, str]:
        """Each assembly's first running instance's private address."""
        found: dict[str, str] = {}
        query = (
            select(InstanceRow.assembly_id, InstanceRow.state, InstanceRow.private_ipv4)
            .where(InstanceRow.assembly_id.in_(sorted(ids)))
            .order_by(InstanceRow.assembly_id, InstanceRow.ordinal)
        )
        for assembly_id, state, address in self.session.execute(query):
            if state == "running" and address and assembly_id not in found:
                found[assembly_id] = address
        return found

    def route_urls(self, ids: Iterable[str]) -> dict[str, str]:
        """Each assembly's first route's URL, once its router serves it."""
        found: dict[str, str] = {}
        query = (
            select(RouteRow.assembly_id, RouteRow.status)
            .where(RouteRow.assembly_id.in_(sorted(ids)))
            .order_by(RouteRow.hostname)
        )
        for assembly_id, status in self.session.execute(query):
            url = (status or {}).get("url")
            if url and assembly_id not in found:
                found[assembly_id] = url
        return found
