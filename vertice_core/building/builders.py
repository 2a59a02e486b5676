"""Finding installed builders by entry point (group `vertice.builders`) and choosing one.

`installed()` reads package metadata only. `infos()` imports each plugin's
light module (its `BuilderInfo`); a plugin that fails to load is left out and
reported, never fatal to the others. `serving(cloud_type)` lists, by
priority, the builders for a region's cloud type: the API checks a declared
recipe against it, and the build controller asks each in turn to `detect` a
tree when the source names no recipe.
"""

from __future__ import annotations

import importlib.metadata
import logging

from vertice_core.builder import BUILDER_NAMESPACE, BuilderInfo

log = logging.getLogger("vertice.builds")


def installed() -> dict[str, str]:
    """Entry point name -> the distribution that provides it (read from metadata, no import)."""
    return {
        ep.name: ep.dist.metadata["Name"] if ep.dist else ""
        for ep in importlib.metadata.entry_points(group=BUILDER_NAMESPACE)
    }


def infos() -> dict[str, BuilderInfo]:
    """Every installed builder's `BuilderInfo`, by entry point name (broken plugins left
    out). The entry point's name is the recipe's, or `<recipe>-<kind>` when builders of one
    recipe serve different clouds (`python` on Docker, `python-vm` on VMs): the recipe is
    `BuilderInfo.name`."""
    found: dict[str, BuilderInfo] = {}
    for ep in importlib.metadata.entry_points(group=BUILDER_NAMESPACE):
        try:
            info = ep.load()
        except Exception as exc:
            log.warning("builder plugin %s cannot be loaded: %s", ep.value, exc)
            continue
        if isinstance(info, BuilderInfo):
            found.setdefault(ep.name, info)
        else:
            log.warning("builder plugin %s is not a BuilderInfo", ep.value)
    return found


def serving(cloud_type: str) -> list[BuilderInfo]:
    """The builders for regions of `cloud_type`, lowest priority first, then by name."""
    chosen = [info for info in infos().values() if cloud_type in info.cloud_types]
    return sorted(chosen, key=lambda info: (info.priority, info.name))


def recipe_problem(recipe: str, cloud_type: str) -> str | None:
    """Why `recipe` cannot build for a region of `cloud_type` ("": detect), or None."""
    available = serving(cloud_type)
    if not available:
        return (
            f"no installed builder builds for {cloud_type!r} regions "
            f"(installed: {', '.join(sorted(installed())) or 'none'})"
        )
    if recipe and recipe not in {info.name for info in available}:
        names = ", ".join(info.name for info in available)
        return f"there is no recipe {recipe!r} for {cloud_type!r} regions (known: {names})"
    return None


def private_problem(recipe: str, cloud_type: str) -> str | None:
    """Why a private repository (a token or deploy key) cannot be built with `recipe` ("":
    any) for a region of `cloud_type`, or None."""
    available = [i for i in serving(cloud_type) if not recipe or i.name == recipe]
    if not available or any(info.private_sources for info in available):
        return None
    return (
        f"{cloud_type!r} regions build from public repositories only: their VMs fetch the "
        "source themselves, and a token or deploy key would travel in their user data, "
        "readable on the VM and shown in cloud consoles"
    )
