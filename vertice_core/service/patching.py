"""Applying a JSON Patch (RFC 6902) to the attributes of an assembly a caller may change.

The patch works on a small document of the patchable attributes, limited to
the paths the assembly's metadata lets this caller change (`consumer_mutable`
for its owners, `mutable` as well for administrators). A document that is no
JSON Patch is refused first (`patch_document`); the result is validated as a
whole, and every problem names its JSON path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import cattrs

from vertice_core.convert import structure
from vertice_core.errors import Conflict, InvalidInput, Problem
from vertice_core.model.assembly import PowerMode, PowerState, StopMode
from vertice_core.model.types import Name, NonNegative, Tags
from vertice_core.service.patch_document import check_shape, failed_test_message

#: The patchable attributes of an assembly with a column of their own, in the order of
#: `PATCHABLE_PATHS` (`/inputs` is in the spec document: `input_changes`).
FIELDS = (
    "name",
    "description",
    "tags",
    "desired_state",
    "restart_count",
    "restart_mode",
    "stop_mode",
    "replicas",
    "replace_count",
    "flavor",
)


@attrs.frozen
class Patchable:
    """The attributes of an assembly a JSON Patch may change, validated after patching."""

    name: Name
    description: str
    tags: Tags
    desired_state: PowerState
    restart_count: NonNegative
    restart_mode: PowerMode
    stop_mode: StopMode
    replicas: NonNegative
    replace_count: NonNegative
    #: Another flavor resizes the instances in place (a region whose driver claims
    #: `resize`; refused elsewhere).
    flavor: Name
    #: The plan inputs (`input_changes`), checked against the plan by the caller.
    inputs: Any = None


def allowed_paths(metadata: Mapping[str, Any], admin: bool) -> set[str]:
    """The paths a caller may change: the owners' list, and the administrators' for admins."""
    allowed = set(metadata.get("consumer_mutable", []))
    if admin:
        allowed |= set(metadata.get("mutable", []))
    return allowed


def apply_patch(
    converter: cattrs.Converter,
    current: Mapping[str, Any],
    operations: Any,
    allowed: set[str],
) -> dict[str, Any]:
    """The patchable attributes after `operations`, validated: `MalformedInput` for a
    document that is no JSON Patch, `InvalidInput` for paths or values refused, a
    `Conflict` when a `test` operation fails.

    Operations are applied one by one so that a failed `test` is described
    against the document as the operations before it left it.
    """
    # Imported here: only a PATCH needs them, and they (with difflib) are 0.36 MB that
    # every API worker would otherwise hold from its start (issue 18).
    import jsonpatch
    import jsonpointer

    check_paths(check_shape(operations), allowed)
    changed = dict(current)
    for i, operation in enumerate(operations):
        try:
            changed = jsonpatch.JsonPatch([operation]).apply(changed)
        except jsonpatch.JsonPatchTestFailed:
            raise Conflict(failed_test_message(changed, operation)) from None
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise InvalidInput.at(f"$[{i}]", f"the operation cannot be applied: {exc}") from None
    result = structure(converter, changed, Patchable)
    values = {
        "name": result.name,
        "description": result.description,
        "tags": list(result.tags),
        "desired_state": result.desired_state.value,
        "restart_count": result.restart_count,
        "restart_mode": result.restart_mode.value,
        "stop_mode": result.stop_mode.value,
        "replicas": result.replicas,
        "replace_count": result.replace_count,
        "flavor": result.flavor,
    }
    if "inputs" in current:  # as the patch left it: the caller checks it against the plan
        values["inputs"] = changed.get("inputs")
    return values


def check_paths(operations: Sequence[dict[str, Any]], allowed: set[str]) -> None:
    """`InvalidInput` naming every operation whose `path` or `from` is not allowed
    (the operations are well-formed: `check_shape` passed)."""
    problems = []
    for i, op in enumerate(operations):
        for field in ("path", "from"):
            path = op.get(field)
            if path is None:
                continue
            if not any(path == a or path.startswith(a + "/") for a in allowed):
                permitted = ", ".join(sorted(allowed)) or "none"
                problems.append(
                    Problem(f"$[{i}].{field}", f"{path!r} may not be changed; allowed: {permitted}")
                )
    if problems:
        raise InvalidInput(problems)
