"""What a change would do, computed by the server and stored nowhere.

* `GET /v3/assembly/{id}/plan`: what the reconciler's next pass would do for the
  assembly, and why (`vertice_core.reconcile.preview`).
* `?dry_run=true` on `POST /v3/assembly_factory` and `PATCH /v3/assembly/{id}`:
  the declaration or patch goes through everything the real one does
  (validation, references, admission hooks, the stored row) in a transaction
  that is rolled back; the answer is the assembly as it would stand, the
  attributes that would change, and the plan of the next pass with it
  (`Rehearsal` in the OpenAPI document). Generated secret inputs are not shown:
  they would be new ones on the real request.

The plan stands on the instances the last pass observed; the cloud is not
called (`GET .../plan` costs a few reads, as a GET should).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from vertice_api import views
from vertice_api.auth import caller_of

if TYPE_CHECKING:
    import falcon
    from sqlalchemy.orm import Session

    from vertice_api.context import AppContext
    from vertice_core.reconcile.preview import Preview
    from vertice_core.service import StoredAssembly

#: Attributes of an assembly's document that say nothing a change declares.
NOT_DECLARED = frozenset(
    {"status", "generation", "updated_at", "created_at", "components", "routes", "uri",
     "events_uri", "generated_inputs", "id"}
)  # fmt: skip


def preview_document(found: Preview) -> dict[str, Any]:
    """The `AssemblyPlan` document of a preview."""
    return {
        "assembly_uri": views.assembly_uri(found.assembly_id),
        "generation": found.generation,
        "observed_generation": found.observed_generation,
        "phase": found.phase,
        "reason": found.reason,
        "waiting": found.waiting,
        "steps": [attrs.asdict(step) for step in found.steps],
    }


def plan_of(ctx: AppContext, session: Session, stored: StoredAssembly) -> dict[str, Any]:
    """The `AssemblyPlan` of an assembly read (or changed) in `session`."""
    # Imported on the first plan or dry run a worker serves: the reconciler's planner
    # (`reconcile.preview` and the nine modules it stands on) is 1.3 MB of a worker's
    # RSS, and most workers only ever read and declare.
    from vertice_core.reconcile.preview import preview

    record = stored.assembly
    found = preview(session, record.id, record.region, settings=ctx.reconciler,
                    converter=ctx.converter)  # fmt: skip
    return preview_document(found)


def rehearsal(
    ctx: AppContext,
    session: Session,
    before: dict[str, Any] | None,
    stored: StoredAssembly,
) -> dict[str, Any]:
    """The `Rehearsal` answer of a dry run: the assembly as it would stand (its document
    `before` the change, None for a declaration), what would change, and the plan."""
    after = views.assembly(ctx.converter, attrs.evolve(stored, generated={}))
    if before is None:
        changed = ["created"]
    else:
        changed = sorted(
            key for key, value in after.items()
            if key not in NOT_DECLARED and before.get(key) != value
        )  # fmt: skip
    return {"dry_run": True, "assembly": after, "changed": changed,
            "plan": plan_of(ctx, session, stored)}  # fmt: skip


class AssemblyPlan:
    """`/v3/assembly/{id}/plan`: what the next pass would do, and why."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.read() as session:
            connection = session.connection()
            stored = self.ctx.assemblies.read(connection, caller_of(req), assembly_id)
            resp.media = plan_of(self.ctx, session, stored)
