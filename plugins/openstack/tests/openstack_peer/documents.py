"""The recorded OpenStack API samples, as templates of every document the peer serves.

The samples are the projects' own (`tests/fixtures/`, see SOURCES.md there):
Keystone's version documents, its project-scoped token with a full catalog and
the headers of a token reply; Nova's version documents, a server at 2.100 (the
SDK's highest), a listing with `servers_links`, the create reply, the flavors
at 2.61, key pairs at 2.10, the action bodies, a server's metadata (the
request and reply of `POST /servers/{id}/metadata`), and the faults page of its API
guide (the synchronous fault `{"itemNotFound": {"code", "message"}}` and the
`fault` of a server in ERROR); Glance's version list and image listing.

Each template is read once and copied for every use: the peer loads the
sample and fills in its values (ids, names, states, URLs), never inventing a
shape a sample shows. Keystone's 401 body, which no sample shows, is written in
Keystone's documented shape (`error_body`). So are the server actions `suspend` and
`resume`, which no recorded sample shows: their bodies are the compute API
reference's (`DOCUMENTED_ACTIONS`).
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: The recorded samples (see SOURCES.md beside them).
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

SAMPLES = {
    "identity_versions": "keystone_identity-versions-response.json",
    "identity_version": "keystone_identity-version-response.json",
    "token": "keystone_auth-password-project-scoped-response.json",
    "token_request": "keystone_project-name-password.json",
    "compute_versions": "nova_versions-get-resp.json",
    "compute_version": "nova_v21-version-get-resp.json",
    "servers_detail": "nova_v2.100_servers-details-resp.json",
    "server": "nova_v2.100_server-get-resp.json",
    "server_created": "nova_server-create-resp.json",
    "server_create_request": "nova_v2.100_server-create-req.json",
    "flavors": "nova_v2.61_flavors-detail-resp.json",
    "keypair": "nova_v2.10_keypairs-get-resp.json",
    "keypair_imported": "nova_v2.10_keypairs-import-post-resp.json",
    "keypair_import_request": "nova_v2.10_keypairs-import-post-req.json",
    "metadata_request": "nova_server-metadata-all-req.json",
    "metadata": "nova_server-metadata-all-resp.json",
    "start": "nova_server-action-start.json",
    "stop": "nova_server-action-stop.json",
    "reboot": "nova_server-action-reboot.json",
    "resize": "nova_server-action-resize.json",
    "confirm_resize": "nova_server-action-confirm-resize.json",
    "create_image": "nova_server-action-create-image.json",
    "image_created": "nova_v2.45_server-action-create-image-resp.json",
    "image": "glance_image-show-response.json",
    "image_versions": "glance_image-versions-response.json",
    "images": "glance_images-list-response.json",
}
TOKEN_HEADERS = "keystone_auth-password-user-name-unscoped-response-HTTP.txt"
FAULTS = "nova_faults.rst"
#: Server actions no recorded sample shows, as the compute API reference documents their
#: bodies (`servers-actions.inc`: `{"suspend": null}`, `{"resume": null}`): action -> verb.
DOCUMENTED_ACTIONS = {"suspend": "suspend", "resume": "resume"}

#: Nova's fault root element for each status it answers with (`nova/api/openstack/wsgi.py`).
FAULT_ROOTS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    429: "overLimit",
    500: "computeFault",
    501: "notImplemented",
    503: "serviceUnavailable",
}


def _object_after(text: str, marker: str) -> Any:
    """The JSON object of `text` that opens at the first `{` after `marker` (balanced)."""
    at = text.index("{", text.index(marker) + len(marker))
    depth = 0
    for end in range(at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            return json.loads(text[at : end + 1])
    raise ValueError(f"no balanced object after {marker!r}")


class Recorded:
    """The recorded samples under a fixtures folder, parsed once, copied for every use."""

    def __init__(self, fixtures: Path = FIXTURES) -> None:
        self.fixtures = fixtures
        self._docs = {
            name: json.loads((fixtures / file).read_text()) for name, file in SAMPLES.items()
        }
        faults = (fixtures / FAULTS).read_text()
        #: `{"itemNotFound": {"code": 404, "message": ...}}` (Synchronous Faults).
        self._sync_fault = _object_after(faults, "Example: Fault: JSON response")
        #: `{"created", "message", "code"}` of a server in ERROR (Instance Faults).
        self._instance_fault = _object_after(faults, '"fault":')
        headers = (fixtures / TOKEN_HEADERS).read_text().splitlines()[1:]
        #: The token reply's headers, by lower-case name, as recorded.
        self.token_headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in headers)
            if value
        }

    def __call__(self, name: str) -> Any:
        """A fresh copy of the sample `name` (a key of SAMPLES)."""
        return copy.deepcopy(self._docs[name])

    def fault_body(self, status: int, message: str) -> dict[str, Any]:
        """Nova's synchronous fault for `status`: the recorded one, its root and values set."""
        ((_, recorded),) = copy.deepcopy(self._sync_fault).items()
        recorded.update(code=status, message=message)
        return {FAULT_ROOTS.get(status, "computeFault"): recorded}

    def instance_fault(self, code: int, message: str, created: str) -> dict[str, Any]:
        """The `fault` of a server in ERROR: the recorded one with these values."""
        fault: dict[str, Any] = copy.deepcopy(self._instance_fault)
        fault.update(code=code, message=message, created=created)
        return fault


def error_body(status: int, title: str, message: str) -> dict[str, Any]:
    """Keystone's (and keystonemiddleware's) error document; no sample shows one."""
    return {"error": {"code": status, "title": title, "message": message}}


def rebase(href: str, base: str) -> str:
    """`href` with its scheme and host replaced by `base` (its path and query kept).

    A sample's `http://openstack.example.com/v2.1/` becomes `<base>/v2.1/`.
    """
    parts = urlsplit(href)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return base.rstrip("/") + tail


def _relinked(links: Iterable[Mapping[str, Any]], base: str) -> list[dict[str, Any]]:
    """Links whose `self` and `bookmark` hrefs point at `base` (others kept as recorded)."""
    return [
        {**link, "href": rebase(str(link["href"]), base)}
        if link.get("rel") in ("self", "bookmark")
        else dict(link)
        for link in links
    ]


# -- Keystone --


def identity_versions(recorded: Recorded, identity: str) -> Any:
    """The version list at Keystone's root, pointing at `identity` (the peer's Keystone)."""
    doc = recorded("identity_versions")
    for version in doc["versions"]["values"]:
        version["links"] = [
            {**link, "href": f"{identity}/{link['href'].rstrip('/').rsplit('/', 1)[1]}/"}
            if link.get("rel") == "self"
            else link
            for link in version["links"]
        ]
    return doc


def identity_version(recorded: Recorded, identity: str) -> Any:
    """The v3 version document, pointing at `identity`."""
    doc = recorded("identity_version")
    doc["version"]["links"] = [
        {**link, "href": f"{identity}/v3/"} if link.get("rel") == "self" else link
        for link in doc["version"]["links"]
    ]
    return doc


def catalog(
    recorded: Recorded,
    root: str,
    project_id: str,
    regions: Iterable[str],
) -> list[dict[str, Any]]:
    """The recorded catalog, for each of `regions`, every URL pointing at the peer.

    A recorded endpoint `http://23.253.248.171:8774/v2.1/<project>` of region RegionOne,
    interface public, becomes `<root>/RegionOne/public/compute/v2.1/<project id>`: the
    peer tells region, interface and service from the path's first three parts.
    """
    token = recorded("token")["token"]
    recorded_project = token["project"]["id"]
    services = []
    for service in token["catalog"]:
        endpoints = []
        for region in regions:
            for endpoint in service["endpoints"]:
                path = urlsplit(endpoint["url"]).path.replace(recorded_project, project_id)
                prefix = f"{root}/{region}/{endpoint['interface']}/{service['type']}"
                endpoints.append(
                    {
                        **endpoint,
                        "id": endpoint["id"]
                        if region == endpoint["region"]
                        else uuid.uuid5(uuid.NAMESPACE_URL, prefix).hex,
                        "region": region,
                        "region_id": region,
                        "url": prefix + path.rstrip("/"),
                    }
                )
        services.append({**service, "endpoints": endpoints})
    return services


def token(
    recorded: Recorded,
    *,
    methods: list[str],
    user: Mapping[str, Any],
    project: Mapping[str, Any],
    services: list[dict[str, Any]],
    issued_at: str,
    expires_at: str,
) -> Any:
    """The body of a project-scoped token: the recorded one with these values."""
    doc = recorded("token")
    body = doc["token"]
    body.update(
        methods=methods,
        issued_at=issued_at,
        expires_at=expires_at,
        audit_ids=[uuid.uuid4().hex[:22]],
        catalog=services,
    )
    body["user"].update(user)
    body["project"].update(project)
    body["roles"] = [{**role, "name": "member"} for role in body["roles"]]
    return doc


# -- Nova --


def compute_versions(recorded: Recorded, base: str) -> Any:
    """Nova's version list at its root (`base`)."""
    doc = recorded("compute_versions")
    for version in doc["versions"]:
        version["links"] = _relinked(version["links"], base)
    return doc


def compute_version(recorded: Recorded, base: str) -> Any:
    """Nova's v2.1 version document (microversions 2.1 to 2.104)."""
    doc = recorded("compute_version")
    doc["version"]["links"] = _relinked(doc["version"]["links"], base)
    return doc


def flavors(recorded: Recorded, base: str) -> list[dict[str, Any]]:
    """Nova's flavors (the recorded ones at 2.61), their links pointing at `base`."""
    items: list[dict[str, Any]] = recorded("flavors")["flavors"]
    for item in items:
        item["links"] = _relinked(item["links"], base)
    return items


def server_document(
    recorded: Recorded,
    base: str,
    *,
    values: Mapping[str, Any],
    flavor: Mapping[str, Any],
    image_id: str,
    addresses: Mapping[str, list[dict[str, Any]]],
    fault: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A server as `GET /servers/{id}` shows it at 2.100: the recorded one with `values`
    (top-level keys of the sample), its embedded flavor, image, addresses and fault."""
    doc: dict[str, Any] = recorded("server")["server"]
    unknown = set(values) - set(doc)
    if unknown:
        raise KeyError(f"not keys of the recorded server: {sorted(unknown)}")
    doc.update(values)
    project = str(values.get("tenant_id", doc["tenant_id"]))
    doc["links"] = [
        {"rel": "self", "href": f"{base}/v2.1/{project}/servers/{doc['id']}"},
        {"rel": "bookmark", "href": f"{base}/{project}/servers/{doc['id']}"},
    ]
    embedded = doc["flavor"]
    embedded.update(
        disk=flavor["disk"],
        ephemeral=flavor.get("OS-FLV-EXT-DATA:ephemeral", 0),
        extra_specs=dict(flavor.get("extra_specs") or {}),
        original_name=flavor["name"],
        ram=flavor["ram"],
        swap=flavor["swap"] or 0,
        vcpus=flavor["vcpus"],
    )
    image = doc["image"]
    image["id"] = image_id
    image["links"] = [{"rel": "bookmark", "href": f"{base}/{project}/images/{image_id}"}]
    image["properties"] = {}
    (recorded_address,) = next(iter(recorded("server")["server"]["addresses"].values()))
    doc["addresses"] = {
        network: [{**recorded_address, **address} for address in items]
        for network, items in addresses.items()
    }
    if fault is not None:
        doc["fault"] = dict(fault)
    return doc


def listed_server(recorded: Recorded, shown: Mapping[str, Any]) -> dict[str, Any]:
    """A server as `GET /servers/detail` lists it: as shown, less what only a show has (the
    recorded listing's server has no `server_groups`)."""
    (listed,) = recorded("servers_detail")["servers"]
    return {k: v for k, v in shown.items() if k in listed or k == "fault"}


def servers_page(
    recorded: Recorded, servers: list[dict[str, Any]], next_href: str | None
) -> dict[str, Any]:
    """A page of `GET /servers/detail`: the recorded listing with these servers, and its
    `servers_links` next link when there is one (Nova gives one for every full page)."""
    doc: dict[str, Any] = recorded("servers_detail")
    doc["servers"] = servers
    if next_href is None:
        doc.pop("servers_links", None)
    else:
        (link,) = doc["servers_links"]
        doc["servers_links"] = [{**link, "href": next_href}]
    return doc


def server_created(
    recorded: Recorded, base: str, *, server_id: str, project_id: str, admin_pass: str,
    security_groups: list[str],
) -> dict[str, Any]:  # fmt: skip
    """The 202 reply to `POST /servers`: the recorded one with this server's values."""
    doc: dict[str, Any] = recorded("server_created")
    body = doc["server"]
    body.update(id=server_id, adminPass=admin_pass)
    body["links"] = [
        {"rel": "self", "href": f"{base}/v2.1/{project_id}/servers/{server_id}"},
        {"rel": "bookmark", "href": f"{base}/{project_id}/servers/{server_id}"},
    ]
    body["security_groups"] = [{"name": name} for name in security_groups]
    return doc


def metadata_items(recorded: Recorded, body: Any) -> dict[str, str] | None:
    """The items of a `POST /servers/{id}/metadata` body shaped like the recorded request
    (`{"metadata": {name: text}}`), or None when it is not."""
    (root,) = recorded("metadata_request")
    items = body.get(root) if isinstance(body, dict) and set(body) == {root} else None
    if not isinstance(items, dict) or not all(isinstance(v, str) for v in items.values()):
        return None
    return dict(items)


def metadata_reply(recorded: Recorded, metadata: Mapping[str, str]) -> dict[str, Any]:
    """The 200 reply to `POST /servers/{id}/metadata`: the recorded one holding the
    server's whole metadata (Nova answers with all of it, not only what was sent)."""
    doc: dict[str, Any] = recorded("metadata")
    (root,) = doc
    doc[root] = dict(metadata)
    return doc


def keypair(recorded: Recorded, *, imported: bool, values: Mapping[str, Any]) -> Any:
    """A key pair as `GET /os-keypairs/{name}` (or the import's reply) shows it at 2.10."""
    doc = recorded("keypair_imported" if imported else "keypair")
    kept = {k: v for k, v in values.items() if k in doc["keypair"]}
    doc["keypair"].update(kept)
    return doc


def action_names(recorded: Recorded) -> dict[str, str]:
    """The server actions of the recorded action bodies (`{"os-start": "start", ...}`),
    then the documented ones no sample shows (`DOCUMENTED_ACTIONS`)."""
    names = {}
    for sample in ("start", "stop", "reboot", "resize", "confirm_resize", "create_image"):
        ((action, _),) = recorded(sample).items()
        names[action] = sample
    return {**names, **DOCUMENTED_ACTIONS}


# -- Glance --


def image_versions(recorded: Recorded, base: str) -> Any:
    """Glance's version list at its root (`base`)."""
    doc = recorded("image_versions")
    for version in doc["versions"]:
        version["links"] = [
            {**link, "href": rebase(str(link["href"]), base)} for link in version["links"]
        ]
    return doc


def images(recorded: Recorded) -> list[dict[str, Any]]:
    """Glance's images (the recorded ones)."""
    items: list[dict[str, Any]] = recorded("images")["images"]
    return items


def images_page(
    recorded: Recorded, items: list[dict[str, Any]], next_href: str | None
) -> dict[str, Any]:
    """A page of `GET /v2/images`: the recorded listing with these images, `next` if any."""
    doc: dict[str, Any] = recorded("images")
    doc["images"] = items
    if next_href is not None:
        doc["next"] = next_href
    return doc
