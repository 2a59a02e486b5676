"""The driver contract's check of `Capability.ADOPT`: an instance made by hand (no
vertice tags) is listed by `unmanaged`, never by `observe`; `adopt` makes it this
installation's without a restart (seen through the `boot_mark` fixture when the driver's
tests give one), idempotently; another installation cannot adopt it then.

A mixin of `vertice_drivers.testkit.DriverContract` (subclass that, not this). A driver
claiming ADOPT must give a `make_unmanaged` fixture: a callable that makes a running
instance the way an operator would by hand (no vertice tags, one tag `owner: ops` of
its own where the cloud has tags) and returns its cloud id; the fixture removes what it
made at the end of the test.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    Capability,
    Driver,
    Instance,
    InstanceSpec,
)
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit_day2 import ContractHelpers, fixture_or_none


class AdoptContract:
    """The adoption check (mixed into `DriverContract`)."""

    def test_adopt_makes_an_unmanaged_instance_ours_without_a_restart(
        self: ContractHelpers,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
    ) -> None:
        self.capable(driver, Capability.ADOPT)
        make_unmanaged: Callable[[], str] = request.getfixturevalue("make_unmanaged")
        ours, _ = self.create(driver, make_spec, cleanup)
        self.running(driver, ours.key)
        cloud_id = make_unmanaged()
        found = _unmanaged_running(self, driver, cloud_id)
        assert found.key == ""
        assert TAG_INSTALLATION not in found.tags
        assert all(i.cloud_id != cloud_id for i in driver.observe())
        assert all(i.key != ours.key for i in driver.unmanaged())  # ours are not listed
        boot_mark = fixture_or_none(request, "boot_mark")
        booted = boot_mark(found) if boot_mark is not None else None

        spec = make_spec(f"{ours.key}-adopted")
        adopted = driver.adopt(cloud_id, spec.tags)
        assert (adopted.cloud_id, adopted.key) == (cloud_id, spec.key)
        (listed,) = self.find(driver, spec.key)
        assert listed.cloud_id == cloud_id
        assert listed.state is InstanceState.RUNNING
        for tag in (TAG_INSTALLATION, TAG_ASSEMBLY, TAG_KEY):  # as `observe` is checked
            assert listed.tags.get(tag) == spec.tags[tag], tag
        assert all(i.cloud_id != cloud_id for i in driver.unmanaged())
        if boot_mark is not None:  # tagged where it runs, not restarted
            assert boot_mark(listed) == booted
        assert driver.adopt(cloud_id, spec.tags).cloud_id == cloud_id  # again: a success

        foreign = fixture_or_none(request, "foreign_driver")
        if foreign is not None:
            theirs = {**spec.tags, TAG_INSTALLATION: foreign.region.installation_id}
            with pytest.raises(TerminalError) as refused:
                foreign.adopt(cloud_id, theirs)
            assert refused.value.reason == "ManagedElsewhere"
            (still,) = self.find(driver, spec.key)
            assert still.tags.get(TAG_KEY) == spec.key


def _unmanaged_running(contract: ContractHelpers, driver: Driver, cloud_id: str) -> Instance:
    """The unmanaged instance `cloud_id` once `unmanaged()` lists it running."""
    deadline = time.monotonic() + contract.settle_timeout
    while True:
        found = [i for i in driver.unmanaged() if i.cloud_id == cloud_id]
        if found and found[0].state is InstanceState.RUNNING:
            return found[0]
        if time.monotonic() > deadline:
            pytest.fail(f"unmanaged() did not list {cloud_id} running: {found}")
        time.sleep(contract.settle_interval)


# -- helpers for the drivers' own adoption tests --


def adoption_tags(installation: str, key: str) -> dict[str, str]:
    """What the reconciler gives `adopt` for `key`: the tags `create` puts on an instance
    of `installation` under that key."""
    from vertice_drivers.testkit import default_spec  # testkit imports this module

    return dict(default_spec(installation, key).tags)


def refusal(verb: Callable[[], object]) -> str:
    """The reason of the TerminalError `verb()` raises (the test fails when it raises none)."""
    with pytest.raises(TerminalError) as caught:
        verb()
    return caught.value.reason
