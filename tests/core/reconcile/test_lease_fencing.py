"""A pass writes only what it still holds the lease of, and claims a backlog a few batches
at a time (issue 19: several reconcilers on one database).

A pass slower than its leases (a cloud near its call timeout, a huge backlog) may find
an assembly taken by another reconciler meanwhile; that one has observed the cloud since
and writes its own outcome, so the slow pass's older outcome must not land over it.
"""

from __future__ import annotations

import time

import attrs

from vertice_core.reconcile.outcome import write_of
from vertice_core.reconcile.status import Phase, Report
from vertice_core.runtime.batches import Pipeline
from vertice_testing.plugin import FAST


def failed(item, now: float):
    report = Report(
        phase=Phase.FAILED, reason="Test", message="the slow pass's outcome", ready=False,
        ready_reason="Test", synced=False, synced_reason="Test", synced_message="", instances=(),
    )  # fmt: skip
    return write_of(item, report, now, generation=item.generation, attempts=1, due_at=None,
                    restarts_done=0, slots=None)  # fmt: skip


def test_an_outcome_whose_lease_another_reconciler_took_is_not_written(alice, make_reconciler):
    settings = attrs.evolve(FAST, lease_ttl=1.0)
    slow, other = make_reconciler(settings, holder="slow"), make_reconciler(settings, holder="b")
    kept = alice.declare("kept").headers["location"].rsplit("/", 1)[1]
    taken = alice.declare("taken").headers["location"].rsplit("/", 1)[1]
    declared = alice.get(f"/v3/assembly/{taken}").json["status"]["phase"]
    now = time.time()
    assert slow.ops.claim([kept, taken], now) == {kept, taken}
    items = {i.id: i for i in slow.ops.items([kept, taken])}
    # The slow pass's lease on `taken` expired; the other reconciler claimed it.
    assert other.ops.claim([taken], now + 2.0) == {taken}

    lost = slow.ops.commit_pass([failed(items[kept], now), failed(items[taken], now)], [], [])

    assert lost == {taken}
    assert alice.get(f"/v3/assembly/{kept}").json["status"]["phase"] == "FAILED"
    assert alice.get(f"/v3/assembly/{taken}").json["status"]["phase"] == declared != "FAILED"
    # and the lease stays the other's: a release is the holder's own
    assert other.ops.claim([taken], now + 2.1) == {taken}
    assert slow.ops.claim([taken], now + 2.2) == set()


@attrs.define
class Batch:
    """A batch of calls that answer when the test says so."""

    name: str
    answered: bool = False

    def ready(self) -> bool:
        return self.answered


def test_a_bounded_pipeline_waits_for_the_oldest_batch_before_the_next_is_claimed():
    done: list[str] = []
    claimed: list[str] = []

    def complete(batch: Batch) -> bool:
        done.append(batch.name)
        return False

    pipeline: Pipeline[Batch] = Pipeline(complete, depth=2)
    for name in "abcd":
        claimed.append(name)  # the caller claims, then submits
        pipeline.add(Batch(name))
        # at most one batch in flight while the next one is claimed
        assert len(claimed) - len(done) <= 1, (claimed, done)
    pipeline.drain()
    assert done == list("abcd")
    unbounded: Pipeline[Batch] = Pipeline(complete)
    for name in "efg":
        unbounded.add(Batch(name))
    assert done == list("abcd"), "without a depth nothing waits"
