"""Finding installed drivers at run time, by entry point, without importing their SDKs.

Drivers are entry points in group `vertice.drivers`; the entry point's name is
a region's `cloud_type` and its object a `vertice_core.driver.DriverInfo`.
Three levels of cost, used where each is needed:

* `installed()` reads package metadata only: nothing is imported.
* `info(cloud_type)` imports the plugin's light module (its `DriverInfo`), with
  stevedore's `DriverManager`: enough to validate region settings in the API.
* `driver_class(cloud_type)` imports the driver itself and its SDK: done by the
  reconciler only, when a region of that type is reconciled.

A plugin that fails to load is reported (`report()`), never fatal to the others.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import threading
from typing import Any

import attrs

from vertice_core.driver import Driver, DriverInfo
from vertice_core.errors import UnavailableError

NAMESPACE = "vertice.drivers"


class DriverNotInstalled(UnavailableError):
    """No installed driver serves the cloud type."""

    reason = "DriverNotInstalled"


@attrs.frozen
class InstalledDriver:
    """An entry point of group `vertice.drivers`, read from metadata."""

    cloud_type: str
    target: str
    distribution: str
    version: str


@attrs.frozen
class DriverReport:
    """What `vertice drivers` and `GET /v3/drivers` show for one installed driver."""

    cloud_type: str
    distribution: str
    version: str
    capabilities: list[str]
    description: str
    #: Why the driver cannot be used (None when it can).
    error: str | None = None


class DriverRegistry:
    """The drivers installed in this Python environment."""

    def __init__(self, namespace: str = NAMESPACE) -> None:
        self.namespace = namespace
        self._infos: dict[str, DriverInfo] = {}
        self._classes: dict[str, type[Driver]] = {}
        self._lock = threading.Lock()

    def installed(self) -> dict[str, InstalledDriver]:
        """Every installed driver by cloud type, read from metadata (no import)."""
        found: dict[str, InstalledDriver] = {}
        for ep in importlib.metadata.entry_points(group=self.namespace):
            dist = ep.dist
            found.setdefault(
                ep.name,
                InstalledDriver(
                    cloud_type=ep.name,
                    target=ep.value,
                    distribution=dist.metadata["Name"] if dist else "",
                    version=dist.version if dist else "",
                ),
            )
        return dict(sorted(found.items()))

    def info(self, cloud_type: str) -> DriverInfo:
        """The `DriverInfo` of `cloud_type` (imports the plugin's light module only)."""
        with self._lock:
            cached = self._infos.get(cloud_type)
        if cached is not None:
            return cached
        if cloud_type not in self.installed():
            installed = ", ".join(self.installed()) or "none"
            raise DriverNotInstalled(
                f"no driver for cloud type {cloud_type!r} is installed (installed: {installed})"
            )
        info = self._load_info(cloud_type)
        with self._lock:
            self._infos[cloud_type] = info
        return info

    def _load_info(self, cloud_type: str) -> DriverInfo:
        from stevedore import DriverManager
        from stevedore.exception import NoMatches

        failures: list[BaseException] = []

        def on_failure(_manager: Any, _ep: Any, exc: BaseException) -> None:
            failures.append(exc)

        try:
            manager = DriverManager(
                self.namespace,
                cloud_type,
                invoke_on_load=False,
                on_load_failure_callback=on_failure,
                on_missing_entrypoints_callback=lambda _names: None,
            )
        except NoMatches:
            manager = None
        if failures or manager is None or not manager.extensions:
            detail = f"{type(failures[0]).__name__}: {failures[0]}" if failures else "not loaded"
            raise UnavailableError(f"the {cloud_type!r} driver failed to load ({detail})")
        info = manager.driver
        if not isinstance(info, DriverInfo):
            raise UnavailableError(f"the {cloud_type!r} entry point is not a DriverInfo")
        return info

    def missing_requirements(self, info: DriverInfo) -> list[str]:
        """The SDK modules the driver needs that are not installed (checked without import)."""
        return [name for name in info.requires if importlib.util.find_spec(name) is None]

    def driver_class(self, cloud_type: str) -> type[Driver]:
        """The driver class of `cloud_type`, importing the driver and its SDK."""
        with self._lock:
            cached = self._classes.get(cloud_type)
        if cached is not None:
            return cached
        info = self.info(cloud_type)
        missing = self.missing_requirements(info)
        if missing:
            raise UnavailableError(
                f"the {cloud_type!r} driver needs {', '.join(missing)}, which is not installed"
            )
        try:
            cls = info.load()
        except Exception as exc:  # any import-time failure of a plugin is reported, not raised
            raise UnavailableError(
                f"the {cloud_type!r} driver failed to import ({type(exc).__name__}: {exc})"
            ) from exc
        with self._lock:
            self._classes[cloud_type] = cls
        return cls

    def report(self) -> list[DriverReport]:
        """One line per installed driver, with the reason it cannot be used if any."""
        reports = []
        for cloud_type, entry in self.installed().items():
            try:
                info = self.info(cloud_type)
            except UnavailableError as exc:
                reports.append(
                    DriverReport(cloud_type, entry.distribution, entry.version, [], "", str(exc))
                )
                continue
            missing = self.missing_requirements(info)
            reports.append(
                DriverReport(
                    cloud_type=cloud_type,
                    distribution=entry.distribution,
                    version=entry.version,
                    capabilities=sorted(c.value for c in info.capabilities),
                    description=info.description,
                    error=f"missing: {', '.join(missing)}" if missing else None,
                )
            )
        return reports
