"""What the service layer is given once, at start-up, and passes to every operation.

Built by whoever starts a process (the API's `build_context`, a command of
the CLI, a test) and handed on; nothing here is global.
"""

from __future__ import annotations

from typing import Protocol

import attrs
import cattrs
import pluggy

from vertice_core.config import Config
from vertice_core.crypto import SecretBox
from vertice_core.service.capabilities import Capabilities, no_capabilities


class Catalog(Protocol):
    """Which plans, regions and flavors exist (`CatalogCache` keeps them per process)."""

    def has_plan(self, name: str) -> bool:
        """Whether a plan called `name` exists."""

    def has_region(self, name: str) -> bool:
        """Whether a region called `name` exists."""

    def flavor_regions(self, name: str) -> tuple[str, ...] | None:
        """The regions a flavor is offered in (empty: all), or None if there is none."""


@attrs.frozen
class ServiceContext:
    """Settings, the converter, the secret box, the plugin hooks and the catalog."""

    config: Config
    converter: cattrs.Converter
    box: SecretBox
    plugins: pluggy.PluginManager
    catalog: Catalog
    #: What each cloud type's driver claims (`service.capabilities`): day-2 operations a
    #: region's driver does not claim are refused.
    capabilities: Capabilities = no_capabilities
