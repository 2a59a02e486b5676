"""The driver contract's check of `Capability.WATCH`: `Driver.watch` calls back when an
instance of the installation changes, and returns soon after it is told to stop.

A mixin of `vertice_drivers.testkit.DriverContract` (subclass that, not this). A driver
claiming WATCH runs `watch` in a thread; once it had `watch_settle` seconds to open its
stream, one of its instances is stopped through the driver (where it claims
`START_STOP`) and then deleted, and `changed` must be called within `watch_timeout`
seconds of each. With a `foreign_driver` fixture, a watch of the other installation
must not hear of it. Once `stop` is set, `watch` must return, raising nothing, within
`watch_exit` seconds. A driver that does not claim WATCH must refuse: `watch` raises
TerminalError naming the capability.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from vertice_core.driver import Capability, Driver, InstanceSpec
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit_day2 import ContractHelpers, fixture_or_none


class Watching:
    """A `Driver.watch` running in a thread of its own, counting its callbacks."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.stop = threading.Event()
        self.calls = 0
        self.called = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="testkit-watch", daemon=True)
        self.thread.start()

    def _changed(self) -> None:
        self.calls += 1
        self.called.set()

    def _run(self) -> None:
        try:
            self.driver.watch(self._changed, self.stop)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def heard(self, timeout: float) -> bool:
        """Whether `changed` was called (since the last `forget`) within `timeout` s."""
        return self.called.wait(timeout)

    def forget(self) -> None:
        """Forget the callbacks so far."""
        self.called.clear()

    def ended(self, timeout: float) -> float:
        """Set `stop`; the seconds `watch` took to return (fails past `timeout`)."""
        self.stop.set()
        started = time.monotonic()
        self.thread.join(timeout)
        if self.thread.is_alive():
            pytest.fail(f"watch did not return within {timeout}s of stop being set")
        if self.error is not None:
            pytest.fail(f"watch raised {type(self.error).__name__}: {self.error}")
        return time.monotonic() - started


class WatchContract:
    """The watch checks (mixed into `DriverContract`)."""

    #: Seconds a watch is given to open its stream before the check changes an instance.
    watch_settle: float = 1.0
    #: Seconds within which `changed` must be called after an instance changed.
    watch_timeout: float = 20.0
    #: Seconds within which `watch` must return once `stop` is set.
    watch_exit: float = 5.0

    def test_watch_tells_when_an_instance_stops_or_goes(
        self: ContractHelpers,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
    ) -> None:
        self.capable(driver, Capability.WATCH)
        settle, timeout, exit_ = _timings(self)
        spec, created = self.create(driver, make_spec, cleanup)
        self.running(driver, spec.key)
        foreign: Driver | None = fixture_or_none(request, "foreign_driver")
        watching = Watching(driver)
        theirs = Watching(foreign) if foreign is not None else None
        try:
            time.sleep(settle)
            if Capability.START_STOP in type(driver).info.capabilities:
                watching.forget()
                driver.stop(created.cloud_id)
                assert watching.heard(timeout), f"changed was not called {timeout}s after a stop"
                self.settle(
                    driver, spec.key, lambda f: len(f) == 1 and f[0].state is InstanceState.STOPPED
                )
                time.sleep(settle)  # the stop's last events are in: the delete's are checked
            watching.forget()
            driver.delete(created.cloud_id)
            assert watching.heard(timeout), f"changed was not called {timeout}s after a delete"
            assert watching.error is None, f"watch raised {watching.error!r}"
        finally:
            watching.stop.set()
            if theirs is not None:
                theirs.stop.set()
        watching.ended(exit_)
        if theirs is not None:
            theirs.ended(exit_)
            assert theirs.calls == 0, "another installation's watch heard of this one's instance"

    def test_watch_returns_soon_after_stop_when_nothing_happens(self, driver: Driver) -> None:
        _capable(driver)
        watching = Watching(driver)
        time.sleep(_timings(self)[0])
        assert watching.error is None, f"watch raised {watching.error!r}"
        watching.ended(_timings(self)[2])

    def test_unclaimed_watch_is_refused(self, driver: Driver) -> None:
        """Without `Capability.WATCH`, `watch` raises TerminalError naming it at once: the
        reconciler then relies on its periodic resync alone."""
        if Capability.WATCH in type(driver).info.capabilities:
            pytest.skip("the driver claims watch")
        stop = threading.Event()
        stop.set()  # a driver that wrongly blocks would return at once
        with pytest.raises(TerminalError, match=Capability.WATCH.value):
            driver.watch(lambda: None, stop)


def _capable(driver: Driver) -> None:
    if Capability.WATCH not in type(driver).info.capabilities:
        pytest.skip("the driver does not claim watch")


def _timings(contract: object) -> tuple[float, float, float]:
    """The contract's `watch_settle`, `watch_timeout` and `watch_exit` (a subclass may set
    them)."""
    return (
        float(getattr(contract, "watch_settle", WatchContract.watch_settle)),
        float(getattr(contract, "watch_timeout", WatchContract.watch_timeout)),
        float(getattr(contract, "watch_exit", WatchContract.watch_exit)),
    )
