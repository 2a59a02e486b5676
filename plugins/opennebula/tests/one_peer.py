"""The peer of the OpenNebula driver's tests: a local oned XML-RPC endpoint at `/RPC2`.

A stdlib `SimpleXMLRPCServer` (threaded) on 127.0.0.1, answering the calls the
driver and the tests make as oned does (`docs/api.rst.vm_excerpt.rst`): every
reply is `[true, result, 0]` or `[false, message, error_code, object_id]`, the
session string `user:password` comes first and is checked on every call.

| method                     | answers                                                  |
|----------------------------|----------------------------------------------------------|
| one.vm.allocate            | the new VM's id (a template as XML or `NAME="value"`)    |
| one.vm.info                | the VM document (vm.xsd)                                 |
| one.vm.action              | the VM's id; the action as DispatchManager does it       |
| one.vm.update              | the VM's id; USER_TEMPLATE replaced (0) or merged (1)    |
| one.vm.resize              | the VM's id; CPU/VCPU/MEMORY as DispatchManager allows   |
| one.vm.disksaveas          | the new image's id; LOCKED while the disk is copied      |
| one.image.info             | the image document (image.xsd)                           |
| one.image.update           | the image's id; TEMPLATE replaced (0) or merged (1)      |
| one.image.rename           | the image's id                                           |
| one.image.delete           | the image's id; DELETE, then gone (refused while used)   |
| one.imagepool.info         | IMAGE_POOL (image_pool.xsd), by id range or paged        |
| one.vmpool.info            | VM_POOL of short VM bodies (vm_pool.xsd)                 |
| one.vmpool.infoextended    | VM_POOL of full VM documents (vm.xsd), paged, searched   |
| one.template.instantiate   | the new VM's id                                          |
| one.templatepool.info      | VMTEMPLATE_POOL                                          |

Tests make it misbehave: `fail(method, code=..., message=..., times=...)`
answers a method with an error code, `delay=` holds its reply back,
`http_status=` answers at the HTTP level (a proxy's 503); `backend` is the SQL
backend oned runs on (`BACKENDS`: MySQL searches, SQLite answers a search filter
with INTERNAL as 6.10+ does, or in the older words); `readers` may only read
(AUTHORIZATION); `stop()`/`start()` take it down and back on the same
port; the VMs' own misbehaviour and the quota (`vm_quota`, `quota_code`) live in
`one_cloud`.
"""

from __future__ import annotations

import socketserver
import threading
import xmlrpc.client
from typing import Any
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import attrs
from one_cloud import AUTHORIZATION, INTERNAL, OneCloud, OneFailure
from one_documents import image_document, image_pool, pool_document, template_pool, vm_document
from one_templates import parse_template
from one_vmops import disk_saveas, resize

AUTHENTICATION = 0x100
#: oned's SQL backends -> what it answers (INTERNAL) to a search filter ("": it searches).
BACKENDS = {
    "mysql": "",
    # OpenNebula 6.10+ and 7.x on their default backend (RequestManagerPoolInfoFilter.cc).
    "sqlite": "JSON query search is not supported by the SQL backend",
    # OpenNebula 5.x to 6.8 on SQLite.
    "sqlite-before-6.10": "Full text search is not supported by the SQL backend",
}
WRITES = ("one.vm.allocate", "one.vm.action", "one.vm.update", "one.template.instantiate")
WRITES += ("one.vm.resize", "one.vm.disksaveas", "one.image.update", "one.image.rename")
WRITES += ("one.image.delete",)


@attrs.define
class Fault:
    """How the peer answers one method: an error code, an HTTP status, or a delay first."""

    code: int = 0
    message: str = ""
    #: A success result to answer with instead (a recorded document, say).
    result: str | None = None
    http_status: int = 0
    #: Seconds to hold the reply back (the call still takes effect afterwards).
    delay: float = 0.0
    #: How many calls it applies to (None: all of them).
    times: int | None = None


class _Server(socketserver.ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True
    # oned's accept queue, not socketserver's 5: a driver's pool of 32 connects at once.
    request_queue_size = 128
    peer: OnePeer


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/RPC2",)

    def log_message(self, *_args: Any) -> None:
        pass

    def do_POST(self) -> None:
        if not self.is_rpc_path_valid():
            self.report_404()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: _Server = self.server  # type: ignore[assignment]
        try:
            method = xmlrpc.client.loads(body)[1] or ""
        except Exception:  # a malformed request: the dispatcher answers it
            method = ""
        status = server.peer.http_fault(method)
        if status:
            self._answer(status, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        self._answer(200, server._marshaled_dispatch(body), "text/xml")

    def _answer(self, status: int, payload: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class OnePeer:
    """A running oned XML-RPC endpoint over an in-memory `OneCloud`."""

    def __init__(self, step: float = 0.02) -> None:
        self.step = step
        self.port = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: _Server | None = None
        self.reset()

    def reset(self) -> None:
        """A new, empty cloud; default users; no faults; no calls recorded."""
        self.cloud = OneCloud(self.step)
        self.users = {"oneadmin": "opennebula", "viewer": "viewer"}
        self.readers = {"viewer"}
        #: The SQL backend oned runs on (a key of `BACKENDS`).
        self.backend = "mysql"
        #: Called as `hook(method, params)` after every call is carried out, before the reply.
        self.hooks: list[Any] = []
        self.clear()
        with self._lock:
            self.calls: list[tuple[str, tuple[Any, ...], str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/RPC2"

    def fail(self, method: str, **fault: Any) -> None:
        """Answer `method` with the given fault (see `Fault`)."""
        with self._lock:
            self.faults[method] = Fault(**fault)

    def clear(self) -> None:
        """No faults any more, and delayed replies go now."""
        with self._lock:
            self.faults: dict[str, Fault] = {}
            self._release.set()
            self._release = threading.Event()

    def count(self, method: str, outcome: str | None = None) -> int:
        """How many calls of `method` arrived (with that outcome: `ok`, `0x400`, `http 503`...)."""
        with self._lock:
            return sum(1 for m, _, o in self.calls if m == method and outcome in (None, o))

    def actions(self, vm_id: int | None = None) -> list[tuple[str, str]]:
        """The `one.vm.action` calls (on one VM): (action, outcome), in order."""
        with self._lock:
            return [
                (str(p[0]), o)
                for m, p, o in self.calls
                if m == "one.vm.action" and vm_id in (None, p[1])
            ]

    def _take(self, method: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(method)
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[method]
            return fault

    def _record(self, method: str, params: tuple[Any, ...], outcome: str) -> None:
        with self._lock:
            self.calls.append((method, params, outcome))

    def http_fault(self, method: str) -> int:
        """The HTTP status to answer `method` with instead of XML-RPC (0: none)."""
        with self._lock:
            fault = self.faults.get(method) or self.faults.get("*")
            if fault is None or not fault.http_status:
                return 0
        self._take(method if method in self.faults else "*")
        self._record(method, (), f"http {fault.http_status}")
        return fault.http_status

    def _dispatch(self, method: str, params: tuple[Any, ...]) -> list[Any]:
        """Every XML-RPC call: faults, the session, then the method itself."""
        self.cloud.tick()
        fault = self._take(method)
        if fault is not None and fault.delay:
            self._release.wait(fault.delay)
        try:
            user = self._authenticate(method, params)
            if fault is not None and fault.code:
                raise OneFailure(fault.code, fault.message or f"[{method}] injected failure")
            handler = getattr(self, method.replace(".", "_"), None)
            if handler is None:  # xmlrpc-c's own answer to an unknown method: a fault
                raise xmlrpc.client.Fault(-506, f"Method '{method}' not defined")
            if fault is not None and fault.result is not None:
                result: Any = fault.result
            else:
                result = handler(user, *params[1:])
        except OneFailure as failure:
            self._record(method, params[1:], f"{failure.code:#x}")
            return [False, failure.message, failure.code, failure.object_id]
        finally:
            for hook in list(self.hooks):
                hook(method, params[1:])
        self.cloud.tick()
        self._record(method, params[1:], "ok")
        return [True, result, 0]

    def _authenticate(self, method: str, params: tuple[Any, ...]) -> str:
        user, _, password = str(params[0] if params else "").partition(":")
        if self.users.get(user) != password or not password:
            raise OneFailure(
                AUTHENTICATION, f"[{method}] User couldn't be authenticated, aborting call."
            )
        if user in self.readers and method in WRITES:
            raise OneFailure(
                AUTHORIZATION,
                f"[{method}] User [{sorted(self.users).index(user)}] not authorized to perform "
                "action on virtual machine.",
            )
        return user

    # -- the methods (after the session string) --

    def one_vm_allocate(self, user: str, template: str, hold: bool = False) -> int:
        body = parse_template(template)
        return self.cloud.create("one.vm.allocate", body, str(body.get("NAME", "")), user, hold).id

    def one_vm_info(self, _user: str, vm_id: int, _decrypt: bool = False) -> str:
        with self.cloud.lock:
            return vm_document(self.cloud.get(vm_id, "one.vm.info"))

    def one_vm_action(self, _user: str, action: str, vm_id: int) -> int:
        self.cloud.act(action, vm_id)
        return vm_id

    def one_vm_update(self, _user: str, vm_id: int, template: str, merge: int = 0) -> int:
        with self.cloud.lock:
            vm = self.cloud.get(vm_id, "one.vm.update")
            body = parse_template(template)
            vm.user_template = {**vm.user_template, **body} if merge else body
        return vm_id

    def one_vm_resize(self, _user: str, vm_id: int, template: str, _enforce: bool = False) -> int:
        resize(self.cloud, vm_id, parse_template(template))
        return vm_id

    def one_vm_disksaveas(
        self, user: str, vm_id: int, disk_id: int, name: str, kind: str = "", snap: int = -1
    ) -> int:
        uid = sorted(self.users).index(user)
        return disk_saveas(self.cloud, vm_id, disk_id, name, kind, snap, (uid, user))

    def one_image_info(self, _user: str, image_id: int, _decrypt: bool = False) -> str:
        with self.cloud.lock:
            return image_document(self.cloud.images.get(image_id, "one.image.info"))

    def one_image_update(self, _user: str, image_id: int, template: str, merge: int = 0) -> int:
        with self.cloud.lock:
            self.cloud.images.update(image_id, parse_template(template), merge)
        return image_id

    def one_image_rename(self, _user: str, image_id: int, name: str) -> int:
        with self.cloud.lock:
            self.cloud.images.rename(image_id, name)
        return image_id

    def one_image_delete(self, _user: str, image_id: int, force: bool = False) -> int:
        with self.cloud.lock:
            self.cloud.images.delete(image_id, force)
        return image_id

    def one_imagepool_info(self, _user: str, _flag: int, start: int, end: int) -> str:
        with self.cloud.lock:
            return image_pool(self.cloud.images.listing(start, end))

    def _pool(self, method: str, params: tuple[Any, ...], extended: bool) -> str:
        _flag, start, end, state, *rest = params
        query = str(rest[0]) if rest else ""
        refusal = BACKENDS[self.backend]
        if query and refusal:
            raise OneFailure(INTERNAL, f"[{method}] {refusal}")
        with self.cloud.lock:
            return pool_document(self.cloud.listing(start, end, state, query), extended)

    def one_vmpool_info(self, _user: str, *params: Any) -> str:
        return self._pool("one.vmpool.info", params, extended=False)

    def one_vmpool_infoextended(self, _user: str, *params: Any) -> str:
        return self._pool("one.vmpool.infoextended", params, extended=True)

    def one_template_instantiate(
        self, user: str, template_id: int, name: str, hold: bool = False, extra: str = "", *_: Any
    ) -> int:
        return self.cloud.instantiate(template_id, name, hold, extra, user).id

    def one_templatepool_info(self, _user: str, *_params: Any) -> str:
        return template_pool(self.cloud.templates)

    # -- the server --

    def start(self) -> None:
        """Listen (again) on the peer's port (a free one the first time)."""
        server = _Server(("127.0.0.1", self.port), _Handler, logRequests=False, allow_none=True)
        server.peer = self
        server.register_instance(self)
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        """Stop listening: calls now fail to connect, as to an oned that is down."""
        self.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None
