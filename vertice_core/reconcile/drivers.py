"""One driver per region, built on first use and rebuilt when the region changes.

The region's settings and credentials are structured into the driver's own
classes (as the API validated them) and the credentials are decrypted here,
in memory only. A driver whose SDK is missing, or whose settings no longer
validate, is reported as `UnavailableError` for that region alone.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import cattrs

from vertice_core.convert import structure
from vertice_core.crypto import SecretBox
from vertice_core.driver import Driver, RegionConfig
from vertice_core.errors import ConfigurationError, InvalidInput, UnavailableError
from vertice_core.registry import DriverRegistry
from vertice_core.store.tables import RegionRow


class RegionDrivers:
    """The drivers of the regions a reconciler serves, cached by region and version."""

    def __init__(
        self,
        registry: DriverRegistry,
        converter: cattrs.Converter,
        box: SecretBox,
        *,
        installation_id: str,
        home: Path,
    ) -> None:
        self.registry = registry
        self.converter = converter
        self.box = box
        self.installation_id = installation_id
        self.home = home
        self._drivers: dict[str, tuple[datetime, str, Driver]] = {}
        self._lock = threading.Lock()

    def get(self, region: RegionRow) -> Driver:
        """The driver of `region` (raises UnavailableError if it cannot be built)."""
        with self._lock:
            cached = self._drivers.get(region.name)
        if cached and cached[0] == region.updated_at and cached[1] == region.cloud_type:
            return cached[2]
        driver = self._build(region)
        with self._lock:
            old = self._drivers.get(region.name)
            self._drivers[region.name] = (region.updated_at, region.cloud_type, driver)
        if old:
            old[2].close()
        return driver

    def _build(self, region: RegionRow) -> Driver:
        cls = self.registry.driver_class(region.cloud_type)
        config = self.config_of(region)
        try:
            return cls(config)
        except UnavailableError:
            raise
        except Exception as exc:  # a driver's constructor must not take the loop down
            raise UnavailableError(
                f"the {region.cloud_type!r} driver could not start for region {region.name!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def config_of(self, region: RegionRow) -> RegionConfig:
        """The region's settings and decrypted credentials, structured into its driver's
        classes (drivers and builders are built from it); UnavailableError if they do not
        validate."""
        info = self.registry.info(region.cloud_type)
        settings: Any
        credentials: Any
        try:
            settings = structure(self.converter, region.settings, info.settings, "$.settings")
            secrets = self.box.open_json(region.sealed_credentials)
            credentials = structure(self.converter, secrets, info.credentials, "$.credentials")
        except (InvalidInput, ConfigurationError) as exc:
            raise UnavailableError(
                f"region {region.name!r} is misconfigured: {exc.description}",
                reason="RegionMisconfigured",
            ) from None
        return RegionConfig(
            name=region.name,
            cloud_type=region.cloud_type,
            installation_id=self.installation_id,
            provider_region=region.provider_region,
            endpoint=region.endpoint,
            settings=settings,
            credentials=credentials,
            home=self.home,
        )

    def close(self) -> None:
        """Close every driver."""
        with self._lock:
            drivers = [entry[2] for entry in self._drivers.values()]
            self._drivers.clear()
        for driver in drivers:
            driver.close()
