"""The document's OpenAPI links (`vertice_api/openapi/_links.py`).

Each creation's answer links to the operations on what it created, with the value that
names it; a link the document contradicts (an operation, status or parameter it does not
have, a path parameter left out) is refused when the document is built. That the links
lead somewhere real is `tests/abuse/test_stateful.py`'s part.
"""

from __future__ import annotations

from typing import Any

import pytest

from vertice_api.openapi import document
from vertice_api.openapi._links import Link, with_links

#: (creating operation, its status, operations it must link to, the parameter they take).
CREATIONS = [
    ("declareAssembly", "201", {"getAssembly", "patchAssembly", "deleteAssembly"}, "assembly_id"),
    ("createPlan", "201", {"getPlan", "replacePlan", "deletePlan"}, "name"),
    ("createProject", "201", {"getProject", "deleteProject", "inviteProjectMember"}, "name"),
    ("createSshKey", "201", {"getSshKey", "deleteSshKey"}, "name"),
    ("createUser", "201", {"getUser", "deleteUser"}, "name"),
    ("createToken", "201", {"getToken", "revokeToken"}, "token_id"),
    ("createRoute", "201", {"getRoute", "deleteRoute"}, "route_id"),
    ("createScaler", "201", {"getScaler", "changeScaler", "deleteScaler"}, "scaler_id"),
    ("createSnapshot", "202", {"getSnapshot", "deleteSnapshot"}, "snapshot_id"),
    ("requestBuild", "201", {"getBuild", "getBuildLog", "cancelBuild"}, "build_id"),
]


def _links_of(operation_id: str, status: str) -> dict[str, Any]:
    for item in document()["paths"].values():
        for method, operation in item.items():
            if method != "parameters" and operation["operationId"] == operation_id:
                return dict(operation["responses"][status].get("links", {}))
    raise AssertionError(f"no operation {operation_id}")


@pytest.mark.parametrize(("source", "status", "targets", "parameter"), CREATIONS)
def test_a_creation_links_to_what_acts_on_it(
    source: str, status: str, targets: set[str], parameter: str
) -> None:
    links = _links_of(source, status)
    assert targets <= set(links), sorted(targets - set(links))
    for target in targets:
        assert links[target]["operationId"] == target
        assert links[target]["parameters"][parameter].startswith("$response.body#/")


PATHS = {
    "/things/{id}": {
        "parameters": [{"name": "id", "in": "path", "required": True}],
        "get": {"operationId": "getThing", "responses": {"200": {}}},
    },
    "/things": {"post": {"operationId": "createThing", "responses": {"201": {}}}},
}


@pytest.mark.parametrize(
    ("link", "refusal"),
    [
        (Link("createThing", 201, "getWidget", {}), "no such operation"),
        (Link("createThing", 200, "getThing", {"id": "$response.body#/id"}), "no 200 answer"),
        (Link("createThing", 201, "getThing", {"id": "x", "size": "y"}), "unknown parameter"),
        (Link("createThing", 201, "getThing", {}), "not all given"),
        (Link("createThing", 201, "getThing", {"id": "x"}, {"a": "b"}), "takes no body"),
    ],
)
def test_a_link_the_document_contradicts_is_refused(link: Link, refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        with_links(PATHS, [link])
