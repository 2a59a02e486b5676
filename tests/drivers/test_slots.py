"""`vertice_drivers.slots`: a driver's calls in flight bounded to its HTTP pool (issue 20, 6c)."""

from __future__ import annotations

import threading

import pytest

from vertice_drivers.slots import CallSlots, bounded


class Counting:
    """A driver-like object whose verbs record how many run at once."""

    def __init__(self, size: int) -> None:
        self.slots = CallSlots(size)
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()
        self.three_inside = threading.Event()

    @bounded
    def verb(self, release: threading.Event) -> str:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            if self.inside == 3:
                self.three_inside.set()
        release.wait()
        with self.lock:
            self.inside -= 1
        return "done"

    @bounded
    def outer(self) -> str:
        return self.inner()

    @bounded
    def inner(self) -> str:
        return "nested"


def test_no_more_calls_in_flight_than_slots() -> None:
    driver = Counting(3)
    release = threading.Event()
    threads = [threading.Thread(target=driver.verb, args=(release,)) for _ in range(12)]
    for thread in threads:
        thread.start()
    driver.three_inside.wait()
    # Three calls hold the slots; the other nine wait for one.
    assert not driver.slots._free.acquire(blocking=False)
    release.set()
    for thread in threads:
        thread.join()
    assert driver.most == 3
    assert driver.inside == 0


def test_a_verb_calling_a_verb_takes_one_slot() -> None:
    driver = Counting(1)
    assert driver.outer() == "nested"  # would wait forever for its own slot otherwise
    assert driver.slots._free.acquire(blocking=False)  # and gave it back


def test_a_slot_is_given_back_when_the_call_raises() -> None:
    driver = Counting(1)
    with pytest.raises(RuntimeError), driver.slots.held():
        raise RuntimeError("the SDK failed")
    assert driver.slots._free.acquire(blocking=False)


def test_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CallSlots(0)
