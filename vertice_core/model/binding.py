"""Assemblies connected to each other: a consumer binds to a provider's component.

`bindings: [{"assembly": "db", "component": "databaseinstance", "env":
"DATABASE_URL"}]` gives the consumer's instances the provider's database URL
(with its user and password) as `DATABASE_URL`; `{"assembly": "api",
"component": "appaccess"}` gives `API_URL`, where the provider is reached (its
route's URL, else its first instance's private address and port). Both must
be assemblies of one project. The values are kept up to date, level-based: when
the provider's address or credentials change, the consumer's instances are
replaced one at a time (`vertice_core.binding`).
"""

from __future__ import annotations

import enum
import re

import attrs


class BoundComponent(enum.StrEnum):
    """What a consumer may bind to."""

    DATABASEINSTANCE = "databaseinstance"
    APPACCESS = "appaccess"


@attrs.frozen
class Binding:
    """One binding as declared."""

    #: The provider's name (or id), in the consumer's project.
    assembly: str
    component: BoundComponent
    #: The variable the value reaches; default: `DATABASE_URL`, or `<NAME>_URL`.
    env: str = ""

    def variable(self, provider_name: str) -> str:
        """The environment variable of the value."""
        if self.env:
            return self.env
        if self.component is BoundComponent.DATABASEINSTANCE:
            return "DATABASE_URL"
        return re.sub(r"[^A-Za-z0-9]", "_", provider_name).upper() + "_URL"


#: At most this many bindings per assembly.
MAX_BINDINGS = 16
