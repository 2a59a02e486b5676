"""`Runtime.poke`: a target made due at once (a cloud's event told of a change)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import attrs

from vertice_core.errors import DriverError, TransientError
from vertice_core.metrics import Metrics
from vertice_core.runtime import Due, Runtime, RuntimeSettings


@attrs.frozen
class Result:
    target: str
    busy: bool = False
    error: str | None = None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Targets:
    """A controller of targets with no rows: only their clocks make them due."""

    name = "pokes"

    def __init__(self, *targets: str) -> None:
        self.targets = list(targets)
        self.passes: list[str] = []
        self.failing: set[str] = set()
        #: Called in the middle of each pass (a change while the pass runs).
        self.during: Callable[[str], None] = lambda target: None

    def due(self, now: float) -> Due:
        return Due(targets=self.targets)

    def run_target(self, target: str) -> Result:
        self.passes.append(target)
        self.during(target)
        if target in self.failing:
            raise TransientError(f"{target} is down")
        return Result(target)

    def target_failed(self, target: str, error: DriverError) -> None:
        pass

    def error_result(self, target: str, message: str) -> Result:
        return Result(target, error=message)

    def close(self) -> None:
        pass


def make(controller: Targets, clock: Clock | None = None, **settings: float) -> Runtime[Result]:
    return Runtime(
        controller,
        RuntimeSettings(resync=600, jitter=0.2, idle_wait=0.01, **settings),  # type: ignore[arg-type]
        metrics=Metrics(),
        rng=random.Random(3),
        clock=clock or time.time,
    )


def test_a_poked_target_is_due_at_once_and_only_it():
    clock = Clock()
    controller = Targets("east", "west")
    runtime = make(controller, clock)
    runtime.run_pass()
    assert sorted(controller.passes) == ["east", "west"]
    clock.now += 1
    assert runtime.due_targets(clock.now) == []  # the next resync is ~10 minutes away
    runtime.poke("west")
    runtime.poke("west")  # idempotent
    assert runtime.due_targets(clock.now) == ["west"]
    runtime.run_pass()
    assert controller.passes[2:] == ["west"]
    assert runtime.due_targets(clock.now) == []  # the pass consumed the poke


def test_a_poke_during_a_pass_brings_another_pass_right_after_it():
    clock = Clock()
    controller = Targets("east")
    runtime = make(controller, clock)
    runtime.run_pass()
    controller.during = runtime.poke  # the change came after the pass observed
    clock.now += 1
    runtime.poke("east")
    runtime.run_pass()
    assert runtime.due_targets(clock.now) == ["east"]
    controller.during = lambda target: None
    runtime.run_pass()
    assert runtime.due_targets(clock.now) == []
    assert controller.passes == ["east"] * 3


def test_a_poked_target_is_looked_at_once_more_when_its_events_settle():
    # A cloud's listing may lag its event: the pass a poke brings may see nothing wrong.
    clock = Clock()
    controller = Targets("east", "west")
    runtime = make(controller, clock, settle=1.0)
    runtime.run_pass()
    clock.now += 5
    runtime.poke("east")
    clock.now += 0.4
    runtime.poke("east")  # a second event of the same change: the look waits for it
    runtime.run_pass()
    assert controller.passes[2:] == ["east"]
    clock.now += 0.9
    assert runtime.due_targets(clock.now) == []
    clock.now += 0.1  # a second after the last poke
    assert runtime.due_targets(clock.now) == ["east"]
    runtime.run_pass()
    clock.now += 30
    assert runtime.due_targets(clock.now) == []  # owed once; then the resync, 8-12 minutes
    assert controller.passes[2:] == ["east", "east"]


def test_a_target_backing_off_keeps_its_backoff_when_poked():
    clock = Clock()
    controller = Targets("east")
    controller.failing.add("east")
    runtime = make(controller, clock, backoff_base=30.0)
    (failed,) = runtime.run_pass()
    assert failed.error is not None
    clock.now += 1
    runtime.poke("east")
    assert runtime.due_targets(clock.now) == []  # 15 to 30 s of backoff, poke or not
    clock.now += 31
    assert runtime.due_targets(clock.now) == ["east"]


def test_a_poke_of_an_unknown_target_is_harmless():
    controller = Targets("east")
    runtime = make(controller)
    runtime.poke("nowhere")
    runtime.run_pass()
    assert controller.passes == ["east"]


def test_run_forever_runs_a_poked_pass_within_idle_wait():
    controller = Targets("east")
    runtime = make(controller)
    stop = threading.Event()
    loop = threading.Thread(target=runtime.run_forever, args=(stop,))
    loop.start()
    try:
        deadline = time.monotonic() + 5
        while controller.passes != ["east"]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.1)
        assert controller.passes == ["east"]  # nothing due before the resync
        poked = time.monotonic()
        runtime.poke("east")
        while len(controller.passes) < 2:
            assert time.monotonic() - poked < 5, "the poke brought no pass"
            time.sleep(0.005)
        assert time.monotonic() - poked < 1.0
    finally:
        stop.set()
        loop.join()
        runtime.close()
