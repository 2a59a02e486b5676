"""One pass over one region: observe once, plan every assembly, act, write what changed.

The order matters. The region is observed *before* its assemblies are read,
so every instance in the snapshot was created after its assembly row was
committed: an instance whose assembly is not in the rows read afterwards is a
ghost (its assembly was removed, or it was started behind our back with our
tags) and is deleted, unless its assembly was deleted with `orphan=true` (its
instances were abandoned on purpose: `OrphanRow`). Assemblies that need work are
claimed with leases, re-read, re-planned and acted upon; assemblies whose status
did not change cost no write at all. The driver calls it makes are `driver_calls`'s,
what it writes of the assemblies it worked on `results`'s.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from vertice_core.driver import Capability, Driver, Instance
from vertice_core.errors import DriverError
from vertice_core.model.status import InstanceState
from vertice_core.reconcile import lifelog, placed, status
from vertice_core.reconcile.driver_calls import bound, call_for, call_name, verb_name
from vertice_core.reconcile.fingerprints import seen_as
from vertice_core.reconcile.outcome import (
    Work,
    creates_of,
    slots_after,
)
from vertice_core.reconcile.plan import Action, Decision, Verb
from vertice_core.reconcile.planning import PartPlanner
from vertice_core.reconcile.results import pass_results, removes
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.redact import loggable, public_error
from vertice_core.runtime import CallPool, Pending, Pipeline
from vertice_core.store.leases import chunked
from vertice_core.store.repositories.slots import InstanceSlot
from vertice_core.store.repositories.work import StatusWrite, WorkItem

log = logging.getLogger("vertice.reconcile")
#: A pass plans the rows that may need work this many batches (`batch`) at a time:
#: 2,000 assemblies with the default batch of 500. Planning 10,000 at once held every
#: one's work item, instance rows, plan and calls together: the reconciler's peak RSS
#: in the benchmark's convergence was 159-161 MB that way and is 145 MB in parts.
_PART = 4


@attrs.frozen
class RegionResult:
    """What a pass over a region did (for the loop's scheduling and for tests)."""

    region: str
    #: True while something is in transition: observe again after `poll`.
    busy: bool = False
    observed: int = 0
    acted: int = 0
    written: int = 0
    ghosts: int = 0
    removed: int = 0
    error: str | None = None


@attrs.define
class _Batch:
    """A chunk of a pass in flight: its work, its calls and when it was planned."""

    works: list[Work]
    owners: list[tuple[Work, Action]]
    pending: Pending[Any] | None
    now: float
    #: Some of the chunk was not claimed, or moved meanwhile: look again soon.
    skipped: bool

    def ready(self) -> bool:
        """Whether its calls are all answered (without waiting)."""
        return self.pending is None or self.pending.done()


class RegionPass:
    """A pass over one region. Build one per pass; `run()` returns what it did."""

    def __init__(
        self,
        *,
        region: str,
        cloud_type: str,
        driver: Driver,
        calls: CallPool,
        settings: ReconcilerSettings,
        store_ops: Any,
        rng: random.Random,
        clock: Callable[[], float] = time.time,
        settled: dict[str, tuple[int, bool]] | None = None,
        endpoint: str = "",
    ) -> None:
        self.region = region
        self.cloud_type = cloud_type
        #: The region's endpoint, which the driver's errors may name (see `_public`).
        self.endpoint = endpoint
        self.driver = driver
        self.calls = calls
        self.settings = settings
        self.ops = store_ops
        self.rng = rng
        self.clock = clock
        #: Assemblies a previous pass found settled, with one number for the row and
        #: the instances it saw (`fingerprints.seen_as`) and whether it was still busy
        #: (booting) then; kept by the reconciler between passes, a pass skips planning
        #: these until their row or instances move.
        self.settled = settled if settled is not None else {}
        # Whether the driver resizes instances in place: what it claims in its metadata.
        info = getattr(type(driver), "info", None)
        resizable = info is not None and Capability.RESIZE in info.capabilities
        self.planner = PartPlanner(region, settings, store_ops, resizable)
        #: Of the assemblies with a placement planned this pass: their share in the region.
        self.shares = self.planner.shares

    def run(self) -> RegionResult:
        """Read the region's assemblies, observe once, plan, act, write what changed.

        The assemblies are read *before* the observation: a row that anyone wrote
        after this read (another reconciler, the API) may reflect a newer view of
        the cloud than our snapshot, so it is left for the next pass (see
        `_prepare`). Ghosts are confirmed with a second read after the observation.

        The assemblies that may need work are planned (`planning.PartPlanner`) and acted
        upon in parts (`_PART`), their instance rows read part by part, with batches of
        driver calls pipelined across the parts: what a pass holds at once is its rows
        and a few parts' items, plans and calls, not the whole region's.
        """
        rows = self.ops.region_rows(self.region)
        observed = self.calls.run(
            self.cloud_type,
            "observe",
            lambda: list(self.driver.observe()),
            self.settings.observe_timeout,
        )
        now = self.clock()
        by_assembly: dict[str, list[Instance]] = defaultdict(list)
        for instance in observed:
            by_assembly[instance.assembly_id].append(instance)
        ghosts = self._ghosts(observed, {row[0] for row in rows})
        busy = bool(ghosts)
        settled: dict[str, tuple[int, bool]] = {}
        moving = []
        for row in rows:
            seen = seen_as(row, by_assembly.get(row[0], ()))
            known = self.settled.get(row[0])
            if known is not None and known[0] == seen:
                # Nothing moved since a pass found nothing to do: the plan would agree
                # (and an instance that was booting then is booting still).
                settled[row[0]] = known
                busy = busy or known[1]
            else:
                moving.append(row)
        del rows  # the settled ones' rows are not needed any more
        if ghosts:
            self._remove_ghosts(ghosts)
        result = RegionResult(self.region, busy=busy, observed=len(observed), ghosts=len(ghosts))
        if moving:
            result = self._work_on(moving, by_assembly, now, settled, result)
        self.settled.clear()
        self.settled.update(settled)
        return result

    def _ghosts(self, observed: Sequence[Instance], known: set[str]) -> list[Instance]:
        """Live instances whose assembly does not exist and was not orphaned (checked
        again after observing)."""
        unknown = [
            i
            for i in observed
            if i.assembly_id not in known and i.state is not InstanceState.TERMINATED
        ]
        if not unknown:
            return []
        # Rows declared while we observed are not ghosts: the snapshot cannot hold an
        # instance of an assembly committed after it, but it can hold one of an assembly
        # declared after our first read. A second read settles it.
        existing = self.ops.existing({i.assembly_id for i in unknown})
        return [i for i in unknown if i.assembly_id not in existing]

    # -- acting --

    def _work_on(
        self,
        moving: list[tuple[Any, ...]],
        by_assembly: Mapping[str, list[Instance]],
        now: float,
        settled: dict[str, tuple[int, bool]],
        result: RegionResult,
    ) -> RegionResult:
        """Plan the rows that may need work part by part, act and write in batches.
        Batches with driver calls are pipelined: while their calls run, the next ones
        are planned, claimed and submitted, and the assemblies that only need their
        status written are settled, each chunk in one transaction. `moving` is emptied
        as its parts are taken.

        Each claimed assembly is re-read; one that nobody wrote since the pass read it
        keeps the decision planned then (the same rows and the same snapshot of the
        cloud plan the same; a grace period that ended meanwhile waits for the next
        pass). One that moved is left to the next pass."""
        busy = result.busy
        totals = {"acted": 0, "written": 0, "removed": 0}
        # Enough batches in flight to keep every call worker busy, and one being claimed.
        depth = -(-self.settings.workers // self.settings.batch) + 1
        pipeline: Pipeline[_Batch] = Pipeline(
            lambda batch: self._complete(batch, totals), depth=max(depth, 2)
        )
        region_wide = (self.ops.served(self.region), self.ops.probe_states(self.region))
        for part in _taken(moving, self.settings.batch * _PART):
            found = self.planner.plan(part, by_assembly, now, region_wide, settled)
            wanted, planned, acting = found.wanted, found.planned, found.acting
            busy = busy or found.busy
            for chunk in chunked(sorted(acting), self.settings.batch):
                batch = self._prepare(chunk, wanted, planned)
                busy = busy or batch.skipped
                pipeline.add(batch)
            quiet = sorted(set(wanted) - acting)
            if quiet:  # a part's fit in one transaction (a part is at most `_PART` batches)
                busy = self._settle(quiet, wanted, planned, totals) or busy
                pipeline.poll()
        busy = pipeline.drain() or busy
        return attrs.evolve(
            result,
            busy=busy,
            acted=totals["acted"],
            written=totals["written"],
            removed=totals["removed"],
        )

    def _settle(
        self,
        chunk: Sequence[str],
        wanted: Mapping[str, WorkItem],
        planned: Mapping[str, Decision],
        totals: dict[str, int],
    ) -> bool:
        """Write the status of assemblies that need no driver call: one transaction
        claims them, re-reads them, writes their outcome and releases them."""
        now = self.clock()
        state = {"busy": False}
        works: list[Work] = []

        def decide(
            fresh: Sequence[WorkItem],
        ) -> tuple[list[StatusWrite], list[dict[str, Any]], list[str]]:
            works.clear()  # a retried transaction decides again
            for item in fresh:
                if item != wanted[item.id]:
                    state["busy"] = True  # changed meanwhile: the next pass looks again
                    continue
                works.append(Work(item, planned[item.id], share=self.shares.get(item.id)))
            busy, writes, events, removed = self._results(works, now)
            state["busy"] = state["busy"] or busy
            return writes, events, removed

        written, removed, complete = self.ops.settle(chunk, now, decide)
        self._log_removed(works)
        totals["written"] += written
        totals["removed"] += removed
        return state["busy"] or not complete

    def _prepare(
        self,
        chunk: Sequence[str],
        wanted: Mapping[str, WorkItem],
        planned: Mapping[str, Decision],
    ) -> _Batch:
        """Claim a chunk, re-read it, record create markers, submit its calls."""
        now = self.clock()
        claimed = self.ops.claim(chunk, now)
        fresh = [i for i in self.ops.items(sorted(claimed)) if i.id in claimed] if claimed else []
        # Someone wrote these rows since our first read: their view may be newer than our
        # snapshot of the cloud. Leave them to the next pass, which observes again.
        moved = {i.id for i in fresh if i != wanted[i.id]}
        if moved:
            self.ops.release(sorted(moved))
            fresh = [i for i in fresh if i.id not in moved]
        works = [Work(item, planned[item.id], share=self.shares.get(item.id)) for item in fresh]
        wanted_specs = [
            (w.item.id, ordinal, key) for w in works for ordinal, key in creates_of(w.decision)
        ]
        if wanted_specs:
            specs = self.ops.instance_specs(wanted_specs)
            # A key with no create recorded before this claim is created for the first time:
            # the driver need not look it up first (`InstanceSpec.maybe_created`).
            tried = {(w.item.id, s.create_key) for w in works for s in w.item.slots}
            specs = {
                (assembly_id, ordinal): attrs.evolve(
                    spec, maybe_created=(assembly_id, spec.key) in tried
                )
                for (assembly_id, ordinal), spec in specs.items()
            }
            markers: list[tuple[str, InstanceSlot, bool]] = []
            for w in works:
                creating = {ordinal for ordinal, _ in creates_of(w.decision)}
                for ordinal in creating:
                    w.specs[ordinal] = specs[(w.item.id, ordinal)]
                stored = {slot.ordinal for slot in w.item.slots}
                markers.extend(
                    (w.item.id, slot, slot.ordinal in stored)
                    for slot in slots_after(
                        w.item, w.decision, now, region=self.region, share=w.share
                    )
                    if slot.ordinal in creating
                )
            gone = self.ops.mark_creating(markers)
            if gone:  # deleted with orphan=true since they were read: nothing to do
                works = [w for w in works if w.item.id not in gone]
        resizing = [w for w in works if any(a.verb is Verb.RESIZE for a in w.decision.actions)]
        if resizing:
            sizes = self.ops.sizes(sorted({w.item.flavor_name for w in resizing}))
            for w in resizing:
                w.size = sizes.get(w.item.flavor_name)
        owners = [(work, action) for work in works for action in work.decision.actions]
        calls = [(self.cloud_type, verb_name(w, a), call_for(self.driver, w, a)) for w, a in owners]
        pending = self.calls.submit(calls, self.settings.call_timeout) if calls else None
        skipped = len(fresh) < len(chunk)
        return _Batch(works=works, owners=owners, pending=pending, now=now, skipped=skipped)

    def _complete(self, batch: _Batch, totals: dict[str, int]) -> bool:
        """Wait for a batch's calls, write its outcomes; whether anything is in transition."""
        if batch.pending is not None:
            results = batch.pending.results()
            for (work, action), value in zip(batch.owners, results, strict=True):
                if isinstance(value, DriverError):
                    error = self._public(value, call_name(work.item, action))
                    if work.share is not None and placed.refused(action.verb, error):
                        work.refused[action.ordinal] = error
                    else:
                        work.errors.append(error)
                        work.failed.add((action.verb, action.ordinal))
                elif action.verb is Verb.CREATE and isinstance(value, Instance):
                    work.created[action.ordinal] = value
                    lifelog.launched(work.item, action.ordinal, value, self.region)
                elif action.verb is Verb.DELETE:
                    lifelog.deleted(work.item, action.ordinal, action.target, self.region)
        if not batch.works:
            return False
        busy, written, removed = self._finish(batch.works, batch.now)
        totals["acted"] += sum(1 for w in batch.works if w.decision.actions)
        totals["written"] += written
        totals["removed"] += removed
        return busy

    def _public(self, error: DriverError, call: str) -> DriverError:
        """What users may see of a failed `call` (statuses and events are the project's):
        `error` without the endpoint, addresses or body its message may hold. Its full
        message is logged here, the one place it is."""
        log.warning(
            "region %s: %s failed: %s: %s", self.region, call, error.reason, loggable(error.message)
        )
        return public_error(error, endpoints=(self.endpoint,))

    def _remove_ghosts(self, ghosts: list[Instance]) -> None:
        calls = [(self.cloud_type, "delete", bound(self.driver.delete, g.cloud_id)) for g in ghosts]
        results = self.calls.run_all(calls, self.settings.call_timeout)
        for i, (ghost, value) in enumerate(zip(ghosts, results, strict=True)):
            if isinstance(value, DriverError):
                call = f"delete of {ghost.cloud_id} (key {ghost.key!r}, of no assembly)"
                results[i] = self._public(value, call)
        events = status.ghost_events(ghosts, results, self.region)
        self.ops.record_events(events)
        for ghost, value in zip(ghosts, results, strict=True):
            if not isinstance(value, DriverError):
                lifelog.ghost_removed(ghost, self.region)

    # -- writing --

    def _finish(self, works: list[Work], now: float) -> tuple[bool, int, int]:
        """Write a batch's outcomes and events; `(busy, written, removed)`. Retries count
        from now, when the batch's calls have returned."""
        busy, writes, events, removed = self._results(works, now, failed_at=self.clock())
        lost = self.ops.commit_pass(writes, events, removed)
        if lost:
            log.warning(
                "region %s: %d outcomes not written: their leases expired during the pass "
                "and another reconciler took them (is lease_ttl shorter than a pass?)",
                self.region, len(lost),
            )  # fmt: skip
            works = [w for w in works if w.item.id not in lost]
        self._log_removed(works)
        return busy or bool(lost), len(writes) - len(lost), len(set(removed) - lost)

    def _results(
        self, works: Sequence[Work], now: float, failed_at: float | None = None
    ) -> tuple[bool, list[StatusWrite], list[dict[str, Any]], list[str]]:
        """`results.pass_results` of this region's pass."""
        return pass_results(
            works, now, region=self.region, settings=self.settings, rng=self.rng,
            failed_at=failed_at,
        )  # fmt: skip

    def _log_removed(self, works: Sequence[Work]) -> None:
        """Log the assemblies the pass just removed (as `results.removes` decides it)."""
        lifelog.removed((w.item for w in works if removes(w)), self.region)


def _taken(rows: list[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """`rows` in parts of `size`, in order, each dropped from the list as it is taken:
    a pass holds the rows it has not planned yet, not those it has."""
    rows.reverse()
    while rows:
        yield [rows.pop() for _ in range(min(size, len(rows)))]
