"""The merged status of an assembly placed across regions: it comes out the same whichever
region's pass builds it, so a settled assembly costs no write in any region."""

from __future__ import annotations

from vertice_core.model.assembly import DesiredState
from vertice_core.model.placement import Placement, PlacementPolicy
from vertice_core.model.status import Phase
from vertice_core.reconcile.placed import Placed, merged, own_part, share_of
from vertice_core.reconcile.status import Prior, Report, status_document
from vertice_core.store.repositories.slots import InstanceSlot

NOW = 1_000.0
PLACEMENT = Placement(PlacementPolicy.SPREAD, ["a", "b"])


def view(ordinal: int, state: str = "running") -> dict[str, object]:
    return {"ordinal": ordinal, "key": f"k{ordinal}", "cloud_id": f"c{ordinal}", "state": state,
            "public_ipv4": "", "private_ipv4": "", "access": []}  # fmt: skip


def own(phase: Phase, reason: str, *views: dict[str, object], synced: bool = True) -> Report:
    """A region's report of its own ordinals (what `outcome.report_of` makes before merging)."""
    ready = sum(1 for v in views if v["state"] == "running")
    message = "" if synced else "boom"
    return Report(phase, reason, message, phase is Phase.RUNNING, reason, synced,
                  "Reconciled" if synced else "CloudUnavailable", message, tuple(views),
                  len(views), ready, len(views))  # fmt: skip


def build(
    region: str,
    report: Report,
    document: dict[str, object],
    busy: bool = False,
    desired: DesiredState = DesiredState.RUNNING,
) -> Report:
    """What the pass over `region` writes, given the stored status document."""
    slots = [InstanceSlot(o, 1, f"k{o}", region_name="a" if o % 2 == 0 else "b") for o in range(4)]
    share = share_of(region, 4, slots, Placed(PLACEMENT, {}, document), now=NOW, retry=300)
    part = own_part(share, report, busy=busy, failure=None)
    return merged(share, part, report, desired, 4)


def test_either_region_builds_the_same_status_from_the_stored_one():
    a = own(Phase.RUNNING, "Running", view(0), view(2))
    b = own(Phase.LAUNCHING, "Booting", view(1), view(3, "pending"))
    first = build("a", a, {})  # b has not written yet: it is waiting
    assert [p["reason"] for p in first.parts] == ["Running", "WaitingForRegion"]
    second = build("b", b, status_document(first, _prior(), NOW))
    assert (second.phase, second.reason) == (Phase.LAUNCHING, "Booting")
    assert [(i["ordinal"], i["region"]) for i in second.instances] == [
        (0, "a"), (1, "b"), (2, "a"), (3, "b"),
    ]  # fmt: skip
    # Now either pass, seeing nothing new of its own, makes the very same report.
    stored = status_document(second, _prior(), NOW)
    assert build("a", a, stored).digest() == second.digest()
    assert build("b", b, stored).digest() == second.digest()
    assert (second.replicas, second.ready_replicas, second.updated_replicas) == (4, 3, 4)


def test_an_unsynced_region_speaks_for_the_assembly_s_synced_condition():
    a = own(Phase.RUNNING, "Running", view(0), view(2))
    b = own(Phase.RUNNING, "Running", view(1), view(3), synced=False)
    stored = status_document(build("b", b, {}), _prior(), NOW)
    report = build("a", a, stored)
    assert (report.synced, report.synced_reason) == (False, "CloudUnavailable")
    assert report.synced_message == "region b: boom"
    assert report.phase is Phase.RUNNING
    assert report.ready


def test_a_stop_never_merges_into_running_while_a_region_has_not_acted_on_it():
    running = status_document(
        build("b", own(Phase.RUNNING, "Running", view(1), view(3)), {}), _prior(), NOW
    )
    stopped = DesiredState.STOPPED
    # Region a sends its stops; b's part still says RUNNING: the assembly is STOPPING.
    a = own(Phase.STOPPING, "Stopping", view(0), view(2))
    report = build("a", a, running, busy=True, desired=stopped)
    assert (report.phase, report.reason, report.ready) == (Phase.STOPPING, "Stopping", False)
    # a's instances stopped before b's pass came: still STOPPING, waiting for b.
    a = own(Phase.STOPPED, "Stopped", view(0, "stopped"), view(2, "stopped"))
    report = build("a", a, running, desired=stopped)
    assert (report.phase, report.reason, report.ready) == (Phase.STOPPING, "WaitingForRegion",
                                                           False)  # fmt: skip
    assert [p["phase"] for p in report.parts] == ["STOPPED", "RUNNING"]  # stored as written
    b = own(Phase.STOPPED, "Stopped", view(1, "stopped"), view(3, "stopped"))
    done = build("b", b, status_document(report, _prior(), NOW), desired=stopped)
    assert (done.phase, done.reason, done.ready) == (Phase.STOPPED, "Stopped", True)


def test_a_start_is_not_ready_while_a_region_still_reports_its_stop():
    stopped = status_document(
        build("b", own(Phase.STOPPED, "Stopped", view(1, "stopped"), view(3, "stopped")), {},
              desired=DesiredState.STOPPED),
        _prior(),
        NOW,
    )  # fmt: skip
    report = build("a", own(Phase.RUNNING, "Running", view(0), view(2)), stopped)
    assert (report.phase, report.reason, report.ready) == (Phase.LAUNCHING, "WaitingForRegion",
                                                           False)  # fmt: skip


def _prior() -> Prior:
    return Prior()
