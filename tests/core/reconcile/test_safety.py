"""Safety properties: eventual consistency, leases, installations sharing a cloud, hooks."""

from __future__ import annotations

import threading
import time
from collections import Counter
from types import SimpleNamespace

import attrs
import pytest

from vertice_core import builtins
from vertice_core.convert import make_converter
from vertice_core.hooks import hookimpl
from vertice_core.reconcile.loop import Reconciler
from vertice_core.store import Store, migrate
from vertice_core.store.repositories import RegionRepository


def test_a_late_listing_does_not_cause_a_second_create(
    alice, make_reconciler, fast_settings, converge, configure_sim, phases, sim_cloud
):
    configure_sim(listing_delay=0.5, audit=True)
    for i in range(5):
        alice.declare(f"web{i}")
    # The grace (how long an unlisted create is waited for) well above the listing's
    # delay: the tests' 2 s left a loaded CI machine 1.5 s, and a stall of the sim's
    # writer or of a pass past it made every create a second time.
    reconciler = make_reconciler(attrs.evolve(fast_settings, grace=10.0))
    converge(reconciler, lambda: phases() == {"RUNNING": 5})
    creates = Counter(t for v, t in sim_cloud.audited("default") if v == "create")
    assert len(creates) == 5
    assert set(creates.values()) == {1}


def test_leases_of_a_dead_reconciler_are_taken_over_when_they_expire(
    alice, make_reconciler, converge, phases, fast_settings
):
    uris = [alice.declare(f"web{i}").headers["location"] for i in range(3)]
    ids = [u.rsplit("/", 1)[1] for u in uris]
    ttl = 3.0
    dead = make_reconciler(attrs.evolve(fast_settings, lease_ttl=ttl), holder="dead")
    claimed_at = time.time()
    assert dead.ops.claim(ids, claimed_at) == set(ids)  # claimed, then it "died"
    survivor = make_reconciler(holder="survivor")
    passes = 0
    while time.time() < claimed_at + ttl - 1.0 or passes == 0:
        survivor.run_pass()
        passes += 1
        assert phases() == {"PENDING": 3}, "acted on assemblies another reconciler still held"
    time.sleep(max(0.0, claimed_at + ttl - time.time()) + 0.1)
    converge(survivor, lambda: phases() == {"RUNNING": 3})


@pytest.fixture
def second_installation(ctx, tmp_path):
    """Another vertice installation (own database, own id) whose sim region shares our file."""
    store = Store(f"sqlite:///{tmp_path / 'other.db'}")
    migrate.upgrade(store.engine)
    builtins.seed(store, make_converter())
    shared = str(ctx.config.home / "sim.db")
    for target in (store, ctx.store):
        with target.write() as session:
            regions = RegionRepository(session)
            regions.update(regions.get("local"), settings={"path": shared})
    yield store
    store.dispose()


def test_two_installations_sharing_one_account_never_touch_each_other(
    ctx, alice, make_reconciler, converge, phases, sim_cloud, second_installation
):
    from vertice_core.accounts import create_user
    from vertice_core.store.repositories import AssemblyRepository

    for i in range(3):
        alice.declare(f"ours{i}")
    with second_installation.write() as session:
        theirs = create_user(session, "carol")
        for i in range(2):
            AssemblyRepository(session).create(
                id=f"asm-theirs{i}", project_id=theirs.project.id, name=f"theirs{i}",
                plan_name="1_virtualmachine_ubuntu", region_name="local", flavor_name="small",
                spec={"components": [], "credential": {"kind": "none"}, "metadata": {}},
            )  # fmt: skip
    ours = make_reconciler()
    other = Reconciler(
        second_installation, registry=ctx.registry, converter=ctx.converter, box=ctx.box,
        plugins=ctx.plugins, installation_id=builtins.installation_id(second_installation),
        home=ctx.config.home, settings=ours.settings,
    )  # fmt: skip
    # One "pass" runs a pass of each installation; the instances boot in sim time.
    both = SimpleNamespace(
        settings=ours.settings, run_pass=lambda: (ours.run_pass(), other.run_pass())
    )

    def theirs_running() -> bool:
        with second_installation.read() as session:
            return AssemblyRepository(session).count_by_phase() == {"RUNNING": 2}

    try:
        converge(both, lambda: phases() == {"RUNNING": 3} and theirs_running(), timeout=30)
        live = [r for r in sim_cloud.all_rows("default") if r["state"] == "running"]
        owners = Counter(r["tags"]["vertice-installation"] for r in live)
        assert owners == {
            builtins.installation_id(ctx.store): 3,
            builtins.installation_id(second_installation): 2,
        }
    finally:
        other.close()


class Recorder:
    """A plugin that records events and refuses assemblies named `forbidden`."""

    def __init__(self) -> None:
        self.events = []
        self.lifecycle = []
        self.lock = threading.Lock()

    @hookimpl
    def vertice_event_recorded(self, event, project_id):
        with self.lock:
            self.events.append((event.reason, event.assembly_id, project_id))

    @hookimpl
    def vertice_admit_assembly(self, request):
        return "names like that are not allowed here" if request.name == "forbidden" else None

    @hookimpl
    def vertice_reconciler_started(self, holder):
        self.lifecycle.append(("started", holder))

    @hookimpl
    def vertice_reconciler_stopped(self, holder):
        self.lifecycle.append(("stopped", holder))


def test_hooks_see_admission_events_and_the_loop(ctx, alice, make_reconciler, phases):
    recorder = Recorder()
    ctx.plugins.register(recorder)
    refused = alice.declare("forbidden")
    assert refused.status_code == 403
    assert "not allowed" in refused.json["description"]
    uri = alice.declare("allowed").headers["location"]
    assembly_id = uri.rsplit("/", 1)[1]

    reconciler = make_reconciler(holder="hooked")
    stop = threading.Event()
    loop = threading.Thread(target=reconciler.run_forever, args=(stop,))
    loop.start()
    deadline = time.monotonic() + 30
    while phases() != {"RUNNING": 1} and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    loop.join(timeout=30)
    assert phases() == {"RUNNING": 1}
    reasons = [reason for reason, asm, _ in recorder.events if asm == assembly_id]
    assert "Running" in reasons
    assert all(project for _, asm, project in recorder.events if asm == assembly_id)
    assert recorder.lifecycle == [("started", "hooked"), ("stopped", "hooked")]


class Raising:
    """A notifier plugin that fails on every event."""

    def __init__(self):
        self.calls = 0

    @hookimpl
    def vertice_event_recorded(self, event, project_id):
        self.calls += 1
        raise RuntimeError("the mail server is down")


def test_a_plugin_that_raises_on_events_does_not_stop_the_pass(
    ctx, alice, make_reconciler, converge, caplog
):
    raising = Raising()
    ctx.plugins.register(raising)
    uri = alice.declare("noisy").headers["location"]
    converge(make_reconciler(), lambda: alice.status(uri)["phase"] == "RUNNING", timeout=30)
    assert raising.calls > 0
    assert "a plugin failed on the event" in caplog.text
