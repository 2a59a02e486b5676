"""The docker driver passes the driver contract (vertice_drivers.testkit) against a real engine."""

from __future__ import annotations

import io
import tarfile

import pytest

from vertice_core.driver import SizeSpec
from vertice_drivers.testkit import DriverContract, default_spec


def read_file(driver, cloud_id: str, path: str) -> str:
    """A file of the container's filesystem, read through the engine ('' if missing)."""
    import docker.errors

    try:
        stream, _ = driver.engine.client().api.get_archive(cloud_id, path)
    except docker.errors.NotFound:
        return ""
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        (member,) = archive.getmembers()
        handle = archive.extractfile(member)
        assert handle is not None
        return handle.read().decode()


class TestDockerContract(DriverContract):
    settle_timeout = 30.0
    settle_interval = 0.1

    @pytest.fixture
    def driver(self, make_driver):
        return make_driver()

    @pytest.fixture
    def make_spec(self, driver, busybox_image):
        def make(key, **changes):
            changes.setdefault("image", busybox_image)
            changes.setdefault("size", SizeSpec("small", 1, 256, 0))
            return default_spec(driver.region.installation_id, key, **changes)

        return make

    @pytest.fixture
    def other_size(self, driver):
        """A size the contract's instances (1 CPU, 256 MiB) are resized to and back: more
        memory, and 2 CPUs where the engine has them."""
        cpus, _ = driver.capacity()
        return SizeSpec("medium", min(cpus, 2), 512, 0)

    @pytest.fixture
    def size_of(self, engine_client):
        """The CPU and memory limits of the container, read from the engine (`docker
        inspect`), not through the driver: the listing the driver reads shows none, so its
        `Instance.size` is ''."""

        def size(instance):
            limits = engine_client.api.inspect_container(instance.cloud_id)["HostConfig"]
            if limits["NanoCpus"]:
                cpus = limits["NanoCpus"] / 1e9
            else:  # a container limited by a CFS quota (the kernel's period: 100 ms)
                cpus = limits["CpuQuota"] / (limits["CpuPeriod"] or 100_000)
            return f"{cpus:g}cpu-{limits['Memory'] // 2**20}mb"

        return size

    @pytest.fixture
    def launched_image(self, driver):
        """The image a container runs (its id), read through the engine."""
        return lambda instance: driver.engine.client().api.inspect_container(instance.cloud_id)[
            "Image"
        ]

    @pytest.fixture
    def boot_mark(self, driver):
        """When the container's processes last started."""
        return lambda instance: driver.engine.client().api.inspect_container(instance.cloud_id)[
            "State"
        ]["StartedAt"]

    @pytest.fixture
    def suspend_mark(self, driver):
        """Whether the engine holds the container paused (frozen, its memory kept)."""
        return lambda instance: driver.engine.client().api.inspect_container(instance.cloud_id)[
            "State"
        ]["Paused"]

    @pytest.fixture
    def make_unmanaged(self, hand_made):
        """A busybox container run by hand: labelled `owner: ops` only, named `ops-...`."""
        return lambda: hand_made(labels={"owner": "ops"}).id

    @pytest.fixture
    def foreign_driver(self, make_driver):
        return make_driver(installation="vti-someone-else")

    @pytest.fixture
    def unauthorized_driver(self, make_driver, tls_engine):
        """The TLS port, with a client certificate the engine's CA did not sign."""
        return make_driver(
            base_url=tls_engine.tls_url, credentials=tls_engine.credentials("rogue-")
        )

    @pytest.fixture
    def unreachable_driver(self, make_driver, tmp_path):
        return make_driver(base_url=f"unix://{tmp_path}/no-engine.sock")

    @pytest.fixture
    def launch_data(self, driver):
        """The launch files, read back from the container's filesystem."""

        def read(instance):
            return "\n".join(
                read_file(driver, instance.cloud_id, path)
                for path in ("/root/.ssh/authorized_keys", "/run/secrets/vertice/root_password")
            )

        return read
