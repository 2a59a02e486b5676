"""The controller runtime: what every controller of vertice does, written once.

A *controller* makes the rows of one table real somewhere else (assemblies in
clouds today; routes in a proxy, builds in a builder, meters in a ledger next).
It supplies what is particular to it: which *targets* its work falls into (a
region, a proxy), which of them have due work, and one pass over a target
(observe it once, plan each row with a pure function, act, write). The runtime
supplies the rest: scheduling (due work, periodic jittered resync, polling
while something is in transition, backoff of a failing target), passes over
several targets at once, leases on rows, bounded and counted calls,
pipelined batches, exponential backoff with jitter, and pass metrics.
`docs/controllers.md` shows how a controller is written, with the assembly
controller (`vertice_core.reconcile`) as the worked example.
"""

from vertice_core.backoff import backoff, retry_delay
from vertice_core.runtime.batches import Pipeline
from vertice_core.runtime.calls import CallPool, Pending
from vertice_core.runtime.controller import Controller, Due, PassResult
from vertice_core.runtime.scheduler import Runtime, RuntimeSettings
from vertice_core.store.leases import Leases

__all__ = [
    "CallPool",
    "Controller",
    "Due",
    "Leases",
    "PassResult",
    "Pending",
    "Pipeline",
    "Runtime",
    "RuntimeSettings",
    "backoff",
    "retry_delay",
]
