"""A region's 422s name the exact field of its settings or credentials that is wrong, at
any depth, whichever way the driver's classes check it (issue 16)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from vertice_core.driver import DriverInfo
from vertice_core.registry import DriverRegistry, InstalledDriver

KEY = attrs.validators.min_len(1)


@attrs.frozen
class Subnet:
    """A nested class of the settings: a required field, one with attrs' own validators."""

    zone: str
    size: int = attrs.field(default=8, validator=attrs.validators.ge(1))
    kind: str = attrs.field(default="a", validator=attrs.validators.in_(["a", "b"]))


@attrs.frozen
class NestedSettings:
    project: str = attrs.field(validator=KEY)
    subnet: Subnet | None = None


@attrs.frozen
class NestedCredentials:
    key: str = attrs.field(repr=False, validator=KEY)


NESTED = DriverInfo(
    cloud_type="nested",
    factory="vertice_drivers.sim:SimDriver",
    settings=NestedSettings,
    credentials=NestedCredentials,
    description="settings and credentials checked by attrs' own validators (tests only)",
)


class NestedRegistry(DriverRegistry):
    """The installed drivers and `nested`."""

    def installed(self) -> dict[str, InstalledDriver]:
        found = super().installed()
        found["nested"] = InstalledDriver("nested", "tests:NESTED", "vertice-driver-nested", "0")
        return dict(sorted(found.items()))

    def info(self, cloud_type: str) -> DriverInfo:
        return NESTED if cloud_type == "nested" else super().info(cloud_type)


@pytest.fixture
def ctx(ctx):
    return attrs.evolve(ctx, registry=NestedRegistry())


def region(**fields: Any) -> dict[str, Any]:
    return {
        "name": "nested-1",
        "cloud_type": "nested",
        "settings": {"project": "p"},
        "credentials": {"key": "k"},
        **fields,
    }


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        ({"settings": {}}, ["$.settings.project"]),
        ({"settings": {"project": ""}}, ["$.settings.project"]),
        ({"settings": {"project": "p", "subnet": {}}}, ["$.settings.subnet.zone"]),
        ({"settings": {"project": "p", "subnet": {"zone": "z", "size": 0}}},
         ["$.settings.subnet.size"]),
        ({"settings": {"project": "p", "subnet": {"zone": "z", "kind": "c"}}},
         ["$.settings.subnet.kind"]),
        ({"credentials": {}}, ["$.credentials.key"]),
        ({"credentials": {"key": ""}}, ["$.credentials.key"]),
        ({"settings": {"project": ""}, "credentials": {"key": ""}},
         ["$.settings.project", "$.credentials.key"]),
    ],
)  # fmt: skip
def test_a_wrong_region_is_422_at_the_exact_path(admin, change, paths):
    assert admin.post("/v3/regions", region()).status_code == 201
    for method, uri, name in (
        ("post", "/v3/regions", "nested-2"),
        ("put", "/v3/regions/nested-1", "nested-1"),
    ):
        answer = getattr(admin, method)(uri, region(name=name, **change))
        assert answer.status_code == 422, answer.json
        assert [p["path"] for p in answer.json["problems"]] == paths


def test_the_problem_says_what_is_wrong(admin):
    answer = admin.post("/v3/regions", region(credentials={"key": ""}))
    (problem,) = answer.json["problems"]
    assert problem == {"path": "$.credentials.key", "message": "its length must be >= 1 (it is 0)"}
    answer = admin.post(
        "/v3/regions", region(settings={"project": "p", "subnet": {"zone": "z", "kind": "c"}})
    )
    (problem,) = answer.json["problems"]
    assert problem["message"] == "must be in ['a', 'b'] (got 'c')"
