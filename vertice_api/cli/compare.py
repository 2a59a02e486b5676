"""How a file's document compares with what the API holds, for `apply`, `apply --dry-run`
and `diff` alike: the item it names (`find`) and the fields it says otherwise
(`differences`). Only what the file names is compared; the API fills in defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from vertice_api.cli import kinds
from vertice_api.cli.assemblies import Directory, Document, NoSuchAssembly

if TYPE_CHECKING:
    from vertice_api.client import Client

#: The kinds whose items the API replaces whole (PUT to the item's URI).
REPLACEABLE = ("plans", "regions", "flavors")


def find(client: Client, directory: Directory, kind: kinds.Kind, ref: str,
         project: str | None) -> Document | None:  # fmt: skip
    """The item of `kind` named `ref` (in `project`), or None when there is none."""
    from vertice_api.client import ApiError

    if kind is kinds.ASSEMBLIES:
        try:
            return directory.find(ref, project)[0]
        except NoSuchAssembly:
            return None
    if kind.find is not None:  # routes and scalers: by a field of the listing
        return next((dict(i) for i in client.items(kind.collection) if i.get(kind.key) == ref),
                    None)  # fmt: skip
    try:
        found: Document = client.get(kind.item.format(ref=quote(ref, safe="")),
                                     **kind.params(kinds.Query(project)))  # fmt: skip
    except ApiError as exc:
        if exc.status != 404:
            raise
        return None
    return found


def differences(kind: kinds.Kind, current: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """The fields the file says otherwise than the API holds. Only what the file names is
    compared (the API fills in defaults). A region's credentials are never read back, so
    they cannot be compared: a file that gives them always sends them (a rotated secret
    is applied, never reported `unchanged`)."""
    if kind.name == "plans":
        body = {k: v for k, v in as_stored_plan(body).items() if k in current}
    unreadable = {"credentials"} if kind.name == "regions" else set()
    return [k for k, v in body.items() if k in unreadable or not covers(current.get(k), v)]


def as_stored_plan(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """A plan file as the API stores it (its other spellings, such as tags as a `"[a, b]"`
    string, made the API's; defaults filled in), read with the API's own converter; the
    file as it is when the API would refuse it (its PUT then says why)."""
    from vertice_core.convert import make_converter, structure, unstructure
    from vertice_core.errors import InvalidInput
    from vertice_core.model.camp import Plan

    converter = make_converter()
    given = dict(body)
    if isinstance(given.get("camp_version"), float):  # YAML reads `1.2` as a number
        given["camp_version"] = str(given["camp_version"])
    try:
        stored: Mapping[str, Any] = unstructure(converter, structure(converter, given, Plan))
    except InvalidInput:
        return body
    return stored


def covers(stored: Any, declared: Any) -> bool:
    """Whether `stored` says what `declared` says: objects on the keys declared, lists item
    by item."""
    if isinstance(declared, Mapping):
        return isinstance(stored, Mapping) and all(
            covers(stored.get(k), v) for k, v in declared.items()
        )
    if isinstance(declared, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(declared)
            and all(covers(s, d) for s, d in zip(stored, declared, strict=True))
        )
    return bool(stored == declared)
