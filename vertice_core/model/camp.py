"""CAMP 1.2 resources: plans (with services, artifacts, characteristics), components, links.

A *plan* describes what can be deployed (the design document's marketplace
entries); an *assembly* is one deployment made from a plan. Characteristics
are free-form objects in CAMP (a `type` plus any keys), so they stay plain
mappings here; helper methods read the few that vertice understands.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

import attrs

from vertice_core.errors import Problem
from vertice_core.model.run import run_problems
from vertice_core.model.types import Name, Tags

#: The CAMP specification versions a plan may declare.
CAMP_VERSIONS = ("1.2",)

#: node_exporter's port, where metrics are scraped unless a plan or assembly says otherwise.
DEFAULT_METRICS_PORT = 9100

#: A characteristic: `{"type": "org.megam.java::env", "http.port": "8080"}`.
Characteristic = dict[str, Any]


@attrs.frozen
class Artifact:
    """Something a plan deploys (an image, an archive, a repository)."""

    name: str = ""
    description: str = ""
    artifact_type: str = ""
    content: dict[str, Any] = attrs.Factory(dict)
    requirements: list[dict[str, Any]] = attrs.Factory(list)


@attrs.frozen
class Service:
    """A service a plan needs, described by characteristics (image version, env, ports)."""

    name: str
    description: str = ""
    href: str = ""
    characteristics: list[Characteristic] = attrs.Factory(list)


@attrs.frozen
class Plan:
    """A CAMP plan: the blueprint an assembly is declared from.

    Names follow `<order>_<cattype>_<name>` for the built-in plans
    (`1_virtualmachine_ubuntu`), but any valid name is accepted.
    """

    name: Name
    camp_version: str
    description: str = ""
    tags: Tags = attrs.Factory(lambda: Tags([]))
    origin: str = ""
    artifacts: list[Artifact] = attrs.Factory(list)
    services: list[Service] = attrs.Factory(list)
    #: What a user gives when declaring an assembly from the plan, each an object:
    #: `{"name": "password", "type": "string", "secret": true, "generate": true,
    #: "env": "POSTGRES_PASSWORD", "description": "..."}` (types `string`, `integer`,
    #: `port`, `boolean`; `default` a string; `env` the variable the value reaches). Only
    #: stored and shown for now: the core's handling (validation, the values becoming
    #: environment variables, generated secrets shown once) is being added.
    inputs: list[dict[str, Any]] = attrs.Factory(list)

    def characteristics(self, suffix: str) -> Iterator[Characteristic]:
        """Every characteristic whose type ends with `::<suffix>` (e.g. `env`, `image`)."""
        for service in self.services:
            for characteristic in service.characteristics:
                kind = characteristic.get("type")
                if isinstance(kind, str) and kind.rsplit(":", 1)[-1] == suffix:
                    yield characteristic

    def settings(self, suffix: str) -> dict[str, str]:
        """The merged keys of every `::<suffix>` characteristic, without `type`."""
        merged: dict[str, str] = {}
        for characteristic in self.characteristics(suffix):
            merged.update({k: str(v) for k, v in characteristic.items() if k != "type"})
        return merged

    @property
    def category(self) -> str:
        """The `<cattype>` part of a `<order>_<cattype>_<name>` plan name, else ''."""
        parts = self.name.split("_", 2)
        return parts[1] if len(parts) == 3 else ""

    def image(self) -> str:
        """The image the plan runs: an `::image` characteristic's `name`, else the plan name.

        Drivers map this logical name onto a cloud image through their region
        settings (an AMI per plan image, a Docker image reference...).
        """
        explicit = self.settings("image").get("name")
        return explicit or str(self.name)

    def metrics_port(self) -> int | None:
        """The port of the exporter the plan asks instances to run (node_exporter), or None.

        A `::metrics` characteristic asks for metrics: `{"type": "...::metrics",
        "port": "9100"}`; without a port, node_exporter's default 9100 is meant.
        """
        found = list(self.characteristics("metrics"))
        if not found:
            return None
        port = self.settings("metrics").get("port", "9100")
        try:
            return int(port)
        except ValueError:
            return DEFAULT_METRICS_PORT

    def ports(self) -> list[int]:
        """Ports the plan's services listen on (the `::env` characteristic's `*.port` keys)."""
        found: list[int] = []
        for key, value in self.settings("env").items():
            if key == "port" or key.endswith(".port"):
                try:
                    found.append(int(value))
                except ValueError:
                    continue
        return sorted(set(found))

    def _run(self, key: str) -> tuple[str, ...] | None:
        """The last `::command` characteristic's `key` (a list of strings), else None."""
        found: tuple[str, ...] | None = None
        for characteristic in self.characteristics("command"):
            value = characteristic.get(key)
            if isinstance(value, list):
                found = tuple(str(item) for item in value)
        return found

    def command(self) -> tuple[str, ...] | None:
        """What instances run instead of the image's entrypoint, or None for the image's.

        A `::command` characteristic says it: `{"type": "org.vertice.container::command",
        "command": ["sh", "-c"], "args": ["echo $GREETING"]}` (`vertice_core.model.run`).
        """
        return self._run("command")

    def args(self) -> tuple[str, ...] | None:
        """The arguments instances run with instead of the image's default ones, or None."""
        return self._run("args")

    def run_problems(self) -> list[Problem]:
        """Why the plan's `::command` characteristics are invalid (checked when it is stored).

        The `::env` characteristic is not checked here: it also holds settings such as
        `http.port` that are not variable names, and passes to the instance as it is.
        """
        found: list[Problem] = []
        for s, service in enumerate(self.services):
            for c, characteristic in enumerate(service.characteristics):
                kind = characteristic.get("type")
                if not (isinstance(kind, str) and kind.rsplit(":", 1)[-1] == "command"):
                    continue
                path = f"$.services[{s}].characteristics[{c}]"
                unknown = sorted(set(characteristic) - {"type", "command", "args"})
                if unknown:
                    found.append(Problem(path, f"unknown keys {unknown}; known: command, args"))
                found += run_problems(
                    path, command=characteristic.get("command"), args=characteristic.get("args")
                )
        return found


class ComponentTag(enum.StrEnum):
    """The component kinds of the design document's table."""

    FLAVOR = "flavor"
    NETWORK_PUBLIC_IPV4 = "network_public_ipv4"
    NETWORK_PRIVATE_IPV4 = "network_private_ipv4"
    REGION = "region"
    SECURITY = "security"
    APPSECURITY = "appsecurity"
    APPACCESS = "appaccess"
    APPREPOSITORY = "apprepository"
    DATABASEINSTANCE = "databaseinstance"


#: Components whose facts come from observing the cloud, not from the declaration.
OBSERVED_COMPONENTS = frozenset(
    {ComponentTag.NETWORK_PUBLIC_IPV4, ComponentTag.NETWORK_PRIVATE_IPV4, ComponentTag.REGION}
)


@attrs.frozen
class Component:
    """A dynamic element of a running assembly (its flavor, an address, a database...)."""

    tag: ComponentTag
    name: str = ""
    description: str = ""
    attributes: dict[str, Any] = attrs.Factory(dict)


@attrs.frozen
class Link:
    """A CAMP link: a reference to another resource by URI."""

    href: str
    target_name: str = ""


@attrs.frozen
class Metadata:
    """CAMP resource metadata: which attribute paths may change after creation.

    `mutable` lists paths an administrator (the provider) may change;
    `consumer_mutable` the subset a consumer (the owning user) may change.
    """

    type_definition: str = ""
    mutable: list[str] = attrs.Factory(list)
    consumer_mutable: list[str] = attrs.Factory(list)
