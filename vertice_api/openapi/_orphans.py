"""The OpenAPI pieces of retiring a cloud: `DELETE /v3/assembly/{id}?orphan=true` and
`DELETE /v3/regions/{name}?cascade=orphan` (`vertice_core.service.orphans`)."""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    array,
    boolean,
    enum,
    query_param,
    ref,
    response,
    string,
)
from vertice_api.openapi._resources import record


def orphan_resources() -> dict[str, Json]:
    """What an orphaning delete answers."""
    instance = record(
        {
            "region": string(),
            "cloud_id": string("The cloud's id of the instance; empty if it was never "
                               "observed (a create that may have happened)."),
            "key": string("Its idempotency key (the `vertice-key` tag)."),
        },
        description="An instance left running in the cloud: vertice no longer manages nor "
        "bills it.",
    )  # fmt: skip
    orphaned = record(
        {
            "assembly_uri": string("The assembly's URI, which no longer answers."),
            "id": string(),
            "name": string(),
            "project": string(),
            "region": string(),
            "abandoned": array(ref("AbandonedInstance")),
            "events_uri": string("Its events, an `Orphaned` Warning last: they stay readable."),
        },
        description="An assembly deleted with `orphan=true`, and what it abandoned.",
    )
    retired = record(
        {"region": string(), "orphaned": array(ref("OrphanedAssembly"))},
        description="A region deleted with `cascade=orphan`, and the assemblies it orphaned.",
    )
    return {"AbandonedInstance": instance, "OrphanedAssembly": orphaned, "RetiredRegion": retired}


def orphan_param() -> Json:
    """`orphan` of the assembly delete."""
    return query_param(
        "orphan",
        "`true`: remove the assembly and its records now, calling no cloud, and leave its "
        "instances running there (a region unreachable or retired); answers 200 listing "
        "them. Anything but `true` or `false` is a 400.",
        boolean(),
    )


def force_param() -> Json:
    """`force` of the assembly delete."""
    return query_param(
        "force",
        "`true`: delete the assembly even though other assemblies are bound to it (they "
        "keep the values they were last given); without it that is a 409 naming them.",
        boolean(),
    )


def with_snapshots_param() -> Json:
    """`with_snapshots` of the assembly delete."""
    return query_param(
        "with_snapshots",
        "`true`: delete the snapshots made of the assembly too (each DELETING, its image "
        "deleted by the reconciler); a snapshot another assembly was restored from is a 409 "
        "naming both, and nothing is deleted. Without it the snapshots are kept. Not with "
        "`orphan=true` (a 400).",
        boolean(),
    )


def with_disks_param() -> Json:
    """`with_disks` of the assembly delete."""
    return query_param(
        "with_disks",
        "`true`: delete the disks attached (or to be attached) to the assembly too (each "
        "DELETING: detached, then deleted, data and all). Without it they are detached and "
        "kept. Not with `orphan=true` (a 400).",
        boolean(),
    )


def orphaned_response() -> Json:
    """The 200 of an orphaning assembly delete."""
    return response(200, ref("OrphanedAssembly"),
                    description="Orphaned (`orphan=true`): the assembly is gone, its "
                    "instances keep running in the cloud.")  # fmt: skip


def cascade_param() -> Json:
    """`cascade` of the region delete."""
    return query_param(
        "cascade",
        "`orphan`: first delete every assembly homed in the region with `orphan=true` (an "
        "assembly whose placement names the region is a 409); answers 200 listing them.",
        enum(["orphan"]),
    )


def retired_response() -> Json:
    """The 200 of a region delete with `cascade=orphan`."""
    return response(200, ref("RetiredRegion"),
                    description="Deleted with `cascade=orphan`: the region and its "
                    "assemblies are gone, their instances keep running in the cloud.")  # fmt: skip
