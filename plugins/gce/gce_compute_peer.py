"""The peer of the GCE driver's tests: a small Compute Engine REST server, kept in memory.

No emulator of Compute Engine exists, so this is one: a `ThreadingHTTPServer`
on 127.0.0.1 answering the paths google-cloud-compute's REST transport calls
(`/compute/v1/projects/{p}/zones/{z}/instances[/{name}[/start|stop|reset|
suspend|resume|setLabels|setMachineType]]`, `.../operations/{op}[/wait]`,
`.../machineTypes[/{name}]`, `/global/images[/{name}|/family/{f}]`,
`/global/operations/{op}`).
Its documents are the recorded replies in `tests/fixtures/` used as templates
(see `TEMPLATES`): int64 fields as decimal strings, errors as `{"error": {"code",
"message", "errors": [{"reason"}]}}`. Instances move PROVISIONING -> STAGING ->
RUNNING, STOPPING -> TERMINATED, SUSPENDING -> SUSPENDED, STOPPING -> gone with
time (`boot`, `halt`); their operations PENDING -> RUNNING -> DONE alongside. A
name in use is a 409, a repeated `requestId` gives the first operation back,
`list` honours a label filter and `pageToken` paging, `setLabels` a label
fingerprint, `setMachineType` the TERMINATED status it requires. Custom images
made from an instance's boot disk (`images.insert` with `sourceDisk`) are
PENDING, then READY after `bake` seconds; the image each instance's boot disk
was made from is kept (`boot_image`). When keys are registered (`accept`),
every call needs a bearer JWT signed by one of them (what a service-account key
sends).

Tests inject faults per action (`fail`): an error reply (written, or a recorded
file), a slow reply, or an insert whose operation fails later; `stop()` takes
the server down and `start()` brings it back on the same port.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import http.server
import json
import re
import secrets
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import google.auth.exceptions
import google.auth.jwt

#: Recorded Compute Engine replies (see SOURCES.md beside them).
FIXTURES = Path(__file__).resolve().parent / "tests" / "fixtures"
BASE = "https://www.googleapis.com/compute/v1"
TEMPLATES = {
    "instance": "zones_us-central1-a_instances_node-name.json",
    "list": "zones_us-central1-a_instances.json",
    "operation": "zones_us-central1-a_instances_post.json",
    "operation_failed": "zones_us_central1_a_operations_operation_setMachineType_notstopped.json",
    "not_found": "zones_us-central1-b_instances_libcloud-lb-demo-www-002.json",
    "machine_types": "zones_us-central1-a_machineTypes.json",
    "images": "global_images.json",
    "debian_images": "projects_debian-cloud_global_images.json",
}
_TERM = re.compile(r'\s*(?:AND\s+)?\(?\s*labels\.([a-z][-a-z0-9_]*)\s*=\s*"?([-a-z0-9_]*)"?\s*\)?')
_NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_LABEL_KEY = re.compile(r"[a-z][-a-z0-9_]{0,62}")
_LABEL_VALUE = re.compile(r"[-a-z0-9_]{0,63}")
#: A disk's full or partial URL (`[https://.../compute/v1/][projects/P/]zones/Z/disks/D`).
_DISK = re.compile(
    r"(?:https?://[^/]+/compute/v1/)?(?:projects/(?P<project>[^/]+)/)?zones/(?P<zone>[^/]+)"
    r"/disks/(?P<disk>[^/]+)"
)
#: The HTTP status a failed operation reports for an error code (else the recorded 400).
_OPERATION_STATUS = {
    "QUOTA_EXCEEDED": (403, "FORBIDDEN"),
    "ZONE_RESOURCE_POOL_EXHAUSTED": (503, "SERVICE UNAVAILABLE"),
    "RESOURCE_ALREADY_EXISTS": (409, "CONFLICT"),
    "INTERNAL_ERROR": (500, "INTERNAL SERVER ERROR"),
}


def recorded(name: str) -> Any:
    """A recorded reply, parsed (`name` a key of TEMPLATES or a file name)."""
    return json.loads((FIXTURES / TEMPLATES.get(name, name)).read_text())


def error_body(code: int, reason: str, message: str) -> dict[str, Any]:
    """An error reply, in the shape of the recorded not-found reply."""
    body = recorded("not_found")
    body["error"].update(code=code, message=message)
    body["error"]["errors"] = [{"domain": "global", "reason": reason, "message": message}]
    return body


def _int64() -> str:
    return str(secrets.randbelow(9 * 10**18) + 10**18)


def label_fingerprint(labels: dict[str, str]) -> str:
    """The `labelFingerprint` of a label set: a digest of it, as GCE's is (base64), so it
    changes whenever the labels do."""
    text = json.dumps(labels, sort_keys=True).encode()
    return base64.b64encode(hashlib.sha256(text).digest()[:8]).decode()


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")


@attrs.define
class Fault:
    """How the peer answers one action: an error reply, a held-back reply, a failing operation."""

    status: int = 500
    reason: str = "backendError"
    message: str = "Internal error. Please try again or contact Google Support."
    #: A recorded reply to serve verbatim instead of a written error.
    body_file: str = ""
    #: Seconds to hold the reply back (the call takes effect first).
    delay: float = 0.0
    #: instances.insert only: accept, then end the operation DONE with this error code.
    operation_error: str = ""
    #: How many calls it applies to (None: all of them).
    times: int | None = None


class Refused(Exception):
    """An error reply to send."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.body = error_body(code, reason, message)
        self.code = code


@attrs.define
class _Op:
    doc: dict[str, Any]
    started: float
    duration: float
    error: tuple[str, str] | None = None


class ComputePeer:
    """Compute Engine's REST API for instances, in memory, with faults on cue."""

    def __init__(self) -> None:
        self.boot = 0.3  # seconds from insert/start to RUNNING
        self.halt = 0.2  # seconds from stop/delete to TERMINATED/gone
        self.bake = 0.3  # seconds from images.insert to READY
        self.instances: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._plans: dict[tuple[str, str, str], list[tuple[float, str | None]]] = {}
        #: Machine types set by setMachineType, taking effect when its operation is DONE.
        self._machine_changes: dict[tuple[str, str, str], tuple[float, str]] = {}
        #: Custom images by (project, name), and when each PENDING one becomes READY.
        self.custom_images: dict[tuple[str, str], dict[str, Any]] = {}
        self._baking: dict[tuple[str, str], float] = {}
        #: The selfLink of the image each instance's boot disk was made from.
        self.boot_images: dict[tuple[str, str, str], str] = {}
        self.operations: dict[str, _Op] = {}
        self.request_ids: dict[str, str] = {}
        self.faults: dict[str, Fault] = {}
        self.keys: dict[str, str] = {}  # service-account email -> public key (PEM)
        self.forbidden: set[str] = set()  # emails whose calls get 403
        #: Every call: (action, monotonic time, fate, requestId, target name).
        self.calls: list[tuple[str, float, str, str, str]] = []
        self.lock = threading.RLock()
        self._release = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self.port = 0
        self.skew = 0.0  # seconds added to the wall clock of operation times
        self._serial = 0

    def reset(self) -> None:
        """Forget every instance and operation."""
        with self.lock:
            self.instances.clear()
            self._plans.clear()
            self._machine_changes.clear()
            self.custom_images.clear()
            self._baking.clear()
            self.boot_images.clear()
            self.operations.clear()
            self.request_ids.clear()
            self.calls.clear()

    @property
    def url(self) -> str:
        """The endpoint to give the SDK (`ClientOptions(api_endpoint=...)`)."""
        return f"http://127.0.0.1:{self.port}"

    # -- what tests do --

    def fail(self, action: str, **fault: Any) -> None:
        """Answer `action` (`instances.insert`, `instances.list`...) with a fault."""
        with self.lock:
            self.faults[action] = Fault(**fault)

    def clear(self) -> None:
        """No faults any more; held-back replies go now."""
        with self.lock:
            self.faults.clear()
            self._release.set()
            self._release = threading.Event()

    def accept(self, email: str, public_pem: str) -> None:
        """Require signed calls from now on, and accept this service account's key."""
        self.keys[email] = public_pem

    def count(self, action: str, fate: str | None = None) -> int:
        """How many calls of `action` arrived (with that fate: `ok`, a reason, `delayed`)."""
        with self.lock:
            return sum(1 for a, _, f, _, _ in self.calls if a == action and fate in (None, f))

    def times(self, action: str) -> list[float]:
        """When the calls of `action` arrived (monotonic seconds)."""
        with self.lock:
            return [t for a, t, _, _, _ in self.calls if a == action]

    def sent_request_ids(self, action: str = "instances.insert") -> list[str]:
        """The `requestId` of every call of `action`, in order."""
        with self.lock:
            return [r for a, _, _, r, _ in self.calls if a == action]

    def targets(self, action: str) -> set[str]:
        """The instance names `action` was called on."""
        with self.lock:
            return {n for a, _, _, _, n in self.calls if a == action}

    def plant(self, project: str, zone: str, name: str, labels: dict[str, str]) -> None:
        """An instance made behind vertice's back, RUNNING at once."""
        with self.lock:
            self._insert(project, zone, {"name": name, "labels": labels}, boot=0.0)

    def instance(self, project: str, zone: str, name: str) -> dict[str, Any] | None:
        """The current document of an instance (None when the peer has none of that name)."""
        with self.lock:
            self._settle()
            found = self.instances.get((project, zone, name))
            return copy.deepcopy(found) if found else None

    def boot_image(self, project: str, zone: str, name: str) -> str:
        """The selfLink of the image the instance's boot disk was made from ('' if none)."""
        with self.lock:
            return self.boot_images.get((project, zone, name), "")

    def custom_image(self, project: str, name: str) -> dict[str, Any] | None:
        """The current document of a custom image (None when the peer has none of that name)."""
        with self.lock:
            self._settle()
            found = self.custom_images.get((project, name))
            return copy.deepcopy(found) if found else None

    def set_status(self, project: str, zone: str, name: str, status: str) -> None:
        """Put an instance in any status at once (a host event, a suspend...)."""
        with self.lock:
            self._settle()
            self.instances[(project, zone, name)]["status"] = status
            self._plans.pop((project, zone, name), None)

    def relabel(self, project: str, zone: str, name: str, labels: dict[str, str]) -> None:
        """Replace an instance's labels behind vertice's back (a new fingerprint with them)."""
        with self.lock:
            self._settle()
            found = self.instances[(project, zone, name)]
            found.update(labels=dict(labels), labelFingerprint=label_fingerprint(labels))

    # -- the model --

    def _settle(self) -> None:
        now = time.monotonic()
        for ident, plan in list(self._plans.items()):
            while plan and plan[0][0] <= now:
                _, status = plan.pop(0)
                if status is None:
                    self.instances.pop(ident, None)
                else:
                    self.instances[ident]["status"] = status
            if not plan:
                del self._plans[ident]
        for ident, (at, machine) in list(self._machine_changes.items()):
            if at <= now:
                del self._machine_changes[ident]
                if ident in self.instances:
                    self.instances[ident]["machineType"] = machine
        for key, at in list(self._baking.items()):
            if at <= now:
                del self._baking[key]
                if key in self.custom_images:
                    self.custom_images[key]["status"] = "READY"

    def _schedule(self, ident: tuple[str, str, str], steps: list[tuple[str | None, float]]) -> None:
        now, plan = time.monotonic(), []
        for status, after in steps:
            plan.append((now + after, status))
        self._plans[ident] = plan
        if plan and plan[0][0] <= now:
            self._settle()

    def _operation(
        self,
        kind: str,
        ident: tuple[str, str, str],
        duration: float,
        error: str = "",
        message: str = "",
    ) -> dict[str, Any]:
        """A zone operation on an instance, or (`ident` with no zone) a global one on an
        image; it fails with `error` (and `message`) once DONE when an error is given."""
        project, zone, name = ident
        doc = recorded("operation")  # the recorded instances.insert reply
        op_name = f"operation-{int(time.time() * 1000)}-{secrets.token_hex(6)}"
        if zone:
            scope = f"{BASE}/projects/{project}/zones/{zone}"
            found = self.instances.get(ident)
            doc.update(zone=scope, targetLink=f"{scope}/instances/{name}")
        else:  # a global operation has no zone
            scope = f"{BASE}/projects/{project}/global"
            found = self.custom_images.get((project, name))
            del doc["zone"]
            doc.update(targetLink=f"{scope}/images/{name}")
        doc.update(
            id=_int64(),
            name=op_name,
            operationType=kind,
            insertTime=_stamp(time.time() + self.skew),
            startTime=_stamp(time.time() + self.skew),
            selfLink=f"{scope}/operations/{op_name}",
            targetId=found["id"] if found else _int64(),
        )
        failure = (error, message or f"{error}: the operation failed") if error else None
        self.operations[op_name] = _Op(doc, time.monotonic(), duration, failure)
        return self._op_view(op_name)

    def _op_view(self, name: str) -> dict[str, Any]:
        op = self.operations[name]
        doc = copy.deepcopy(op.doc)
        elapsed = time.monotonic() - op.started
        if elapsed >= op.duration:
            done = recorded("operation_failed" if op.error else "operation")
            doc.update(status="DONE", progress=100)
            doc["endTime"] = _stamp(time.time() - elapsed + op.duration + self.skew)
            if op.error:  # shaped like the recorded failed setMachineType operation
                doc["error"] = {"errors": [{"code": op.error[0], "message": op.error[1]}]}
                status, text = _OPERATION_STATUS.get(
                    op.error[0], (done["httpErrorStatusCode"], done["httpErrorMessage"])
                )
                doc.update(httpErrorStatusCode=status, httpErrorMessage=text)
        elif elapsed >= op.duration / 3:
            doc.update(status="RUNNING", progress=50)
        return doc

    def _insert(self, project: str, zone: str, body: dict[str, Any], boot: float) -> dict[str, Any]:
        name = str(body.get("name", ""))
        ident = (project, zone, name)
        doc = recorded("instance")  # the recorded instances.get reply
        zone_url = f"{BASE}/projects/{project}/zones/{zone}"
        nic = doc["networkInterfaces"][0]
        self._serial += 1
        number = self._serial
        nic["networkIP"] = f"10.128.{number // 250}.{number % 250 + 2}"
        wanted = (body.get("networkInterfaces") or [{"accessConfigs": [{}]}])[0]
        network = wanted.get("network", "global/networks/default")
        nic["network"] = f"{BASE}/projects/{project}/{network}"
        nic["accessConfigs"][0]["natIP"] = f"34.{number // 250 + 1}.{number % 250}.7"
        if not wanted.get("accessConfigs"):
            nic["accessConfigs"] = []
        doc.update(
            id=_int64(),
            name=name,
            description=body.get("description", ""),
            creationTimestamp=_stamp(time.time()),
            labels=dict(body.get("labels", {})),
            labelFingerprint=label_fingerprint(dict(body.get("labels", {}))),
            zone=zone_url,
            selfLink=f"{zone_url}/instances/{name}",
            status="PROVISIONING",
        )
        doc["metadata"]["items"] = list((body.get("metadata") or {}).get("items", []))
        doc["disks"][0]["source"] = f"{zone_url}/disks/{name}"
        if body.get("machineType"):
            doc["machineType"] = f"{zone_url}/machineTypes/{body['machineType'].rsplit('/')[-1]}"
        for disk in body.get("disks", []):
            source = (disk.get("initializeParams") or {}).get("sourceImage", "")
            image = self.image(source, project) if source else None
            if image is not None:  # what GCE's disk keeps as its `sourceImage`
                self.boot_images[ident] = image["selfLink"]
        self.instances[ident] = doc
        self._schedule(ident, [("STAGING", boot / 2), ("RUNNING", boot)])
        return doc

    def insert(
        self, project: str, zone: str, body: dict[str, Any], fault: Fault | None
    ) -> dict[str, Any]:
        """instances.insert: 409 for a name in use, the first operation for a known requestId."""
        name = str(body.get("name", ""))
        if not _NAME.fullmatch(name):
            raise Refused(400, "invalid", f"Invalid value for field 'resource.name': '{name}'.")
        machine = str(body.get("machineType", "")).rsplit("/", 1)[-1]
        if machine not in {m["name"] for m in recorded("machine_types")["items"]}:
            raise Refused(
                400, "invalid", f"Invalid value for field 'resource.machineType': '{machine}'. "
                f"Machine type with name '{machine}' does not exist in zone '{zone}'.",
            )  # fmt: skip
        for disk in body.get("disks", []):
            image = (disk.get("initializeParams") or {}).get("sourceImage", "")
            found = self.image(image, project) if image else None
            if image and found is None:
                raise Refused(404, "notFound", f"The resource '{image}' was not found")
            if found is not None and found.get("status", "READY") != "READY":
                raise Refused(400, "resourceNotReady", f"The resource '{image}' is not ready")
        if (project, zone, name) in self.instances:
            raise Refused(
                409, "alreadyExists",
                f"The resource 'projects/{project}/zones/{zone}/instances/{name}' already exists",
            )  # fmt: skip
        if fault is not None and fault.operation_error:
            return self._operation(
                "insert", (project, zone, name), self.boot, fault.operation_error
            )
        self._insert(project, zone, body, self.boot)
        return self._operation("insert", (project, zone, name), self.boot)

    def act(self, verb: str, ident: tuple[str, str, str]) -> dict[str, Any]:
        """delete, start, stop, reset, suspend, resume: the instance moves on (an operation)."""
        found = self.instances.get(ident)
        if found is None:
            raise Refused(
                404, "notFound", f"The resource 'projects/{ident[0]}/zones/{ident[1]}/instances/"
                f"{ident[2]}' was not found",
            )  # fmt: skip
        status = found["status"]
        steps: list[tuple[str | None, float]] = []
        deleting = any(step is None for _, step in self._plans.get(ident, []))
        if verb == "delete" and not deleting:
            found["status"] = "STOPPING"
            steps = [(None, self.halt)]
        elif verb == "stop" and status not in ("TERMINATED", "STOPPED", "STOPPING"):
            found["status"] = "STOPPING"
            steps = [("TERMINATED", self.halt)]
        elif verb == "suspend" and status not in ("SUSPENDED", "SUSPENDING"):
            # As the Compute API reference documents `instances.suspend` (no recorded reply:
            # its operation is the recorded one's shape): a RUNNING instance only, its memory
            # kept, SUSPENDING -> SUSPENDED; another state is refused as `start` refuses one.
            # One suspended (or suspending) already is left alone, as `stop` leaves a stopped one.
            if status != "RUNNING":
                raise Refused(400, "resourceNotReady", f"The resource '{ident[2]}' is not ready")
            found["status"] = "SUSPENDING"
            steps = [("SUSPENDED", self.halt)]
        elif verb in ("start", "resume") and status != "RUNNING":
            wanted = "SUSPENDED" if verb == "resume" else "TERMINATED"
            if status != wanted:
                raise Refused(400, "resourceNotReady", f"The resource '{ident[2]}' is not ready")
            found["status"] = "STAGING"
            steps = [("RUNNING", self.boot / 2)]
        elif verb == "reset":
            if status != "RUNNING":
                raise Refused(400, "resourceNotReady", f"The resource '{ident[2]}' is not ready")
            found["lastStartTimestamp"] = _stamp(time.time())
        if steps:
            self._schedule(ident, steps)
        return self._operation(verb, ident, self.halt if steps else 0.0)

    def set_labels(self, ident: tuple[str, str, str], body: dict[str, Any]) -> dict[str, Any]:
        """instances.setLabels, as the Compute API reference documents it (no recorded reply:
        its operation is the recorded one's shape): the body's `labels` replace the whole
        label set when its `labelFingerprint` is the instance's current one, else 412
        conditionNotMet; the fingerprint changes with the labels, the status does not."""
        found = self.instances.get(ident)
        if found is None:
            raise Refused(404, "notFound", f"The resource '{ident[2]}' was not found")
        if body.get("labelFingerprint") != found["labelFingerprint"]:
            raise Refused(
                412, "conditionNotMet", "Labels fingerprint either invalid or resource labels "
                "have changed",
            )  # fmt: skip
        labels = {str(k): str(v) for k, v in (body.get("labels") or {}).items()}
        for key, value in labels.items():
            if not (_LABEL_KEY.fullmatch(key) and _LABEL_VALUE.fullmatch(value)):
                raise Refused(400, "invalid", f"Invalid value for label '{key}': '{value}'.")
        found.update(labels=labels, labelFingerprint=label_fingerprint(labels))
        return self._operation("setLabels", ident, 0.0)

    def set_machine_type(self, ident: tuple[str, str, str], body: dict[str, Any]) -> dict[str, Any]:
        """instances.setMachineType, as the Compute API reference documents it ("changes the
        machine type for a stopped instance"): a machine type the zone does not offer is a
        400 invalid; the instance must be TERMINATED, else the call is accepted and its
        operation ends DONE with RESOURCE_NOT_READY (HTTP 400), as the recorded operation
        (`operation_failed`) shows; the new type shows once the operation is DONE."""
        project, zone, name = ident
        found = self.instances.get(ident)
        if found is None:
            raise Refused(404, "notFound", f"The resource '{name}' was not found")
        machine = str(body.get("machineType", "")).rsplit("/", 1)[-1]
        if machine not in {m["name"] for m in recorded("machine_types")["items"]}:
            raise Refused(
                400, "invalid", "Invalid value for field 'resource.machineTypes': 'projects/"
                f"{project}/zones/{zone}/machineTypes/{machine}'. Resource was not found.",
            )  # fmt: skip
        if found["status"] != "TERMINATED":
            return self._operation(
                "setMachineType", ident, self.halt, "RESOURCE_NOT_READY",
                f"The resource 'projects/{project}/zones/{zone}/instances/{name}' is not ready",
            )  # fmt: skip
        url = f"{BASE}/projects/{project}/zones/{zone}/machineTypes/{machine}"
        self._machine_changes[ident] = (time.monotonic() + self.halt, url)
        return self._operation("setMachineType", ident, self.halt)

    def _instance_verb(self, verb: str, ident: tuple[str, str, str], body: bytes) -> dict[str, Any]:
        """setLabels and setMachineType (which have a body), or a verb `act` carries out."""
        if verb == "setLabels":
            return self.set_labels(ident, json.loads(body or b"{}"))
        if verb == "setMachineType":
            return self.set_machine_type(ident, json.loads(body or b"{}"))
        return self.act(verb, ident)

    def listing(self, project: str, zone: str, query: dict[str, str]) -> dict[str, Any]:
        """instances.list: a label filter, `maxResults` and `pageToken` paging."""
        items = [
            doc for (p, z, _), doc in sorted(self.instances.items()) if (p, z) == (project, zone)
        ]
        reply = recorded("list")  # the recorded instances.list reply
        reply.update(
            id=f"projects/{project}/zones/{zone}/instances",
            selfLink=f"{BASE}/projects/{project}/zones/{zone}/instances",
        )
        return _page(reply, _filtered(items, query), query)

    def image_listing(self, project: str, query: dict[str, str]) -> dict[str, Any]:
        """images.list: the recorded images of the project, then its custom images, with
        a label filter, `maxResults` and `pageToken` paging as `instances.list` has."""
        reply = recorded("debian_images" if project == "debian-cloud" else "images")
        items = reply.pop("items", []) + [
            doc for (p, _), doc in sorted(self.custom_images.items()) if p == project
        ]
        return _page(reply, _filtered(items, query), query)

    # -- custom images (`images.insert` from a boot disk, `images.delete`) --

    def insert_image(self, project: str, body: dict[str, Any], force: bool) -> dict[str, Any]:
        """images.insert of an image made from an instance's boot disk, as the Compute API
        reference documents it: a taken name is a 409 alreadyExists; a disk that runs (its
        instance not TERMINATED) is refused with 400 resourceInUseByAnotherResource unless
        `forceCreate` is true (the API's "force image creation"); the image is PENDING,
        READY after `bake` seconds (its global operation DONE then)."""
        name = str(body.get("name", ""))
        if not _NAME.fullmatch(name):
            raise Refused(400, "invalid", f"Invalid value for field 'resource.name': '{name}'.")
        labels = {str(k): str(v) for k, v in (body.get("labels") or {}).items()}
        for key, value in labels.items():
            if not (_LABEL_KEY.fullmatch(key) and _LABEL_VALUE.fullmatch(value)):
                raise Refused(400, "invalid", f"Invalid value for label '{key}': '{value}'.")
        match = _DISK.fullmatch(str(body.get("sourceDisk", "")))
        if match is None or any(body.get(k) for k in ("sourceImage", "sourceSnapshot", "rawDisk")):
            raise Refused(
                400, "invalid", "Invalid resource usage: 'Must specify exactly one source for an "
                "image.'",
            )  # fmt: skip
        disk = f"projects/{match['project'] or project}/zones/{match['zone']}/disks/{match['disk']}"
        owner = self.instances.get((match["project"] or project, match["zone"], match["disk"]))
        if owner is None:  # the peer's disks are its instances' boot disks, named after them
            raise Refused(404, "notFound", f"The resource '{disk}' was not found")
        if owner["status"] not in ("TERMINATED", "STOPPED") and not force:
            raise Refused(
                400, "resourceInUseByAnotherResource", f"The disk resource '{disk}' is already "
                f"being used by '{owner['selfLink'].removeprefix(BASE + '/')}'",
            )  # fmt: skip
        if self.image(f"projects/{project}/global/images/{name}", project) is not None:
            raise Refused(
                409, "alreadyExists",
                f"The resource 'projects/{project}/global/images/{name}' already exists",
            )  # fmt: skip
        doc = recorded("images")["items"][0]  # the recorded custom image made from a disk
        doc.pop("family", None)
        doc.update(
            id=_int64(),
            creationTimestamp=_stamp(time.time()),
            name=name,
            description=str(body.get("description", "")),
            status="PENDING",
            sourceDisk=f"{BASE}/{disk}",
            sourceDiskId=owner["id"],
            selfLink=f"{BASE}/projects/{project}/global/images/{name}",
            labels=labels,
            labelFingerprint=label_fingerprint(labels),
        )
        self.custom_images[(project, name)] = doc
        self._baking[(project, name)] = time.monotonic() + self.bake
        return self._operation("insert", (project, "", name), self.bake)

    def delete_image(self, project: str, name: str) -> dict[str, Any]:
        """images.delete: gone at once (a 404 when there is no such custom image)."""
        if (project, name) not in self.custom_images:
            raise Refused(
                404, "notFound", f"The resource 'projects/{project}/global/images/{name}' was "
                "not found",
            )  # fmt: skip
        operation = self._operation("delete", (project, "", name), 0.0)
        del self.custom_images[(project, name)]
        self._baking.pop((project, name), None)
        return operation

    def image(self, path: str, project: str) -> dict[str, Any] | None:
        """The image a path names (`.../global/images/[family/]N`), if any: a custom one,
        else a recorded one."""
        owner_match = re.search(r"projects/([^/]+)/", path)
        owner = owner_match[1] if owner_match else project
        items = recorded("debian_images" if owner == "debian-cloud" else "images")["items"]
        name = path.rsplit("/", 1)[-1]
        if "/family/" not in path and (owner, name) in self.custom_images:
            return copy.deepcopy(self.custom_images[(owner, name)])
        if "/family/" in path:
            family = [i for i in items if i.get("family") == name and "deprecated" not in i]
            return family[-1] if family else None
        return next((i for i in items if i["name"] == name), None)

    # -- HTTP --

    def _take(self, action: str, rid: str, target: str) -> Fault | None:
        with self.lock:
            fault = self.faults.get(action)
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[action]
            fate = "ok" if fault is None else (fault.reason if not fault.delay else "delayed")
            if fault is not None and fault.operation_error:
                fate = fault.operation_error
            self.calls.append((action, time.monotonic(), fate, rid, target))
            return fault

    def _authorize(self, header: str) -> None:
        if not self.keys:
            return
        token = header.removeprefix("Bearer ").strip()
        try:
            claims = google.auth.jwt.decode(token, certs=list(self.keys.values()), verify=True)
        except (ValueError, google.auth.exceptions.GoogleAuthError):
            raise Refused(
                401, "authError", "Request had invalid authentication credentials. Expected "
                "OAuth 2 access token, login cookie or other valid authentication credential.",
            ) from None  # fmt: skip
        if claims.get("iss") in self.forbidden:
            raise Refused(403, "forbidden", "Required 'compute.instances.list' permission")

    def handle(
        self, method: str, path: str, body: bytes, auth: str
    ) -> tuple[int, Any, Fault | None]:
        """Route one request; return the status, the document and the fault that applied."""
        url = urllib.parse.urlsplit(path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        parts = url.path.removeprefix("/compute/v1/projects/").split("/")
        project, rest = parts[0], parts[1:]
        action, ident = _action(method, project, rest)
        rid = query.get("requestId", "")
        fault = self._take(action, rid, ident[2])
        if action == "zoneOperations.wait" and ident[2] in self.operations:
            op = self.operations[ident[2]]  # wait (at most 2 s) until the operation is DONE
            time.sleep(max(0.0, min(2.0, op.started + op.duration - time.monotonic())))
        if fault is not None and not fault.delay and not fault.operation_error:
            if fault.body_file:
                return fault.status, recorded(fault.body_file), fault
            return fault.status, error_body(fault.status, fault.reason, fault.message), fault
        try:
            self._authorize(auth)
            with self.lock:
                self._settle()
                if rid and rid in self.request_ids:
                    return 200, self._op_view(self.request_ids[rid]), fault
                doc = self._route(action, ident, query, body, fault)
                if rid and doc.get("kind") == "compute#operation":
                    self.request_ids[rid] = doc["name"]
            return 200, doc, fault
        except Refused as refused:
            return refused.code, refused.body, fault

    def _route(
        self,
        action: str,
        ident: tuple[str, str, str],
        query: dict[str, str],
        body: bytes,
        fault: Fault | None,
    ) -> dict[str, Any]:
        project, zone, name = ident
        if action == "instances.list":
            return self.listing(project, zone, query)
        if action == "instances.insert":
            return self.insert(project, zone, json.loads(body or b"{}"), fault)
        if action == "instances.get":
            if ident not in self.instances:
                raise Refused(404, "notFound", f"The resource '{name}' was not found")
            return copy.deepcopy(self.instances[ident])
        if action.startswith("instances."):
            return self._instance_verb(action.removeprefix("instances."), ident, body)
        if action.startswith(("zoneOperations.", "globalOperations.")):
            if name not in self.operations:
                raise Refused(404, "notFound", f"The resource '{name}' was not found")
            return self._op_view(name)
        if action == "machineTypes.list":
            return recorded("machine_types")  # served as recorded
        if action == "machineTypes.get":  # an item of the recorded listing
            offered = [m for m in recorded("machine_types")["items"] if m["name"] == name]
            if not offered:
                raise Refused(
                    404, "notFound", f"The resource 'projects/{project}/zones/{zone}/"
                    f"machineTypes/{name}' was not found",
                )  # fmt: skip
            return dict(offered[0])
        return self._image_verb(action, project, name, query, body)

    def _image_verb(
        self, action: str, project: str, name: str, query: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        """images.list, insert, delete, get and getFromFamily."""
        if action == "images.list":
            return self.image_listing(project, query)
        if action == "images.insert":
            force = query.get("forceCreate", "").lower() == "true"
            return self.insert_image(project, json.loads(body or b"{}"), force)
        if action == "images.delete":
            return self.delete_image(project, name)
        found = self.image(f"projects/{project}/{name}", project)
        if found is None:
            raise Refused(
                404, "notFound", f"The resource 'projects/{project}/{name}' was not found"
            )
        return found

    def start(self) -> None:
        """Listen (again) on the peer's port (a free one the first time)."""
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                auth = self.headers.get("Authorization", "")
                status, doc, fault = peer.handle(self.command, self.path, body, auth)
                if fault is not None and fault.delay:
                    peer._release.wait(fault.delay)
                payload = json.dumps(doc).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            do_GET = do_POST = do_DELETE = _serve

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening: calls now fail to connect, as to an endpoint that is down."""
        with self.lock:
            self._release.set()
            self._release = threading.Event()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _filtered(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """The items whose labels match the `filter` of a list call (`labels.K = "V"` terms)."""
    wanted: dict[str, str] = {}
    text = query.get("filter", "")
    while text.strip():
        match = _TERM.match(text)
        if match is None or not match.group(0):
            raise Refused(400, "invalid", f"Invalid value for field 'filter': '{text}'.")
        wanted[match[1]] = match[2]
        text = text[match.end() :]
    return [d for d in items if all(d.get("labels", {}).get(k) == v for k, v in wanted.items())]


def _page(
    reply: dict[str, Any], items: list[dict[str, Any]], query: dict[str, str]
) -> dict[str, Any]:
    """`reply` (a recorded list reply) holding the page of `items` that `maxResults` and
    `pageToken` ask for, and the next page's token when there is one."""
    size = min(int(query.get("maxResults", 500)), 500)
    start = int(query.get("pageToken") or 0)
    reply["items"] = copy.deepcopy(items[start : start + size])
    if start + size < len(items):
        reply["nextPageToken"] = str(start + size)
    if not reply["items"]:
        del reply["items"]  # GCE leaves an empty list out
    return reply


def _action(method: str, project: str, rest: list[str]) -> tuple[str, tuple[str, str, str]]:
    """The API method a request calls (`instances.insert`...) and its target."""
    if rest[:1] == ["global"]:
        return _global_action(method, project, rest)
    zone, collection, tail = rest[1], rest[2], rest[3:]
    if collection == "operations":
        verb = "wait" if tail[1:] == ["wait"] else "get"
        return f"zoneOperations.{verb}", (project, zone, tail[0])
    if collection == "machineTypes":
        if tail:
            return "machineTypes.get", (project, zone, tail[0])
        return "machineTypes.list", (project, zone, "")
    if not tail:
        return ("instances.insert" if method == "POST" else "instances.list"), (project, zone, "")
    if len(tail) == 2:
        return f"instances.{tail[1]}", (project, zone, tail[0])
    verb = {"GET": "get", "DELETE": "delete"}[method]
    return f"instances.{verb}", (project, zone, tail[0])


def _global_action(method: str, project: str, rest: list[str]) -> tuple[str, tuple[str, str, str]]:
    """The API method of a request for `/global/...`: images and global operations."""
    if rest[1] == "operations":
        return "globalOperations.get", (project, "", rest[2])
    if len(rest) == 2:
        return ("images.insert" if method == "POST" else "images.list"), (project, "", "")
    if method == "DELETE":
        return "images.delete", (project, "", rest[2])
    kind = "images.getFromFamily" if rest[2] == "family" else "images.get"
    return kind, (project, "", "/".join(rest[1:]))
