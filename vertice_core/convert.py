"""The one cattrs converter of vertice: JSON-ready data <-> model, with readable errors.

`make_converter()` is the only place a converter is built; callers create one
at start-up (in `create_app` or `main`) and pass it on. The converter is
strict: a string is not silently turned into a number, a list is not accepted
where an object is expected, and unknown fields are rejected. `structure`
turns every failure into `InvalidInput`, whose problems carry the JSON path of
each wrong field (`$.services[0].name`), so the API can answer one 422 that
lists them all.

Two spellings of the design document are accepted on input and never
emitted: `tags` written as a bracketed string (`"[linux, ubuntu]"`, any field
typed `Tags`) and a capitalised `Characteristics` key.

On output, a stored `Assembly` leaves out what the API shows as links (its
plan and components), and a `CredentialSummary` the parts its kind has not.
"""

from __future__ import annotations

import enum
import json
import re
import traceback
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import is_mapping, is_sequence, list_structure_factory, mapping_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from vertice_core.errors import InvalidInput, Problem
from vertice_core.model import camp
from vertice_core.model.assembly import Assembly, CredentialSummary
from vertice_core.model.types import (
    LABEL_MAX,
    MAX_INT,
    Currency,
    Endpoint,
    Fraction,
    Hostname,
    Label,
    Name,
    NonNegative,
    NonNegativeFloat,
    Password,
    PathPrefix,
    Port,
    Positive,
    PublicKeyText,
    Tags,
    currency_problem,
    endpoint_problem,
    hostname_problem,
    length_problem,
    name_problem,
    password_problem,
    path_prefix_problem,
    public_key_problem,
)

T = TypeVar("T")


class _Invalid(ValueError):
    """A value failed a check; its message is shown to the client as is."""


def _strict_str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a string, not {_json_type(value)}")
    if "\x00" in value:  # PostgreSQL cannot store it in a text column
        raise _Invalid("must not contain a NUL character (\\u0000)")
    return value


def _strict_int(value: Any, _: Any) -> int:
    # JSON has one number type: `3.0` is the integer 3 (as JSON Schema's `integer` says).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"must be an integer, not {_json_type(value)}")
    return value


def _strict_float(value: Any, _: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"must be a number, not {_json_type(value)}")
    return float(value)


def _strict_bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, not {_json_type(value)}")
    return value


def _structure_enum(value: Any, type_: type[enum.Enum]) -> enum.Enum:
    try:
        return type_(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in type_)
        raise _Invalid(f"must be one of {allowed}") from None


def _enum_aware(strict: Callable[[Any, Any], T]) -> Callable[[Any, Any], Any]:
    def hook(value: Any, type_: Any) -> Any:
        if isinstance(type_, type) and issubclass(type_, enum.Enum):
            return _structure_enum(value, type_)
        return strict(value, type_)

    return hook


def _checked(
    base: Callable[[Any, Any], T], problem: Callable[[T], str | None]
) -> Callable[[Any, Any], T]:
    """A hook that converts with `base` and then applies a value check."""

    def hook(value: Any, type_: Any) -> T:
        converted = base(value, type_)
        message = problem(converted)
        if message:
            raise _Invalid(message)
        return converted

    return hook


def _int_range(minimum: int, too_small: str) -> Callable[[int], str | None]:
    """A check of an integer in `[minimum, MAX_INT]`: larger ones fit no INTEGER column."""

    def problem(value: int) -> str | None:
        if value < minimum:
            return too_small
        return f"must be at most {MAX_INT}" if value > MAX_INT else None

    return problem


def json_type(value: Any) -> str:
    """The JSON type of a parsed JSON value (JSON Schema's names: `integer` for whole numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


#: How a validation message names what it was given, by JSON type.
_GIVEN = {"boolean": "a boolean", "integer": "a number", "number": "a number",
          "string": "a string", "array": "an array", "object": "an object"}  # fmt: skip


def _json_type(value: Any) -> str:
    kind = json_type(value)
    return _GIVEN.get(kind, kind)


def _tags(value: Any, _: Any) -> list[str]:
    """Tags as a list of strings, or the design document's `"[a, b]"` string form."""
    if isinstance(value, str):
        inner = value.strip()
        if inner.startswith("[") and inner.endswith("]"):
            inner = inner[1:-1]
        return [t.strip().strip("'\"") for t in inner.split(",") if t.strip()]
    if not isinstance(value, list):
        raise _Invalid(f"must be an array of strings, not {_json_type(value)}")
    bad = [i for i, tag in enumerate(value) if not isinstance(tag, str)]
    if bad:
        raise _Invalid(f"must be an array of strings (item {bad[0]} is not a string)")
    return list(value)


def _lowercase_keys(*keys: str) -> Callable[[Any], Any]:
    """Rename capitalised spellings of `keys` (`Characteristics`) to their lower-case form."""

    def normalise(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        renamed = dict(value)
        for key in keys:
            for variant in (key.capitalize(), key.upper()):
                if variant in renamed and key not in renamed:
                    renamed[key] = renamed.pop(variant)
        return renamed

    return normalise


_NORMALISERS: dict[type, Callable[[Any], Any]] = {
    camp.Service: _lowercase_keys("characteristics"),
    camp.Plan: _lowercase_keys("tags", "services", "artifacts"),
}


def _is_tagged_union(type_: Any) -> bool:
    """A union of attrs classes that each declare a `kind: Literal[...]` field."""
    if typing.get_origin(type_) not in (typing.Union, types.UnionType):
        return False
    members = [m for m in typing.get_args(type_) if m is not type(None)]
    return len(members) > 1 and all(attrs.has(m) and _kind_of(m) is not None for m in members)


def _kind_of(cls: type) -> str | None:
    hints = typing.get_type_hints(cls)
    kind = hints.get("kind")
    if typing.get_origin(kind) is typing.Literal:
        (value,) = typing.get_args(kind)
        return str(value)
    return None


def make_converter() -> cattrs.Converter:
    """Build the converter. Call once at start-up and pass the result on."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    _register_scalars(conv)
    _register_containers(conv)
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value
    )
    _register_documents(conv)
    return conv


def _register_documents(conv: cattrs.Converter) -> None:
    """How stored resources look on the wire (what differs from their attributes)."""
    conv.register_unstructure_hook(
        CredentialSummary,
        make_dict_unstructure_fn(
            CredentialSummary,
            conv,
            _cattrs_omit_if_default=True,
            kind=override(omit_if_default=False),
        ),
    )
    conv.register_unstructure_hook(
        Assembly,
        make_dict_unstructure_fn(
            Assembly, conv, plan=override(omit=True), components=override(omit=True)
        ),
    )


def _register_scalars(conv: cattrs.Converter) -> None:
    """Strict primitives, constrained NewTypes, enums and date-times."""
    # cattrs consults singledispatch first, so a hook on `str` also receives StrEnums
    # (and one on `int` IntEnums): those hooks hand enums on to `_structure_enum`.
    conv.register_structure_hook(str, _enum_aware(_strict_str))
    conv.register_structure_hook(int, _enum_aware(_strict_int))
    conv.register_structure_hook(float, _strict_float)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(enum.Enum, _structure_enum)
    conv.register_structure_hook(Name, _checked(_strict_str, name_problem))
    conv.register_structure_hook(
        Positive, _checked(_strict_int, _int_range(1, "must be at least 1"))
    )
    conv.register_structure_hook(
        NonNegative, _checked(_strict_int, _int_range(0, "must not be negative"))
    )
    conv.register_structure_hook(
        NonNegativeFloat,
        _checked(_strict_float, lambda v: None if v >= 0 else "must not be negative"),
    )
    conv.register_structure_hook(
        Fraction,
        _checked(_strict_float, lambda v: None if 0 <= v <= 1 else "must be between 0 and 1"),
    )
    conv.register_structure_hook(
        Port,
        _checked(_strict_int, lambda v: None if 1 <= v <= 65535 else "must be a port, 1 to 65535"),
    )
    conv.register_structure_hook(PublicKeyText, _checked(_strict_str, public_key_problem))
    conv.register_structure_hook(Password, _checked(_strict_str, password_problem))
    conv.register_structure_hook(Label, _checked(_strict_str, length_problem(LABEL_MAX)))
    conv.register_structure_hook(Endpoint, _checked(_strict_str, endpoint_problem))
    conv.register_structure_hook(Currency, _checked(_strict_str, currency_problem))
    conv.register_structure_hook(Hostname, _checked(_strict_str, hostname_problem))
    conv.register_structure_hook(PathPrefix, _checked(_strict_str, path_prefix_problem))
    conv.register_structure_hook(Tags, _tags)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)


#: The most items of any array, and fields or entries of any object, the converter reads:
#: checked before any of them is, so the work of validating a document is bounded by its
#: shape, not its size (issue 17: 60,000 wrong components took 3 s of a worker's CPU).
MAX_ITEMS = 1000


def _check_size(value: list[Any] | dict[Any, Any], what: str) -> None:
    if len(value) > MAX_ITEMS:
        raise _Invalid(f"must have at most {MAX_ITEMS} {what}, not {len(value)}")


def _register_containers(conv: cattrs.Converter) -> None:
    """attrs classes, lists, mappings and tagged unions, each checking its JSON shape first."""

    def attrs_factory(cls: type) -> Callable[[Any, Any], Any]:
        generated: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=True
        )
        normalise = _NORMALISERS.get(cls)

        def hook(value: Any, type_: Any) -> Any:
            if not isinstance(value, dict):
                raise _Invalid(f"must be an object, not {_json_type(value)}")
            _check_size(value, "fields")
            if normalise is not None:
                value = normalise(value)
            return generated(value, type_)

        return hook

    conv.register_structure_hook_factory(attrs.has, attrs_factory)

    def list_factory(type_: Any) -> Callable[[Any, Any], Any]:
        generated = list_structure_factory(type_, conv)

        def hook(value: Any, t: Any) -> Any:
            if not isinstance(value, list):
                raise _Invalid(f"must be an array, not {_json_type(value)}")
            _check_size(value, "items")
            return generated(value, t)

        return hook

    conv.register_structure_hook_factory(
        lambda t: is_sequence(t) and getattr(t, "__origin__", None) is list, list_factory
    )

    def mapping_factory(type_: Any) -> Callable[[Any, Any], Any]:
        generated = mapping_structure_factory(type_, conv)
        key_type = (typing.get_args(type_) or (str,))[0]

        def hook(value: Any, t: Any) -> Any:
            if not isinstance(value, dict):
                raise _Invalid(f"must be an object, not {_json_type(value)}")
            _check_size(value, "entries")
            if key_type is str and not all(isinstance(k, str) for k in value):
                raise _Invalid("keys must be strings")
            return generated(value, t)

        return hook

    conv.register_structure_hook_factory(is_mapping, mapping_factory)

    def union_factory(type_: Any) -> Callable[[Any, Any], Any]:
        members = [m for m in typing.get_args(type_) if m is not type(None)]
        optional = len(members) < len(typing.get_args(type_))
        by_kind = {_kind_of(m): m for m in members}
        allowed = ", ".join(repr(k) for k in by_kind)

        def hook(value: Any, _: Any) -> Any:
            if value is None and optional:
                return None
            if not isinstance(value, dict):
                raise _Invalid(f"must be an object, not {_json_type(value)}")
            member = by_kind.get(value.get("kind"))
            if member is None:
                raise _Invalid(f"'kind' must be one of {allowed}")
            return conv.structure(value, member)

        return hook

    conv.register_structure_hook_factory(_is_tagged_union, union_factory)


def _structure_datetime(value: Any, _: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise _Invalid(f"must be an ISO 8601 date-time string, not {_json_type(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{value!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _unstructure_datetime(value: datetime) -> str:
    return format_time(value)


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second's microsecond."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


#: Marks the message of unknown fields, which `problems_of` splits into one problem per field.
_UNKNOWN_FIELDS = "\x00unknown-fields:"
#: Marks the message of an attrs validator about one field, which `problems_of` reports at
#: the field's path. Validators raise `ValueError("<field>: <problem>")` (the convention of
#: every settings class; see docs/drivers.md): attrs runs them once the object is built,
#: so cattrs alone would report them at the object's path.
_FIELD = "\x00field:"
_FIELD_MESSAGE = re.compile(r"([a-z_][a-z0-9_]*): (.+)", re.DOTALL)
#: The messages of attrs' own bound and length validators (`ge`, `min_len`...), which
#: name the field only in their text: `'<field>' must be >= 1: 0`, `Length of '<field>'
#: must be >= 1: 0`. (Its other validators pass the field itself as their second argument.)
_ATTRS_BOUND = re.compile(
    r"(Length of )?'([a-z_][a-z0-9_]*)' must be ([<>]=?) (.+): (.*)", re.DOTALL
)


def _field_problem(exc: BaseException) -> tuple[str, str] | None:
    """`(field, problem)` of an error one field's validator raised, or None: by the
    settings classes' convention (`<field>: <problem>`), or by attrs' own validators."""
    if type(exc) not in (ValueError, TypeError) or not exc.args:
        return None
    text = exc.args[0] if isinstance(exc.args[0], str) else ""
    if type(exc) is ValueError and (named := _FIELD_MESSAGE.fullmatch(str(exc))):
        return named.group(1), named.group(2)
    if len(exc.args) > 1 and isinstance(exc.args[1], attrs.Attribute):
        name = exc.args[1].name
        return name, text.removeprefix(f"'{name}' ")
    if bound := _ATTRS_BOUND.fullmatch(text):
        length, name, op, limit, value = bound.groups()
        subject = "its length must be" if length else "must be"
        return name, f"{subject} {op} {limit} (it is {value})"
    return None


def _format_exception(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, _Invalid):
        return str(exc)
    if isinstance(exc, ForbiddenExtraKeysError):
        known = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        return _UNKNOWN_FIELDS + json.dumps([sorted(exc.extra_fields), known])
    if isinstance(exc, KeyError):
        return "required field missing"
    if (field := _field_problem(exc)) is not None:
        return _FIELD + json.dumps(list(field))
    if isinstance(exc, ValueError | TypeError) and str(exc):
        return str(exc)
    name = getattr(type_, "__name__", None)
    return f"invalid value for {name}" if name else "invalid value"


def problems_of(exc: BaseException, path: str = "$") -> list[Problem]:
    """The validation problems inside a cattrs exception, each with its JSON path."""
    found: list[Problem] = []
    for line in cattrs.transform_error(exc, path=path, format_exception=_format_exception):
        message, _, where = line.rpartition(" @ ")
        if message.startswith(_UNKNOWN_FIELDS):
            # One problem per unknown field, at the field's own path.
            extra, known = json.loads(message[len(_UNKNOWN_FIELDS) :])
            allowed = f"; known fields: {', '.join(known)}" if known else ""
            found.extend(Problem(_child(where, name), f"unknown field{allowed}") for name in extra)
            continue
        if message.startswith(_FIELD):
            name, problem = json.loads(message[len(_FIELD) :])
            found.append(Problem(_child(where or path, name), problem))
            continue
        found.append(Problem(where or path, message or line))
    return found


def _child(path: str, name: str) -> str:
    """The JSON path of member `name` of the object at `path` (cattrs' spelling)."""
    return f"{path}.{name}" if name.isidentifier() else f"{path}[{name!r}]"


def structure(conv: cattrs.Converter, data: Any, cls: type[T], path: str = "$") -> T:
    """Structure `data` into `cls`, raising `InvalidInput` that lists every problem."""
    try:
        return conv.structure(data, cls)
    except (cattrs.BaseValidationError, _Invalid, ValueError, TypeError, KeyError) as exc:
        problems = problems_of(exc, path)
        _release(exc)
    raise InvalidInput(problems)


def _release(exc: BaseException) -> None:
    """Clear the frames of a validation error's tracebacks. cattrs collects the errors of
    an object in a list local to the frame that raises them, so each error's traceback
    leads back to a frame that holds it: a cycle, which keeps the frames' values (up to
    the whole request body) alive until the cycle collector runs, and a worker's memory
    grew by megabytes a rejected request (issue 17)."""
    pending = [exc]
    while pending:
        error = pending.pop()
        traceback.clear_frames(error.__traceback__)
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)


def unstructure(conv: cattrs.Converter, obj: Any) -> Any:
    """JSON-ready data of a model object (enums as values, times as ISO 8601)."""
    return conv.unstructure(obj)
