"""The prober: probes the running instances of assemblies that declare a probe.

A pass (`ProbeController.run_target`, one target: `probes`) reads the probed
assemblies with their status and the probes table, probes every instance whose
`interval` elapsed (through the `CallPool`, each bounded by its `timeout`),
writes the rows whose readiness or failures changed, and wakes the assemblies
the reconciler must look at again (an instance became ready or unready, or
failed `failure_threshold` times in a row: `probing.plan.wakes`). The times of
the last probes are kept in memory, so a steady instance costs no write; `due`
is the earliest next probe, also from memory (no query while idle), and at most
`DISCOVER` seconds after the last pass, so a new instance is probed soon.

Passes are idempotent and take no leases: two reconciler processes probing the
same instance write the same findings.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable
from typing import Any

import attrs
import cattrs

from vertice_core.errors import DriverError
from vertice_core.metrics import Metrics
from vertice_core.model.probe import Probe
from vertice_core.probing.plan import Target, after, changed, next_at, targets_of, wakes
from vertice_core.reach import PlanPorts
from vertice_core.runtime import CallPool, Due
from vertice_core.store import Store
from vertice_core.store.repositories import PlanRepository, ProbeRepository, ProbeState

#: The prober's one target.
TARGET = "probes"
#: The most bytes of an HTTP probe's answer that are read.
READ_LIMIT = 65536
#: Seconds between two looks for instances to probe that no pass knew yet (a new
#: assembly with a probe, a new instance): what bounds how long a new instance waits
#: for its first probe, hence for requests.
DISCOVER = 2.0


@attrs.frozen
class ProbeResult:
    """What a pass did."""

    target: str
    busy: bool = False
    error: str | None = None
    probed: int = 0
    failed: int = 0
    written: int = 0
    woken: int = 0


class ProbeController:
    """Probes instances (see the module's docstring)."""

    name = "probes"

    def __init__(
        self,
        store: Store,
        *,
        converter: cattrs.Converter,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
        workers: int = 16,
    ) -> None:
        self.store = store
        self.clock = clock
        self.calls = CallPool(workers, metrics)
        self.ports = PlanPorts(converter)
        #: When each instance (assembly, key) was last probed by this process.
        self._checked: dict[tuple[str, str], float] = {}
        #: The earliest next probe; 0: look at once (the first pass).
        self._next: float | None = 0.0

    # -- the runtime's contract --

    def due(self, now: float) -> Due:
        """Due when the earliest next probe is (kept in memory: no query)."""
        due = self._next is not None and self._next <= now
        return Due(targets=[TARGET], counts={TARGET: 1} if due else {},
                   oldest=self._next if due else None)  # fmt: skip

    def run_target(self, target: str) -> ProbeResult:
        now = self.clock()
        with self.store.read() as session:
            repo = ProbeRepository(session)
            probed = repo.probed()
            states = repo.states([p.id for p in probed])
            plans = PlanRepository(session)
            found: list[tuple[Target, ProbeState | None]] = []
            for assembly in probed:
                ports = self.ports.of(assembly.plan_name, plans)
                instances = assembly.status.get("instances") or []
                for t in targets_of(assembly.id, Probe(**assembly.probe), instances, ports):
                    found.append((t, states.get(assembly.id, {}).get(t.ordinal)))
        due = [(t, s) for t, s in found if self._next_at(t, s) <= now]
        failures = self._probe([t for t, _ in due])
        now = self.clock()
        writes, woken = [], []
        for (t, before), failure in zip(due, failures, strict=True):
            state = after(t, before, failure, now)
            self._checked[(t.assembly_id, t.key)] = now
            if changed(before, state):
                writes.append((t.assembly_id, state))
            if wakes(before, state):
                woken.append(t.assembly_id)
        live = {(t.assembly_id, t.ordinal) for t, _ in found}
        stale = [(a, o) for a, rows in states.items() for o in rows if (a, o) not in live]
        if writes or stale or woken:
            with self.store.write() as session:
                repo = ProbeRepository(session)
                repo.write(writes, stale)
                repo.wake(sorted(set(woken)), now)
        keys = {(t.assembly_id, t.key) for t, _ in found}
        self._checked = {k: v for k, v in self._checked.items() if k in keys}
        self._next = min([self._next_at(t, s) for t, s in found] + [now + DISCOVER])
        return ProbeResult(target, probed=len(due), failed=sum(1 for f in failures if f),
                           written=len(writes) + len(stale), woken=len(set(woken)))  # fmt: skip

    def _next_at(self, target: Target, state: ProbeState | None) -> float:
        return next_at(target, state, self._checked.get((target.assembly_id, target.key)))

    def target_failed(self, target: str, error: DriverError) -> None:
        """Nothing to record: probes that could not run leave the rows as they were."""

    def error_result(self, target: str, message: str) -> ProbeResult:
        return ProbeResult(target, error=message)

    def close(self) -> None:
        self.calls.shutdown()

    # -- probing --

    def _probe(self, targets: list[Target]) -> list[str | None]:
        """Probe each target at once; why each failed (None: it passed)."""
        if not targets:
            return []
        calls = [("probe", "http" if t.probe.path else "tcp", _prober(t)) for t in targets]
        timeout = max(t.probe.timeout for t in targets) + 1.0
        results: list[Any] = self.calls.run_all(calls, timeout)
        return [r.message if isinstance(r, DriverError) else r for r in results]


def _prober(target: Target) -> Callable[[], str | None]:
    return lambda: probe_once(target.address, target.probe)


def probe_once(address: str | None, probe: Probe) -> str | None:
    """Run `probe` against `address` once: None if it passed, else why it failed."""
    if address is None:
        return "the instance has no address yet"
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not probe.path:
        try:
            socket.create_connection((host, int(port)), timeout=probe.timeout).close()
        except OSError as exc:
            return f"TCP {address}: {exc.strerror or exc}"
        return None
    connection = http.client.HTTPConnection(host, int(port), timeout=probe.timeout)
    try:
        connection.request("GET", probe.path, headers={"User-Agent": "vertice-probe"})
        answer = connection.getresponse()
        answer.read(READ_LIMIT)
    except (OSError, http.client.HTTPException) as exc:
        return f"GET {probe.path} on {address}: {type(exc).__name__}: {exc}"
    finally:
        connection.close()
    if 200 <= answer.status < 400:
        return None
    return f"GET {probe.path} on {address} answered {answer.status}"
