"""Scenarios of issue 3, in-process: many assemblies, every action, injected faults."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import attrs
import pytest

from vertice_core import builtins
from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_PROJECT,
    InstanceSpec,
    RegionConfig,
    SizeSpec,
)
from vertice_core.errors import TransientError
from vertice_drivers.sim import STOP_WINDOW, SimDriver, SimSettings

pytestmark = pytest.mark.slow


def patch_all(api, uris, path, value):
    for uri in uris:
        result = api.patch(uri, [{"op": "replace", "path": path, "value": value}])
        assert result.status_code == 200, result.json


def live(sim_cloud):
    return [r for r in sim_cloud.all_rows("default") if r["state"] != "terminated"]


def test_200_assemblies_converge_through_every_action(
    alice, make_reconciler, converge, configure_sim, phases, sim_cloud
):
    configure_sim(audit=True)
    uris = [alice.declare(f"asm{i:03d}").headers["location"] for i in range(200)]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 200})
    assert len(live(sim_cloud)) == 200

    patch_all(alice, uris, "/desired_state", "stopped")
    converge(reconciler, lambda: phases() == {"STOPPED": 200})
    assert {r["state"] for r in live(sim_cloud)} == {"stopped"}

    patch_all(alice, uris, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 200})

    patch_all(alice, uris, "/restart_count", 1)
    converge(
        reconciler,
        lambda: (
            Counter(v for v, _ in sim_cloud.audited("default"))["reboot"] == 200
            and phases() == {"RUNNING": 200}
        ),
    )
    for _ in range(3):  # a restart request is carried out once, not on every pass
        reconciler.run_pass()
    assert Counter(v for v, _ in sim_cloud.audited("default"))["reboot"] == 200

    for uri in uris:
        assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: phases() == {})
    assert live(sim_cloud) == []
    creates = Counter(t for v, t in sim_cloud.audited("default") if v == "create")
    assert len(creates) == 200 and set(creates.values()) == {1}


def test_faults_converge_and_leave_no_ghost(
    alice, make_reconciler, converge, configure_sim, phases, sim_cloud
):
    configure_sim(
        transient_error_rate=0.3, ghost_delete_rate=0.1, spontaneous_stop_rate=0.1,
        boot_time=0.05, seed=7,
    )  # fmt: skip
    uris = [alice.declare(f"asm{i:03d}").headers["location"] for i in range(100)]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 100}, timeout=120)

    deleted, stopped = uris[:30], uris[30:50]
    for uri in deleted:
        assert alice.delete(uri).status_code == 202
    patch_all(alice, stopped, "/desired_state", "stopped")

    def settled() -> bool:
        rows = live(sim_cloud)
        states = Counter(r["state"] for r in rows)
        return phases() == {"RUNNING": 50, "STOPPED": 20} and states == {
            "running": 50,
            "stopped": 20,
        }

    converge(reconciler, settled, timeout=120)
    # Spontaneous stops strike within STOP_WINDOW after boot; wait them out, then
    # two resync periods: every ghost delete must have been retried by then.
    deadline = time.monotonic() + STOP_WINDOW[1] + 2 * reconciler.settings.resync
    while time.monotonic() < deadline:
        reconciler.run_pass()
        time.sleep(0.05)
    converge(reconciler, settled, timeout=60)
    keys = Counter(r["tags"]["vertice-assembly"] for r in live(sim_cloud))
    assert len(keys) == 70 and set(keys.values()) == {1}


def test_a_ghost_with_our_tags_is_removed_and_an_untagged_instance_is_not(
    ctx, alice, make_reconciler, converge, phases, sim_cloud
):
    installation = builtins.installation_id(ctx.store)
    outsider = SimDriver(
        RegionConfig(
            name="local", cloud_type="sim", installation_id=installation,
            settings=SimSettings(), home=ctx.config.home,
        )
    )  # fmt: skip
    size = SizeSpec("small", 1, 1024, 10)
    ghost = outsider.create(
        InstanceSpec(
            key="asm-gone-1", assembly_id="asm-gone", name="ghost", project="p", plan="x",
            image="x", size=size,
            tags={TAG_INSTALLATION: installation, TAG_ASSEMBLY: "asm-gone", TAG_KEY: "asm-gone-1",
                  TAG_PROJECT: "prj-x"},
        )
    )  # fmt: skip
    untagged = outsider.create(
        InstanceSpec(
            key="pet-1", assembly_id="", name="pet", project="p", plan="x", image="x",
            size=size, tags={"owner": "someone"},
        )
    )  # fmt: skip
    uri = alice.declare("web").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 1} and len(live(sim_cloud)) == 2)
    states = {r["id"]: r["state"] for r in sim_cloud.all_rows("default")}
    assert states[ghost.cloud_id] == "terminated"
    assert states[untagged.cloud_id] == "running"
    assert alice.get(uri).json["status"]["phase"] == "RUNNING"


def test_a_terminal_error_fails_and_waits_for_a_spec_change(
    alice, make_reconciler, converge, configure_sim, phases
):
    configure_sim(images=["only-this-image"])
    uri = alice.declare("web").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1})
    body = alice.get(uri).json
    assert body["status"]["reason"] == "ImageNotFound"
    assert "only-this-image" in body["status"]["message"]
    for _ in range(3):
        reconciler.run_pass()
    assert phases() == {"FAILED": 1}
    assert alice.get(uri).json["status"]["reason"] == "ImageNotFound"  # the reason stays

    configure_sim()
    patch = [{"op": "replace", "path": "/description", "value": "retry please"}]
    assert alice.patch(uri, patch).status_code == 200
    converge(reconciler, lambda: phases() == {"RUNNING": 1})


def test_capacity_yields_quota_failures(alice, make_reconciler, converge, configure_sim, phases):
    configure_sim(capacity=2)
    for i in range(3):
        alice.declare(f"web{i}")
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 2, "FAILED": 1})


def test_a_hanging_call_is_bounded_and_retried(
    alice, make_reconciler, converge, phases, fast_settings, monkeypatch
):
    release = threading.Event()
    original = SimDriver.create

    def hanging_create(self, spec):
        release.wait(30)  # hangs until the test lets it go
        return original(self, spec)

    monkeypatch.setattr(SimDriver, "create", hanging_create)
    uri = alice.declare("web").headers["location"]
    reconciler = make_reconciler(attrs.evolve(fast_settings, call_timeout=0.3))
    converge(reconciler, lambda: alice.get(uri).json["status"]["reason"] != "")
    status = alice.get(uri).json["status"]
    synced = {c["type"]: c for c in status["conditions"]}["Synced"]
    assert (synced["status"], synced["reason"]) == ("False", "Timeout")
    monkeypatch.setattr(SimDriver, "create", original)
    release.set()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})


def test_retry_messages_name_the_time_of_the_next_attempt(
    alice, make_reconciler, converge, configure_sim
):
    """The status is rewritten at every failed attempt, the SyncedFalse event only at the
    first: both say when the attempt they announce runs, so they can be read together."""
    configure_sim(transient_error_rate=1.0, seed=3)
    body = alice.declare("web").json
    reconciler = make_reconciler()

    def attempts() -> int:
        message = alice.get(body["uri"]).json["status"]["message"]
        return len(re.findall(r"retrying in \d+s, at \d\d:\d\d:\d\dZ\)", message))

    converge(reconciler, lambda: attempts() == 1)
    first = alice.get(body["uri"]).json["status"]["message"]
    events = alice.get(body["events_uri"]).json["items"]
    synced = [e for e in events if e["reason"] == "SyncedFalse"]
    assert len(synced) == 1 and synced[0]["message"].endswith(first)
    # Later attempts rewrite the status with their own time; the event keeps the first one's.
    converge(reconciler, lambda: alice.get(body["uri"]).json["status"]["message"] != first)
    events = alice.get(body["events_uri"]).json["items"]
    assert [e["message"] for e in events if e["reason"] == "SyncedFalse"] == [synced[0]["message"]]


def test_a_first_create_says_nothing_was_created_before_and_a_retry_says_it_may_have(
    alice, make_reconciler, converge, phases, monkeypatch
):
    """Issue 18: a driver may skip looking a key up before a create only when no create
    of that key was recorded before (`InstanceSpec.maybe_created`): a first create says
    so; the retry of a create that failed (it may have reached the cloud) does not."""
    original = SimDriver.create
    seen: list[tuple[str, bool]] = []

    def recording_create(self, spec):
        seen.append((spec.name, spec.maybe_created))
        if spec.name == "retried" and len([n for n, _ in seen if n == "retried"]) == 1:
            raise TransientError("the cloud did not answer in time")
        return original(self, spec)

    monkeypatch.setattr(SimDriver, "create", recording_create)
    alice.declare("first-try")
    alice.declare("retried")
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 2})
    assert sorted(seen) == [("first-try", False), ("retried", False), ("retried", True)]
