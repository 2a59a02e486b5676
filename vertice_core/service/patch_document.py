"""The shape of a JSON Patch document (RFC 6902), and the words for a failed `test`.

A patch document whose shape breaks RFC 6902 (§4, §5: not an array of
objects, an operation without `op` or `path`, an unknown `op`, `add` without
`value`, `copy` without `from`) is a malformed request (`MalformedInput`, a
400 at the API), told apart from a well-formed patch whose paths or values
are refused (`InvalidInput`, a 422). A failed `test` is described with JSON's
type names, as a client writes them, never with Python's.
"""

from __future__ import annotations

import json
from typing import Any

from vertice_core.convert import json_type
from vertice_core.errors import MalformedInput

#: What a malformed patch is called in answers.
TITLE = "Malformed patch"
#: The members each operation needs besides `op` and `path` (RFC 6902 §4).
REQUIRED: dict[str, tuple[str, ...]] = {
    "add": ("value",),
    "remove": (),
    "replace": ("value",),
    "move": ("from",),
    "copy": ("from",),
    "test": ("value",),
}
#: How much of a value a message quotes.
QUOTE = 60


def check_shape(operations: Any) -> list[dict[str, Any]]:
    """`operations` if it is a well-formed JSON Patch, else `MalformedInput` naming
    every operation (by its JSON path) that is not."""
    if not isinstance(operations, list):
        raise MalformedInput(
            f"$: a JSON Patch document is an array of operations, not {json_type(operations)}",
            title=TITLE,
        )
    problems = [
        problem
        for i, operation in enumerate(operations)
        if (problem := _shape_problem(f"$[{i}]", operation)) is not None
    ]
    if problems:
        raise MalformedInput("; ".join(problems), title=TITLE)
    return operations


def _shape_problem(where: str, operation: Any) -> str | None:
    if not isinstance(operation, dict):
        kind_of = json_type(operation)
        return f"{where}: an operation is an object with 'op' and 'path', not {kind_of}"
    kind = operation.get("op")
    if not isinstance(kind, str) or kind not in REQUIRED:
        known = ", ".join(REQUIRED)
        if "op" not in operation:
            return f"{where}: the operation has no 'op' (one of {known})"
        return f"{where}.op: {quote(kind)} is not an operation; one of {known}"
    for member in ("path", *REQUIRED[kind]):
        if member not in operation:
            return f"{where}: the {kind!r} operation needs a '{member}'"
    for member in ("path", "from"):
        if member in operation and not isinstance(operation[member], str):
            value = operation[member]
            return f"{where}.{member}: a JSON Pointer is a string, not {json_type(value)}"
    return None


def failed_test_message(document: Any, operation: dict[str, Any]) -> str:
    """Why `operation` (a `test`) failed against `document`, in JSON's words."""
    import jsonpointer  # as `apply_patch` does: only a PATCH needs it

    path = operation["path"]
    try:
        actual = jsonpointer.resolve_pointer(document, path)
    except jsonpointer.JsonPointerException:
        return f"a test operation failed: {path} does not exist"
    return (
        f"a test operation failed: {path} is {describe(actual)}, not {describe(operation['value'])}"
    )


def describe(value: Any) -> str:
    """A value as JSON, shortened, with its JSON type: `"web" (string)`."""
    return f"{quote(value)} ({json_type(value)})"


def quote(value: Any) -> str:
    """`value` written as JSON, cut to `QUOTE` characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"
