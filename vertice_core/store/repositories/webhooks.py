"""Assemblies' push webhooks (one per assembly); the caller owns the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vertice_core.ids import new_id
from vertice_core.store.tables import WebhookRow, utcnow


class WebhookRepository:
    """Rows of `webhooks`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_assembly(self, assembly_id: str) -> WebhookRow | None:
        """The assembly's webhook, if it has one."""
        query = select(WebhookRow).where(WebhookRow.assembly_id == assembly_id)
        return self.session.scalars(query).first()

    def get(self, hook_id: str) -> WebhookRow | None:
        """The webhook with `hook_id`."""
        return self.session.get(WebhookRow, hook_id)

    def put(self, project_id: str, assembly_id: str, sealed_secret: str) -> WebhookRow:
        """Make the assembly's webhook, or give the one it has a new id and secret (the old
        URL and secret stop working at once)."""
        existing = self.of_assembly(assembly_id)
        if existing is not None:
            self.session.delete(existing)
            self.session.flush()
        row = WebhookRow(id=new_id("whk"), project_id=project_id, assembly_id=assembly_id,
                         sealed_secret=sealed_secret, created_at=utcnow(), deliveries=0,
                         last_result="")  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, row: WebhookRow) -> None:
        """Remove a webhook."""
        self.session.delete(row)
        self.session.flush()

    def delivered(self, hook_id: str, result: str, **values: Any) -> None:
        """Count a verified delivery and what it did."""
        self.session.execute(
            update(WebhookRow)
            .where(WebhookRow.id == hook_id)
            .values(deliveries=WebhookRow.deliveries + 1, last_delivery_at=utcnow(),
                    last_result=result[:1000], **values)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
