"""Request helpers shared by the resources: bodies, query parameters, ETags, preconditions.

Bodies are read here, not by Falcon's media handlers, so every resource gets
the same limits and messages: a wrong media type is a 415 naming the accepted
ones, a body over 1 MiB a 413 (with a Content-Length or sent chunked), malformed
JSON or YAML a 400 naming the position of the problem. YAML anchors and aliases
are refused (a 400 at the first one): a few hundred bytes of nested aliases
expand to megabytes once constructed (issue 17).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Protocol
from urllib.parse import unquote_plus

import falcon
import orjson

from vertice_core.model.types import MAX_INT

MAX_BODY = 1024 * 1024
#: How deeply a body's arrays and objects may nest.
MAX_DEPTH = 64
#: The most `,` and `:` a JSON body may hold, an upper bound of its values counted before it
#: is parsed: 60,000 components (840 KB) made 20 MB of Python objects, and the worker kept
#: that memory (issue 17). A large plan (256 KiB at most) holds a few thousand values.
MAX_SEPARATORS = 50_000
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
JSON_PATCH = "application/json-patch+json"

#: Paging defaults and the cap of `items_per_page`.
DEFAULT_PAGE = 50
MAX_PAGE = 500


class Readable(Protocol):
    """What a body is read from: the server's `wsgi.input` or Falcon's bounded stream."""

    def read(self, size: int, /) -> bytes: ...


def media_type(req: falcon.Request) -> str:
    """The request's media type without parameters, lower-cased ('' if none)."""
    return (req.content_type or "").split(";", 1)[0].strip().lower()


def read_raw(req: falcon.Request) -> bytes:
    """The body of `req` as bytes, at most `MAX_BODY` of them (413 beyond).

    A body without a Content-Length (`Transfer-Encoding: chunked`) is read from the
    server's input up to its end when the server ends it there (`wsgi.input_terminated`,
    as gunicorn does); Falcon's `bounded_stream` would read it as empty. Either way no
    more than `MAX_BODY + 1` bytes are read, so an endless body costs 1 MiB, not more.
    """
    kept: bytes | None = getattr(req.context, "raw_body", None)
    if kept is not None:  # read before, by a run of the request the database failed
        return kept
    length = req.content_length
    if length is not None and length > MAX_BODY:
        raise _too_large()
    if length is None and req.env.get("wsgi.input_terminated"):
        raw = _read_chunked(req.stream)
    else:
        raw = _read_at_most(req.bounded_stream, MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise _too_large()
    if _ran_out_of_time(req):
        raise falcon.HTTPError(
            falcon.HTTP_408,
            title="Request timeout",
            description="the body did not arrive in time; send it whole and promptly",
        )
    req.context.raw_body = raw
    return raw


def _ran_out_of_time(req: falcon.Request) -> bool:
    """True when the server cut the body short because the client sent it too slowly
    (`vertice_api.worker.DeadlineSocket`; other servers never set the mark)."""
    return bool(getattr(req.env.get("gunicorn.socket"), "expired", False))


def _read_chunked(stream: Readable) -> bytes:
    """At most `MAX_BODY + 1` bytes of a body without a length; a 400 when the server
    cannot decode it (a malformed chunk size, the client gone before the last chunk)."""
    try:
        return _read_at_most(stream, MAX_BODY + 1)
    except Exception as exc:  # the server's own decoding errors (gunicorn's ParseException...)
        raise falcon.HTTPBadRequest(
            title="Malformed body",
            description=f"the chunked body could not be read ({type(exc).__name__})",
        ) from None


def _read_at_most(stream: Readable, limit: int) -> bytes:
    """Up to `limit` bytes of `stream`, reading again after a short read until its end."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        part = stream.read(limit - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def read_body(req: falcon.Request, accepted: Iterable[str] = JSON_TYPES) -> Any:
    """The parsed body of `req`, in one of the `accepted` media types."""
    accepted = tuple(accepted)
    kind = media_type(req)
    if kind not in accepted:
        raise falcon.HTTPUnsupportedMediaType(
            description=f"the body must be {' or '.join(accepted)}, not {kind or 'untyped'}"
        )
    raw = read_raw(req)
    if not raw.strip():
        raise falcon.HTTPBadRequest(title="Bad request", description="the request body is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise falcon.HTTPBadRequest(
            title="Malformed body", description="the body is not valid UTF-8"
        ) from None
    yaml = kind in YAML_TYPES
    if not yaml and raw.count(b",") + raw.count(b":") > MAX_SEPARATORS:
        raise falcon.HTTPContentTooLarge(
            title="Too many values",
            description=f"the body holds more than {MAX_SEPARATORS} values (counted by its "
            "',' and ':' before it is read): no request of this API needs as many",
        )
    document = _parse_yaml(text) if yaml else parse_json(text)
    check_storable(document, finite=not yaml)
    return document


def check_storable(document: Any, *, finite: bool = False) -> None:
    """400 unless `document` is plain JSON data that can be stored and sent back as UTF-8.

    `finite`: its floats are known finite (strict JSON parsing refused the others), so
    orjson may check the rest (a tenth of the stdlib's time; it writes NaN as null). What
    orjson refuses (integers beyond 64 bits, unpaired surrogates, YAML's dates and sets)
    the stdlib judges, and says why. Costs about 25 ms for a 1 MiB body of 120,000 values.
    """
    level, depth = [document] if isinstance(document, dict | list) else [], 1
    while level:
        if depth > MAX_DEPTH:
            raise falcon.HTTPBadRequest(
                title="Malformed body", description=f"the body nests deeper than {MAX_DEPTH} levels"
            )
        deeper: list[Any] = []
        for value in level:
            items = value.values() if isinstance(value, dict) else value
            deeper.extend(v for v in items if isinstance(v, dict | list))
        level, depth = deeper, depth + 1
    if finite:
        try:
            orjson.dumps(document)
            return
        except TypeError:  # orjson.JSONEncodeError: the stdlib decides below
            pass
    try:
        json.dumps(document, allow_nan=False, ensure_ascii=False).encode()
    except (TypeError, ValueError) as exc:  # YAML dates, .inf and sets; unpaired surrogates
        raise falcon.HTTPBadRequest(
            title="Malformed body",
            description=f"the body holds a value JSON cannot represent ({exc}); "
            "quote dates and write numbers and text as JSON does",
        ) from None


def dump_json(document: Any) -> bytes:
    """A response body: orjson (a tenth of the stdlib's time), or the stdlib for what
    orjson refuses (integers beyond 64 bits, which free-form plan documents may hold)."""
    try:
        return orjson.dumps(document)
    except TypeError:
        return json.dumps(document, ensure_ascii=False).encode()


def parse_json(text: str) -> Any:
    """Parse JSON strictly (no NaN or Infinity), as a 400 naming the position on failure."""

    def reject(constant: str) -> Any:
        raise ValueError(f"{constant} is not valid JSON")

    def finite(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise ValueError(f"the number {literal} is out of range")
        return value

    try:
        return json.loads(text, parse_constant=reject, parse_float=finite)
    except json.JSONDecodeError as exc:
        raise falcon.HTTPBadRequest(
            title="Malformed JSON",
            description=f"{exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except (ValueError, RecursionError) as exc:
        raise falcon.HTTPBadRequest(title="Malformed JSON", description=str(exc)) from None


def _parse_yaml(text: str) -> Any:
    """Parse YAML safely and without anchors or aliases, as a 400 naming the position."""
    import yaml

    try:
        document = yaml.load(text, Loader=_no_alias_loader())  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        position = f" at line {where.line + 1} column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise falcon.HTTPBadRequest(
            title="Malformed YAML", description=f"{problem}{position}"
        ) from None
    except (ValueError, RecursionError) as exc:  # an integer of 5000 digits, deep nesting
        raise falcon.HTTPBadRequest(title="Malformed YAML", description=str(exc)) from None
    return document


@cache
def _no_alias_loader() -> type:
    """PyYAML's SafeLoader refusing the first anchor (`&a`) or alias (`*a`) it meets.

    Aliases let a 423-byte body name a 6.9 MB document (each level repeating the one
    before): refused while composing, before anything is constructed, so the cost stays
    that of reading the text. Built on first use: PyYAML stays off the start-up path.
    """
    import yaml
    from yaml.events import AliasEvent

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                found = f"alias *{anchor}" if isinstance(event, AliasEvent) else f"anchor &{anchor}"
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    "YAML anchors and aliases are not accepted, write each value out "
                    f"(found {found})",
                    event.start_mark,
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def _too_large() -> falcon.HTTPError:
    return falcon.HTTPContentTooLarge(
        description=f"the body is larger than {MAX_BODY} bytes (1 MiB)"
    )


def param_values(req: falcon.Request, name: str) -> list[str]:
    """Every value of a query parameter, repeated or comma-separated."""
    values = req.get_param_as_list(name) or []
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def int_param(
    req: falcon.Request, name: str, default: int, minimum: int = 0, maximum: int = MAX_INT
) -> int:
    """An integer query parameter in `[minimum, maximum]`, as a 400 naming it when malformed
    (empty too: `?items_per_page=` is not an integer, as the OpenAPI document says)."""
    raw = req.get_param(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise falcon.HTTPBadRequest(
            title="Invalid query parameter",
            description=f"{name} must be an integer, not {raw!r}",
        ) from None
    if value < minimum:
        raise falcon.HTTPBadRequest(
            title="Invalid query parameter", description=f"{name} must be at least {minimum}"
        )
    if value > maximum:
        raise falcon.HTTPBadRequest(
            title="Invalid query parameter", description=f"{name} must be at most {maximum}"
        )
    return value


def bool_param(req: falcon.Request, name: str) -> bool:
    """A boolean query parameter, `true` or `false` (absent: false), as a 400 naming it
    otherwise: an empty or misspelt value must not stand for true, whatever it enables."""
    raw = req.get_param(name)
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise falcon.HTTPBadRequest(
        title="Invalid query parameter", description=f"{name} must be true or false, not {raw!r}"
    )


def paging(req: falcon.Request) -> tuple[int, int]:
    """`(start_index, items_per_page)` with the page size capped at `MAX_PAGE`."""
    start = int_param(req, "start_index", 0)
    size = int_param(req, "items_per_page", DEFAULT_PAGE, minimum=1)
    return start, min(size, MAX_PAGE)


def select_attributes(
    req: falcon.Request, document: Mapping[str, Any], sometimes: Sequence[str] = ()
) -> dict[str, Any]:
    """`document` cut down to the attributes named by `select_attr`, if any. An attribute
    the kind has only `sometimes` (`views.ASSEMBLY_SOMETIMES`...) is left out where this
    document lacks it; any other name the document lacks is a 400."""
    wanted = param_values(req, "select_attr")
    if not wanted:
        return dict(document)
    unknown = [name for name in wanted if name not in document and name not in sometimes]
    if unknown:
        raise falcon.HTTPBadRequest(
            title="Invalid query parameter",
            description=f"select_attr names unknown attribute(s): {', '.join(unknown)}; "
            f"known: {', '.join(sorted({*document, *sometimes}))}",
        )
    return {name: document[name] for name in wanted if name in document}


def respond(
    req: falcon.Request,
    resp: falcon.Response,
    document: Mapping[str, Any],
    sometimes: Sequence[str] = (),
) -> None:
    """Send `document` as JSON, honouring `select_attr` (see `select_attributes`)."""
    resp.media = select_attributes(req, document, sometimes)


def accepted(resp: falcon.Response, document: Mapping[str, Any], *, located: bool = True) -> None:
    """202 with `document` (and its URI in `Location`, when `located`): a request a
    controller carries out (a snapshot, a disk)."""
    resp.status = falcon.HTTP_202
    if located:
        resp.location = document["uri"]
    resp.media = document


def assembly_etag(generation: int, status_version: str) -> str:
    """An assembly's ETag: its spec version (generation), then its status version.

    It changes whenever the document could: with the spec, and whenever the
    reconciler writes a new status. A write's `If-Match` is compared with the
    first part only, so a status update alone never fails a write.
    """
    return f'"{generation}.{status_version}"'


def expected_generations(req: falcon.Request) -> frozenset[int] | None:
    """The spec versions the request's `If-Match` names (None: no precondition, or `*`).

    Strong entity tags only (`"7"` or `"7.<status>"`); anything else names no version,
    so a request that sends only such tags is refused as stale.
    """
    header = req.get_header("If-Match")
    if header is None:
        return None
    found = set()
    for raw in header.split(","):
        tag = raw.strip()
        if tag == "*":
            return None
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            version = tag[1:-1].split(".", 1)[0]
            if version.isascii() and version.isdigit():
                found.add(int(version))
    return frozenset(found)


def not_modified(req: falcon.Request, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison) or is `*`: answer 304."""
    header = req.get_header("If-None-Match")
    if header is None:
        return False
    for raw in header.split(","):
        tag = raw.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


class RejectNulInUrl:
    """A 400 for a NUL character in the path or the query: PostgreSQL cannot compare one."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if "\x00" in req.path or "\x00" in unquote_plus(req.query_string):
            raise falcon.HTTPBadRequest(
                title="Bad request", description="the URL holds a NUL character (%00)"
            )
