"""The Caddy router of vertice (`router_type` `caddy`): routes go through Caddy's admin API.

This module is what the `vertice.routers` entry point names: the settings
class and the `ROUTER` description only, so the registry can validate a
router's settings without importing httpx or the router
(`vertice_router_caddy.router`, loaded when a Caddy proxy is reconciled).
"""

from __future__ import annotations

from typing import Any

import attrs

from vertice_core.router import RouterInfo

__all__ = ["ROUTER", "CaddySettings"]


def _check_admin(_instance: Any, _attribute: Any, value: str) -> None:
    if not value.startswith(("http://", "https://")) or len(value) > 1024:
        raise ValueError(f"admin {value!r} must be the admin API's URL, like http://127.0.0.1:2019")


def _check_port(_instance: Any, attribute: Any, value: int) -> None:
    if not 1 <= value <= 65535:
        raise ValueError(f"{attribute.name} {value} is not a TCP port (1-65535)")


def _check_host(_instance: Any, _attribute: Any, value: str) -> None:
    if any(c in value for c in "/ :") and not (value.startswith("[") and value.endswith("]")):
        raise ValueError(f"listen_host {value!r} must be an address ('' for all, [::1] for IPv6)")


def _check_timeout(_instance: Any, _attribute: Any, value: float) -> None:
    if not 0 < value <= 300:
        raise ValueError(f"timeout {value} must be more than 0 and at most 300 seconds")


@attrs.frozen
class CaddySettings:
    """A Caddy proxy's settings: where its admin API answers and where routes are served."""

    #: The admin API's URL (Caddy's `admin.listen`).
    admin: str = attrs.field(default="http://127.0.0.1:2019", validator=_check_admin)
    #: The port plain-HTTP routes (tls `off`) are served on (Caddy's `apps.http.http_port`).
    http_port: int = attrs.field(default=80, validator=_check_port)
    #: The port HTTPS routes are served on (Caddy's `apps.http.https_port`).
    https_port: int = attrs.field(default=443, validator=_check_port)
    #: The address vertice's servers listen on; "" is every address.
    listen_host: str = attrs.field(default="", validator=_check_host)
    #: Seconds one admin API call may take.
    timeout: float = attrs.field(default=5.0, validator=_check_timeout)


ROUTER = RouterInfo(
    router_type="caddy",
    factory="vertice_router_caddy.router:CaddyRouter",
    settings=CaddySettings,
    description="Caddy 2: routes written through its admin API, TLS from its internal CA",
)
