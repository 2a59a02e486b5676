"""oned's XML documents for the peer's VMs and templates, without a namespace as oned writes them.

* `vm_document` (one.vm.info) and the VMs of `pool_document(extended=True)`
  (one.vmpool.infoextended) follow `one_xsd/vm.xsd`: its element order, its
  required elements, template values in CDATA sections as in
  `python_oca_fixtures/vm.xml`, NICs and CONTEXT as in
  `onedock/vm_template_from_common.sh.xml`;
* `pool_document(extended=False)` (one.vmpool.info) follows `one_xsd/vm_pool.xsd`,
  the short VM body;
* `template_pool` (one.templatepool.info) follows `python_oca_fixtures/template.xml`
  (no XSD of it is recorded);
* `image_document` (one.image.info) and `image_pool` (one.imagepool.info) follow
  `one_xsd/image.xsd` and `one_xsd/image_pool.xsd`.

`test_one_documents.py` validates them against the XSDs with lxml.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree
from one_cloud import ACTIVE, HOSTS, Vm
from one_images import Image
from one_templates import SYSTEM_ATTRIBUTES

PERMISSIONS = ("OWNER_U", "OWNER_M", "OWNER_A", "GROUP_U", "GROUP_M", "GROUP_A")
PERMISSIONS += ("OTHER_U", "OTHER_M", "OTHER_A")
#: TEMPLATE children of vm_pool.xsd's short VM body, in its order.
SHORT_TEMPLATE = ("CPU", "MEMORY", "VCPU", "DISK", "NIC", "GRAPHICS")


def _text(parent: etree._Element, name: str, value: Any) -> etree._Element:
    child = etree.SubElement(parent, name)
    child.text = str(value)
    return child


def _attributes(parent: etree._Element, name: str, value: Any) -> None:
    """A template attribute: a CDATA value, a vector of them, or several of either."""
    for item in value if isinstance(value, list) else [value]:
        child = etree.SubElement(parent, name)
        if isinstance(item, Mapping):
            for key, inner in sorted(item.items()):
                etree.SubElement(child, key).text = etree.CDATA(str(inner))
        else:
            child.text = etree.CDATA(str(item))


def _template(parent: etree._Element, name: str, body: Mapping[str, Any], order: Iterable[str]):
    node = etree.SubElement(parent, name)
    for key in order:
        if key in body:
            _attributes(node, key, body[key])
    return node


def _head(vm: Vm, node: etree._Element, short: bool) -> None:
    for name, value in (("ID", vm.id), ("UID", vm.uid), ("GID", 0), ("UNAME", vm.uname),
                        ("GNAME", "oneadmin"), ("NAME", vm.name)):  # fmt: skip
        _text(node, name, value)
    if not short:
        permissions = etree.SubElement(node, "PERMISSIONS")
        for name in PERMISSIONS:
            _text(permissions, name, 1 if name in ("OWNER_U", "OWNER_M") else 0)
    _text(node, "LAST_POLL", int(time.time()) if vm.state == ACTIVE else 0)
    _text(node, "STATE", vm.state)
    _text(node, "LCM_STATE", vm.lcm)
    if not short:
        _text(node, "PREV_STATE", vm.prev_state)
        _text(node, "PREV_LCM_STATE", vm.prev_lcm)
    for name, value in (("RESCHED", 0), ("STIME", vm.stime), ("ETIME", vm.etime),
                        ("DEPLOY_ID", f"one-{vm.id}" if vm.host is not None else "")):  # fmt: skip
        _text(node, name, value)


def _history(vm: Vm, node: etree._Element, short: bool) -> None:
    records = etree.SubElement(node, "HISTORY_RECORDS")
    for item in vm.history:
        history = etree.SubElement(records, "HISTORY")
        hid = item["HID"]
        fields: list[tuple[str, Any]] = [
            ("OID", vm.id), ("SEQ", item["SEQ"]), ("HOSTNAME", HOSTS[hid]), ("HID", hid),
            ("CID", 0),
        ]  # fmt: skip
        if short:
            fields += [("DS_ID", 0), ("VM_MAD", "kvm"), ("TM_MAD", "ssh"), ("ACTION", 0)]
        else:
            start = item["STIME"]
            fields += [
                ("STIME", start), ("ETIME", vm.etime), ("VM_MAD", "kvm"), ("TM_MAD", "ssh"),
                ("DS_ID", 0), ("PLAN_ID", -1), ("ACTION_ID", -1), ("PSTIME", start),
                ("PETIME", start), ("RSTIME", start), ("RETIME", 0), ("ESTIME", 0), ("EETIME", 0),
                ("ACTION", 0), ("UID", -1), ("GID", -1), ("REQUEST_ID", -1),
            ]  # fmt: skip
        for name, value in fields:
            _text(history, name, value)


def vm_element(vm: Vm, short: bool = False) -> etree._Element:
    """One VM: the full body of vm.xsd, or the short body of vm_pool.xsd."""
    node = etree.Element("VM")
    _head(vm, node, short)
    if short:  # its MONITORING is optional: left out
        _template(node, "TEMPLATE", vm.template, SHORT_TEMPLATE)
    else:
        monitoring = etree.SubElement(node, "MONITORING")
        if vm.state == ACTIVE:
            for name, value in (("CPU", "1.0"), ("ID", vm.id), ("MEMORY", 524288),
                                ("TIMESTAMP", int(time.time()))):  # fmt: skip
                _text(monitoring, name, value)
        etree.SubElement(node, "SCHED_ACTIONS")
        _template(node, "TEMPLATE", vm.template, SYSTEM_ATTRIBUTES)
    _template(node, "USER_TEMPLATE", vm.user_template, sorted(vm.user_template))
    _history(vm, node, short)
    if not short:
        backups = etree.SubElement(node, "BACKUPS")
        etree.SubElement(backups, "BACKUP_CONFIG")
        etree.SubElement(backups, "BACKUP_IDS")
    return node


def _string(node: etree._Element) -> str:
    return etree.tostring(node, encoding="unicode")


def vm_document(vm: Vm) -> str:
    """The reply of `one.vm.info`."""
    return _string(vm_element(vm))


def pool_document(vms: Iterable[Vm], extended: bool) -> str:
    """The reply of `one.vmpool.infoextended` (full VMs) or `one.vmpool.info` (short ones)."""
    pool = etree.Element("VM_POOL")
    for vm in vms:
        pool.append(vm_element(vm, short=not extended))
    return _string(pool)


def template_pool(templates: Mapping[int, Mapping[str, Any]]) -> str:
    """The reply of `one.templatepool.info`."""
    pool = etree.Element("VMTEMPLATE_POOL")
    for template_id, template in sorted(templates.items()):
        node = etree.SubElement(pool, "VMTEMPLATE")
        for name, value in (("ID", template_id), ("UID", 0), ("GID", 0), ("UNAME", "oneadmin"),
                            ("GNAME", "oneadmin"), ("NAME", template["NAME"])):  # fmt: skip
            _text(node, name, value)
        permissions = etree.SubElement(node, "PERMISSIONS")
        for name in PERMISSIONS:
            _text(permissions, name, 1 if name.endswith("_U") else 0)
        _text(node, "REGTIME", 1320877281)
        _template(node, "TEMPLATE", template["TEMPLATE"], sorted(template["TEMPLATE"]))
    return _string(pool)


def image_element(image: Image) -> etree._Element:
    """One image: the body of image.xsd, in its order."""
    node = etree.Element("IMAGE")
    for name, value in (("ID", image.id), ("UID", image.uid), ("GID", 0), ("UNAME", image.uname),
                        ("GNAME", "oneadmin"), ("NAME", image.name)):  # fmt: skip
        _text(node, name, value)
    permissions = etree.SubElement(node, "PERMISSIONS")
    for name in PERMISSIONS:
        _text(permissions, name, 1 if name in ("OWNER_U", "OWNER_M") else 0)
    for name, value in (
        ("TYPE", image.type), ("DISK_TYPE", 0), ("PERSISTENT", 0), ("REGTIME", image.regtime),
        ("MODTIME", image.regtime), ("SOURCE", image.source), ("PATH", ""), ("FORMAT", "qcow2"),
        ("FS", ""), ("SIZE", image.size), ("STATE", image.state), ("PREV_STATE", image.prev_state),
        ("RUNNING_VMS", len(image.vms)), ("CLONING_OPS", 0), ("CLONING_ID", -1),
        ("TARGET_SNAPSHOT", -1), ("DATASTORE_ID", 1), ("DATASTORE", "default"),
    ):  # fmt: skip
        _text(node, name, value)
    vms = etree.SubElement(node, "VMS")
    for vm_id in sorted(image.vms):
        _text(vms, "ID", vm_id)
    etree.SubElement(node, "CLONES")
    etree.SubElement(node, "APP_CLONES")
    _template(node, "TEMPLATE", image.template, sorted(image.template))
    snapshots = etree.SubElement(node, "SNAPSHOTS")
    for name, value in (("ALLOW_ORPHANS", "NO"), ("CURRENT_BASE", -1), ("NEXT_SNAPSHOT", 0)):
        _text(snapshots, name, value)
    etree.SubElement(node, "BACKUP_INCREMENTS")
    return node


def image_document(image: Image) -> str:
    """The reply of `one.image.info`."""
    return _string(image_element(image))


def image_pool(images: Iterable[Image]) -> str:
    """The reply of `one.imagepool.info`."""
    pool = etree.Element("IMAGE_POOL")
    for image in images:
        pool.append(image_element(image))
    return _string(pool)
