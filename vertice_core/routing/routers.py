"""Finding the configured router by entry point (group `vertice.routers`) and building it."""

from __future__ import annotations

import importlib.metadata

import cattrs

from vertice_core.config import Config
from vertice_core.convert import structure
from vertice_core.errors import ConfigurationError, InvalidInput
from vertice_core.router import ROUTER_NAMESPACE, RouterConfig, RouterInfo
from vertice_core.routing.controller import RouterTarget

#: The name of the installation's one router (one proxy per installation, for now).
DEFAULT_ROUTER = "default"


def installed_routers() -> dict[str, str]:
    """Router type -> the distribution that provides it (read from metadata, no import)."""
    return {
        ep.name: ep.dist.metadata["Name"] if ep.dist else ""
        for ep in importlib.metadata.entry_points(group=ROUTER_NAMESPACE)
    }


def router_info(router_type: str) -> RouterInfo:
    """The `RouterInfo` of an installed router type; a clear error when there is none."""
    for ep in importlib.metadata.entry_points(group=ROUTER_NAMESPACE):
        if ep.name == router_type:
            info = ep.load()
            if not isinstance(info, RouterInfo):
                raise ConfigurationError(f"the router plugin {ep.value} is not a RouterInfo")
            return info
    known = ", ".join(sorted(installed_routers())) or "none"
    raise ConfigurationError(
        f"VERTICE_ROUTER={router_type!r}: no such router is installed (installed: {known})"
    )


def build_router(
    config: Config, converter: cattrs.Converter, installation_id: str
) -> RouterTarget | None:
    """The configured router, or None when `VERTICE_ROUTER` is unset."""
    if config.router_type is None:
        return None
    info = router_info(config.router_type)
    try:
        settings: object = structure(converter, dict(config.router_settings), info.settings)
    except InvalidInput as exc:
        problems = "; ".join(f"{p.path}: {p.message}" for p in exc.problems)
        raise ConfigurationError(f"VERTICE_ROUTER_SETTINGS: {problems}") from None
    router_config = RouterConfig(DEFAULT_ROUTER, config.router_type, installation_id, settings)
    return RouterTarget(DEFAULT_ROUTER, info.load()(router_config))
