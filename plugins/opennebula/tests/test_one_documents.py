"""The peer's documents validate against OpenNebula's XSD (`fixtures/one_xsd/`).

oned writes its documents without a namespace; the schemas declare
`targetNamespace="http://opennebula.org/XMLSchema"` (elementFormDefault
qualified), so every element is put in that namespace before validating, as
OpenNebula's own tooling does. The documents are read raw, over XML-RPC, the
way pyone receives them, for VMs in every state the driver meets.
"""

from __future__ import annotations

import xmlrpc.client

import pytest
from lxml import etree

NAMESPACE = "http://opennebula.org/XMLSchema"
SESSION = "oneadmin:opennebula"


@pytest.fixture(scope="module")
def schema(fixtures):
    """`schema(name)`: one of the recorded XSDs, compiled (its `include`s resolved)."""
    return lambda name: etree.XMLSchema(etree.parse(str(fixtures / "one_xsd" / name)))


def with_namespace(text: str) -> etree._Element:
    """oned's document with every element in OpenNebula's schema namespace."""
    root = etree.fromstring(text.encode())
    for element in root.iter(etree.Element):
        element.tag = f"{{{NAMESPACE}}}{etree.QName(element).localname}"
    return root


def assert_valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    assert schema.validate(element), schema.error_log.filter_from_errors()


@pytest.fixture
def raw(peer):
    """The peer through a bare XML-RPC proxy: results as oned sends them, strings."""

    def call(method: str, *params):
        success, result, code, *_ = getattr(xmlrpc.client.ServerProxy(peer.url), method)(
            SESSION, *params
        )
        assert success is True, (result, code)
        return result

    return call


@pytest.fixture
def vms_in_every_state(make_driver, plant, cloud, managed):
    """A VM vertice launched (context, NICs, attributes) and planted ones in many states."""
    from vertice_drivers.testkit import TEST_PASSWORD, TEST_PUBLIC_KEY, default_spec

    driver = make_driver()
    spec = default_spec(
        "vti-one-tests", "asm-doc-1", ssh_public_key=TEST_PUBLIC_KEY, root_password=TEST_PASSWORD
    )
    launched = int(driver.create(spec).cloud_id)
    planted = [plant(f"vm-{n}", **managed("vti-x", "asm-x", f"asm-x-{n}")) for n in range(7)]
    for vm, (state, lcm) in zip(
        planted, [(1, 0), (2, 0), (3, 3), (8, 0), (3, 12), (3, 36), (6, 0)], strict=True
    ):
        cloud.set_state(vm.id, state, lcm)
    cloud.vms[planted[2].id].history.append({"SEQ": 0, "HID": 1, "STIME": 1700000000})
    cloud.vms[planted[2].id].host = 1
    return [launched, *(vm.id for vm in planted)]


def test_vm_documents_validate_against_vm_xsd(schema, raw, vms_in_every_state):
    vm_xsd = schema("vm.xsd")
    for vm_id in vms_in_every_state:
        document = raw("one.vm.info", vm_id)
        assert "xmlns" not in document  # as oned writes it
        assert_valid(vm_xsd, with_namespace(document))


def test_the_extended_pool_holds_full_vm_documents(schema, raw, vms_in_every_state):
    vm_xsd = schema("vm.xsd")
    pool = with_namespace(raw("one.vmpool.infoextended", -2, -1, -1, -2))
    vms = list(pool)
    assert len(vms) == len(vms_in_every_state)
    for vm in vms:
        assert_valid(vm_xsd, vm)


def test_the_short_pool_validates_against_vm_pool_xsd(schema, raw, vms_in_every_state):
    pool = with_namespace(raw("one.vmpool.info", -2, -1, -1, -2))
    assert len(pool) == len(vms_in_every_state)
    assert_valid(schema("vm_pool.xsd"), pool)


def test_vertices_attributes_land_in_the_user_template(raw, vms_in_every_state):
    document = etree.fromstring(raw("one.vm.info", vms_in_every_state[0]).encode())
    user = {child.tag: child.text for child in document.find("USER_TEMPLATE")}
    assert user["VERTICE_KEY"] == "asm-doc-1"
    assert user["VERTICE_INSTALLATION"] == "vti-one-tests"
    assert document.find("TEMPLATE/VERTICE_KEY") is None  # vm.xsd's TEMPLATE has no room
    assert document.find("TEMPLATE/CONTEXT/SSH_PUBLIC_KEY") is not None
    assert len(document.findall("TEMPLATE/NIC")) == 2


def test_the_schemas_are_strict_enough_to_catch_a_wrong_document(schema, raw, vms_in_every_state):
    # The same check rejects a document that breaks vm.xsd: this test can fail.
    document = with_namespace(raw("one.vm.info", vms_in_every_state[0]))
    template = document.find(f"{{{NAMESPACE}}}TEMPLATE")
    template.remove(template.find(f"{{{NAMESPACE}}}TM_MAD_SYSTEM"))
    etree.SubElement(template, f"{{{NAMESPACE}}}VERTICE_KEY").text = "misplaced"
    assert not schema("vm.xsd").validate(document)


def test_image_documents_validate_against_image_xsd(schema, raw, make_driver, cloud):
    """Base images, an image in use, and one `one.vm.disksaveas` is still copying."""
    from vertice_drivers.testkit import default_spec

    driver = make_driver()
    vm_id = int(driver.create(default_spec("vti-one-tests", "asm-img-1")).cloud_id)
    cloud.set_state(vm_id, 3, 3)
    saved = raw("one.vm.disksaveas", vm_id, 0, "saved-disk", "", -1)
    raw("one.image.update", saved, "<TEMPLATE><VERTICE_SNAPSHOT>s</VERTICE_SNAPSHOT></TEMPLATE>", 1)
    image_xsd = schema("image.xsd")
    for image_id in (0, 1, saved):
        assert_valid(image_xsd, with_namespace(raw("one.image.info", image_id)))
    pool = with_namespace(raw("one.imagepool.info", -2, -1, -1))
    assert len(pool) == 3
    assert_valid(schema("image_pool.xsd"), pool)
    # ...and the check can fail: an image without its STATE is not one.
    broken = with_namespace(raw("one.image.info", saved))
    broken.remove(broken.find(f"{{{NAMESPACE}}}STATE"))
    assert not image_xsd.validate(broken)
