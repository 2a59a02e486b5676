"""What SoftLayer offers, read from `getCreateObjectOptions` and the account's image templates.

Pure functions over the documents: `SoftLayer_Virtual_Guest::getCreateObjectOptions`
lists presets (`flavors`), processor and memory options, and operating systems
(each option's `template` is the fragment of `createObject` that selects it);
`SoftLayer_Account::getPrivateBlockDeviceTemplateGroups` lists the account's own
image templates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from vertice_core.driver import CloudFlavor, CloudImage
from vertice_driver_softlayer import SoftLayerSettings
from vertice_driver_softlayer.states import lookup

#: A preset key name: family, then CPUs x GB of memory x GB of boot disk (`B1_2X4X25`).
_PRESET_SIZE = re.compile(r"[A-Z][A-Z0-9]*_(\d+)X(\d+)X(\d+)")


def preset_flavor(key_name: str, name: str | None = None) -> CloudFlavor | None:
    """The size a preset key name spells (None when it does not spell one)."""
    match = _PRESET_SIZE.match(key_name)
    if match is None:
        return None
    cpus, memory_gb, disk_gb = (int(group) for group in match.groups())
    return CloudFlavor(name or key_name, cpus, memory_gb * 1024, disk_gb)


def _options(options: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    return [item for item in options.get(kind) or [] if isinstance(item, Mapping)]


def flavors_of(options: Mapping[str, Any], settings: SoftLayerSettings) -> list[CloudFlavor]:
    """The mapped flavors, then the presets; without presets, every CPU and memory pair."""
    flavors: dict[str, CloudFlavor] = {}
    for name, mapped in sorted(settings.flavors.items()):
        if mapped.preset:
            found = preset_flavor(mapped.preset, name)
            if found is not None:
                flavors[name] = found
        else:
            disk = mapped.disks[0] if mapped.disks else 0
            flavors[name] = CloudFlavor(name, mapped.cpus, mapped.memory, disk)
    for option in _options(options, "flavors"):
        key_name = str(lookup(option, "flavor", "keyName") or "")
        preset = preset_flavor(key_name)
        if preset is not None:
            flavors.setdefault(key_name, preset)
    if not _options(options, "flavors"):
        for cpus, memory in _pairs(options):
            name = f"{cpus}x{memory}"
            flavors.setdefault(name, CloudFlavor(name, cpus, memory))
    return sorted(flavors.values(), key=lambda f: (f.cpu, f.ram, f.disk, f.name))


def _pairs(options: Mapping[str, Any]) -> Iterable[tuple[int, int]]:
    """Each shared-host CPU count with each memory size (any pair may be ordered)."""
    cpus = sorted(
        {
            int(item["template"]["startCpus"])
            for item in _options(options, "processors")
            if set(item.get("template") or {}) == {"startCpus"}
        }
    )
    memory = sorted(
        {
            int(item["template"]["maxMemory"])
            for item in _options(options, "memory")
            if set(item.get("template") or {}) == {"maxMemory"}
        }
    )
    return [(c, m) for c in cpus for m in memory]


def images_of(
    options: Mapping[str, Any],
    templates: Iterable[Mapping[str, Any]],
    settings: SoftLayerSettings,
) -> list[CloudImage]:
    """The mapped images (named by their plan image), the operating systems, the templates."""
    images: dict[str, CloudImage] = {}
    for plan_image, image in sorted(settings.images.items()):
        images.setdefault(image, CloudImage(id=image, name=plan_image, description=image))
    for option in _options(options, "operatingSystems"):
        code = str(lookup(option, "template", "operatingSystemReferenceCode") or "")
        if code:
            description = str(lookup(option, "itemPrice", "item", "description") or code)
            images.setdefault(code, CloudImage(id=code, name=code, description=description))
    for template in templates:
        guid = str(lookup(template, "globalIdentifier") or "")
        if guid:
            name = str(lookup(template, "name") or guid)
            images.setdefault(guid, CloudImage(id=guid, name=name, description=name))
    return list(images.values())
