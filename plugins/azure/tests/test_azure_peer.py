"""The peer speaks Resource Manager as the recordings show and as the real SDK expects.

Checked against the recorded exchange
`fixtures/azure_sdk_python/test_mgmt_compute.test_virtual_machines_operations.yaml`
(VM PUT 201 + `Azure-AsyncOperation`, operation polls InProgress -> Succeeded, VM
GET, verbs and DELETE 202 + `Azure-AsyncOperation`/`Location`), the recorded list
pages with `nextLink` and the recorded token reply of `fixtures/azure_arm/`.
The driver never polls an operation; here the SDK's own poller does, with
a short `polling_interval` (else it waits 30 s between polls: the peer sends no
`Retry-After`, and `Retry-After: 0` would not shorten it either).
"""

from __future__ import annotations

import json
import ssl
import urllib.request

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.mgmt.compute import ComputeManagementClient

from azure_arm_peer.account import GROUP, SUBSCRIPTION
from vertice_driver_azure.translate import vm_body
from vertice_drivers.testkit import default_spec


def body(driver, key):
    return vm_body(
        default_spec(driver.region.installation_id, key),
        driver.settings,
        location=driver.location,
        subnet_id=driver.subnet_id,
        secret="s",
    )


def test_long_running_operations_go_as_recorded(azure, make_driver, recorded):
    driver = make_driver()
    vms = driver.compute.virtual_machines
    poller = vms.begin_create_or_update(GROUP, "asm-lro-1", body(driver, "asm-lro-1"),
                                        polling_interval=0.02)  # fmt: skip
    vm = poller.result()
    assert vm.properties.provisioning_state == "Succeeded"
    assert azure.count("operations.get") >= 2  # InProgress at least once, then Succeeded
    for begin in (vms.begin_deallocate, vms.begin_start, vms.begin_restart, vms.begin_delete):
        begin(GROUP, "asm-lro-1", polling_interval=0.02).result()
    assert azure.vm(GROUP, "asm-lro-1") is None
    assert azure.count("operations.get") >= 10

    # The documents have the recorded ones' fields.
    done = azure.arm.operations.view(next(iter(azure.arm.operations)))[1]
    assert set(done) == set(recorded("operation_done"))
    running = azure.arm.operations.begin(driver.location, 60.0)
    assert set(azure.arm.operations.view(running)[1]) == set(recorded("operation_running"))


def test_the_location_poll_answers_202_then_200(azure, make_driver):
    driver = make_driver()
    driver.create(default_spec(driver.region.installation_id, "asm-loc-1"))
    poller = driver.compute.virtual_machines.begin_deallocate(GROUP, "asm-loc-1", polling=False)
    location = poller.polling_method()._initial_response.http_response.headers["Location"]
    assert "monitor=true" in location
    token = driver.credential.get_token(f"{azure.url}/.default").token
    context = ssl.create_default_context(cafile=str(azure.certificate))

    def status():
        request = urllib.request.Request(location, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, context=context) as reply:
            return reply.status

    assert status() == 202
    azure.arm.operations[location.split("/operations/")[1].split("?")[0]].duration = 0.0
    assert status() == 200


def test_vm_documents_have_the_recorded_fields(azure, make_driver, recorded):
    driver = make_driver()
    driver.create(default_spec(driver.region.installation_id, "asm-doc-1"))
    got = driver.compute.virtual_machines.get(GROUP, "asm-doc-1", expand="instanceView").as_dict()
    want = recorded("vm_expanded")
    assert set(want) <= set(got)
    assert set(want["properties"]) - {"instanceView"} <= set(got["properties"])
    assert set(want["properties"]["instanceView"]) <= set(got["properties"]["instanceView"])
    view = driver.compute.virtual_machines.instance_view(GROUP, "asm-doc-1").as_dict()
    assert set(recorded("instance_view")) <= set(view)


def test_listings_page_with_next_link(azure, make_driver, recorded):
    driver = make_driver()
    for n in range(5):
        driver.create(default_spec(driver.region.installation_id, f"asm-page{n}-1"))
    listed = list(driver.compute.virtual_machines.list(GROUP))
    assert len(listed) == 5
    assert azure.count("virtualMachines.list") == 3  # pages of 2, 2 and 1
    assert set(recorded("list_page")) == {"value", "nextLink"}  # the recorded page's shape
    with pytest.raises(HttpResponseError) as refused:  # $expand needs a $filter, as documented
        list(driver.compute.virtual_machines.list(GROUP, expand="instanceView"))
    assert refused.value.error.code == "InvalidParameter"


def test_the_token_reply_is_the_recorded_one(azure, make_driver, recorded):
    make_driver().observe()
    with azure.lock:
        (expiry,) = [e for _, e in azure.tokens.values()]
    assert expiry > 0
    doc = azure.recorded("token")
    assert set(doc) == set(recorded("token")) >= {"access_token", "token_type", "expires_in"}


def test_a_plain_http_endpoint_is_refused_by_the_sdk(azure, make_driver):
    driver = make_driver()
    client = ComputeManagementClient(
        driver.credential, SUBSCRIPTION, base_url=f"http://127.0.0.1:{azure.port}", retry_total=0
    )
    with pytest.raises(ServiceRequestError) as refused:
        list(client.virtual_machines.list(GROUP))
    assert "non-TLS" in str(refused.value)
    client.close()


def test_an_operation_can_end_failed(azure, make_driver):
    driver = make_driver()
    azure.fail("virtualMachines.createOrUpdate", operation_error="AllocationFailed", times=1)
    poller = driver.compute.virtual_machines.begin_create_or_update(
        GROUP, "asm-fail-1", body(driver, "asm-fail-1"), polling_interval=0
    )
    with pytest.raises(HttpResponseError) as failed:
        poller.result()
    assert "AllocationFailed" in str(failed.value)
    json.dumps(azure.vm(GROUP, "asm-fail-1").doc)
    assert azure.vm(GROUP, "asm-fail-1").provisioning == "failed"
