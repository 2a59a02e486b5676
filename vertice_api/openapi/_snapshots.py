"""The operations and schemas of snapshots: `/v3/assembly/{id}/snapshots`, `/v3/snapshots`."""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    body,
    enum,
    integer,
    obj,
    operation,
    path_param,
    query_param,
    ref,
    response,
    string,
    time,
)
from vertice_api.openapi._paths import ASSEMBLY_ID, Paths
from vertice_api.openapi._resources import collection, record, resource
from vertice_core.model.snapshot import SnapshotPhase
from vertice_core.model.types import MAX_INT

SNAPSHOT_ID = {"type": "string", "pattern": "^sn-[0-9a-f]{16}$"}
TAG = "snapshots"


def snapshot_paths(paths: Paths) -> dict[str, Json]:
    """`/v3/assembly/{assembly_id}/snapshots`, `/v3/snapshots`, `/v3/snapshots/{snapshot_id}`."""
    assembly_id = path_param("assembly_id", "The assembly's id.", ASSEMBLY_ID)
    snapshot_id = path_param("snapshot_id", "The snapshot's id.", SNAPSHOT_ID)
    project = {"$ref": "#/components/parameters/project"}
    assembly = query_param(
        "assembly",
        "Only the snapshots of this source assembly: its id, or the name it had when the "
        "snapshot was asked for.",
        {"type": "string"},
    )
    asked = response(202, ref("Snapshot"), ("Location",), "Accepted: the snapshot is PENDING; "
                     "the snapshot controller makes it (its `phase` tells).")  # fmt: skip
    deleting = response(202, ref("Snapshot"), (), "Accepted: the snapshot is DELETING; "
                        "the controller deletes the cloud's image, then the snapshot.")  # fmt: skip
    return {
        "/v3/assembly/{assembly_id}/snapshots": {
            "parameters": [assembly_id],
            "get": paths.get("listAssemblySnapshots", "The snapshots of an assembly (they "
                             "outlive it)", TAG, "SnapshotCollection", errors=[404]),
            "post": operation(
                "createSnapshot", "Ask for a snapshot of one instance of the assembly",
                tag=TAG, request=body(ref("SnapshotInput")), errors=[404, 409], ok={202: asked},
                description="The instance must have been observed in the cloud (else 409); a "
                "region whose driver does not claim the `snapshot` capability is a 422 naming "
                "it and the cloud type.",
            ),
        },
        "/v3/snapshots": {
            "get": paths.get("listSnapshots", "The caller's snapshots", TAG,
                             "SnapshotCollection", parameters=[project, assembly],
                             errors=[404, 409]),
        },
        "/v3/snapshots/{snapshot_id}": {
            "parameters": [snapshot_id],
            "get": paths.get("getSnapshot", "Read a snapshot", TAG, "Snapshot", errors=[404]),
            "delete": operation("deleteSnapshot", "Delete a snapshot and its image (again: a "
                                "no-op)", tag=TAG, errors=[404, 409], ok={202: deleting},
                                description="An assembly restored from it (not being deleted) "
                                "makes it a 409 naming the assembly."),
        },
    }  # fmt: skip


def snapshot_requests() -> dict[str, Json]:
    """The body of a snapshot's request."""
    return {
        "SnapshotInput": obj(
            {
                "name": ref("Name"),
                "instance": integer("The instance's ordinal (default 0).", 0, maximum=MAX_INT),
            },
            ("name",),
            description="`name` is unique among the project's snapshots (else 409).",
        ),
    }


def snapshot_resources() -> dict[str, Json]:
    """A snapshot and the collection of snapshots."""
    source = record(
        {"id": string(), "name": string("Its name when the snapshot was asked for."),
         "uri": string()},
        description="The assembly it was made from (it may be deleted since).",
    )  # fmt: skip
    snapshot = resource(
        "snapshot",
        {
            "id": string(pattern=SNAPSHOT_ID["pattern"]),
            "project": string(),
            "assembly": source,
            "instance": integer("The ordinal of the instance it was made from.", minimum=0),
            "region": string("Where its image is, and may be launched (`snapshot` of a "
                             "declaration)."),
            "phase": enum([p.value for p in SnapshotPhase]),
            "message": string("Why it failed, or why the last try did not work."),
            "image_id": string("The cloud's image id ('' until the cloud made one)."),
            "created_at": time(),
            "updated_at": time(),
        },
    )  # fmt: skip
    return {"Snapshot": snapshot, "SnapshotCollection": collection("snapshots", "Snapshot")}
