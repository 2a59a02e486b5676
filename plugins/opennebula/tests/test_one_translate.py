"""The pure translations: a spec's extra template, and recorded VM documents as instances.

Recorded documents come from `fixtures/` (see SOURCES.md there) and
are bound by pyone exactly as it binds oned's replies.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from types import SimpleNamespace

import attrs
import pytest
from pyone import bindings

from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_opennebula import OpenNebulaSettings
from vertice_driver_opennebula.translate import (
    addresses,
    instance_of,
    instantiate_template,
    tags_of,
    template_for,
    vm_name,
)
from vertice_drivers.testkit import TEST_PUBLIC_KEY, default_spec

SETTINGS = OpenNebulaSettings(
    templates={"1_virtualmachine_ubuntu": 7}, network_id=3, public_network_id=4
)


def parsed(template: str) -> ET.Element:
    return ET.fromstring(template)


def test_the_extra_template_carries_size_networks_context_placement_and_ids():
    spec = default_spec("vti-1", "asm-1-1", name="web", ssh_public_key=TEST_PUBLIC_KEY)
    settings = attrs.evolve(SETTINGS, cluster_id=100, cpu_ratio=0.5, context={"TOKEN": "YES"})
    root = parsed(instantiate_template(spec, settings))
    assert (root.findtext("VCPU"), root.findtext("CPU"), root.findtext("MEMORY")) == (
        "1",
        "0.5",
        "1024",
    )
    assert [nic.findtext("NETWORK_ID") for nic in root.findall("NIC")] == ["3", "4"]
    assert root.findtext("SCHED_REQUIREMENTS") == "CLUSTER_ID = 100"
    context = {child.tag: child.text for child in root.find("CONTEXT")}
    assert context["NETWORK"] == "YES" and context["TOKEN"] == "YES"
    assert context["SSH_PUBLIC_KEY"] == TEST_PUBLIC_KEY
    assert "PASSWORD_BASE64" not in context
    user_data = base64.b64decode(context["USER_DATA"]).decode()
    assert user_data.startswith("#cloud-config") and TEST_PUBLIC_KEY in user_data
    attributes = {c.tag: c.text for c in root if c.tag.startswith("VERTICE_")}
    assert attributes == {
        "VERTICE_INSTALLATION": "vti-1",
        "VERTICE_ASSEMBLY": "asm-1",
        "VERTICE_KEY": "asm-1-1",
        "VERTICE_PROJECT": "prj-testkit",
    }


def test_a_password_survives_any_character_and_never_meets_oneds_substitution():
    password = 'p$NAME"<&]]>\\x'  # $ would be substituted by oned, the rest breaks quoting
    spec = default_spec("vti-1", "asm-1-1", root_password=password)
    context = {c.tag: c.text for c in parsed(instantiate_template(spec, SETTINGS)).find("CONTEXT")}
    assert base64.b64decode(context["PASSWORD_BASE64"]).decode() == password
    assert all("$" not in value for value in context.values())


def test_without_network_ids_the_templates_own_nics_stay():
    spec = default_spec("vti-1", "asm-1-1")
    root = parsed(instantiate_template(spec, OpenNebulaSettings(templates={"x": 1})))
    assert root.findall("NIC") == [] and root.find("SCHED_REQUIREMENTS") is None


def test_an_unmapped_image_is_terminal_and_names_the_mapped_ones():
    spec = default_spec("vti-1", "asm-1-1", image="3_webserver_apache")
    with pytest.raises(TerminalError) as caught:
        template_for(spec, SETTINGS)
    assert caught.value.reason == "ImageNotMapped"
    assert "1_virtualmachine_ubuntu" in caught.value.message
    assert template_for(default_spec("vti-1", "asm-1-1"), SETTINGS) == 7


def test_vm_names_end_with_the_key_and_stay_tame():
    assert vm_name(default_spec("v", "asm-1-1", name="web")) == "web-asm-1-1"
    assert vm_name(default_spec("v", "asm-1-1", name='a "b"/c')) == "a-b-c-asm-1-1"
    assert vm_name(default_spec("v", "asm-1-1", name="$$$")) == "vertice-asm-1-1"


def nics(*items):
    return {"NIC": list(items) if len(items) > 1 else items[0]}


@pytest.mark.parametrize(
    ("template", "settings", "expected"),
    [
        # the region's networks decide
        (nics({"NETWORK_ID": "3", "IP": "10.1.0.5"}, {"NETWORK_ID": "4", "IP": "198.51.100.7"}),
         SETTINGS, ("198.51.100.7", "10.1.0.5")),
        # one private NIC (a single NIC is a dict in pyone's binding)
        (nics({"NETWORK_ID": "3", "IP": "10.1.0.5"}), SETTINGS, ("", "10.1.0.5")),
        # no networks configured: a routable address is public, the other private
        (nics({"NETWORK_ID": "0", "IP": "10.0.0.9"}, {"NETWORK_ID": "1", "IP": "8.8.4.4"}),
         OpenNebulaSettings(), ("8.8.4.4", "10.0.0.9")),
        # NAT: the NIC's EXTERNAL_IP is the public address
        (nics({"NETWORK_ID": "0", "IP": "10.0.0.9", "EXTERNAL_IP": "192.0.2.1"}),
         OpenNebulaSettings(), ("192.0.2.1", "10.0.0.9")),
        ({}, SETTINGS, ("", "")),
    ],
)  # fmt: skip
def test_addresses(template, settings, expected):
    assert addresses(template, settings) == expected


def test_tags_are_the_vertice_attributes_but_the_terminate_marker():
    user_template = {"VERTICE_KEY": "k-1", "VERTICE_TERMINATE_REQUESTED": "1", "LABELS": "x",
                     "#text": "\n  "}  # fmt: skip
    assert tags_of(user_template) == {"vertice-key": "k-1"}


def recorded(fixtures, name):
    return bindings.parseString((fixtures / name).read_bytes())


def test_a_recorded_vm_document_is_understood(fixtures):
    vm = recorded(fixtures, "python_oca_fixtures/vm.xml")  # STATE 3 / LCM_STATE 3
    instance = instance_of(vm, OpenNebulaSettings())
    assert (instance.cloud_id, instance.state, instance.key) == ("6", InstanceState.RUNNING, "")
    assert instance.created_at == datetime.fromtimestamp(1277375180, UTC)
    assert instance.tags == {}  # GREETING is not one of vertice's attributes


def test_a_recorded_booting_vm_with_a_nic_is_understood(fixtures):
    text = (fixtures / "onedock/vm_template_from_common.sh.xml").read_text()
    vm = bindings.parseString(text.replace("%%VMID%%", "12").encode())  # ACTIVE / BOOT
    instance = instance_of(vm, OpenNebulaSettings(network_id=0))
    assert (instance.cloud_id, instance.state) == ("12", InstanceState.PENDING)
    assert (instance.public_ipv4, instance.private_ipv4) == ("", "172.17.10.5")


def test_recorded_pools_bind_every_vm(fixtures):
    for name in ("python_oca_fixtures/vmpool.xml", "one_oca_ruby_fixtures/vmpool.xml"):
        pool = recorded(fixtures, name)
        instances = [instance_of(vm, OpenNebulaSettings()) for vm in pool.VM]
        assert instances and all(i.cloud_id.isdigit() for i in instances), name


def test_a_vm_without_templates_is_still_an_instance():
    vm = SimpleNamespace(ID=3, STATE=1, LCM_STATE=0, STIME=0, TEMPLATE=None, USER_TEMPLATE=None)
    instance = instance_of(vm, SETTINGS)
    assert (instance.state, instance.created_at, instance.tags) == (
        InstanceState.PENDING,
        None,
        {},
    )
