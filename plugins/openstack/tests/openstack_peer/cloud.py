"""The peer's memory: one project's servers, key pairs, flavors and images, and their clock.

Servers move as Nova moves them, with time (`boot`, `halt` seconds):

* create: BUILD (task `scheduling`, then `spawning`) -> ACTIVE, or ERROR with a `fault`
  when a build failure was asked for (`fail_builds`);
* `os-stop`: ACTIVE (task `powering-off`) -> SHUTOFF; `os-start`: SHUTOFF (task
  `powering-on`) -> ACTIVE; `reboot`: REBOOT or HARD_REBOOT -> ACTIVE;
* `suspend`: ACTIVE (task `suspending`) -> SUSPENDED (vm_state `suspended`, powered
  off: its memory is on disk); `resume`: SUSPENDED (task `resuming`) -> ACTIVE, where
  it was: a resume is no boot and no reboot (`reboots` stays);
* metadata: merged in place (`POST /servers/{id}/metadata`), no reboot, no state change;
* delete: task `deleting` -> gone. A deleted server is still listed to a listing with
  `changes-since` (status DELETED, with its fault), as Nova lists it.

Actions are refused as Nova refuses them (409 `conflictingRequest`: "Cannot 'os-stop'
instance ... while it is in vm_state stopped", or in a task state). Creates are checked
as Nova checks them: the image, the flavor, the key pair, the networks, the instance
quota (403 "Quota exceeded for instances").
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

#: Nova's power states (`nova/compute/power_state.py`).
NOSTATE, RUNNING, SHUTDOWN = 0, 1, 4
#: The network every server is attached to, and the prefix of its fixed addresses.
NETWORK_NAME, NETWORK_ID = "private", "3cb9bc59-5699-4588-a4b1-b87f96708bc6"


class NovaError(Exception):
    """A synchronous fault Nova answers with: HTTP status and message."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def iso(moment: float) -> str:
    """A wall-clock time as Nova prints it (`2013-09-03T04:01:32Z`)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@attrs.define(eq=False)
class Server:
    """One server of the project."""

    id: str
    name: str
    metadata: dict[str, str]
    flavor: dict[str, Any]
    image_id: str
    key_name: str | None
    user_data: str
    admin_pass: str
    security_groups: list[str]
    zone: str
    address: str
    mac: str
    created: float
    updated: float
    status: str = "BUILD"
    task_state: str | None = "scheduling"
    vm_state: str = "building"
    power_state: int = NOSTATE
    launched: float | None = None
    deleted: float | None = None
    fault: tuple[int, str, float] | None = None
    #: The change in flight: (monotonic time it completes, what completes).
    pending: tuple[float, str] | None = None
    #: How the pending build ends: None (ACTIVE) or the fault (code, message).
    build_fault: tuple[int, str] | None = None
    reboots: int = 0
    #: Actions acknowledged (202) and not carried out.
    ignored: set[str] = attrs.Factory(set)

    @property
    def gone(self) -> bool:
        return self.deleted is not None

    def set(self, status: str, vm_state: str, power: int, task: str | None = None) -> None:
        self.status, self.vm_state, self.power_state, self.task_state = (
            status,
            vm_state,
            power,
            task,
        )
        self.updated = time.time()


@attrs.define
class Cloud:
    """The project's resources, guarded by one lock; `tick()` moves servers with time."""

    #: Nova's flavors and Glance's images (the recorded ones).
    flavors: list[dict[str, Any]]
    images: list[dict[str, Any]]
    #: Seconds a build (or a start, a reboot) takes, and a stop or a delete.
    boot: float = 0.2
    halt: float = 0.1
    #: The project's instance quota (None: no limit).
    max_instances: int | None = None
    servers: dict[str, Server] = attrs.Factory(dict)
    keypairs: dict[str, dict[str, Any]] = attrs.Factory(dict)
    #: Networks a create may name (the project's).
    networks: set[str] = attrs.Factory(lambda: {NETWORK_ID})
    #: Faults the next builds end in, one each: (code, message).
    build_faults: list[tuple[int, str]] = attrs.Factory(list)
    lock: threading.RLock = attrs.Factory(threading.RLock)
    _addresses: int = 0

    def reset(self) -> None:
        with self.lock:
            self.servers.clear()
            self.keypairs.clear()
            self.build_faults.clear()
            self.max_instances = None
            self.boot, self.halt = 0.2, 0.1
            self._addresses = 0

    # -- time --

    def tick(self) -> None:
        """Complete every change whose time has come."""
        now = time.monotonic()
        with self.lock:
            for server in list(self.servers.values()):
                if server.pending is not None and server.pending[0] <= now:
                    _, what = server.pending
                    server.pending = None
                    self._complete(server, what)
                elif server.pending is not None and server.task_state == "scheduling":
                    server.task_state = "spawning"

    def _complete(self, server: Server, what: str) -> None:
        if what == "build":
            if server.build_fault is not None:
                code, message = server.build_fault
                server.fault = (code, message, time.time())
                server.set("ERROR", "error", NOSTATE)
                return
            server.launched = time.time()
            server.set("ACTIVE", "active", RUNNING)
        elif what in ("start", "reboot", "resume"):
            server.set("ACTIVE", "active", RUNNING)
        elif what == "stop":
            server.set("SHUTOFF", "stopped", SHUTDOWN)
        elif what == "suspend":
            server.set("SUSPENDED", "suspended", SHUTDOWN)
        elif what == "delete":
            server.set("DELETED", "deleted", NOSTATE)
            server.deleted = time.time()

    def _after(self, server: Server, seconds: float, what: str) -> None:
        server.pending = (time.monotonic() + seconds, what)

    # -- reading --

    def live(self) -> list[Server]:
        """The servers not deleted, newest first (Nova's default order)."""
        with self.lock:
            return sorted(
                (s for s in self.servers.values() if not s.gone),
                key=lambda s: (s.created, s.id),
                reverse=True,
            )

    def listed(self, *, name: str | None, since: float | None) -> list[Server]:
        """What `GET /servers/detail` lists: `name` a regular expression searched in the
        name; with `since`, deleted servers changed since then too. Newest first."""
        self.tick()
        pattern = re.compile(name) if name else None
        with self.lock:
            found = [
                s
                for s in self.servers.values()
                if (not s.gone or (since is not None and s.updated >= since))
                and (since is None or s.updated >= since)
                and (pattern is None or pattern.search(s.name))
            ]
        return sorted(found, key=lambda s: (s.created, s.id), reverse=True)

    def get(self, server_id: str) -> Server:
        self.tick()
        with self.lock:
            server = self.servers.get(server_id)
            if server is None or server.gone:
                raise NovaError(404, f"Instance {server_id} could not be found.")
            return server

    def flavor(self, ref: str) -> dict[str, Any]:
        for flavor in self.flavors:
            if ref in (flavor["id"], flavor["links"][0]["href"]):
                return flavor
        raise NovaError(400, f"Flavor {ref} could not be found.")

    # -- creating --

    def create(self, body: dict[str, Any], user_id: str) -> Server:
        """A new server from a `POST /servers` body, checked as Nova checks it."""
        server = body.get("server")
        if not isinstance(server, dict) or not server.get("name"):
            raise NovaError(400, "Invalid input for field/attribute server.")
        image = str(server.get("imageRef") or "")
        status = {i["id"]: i.get("status") for i in self.images}
        if image not in status:
            raise NovaError(400, "Can not find requested image")
        if status[image] != "active":
            raise NovaError(400, f"Image {image} is not active.")
        flavor = self.flavor(str(server.get("flavorRef") or ""))
        key_name = server.get("key_name")
        if key_name is not None and key_name not in self.keypairs:
            raise NovaError(400, "Invalid key_name provided.")
        networks = server.get("networks")
        if isinstance(networks, list):
            for network in networks:
                if network.get("uuid") not in self.networks:
                    raise NovaError(400, f"Network {network.get('uuid')} could not be found.")
        elif networks not in ("auto", "none", None):
            raise NovaError(400, "Invalid input for field/attribute networks.")
        metadata = server.get("metadata") or {}
        if any(len(k) > 255 or len(str(v)) > 255 for k, v in metadata.items()):
            raise NovaError(400, "Invalid input for field/attribute metadata.")
        try:
            user_data = base64.b64decode(server.get("user_data") or "", validate=True).decode()
        except ValueError:
            raise NovaError(400, "User data needs to be valid base 64.") from None
        with self.lock:
            used = len(self.live())
            if self.max_instances is not None and used + 1 > self.max_instances:
                raise NovaError(
                    403,
                    f"Quota exceeded for instances: Requested 1, but already used {used} of "
                    f"{self.max_instances} instances",
                )
            self._addresses += 1
            now = time.time()
            made = Server(
                id=str(uuid.uuid4()),
                name=str(server["name"]),
                metadata={str(k): str(v) for k, v in metadata.items()},
                flavor=flavor,
                image_id=image,
                key_name=key_name,
                user_data=user_data,
                admin_pass=secrets.token_urlsafe(9),
                security_groups=[g["name"] for g in server.get("security_groups") or []]
                or ["default"],
                zone=str(server.get("availability_zone") or "nova"),
                address=f"192.168.{1 + self._addresses // 250}.{10 + self._addresses % 250}",
                mac=f"fa:16:3e:{self._addresses >> 16 & 255:02x}:"
                f"{self._addresses >> 8 & 255:02x}:{self._addresses & 255:02x}",
                created=now,
                updated=now,
            )
            made.build_fault = self.build_faults.pop(0) if self.build_faults else None
            self._after(made, self.boot, "build")
            self.servers[made.id] = made
            return made

    # -- acting --

    def action(
        self, server_id: str, body: dict[str, Any], names: dict[str, str]
    ) -> tuple[int, Any] | None:
        """`POST /servers/{id}/action` (the actions `names` gives: those of the recorded
        samples, and the documented ones no sample shows): the reply's status and body when
        it is not 202 without one."""
        if len(body) != 1 or next(iter(body)) not in names:
            raise NovaError(400, "There is no such action: " + ", ".join(sorted(body)))
        ((action, argument),) = body.items()
        with self.lock:
            server = self.get(server_id)
            verb = names[action]
            if server.task_state is not None:
                raise NovaError(
                    409,
                    f"Cannot '{action}' instance {server_id} while it is in task_state "
                    f"{server.task_state}",
                )
            if action in server.ignored:
                return None
            reply: tuple[int, Any] | None = getattr(self, f"_{verb}")(server, action, argument)
            return reply

    def _refuse(self, server: Server, action: str) -> NovaError:
        return NovaError(
            409,
            f"Cannot '{action}' instance {server.id} while it is in vm_state {server.vm_state}",
        )

    def _start(self, server: Server, action: str, _argument: Any) -> None:
        if server.vm_state != "stopped":
            raise self._refuse(server, action)
        server.task_state = "powering-on"
        self._after(server, self.boot, "start")

    def _stop(self, server: Server, action: str, _argument: Any) -> None:
        if server.vm_state not in ("active", "error"):
            raise self._refuse(server, action)
        server.task_state = "powering-off"
        self._after(server, self.halt, "stop")

    def _suspend(self, server: Server, action: str, argument: Any) -> None:
        """Nova's `suspend` (`{"suspend": null}`), of an ACTIVE server only."""
        self._null_argument(action, argument)
        if server.vm_state != "active":
            raise self._refuse(server, action)
        server.task_state = "suspending"
        self._after(server, self.halt, "suspend")

    def _resume(self, server: Server, action: str, argument: Any) -> None:
        """Nova's `resume` (`{"resume": null}`), of a SUSPENDED server only."""
        self._null_argument(action, argument)
        if server.vm_state != "suspended":
            raise self._refuse(server, action)
        server.task_state = "resuming"
        self._after(server, self.boot, "resume")

    @staticmethod
    def _null_argument(action: str, argument: Any) -> None:
        """Refuse what Nova's request schema refuses of an action whose body is `null`."""
        if argument is not None:
            raise NovaError(400, f"Invalid input for field/attribute {action}.")

    def _reboot(self, server: Server, action: str, argument: Any) -> None:
        kind = (argument or {}).get("type")
        if kind not in ("SOFT", "HARD"):
            raise NovaError(400, "Invalid input for field/attribute type.")
        allowed = ("active",) if kind == "SOFT" else ("active", "stopped", "error")
        if server.vm_state not in allowed:
            raise self._refuse(server, action)
        server.reboots += 1
        if kind == "SOFT":
            server.set("REBOOT", server.vm_state, server.power_state, "reboot_started")
        else:
            server.set("HARD_REBOOT", server.vm_state, server.power_state, "reboot_started_hard")
        self._after(server, self.boot, "reboot")

    def update_metadata(self, server_id: str, items: dict[str, str]) -> dict[str, str]:
        """`POST /servers/{id}/metadata`: merge `items` into the server's metadata (the
        rest stays; nothing else changes, the server is not rebooted) and return all of
        it. Refused as Nova's `update_instance_metadata` refuses: in a vm_state other
        than active, paused, suspended or stopped, or with a task in flight (409)."""
        if any(not k or len(k) > 255 or len(v) > 255 for k, v in items.items()):
            raise NovaError(400, "Invalid input for field/attribute metadata.")
        with self.lock:
            server = self.get(server_id)
            if server.task_state is not None:
                raise NovaError(
                    409,
                    f"Cannot 'update_instance_metadata' instance {server_id} while it is in "
                    f"task_state {server.task_state}",
                )
            if server.vm_state not in ("active", "paused", "suspended", "stopped"):
                raise self._refuse(server, "update_instance_metadata")
            server.metadata.update(items)
            server.updated = time.time()
            return dict(server.metadata)

    def delete(self, server_id: str) -> None:
        """`DELETE /servers/{id}`: allowed in every state; gone after `halt` seconds."""
        with self.lock:
            server = self.get(server_id)
            if "delete" in server.ignored:
                return
            server.task_state = "deleting"
            server.updated = time.time()
            self._after(server, self.halt, "delete")

    # -- key pairs --

    def import_keypair(self, body: dict[str, Any], user_id: str) -> dict[str, Any]:
        pair = body.get("keypair")
        if not isinstance(pair, dict) or not pair.get("name") or not pair.get("public_key"):
            raise NovaError(400, "Invalid input for field/attribute keypair.")
        name, public_key = str(pair["name"]), str(pair["public_key"])
        if not re.fullmatch(r"[A-Za-z0-9 _.@-]{1,255}", name):
            raise NovaError(400, "Keypair data is invalid: Keypair name contains unsafe characters")
        if not re.fullmatch(
            r"(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+) [A-Za-z0-9+/=]+( .*)?", public_key
        ):
            raise NovaError(400, "Keypair data is invalid: failed to generate fingerprint")
        with self.lock:
            if name in self.keypairs:
                raise NovaError(409, f"Key pair '{name}' already exists.")
            digest = uuid.uuid5(uuid.NAMESPACE_OID, public_key).hex[:32]
            made = {
                "name": name,
                "public_key": public_key,
                "type": str(pair.get("type") or "ssh"),
                "user_id": user_id,
                "fingerprint": ":".join(digest[i : i + 2] for i in range(0, 32, 2)),
                "created_at": datetime.now(UTC).isoformat().replace("+00:00", ""),
                "id": len(self.keypairs) + 1,
            }
            self.keypairs[name] = made
            return made

    def keypair(self, name: str) -> dict[str, Any]:
        with self.lock:
            if name not in self.keypairs:
                raise NovaError(404, f"Keypair {name} not found for user")
            return self.keypairs[name]

    # -- tests --

    def plant(self, name: str, metadata: dict[str, str], *, booted: bool = True) -> Server:
        """A server made behind vertice's back (by a person, another tool)."""
        body = {
            "server": {
                "name": name,
                "imageRef": self.images[0]["id"],
                "flavorRef": self.flavors[0]["id"],
                "metadata": metadata,
            }
        }
        server = self.create(body, user_id="someone")
        if booted:
            with self.lock:
                server.pending = None
                self._complete(server, "build")
        return server

    def when(self, check: Callable[[], bool], timeout: float = 5.0) -> None:
        """Tick until `check()` holds (for tests that wait on the cloud itself)."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError("the peer's cloud did not get there in time")
            self.tick()
            time.sleep(0.01)
