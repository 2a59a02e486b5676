"""Between vertice's types and OpenNebula's documents: a spec's template, a VM's instance.

Pure functions, no I/O. OpenNebula has no tags: vertice's ids travel as VM
attributes, which oned keeps in the VM's USER_TEMPLATE (`VERTICE_INSTALLATION`,
`VERTICE_ASSEMBLY`, `VERTICE_KEY`, `VERTICE_PROJECT`), and the key also ends
the VM's name. The launch credential travels in CONTEXT, both as
OpenNebula's contextualization variables (`SSH_PUBLIC_KEY`,
`PASSWORD_BASE64`) and as cloud-init user data (`USER_DATA`, from
`vertice_drivers.cloudinit`, which also starts node_exporter when the plan asks
for metrics), so images with either the one-context packages or cloud-init
receive it.

VM objects are pyone's bindings: `ID`, `NAME`, `STATE`, `LCM_STATE`, `STIME`,
and `TEMPLATE`/`USER_TEMPLATE` as dictionaries (a single NIC is a dict, several
a list).
"""

from __future__ import annotations

import base64
import ipaddress
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from vertice_core.driver import TAG_KEY, Instance, InstanceSpec, SizeSpec
from vertice_core.errors import TerminalError
from vertice_driver_opennebula import OpenNebulaSettings
from vertice_driver_opennebula.states import state_of
from vertice_drivers.cloudinit import cloud_config

#: The USER_TEMPLATE attribute where vertice records its first `terminate` (epoch seconds).
TERMINATE_REQUESTED = "VERTICE_TERMINATE_REQUESTED"
#: The USER_TEMPLATE attribute a resize sets on a VM it powered off to resize ("running":
#: resume it afterwards), so that a later call remembers it ran; emptied once resumed.
RESIZE_RESTART = "VERTICE_RESIZE_RESTART"
#: The attribute of a snapshot's image that `delete_snapshot` could not delete yet (a VM
#: still uses it): epoch seconds of the request. Such an image is never listed again.
DELETE_REQUESTED = "VERTICE_DELETE_REQUESTED"
#: vertice's own bookkeeping attributes: not tags.
MARKERS = frozenset({TERMINATE_REQUESTED, RESIZE_RESTART, DELETE_REQUESTED})
#: The prefix of vertice's attributes (a tag `vertice-key` is the attribute `VERTICE_KEY`).
PREFIX = "VERTICE_"

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def attribute_of(tag: str) -> str:
    """The VM attribute that carries a tag (`vertice-key` -> `VERTICE_KEY`)."""
    return tag.upper().replace("-", "_")


def tag_of(attribute: str) -> str:
    """The tag an attribute carries (`VERTICE_KEY` -> `vertice-key`)."""
    return attribute.lower().replace("_", "-")


def text_map(value: Any) -> dict[str, Any]:
    """A pyone template dictionary without the whitespace text nodes xmltodict keeps."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if not str(k).startswith(("#", "@"))}


def listed(value: Any) -> list[dict[str, Any]]:
    """A template attribute that may be one vector (a dict) or several (a list), as a list."""
    items = value if isinstance(value, list) else [value]
    return [text_map(item) for item in items if isinstance(item, Mapping)]


def tags_of(user_template: Any) -> dict[str, str]:
    """vertice's tags from a VM's USER_TEMPLATE (its `VERTICE_*` attributes but the markers)."""
    return {
        tag_of(name): str(value)
        for name, value in text_map(user_template).items()
        if name.startswith(PREFIX) and name not in MARKERS and isinstance(value, str)
    }


def terminate_requested_at(vm: Any) -> float | None:
    """When vertice first asked to terminate the VM (None if it never did)."""
    value = text_map(vm.USER_TEMPLATE).get(TERMINATE_REQUESTED)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@attrs.frozen
class Capacity:
    """A VM's size as OpenNebula keeps it: `CPU` (physical share), `VCPU`, `MEMORY` (MB)."""

    cpu: float
    vcpu: int
    memory: int

    @classmethod
    def of_size(cls, size: SizeSpec, settings: OpenNebulaSettings) -> Capacity:
        """A flavor's capacity: `VCPU` and `MEMORY` from it, `CPU` = `VCPU` x `cpu_ratio`."""
        return cls(size.cpu * settings.cpu_ratio, size.cpu, size.ram)

    def fits(self, template: Any) -> bool:
        """Whether a VM's TEMPLATE has this capacity."""
        body = text_map(template)
        cpu = _number(body.get("CPU"))
        return (_whole(body.get("VCPU")) or 1, _whole(body.get("MEMORY"))) == (
            self.vcpu,
            self.memory,
        ) and abs(cpu - self.cpu) < 0.001

    def elements(self) -> dict[str, str]:
        """The template attributes, as oned writes them (`CPU` a float: "0.5", "2")."""
        return {"CPU": f"{self.cpu:g}", "VCPU": str(self.vcpu), "MEMORY": str(self.memory)}

    def template(self) -> str:
        """The template of `one.vm.resize`, as XML."""
        return template_xml(self.elements())


def size_name(template: Any) -> str:
    """The name `Instance.size` reports for a VM's TEMPLATE: `<VCPU>vcpu-<MEMORY>mb`
    (`2vcpu-4096mb`). OpenNebula sizes have no names; this one is stable, and a VM
    created with a flavor and one resized to it report the same. No `VCPU` counts as 1
    (KVM's deployment file then sets none, and libvirt gives one); no `MEMORY`: ''."""
    body = text_map(template)
    memory = _whole(body.get("MEMORY"))
    return f"{_whole(body.get('VCPU')) or 1}vcpu-{memory}mb" if memory > 0 else ""


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _whole(value: Any) -> int:
    return round(_number(value))


def addresses(template: Any, settings: OpenNebulaSettings) -> tuple[str, str]:
    """The VM's (public, private) IPv4 addresses, from its NICs.

    Public: the NIC on `public_network_id`, else a NIC's EXTERNAL_IP, else a
    globally routable IP. Private: the NIC on `network_id`, else the first other
    address.
    """
    nics = [
        (str(nic.get("NETWORK_ID", "")), str(nic.get("IP", "")), str(nic.get("EXTERNAL_IP", "")))
        for nic in listed(text_map(template).get("NIC"))
    ]
    public = next((ip for net, ip, _ in nics if ip and net == str(settings.public_network_id)), "")
    public = public or next((ext for _, _, ext in nics if ext), "")
    public = public or next((ip for _, ip, _ in nics if ip and _is_global(ip)), "")
    private = next((ip for net, ip, _ in nics if ip and net == str(settings.network_id)), "")
    private = private or next((ip for _, ip, _ in nics if ip and ip != public), "")
    return public, private


def _is_global(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


def instance_of(vm: Any, settings: OpenNebulaSettings) -> Instance:
    """vertice's view of one VM document."""
    tags = tags_of(vm.USER_TEMPLATE)
    public, private = addresses(vm.TEMPLATE, settings)
    started = int(vm.STIME or 0)
    return Instance(
        key=tags.get(TAG_KEY, ""),
        cloud_id=str(vm.ID),
        state=state_of(int(vm.STATE), int(vm.LCM_STATE)),
        public_ipv4=public,
        private_ipv4=private,
        tags=tags,
        created_at=datetime.fromtimestamp(started, UTC) if started else None,
        size=size_name(vm.TEMPLATE),
    )


def template_for(spec: InstanceSpec, settings: OpenNebulaSettings) -> int:
    """The VM template of the spec's plan image (mapped in the settings)."""
    if spec.image in settings.templates:
        return settings.templates[spec.image]
    known = ", ".join(sorted(settings.templates)) or "none"
    raise TerminalError(
        f"opennebula: no VM template is configured for image {spec.image!r} in this region "
        f"(mapped images: {known})",
        reason="ImageNotMapped",
    )


def vm_name(spec: InstanceSpec) -> str:
    """The VM's name: the assembly's name, then the key (what `onevm list` shows)."""
    stem = _UNSAFE.sub("-", spec.name).strip("-.")[:64] or "vertice"
    return f"{stem}-{spec.key}"


def context_of(spec: InstanceSpec, settings: OpenNebulaSettings) -> dict[str, str]:
    """The VM's CONTEXT: the region's variables, networking, and the launch credential.

    The password travels base64-encoded: oned substitutes `$VARIABLES` in CONTEXT
    values, which would mangle a password with a `$` in it.
    """
    context = {**settings.context, "NETWORK": "YES"}
    if spec.ssh_public_key:
        context["SSH_PUBLIC_KEY"] = spec.ssh_public_key.strip()
    if spec.root_password:
        context["PASSWORD_BASE64"] = _b64(spec.root_password)
    data = cloud_config(spec)
    if data is not None:
        context["USER_DATA"] = _b64(data)
        context["USER_DATA_ENCODING"] = "base64"
    return context


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def instantiate_template(spec: InstanceSpec, settings: OpenNebulaSettings) -> str:
    """The extra template of `one.template.instantiate` for `spec`, as XML.

    oned merges it over the VM template: size, the snapshot's DISK (when
    `spec.image_id` is set), NICs (when the region names networks), CONTEXT,
    placement and vertice's attributes. XML (not `attribute=value`) so that no
    value needs quoting rules.
    """
    root = ET.Element("TEMPLATE")
    for name, value in Capacity.of_size(spec.size, settings).elements().items():
        _add(root, name, value)
    if spec.image_id:  # a snapshot: the VM's disk (oned merges vectors whole: its only one)
        _add(ET.SubElement(root, "DISK"), "IMAGE_ID", spec.image_id)
    for network in (settings.network_id, settings.public_network_id):
        if network >= 0:
            _add(ET.SubElement(root, "NIC"), "NETWORK_ID", str(network))
    context = ET.SubElement(root, "CONTEXT")
    for name, value in sorted(context_of(spec, settings).items()):
        _add(context, name, value)
    if settings.cluster_id >= 0:
        _add(root, "SCHED_REQUIREMENTS", f"CLUSTER_ID = {settings.cluster_id}")
    for tag, value in sorted(spec.tags.items()):
        _add(root, attribute_of(tag), value)
    return ET.tostring(root, encoding="unicode")


def _add(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, name).text = value


def template_xml(attributes: Mapping[str, str]) -> str:
    """A template of plain attributes, as XML (what `one.*.update` merges)."""
    root = ET.Element("TEMPLATE")
    for name, value in sorted(attributes.items()):
        _add(root, name, value)
    return ET.tostring(root, encoding="unicode")


def launch_context(vm: Any) -> str:
    """What the VM received at launch: its CONTEXT as `NAME=value` lines, encodings undone."""
    context = text_map(text_map(vm.TEMPLATE).get("CONTEXT"))
    return "\n".join(_decoded(context))


def _decoded(context: Mapping[str, Any]) -> Iterator[str]:
    encoded = {"PASSWORD_BASE64"}
    if context.get("USER_DATA_ENCODING") == "base64":
        encoded.add("USER_DATA")
    for name, value in sorted(context.items()):
        text = str(value)
        if name in encoded and text:
            text = base64.b64decode(text).decode(errors="replace")
        yield f"{name}={text}"
