"""The `example` driver's verbs: observe, create, delete, start, stop, reboot, flavors, images.

The shape every driver follows: hold the SDK client, translate the cloud's
states and errors at this edge, and let the reconciler own status, retries
and polling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from vertice_core.driver import (
    TAG_INSTALLATION,
    TAG_KEY,
    CloudFlavor,
    CloudImage,
    Driver,
    Instance,
    InstanceSpec,
    RegionConfig,
)
from vertice_core.errors import AuthFailed, TerminalError, TransientError
from vertice_core.model.status import InstanceState
from vertice_driver_example import ExampleCredentials, ExampleSettings
from vertice_driver_example.backend import ACCOUNTS, BackendError, Cloud, Machine
from vertice_drivers.cloudinit import cloud_config

T = TypeVar("T")

#: The cloud's states, mapped onto the core's one small set.
STATES = {
    "running": InstanceState.RUNNING,
    "stopped": InstanceState.STOPPED,
    "terminated": InstanceState.TERMINATED,
}


def call(fn: Callable[[], T]) -> T:
    """Run one cloud call, translating its errors: nothing above a driver sees SDK types."""
    try:
        return fn()
    except BackendError as exc:
        if exc.code == "Unauthorized":
            raise AuthFailed(f"example: {exc}") from None
        if exc.code == "NotFound":
            raise TerminalError(f"example: {exc}", reason="NotFound") from None
        raise TransientError(f"example: {exc}") from None


class ExampleDriver(Driver):
    """The `example` driver."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: ExampleSettings = region.settings
        credentials: ExampleCredentials = region.credentials
        self.key = credentials.api_key
        self.cloud = ACCOUNTS.setdefault(self.settings.account, Cloud())

    def _instance(self, machine: Machine) -> Instance:
        return Instance(
            key=machine.labels.get(TAG_KEY, ""),
            cloud_id=machine.id,
            state=STATES.get(machine.state, InstanceState.UNKNOWN),
            private_ipv4=machine.address,
            tags=dict(machine.labels),
        )

    def observe(self) -> Iterator[Instance]:
        """Every instance of this installation: one paged listing filtered by its tag."""
        page = 0
        while True:
            machines = call(self._lister(page))
            yield from (self._instance(m) for m in machines)
            if len(machines) < self.settings.page_size:
                return
            page += 1

    def _lister(self, page: int) -> Callable[[], list[Machine]]:
        size, installation = self.settings.page_size, self.region.installation_id
        return lambda: self.cloud.list(self.key, TAG_INSTALLATION, installation, page, size)

    def create(self, spec: InstanceSpec) -> Instance:
        """Start the instance of `spec.key`; the key is the cloud's idempotency token."""
        labels = {**spec.tags, TAG_KEY: spec.key}
        # cloud-init user data: the SSH key, the root password, node_exporter if asked.
        data = cloud_config(spec) or ""
        return self._instance(call(lambda: self.cloud.run(self.key, spec.key, labels, data)))

    def delete(self, cloud_id: str) -> None:
        """Terminate; an instance already gone is a success."""
        try:
            call(lambda: self.cloud.act(self.key, cloud_id, "terminate"))
        except TerminalError as exc:
            if exc.reason != "NotFound":
                raise

    def start(self, cloud_id: str) -> None:
        """Start a stopped instance."""
        call(lambda: self.cloud.act(self.key, cloud_id, "start"))

    def stop(self, cloud_id: str) -> None:
        """Stop a running instance."""
        call(lambda: self.cloud.act(self.key, cloud_id, "stop"))

    def reboot(self, cloud_id: str) -> None:
        """Reboot in place."""
        call(lambda: self.cloud.act(self.key, cloud_id, "reboot"))

    def flavors(self) -> list[CloudFlavor]:
        """The sizes the example cloud offers."""
        return [
            CloudFlavor("example.small", 1, 1024, 10),
            CloudFlavor("example.large", 4, 8192, 80),
        ]

    def images(self) -> list[CloudImage]:
        """The images the example cloud offers."""
        return [CloudImage("example-ubuntu", "1_virtualmachine_ubuntu", "Ubuntu (example)")]

    def launch_data(self, cloud_id: str) -> str:
        """What an instance received at launch (the contract checks the credential arrives)."""
        return self.cloud.machines[cloud_id].user_data
