"""The core's tests use vertice's test harness (vertice-testing, in `testing/`): opt-in here.

`make install` installs it editable beside the core; its fixtures (databases on
SQLite and PostgreSQL, the app and its users, reconcilers, a live server) are in
`vertice_testing.plugin`.

A module that runs a live server defines a `server` fixture (a `LiveServer`);
`api` (the project's client) and `cli` (the `vertice` commands) then talk to it.
`failing_cloud` makes the `local` region's driver fail as a cloud SDK would.
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from vertice_api.client import Client
from vertice_core.driver import DriverInfo
from vertice_core.errors import DriverError, TransientError
from vertice_core.registry import DriverRegistry, InstalledDriver
from vertice_core.store.repositories import RegionRepository
from vertice_drivers.sim import SimSettings
from vertice_testing.cli import VerticeCli
from vertice_testing.server import LiveServer

pytest_plugins = ["vertice_testing.plugin"]


@pytest.fixture
def api(server: LiveServer) -> Iterator[Client]:
    """The project's HTTP client on the module's server, as its admin."""
    with Client(server.url, server.token) as client:
        yield client


@pytest.fixture
def cli(server: LiveServer, tmp_path: Path) -> VerticeCli:
    """The `vertice` commands on the module's server, with a config folder of the test's."""
    return VerticeCli(server.url, server.token, tmp_path / "config")


@attrs.frozen
class CloudFailure:
    """A cloud error as drivers often word it: the region's endpoint, an address and the
    response body (5 KB) in its message. `leaks` finds any of them in what users read."""

    endpoint: str = "https://oned.example.test:2633/RPC2"
    address: str = "10.1.2.3:2633"
    body: str = "<html><body>" + "upstream said no; " * 280 + "END-OF-BODY</body></html>"

    @property
    def message(self) -> str:
        return (
            f"POST {self.endpoint} (oned.example.test, {self.address}) failed: "
            f"502 Bad Gateway: {self.body}"
        )

    def leaks(self, text: str) -> list[str]:
        """The parts of the failure `text` shows."""
        parts = (self.endpoint, "oned.example.test", self.address, "10.1.2.3", self.body)
        return [p for p in (*parts, "END-OF-BODY") if p in text]


@pytest.fixture
def cloud_failure() -> CloudFailure:
    """A cloud error whose message holds what users must not see."""
    return CloudFailure()


@pytest.fixture
def failing_cloud(
    ctx: Any, monkeypatch: pytest.MonkeyPatch, cloud_failure: CloudFailure
) -> Callable[..., CloudFailure]:
    """`failing_cloud(verb, error_class=TransientError)`: the `local` region gets the
    failure's endpoint, and its driver's `verb` (if one is named) raises
    `error_class(failure.message)`."""
    from vertice_drivers.sim import SimDriver

    def fail(verb: str = "", error_class: type[DriverError] = TransientError) -> CloudFailure:
        with ctx.store.write() as session:
            regions = RegionRepository(session)
            regions.update(regions.get("local"), endpoint=cloud_failure.endpoint)

        def raising(*_args: Any) -> Any:
            raise error_class(cloud_failure.message)

        if verb:
            monkeypatch.setattr(SimDriver, verb, raising)
        return cloud_failure

    return fail


@pytest.fixture
def bare_region(admin: Any) -> str:
    """A region `bare` of an installed driver that claims neither `resize`, `snapshot` nor
    `disks` (SoftLayer's); nothing is called: the claims are its metadata."""
    region = {"name": "bare", "cloud_type": "softlayer",
              "credentials": {"username": "vertice", "api_key": "not-used-here"}}  # fmt: skip
    answer = admin.post("/v3/regions", region)
    assert answer.status_code == 201, answer.json
    return "bare"


#: A cloud type whose driver claims no capability at all (tests only, served by the sim's
#: code): what a region whose driver cannot do a day-2 operation is refused.
BARE = DriverInfo(
    cloud_type="bare",
    factory="vertice_drivers.sim:SimDriver",
    settings=SimSettings,
    description="A cloud type that claims no capability (tests only)",
)


class BareRegistry(DriverRegistry):
    """The installed drivers and `bare`."""

    def installed(self) -> dict[str, InstalledDriver]:
        found = super().installed()
        found["bare"] = InstalledDriver("bare", "tests:BARE", "vertice-driver-bare", "0.0.1")
        return dict(sorted(found.items()))

    def info(self, cloud_type: str) -> DriverInfo:
        return BARE if cloud_type == "bare" else super().info(cloud_type)


@pytest.fixture
def bare_registry() -> DriverRegistry:
    """A registry that also serves cloud type `bare` (a module's `ctx` takes it with
    `attrs.evolve(ctx, registry=bare_registry)`)."""
    return BareRegistry()
