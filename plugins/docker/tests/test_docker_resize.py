"""Resize on a real engine (day 2): `docker update` of a container's CPU and memory, in place.

On the driver: a running container gets its new limits in its own cgroup without a
restart (same id, name and `State.StartedAt`); a stopped one gets them and stays
stopped; resizing to the size it has sends no update (the engine's events say so); a
container limited by a CFS quota (made by hand, then adopted) is resized through its
quota; a container that is gone is `NotFound`, a size the engine cannot set is refused.
Through the API and the reconciler: a new flavor resizes the assembly's container in
place.
"""

from __future__ import annotations

import contextlib
import time

import docker.errors
import pytest

from vertice_core.driver import InstanceState, SizeSpec
from vertice_core.errors import QuotaExceeded, TerminalError
from vertice_drivers.testkit import default_spec, unique_key

MIB = 2**20
SMALL = SizeSpec("small", 1, 256, 0)
#: A size every engine has room for (1 CPU): more memory than SMALL.
BIGGER = SizeSpec("bigger", 1, 512, 0)


def spec_for(driver, image, size=SMALL):
    return default_spec(driver.region.installation_id, unique_key("rs"), image=image, size=size)


def wait_for(driver, key, state=InstanceState.RUNNING, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        found = [i for i in driver.observe() if i.key == key]
        if len(found) == 1 and found[0].state is state:
            return found[0]
        assert time.monotonic() < deadline, f"{key}: {found}"
        time.sleep(0.1)


def limits(details):
    """(CPUs, MiB, swap limit in MiB) of an inspected container."""
    host = details["HostConfig"]
    cpus = host["NanoCpus"] / 1e9 if host["NanoCpus"] else host["CpuQuota"] / host["CpuPeriod"]
    return cpus, host["Memory"] // MIB, host["MemorySwap"] // MIB


def identity(details):
    """What a resize must not change: id, name, state, when its processes started."""
    state = details["State"]
    return details["Id"], details["Name"], state["Status"], state["StartedAt"]


def cgroup_memory_mib(container) -> int:
    """The memory limit the container's own cgroup holds (cgroup v2, else v1), in MiB."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        result = container.exec_run(["cat", path])
        if result.exit_code == 0:
            return int(result.output.decode().strip()) // MIB
    raise AssertionError("no memory limit readable in the container's cgroup")


def updates(engine_client, container_id, since):
    """The engine's `update` events of the container since `since` (epoch seconds)."""
    events = engine_client.events(
        since=since,
        until=int(time.time()) + 1,
        filters={"container": container_id, "event": "update"},
        decode=True,
    )
    return [e for e in events if e.get("Action") == "update"]


def two_cpus_or_one(driver) -> int:
    return min(driver.capacity()[0], 2)


def test_a_running_container_is_resized_in_place_without_a_restart(
    make_driver, busybox_image, engine_client
):
    driver = make_driver()
    spec = spec_for(driver, busybox_image)
    made = driver.create(spec)
    wait_for(driver, spec.key)
    container = engine_client.containers.get(made.cloud_id)
    before = engine_client.api.inspect_container(made.cloud_id)
    # create sets what resize sets: a container created at a size has its limits
    assert limits(before) == (1, 256, 512)
    assert cgroup_memory_mib(container) == 256

    cpus = two_cpus_or_one(driver)
    driver.resize(made.cloud_id, SizeSpec("medium", cpus, 512, 0))
    after = engine_client.api.inspect_container(made.cloud_id)
    assert limits(after) == (cpus, 512, 1024)
    assert identity(after) == identity(before)  # same container, same processes: no restart
    assert after["State"]["Running"]
    assert cgroup_memory_mib(container) == 512  # in force now, not at the next start
    listed = wait_for(driver, spec.key)
    assert (listed.cloud_id, listed.size) == (made.cloud_id, "")  # the listing shows no size

    driver.resize(made.cloud_id, SMALL)  # and back down
    assert limits(engine_client.api.inspect_container(made.cloud_id)) == (1, 256, 512)
    assert cgroup_memory_mib(container) == 256


def test_a_stopped_container_is_resized_and_stays_stopped(
    make_driver, busybox_image, engine_client
):
    driver = make_driver()
    spec = spec_for(driver, busybox_image)
    made = driver.create(spec)
    driver.stop(made.cloud_id)
    wait_for(driver, spec.key, InstanceState.STOPPED)
    before = engine_client.api.inspect_container(made.cloud_id)

    driver.resize(made.cloud_id, BIGGER)
    after = engine_client.api.inspect_container(made.cloud_id)
    assert limits(after) == (1, 512, 1024)
    assert identity(after) == identity(before)
    assert wait_for(driver, spec.key, InstanceState.STOPPED).cloud_id == made.cloud_id

    driver.start(made.cloud_id)  # it starts with them
    wait_for(driver, spec.key)
    assert cgroup_memory_mib(engine_client.containers.get(made.cloud_id)) == 512


def test_resizing_to_the_size_it_has_sends_no_update(make_driver, busybox_image, engine_client):
    driver = make_driver()
    since = int(time.time()) - 1
    spec = spec_for(driver, busybox_image)
    made = driver.create(spec)
    wait_for(driver, spec.key)
    before = engine_client.api.inspect_container(made.cloud_id)

    driver.resize(made.cloud_id, SMALL)  # the size it was created with
    driver.resize(made.cloud_id, renamed(SMALL))  # a flavor's name is not its size
    assert engine_client.api.inspect_container(made.cloud_id) == before
    assert updates(engine_client, made.cloud_id, since) == []

    driver.resize(made.cloud_id, BIGGER)  # the engine does tell an update
    driver.resize(made.cloud_id, BIGGER)  # once
    assert len(updates(engine_client, made.cloud_id, since)) == 1


def renamed(size: SizeSpec) -> SizeSpec:
    return SizeSpec(f"{size.name}-renamed", size.cpu, size.ram, size.disk + 10)


@pytest.fixture
def quota_limited(engine_client, busybox_image):
    """A busybox container run by hand with `--cpu-quota 50000 --cpu-period 100000 -m 64m`
    (half a CPU), and no label or vertice name; removed afterwards."""
    made = []

    def run():
        container = engine_client.containers.run(
            busybox_image, detach=True, cpu_quota=50_000, cpu_period=100_000, mem_limit=64 * MIB
        )
        made.append(container)
        return container

    yield run
    for container in made:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


def test_an_adopted_container_limited_by_a_cfs_quota_is_resized_by_its_quota(
    make_driver, engine_client, quota_limited
):
    """The engine refuses `NanoCpus` on a container with `CpuQuota`/`CpuPeriod` (409)."""
    driver = make_driver()
    container = quota_limited()
    started = engine_client.api.inspect_container(container.id)["State"]["StartedAt"]
    since = int(time.time()) - 1
    cpus = two_cpus_or_one(driver)
    driver.resize(container.id, SizeSpec("medium", cpus, 512, 0))
    after = engine_client.api.inspect_container(container.id)
    assert limits(after) == (cpus, 512, 1024)
    host = after["HostConfig"]
    assert (host["NanoCpus"], host["CpuQuota"], host["CpuPeriod"]) == (0, cpus * 100_000, 100_000)
    assert after["State"]["StartedAt"] == started
    driver.resize(container.id, SizeSpec("medium", cpus, 512, 0))  # has it: left alone
    assert len(updates(engine_client, container.id, since)) == 1


def test_a_container_that_is_gone_is_not_found(make_driver, busybox_image):
    driver = make_driver()
    spec = spec_for(driver, busybox_image)
    made = driver.create(spec)
    driver.delete(made.cloud_id)
    for cloud_id in (made.cloud_id, "0" * 64):
        with pytest.raises(TerminalError) as failure:
            driver.resize(cloud_id, BIGGER)
        assert failure.value.reason == "NotFound"


def test_sizes_the_engine_cannot_set_are_refused(make_driver, busybox_image, engine_client):
    driver = make_driver()
    spec = spec_for(driver, busybox_image)
    made = driver.create(spec)
    before = engine_client.api.inspect_container(made.cloud_id)
    # Under the engine's 6 MiB, or 0 (which `docker update` would take as "unchanged").
    for size in (SizeSpec("tiny", 1, 4, 0), SizeSpec("none", 0, 256, 0)):
        with pytest.raises(TerminalError, match="1 CPU and 6 MiB at least"):
            driver.resize(made.cloud_id, size)
    cpus, ram = driver.capacity()
    for size in (SizeSpec("huge", cpus + 1, 256, 0), SizeSpec("fat", 1, ram + 1, 0)):
        with pytest.raises(QuotaExceeded, match="the engine has"):
            driver.resize(made.cloud_id, size)
    assert engine_client.api.inspect_container(made.cloud_id) == before
    driver.resize(made.cloud_id, SizeSpec("least", 1, 6, 0))  # the engine's least memory
    assert limits(engine_client.api.inspect_container(made.cloud_id))[1] == 6


# -- through the API: a new flavor, and the reconciler resizes in place --


def test_a_new_flavor_resizes_the_assembly_s_container_in_place(
    alice, docker_region, declare, make_reconciler, converge, engine_client
):
    if engine_client.info()["NCPU"] < 2:
        pytest.skip("flavor medium needs 2 CPUs: this engine has 1")
    docker_region()
    uri = declare("web")  # flavor small: 1 CPU, 1024 MiB
    reconciler = make_reconciler()
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")
    (instance,) = alice.status(uri)["instances"]
    before = engine_client.api.inspect_container(instance["cloud_id"])
    assert limits(before) == (1, 1024, 2048)

    alice.replace(uri, "/flavor", "medium")  # 2 CPUs, 4096 MiB

    def resized() -> bool:
        details = engine_client.api.inspect_container(instance["cloud_id"])
        return limits(details)[:2] == (2, 4096) and alice.status(uri)["phase"] == "RUNNING"

    converge(reconciler, resized)
    after = engine_client.api.inspect_container(instance["cloud_id"])
    assert limits(after) == (2, 4096, 8192)
    assert identity(after) == identity(before)  # the same container, never restarted
    (now,) = alice.status(uri)["instances"]
    assert now["cloud_id"] == instance["cloud_id"]
    for _ in range(3):  # done once: later passes leave it alone
        reconciler.run_pass()
    assert identity(engine_client.api.inspect_container(instance["cloud_id"])) == identity(before)
