"""Routes: a hostname (and a path prefix) served by a reverse proxy in front of an assembly.

A route belongs to a project and sends the requests for its hostname to a port
of the instances of one of the project's assemblies. Hostnames are unique in
the installation. The route controller makes the proxy serve what the routes
declare (`vertice_core.routing`); a route's certificate and key, when the user
provides them, are sealed like other secrets and never returned.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import attrs

from vertice_core.model.types import (
    HEALTH_PATH_MAX,
    Hostname,
    Name,
    PathPrefix,
    Port,
    request_path,
    seconds_between,
)

__all__ = ["HEALTH_PATH_MAX", "Balancing", "HealthCheck", "RouteInput", "RoutePhase", "TlsMode"]


class TlsMode(enum.StrEnum):
    """How a route's hostname is served."""

    #: HTTPS with a certificate from the proxy's own CA (no public ACME needed).
    INTERNAL = "internal"
    #: Plain HTTP only.
    OFF = "off"
    #: HTTPS with the certificate and key the user provided.
    PROVIDED = "provided"


class Balancing(enum.StrEnum):
    """How requests are spread over a route's upstreams."""

    ROUND_ROBIN = "round_robin"
    LEAST_CONNECTIONS = "least_conn"


class RoutePhase(enum.StrEnum):
    """Where a route stands, as the route controller last wrote it."""

    #: Not served by a proxy yet (just declared, no router configured, or the proxy is down).
    PENDING = "PENDING"
    #: The proxy serves the route as declared.
    READY = "READY"
    #: The proxy refused the route (a bad certificate); the message says why.
    FAILED = "FAILED"


@attrs.frozen
class HealthCheck:
    """The active health check the proxy runs against each upstream of a route.

    An upstream that does not answer `path` with a 2xx or 3xx within `timeout`
    gets no requests until it does again. Besides it, the proxy always checks
    passively: an upstream a request could not reach gets none for a while, and the
    request is tried on another one.
    """

    path: str = attrs.field(validator=request_path)
    interval: float = attrs.field(default=5.0, validator=seconds_between(0.1, 3600))
    timeout: float = attrs.field(default=2.0, validator=seconds_between(0.1, 60))


#: The most characters a PEM certificate chain or key may hold.
PEM_MAX = 65536


def _pem(kind: str) -> Callable[[object, attrs.Attribute[str], str], None]:
    """A validator: empty, or PEM text of `kind` of bounded size."""

    def check(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if value and (len(value) > PEM_MAX or f"-----BEGIN {kind}" not in value):
            raise ValueError(
                f"{attribute.name}: must be PEM text ('-----BEGIN {kind}...', "
                f"{PEM_MAX} characters at most)"
            )

    return check


@attrs.frozen
class RouteInput:
    """A route as declared (`POST /v3/routes`)."""

    hostname: Hostname
    #: The assembly the route sends requests to: its name (or id) in the route's project.
    assembly: str
    #: The port of the assembly's instances that serves the requests.
    port: Port
    path_prefix: PathPrefix = PathPrefix("")
    tls: TlsMode = TlsMode.INTERNAL
    balancing: Balancing = Balancing.ROUND_ROBIN
    #: The proxy's active health check of each instance (none: passive checks only).
    health_check: HealthCheck | None = None
    #: PEM certificate chain and key, for `tls: provided` only (write-only).
    certificate: str = attrs.field(default="", repr=False, validator=_pem("CERTIFICATE"))
    key: str = attrs.field(default="", repr=False, validator=_pem(""))
    #: The project (by name); default: the caller's first.
    project: Name | None = None

    def __attrs_post_init__(self) -> None:
        provided = self.tls is TlsMode.PROVIDED
        if provided and not (self.certificate and self.key):
            raise ValueError("certificate: tls 'provided' needs a certificate and a key")
        if not provided and (self.certificate or self.key):
            raise ValueError("certificate: a certificate and key are for tls 'provided' only")
