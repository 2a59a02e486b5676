"""The HTTP server: Keystone v3, Nova (compute v2.1) and Glance (image v2) on one port.

Paths:

* `/identity` (Keystone's root: 300 and the version list), `/identity/v3`,
  `POST /identity/v3/auth/tokens` (password or application credential; 201 with the
  token in `X-Subject-Token` and a catalog pointing back at the peer);
* `/<region>/<interface>/compute[/v2.1[/<project>]]/...`: version discovery, servers
  (`detail` listing with `limit`, `marker`, `name`, `changes-since` and `servers_links`
  next links; show, create, `action`, metadata (`POST`: merge), delete), flavors, key
  pairs;
* `/<region>/<interface>/image[/v2/images]`: version discovery, images (`name`,
  `visibility`, `limit`, `marker`, `next`), and one image (show, delete:
  `day2`, with Nova's resize, confirmResize and createImage).

The catalog names two regions (RegionOne, RegionTwo) and the three interfaces of the
recorded catalog, each its own path prefix: every call is recorded with the region and
interface it was sent to (they share one project's servers). Nova and Glance calls need a
token Keystone issued and has not revoked (else keystonemiddleware's 401).

Tests make calls fail (`fail`): a Nova fault, a Keystone 401, a server error, a slow
reply (the call still takes effect; `clear()` lets it go), a dropped connection; and
take the whole server down and up again on the same port (`stop`, `start`).
"""

from __future__ import annotations

import http.server
import json
import re
import secrets
import socket
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from typing import Any

import attrs

from openstack_peer import day2, documents
from openstack_peer.cloud import NETWORK_NAME, Cloud, NovaError, Server, iso
from openstack_peer.documents import Recorded

#: The identities Keystone knows.
USERNAME, PASSWORD = "vertice", "peer-Passw0rd-7c1e"
USER_ID = "ee4dfb6e5540447cb3741905149d9b6e"
DOMAIN_ID, DOMAIN_NAME = "default", "Default"
PROJECT_NAME, PROJECT_ID = "vertice-tests", "a6944d763bf64ee6a275f1263fae0352"
APP_CRED_ID, APP_CRED_SECRET = "4b2c5a35c6f64a3d8e4f1c7a0d9e8b21", "peer-app-secret-93b1"
REGIONS = ("RegionOne", "RegionTwo")
#: Nova's largest page (`[api] max_limit`).
MAX_LIMIT = 1000
#: The microversion the peer answers with (the newest the recorded server document shows).
MICROVERSION = "2.100"
_COMPUTE = re.compile(r"/v2\.1(?:/(?P<project>[0-9a-f]{32}))?(?P<rest>/.*)?")


@attrs.define
class Fault:
    """How the peer misbehaves on one action."""

    #: An HTTP status to answer with (0: answer normally); its body is Nova's fault (or
    #: Keystone's error for `identity.*`) with `message`.
    status: int = 0
    message: str = ""
    retry_after: int | None = None
    #: Seconds to hold the reply back; the call takes effect first.
    delay: float = 0.0
    #: Close the connection without an answer (the call does not take effect).
    drop: bool = False
    #: How many calls it applies to (None: all of them).
    times: int | None = None


@attrs.frozen
class Call:
    """One request the peer received."""

    action: str
    target: str
    region: str
    interface: str
    query: dict[str, list[str]]
    body: Any
    at: float
    fate: str


class OpenStackPeer:
    """Keystone, Nova and Glance for one project, on a free port of 127.0.0.1."""

    def __init__(self, recorded: Recorded | None = None) -> None:
        self.recorded = recorded or Recorded()
        self.cloud: Cloud = day2.OperatedCloud(
            flavors=[],
            images=documents.images(self.recorded),
            recorded=self.recorded,
            project_id=PROJECT_ID,
            user_id=USER_ID,
        )
        self.actions = documents.action_names(self.recorded)
        self.faults: dict[str, Fault] = {}
        self.calls: list[Call] = []
        #: Issued tokens: token -> (expiry, wall clock).
        self.tokens: dict[str, float] = {}
        self.password = PASSWORD
        self.app_secret = APP_CRED_SECRET
        #: Seconds a token lives.
        self.token_life = 3600.0
        self.lock = threading.Lock()
        self._release = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self.port = 0

    # -- life --

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self) -> str:
        """Keystone's root (the operator's `auth_url`; version discovery finds v3)."""
        return f"{self.url}/identity"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Listen (again) on the peer's port (a free one the first time)."""
        handler = type("Handler", (_Handler,), {"peer": self})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler, False)
        server.allow_reuse_address = True
        server.daemon_threads = True
        # The driver's pool opens `max_connections` at once; the contract runs 256 calls.
        server.request_queue_size = 256
        server.server_bind()
        server.server_activate()
        self._server = server
        self.port = server.server_address[1]
        if not self.cloud.flavors:
            self.cloud.flavors = documents.flavors(self.recorded, self.compute_base())
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening: calls now fail to connect, as to an endpoint that is down."""
        self._let_go()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        """No servers, key pairs, faults or calls; default timings and identities (tokens
        issued stay valid: drivers of a wider scope keep theirs)."""
        self.cloud.reset()
        with self.lock:
            self.faults.clear()
            self.calls.clear()
            self.password, self.app_secret, self.token_life = PASSWORD, APP_CRED_SECRET, 3600.0

    def clear(self) -> None:
        """Answer normally again, and let held replies go now."""
        with self.lock:
            self.faults.clear()
        self._let_go()

    def _let_go(self) -> None:
        with self.lock:
            self._release.set()
            self._release = threading.Event()

    # -- what tests do --

    def fail(self, action: str, **how: Any) -> None:
        """Make `action` (or "*": every action) misbehave (see `Fault`). Actions:
        identity.discover, identity.token, compute.discover, servers.list, servers.get,
        servers.create, servers.action, servers.delete, flavors.list, keypairs.get,
        keypairs.create, image.discover, images.list, images.get, images.delete."""
        with self.lock:
            self.faults[action] = Fault(**how)

    def revoke_tokens(self) -> None:
        """Forget every token (as a Keystone whose tokens were revoked)."""
        with self.lock:
            self.tokens.clear()

    def called(self, action: str, fate: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.action == action and fate in (None, c.fate)]

    def count(self, action: str, fate: str | None = "ok") -> int:
        return len(self.called(action, fate))

    def times(self, action: str) -> list[float]:
        return [c.at for c in self.called(action, None)]

    def compute_base(self, region: str = REGIONS[0], interface: str = "public") -> str:
        return f"{self.url}/{region}/{interface}/compute"

    def launch_data(self, server_id: str) -> str:
        """The user data a server was created with, decoded (Nova shows it to admins only)."""
        with self.cloud.lock:
            return self.cloud.servers[server_id].user_data

    def with_metadata(self, **wanted: str) -> list[Server]:
        """The live servers whose metadata holds `wanted` (underscores for hyphens in keys)."""
        want = {k.replace("_", "-"): v for k, v in wanted.items()}
        return [
            s for s in self.cloud.live() if all(s.metadata.get(k) == v for k, v in want.items())
        ]

    # -- what the handler calls --

    def _take(self, action: str) -> Fault | None:
        with self.lock:
            name = action if action in self.faults else "*" if "*" in self.faults else None
            if name is None:
                return None
            fault = self.faults[name]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[name]
            return fault

    def _record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def _hold(self, seconds: float) -> None:
        with self.lock:
            release = self._release
        release.wait(seconds)

    def _token_valid(self, token: str | None) -> bool:
        with self.lock:
            return token is not None and self.tokens.get(token, 0.0) > time.time()

    def _issue(self) -> tuple[str, float]:
        token = "gAAAAA" + secrets.token_urlsafe(48)
        expires = time.time() + self.token_life
        with self.lock:
            self.tokens[token] = expires
        return token, expires


class _Handler(http.server.BaseHTTPRequestHandler):
    peer: OpenStackPeer
    server_version = "openstack-peer"

    def log_message(self, *_args: Any) -> None:
        pass

    # -- plumbing --

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        parts = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, self.peer.recorded.fault_body(400, "Malformed request body"))
            return
        route = self._route(method, parts.path)
        if route is None:
            self._send(404, self.peer.recorded.fault_body(404, "The resource could not be found."))
            return
        action, target, region, interface, serve = route
        fault = self.peer._take(action)
        fate = "ok"
        if fault is not None and fault.drop:
            self.peer._record(
                Call(action, target, region, interface, query, body, time.monotonic(), "drop")
            )
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        arrived = time.monotonic()
        if fault is not None and fault.status:
            fate = str(fault.status)
            if action.startswith("identity."):
                reply: tuple[int, Any, dict[str, str]] = (
                    fault.status,
                    documents.error_body(fault.status, "Error", fault.message),
                    {},
                )
            else:
                reply = (
                    fault.status,
                    self.peer.recorded.fault_body(fault.status, fault.message),
                    {},
                )
            if fault.retry_after is not None:
                reply[2]["Retry-After"] = str(fault.retry_after)
        else:
            try:
                if not action.startswith("identity.") and not action.endswith(".discover"):
                    self._authorized()
                reply = serve(query, body)
            except NovaError as error:
                fate = str(error.status)
                headers = (
                    {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}
                )
                if action.startswith("identity.") or error.status == 401:
                    reply = (
                        error.status,
                        documents.error_body(error.status, "Unauthorized", error.message),
                        headers,
                    )
                else:
                    reply = (
                        error.status,
                        self.peer.recorded.fault_body(error.status, error.message),
                        headers,
                    )
        self.peer._record(Call(action, target, region, interface, query, body, arrived, fate))
        if fault is not None and fault.delay:
            self.peer._hold(fault.delay)
        self._send(*reply)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("x-openstack-request-id", f"req-{uuid.uuid4()}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (a read timeout): nothing to answer

    def _authorized(self) -> None:
        if not self.peer._token_valid(self.headers.get("X-Auth-Token")):
            raise NovaError(401, "The request you have made requires authentication.")

    # -- routing --

    def _route(self, method: str, path: str) -> tuple[str, str, str, str, Any] | None:
        path = path.rstrip("/")
        if path == "/identity" and method == "GET":
            return "identity.discover", "", "", "", self._identity_versions
        if path == "/identity/v3" and method == "GET":
            return "identity.discover", "v3", "", "", self._identity_version
        if path == "/identity/v3/auth/tokens" and method == "POST":
            return "identity.token", "", "", "", self._token
        found = re.fullmatch(
            r"/(?P<region>[^/]+)/(?P<interface>[^/]+)/(?P<service>[^/]+)(?P<rest>/.*)?", path
        )
        if found is None or found["region"] not in REGIONS:
            return None
        region, interface, rest = found["region"], found["interface"], found["rest"] or ""
        base = f"{self.peer.url}/{region}/{interface}/{found['service']}"
        if found["service"] == "compute":
            return self._compute_route(method, rest, base, region, interface)
        if found["service"] == "image":
            return self._image_route(method, rest, base, region, interface)
        return None

    def _compute_route(
        self, method: str, rest: str, base: str, region: str, interface: str
    ) -> tuple[str, str, str, str, Any] | None:
        recorded = self.peer.recorded
        if rest == "" and method == "GET":
            return (
                "compute.discover",
                "",
                region,
                interface,
                lambda q, b: (200, documents.compute_versions(recorded, base), {}),
            )
        match = _COMPUTE.fullmatch(rest)
        if match is None:
            return None
        tail = match["rest"] or ""
        if tail == "" and method == "GET":
            return (
                "compute.discover",
                "v2.1",
                region,
                interface,
                lambda q, b: (200, documents.compute_version(recorded, base), {}),
            )
        routes: list[tuple[str, str, str]] = [
            ("GET", r"/servers/detail", "servers.list"),
            ("POST", r"/servers", "servers.create"),
            ("GET", r"/servers/(?P<id>[^/]+)", "servers.get"),
            ("POST", r"/servers/(?P<id>[^/]+)/action", "servers.action"),
            ("POST", r"/servers/(?P<id>[^/]+)/metadata", "servers.metadata"),
            ("DELETE", r"/servers/(?P<id>[^/]+)", "servers.delete"),
            ("GET", r"/flavors/detail", "flavors.list"),
            ("GET", r"/os-keypairs/(?P<id>[^/]+)", "keypairs.get"),
            ("POST", r"/os-keypairs", "keypairs.create"),
        ]
        for verb, pattern, action in routes:
            found = re.fullmatch(pattern, tail)
            if verb == method and found is not None:
                target = urllib.parse.unquote(found.groupdict().get("id") or "")
                nova = _Nova(self, base, target)
                return action, target, region, interface, getattr(nova, action.replace(".", "_"))
        return None

    def _image_route(
        self, method: str, rest: str, base: str, region: str, interface: str
    ) -> tuple[str, str, str, str, Any] | None:
        if rest == "" and method == "GET":
            return (
                "image.discover",
                "",
                region,
                interface,
                lambda q, b: (300, documents.image_versions(self.peer.recorded, base), {}),
            )
        if rest == "/v2/images" and method == "GET":
            return "images.list", "", region, interface, lambda q, b: self._images(q, base)
        found = re.fullmatch(r"/v2/images/(?P<id>[^/]+)", rest)
        if found is not None and method in ("GET", "DELETE"):
            glance = day2.Glance(self.peer.recorded, self.peer.cloud, found["id"])
            action = "images.get" if method == "GET" else "images.delete"
            return action, found["id"], region, interface, getattr(glance, action[7:])
        return None

    # -- Keystone --

    def _identity_versions(self, _query: Any, _body: Any) -> tuple[int, Any, dict[str, str]]:
        return 300, documents.identity_versions(self.peer.recorded, self.peer.auth_url), {}

    def _identity_version(self, _query: Any, _body: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, documents.identity_version(self.peer.recorded, self.peer.auth_url), {}

    def _token(self, _query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        peer = self.peer
        auth = (body or {}).get("auth") or {}
        identity = auth.get("identity") or {}
        methods = list(identity.get("methods") or [])
        refused = NovaError(401, "The request you have made requires authentication.")
        if methods == ["password"]:
            user = (identity.get("password") or {}).get("user") or {}
            domain = user.get("domain") or {}
            named = user.get("name") == USERNAME and (
                domain.get("id") == DOMAIN_ID or domain.get("name") == DOMAIN_NAME
            )
            if not (named or user.get("id") == USER_ID) or user.get("password") != peer.password:
                raise refused
            project = ((auth.get("scope") or {}).get("project")) or {}
            pdomain = project.get("domain") or {}
            scoped = project.get("id") == PROJECT_ID or (
                project.get("name") == PROJECT_NAME
                and (pdomain.get("id") == DOMAIN_ID or pdomain.get("name") == DOMAIN_NAME)
            )
            if not scoped:
                raise NovaError(401, "The request you have made requires authentication.")
        elif methods == ["application_credential"]:
            credential = identity.get("application_credential") or {}
            if (credential.get("id"), credential.get("secret")) != (APP_CRED_ID, peer.app_secret):
                raise refused
            if auth.get("scope"):
                raise NovaError(401, "Application credentials cannot request a scope.")
        else:
            raise NovaError(401, "Expecting to find password or application_credential.")
        token, expires = peer._issue()
        now = datetime.now(UTC)
        services = documents.catalog(peer.recorded, peer.url, PROJECT_ID, REGIONS)
        domain = {"id": DOMAIN_ID, "name": DOMAIN_NAME}
        reply = documents.token(
            peer.recorded,
            methods=methods,
            user={"id": USER_ID, "name": USERNAME, "domain": domain},
            project={"id": PROJECT_ID, "name": PROJECT_NAME, "domain": domain},
            services=services,
            issued_at=now.isoformat().replace("+00:00", "Z"),
            expires_at=datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z"),
        )  # fmt: skip
        names = {"x-subject-token": "X-Subject-Token"}
        headers = {names[k]: token for k in peer.recorded.token_headers if k in names}
        return 201, reply, headers

    # -- Glance --

    def _images(self, query: dict[str, list[str]], base: str) -> tuple[int, Any, dict[str, str]]:
        self.peer.cloud.tick()  # uploads finish with time, as builds do
        items = self.peer.cloud.images
        if "name" in query:
            items = [i for i in items if i["name"] == query["name"][0]]
        if "visibility" in query:
            items = [i for i in items if i.get("visibility") == query["visibility"][0]]
        limit = int(query.get("limit", ["25"])[0])
        if "marker" in query:
            ids = [i["id"] for i in items]
            if query["marker"][0] not in ids:
                raise NovaError(400, f"marker {query['marker'][0]} could not be found.")
            items = items[ids.index(query["marker"][0]) + 1 :]
        page = items[:limit]
        next_href = None
        if len(items) > limit:
            kept = {k: v[0] for k, v in query.items() if k not in ("marker",)}
            next_href = "/v2/images?" + urllib.parse.urlencode({**kept, "marker": page[-1]["id"]})
        return 200, documents.images_page(self.peer.recorded, page, next_href), {}


class _Nova:
    """Nova's answers for one request (`base`: the compute prefix it came to)."""

    def __init__(self, handler: _Handler, base: str, target: str) -> None:
        self.handler = handler
        self.peer = handler.peer
        self.cloud = handler.peer.cloud
        self.base = base
        self.target = target

    def _headers(self) -> dict[str, str]:
        return {
            "OpenStack-API-Version": f"compute {MICROVERSION}",
            "X-OpenStack-Nova-API-Version": MICROVERSION,
            "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
        }

    def document(self, server: Server) -> dict[str, Any]:
        launched = server.launched
        fault = None
        if server.fault is not None and server.status in ("ERROR", "DELETED"):
            code, message, created = server.fault
            fault = self.peer.recorded.instance_fault(code, message, iso(created))
        return documents.server_document(
            self.peer.recorded,
            self.base,
            values={
                "id": server.id,
                "name": server.name,
                "metadata": dict(server.metadata),
                "status": server.status,
                "OS-EXT-STS:task_state": server.task_state,
                "OS-EXT-STS:vm_state": server.vm_state,
                "OS-EXT-STS:power_state": server.power_state,
                "OS-EXT-AZ:availability_zone": server.zone,
                "OS-EXT-SRV-ATTR:hostname": server.name,
                "OS-SRV-USG:launched_at": None if launched is None else iso(launched),
                "OS-SRV-USG:terminated_at": None if server.deleted is None else iso(server.deleted),
                "created": iso(server.created),
                "updated": iso(server.updated),
                "key_name": server.key_name,
                "tenant_id": PROJECT_ID,
                "user_id": USER_ID,
                "accessIPv4": "",
                "accessIPv6": "",
                "description": None,
                "hostId": uuid.uuid5(uuid.NAMESPACE_DNS, server.zone).hex,
                "security_groups": [{"name": name} for name in server.security_groups],
                "os-extended-volumes:volumes_attached": [],
                "scheduler_hints": {},
                "pinned_availability_zone": None,
                "progress": 0,
            },
            flavor=server.flavor,
            image_id=server.image_id,
            addresses={}
            if server.status == "BUILD"
            else {
                NETWORK_NAME: [
                    {"addr": server.address, "OS-EXT-IPS-MAC:mac_addr": server.mac,
                     "OS-EXT-IPS:type": "fixed", "version": 4}
                ]
            },
            fault=fault,
        )  # fmt: skip

    def servers_list(
        self, query: dict[str, list[str]], _body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        since = None
        if "changes-since" in query:
            since = datetime.fromisoformat(
                query["changes-since"][0].replace("Z", "+00:00")
            ).timestamp()
        try:
            found = self.cloud.listed(name=query.get("name", [None])[0], since=since)
        except re.error:
            raise NovaError(400, "Invalid filter: name") from None
        limit = min(int(query.get("limit", [str(MAX_LIMIT)])[0]), MAX_LIMIT)
        if limit < 0:
            raise NovaError(400, "limit param must be positive")
        if "marker" in query:
            # Nova reads the marker with deleted servers too: a page may end on a server
            # deleted before the next page is asked for.
            marker = self.cloud.servers.get(query["marker"][0])
            if marker is None:
                raise NovaError(400, f"marker [{query['marker'][0]}] not found")
            after = (marker.created, marker.id)
            found = [s for s in found if (s.created, s.id) < after]
        page = found[:limit]
        next_href = None
        if page and len(page) == limit:  # Nova links a next page to every full page
            params = {k: v[0] for k, v in query.items() if k != "marker"}
            params.update(limit=str(limit), marker=page[-1].id)
            next_href = f"{self.base}/v2.1/{PROJECT_ID}/servers/detail?" + urllib.parse.urlencode(
                params
            )
        with self.cloud.lock:
            docs = [documents.listed_server(self.peer.recorded, self.document(s)) for s in page]
        return 200, documents.servers_page(self.peer.recorded, docs, next_href), self._headers()

    def servers_get(self, _query: Any, _body: Any) -> tuple[int, Any, dict[str, str]]:
        server = self.cloud.get(self.target)
        with self.cloud.lock:
            return 200, {"server": self.document(server)}, self._headers()

    def servers_create(self, _query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        server = self.cloud.create(body or {}, USER_ID)
        reply = documents.server_created(
            self.peer.recorded, self.base, server_id=server.id, project_id=PROJECT_ID,
            admin_pass=server.admin_pass, security_groups=server.security_groups,
        )  # fmt: skip
        return 202, reply, self._headers()

    def servers_action(self, _query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        status, reply = self.cloud.action(self.target, body or {}, self.peer.actions) or (202, None)
        return status, reply, self._headers()

    def servers_metadata(self, _query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        items = documents.metadata_items(self.peer.recorded, body)
        if items is None:
            raise NovaError(400, "Invalid input for field/attribute metadata.")
        merged = self.cloud.update_metadata(self.target, items)
        return 200, documents.metadata_reply(self.peer.recorded, merged), self._headers()

    def servers_delete(self, _query: Any, _body: Any) -> tuple[int, Any, dict[str, str]]:
        self.cloud.delete(self.target)
        return 204, None, self._headers()

    def flavors_list(self, _query: Any, _body: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, {"flavors": self.cloud.flavors}, self._headers()

    def keypairs_get(self, _query: Any, _body: Any) -> tuple[int, Any, dict[str, str]]:
        pair = self.cloud.keypair(self.target)
        return 200, documents.keypair(self.peer.recorded, imported=False, values=pair), {}

    def keypairs_create(self, _query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        pair = self.cloud.import_keypair(body or {}, USER_ID)
        return 201, documents.keypair(self.peer.recorded, imported=True, values=pair), {}
