"""The peer speaks Compute Engine's REST API as the SDK and the recorded replies expect.

These tests keep the peer honest: its documents carry every field of the
recorded replies they follow (`fixtures/`), int64 fields as decimal
strings, operations that move PENDING -> RUNNING -> DONE as the SDK's own
`ZoneOperationsClient` sees them, calls that must be signed, and the states the
Compute API reference requires (setMachineType of a TERMINATED instance only, an
image of a running instance's disk only with forceCreate).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import google.auth.exceptions
import pytest
import requests
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import Conflict
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import compute_v1
from google.oauth2 import service_account as sa

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROJECT, ZONE = "vertice-test", "us-central1-a"
TEMPLATES = {
    "operation_failed": "zones_us_central1_a_operations_operation_setMachineType_notstopped.json"
}


def urlpath(link):
    """The path of a selfLink (the peer names its resources as GCE does)."""
    return urlsplit(link).path


@pytest.fixture
def session(service_account):
    info = json.loads(service_account.json)
    credentials = sa.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/compute"]
    ).with_always_use_jwt_access(True)
    with AuthorizedSession(credentials) as authorized:
        yield authorized


def recorded(name):
    return json.loads((FIXTURES / name).read_text())


def test_documents_carry_the_recorded_fields_with_int64_as_strings(compute, session):
    compute.boot = 5.0
    base = f"{compute.url}/compute/v1/projects/{PROJECT}/zones/{ZONE}"
    body = {"name": "peer-1", "machineType": f"zones/{ZONE}/machineTypes/n1-standard-1"}
    operation = session.post(f"{base}/instances", json=body, timeout=5).json()
    assert set(recorded("zones_us-central1-a_instances_post.json")) <= set(operation)
    assert operation["status"] == "PENDING" and isinstance(operation["id"], str)
    assert operation["id"].isdigit() and isinstance(operation["progress"], int)

    instance = session.get(f"{base}/instances/peer-1", timeout=5).json()
    assert set(recorded("zones_us-central1-a_instances_node-name.json")) <= set(instance)
    assert instance["status"] == "PROVISIONING" and instance["id"].isdigit()
    listing = session.get(f"{base}/instances", timeout=5).json()
    assert set(recorded("zones_us-central1-a_instances.json")) <= set(listing)

    missing = session.get(f"{base}/instances/nothing", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"]["errors"][0]["reason"] == "notFound"


def test_operations_move_on_as_the_sdks_operations_client_sees_them(compute, service_account):
    compute.boot = 0.6
    options = ClientOptions(api_endpoint=compute.url)
    credentials = sa.Credentials.from_service_account_info(json.loads(service_account.json))
    instances = compute_v1.InstancesClient(
        credentials=credentials, transport="rest", client_options=options
    )
    # The poller behind `insert(...).result()` is built without these client options; the
    # public way to follow an operation on another endpoint is a client of its own.
    operations = compute_v1.ZoneOperationsClient(
        credentials=credentials, transport="rest", client_options=options
    )
    body = compute_v1.Instance(name="peer-2", machine_type=f"zones/{ZONE}/machineTypes/f1-micro")
    request = compute_v1.InsertInstanceRequest(
        project=PROJECT,
        zone=ZONE,
        instance_resource=body,
        request_id="0b3c9c3e-1d0e-4f4e-9e7f-1a2b3c4d5e6f",
    )
    first = instances.insert_unary(request=request)
    seen = [first.status]
    deadline = time.monotonic() + 5
    while seen[-1] != compute_v1.Operation.Status.DONE and time.monotonic() < deadline:
        got = operations.get(project=PROJECT, zone=ZONE, operation=first.name)
        if got.status != seen[-1]:
            seen.append(got.status)
        time.sleep(0.02)
    assert [s.name for s in seen] == ["PENDING", "RUNNING", "DONE"]
    # The same request id: the same operation, no second instance.
    again = instances.insert_unary(request=request)
    assert again.name == first.name and again.status == compute_v1.Operation.Status.DONE
    waited = operations.wait(project=PROJECT, zone=ZONE, operation=first.name)
    assert waited.status == compute_v1.Operation.Status.DONE and waited.progress == 100
    other = compute_v1.InsertInstanceRequest(
        project=PROJECT,
        zone=ZONE,
        instance_resource=body,
        request_id="5a0e8f4c-2b1d-4c3e-8f9a-0b1c2d3e4f5a",
    )
    with pytest.raises(Conflict, match="already exists"):
        instances.insert_unary(request=other)
    for client in (instances, operations):
        client.transport.close()


def test_unsigned_calls_and_bad_filters_are_refused(compute, session):
    base = f"{compute.url}/compute/v1/projects/{PROJECT}/zones/{ZONE}"
    unsigned = requests.get(f"{base}/instances", timeout=5)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["errors"][0]["reason"] == "authError"
    # The SDK with anonymous credentials gets that 401 and may not refresh: google-auth's
    # InvalidOperation, which the driver reports as AuthFailed.
    anonymous = compute_v1.InstancesClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=compute.url),
    )
    with pytest.raises(google.auth.exceptions.InvalidOperation):
        list(anonymous.list(project=PROJECT, zone=ZONE))
    anonymous.transport.close()

    reply = session.get(f"{base}/instances", params={"filter": "status = RUNNING"}, timeout=5)
    assert reply.status_code == 400
    assert reply.json()["error"]["errors"][0]["reason"] == "invalid"


def operation_done(session, url, timeout=5.0):
    """The operation at `url` once DONE (polled)."""
    deadline = time.monotonic() + timeout
    while True:
        operation = session.get(url, timeout=5).json()
        if operation["status"] == "DONE" or time.monotonic() > deadline:
            return operation
        time.sleep(0.02)


def test_set_machine_type_needs_a_terminated_instance(compute, session):
    compute.halt = 0.05
    compute.plant(PROJECT, ZONE, "peer-3", {})  # RUNNING at once
    base = f"{compute.url}/compute/v1/projects/{PROJECT}/zones/{ZONE}/instances/peer-3"
    body = {"machineType": f"zones/{ZONE}/machineTypes/n1-standard-2"}
    # Running: accepted, and the operation fails as the recorded one did (RESOURCE_NOT_READY).
    accepted = session.post(f"{base}/setMachineType", json=body, timeout=5)
    assert accepted.status_code == 200 and accepted.json()["operationType"] == "setMachineType"
    failed = operation_done(session, f"{compute.url}{urlpath(accepted.json()['selfLink'])}")
    assert set(recorded(TEMPLATES["operation_failed"])) <= set(failed)
    assert [e["code"] for e in failed["error"]["errors"]] == ["RESOURCE_NOT_READY"]
    assert failed["httpErrorStatusCode"] == 400
    assert session.get(base, timeout=5).json()["machineType"].endswith("/n1-standard-1")

    compute.set_status(PROJECT, ZONE, "peer-3", "TERMINATED")
    accepted = session.post(f"{base}/setMachineType", json=body, timeout=5).json()
    done = operation_done(session, f"{compute.url}{urlpath(accepted['selfLink'])}")
    assert "error" not in done
    # The new type shows once the operation is DONE.
    assert session.get(base, timeout=5).json()["machineType"].endswith("/n1-standard-2")

    unknown = {"machineType": f"zones/{ZONE}/machineTypes/n9-imaginary-1"}
    refused = session.post(f"{base}/setMachineType", json=unknown, timeout=5)
    assert refused.status_code == 400
    assert refused.json()["error"]["errors"][0]["reason"] == "invalid"


def test_an_image_of_a_boot_disk_is_pending_then_ready(compute, session):
    compute.bake = 0.2
    compute.plant(PROJECT, ZONE, "peer-4", {})  # RUNNING at once
    images = f"{compute.url}/compute/v1/projects/{PROJECT}/global/images"
    body = {
        "name": "img-1",
        "sourceDisk": f"zones/{ZONE}/disks/peer-4",
        "labels": {"vertice-snapshot": "nightly"},
    }
    # The disk of a running instance needs forceCreate.
    in_use = session.post(images, json=body, timeout=5)
    assert in_use.status_code == 400
    assert in_use.json()["error"]["errors"][0]["reason"] == "resourceInUseByAnotherResource"
    made = session.post(images, json=body, params={"forceCreate": "true"}, timeout=5).json()
    assert "/global/operations/" in made["selfLink"] and "zone" not in made
    image = session.get(f"{images}/img-1", timeout=5).json()
    template = set(recorded("global_images.json")["items"][0]) - {"family"}
    assert template <= set(image) and image["status"] == "PENDING"
    assert image["sourceDisk"].endswith(f"/projects/{PROJECT}/zones/{ZONE}/disks/peer-4")
    done = operation_done(session, f"{compute.url}{urlpath(made['selfLink'])}")
    assert done["status"] == "DONE" and "error" not in done
    assert session.get(f"{images}/img-1", timeout=5).json()["status"] == "READY"

    taken = session.post(images, json=body, params={"forceCreate": "true"}, timeout=5)
    assert taken.status_code == 409
    assert taken.json()["error"]["errors"][0]["reason"] == "alreadyExists"
    listed = session.get(
        images, params={"filter": 'labels.vertice-snapshot = "nightly"'}, timeout=5
    ).json()
    assert [i["name"] for i in listed["items"]] == ["img-1"]
    gone = dict(body, name="img-2", sourceDisk=f"zones/{ZONE}/disks/nothing")
    assert session.post(images, json=gone, timeout=5).status_code == 404

    assert session.delete(f"{images}/img-1", timeout=5).status_code == 200
    assert session.get(f"{images}/img-1", timeout=5).status_code == 404
    assert session.delete(f"{images}/img-1", timeout=5).status_code == 404
