"""Small builders of OpenAPI 3.1 pieces: schemas, parameters, responses, operations.

The document is assembled from these instead of one large literal, so a rule
that holds for many operations (a protected route may answer 401, a route
that reads a body may answer 413, 415 and 422) is written once, here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: A JSON Schema, a parameter, a response or an operation: plain JSON-ready dicts.
Json = dict[str, Any]

#: The reason phrase of every status code the API answers with.
REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No content",
    304: "Not modified: If-None-Match names the current ETag",
    400: "Bad request: a malformed or empty body (or JSON Patch document: an operation "
    "without `op` or `path`; YAML with an anchor or alias), an invalid or empty query "
    "parameter, or a NUL character in the URL",
    401: "Missing, unknown, revoked or expired bearer token",
    403: "The caller may not do this (administrators only, or admission refused)",
    404: "No such resource, or one in a project the caller cannot see (whatever the body "
    "a write sends)",
    409: "Conflict with the current state (a name in use, a resource still in use)",
    412: "If-Match names no current version of the resource's spec",
    413: "The body is larger than 1 MiB (or, for a plan, its JSON document than 256 KiB)",
    415: "The body's media type is not one this operation accepts",
    422: "The document failed validation; `problems` names each field by its JSON path",
    429: "Too many failed authentications from the caller's address or with the token's "
    "prefix; every request of theirs is refused until `Retry-After` seconds have passed",
    503: "The database does not answer (try again after `Retry-After` seconds)",
}

#: Shared error responses, by status, under `components/responses`.
ERROR_RESPONSES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "ContentTooLarge",
    415: "UnsupportedMediaType",
    422: "InvalidInput",
    429: "TooManyFailedAuthentications",
}

JSON = "application/json"


def ref(name: str) -> Json:
    """A reference to the component schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def string(description: str = "", **keywords: Any) -> Json:
    """A string schema."""
    return _described({"type": "string", **keywords}, description)


#: A string without a NUL character: the converter refuses one in a string or a key.
NO_NUL = "^[^\\x00]*$"


def text(description: str = "", **keywords: Any) -> Json:
    """A string of a request: the converter refuses a NUL character in one."""
    return string(description, pattern=NO_NUL, **keywords)


def keyed_object(description: str = "") -> Json:
    """An object of a request with any keys (the converter refuses a NUL in a key)."""
    return _described({"type": "object", "propertyNames": {"pattern": NO_NUL}}, description)


def integer(description: str = "", minimum: int | None = None, **keywords: Any) -> Json:
    """An integer schema, optionally bounded below."""
    schema: Json = {"type": "integer", **keywords}
    if minimum is not None:
        schema["minimum"] = minimum
    return _described(schema, description)


def boolean(description: str = "") -> Json:
    """A boolean schema."""
    return _described({"type": "boolean"}, description)


def array(items: Json, description: str = "") -> Json:
    """An array of `items`."""
    return _described({"type": "array", "items": items}, description)


def enum(values: Iterable[str], description: str = "") -> Json:
    """A string that is one of `values`."""
    return _described({"type": "string", "enum": list(values)}, description)


def nullable(schema: Json) -> Json:
    """`schema` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def time(description: str = "") -> Json:
    """An ISO 8601 date-time in UTC."""
    return string(description, format="date-time")


def free_object(description: str = "") -> Json:
    """An object with any keys (settings, characteristics, attributes)."""
    return _described({"type": "object"}, description)


def obj(
    properties: Mapping[str, Json],
    required: Iterable[str] = (),
    *,
    closed: bool = True,
    description: str = "",
) -> Json:
    """An object schema; `closed` forbids properties that are not listed."""
    schema: Json = {"type": "object", "properties": dict(properties)}
    names = list(required)
    if names:
        schema["required"] = names
    if closed:
        schema["additionalProperties"] = False
    return _described(schema, description)


def without(schema: Json, *names: str) -> Json:
    """A copy of an object schema without the properties `names`."""
    copy = dict(schema)
    copy["properties"] = {k: v for k, v in schema["properties"].items() if k not in names}
    required = [r for r in schema.get("required", []) if r not in names]
    if required:
        copy["required"] = required
    else:
        copy.pop("required", None)
    return copy


def _described(schema: Json, description: str) -> Json:
    if description:
        schema["description"] = description
    return schema


# Parameters ------------------------------------------------------------------------------


def path_param(name: str, description: str, schema: Json) -> Json:
    """A required path parameter."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def query_param(name: str, description: str, schema: Json, **keywords: Any) -> Json:
    """An optional query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **keywords,
    }


def param_ref(name: str) -> Json:
    """A reference to the shared parameter `name` under `components/parameters`."""
    return {"$ref": f"#/components/parameters/{name}"}


def select_attr(attributes: Sequence[str]) -> Json:
    """The `select_attr` query parameter of a GET whose document has `attributes`."""
    return query_param(
        "select_attr",
        "Return only these attributes (comma-separated or repeated; blank entries are "
        "ignored); an unknown one is a 400.",
        {"type": "array", "items": {"type": "string", "enum": [*attributes, ""]}},
        style="form",
        explode=False,
    )


# Responses and operations ---------------------------------------------------------------


def header_ref(name: str) -> Json:
    """A reference to the shared response header `name` under `components/headers`."""
    return {"$ref": f"#/components/headers/{name}"}


def response(
    status: int, schema: Json | None = None, headers: Iterable[str] = (), description: str = ""
) -> Json:
    """A success response with a JSON body (`schema`) or none, and the named headers."""
    answer: Json = {"description": description or REASONS[status]}
    if schema is not None:
        answer["content"] = {JSON: {"schema": schema}}
    names = list(headers)
    if names:
        answer["headers"] = {name: header_ref(name) for name in names}
    return answer


def error_response(status: int) -> Json:
    """The shared error response of `status`."""
    return {"$ref": f"#/components/responses/{ERROR_RESPONSES[status]}"}


def body(schema: Json, media_types: Iterable[str] = (JSON,), description: str = "") -> Json:
    """A required request body of `schema` in each of `media_types`."""
    request: Json = {
        "required": True,
        "content": {media_type: {"schema": schema} for media_type in media_types},
    }
    return _described(request, description)


def operation(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    ok: Mapping[int, Json],
    errors: Iterable[int] = (),
    request: Json | None = None,
    parameters: Sequence[Json] = (),
    public: bool = False,
    description: str = "",
) -> Json:
    """An operation: its success responses `ok`, and every error it can answer.

    Errors implied by the shape of the operation are added here: 400 for
    every one (a NUL character in the URL is refused before routing), 401 for
    a protected one (and 429, failed authentications limited), and 413, 415 and 422 for
    one that reads a body.
    """
    statuses = set(errors) | {400}
    if not public:
        statuses |= {401, 429}
    if request is not None:
        statuses |= {413, 415, 422}
    responses: Json = {str(s): r for s, r in sorted(ok.items())}
    responses.update({str(s): error_response(s) for s in sorted(statuses)})
    op: Json = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = list(parameters)
    if request is not None:
        op["requestBody"] = request
    op["responses"] = dict(sorted(responses.items()))
    if public:
        op["security"] = []
    return op
