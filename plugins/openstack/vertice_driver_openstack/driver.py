"""The `openstack` driver's verbs: observe, create, delete, start, stop, reboot, flavors, images
(and the day-2 ones: hard reboot and suspend here, resize and snapshots in
`vertice_driver_openstack.day2`, unmanaged and adopt in `vertice_driver_openstack.adoption`).

One openstacksdk connection per region (see `client`). Every server vertice
creates is named after its key and carries vertice's tags as Nova metadata
(see `translate`). `observe` lists the project's servers with one paged
`GET /servers/detail` (`limit` pages, following `servers_links`), keeping those
with this installation's metadata: Nova cannot filter on metadata.

Nova has no idempotency token for `POST /servers`, so `create` first asks Nova
for the servers named like the assembly's keys (one `GET /servers/detail` with
a `name` filter, and `changes-since` so that the assembly's servers deleted
lately are listed too, with their faults) and returns the live one with the
key. A server of an earlier incarnation of the same instance that Nova put in
ERROR with a terminal fault (an image too big for the flavor, an image Nova
refuses...) fails the create with that fault while it is recent
(`fault_window`) and the spec asks for the same image and flavor: creating
again would end the same way. Otherwise the server is created: the image (a
Glance id, or a name looked up in Glance), the flavor (mapped, named like the
size, or the smallest that fits), the key pair (imported once, named after the
key's digest), the networks, security groups and availability zone, and the
cloud-init user data. Nothing waits for the build.

The verbs read the server first and act on what it shows, so each is
idempotent: a server already stopped is not stopped again, one with a task in
flight (`powering-off`, a reboot) is left to finish it, and a server in ERROR
reports its fault.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import openstack.connection

from vertice_core.driver import (
    TAG_KEY,
    CloudFlavor,
    CloudImage,
    Driver,
    Instance,
    InstanceSpec,
    RegionConfig,
    SizeSpec,
)
from vertice_core.errors import TransientError
from vertice_core.model.status import InstanceState
from vertice_driver_openstack import OpenStackSettings, adoption, day2, is_uuid
from vertice_driver_openstack.client import (
    call,
    fault_error,
    is_not_found,
    make_connection,
    region_name_of,
)
from vertice_driver_openstack.states import is_gone
from vertice_driver_openstack.translate import (
    create_attrs,
    fault_created,
    first_incarnation,
    flavor_for,
    image_ref,
    instance_of,
    is_ours,
    key_pair_name,
    name_pattern,
    newest_active,
    server_fields,
    slot_of,
)

#: Glance images per page of `images()`.
IMAGE_PAGE = 100
#: How Nova takes a time (`changes-since`).
_NOVA_TIME = "%Y-%m-%dT%H:%M:%SZ"
#: The statuses of a server that runs nothing: `stop` and `suspend` leave it alone.
_AT_REST: dict[str, str | None] = dict.fromkeys(
    ("SHUTOFF", "PAUSED", "SUSPENDED", "SHELVED", "SHELVED_OFFLOADED")
)


class OpenStackDriver(Driver):
    """The `openstack` driver: Nova servers through openstacksdk."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: OpenStackSettings = region.settings
        self.conn: openstack.connection.Connection = make_connection(region)
        self._proxies: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- the SDK's service proxies (made once; their first use discovers versions) --

    def _proxy(self, service: str) -> Any:
        with self._lock:
            if service not in self._proxies:
                self._proxies[service] = call(f"{service} endpoint", lambda: self._make(service))
            return self._proxies[service]

    def _make(self, service: str) -> Any:
        # The catalog first: the SDK would stand a disabled proxy in for a service it lacks
        # (for good), where keystoneauth raises EndpointNotFound (and a later call may
        # find a catalog that has it).
        self.conn.session.get_endpoint(
            service_type=service,
            interface=self.settings.interface,
            region_name=region_name_of(self.region) or None,
        )
        return getattr(self.conn, service)

    @property
    def compute(self) -> Any:
        return self._proxy("compute")

    @property
    def image(self) -> Any:
        return self._proxy("image")

    # -- reading --

    def servers(self, **query: Any) -> list[dict[str, Any]]:
        """The project's servers (narrowed by Nova's `query` filters), page by page."""
        size = self.settings.page_size
        listing = call(
            "GET /servers/detail",
            lambda: [
                server_fields(s) for s in self.compute.servers(details=True, limit=size, **query)
            ],
        )
        # Each server once, whatever a page boundary did (a server listed on two pages).
        return list({server["id"]: server for server in listing}.values())

    def observe(self) -> list[Instance]:
        """Every server of this installation, all states, in one paged listing."""
        installation = self.region.installation_id
        found = (instance_of(server, installation) for server in self.servers())
        return [instance for instance in found if instance is not None]

    def server(self, cloud_id: str) -> dict[str, Any] | None:
        """The server's fields; None when Nova does not know it (any more)."""
        try:
            found = call(
                f"GET /servers/{cloud_id}",
                lambda: server_fields(self.compute.get_server(cloud_id)),
            )
        except TransientError as error:
            if is_not_found(error):
                return None
            raise
        return found

    # -- create --

    def create(self, spec: InstanceSpec) -> Instance:
        """Create the server of `spec.key`, or return the live one that has the key.

        The key is looked up only when an earlier attempt may have created it
        (`spec.maybe_created`), and the recent faults only of a later incarnation: the
        first create of a first incarnation makes no listing."""
        installation = self.region.installation_id
        named = name_pattern(f"{spec.assembly_id}-")
        mine = (
            [s for s in self.servers(name=named) if is_ours(s, installation)]
            if spec.maybe_created
            else []
        )
        for server in mine:
            key = server["metadata"][TAG_KEY]
            if key == spec.key and not is_gone(server["status"], server["task_state"]):
                found = instance_of(server, installation)
                assert found is not None  # is_ours held
                return found
        image_id, flavor = self._image_id(spec), self.nova_flavor(spec.size)
        if self.settings.fault_window > 0 and not first_incarnation(spec.key, spec.assembly_id):
            # The assembly's servers deleted lately too (Nova lists them, with their
            # faults, to a listing with `changes-since`).
            since = datetime.now(UTC) - timedelta(seconds=self.settings.fault_window)
            changed = self.servers(name=named, changes_since=since.strftime(_NOVA_TIME))
            mine += [s for s in changed if is_ours(s, installation)]
            self._refuse_after_terminal_fault(spec, mine, image_id, flavor)
        key_name = self._key_pair(spec.ssh_public_key)
        attrs = create_attrs(
            spec, self.settings, image_id=image_id, flavor_id=flavor["id"], key_name=key_name
        )
        made = call("POST /servers", lambda: self.compute.create_server(**attrs))
        return Instance(
            key=spec.key,
            cloud_id=str(made.id),
            state=InstanceState.PENDING,
            tags=dict(spec.tags),
            created_at=datetime.now(UTC),
        )

    def _refuse_after_terminal_fault(
        self,
        spec: InstanceSpec,
        mine: list[dict[str, Any]],
        image_id: str,
        flavor: dict[str, Any],
    ) -> None:
        """Raise the fault of a recent broken server of the same instance, when it is
        terminal and the spec still asks for what broke it (same image and flavor)."""
        slot = slot_of(spec.key, spec.assembly_id)
        horizon = datetime.now(UTC) - timedelta(seconds=self.settings.fault_window)
        broken = []
        for server in mine:
            key = server["metadata"][TAG_KEY]
            when = fault_created(server["fault"])
            if (
                key != spec.key
                and slot is not None
                and slot_of(key, spec.assembly_id) == slot
                and server["status"] in ("ERROR", "DELETED")
                and server["fault"]
                and when is not None
                and when >= horizon
            ):
                broken.append((when, server))
        if not broken:
            return
        _, last = max(broken, key=lambda pair: pair[0])
        error = fault_error(last["fault"], last["id"])
        same = last["image_id"] in ("", image_id) and last["flavor_name"] in (
            "",
            flavor["name"],
            flavor["id"],
        )
        if same and not isinstance(error, TransientError):
            raise type(error)(
                f"{error.message}; the image and flavor are the same: change the assembly "
                "(or its plan) to try again",
                reason=error.reason,
            )

    def _image_id(self, spec: InstanceSpec) -> str:
        if spec.image_id:
            return spec.image_id  # a snapshot's Glance id, as `day2.snapshot` gave it
        kind, value = image_ref(spec, self.settings)
        if kind == "id":
            return value
        images = call(
            "GET /v2/images",
            lambda: [
                {"id": i.id, "name": i.name, "status": i.status, "created_at": i.created_at}
                for i in self.image.images(name=value)
            ],
        )
        return newest_active(images, value)

    def nova_flavor(self, size: SizeSpec) -> dict[str, Any]:
        """The Nova flavor (id, name...) a size is created (or resized) with."""
        flavors = self._nova_flavors()
        flavor_id = flavor_for(size, self.settings, flavors)
        return next(f for f in flavors if f["id"] == flavor_id)

    def _nova_flavors(self) -> list[dict[str, Any]]:
        return call(
            "GET /flavors/detail",
            lambda: [
                {
                    "id": str(f.id),
                    "name": f.name,
                    "vcpus": f.vcpus,
                    "ram": f.ram,
                    "disk": f.disk,
                    "is_disabled": bool(f.is_disabled),
                }
                for f in self.compute.flavors(details=True)
            ],
        )

    def _key_pair(self, public_key: str) -> str | None:
        """The Nova key pair of the spec's SSH key, imported if Nova has none of that name."""
        if not (public_key.strip() and self.settings.import_key_pairs):
            return None
        name = key_pair_name(public_key)
        try:
            call(f"GET /os-keypairs/{name}", lambda: self.compute.get_keypair(name))
        except TransientError as error:
            if not is_not_found(error):
                raise
            try:
                call(
                    "POST /os-keypairs",
                    lambda: self.compute.create_keypair(name=name, public_key=public_key.strip()),
                )
            except TransientError as conflict:
                if conflict.reason != "Conflict":  # imported meanwhile by another call
                    raise
        return name

    # -- the verbs on one server --

    def delete(self, cloud_id: str) -> None:
        """Delete the server; one Nova does not know (or is deleting) is deleted already."""
        server = self.server(cloud_id)
        if server is None or server["task_state"] in ("deleting", "soft-deleting"):
            return
        try:
            call(
                f"DELETE /servers/{cloud_id}",
                lambda: self.compute.delete_server(cloud_id, ignore_missing=True),
            )
        except TransientError as error:
            if not is_not_found(error):
                raise

    def _act(self, cloud_id: str, verb: str, decide: Callable[[str], str | None]) -> None:
        server = self.server(cloud_id)
        if server is None or is_gone(server["status"], server["task_state"]):
            raise TransientError(
                f"openstack: {verb}: server {cloud_id} does not exist (or is being deleted)",
                reason="InstanceNotFound",
            )
        if server["status"] == "ERROR":
            raise fault_error(server["fault"], cloud_id)
        if server["task_state"] is not None:
            return  # something is in flight (the last stop, start...): the next look tells
        method = decide(str(server["status"]))
        if method is None:
            return
        sdk_method, arguments = self._arguments(method)
        try:
            call(
                f"POST /servers/{cloud_id}/action ({verb})",
                lambda: getattr(self.compute, sdk_method)(cloud_id, **arguments),
            )
        except TransientError as error:
            if is_not_found(error):
                raise TransientError(error.message, reason="InstanceNotFound") from None
            if error.reason == "Conflict":  # its state moved since we looked: look again
                raise TransientError(error.message, reason="IncorrectInstanceState") from None
            raise

    def _arguments(self, method: str) -> tuple[str, dict[str, Any]]:
        """The SDK's method for `method` (a `hard_reboot` is its `reboot_server`) and its
        arguments."""
        if method == "reboot_server":
            return method, {"reboot_type": self.settings.reboot_type}
        if method == "hard_reboot":
            return "reboot_server", {"reboot_type": "HARD"}
        return method, {}

    def start(self, cloud_id: str) -> None:
        """Start a stopped server (unpause, resume, unshelve the others); a running one is
        left alone."""
        methods = {
            "ACTIVE": None,
            "SHUTOFF": "start_server",
            "PAUSED": "unpause_server",
            "SUSPENDED": "resume_server",
            "SHELVED": "unshelve_server",
            "SHELVED_OFFLOADED": "unshelve_server",
        }
        self._act(cloud_id, "start", lambda status: _pick(methods, status, cloud_id, "start"))

    def stop(self, cloud_id: str) -> None:
        """Stop a running server (`os-stop`); one that runs nothing already is left alone."""
        methods = {"ACTIVE": "stop_server", **_AT_REST}
        self._act(cloud_id, "stop", lambda status: _pick(methods, status, cloud_id, "stop"))

    def suspend(self, cloud_id: str) -> None:
        """Suspend a running server (Nova's `suspend`: its memory saved with it, status
        SUSPENDED, which `start` resumes); one that runs nothing already is left alone."""
        methods = {"ACTIVE": "suspend_server", **_AT_REST}
        self._act(cloud_id, "suspend", lambda status: _pick(methods, status, cloud_id, "suspend"))

    def reboot(self, cloud_id: str) -> None:
        """Reboot a running server in place (`reboot_type`: same id, disk and addresses)."""
        methods = {"ACTIVE": "reboot_server", "REBOOT": None, "HARD_REBOOT": None}
        self._act(cloud_id, "reboot", lambda status: _pick(methods, status, cloud_id, "reboot"))

    def hard_reboot(self, cloud_id: str) -> None:
        """Reboot a running server the HARD way (a power cycle: its system is not asked);
        a stopped one is left alone."""
        methods = {"ACTIVE": "hard_reboot", "HARD_REBOOT": None, "SHUTOFF": None}
        self._act(
            cloud_id, "hard_reboot", lambda status: _pick(methods, status, cloud_id, "reboot")
        )

    # -- day-2 operations (`day2`) --

    def resize(self, cloud_id: str, size: SizeSpec) -> None:
        """Resize with Nova's resize and confirmResize (it keeps the power state)."""
        day2.resize(self, cloud_id, size)

    def snapshot(self, cloud_id: str, name: str) -> CloudImage:
        return day2.snapshot(self, cloud_id, name)

    def snapshots(self) -> list[CloudImage]:
        return day2.snapshots(self)

    def delete_snapshot(self, image_id: str) -> None:
        day2.delete_snapshot(self, image_id)

    def unmanaged(self) -> list[Instance]:
        """The project's live servers without vertice's metadata (one paged listing)."""
        return adoption.listing(self)

    def adopt(self, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Merge `tags` into the server's metadata (no reboot; its own metadata stays)."""
        return adoption.adopt(self, cloud_id, tags)

    # -- what the cloud offers --

    def flavors(self) -> list[CloudFlavor]:
        """Nova's enabled flavors, smallest first."""
        flavors = [
            CloudFlavor(
                name=str(f["name"]),
                cpu=int(f["vcpus"] or 0),
                ram=int(f["ram"] or 0),
                disk=int(f["disk"] or 0),
            )
            for f in self._nova_flavors()
            if not f["is_disabled"]
        ]
        return sorted(flavors, key=lambda f: (f.cpu, f.ram, f.disk, f.name))

    def images(self) -> list[CloudImage]:
        """The mapped images (named by their plan image), then Glance's active images."""
        listing = call(
            "GET /v2/images",
            lambda: [
                (str(i.id), str(i.name or i.id), str(i.status or ""))
                for i in self.image.images(limit=IMAGE_PAGE)
            ],
        )
        by_id = {ident: name for ident, name, status in listing if status == "active"}
        by_name = {name: ident for ident, name in by_id.items()}
        images: dict[str, CloudImage] = {}
        for plan_image, target in sorted(self.settings.images.items()):
            ident = target if is_uuid(target) else by_name.get(target)
            if ident is not None:
                images[ident] = CloudImage(
                    id=ident, name=plan_image, description=by_id.get(ident, target)
                )
        for ident, name in by_id.items():
            images.setdefault(ident, CloudImage(id=ident, name=name))
        return list(images.values())

    def close(self) -> None:
        """Close the HTTP connections to the region's services (the requests session is
        the driver's own, which openstacksdk leaves open)."""
        self.conn.close()
        self.conn.session.session.close()


def _pick(methods: dict[str, str | None], status: str, cloud_id: str, verb: str) -> str | None:
    if status not in methods:
        raise TransientError(
            f"openstack: cannot {verb} server {cloud_id} while its status is {status}; "
            "retrying once it settles",
            reason="IncorrectInstanceState",
        )
    return methods[status]
