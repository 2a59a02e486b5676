"""Push webhooks: made, read and removed by an assembly's owners; delivered by git hosts.

`put` makes (or rotates) an assembly's webhook and returns its secret once: it
is sealed at rest and no read shows it again. `deliver` is what a git host's
POST does: the delivery must carry a proof made with the secret (checked in
constant time, before the body is parsed); a push to the branch the source
follows queues a build of exactly the pushed commit, which, once it succeeds,
is rolled out one instance at a time; anything else is acknowledged and builds
nothing. A delivery whose proof does not match changes nothing at all.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from vertice_core.building import pushes
from vertice_core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from vertice_core.model.build import Delivery, Webhook
from vertice_core.service import sources
from vertice_core.service.builds import assembly_row
from vertice_core.service.resolve import project_id_for
from vertice_core.store.repositories.builds import BuildRepository
from vertice_core.store.repositories.webhooks import WebhookRepository
from vertice_core.store.tables import AssemblyRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.crypto import SecretBox
    from vertice_core.service.caller import Caller
    from vertice_core.store.tables import WebhookRow


class WebhookService:
    """See the module's docstring."""

    def __init__(self, box: SecretBox) -> None:
        self.box = box

    def put(self, session: Session, caller: Caller, assembly_ref: str) -> Webhook:
        """Make the assembly's webhook, or rotate it; the answer is the only one with its secret."""
        assembly = self._source_built(session, caller, assembly_ref)
        secret = secrets.token_urlsafe(32)
        row = WebhookRepository(session).put(assembly.project_id, assembly.id,
                                             self.box.seal(secret))  # fmt: skip
        return webhook_of(row, secret)

    def get(self, session: Session, caller: Caller, assembly_ref: str) -> Webhook:
        """The assembly's webhook (without its secret)."""
        return webhook_of(self._row(session, caller, assembly_ref))

    def delete(self, session: Session, caller: Caller, assembly_ref: str) -> None:
        """Remove the assembly's webhook: its URL stops working."""
        WebhookRepository(session).delete(self._row(session, caller, assembly_ref))

    def deliver(
        self, session: Session, hook_id: str, headers: Mapping[str, str], body: bytes
    ) -> Delivery:
        """A git host's delivery (see the module's docstring)."""
        hooks = WebhookRepository(session)
        row = hooks.get(hook_id)
        secret = self.box.open(row.sealed_secret) if row is not None else secrets.token_hex(16)
        host = pushes.verified_host(headers, body, secret)  # the same work for a wrong id
        if row is None:
            raise NotFound(f"there is no webhook {hook_id!r}")
        if host is None:
            raise Unauthenticated(
                "the delivery carries no valid signature (X-Hub-Signature-256, "
                "X-Gitea-Signature) or token (X-Gitlab-Token) for this webhook"
            )
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            raise InvalidInput.at("$", "the delivery's body is not JSON") from None
        push = pushes.push_of(host, headers, payload)
        assembly = session.get(AssemblyRow, row.assembly_id)
        source = sources.stored_source(assembly.spec or {}) if assembly is not None else None
        if assembly is None or source is None or assembly.desired_state == "deleted":
            hooks.delivered(row.id, "ignored: the assembly is gone")
            return Delivery(host, ignored="the assembly is gone or being deleted")
        why = pushes.decision(push, _tracked(source.ref))
        if why is not None:
            hooks.delivered(row.id, f"ignored: {why}")
            return Delivery(host, ignored=why)
        build = sources.queue_build(
            session, assembly_id=assembly.id, project_id=assembly.project_id,
            region=assembly.region_name, source=source, ref=push.after,
        )  # fmt: skip
        if build is None:
            raise Conflict("another build of the assembly was requested at the same time; retry")
        BuildRepository(session).wait(assembly.id, sources.awaiting(build.revision, build.id))
        hooks.delivered(row.id, f"build {build.id} of {push.after[:12]} ({push.branch})")
        return Delivery(host, build_id=build.id)

    def _source_built(self, session: Session, caller: Caller, assembly_ref: str) -> AssemblyRow:
        assembly = assembly_row(session, project_id_for(session, caller, None), assembly_ref)
        if sources.stored_source(assembly.spec or {}) is None:
            raise InvalidInput.at("$.assembly", f"assembly {assembly.name!r} is not built from "
                                  "source: a push has nothing to build")  # fmt: skip
        return assembly

    def _row(self, session: Session, caller: Caller, assembly_ref: str) -> WebhookRow:
        assembly = assembly_row(session, project_id_for(session, caller, None), assembly_ref)
        row = WebhookRepository(session).of_assembly(assembly.id)
        if row is None:
            raise NotFound(f"assembly {assembly.name!r} has no webhook")
        return row


def _tracked(ref: str) -> str:
    """The branch a source follows: its ref unless that is a commit ("" : the default)."""
    return "" if pushes.SHA.fullmatch(ref) else ref


def webhook_of(row: WebhookRow, secret: str | None = None) -> Webhook:
    """The `Webhook` record of a row (with `secret` only when it was just made)."""
    return Webhook(id=row.id, assembly_id=row.assembly_id, url=f"/v3/hooks/{row.id}",
                   created_at=row.created_at, deliveries=row.deliveries,
                   last_delivery_at=row.last_delivery_at, last_result=row.last_result,
                   secret=secret)  # fmt: skip
