"""A VM in a container: Debian with systemd as PID 1 and the real cloud-init, booted from user data.

The peer of `vertice_drivers.vmprogram`: what a VM region's instance does at its first
boot, done by the same software a Debian cloud image runs. `VM_IMAGE` is a root file
system made offline from Debian packages (`baseimages`, cached and keyed by its inputs
like the recipes' bases): systemd, cloud-init, and what the programs of the recipes
install (`vmprogram.PACKAGES`: cloud-init's `packages` then finds them installed).
`booted(client, image, user_data, name)` creates a container of it with a NoCloud seed
(`/var/lib/cloud/seed/nocloud/`: the user data and an instance id) and starts
`/sbin/init`: cloud-init finds the seed, runs `packages` (apt reaches the Debian
mirror, as the host does), `write_files` and `runcmd`, and systemd runs the units.

Measured here (docker 20.10, cgroup v1 hybrid): the root file system with nodejs and
npm about 60 s cold, 560 MB; the import 4 s; booting to the program's page 4.5 to 8 s
(cloud-init's `packages` runs apt-get update against the mirror first: 1.6 s).

How it runs, and why: `--network host` (the program fetches from, and serves on,
127.0.0.1: the tests' git server and a reserved port), `--cgroupns=private --cap-add
SYS_ADMIN` and tmpfs on `/run` and `/run/lock` (systemd mounts its own cgroup2 and
tmpfs; `--privileged` is refused here, the host's bounding set lacking
CAP_SYS_RESOURCE), `SIGRTMIN+3` to stop (systemd's halt; SIGTERM waits 10 s). The image's
`/etc/cloud/cloud.cfg.d/90-vertice-tests.cfg` names the NoCloud datasource, turns
cloud-init's network configuration off (the host's network is the container's) and uses
the `C.UTF-8` locale (the image has no other: the default `en_US.UTF-8` fails the
locale module).
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import time
from collections.abc import Iterator
from typing import Any

from vertice_driver_docker.baseimages import Base
from vertice_drivers import vmprogram

#: cloud-init's settings for a container on the host's network (see the module).
CLOUD_CFG = "datasource_list: [NoCloud]\nnetwork: {config: disabled}\nlocale: C.UTF-8\n"

VM_IMAGE = Base(
    name="vm",
    packages=tuple(
        sorted(
            {"systemd", "systemd-sysv", "cloud-init"}
            | {package for packages in vmprogram.PACKAGES.values() for package in packages}
        )
    ),
    variant="apt",
    changes=('CMD ["/sbin/init"]', "ENV container=docker"),
    files=(("/etc/cloud/cloud.cfg.d/90-vertice-tests.cfg", 0o644, CLOUD_CFG),),
    repository="vertice-test",
)

SEED = "var/lib/cloud/seed/nocloud"


def seed(user_data: str, instance_id: str) -> bytes:
    """A tar stream of the NoCloud seed (`docker cp` cannot make its missing folders)."""
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as tar:
        for name, text in (
            ("meta-data", f"instance-id: {instance_id}\nlocal-hostname: {instance_id}\n"),
            ("user-data", user_data),
        ):
            data = text.encode()
            info = tarfile.TarInfo(f"{SEED}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return stream.getvalue()


@contextlib.contextmanager
def booted(client: Any, image: str, user_data: str, name: str) -> Iterator[Any]:
    """A container of `image` booting with `user_data` as its NoCloud seed (removed after)."""
    container = client.containers.create(
        image,
        name=name,
        hostname=name,
        network_mode="host",
        cgroupns="private",
        cap_add=["SYS_ADMIN"],
        tmpfs={"/run": "", "/run/lock": ""},
        stop_signal="SIGRTMIN+3",
        labels={"vertice-test": "vm"},
    )
    try:
        container.put_archive("/", seed(user_data, name))
        container.start()
        yield container
    finally:
        container.remove(force=True)


def run(container: Any, *command: str) -> str:
    """What `command` prints in the container (stdout and stderr), whatever its status."""
    result = container.exec_run(list(command))
    return str(result.output.decode(errors="replace"))
