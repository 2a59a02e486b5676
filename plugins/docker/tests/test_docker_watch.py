"""Drift repaired in seconds (issue 18) on a real engine: the driver follows the engine's
events (`watch`), and a reconciler whose periodic resync is ten minutes away replaces a
container removed behind its back, and starts one stopped or killed behind its back, at once.

The seconds from the change to a running container again are printed (`-s` shows them);
the targets are the benchmarks'. The waits here are generous but far below the resync
(600 s, so at least 480 s with its jitter): only a poke can repair in time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from vertice_core.errors import TransientError
from vertice_driver_docker.translate import container_name
from vertice_driver_docker.watching import _concerns

#: Seconds a repair may take here: generous, and far below the resync.
REPAIR_TIMEOUT = 60.0


def wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.02)


@pytest.fixture
def watched(
    alice: Any, docker_region: Any, declare: Any, make_reconciler: Any, fast_settings: Any
) -> Iterator[tuple[Any, str]]:
    """A reconciler running as in production (`run_forever`, in a thread) with a resync of
    600 s, and an assembly it converged; the URI of the assembly."""
    docker_region()
    uri = declare("web")
    reconciler = make_reconciler(attrs.evolve(fast_settings, resync=600.0))
    stop = threading.Event()
    loop = threading.Thread(target=reconciler.run_forever, args=(stop,), daemon=True)
    loop.start()
    try:
        wait(lambda: alice.status(uri)["phase"] == "RUNNING", 60, "converged")
        wait(lambda: reconciler.watchers.regions == ["dock"], 5, "watched")
        time.sleep(1.0)  # the stream is open, and the passes of the convergence are over
        yield reconciler, uri
    finally:
        stop.set()
        loop.join(30)
    assert reconciler.watchers.regions == []


def running_container(alice: Any, uri: str, engine_client: Any, not_id: str = "") -> str:
    """The cloud id of the assembly's one instance, if RUNNING, another than `not_id`, and
    running in the engine ('' otherwise)."""
    status = alice.status(uri)
    if status["phase"] != "RUNNING" or len(status["instances"]) != 1:
        return ""
    cloud_id = str(status["instances"][0]["cloud_id"])
    if cloud_id == not_id:
        return ""
    try:
        container = engine_client.containers.get(cloud_id)
    except Exception:
        return ""
    return cloud_id if container.status == "running" else ""


def test_a_container_removed_behind_its_back_is_replaced_at_once(
    alice, watched, engine_client, capsys
):
    _, uri = watched
    (instance,) = alice.status(uri)["instances"]
    removed = time.monotonic()
    engine_client.containers.get(instance["cloud_id"]).remove(force=True)  # `docker rm -f`
    wait(
        lambda: running_container(alice, uri, engine_client, not_id=instance["cloud_id"]),
        REPAIR_TIMEOUT,
        "replaced",
    )
    seconds = time.monotonic() - removed
    with capsys.disabled():
        print(f"\nremoved behind its back: running again after {seconds:.2f} s")


def test_a_container_stopped_behind_its_back_is_started_at_once(
    alice, watched, engine_client, capsys
):
    _, uri = watched
    (instance,) = alice.status(uri)["instances"]
    container = engine_client.containers.get(instance["cloud_id"])
    stopped = time.monotonic()
    container.stop(timeout=0)  # `docker stop -t 0`
    container.reload()
    assert container.status == "exited"

    def started() -> bool:
        container.reload()
        return container.status == "running"

    wait(started, REPAIR_TIMEOUT, "started again")
    seconds = time.monotonic() - stopped
    wait(lambda: running_container(alice, uri, engine_client), REPAIR_TIMEOUT, "RUNNING")
    assert alice.status(uri)["instances"][0]["cloud_id"] == container.id  # the same one
    with capsys.disabled():
        print(f"\nstopped behind its back: running again after {seconds:.2f} s")


def test_a_container_killed_behind_its_back_is_started_at_once(
    alice, watched, engine_client, capsys
):
    # `docker kill`: the engine sends `kill` and `die` but no `stop`, and lists the
    # container as running for a moment after `die`; the look a second after the last
    # event sees it exited.
    _, uri = watched
    (instance,) = alice.status(uri)["instances"]
    container = engine_client.containers.get(instance["cloud_id"])
    first_start = container.attrs["State"]["StartedAt"]
    killed = time.monotonic()
    container.kill()

    def started_again() -> bool:
        container.reload()
        started_at = container.attrs["State"]["StartedAt"]
        return container.status == "running" and started_at != first_start

    wait(started_again, REPAIR_TIMEOUT, "started again")
    seconds = time.monotonic() - killed
    wait(lambda: running_container(alice, uri, engine_client), REPAIR_TIMEOUT, "RUNNING")
    with capsys.disabled():
        print(f"\nkilled behind its back: running again after {seconds:.2f} s")


def test_a_watch_of_an_engine_that_is_down_is_transient(make_driver, tmp_path):
    driver = make_driver(base_url=f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(TransientError):
        driver.watch(lambda: None, threading.Event())


def test_the_events_of_the_installations_containers_are_picked_made_or_adopted():
    def event(**attributes: str) -> dict[str, Any]:
        return {"Type": "container", "Action": "die", "Actor": {"Attributes": attributes}}

    ours = "vti-ours"
    made = event(name="whatever", **{"vertice-installation": ours, "image": "busybox"})
    adopted = event(name=container_name(ours, "asm-1"), owner="ops")
    theirs = event(name=container_name(ours, "asm-1"), **{"vertice-installation": "vti-other"})
    foreign = event(name=container_name("vti-other", "asm-1"))
    unmanaged = event(name="ops-1", owner="ops")
    assert _concerns(made, ours) and _concerns(adopted, ours)
    assert not any(_concerns(e, ours) for e in (theirs, foreign, unmanaged, {}))
