"""The operations and schemas of disks: `/v3/disks`, `/v3/disks/{id}`, `/v3/assembly/{id}/disks`."""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    body,
    boolean,
    enum,
    integer,
    nullable,
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
from vertice_core.model.disk import MAX_DISK_GB, DiskPhase
from vertice_core.model.types import MAX_INT

DISK_ID = {"type": "string", "pattern": "^dk-[0-9a-f]{16}$"}
TAG = "disks"


def disk_paths(paths: Paths) -> dict[str, Json]:
    """`/v3/disks`, `/v3/disks/{disk_id}`, `/v3/assembly/{assembly_id}/disks`."""
    assembly_id = path_param("assembly_id", "The assembly's id.", ASSEMBLY_ID)
    disk_id = path_param("disk_id", "The disk's id.", DISK_ID)
    project = {"$ref": "#/components/parameters/project"}
    assembly = query_param("assembly", "Only the disks to be attached to this assembly: its "
                           "id, or its name.", {"type": "string"})  # fmt: skip
    region = query_param("region", "Only the disks in this region.", {"type": "string"})
    accepted = response(202, ref("Disk"), ("Location",), "Accepted: the disk is PENDING; the "
                        "disk controller makes it (its `phase` tells).")  # fmt: skip
    changed = response(202, ref("Disk"), (), "Accepted: the disk controller makes the cloud's "
                       "disk match (its `observed` tells).")  # fmt: skip
    deleting = response(202, ref("Disk"), (), "Accepted: the disk is DELETING; the controller "
                        "detaches it, deletes the cloud's disk, then the disk.")  # fmt: skip
    return {
        "/v3/disks": {
            "get": paths.get("listDisks", "The caller's disks", TAG, "DiskCollection",
                             parameters=[project, assembly, region], errors=[404]),
            "post": operation(
                "createDisk", "Declare a disk", tag=TAG, request=body(ref("DiskInput")),
                errors=[403, 409], ok={202: accepted},
                description="A region whose driver does not claim the `disks` capability is a "
                "422 naming it and the cloud type; a size beyond the project's disk quota a "
                "403; a name taken in the project a 409.",
            ),
        },
        "/v3/disks/{disk_id}": {
            "parameters": [disk_id],
            "get": paths.get("getDisk", "Read a disk", TAG, "Disk", errors=[404]),
            "patch": operation(
                "changeDisk", "Grow, attach (or move) or detach a disk", tag=TAG,
                request=body(ref("DiskChange")), errors=[403, 404, 409], ok={202: changed},
                description="A smaller size is a 422 (a disk never shrinks); a disk being "
                "deleted a 409.",
            ),
            "delete": operation("deleteDisk", "Delete a disk and its data (again: a no-op)",
                                tag=TAG, errors=[404], ok={202: deleting}),
        },
        "/v3/assembly/{assembly_id}/disks": {
            "parameters": [assembly_id],
            "get": paths.get("listAssemblyDisks", "The disks attached (or to be attached) to "
                             "an assembly", TAG, "DiskCollection", errors=[404]),
        },
    }  # fmt: skip


def _attachment() -> Json:
    return obj(
        {"assembly": ref("Name"),
         "instance": integer("The instance's ordinal (default 0).", 0, maximum=MAX_INT)},
        ("assembly",),
        description="An instance of an assembly of the disk's project (its name or id) that "
        "runs in the disk's region.",
    )  # fmt: skip


def disk_requests() -> dict[str, Json]:
    """The bodies of a disk's declaration and change."""
    size = integer("Its size in GiB.", 1, maximum=MAX_DISK_GB)
    return {
        "DiskInput": obj(
            {"name": ref("Name"), "region": ref("Name"), "size_gb": size,
             "project": ref("Name"), "attach": _attachment()},
            ("name", "region", "size_gb"),
            description="`name` is unique among the project's disks (else 409).",
        ),
        "DiskChange": obj(
            {"size_gb": size, "attach": _attachment(),
             "detach": boolean("`true`: detach it (and keep it).")},
            description="What should change; what is absent is kept.",
        ),
    }  # fmt: skip


def disk_resources() -> dict[str, Json]:
    """A disk and the collection of disks."""
    attachment = record(
        {"assembly": record({"id": string(), "name": string(), "uri": string()}),
         "instance": integer("The instance's ordinal.", minimum=0)},
        description="The instance it should be attached to.",
    )  # fmt: skip
    observed = record(
        {"size_gb": integer("The size the cloud shows (0 before it made the disk).", 0),
         "attached_to": string("The cloud id of the instance it is attached to ('' none)."),
         "device": string("The device it is attached as, where the cloud says.")},
        description="What the cloud was last seen to have.",
    )  # fmt: skip
    disk = resource(
        "disk",
        {
            "id": string(pattern=DISK_ID["pattern"]),
            "project": string(),
            "region": string(),
            "size_gb": integer("The size it should have, in GiB.", 1),
            "attach": nullable(attachment),
            "deleting": boolean(),
            "phase": enum([p.value for p in DiskPhase]),
            "message": string("Why it failed, what it waits for, or why the last try did not "
                              "work."),
            "cloud_id": string("The cloud's disk id ('' until the cloud made one)."),
            "observed": observed,
            "created_at": time(),
            "updated_at": time(),
        },
    )  # fmt: skip
    return {"Disk": disk, "DiskCollection": collection("disks", "Disk")}
