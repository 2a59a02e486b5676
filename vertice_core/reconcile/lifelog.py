"""The reconciler's INFO lines about what it did in a cloud: each launch, delete, removed
assembly and removed ghost once, after it happened, with the assembly's name and id.

Failures are logged where a driver's error is classified (`RegionPass._public`, at
WARNING, once each). The lines carry the assembly as fields too (`extra=`), which JSON
logs show (`vertice_core.logs`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from vertice_core.driver import TAG_ASSEMBLY, Instance
from vertice_core.logs import assembly_fields
from vertice_core.store.repositories.work import WorkItem

log = logging.getLogger("vertice.reconcile")


def launched(item: WorkItem, ordinal: int, instance: Instance, region: str) -> None:
    """A create call returned `instance` (the cloud runs it, or is starting it)."""
    log.info(
        "assembly %s (%s): launched instance %d as %s in region %s",
        item.name, item.id, ordinal, instance.cloud_id, region,
        extra=assembly_fields(item.name, item.id, region),
    )  # fmt: skip


def deleted(item: WorkItem, ordinal: int, cloud_id: str, region: str) -> None:
    """A delete call of one of the assembly's instances returned."""
    log.info(
        "assembly %s (%s): deleted instance %d (%s) in region %s",
        item.name, item.id, ordinal, cloud_id, region,
        extra=assembly_fields(item.name, item.id, region),
    )  # fmt: skip


def removed(items: Iterable[WorkItem], region: str) -> None:
    """Deleted assemblies whose rows were removed (the cloud shows none of their instances)."""
    for item in items:
        log.info(
            "assembly %s (%s): removed (no instance left in region %s)",
            item.name, item.id, region,
            extra=assembly_fields(item.name, item.id, region),
        )  # fmt: skip


def ghost_removed(ghost: Instance, region: str) -> None:
    """An instance of no assembly (its id, from its tags, is the one logged) was deleted."""
    assembly_id = ghost.tags.get(TAG_ASSEMBLY, "")
    log.info(
        "ghost instance %s (key %r, of no assembly %s) deleted in region %s",
        ghost.cloud_id, ghost.key, assembly_id or "-", region,
        extra={"assembly_id": assembly_id, "region": region} if assembly_id else {"region": region},
    )  # fmt: skip
