"""The Azure peer's HTTPS server: Resource Manager's VM paths and the Entra token endpoint.

Paths (`{s}` the subscription, `{g}` a resource group, `{n}` a VM):

* `GET /{tenant}/v2.0/.well-known/openid-configuration` and
  `POST /{tenant}/oauth2/v2.0/token` (client credentials; the reply is shaped
  like the recorded `oauth2_token.json`);
* `PUT|GET|PATCH|DELETE /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Compute/
  virtualMachines/{n}` (the PATCH sets tags, on `If-Match` when given),
  `.../{n}/instanceView`, `POST .../{n}/start|powerOff|deallocate|restart`,
  `GET .../virtualMachines` (the group's) and
  `GET /subscriptions/{s}/providers/Microsoft.Compute/virtualMachines[?statusOnly=true]`;
* `GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/operations/{id}`;
* `GET .../locations/{l}/vmSizes`, `.../resourceGroups/{g}/providers/Microsoft.Compute/images`,
  `.../resourceGroups/{g}/providers/Microsoft.Network/networkInterfaces|publicIPAddresses`.

Every ARM call needs a bearer token the peer issued (else 401
InvalidAuthenticationToken with a `WWW-Authenticate` challenge); a client in
`forbidden` gets 403 AuthorizationFailed. Faults are injected per action
(`fail`): an ARM error reply, a held-back reply, or a create whose operation
ends Failed. `stop()` takes the server down; `start()` brings it back on the
same port.
"""

from __future__ import annotations

import http.server
import json
import secrets
import ssl
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import attrs

from azure_arm_peer.arm import ArmModel, Vm
from azure_arm_peer.checks import Refused
from azure_arm_peer.documents import (
    Recorded,
    aad_error,
    error_body,
    openid_configuration,
)
from azure_arm_peer.routes import Reply, Request, action_of, route
from azure_arm_peer.tls import server_context


@attrs.define
class Fault:
    """How the peer answers one action: an error reply, a held-back reply, a failing operation."""

    status: int = 500
    code: str = "InternalServerError"
    message: str = "An internal execution error occurred. Please retry later."
    #: Seconds to hold the reply back (the call takes effect first).
    delay: float = 0.0
    #: createOrUpdate only: accept it, then end its operation Failed with this code.
    operation_error: str = ""
    #: Extra reply headers (`Retry-After`...).
    headers: dict[str, str] = attrs.Factory(dict)
    #: How many calls it applies to (None: all of them).
    times: int | None = None


class AzurePeer:
    """Resource Manager and Microsoft Entra for one subscription, in memory, over HTTPS."""

    def __init__(self, fixtures: Path, cert: Path, key: Path, subscription: str) -> None:
        self.recorded = Recorded(fixtures)
        self.arm = ArmModel(self.recorded, subscription)
        self.subscription = subscription
        #: The certificate the peer presents (the CA bundle its clients trust).
        self.certificate = cert
        self.page_size = 2
        self.principals: dict[tuple[str, str], str] = {}  # (tenant, client) -> secret
        self.forbidden: set[str] = set()  # client ids whose ARM calls get 403
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (client id, expiry)
        self.faults: dict[str, Fault] = {}
        #: Every call: (action, monotonic time, fate, target).
        self.calls: list[tuple[str, float, str, str]] = []
        self.lock = threading.RLock()
        self._release = threading.Event()
        self._context = server_context(cert, key)
        self._server: http.server.ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The endpoint and authority to give the SDK."""
        return f"https://127.0.0.1:{self.port}"

    # -- what tests do --

    def principal(self, tenant: str, client: str, secret: str) -> None:
        """Register a service principal the token endpoint accepts."""
        self.principals[(tenant.lower(), client.lower())] = secret

    def fail(self, action: str, **fault: Any) -> None:
        """Answer `action` (`virtualMachines.createOrUpdate`, `token`...) with a fault."""
        with self.lock:
            self.faults[action] = Fault(**fault)

    def clear(self) -> None:
        """No faults any more; held-back replies go now."""
        with self.lock:
            self.faults.clear()
            self._release.set()
            self._release = threading.Event()

    def count(self, action: str, fate: str | None = None) -> int:
        """How many calls of `action` arrived (with that fate: `ok`, a code, `delayed`)."""
        with self.lock:
            return sum(1 for a, _, f, _ in self.calls if a == action and fate in (None, f))

    def times(self, action: str) -> list[float]:
        """When the calls of `action` arrived (monotonic seconds)."""
        with self.lock:
            return [t for a, t, _, _ in self.calls if a == action]

    def targets(self, action: str) -> set[str]:
        """The VM names `action` was called on."""
        with self.lock:
            return {n for a, _, _, n in self.calls if a == action}

    def vm(self, group: str, name: str) -> Vm | None:
        """The peer's record of a VM (None when it has none of that name)."""
        with self.lock:
            self.arm.settle()
            return self.arm.vms.get((group.lower(), name.lower()))

    def reset(self) -> None:
        """Forget every VM, NIC, public IP, operation, call and token."""
        with self.lock:
            for store in (self.arm.vms, self.arm.nics, self.arm.public_ips, self.arm.operations):
                store.clear()
            self.calls.clear()
            self.tokens.clear()

    # -- HTTP --

    def _take(self, action: str, target: str) -> Fault | None:
        with self.lock:
            fault = self.faults.get(action)
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[action]
            fate = "ok" if fault is None else ("delayed" if fault.delay else fault.code)
            if fault is not None and fault.operation_error:
                fate = fault.operation_error
            self.calls.append((action, time.monotonic(), fate, target))
            return fault

    def handle(
        self, method: str, path: str, body: bytes, auth: str, if_match: str = ""
    ) -> tuple[Reply, Fault | None]:
        """Answer one request; also return the fault that applied to it."""
        url = urllib.parse.urlsplit(path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/")]
        if parts[0] != "subscriptions":
            return self._aad(method, parts, body)
        action, target = action_of(method, parts)
        fault = self._take(action, target)
        if fault is not None and not fault.delay and not fault.operation_error:
            return Reply(fault.status, error_body(fault.code, fault.message), fault.headers), fault
        try:
            self._authorize(auth)
            if parts[1].lower() != self.subscription.lower():
                message = f"The subscription '{parts[1]}' could not be found."
                raise Refused(404, "SubscriptionNotFound", message)
            request = Request(action, parts, query, body, self.url, if_match)
            error = fault.operation_error if fault is not None else ""
            with self.lock:
                self.arm.settle()
                return route(self.arm, request, self.page_size, error), fault
        except Refused as refused:
            headers = {}
            if refused.status == 401:  # as ARM challenges a bad token
                headers["WWW-Authenticate"] = f'Bearer authorization_uri="{self.url}"'
            return Reply(refused.status, error_body(refused.code, refused.message), headers), fault

    def _authorize(self, header: str) -> None:
        token = header.removeprefix("Bearer ").strip()
        with self.lock:
            client, expiry = self.tokens.get(token, ("", 0.0))
        if not client or expiry < time.time():
            raise Refused(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if client in self.forbidden:
            raise Refused(
                403,
                "AuthorizationFailed",
                f"The client '{client}' with object id '{client}' does not have authorization to "
                "perform action 'Microsoft.Compute/virtualMachines/read' over scope "
                f"'/subscriptions/{self.subscription}' or the scope is invalid.",
            )

    def _aad(self, method: str, parts: list[str], body: bytes) -> tuple[Reply, Fault | None]:
        """OIDC discovery and the client-credentials token endpoint of Microsoft Entra."""
        tenant = parts[0].lower()
        if tenant not in {t for t, _ in self.principals}:
            return Reply(
                400, aad_error("invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
            ), None
        if method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return Reply(200, openid_configuration(self.url, tenant)), None
        fault = self._take("token", tenant)
        if fault is not None and not fault.delay:
            error = aad_error("temporarily_unavailable", 90033, fault.message)
            return Reply(fault.status, error, fault.headers), fault
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        client, scope = form.get("client_id", "").lower(), form.get("scope", "")
        if self.principals.get((tenant, client)) != form.get("client_secret"):
            error = aad_error("invalid_client", 7000215, "Invalid client secret provided.")
            return Reply(401, error), fault
        if scope != f"{self.url}/.default":
            error = aad_error("invalid_scope", 70011, f"The provided scope {scope} is not valid.")
            return Reply(400, error), fault
        doc = self.recorded("token")  # the recorded client-credentials token reply
        token, now = secrets.token_urlsafe(32), int(time.time())
        doc.update(access_token=token, expires_on=str(now + 3600), not_before=str(now))
        doc["resource"] = f"{self.url}/"
        with self.lock:
            self.tokens[token] = (client, now + int(doc["expires_in"]))
        return Reply(200, doc), fault

    def start(self) -> None:
        """Listen (again) on the peer's port (a free one the first time)."""
        peer = self

        # HTTP/1.0: a connection per request, so a stopped peer really is unreachable.
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                auth = self.headers.get("Authorization", "")
                if_match = self.headers.get("If-Match", "")
                reply, fault = peer.handle(self.command, self.path, body, auth, if_match)
                if fault is not None and fault.delay:
                    peer._release.wait(fault.delay)
                payload = b"" if reply.doc is None else json.dumps(reply.doc).encode()
                try:
                    self.send_response(reply.status)
                    for header, value in reply.headers.items():
                        self.send_header(header, value)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass  # the client gave up waiting (a timeout test)

            do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _serve

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        # The TLS handshake runs in the handler's thread, not in the accepting one.
        server.socket = self._context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening: calls now fail to connect, as to an endpoint that is down."""
        with self.lock:
            self._release.set()
            self._release = threading.Event()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
