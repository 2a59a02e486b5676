"""The `aws` driver's verbs: observe, create, delete, start, stop, reboot, flavors, images,
the day-2 ones: resize, snapshot, snapshots, delete_snapshot, unmanaged, adopt, and disks.

One EC2 client per region (botocore clients are thread-safe). Every instance
vertice launches carries the installation's id, the assembly's id and the
instance's key as tags; `observe` lists them with one paginated
`DescribeInstances` filtered by the installation tag. `create` uses the key
as EC2's `ClientToken`, and first looks for a live instance with the key's
tag, because not every EC2-compatible endpoint honours the token (moto does
not).

`resize` changes the instance type (`ModifyInstanceAttribute`), which EC2 does
to stopped instances only: a running instance is tagged `vertice-resize-restart`,
stopped, changed and started again (same instance id and EBS volumes; a public
IPv4 address that is not an Elastic IP changes, as with every stop). A stopped
instance stays stopped. A snapshot is an AMI (`CreateImage`, without a reboot:
crash-consistent, as a disk copy of a running machine is) with EBS snapshots of
its volumes (`vertice_driver_aws.snapshots`). An instance made by hand is adopted
by tagging it (`CreateTags`, no restart; `vertice_driver_aws.adoption`). A disk is an
EBS volume in the zone instances are launched in (`vertice_driver_aws.disks`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from vertice_core.driver import (
    TAG_INSTALLATION,
    TAG_KEY,
    CloudDisk,
    CloudFlavor,
    CloudImage,
    Driver,
    Instance,
    InstanceSpec,
    RegionConfig,
    SizeSpec,
)
from vertice_core.errors import TransientError
from vertice_driver_aws import AwsSettings, adoption, disks
from vertice_driver_aws import snapshots as amis
from vertice_driver_aws.client import call, call_unless_absent, client_token, make_client
from vertice_driver_aws.translate import (
    LIVE_STATES,
    RESTART_TAG,
    instance_of,
    instance_type_of,
    run_arguments,
    tags_of,
)
from vertice_drivers.slots import CallSlots, bounded

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.literals import InstanceTypeType
    from mypy_boto3_ec2.type_defs import (
        FilterTypeDef,
        ImageTypeDef,
        InstanceTypeDef,
        InstanceTypeInfoTypeDef,
        TagTypeDef,
    )

#: Most instance types or image ids one describe call may name.
_BATCH = 100


class AwsDriver(Driver):
    """The `aws` driver: EC2 instances through botocore."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: AwsSettings = region.settings
        self.client: EC2Client = make_client(region)
        # botocore's pool keeps max_connections and cannot block: as many calls at once.
        self.slots = CallSlots(self.settings.max_connections)
        #: The availability zone of the region's disks, once `disks.zone` looked it up.
        self.disk_zone = ""

    def _mine(self) -> FilterTypeDef:
        return {"Name": f"tag:{TAG_INSTALLATION}", "Values": [self.region.installation_id]}

    def _ours(self, instance: Instance) -> bool:
        # Checked again here: an EC2-compatible endpoint may ignore filters.
        return bool(instance.key) and (
            instance.tags.get(TAG_INSTALLATION) == self.region.installation_id
        )

    @bounded
    def observe(self) -> list[Instance]:
        """Every instance of this installation in the region, all states, in pages."""
        paginator = self.client.get_paginator("describe_instances")

        def listing() -> list[Instance]:
            pages = paginator.paginate(
                Filters=[self._mine()], PaginationConfig={"PageSize": self.settings.page_size}
            )
            return [
                instance_of(item)
                for page in pages
                for reservation in page.get("Reservations", [])
                for item in reservation.get("Instances", [])
            ]

        return [i for i in call("describe_instances", listing) if self._ours(i)]

    @bounded
    def live_by_key(self, key: str) -> Instance | None:
        """The oldest live instance tagged with `key` (None when there is none)."""
        filters: list[FilterTypeDef] = [
            self._mine(),
            {"Name": f"tag:{TAG_KEY}", "Values": [key]},
            {"Name": "instance-state-name", "Values": list(LIVE_STATES)},
        ]
        reply = call("describe_instances", lambda: self.client.describe_instances(Filters=filters))
        found = [
            instance_of(item)
            for reservation in reply.get("Reservations", [])
            for item in reservation.get("Instances", [])
        ]
        live = sorted(
            (i for i in found if self._ours(i) and i.key == key),
            key=lambda i: (i.created_at is None, i.created_at, i.cloud_id),
        )
        return live[0] if live else None

    @bounded
    def create(self, spec: InstanceSpec) -> Instance:
        """Launch the instance of `spec.key`, or return the live one that has the key.

        The key is looked up first only when an earlier attempt may have created it
        (`spec.maybe_created`): EC2 honours the client token, but not forever, and moto
        not at all; a first create is one call."""
        existing = self.live_by_key(spec.key) if spec.maybe_created else None
        if existing is not None:
            return existing
        arguments = run_arguments(spec, self.settings, client_token(spec.key))
        reply = call("run_instances", lambda: self.client.run_instances(**arguments))
        return instance_of(reply["Instances"][0], fallback_tags=tags_of(spec))

    @bounded
    def delete(self, cloud_id: str) -> None:
        """Terminate the instance; one that does not exist (any more) is a success."""
        call_unless_absent(
            "terminate_instances", lambda: self.client.terminate_instances(InstanceIds=[cloud_id])
        )

    @bounded
    def start(self, cloud_id: str) -> None:
        """Start a stopped instance (EC2 leaves a running one alone)."""
        call("start_instances", lambda: self.client.start_instances(InstanceIds=[cloud_id]))

    @bounded
    def stop(self, cloud_id: str) -> None:
        """Stop a running instance (EC2 leaves a stopped one alone)."""
        call("stop_instances", lambda: self.client.stop_instances(InstanceIds=[cloud_id]))

    @bounded
    def hard_stop(self, cloud_id: str) -> None:
        """Stop the instance with `Force`: no orderly shutdown of its system (what a hung
        one needs; EC2 leaves a stopped one alone). EC2 has no hard reboot."""
        call(
            "stop_instances",
            lambda: self.client.stop_instances(InstanceIds=[cloud_id], Force=True),
        )

    @bounded
    def reboot(self, cloud_id: str) -> None:
        """Reboot the instance in place (same id, same disks, same addresses)."""
        call("reboot_instances", lambda: self.client.reboot_instances(InstanceIds=[cloud_id]))

    @bounded
    def flavors(self) -> list[CloudFlavor]:
        """The instance types the settings map flavors to, or every type of the region."""
        wanted = sorted(set(self.settings.instance_types.values()))

        def listing() -> list[InstanceTypeInfoTypeDef]:
            if not wanted:
                paginator = self.client.get_paginator("describe_instance_types")
                return [i for page in paginator.paginate() for i in page["InstanceTypes"]]
            return [
                item
                for batch in _batches(wanted)
                for item in self.client.describe_instance_types(
                    InstanceTypes=cast("list[InstanceTypeType]", batch)
                )["InstanceTypes"]
            ]

        flavors = [
            CloudFlavor(
                name=str(item.get("InstanceType", "")),
                cpu=int(item.get("VCpuInfo", {}).get("DefaultVCpus", 0)),
                ram=int(item.get("MemoryInfo", {}).get("SizeInMiB", 0)),
                disk=int(item.get("InstanceStorageInfo", {}).get("TotalSizeInGB", 0)),
            )
            for item in call("describe_instance_types", listing)
        ]
        return sorted(flavors, key=lambda f: (f.cpu, f.ram, f.name))

    @bounded
    def images(self) -> list[CloudImage]:
        """The mapped AMIs (named by their plan image), then those of `image_owners`."""
        plan_image = {ami: name for name, ami in sorted(self.settings.images.items())}

        def listing() -> list[ImageTypeDef]:
            items = [
                item
                for batch in _batches(sorted(plan_image))
                for item in self.client.describe_images(ImageIds=batch)["Images"]
            ]
            if self.settings.image_owners:
                paginator = self.client.get_paginator("describe_images")
                pages = paginator.paginate(Owners=list(self.settings.image_owners))
                items.extend(i for page in pages for i in page["Images"])
            return items

        images: dict[str, CloudImage] = {}
        for item in call("describe_images", listing):
            ami = item.get("ImageId", "")
            if ami and ami not in images:
                label = item.get("Name", "") or ami
                images[ami] = CloudImage(
                    id=ami,
                    name=plan_image.get(ami, label),
                    description=item.get("Description", "") or label,
                )
        return list(images.values())

    # -- day-2 operations --

    def _instance(self, cloud_id: str) -> InstanceTypeDef:
        reply = call(
            "describe_instances", lambda: self.client.describe_instances(InstanceIds=[cloud_id])
        )
        found = [i for r in reply.get("Reservations", []) for i in r.get("Instances", [])]
        state = found[0].get("State", {}).get("Name", "") if found else ""
        if state not in LIVE_STATES:
            raise TransientError(
                f"aws: instance {cloud_id} does not exist (any more)", reason="InstanceNotFound"
            )
        return found[0]

    @bounded
    def resize(self, cloud_id: str, size: SizeSpec) -> None:
        """Change the instance type: a running instance is tagged `vertice-resize-restart`,
        stopped (waiting `resize_wait` seconds at most), changed and started again; a
        stopped one is changed. The tag makes a later call finish what one left."""
        wanted = instance_type_of(size, self.settings)
        item = self._instance(cloud_id)
        state = item.get("State", {}).get("Name", "")
        restart = any(tag.get("Key") == RESTART_TAG for tag in item.get("Tags", []))
        change = item.get("InstanceType") != wanted
        if change:
            if state in ("pending", "running"):
                tag: list[TagTypeDef] = [{"Key": RESTART_TAG, "Value": "running"}]
                call("create_tags", lambda: self.client.create_tags(Resources=[cloud_id], Tags=tag))
                restart = True
                call("stop_instances", lambda: self.client.stop_instances(InstanceIds=[cloud_id]))
            if state != "stopped":
                self._wait_stopped(cloud_id)
            call(
                "modify_instance_attribute",
                lambda: self.client.modify_instance_attribute(
                    InstanceId=cloud_id, InstanceType={"Value": wanted}
                ),
            )
        if not restart:
            return
        if change or state == "stopped":
            call("start_instances", lambda: self.client.start_instances(InstanceIds=[cloud_id]))
        untag: list[TagTypeDef] = [{"Key": RESTART_TAG}]
        call("delete_tags", lambda: self.client.delete_tags(Resources=[cloud_id], Tags=untag))

    def _wait_stopped(self, cloud_id: str) -> None:
        deadline, pause = time.monotonic() + self.settings.resize_wait, 0.2
        while self._instance(cloud_id).get("State", {}).get("Name") != "stopped":
            if time.monotonic() >= deadline:
                raise TransientError(
                    f"aws: instance {cloud_id} is still stopping to be resized; the next "
                    "call carries on",
                    reason="ResizeInProgress",
                )
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause = min(pause * 2, 5.0)

    @bounded
    def snapshot(self, cloud_id: str, name: str) -> CloudImage:
        """The AMI of the installation's snapshot `name`, made now if there is none."""
        return amis.make(self.client, self.region.installation_id, cloud_id, name)

    @bounded
    def snapshots(self) -> list[CloudImage]:
        """The installation's AMIs `snapshot` made, in one paginated `DescribeImages`."""
        return amis.listing(self.client, self.region.installation_id)

    @bounded
    def delete_snapshot(self, image_id: str) -> None:
        """Deregister the AMI and delete its EBS snapshots."""
        amis.delete(self.client, self.region.installation_id, image_id)

    @bounded
    def unmanaged(self) -> list[Instance]:
        """The region's live instances of no installation, in one paginated
        `DescribeInstances` of all live instances (EC2 cannot filter on a missing tag)."""
        return adoption.listing(self.client, self.settings.page_size)

    @bounded
    def adopt(self, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Tag the unmanaged instance `cloud_id` with `tags` (`CreateTags`: it keeps
        running, and keeps its own tags)."""
        return adoption.adopt(self.client, self.region.installation_id, cloud_id, tags)

    # -- disks: EBS volumes (`vertice_driver_aws.disks`) --

    @bounded
    def disks(self) -> list[CloudDisk]:
        """The installation's volumes `create_disk` made, in one paged `DescribeVolumes`."""
        return disks.listing(self)

    @bounded
    def create_disk(self, name: str, size_gb: int) -> CloudDisk:
        """The installation's volume `name`, made now (`CreateVolume`) if there is none."""
        return disks.create(self, name, size_gb)

    @bounded
    def attach_disk(self, disk_id: str, cloud_id: str) -> str:
        """Attach the volume to the instance (`AttachVolume`) and return its device."""
        return disks.attach(self, disk_id, cloud_id)

    @bounded
    def detach_disk(self, disk_id: str) -> None:
        """Detach the volume from its instance (`DetachVolume`)."""
        disks.detach(self, disk_id)

    @bounded
    def resize_disk(self, disk_id: str, size_gb: int) -> None:
        """Grow the volume (`ModifyVolume`), attached or not."""
        disks.resize(self, disk_id, size_gb)

    @bounded
    def delete_disk(self, disk_id: str) -> None:
        """Delete the detached volume (`DeleteVolume`)."""
        disks.delete(self, disk_id)

    @bounded
    def launch_data(self, cloud_id: str) -> str:
        """The user data the instance was launched with, decoded (tests read it back)."""
        import base64

        reply = call(
            "describe_instance_attribute",
            lambda: self.client.describe_instance_attribute(
                InstanceId=cloud_id, Attribute="userData"
            ),
        )
        encoded = reply.get("UserData", {}).get("Value", "")
        return base64.b64decode(encoded).decode() if encoded else ""

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()


def _batches(items: list[str]) -> list[list[str]]:
    return [items[i : i + _BATCH] for i in range(0, len(items), _BATCH)]
