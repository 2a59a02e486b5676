"""`POST /v3/assembly_factory/batch`: many declarations in one request (bulk `apply -f`).

The body is `{"declarations": [...]}`, at most `MAX_BATCH` of them, each what
`POST /v3/assembly_factory` takes. They are declared in order in one transaction (one
commit, one request's authentication and parsing, instead of one of each per assembly),
each in a savepoint of its own: one that is refused (a name in use, an unknown plan, a
quota) leaves nothing of itself and takes nothing from the others. The answer is a 200
whose `results` say, in the order given, what the single POST would have: `status` 201
with the assembly's `id`, `uri`, `name` and `generation` (and `generated_inputs`, shown
this once), or its error status with the error document (`title`, `description`, a
422's `problems`, whose paths are the document's own: `$.flavor`). A document the
single POST would refuse as malformed (an unknown field, a number for a name) is
refused alike, in its place: the OpenAPI document types the items as objects, each
checked as a declaration. A body that is not such a list (of objects) is a 422 and
declares nothing.

A database failure (unavailable, contended, full) is the whole request's: nothing was
committed, and the request is answered 503 or 507 (or run again, `vertice_api.retrying`).
"""

from __future__ import annotations

from typing import Any

import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.errors import error_body, status_of
from vertice_api.http import read_body
from vertice_core import errors
from vertice_core.convert import structure
from vertice_core.model.assembly import AssemblyDeclaration
from vertice_core.service.assemblies import MAX_BATCH
from vertice_core.service.records import Declared

#: What a declaration's failure is the whole request's: nothing of it can be stored.
NOT_AN_ITEMS_FAULT = (errors.Unavailable, errors.StorageFull)


def declarations_of(body: Any) -> list[Any]:
    """The list of declarations of a batch body, or a 422 naming what is wrong with it."""
    if not isinstance(body, dict) or set(body) != {"declarations"}:
        raise errors.InvalidInput.at(
            "$", "a batch is an object with one member, declarations (a list)"
        )
    items = body["declarations"]
    if not isinstance(items, list) or not items:
        raise errors.InvalidInput.at("$.declarations", "must be a non-empty list of declarations")
    if len(items) > MAX_BATCH:
        raise errors.InvalidInput.at(
            "$.declarations",
            f"holds {len(items)} declarations; a batch holds at most {MAX_BATCH}",
        )
    strays = [i for i, item in enumerate(items) if not isinstance(item, dict)]
    if strays:
        raise errors.InvalidInput(
            errors.Problem(f"$.declarations[{i}]", "must be an object: a declaration")
            for i in strays
        )
    return items


def declared(index: int, stored: Declared) -> dict[str, Any]:
    """The result of a declaration that was stored (from its row: no record is made)."""
    row = stored.row
    result: dict[str, Any] = {
        "index": index, "status": 201, "id": row.id, "uri": views.assembly_uri(row.id),
        "name": row.name, "generation": row.generation,
    }  # fmt: skip
    if stored.generated:
        result["generated_inputs"] = dict(stored.generated)
    return result


def refused(index: int, exc: errors.VerticeError) -> dict[str, Any]:
    """The result of a declaration that was refused: its status and error document."""
    status = status_of(exc)
    if status is None:  # a domain error the API has no status for: a bug, the request's
        raise exc
    return {"index": index, "status": int(status[:3]), **error_body(exc)}


class AssemblyBatch:
    """`/v3/assembly_factory/batch`: declare many assemblies in one request."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        # Checked before the transaction: a SQLite file's writers queue for it
        # (`store.writelock`), so what needs no database is not done while they wait.
        items = declarations_of(read_body(req))
        parsed = [self._structured(index, item) for index, item in enumerate(items)]
        results: list[dict[str, Any]] = []
        with self.ctx.store.write() as session:
            for index, declaration in enumerate(parsed):
                if isinstance(declaration, dict):  # refused as malformed
                    results.append(declaration)
                    continue
                try:
                    with session.begin_nested():
                        stored = self.ctx.assemblies.declare(session, caller, declaration)
                except NOT_AN_ITEMS_FAULT:
                    raise
                except errors.VerticeError as exc:
                    results.append(refused(index, exc))
                else:
                    results.append(declared(index, stored))
        created = sum(1 for r in results if r["status"] == 201)
        resp.media = {"results": results, "created": created, "refused": len(results) - created}

    def _structured(self, index: int, item: Any) -> AssemblyDeclaration | dict[str, Any]:
        """The declaration at `index`, or its result when it is malformed (refused as the
        single POST would refuse it)."""
        try:
            return structure(self.ctx.converter, item, AssemblyDeclaration)
        except errors.VerticeError as exc:
            return refused(index, exc)
