"""Finding installed drivers at run time, by entry point, without importing their SDKs.

Drivers are entry points in group `vertice.drivers`; the entry point's name is
a region's `cloud_type` and its object a `vertice_core.driver.DriverInfo`.
Three levels of cost, used where each is needed:

* `installed()` reads package metadata only: nothing is imported.
* `info(cloud_type)` imports the plugin's light module (its `DriverInfo`): enough to
  validate region settings in the API.
* `driver_class(cloud_type)` imports the driver itself and its SDK: done by the
  reconciler only, when a region of that type is reconciled.

A plugin that fails to load is reported (`report()`), never fatal to the others.

A driver installed while the process runs is found without a restart: a cloud type
the entry points read at start do not name makes the registry read them again (at
most once per name every `RESCAN_INTERVAL` seconds). A driver whose distribution
appeared or changed version since the start, but cannot be imported here (an upgraded
package already imported, a path that only a new `.pth` file adds), is reported as
needing a restart rather than as broken.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import threading
import time
from collections.abc import Callable

import attrs

from vertice_core.driver import Driver, DriverInfo
from vertice_core.errors import UnavailableError

NAMESPACE = "vertice.drivers"

#: Seconds before a name the entry points did not hold makes the registry read them again.
RESCAN_INTERVAL = 10.0


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


@attrs.frozen
class _Entry:
    """One driver's entry point, with what its metadata says of it."""

    installed: InstalledDriver
    point: importlib.metadata.EntryPoint


def _scan(namespace: str) -> dict[str, _Entry]:
    """The entry points of `namespace` by name, read from metadata (the first of a name
    wins, as on `sys.path`)."""
    found: dict[str, _Entry] = {}
    for ep in importlib.metadata.entry_points(group=namespace):
        dist = ep.dist
        installed = InstalledDriver(
            cloud_type=ep.name,
            target=ep.value,
            distribution=dist.metadata["Name"] if dist else "",
            version=dist.version if dist else "",
        )
        found.setdefault(ep.name, _Entry(installed, ep))
    return dict(sorted(found.items()))


class DriverRegistry:
    """The drivers installed in this Python environment.

    The entry points are read once, when the registry is made, and read again when a
    cloud type they do not name is asked for (at most once per name every
    `rescan_interval` seconds), so that a driver installed after the process started is
    found without a restart. They are read with `importlib.metadata` directly:
    stevedore keeps a namespace's entry points for the life of the process.
    """

    def __init__(
        self,
        namespace: str = NAMESPACE,
        *,
        rescan_interval: float = RESCAN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.namespace = namespace
        self.rescan_interval = rescan_interval
        self._clock = clock
        self._entries = _scan(namespace)
        #: The distributions (name, version) this process started with: a driver of
        #: any other could not be importable here without a restart.
        self._at_start = {
            (e.installed.distribution, e.installed.version) for e in self._entries.values()
        }
        #: When each name not found was last looked for (older than the interval: gone);
        #: None is the whole list (`installed()`), read just now.
        self._looked_for: dict[str | None, float] = {None: clock()}
        self._infos: dict[str, DriverInfo] = {}
        self._classes: dict[str, type[Driver]] = {}
        self._lock = threading.Lock()

    def installed(self) -> dict[str, InstalledDriver]:
        """Every installed driver by cloud type, read from metadata (no import); read
        again if the last reading of the whole list is older than the interval."""
        if self._due(None):
            self._rescan()
        return {name: entry.installed for name, entry in self._entries.items()}

    def info(self, cloud_type: str) -> DriverInfo:
        """The `DriverInfo` of `cloud_type` (imports the plugin's light module only)."""
        with self._lock:
            cached = self._infos.get(cloud_type)
        if cached is not None:
            return cached
        entry = self._entry(cloud_type)
        try:
            info = entry.point.load()
        except Exception as exc:  # any import-time failure of a plugin is reported, not raised
            raise UnavailableError(self._failure(entry, "failed to load", exc)) from exc
        if not isinstance(info, DriverInfo):
            raise UnavailableError(f"the {cloud_type!r} entry point is not a DriverInfo")
        with self._lock:
            self._infos[cloud_type] = info
        return info

    def _entry(self, cloud_type: str) -> _Entry:
        """The entry point of `cloud_type`, reading the entry points again if it is not
        among them and the name was not looked for within the interval."""
        entry = self._entries.get(cloud_type)
        if entry is None and self._due(cloud_type):
            self._rescan()
            entry = self._entries.get(cloud_type)
        if entry is None:
            installed = ", ".join(self.installed()) or "none"
            raise DriverNotInstalled(
                f"no driver for cloud type {cloud_type!r} is installed (installed: {installed})"
            )
        return entry

    def _due(self, name: str | None) -> bool:
        """Whether `name` may be looked for again now (and, if so, note that it is)."""
        now = self._clock()
        with self._lock:
            for seen, when in list(self._looked_for.items()):
                if now - when >= self.rescan_interval:
                    del self._looked_for[seen]
            if name in self._looked_for:
                return False
            self._looked_for[name] = now
            return True

    def _rescan(self) -> None:
        """Read the entry points again, forgetting the import system's directory caches
        (a module installed since the last import is then found)."""
        importlib.invalidate_caches()
        self._entries = _scan(self.namespace)

    def _failure(self, entry: _Entry, what: str, exc: BaseException) -> str:
        """Why `entry` cannot be imported: a restart is needed when its distribution was
        installed (or upgraded) after this process started, else the error itself."""
        installed = entry.installed
        if (installed.distribution, installed.version) not in self._at_start:
            return (
                f"the {installed.cloud_type!r} driver ({installed.distribution} "
                f"{installed.version}) was installed after this process started: restart "
                "vertice to load it"
            )
        return f"the {installed.cloud_type!r} driver {what} ({type(exc).__name__}: {exc})"

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
            failure = self._failure(self._entry(cloud_type), "failed to import", exc)
            raise UnavailableError(failure) from exc
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
