"""Which day-2 operations a region can carry out: what its driver claims.

A request for an operation whose capability the driver of a region it touches does not
claim (`vertice_core.driver.Capability`) is refused with a 422 naming the capability and
the cloud type, before anything is stored. The claims are read from the driver's
metadata by `Capabilities` (given by whoever builds the service context: the driver
itself is never loaded and no cloud is called).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

from vertice_core.errors import Conflict, InvalidInput, UnavailableError
from vertice_core.store.repositories import RegionRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The capabilities a cloud type's driver claims, by name (raises `UnavailableError` when
#: no usable driver is installed for it).
Capabilities = Callable[[str], Collection[str]]


def no_capabilities(cloud_type: str) -> Collection[str]:
    """The claims of a context built without a driver registry: none."""
    return ()


def require(
    session: Session,
    capabilities: Capabilities,
    regions: Sequence[str],
    capability: str,
    *,
    doing: str,
    path: str = "$",
) -> None:
    """`InvalidInput` at `path` naming the capability and the cloud type, unless the
    driver of every one of `regions` claims `capability` (`doing`: what the request asks
    for, as the message says it: "resize instances")."""
    repository = RegionRepository(session)
    for name in regions:
        region = repository.get(name)
        if region is None:
            raise Conflict(f"the assembly's region {name!r} no longer exists")
        try:
            claimed = capabilities(region.cloud_type)
        except UnavailableError as exc:
            raise InvalidInput.at(
                path, f"region {name!r} (cloud type {region.cloud_type!r}) cannot {doing}: "
                f"{exc.message}"
            ) from None  # fmt: skip
        if capability not in claimed:
            raise InvalidInput.at(
                path, f"region {name!r} cannot {doing}: the {region.cloud_type!r} driver does "
                f"not support the capability {capability!r}"
            )  # fmt: skip
