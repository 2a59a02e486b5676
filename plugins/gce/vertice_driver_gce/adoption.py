"""Adoption on Compute Engine: instances made by hand become an installation's by their labels.

An instance is unmanaged while it carries no `TAG_INSTALLATION` label. `listing`
pages through every instance of the zone with one `instances.list` and keeps
those on this side (a list filter can ask for a label's value, not for its
absence). GCE lists no deleted instance; a stopped one (TERMINATED) is listed,
stopped, as `observe` lists it.

`adopt` puts the installation's tags on the instance as labels, encoded as
`create` encodes them (`labels_of`), with `instances.setLabels`, which changes
nothing else: the instance is not stopped, and the labels it had (an operator's
`owner`) stay. setLabels replaces the whole label set and is conditional: it
carries the `labelFingerprint` the instance was read with, and GCE refuses it
(412 conditionNotMet) when the labels changed since. The instance is then read
and decided again (another installation's labels now refuse it), and written
once more; a second refusal is transient, the loop comes back. So unlike on
EC2, two installations adopting one instance at the same moment cannot both
win, and no label set behind vertice's back is overwritten blindly.

`create` also keeps the exact tags in the metadata (`vertice-tags`); adopting
changes labels only, so a tag value that a label cannot carry in a readable
form (one `labels_of` would digest) is refused as `InvalidTags`.

Functions of the driver's instances client; the driver's verbs call them
holding a call slot.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from google.api_core import exceptions as gexc
from google.cloud import compute_v1

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY, Instance
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_gce.client import call, call_unless_absent, operation_error
from vertice_driver_gce.translate import instance_of, labels_of, tag_value
from vertice_drivers.adopting import check_tags, refuse_managed

#: setLabels sent at most per `adopt`: the first, and one after a 412 and a fresh read.
_WRITES = 2


@attrs.frozen
class Zone:
    """The driver's instances client, and the project, zone and timeout of its calls."""

    instances: compute_v1.InstancesClient
    project: str
    zone: str
    timeout: float


def is_unmanaged(item: Instance) -> bool:
    """Whether an observed instance belongs to no installation."""
    return not item.tags.get(TAG_INSTALLATION)


def listing(zone: Zone, page_size: int) -> list[Instance]:
    """The zone's instances of no installation, `key` '', from one paged `instances.list`
    of all its instances."""
    request = compute_v1.ListInstancesRequest(
        project=zone.project, zone=zone.zone, max_results=page_size
    )

    def pages() -> list[Instance]:
        found = zone.instances.list(request=request, timeout=zone.timeout, retry=None)
        return [instance_of(item) for item in found]

    return [attrs.evolve(i, key="") for i in call("instances.list", pages) if is_unmanaged(i)]


def adopt(zone: Zone, installation: str, cloud_id: str, tags: Mapping[str, str]) -> Instance:
    """Make the instance `cloud_id` the installation's by labelling it with `tags`; see the
    module. An instance with these tags already is returned after one look."""
    check_tags("gce", installation, tags)
    labels = _labels(tags)
    for _ in range(_WRITES):
        item = _read(zone, cloud_id)
        found = instance_of(item)
        refuse_managed(f"gce: instance {cloud_id}", found.tags, installation, tags)
        if all(found.tags.get(name) == value for name, value in tags.items()):
            return found
        if set_labels(zone, item, {**item.labels, **labels}):
            return attrs.evolve(found, key=tags[TAG_KEY], tags={**found.tags, **tags})
    raise TransientError(
        f"gce: instance {cloud_id}: its labels changed while adopting it, twice",
        reason="LabelsChanging",
    )


def _labels(tags: Mapping[str, str]) -> dict[str, str]:
    """The labels of `tags`; InvalidTags when one could not be read back from its label
    alone (`create` keeps such values in the metadata, adopting does not)."""
    labels = labels_of(tags)
    unreadable = sorted(name for name, value in tags.items() if tag_value(labels[name]) != value)
    if unreadable:
        raise TerminalError(
            f"gce: adopting needs tag values a label can carry; {', '.join(unreadable)} cannot",
            reason="InvalidTags",
        )
    return labels


def _read(zone: Zone, cloud_id: str) -> compute_v1.Instance:
    """The instance document of `cloud_id`; TerminalError NotFound when GCE has none."""
    request = compute_v1.GetInstanceRequest(project=zone.project, zone=zone.zone, instance=cloud_id)
    found: list[compute_v1.Instance] = []
    present = call_unless_absent(
        "instances.get",
        lambda: found.append(zone.instances.get(request=request, timeout=zone.timeout, retry=None)),
    )
    if not present:
        raise TerminalError(
            f"gce: instance {cloud_id} does not exist (any more)", reason="NotFound"
        )
    return found[0]


def set_labels(zone: Zone, item: compute_v1.Instance, labels: dict[str, str]) -> bool:
    """Replace the labels of `item` if they are still those it was read with: False when
    GCE refused its fingerprint (412). Its operation is not waited on, but one already
    finished with an error is raised. (`resize` marks instances with it too.)"""
    request = compute_v1.SetLabelsInstanceRequest(
        project=zone.project,
        zone=zone.zone,
        instance=item.name,
        instances_set_labels_request_resource=compute_v1.InstancesSetLabelsRequest(
            labels=labels, label_fingerprint=item.label_fingerprint
        ),
    )

    def send() -> compute_v1.Operation | None:
        try:
            return zone.instances.set_labels_unary(
                request=request, timeout=zone.timeout, retry=None
            )
        except gexc.PreconditionFailed:
            return None  # the labels changed since `item` was read

    operation = call("instances.setLabels", send, not_found="NotFound")
    if operation is None:
        return False
    error = operation_error(operation, "instances.setLabels")
    if error is not None:
        raise error
    return True
