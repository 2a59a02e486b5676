"""The Docker Engine driver of vertice (`cloud_type` `docker`): an instance is a container.

This module is what the `vertice.drivers` entry point names. It holds only
what the API needs to validate a region (its settings and credentials
classes) and the `DRIVER` description; it never imports the docker SDK,
which `vertice_driver_docker.driver` loads when a docker region is reconciled.
"""

from __future__ import annotations

from typing import Any

import attrs

from vertice_core.driver import Capability, DriverInfo
from vertice_core.model.types import NonNegative, Positive

__all__ = ["DRIVER", "DockerCredentials", "DockerSettings"]

#: The URL schemes the driver connects with.
SCHEMES = ("unix://", "tcp://")


def _check_base_url(_instance: Any, _attribute: Any, value: str) -> None:
    if not value.startswith(SCHEMES) or len(value) > 1024:
        raise ValueError(
            f"base_url {value!r} must be 'unix:///path/to/docker.sock' or 'tcp://host:port'"
        )


@attrs.frozen
class DockerSettings:
    """A docker region's settings: where the engine answers and how containers are made."""

    #: The engine's API: `unix:///var/run/docker.sock` or `tcp://host:2376` (TLS: credentials).
    base_url: str = attrs.field(default="unix:///var/run/docker.sock", validator=_check_base_url)
    #: Host or IPv4 address where published ports are reachable; empty: the engine's host
    #: (`127.0.0.1` for a unix socket).
    public_address: str = ""
    #: Plan image -> image reference on the engine (`"3_webserver_apache": "httpd:2.4"`). A
    #: plan image not listed here is used as the reference itself.
    images: dict[str, str] = attrs.Factory(dict)
    #: A network (user-defined bridge) to attach containers to; empty: the engine's default.
    network: str = ""
    #: Use TLS on a `tcp://` engine even when the credentials hold no certificate.
    tls: bool = False
    #: Verify the engine's certificate (against `credentials.ca_cert`, else the system CAs).
    tls_verify: bool = True
    #: Seconds one API call may take.
    timeout: Positive = Positive(30)
    #: Seconds `stop` and `reboot` wait for the container's process before killing it.
    stop_timeout: NonNegative = NonNegative(10)
    #: Most live containers this installation may hold on the engine (more: QuotaExceeded).
    max_containers: Positive | None = None


def _check_client_pair(instance: DockerCredentials, _attribute: Any, _value: str) -> None:
    if bool(instance.client_cert) != bool(instance.client_key):
        raise ValueError("client_cert and client_key go together: give both or neither")


@attrs.frozen
class DockerCredentials:
    """A docker region's TLS material, as PEM text (sealed at rest, written to private files)."""

    #: The CA that signed the engine's certificate.
    ca_cert: str = ""
    #: The client certificate the engine accepts (`--tlsverify`).
    client_cert: str = ""
    #: The client certificate's private key.
    client_key: str = attrs.field(default="", repr=False, validator=_check_client_pair)

    @property
    def any(self) -> bool:
        """Whether any TLS material is given."""
        return bool(self.ca_cert or self.client_cert)


DRIVER = DriverInfo(
    cloud_type="docker",
    factory="vertice_driver_docker.driver:DockerDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PUBLIC_IPV4,
            Capability.PRIVATE_IPV4,
            Capability.PUBLISH_PORTS,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.IDEMPOTENCY_TOKEN,
            Capability.RESIZE,
            Capability.SNAPSHOT,
            Capability.HARD_REBOOT,
            Capability.HARD_STOP,
            Capability.SUSPEND,
            Capability.ADOPT,
            Capability.WATCH,
        }
    ),
    settings=DockerSettings,
    credentials=DockerCredentials,
    requires=("docker",),
    description="Docker Engine: every instance is a container, ports published on the host",
)
