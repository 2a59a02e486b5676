"""oned's template syntax, the attributes vm.xsd keeps in TEMPLATE, and its search filter.

Templates reach oned as XML (`<TEMPLATE><NAME>...</NAME></TEMPLATE>`, what pyone
sends for a nested dict) or as `NAME = "value"` lines with `NIC = [ ... ]`
vectors (what it sends for a flat one, and what the driver's marker uses).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

#: TEMPLATE children vm.xsd allows, in its order; any other attribute is a USER_TEMPLATE one.
SYSTEM_ATTRIBUTES = (
    "AUTOMATIC_DS_REQUIREMENTS", "AUTOMATIC_NIC_REQUIREMENTS", "AUTOMATIC_REQUIREMENTS",
    "CLONING_TEMPLATE_ID", "CONTEXT", "CPU", "CPU_COST", "DISK", "DISK_COST", "EMULATOR",
    "FEATURES", "HYPERV_OPTIONS", "GRAPHICS", "VIDEO", "IMPORTED", "INPUT", "MEMORY",
    "MEMORY_COST", "MEMORY_MAX", "MEMORY_SLOTS", "MEMORY_RESIZE_MODE", "NIC", "NIC_ALIAS",
    "NIC_DEFAULT", "NUMA_NODE", "OS", "PCI", "QEMU_GA_EXEC", "RAW", "SECURITY_GROUP_RULE",
    "SNAPSHOT", "SPICE_OPTIONS", "SUBMIT_ON_HOLD", "TEMPLATE_ID", "TM_MAD_SYSTEM", "TOPOLOGY",
    "TPM", "MEMORY_ENCRYPTION", "VCPU", "VCPU_MAX", "VMGROUP", "VMID", "VROUTER_ID",
    "VROUTER_KEEPALIVED_ID", "VROUTER_KEEPALIVED_PASSWORD", "SCHED_ACTION",
)  # fmt: skip


def parse_template(text: str) -> dict[str, Any]:
    """A template given as XML (`<TEMPLATE>...`) or as `NAME = "value"` lines, as a dict."""
    if text.strip().startswith("<"):
        return _element(ET.fromstring(text.strip()))
    parsed: dict[str, Any] = {}
    pairs = re.findall(r'(\w+)\s*=\s*(?:\[([^\]]*)\]|"([^"]*)"|(\S+))', text)
    for name, vector, quoted, bare in pairs:
        if vector:
            item = dict(re.findall(r'(\w+)\s*=\s*"?([^",]*)"?', vector))
            _put(parsed, name.upper(), item)
        else:
            _put(parsed, name.upper(), quoted or bare)
    return parsed


def _element(node: ET.Element) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for child in node:
        value: Any = _element(child) if len(child) else (child.text or "")
        _put(parsed, child.tag.upper(), value)
    return parsed


def _put(target: dict[str, Any], name: str, value: Any) -> None:
    if name in target:
        have = target[name]
        target[name] = [*(have if isinstance(have, list) else [have]), value]
    else:
        target[name] = value


def matches(document: dict[str, Any], query: str) -> bool:
    """oned's search filter: `VM.PATH=VALUE` terms joined by `&`, `%` a wildcard."""
    for term in filter(None, query.split("&")):
        path, _, wanted = term.partition("=")
        parts = path.split(".")
        if parts[:1] != ["VM"]:
            return False
        value: Any = document
        for part in parts[1:]:
            value = value.get(part) if isinstance(value, dict) else None
        pattern = ".*".join(re.escape(piece) for piece in wanted.split("%"))
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            return False
    return True


def base_template(name: str, description: str, **size: Any) -> dict[str, Any]:
    """A VM template (`one.templatepool.info`), shaped like python_oca_fixtures/template.xml."""
    body = {
        "CONTEXT": {"NETWORK": "YES", "SSH_PUBLIC_KEY": "$USER[SSH_PUBLIC_KEY]"},
        "CPU": size["cpu"],
        "DESCRIPTION": description,
        "DISK": {"IMAGE_ID": str(size["image"])},
        "GRAPHICS": {"LISTEN": "0.0.0.0", "TYPE": "VNC"},
        "MEMORY": size["memory"],
        "NIC": {"NETWORK_ID": "0"},
        "OS": {"ARCH": "x86_64"},
        "VCPU": size["cpu"],
    }
    return {"NAME": name, "TEMPLATE": body}


def listed(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value] if value else []
    return [item for item in items if isinstance(item, dict)]
