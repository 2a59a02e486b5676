"""The document's OpenAPI `links`: which answer names the resource another operation takes.

A link says, for a success answer of one operation, how to fill in another's parameters
(or part of its body) from that answer: the 201 of `declareAssembly` gives the `id` that
`getAssembly` takes as `assembly_id`. Clients may follow them, and schemathesis' stateful
run (`tests/abuse/test_stateful.py`) chains real resources with them. They are all in the
one table `LINKS`; `with_links` adds them to the built paths, and refuses a link whose
operations, status or parameters the document does not have, so the table cannot rot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from vertice_api.openapi._build import Json

ID = "$response.body#/id"
NAME = "$response.body#/name"
#: An item resource's values taken into a body: the assembly's (or key's) name and project.
IN_PROJECT = {"project": "$response.body#/project"}


class Link(NamedTuple):
    """The `status` answer of operation `source` gives `target` its `parameters` (by name)
    and the `body` fields to merge into its request body."""

    source: str
    status: int
    target: str
    parameters: Mapping[str, str]
    body: Json | None = None


def _each(source: str, status: int, targets: Iterable[str], **parameters: str) -> list[Link]:
    """The same parameters from one answer, for each of `targets`."""
    return [Link(source, status, target, parameters) for target in targets]


#: What follows an assembly's creation: its item routes (webhook and rollback included).
ASSEMBLY_ITEM = ("getAssembly", "listEvents", "getAssemblyPlan", "deleteAssembly",
                 "rollbackAssembly", "putWebhook", "getWebhook", "deleteWebhook",
                 "createSnapshot", "listAssemblySnapshots")  # fmt: skip
#: What follows a build's creation (or a rollback's).
BUILD_ITEM = ("getBuild", "getBuildLog", "cancelBuild")
#: What follows a project's creation.
PROJECT_ITEM = ("getProject", "deleteProject", "inviteProjectMember")
#: What an invitation addressed to the caller (the first one listed) can be given to.
INVITATION_ITEM = ("getInvitation", "acceptInvitation", "deleteInvitation")
FIRST_ITEM = "$response.body#/items/0/name"
ETAG = "$response.header.ETag"
SSH_KEY_CREDENTIAL = {"credential": {"kind": "ssh_key", "name": NAME}, **IN_PROJECT}
AN_INVITED_USER = {"name": NAME, "user": "$request.body#/user"}


def _links() -> list[Link]:
    return [
        *_each("createPlan", 201, ("getPlan", "replacePlan", "deletePlan"), name=NAME),
        Link("createPlan", 201, "declareAssembly", {}, {"plan_uri": "$response.body#/uri"}),
        *_each("listPlans", 200, ("getPlan",), name=FIRST_ITEM),
        Link("listPlans", 200, "declareAssembly", {}, {"plan_uri": "$response.body#/items/0/uri"}),
        *_each("declareAssembly", 201, ASSEMBLY_ITEM, assembly_id=ID),
        Link("declareAssembly", 201, "patchAssembly", {"assembly_id": ID, "If-Match": ETAG}),
        Link("declareAssembly", 201, "getComponent", {"component_id": "{$response.body#/id}.0"}),
        *(
            Link("declareAssembly", 201, target, {}, {"assembly": NAME, **IN_PROJECT})
            for target in ("createRoute", "createScaler", "requestBuild")
        ),
        Link("declareAssembly", 201, "listBuilds", {"assembly": NAME, **IN_PROJECT}),
        *_each("patchAssembly", 200, ("getAssembly", "deleteAssembly"), assembly_id=ID),
        *_each("createRegion", 201, ("getRegion", "replaceRegion", "deleteRegion"), name=NAME),
        *_each("createFlavor", 201, ("getFlavor", "replaceFlavor", "deleteFlavor"), name=NAME),
        *_each("createRoute", 201, ("getRoute", "deleteRoute"), route_id=ID),
        *_each("createScaler", 201, ("getScaler", "changeScaler", "deleteScaler"), scaler_id=ID),
        *_each("createSnapshot", 202, ("getSnapshot", "deleteSnapshot"), snapshot_id=ID),
        *_each("requestBuild", 201, BUILD_ITEM, build_id=ID),
        *_each("rollbackAssembly", 200, BUILD_ITEM, build_id=ID),
        *_each("putWebhook", 201, ("deliverPush",), hook_id=ID),
        *_each("createSshKey", 201, ("getSshKey", "deleteSshKey"), name=NAME, **IN_PROJECT),
        Link("createSshKey", 201, "declareAssembly", {}, SSH_KEY_CREDENTIAL),
        *_each("createProject", 201, PROJECT_ITEM, name=NAME),
        Link("createProject", 201, "createSshKey", {}, {"project": NAME}),
        *_each("createProject", 201, ("getBalance", "addCredit", "getUsage"), project=NAME),
        Link("inviteProjectMember", 202, "removeProjectMember", AN_INVITED_USER),
        *_each("listInvitations", 200, INVITATION_ITEM, invitation_id=FIRST_ITEM),
        *_each("createUser", 201, ("getUser", "deleteUser"), name=NAME),
        *_each("createUser", 201, ("listTokens",), user=NAME),
        Link("createUser", 201, "createToken", {}, {"user": NAME}),
        *_each("createToken", 201, ("getToken", "revokeToken"), token_id=ID),
    ]


#: Every link of the document.
LINKS = _links()


def with_links(paths: dict[str, Json], links: Iterable[Link] = LINKS) -> dict[str, Json]:
    """`paths` with each link added to its source's answer, named after its target.

    A link the document contradicts is a ValueError (see `_check`): the document would
    mislead its clients.
    """
    operations = {
        operation["operationId"]: (item, operation)
        for item in paths.values()
        for method, operation in item.items()
        if method != "parameters"
    }
    for link in links:
        _check(link, operations)
        answers = operations[link.source][1]["responses"]
        answer = answers[str(link.status)] = dict(answers[str(link.status)])
        definition: dict[str, Any] = {"operationId": link.target}
        if link.parameters:
            definition["parameters"] = dict(link.parameters)
        if link.body is not None:
            definition["requestBody"] = link.body
        answer["links"] = {**answer.get("links", {}), link.target: definition}
    return paths


def _check(link: Link, operations: Mapping[str, tuple[Json, Json]]) -> None:
    """Refuse a link whose operations or source status the document does not have, that
    names a parameter its target does not take (shared ones are named by their key), that
    leaves one of its target's path parameters out (its target's URL would be made up), or
    that gives a body to a target that takes none."""
    what = f"link {link.source} -> {link.target}"
    if link.source not in operations or link.target not in operations:
        raise ValueError(f"{what}: no such operation")
    if str(link.status) not in operations[link.source][1]["responses"]:
        raise ValueError(f"{what}: no {link.status} answer")
    item, target = operations[link.target]
    parameters = item.get("parameters", []) + target.get("parameters", [])
    known = {p.get("name", p.get("$ref", "").rsplit("/", 1)[-1]) for p in parameters}
    in_path = {p["name"] for p in parameters if p.get("in") == "path"}
    if not set(link.parameters) <= known:
        raise ValueError(f"{what}: unknown parameter")
    if not in_path <= set(link.parameters):
        raise ValueError(f"{what}: path parameters {sorted(in_path)} not all given")
    if link.body is not None and "requestBody" not in target:
        raise ValueError(f"{what}: the target takes no body")
