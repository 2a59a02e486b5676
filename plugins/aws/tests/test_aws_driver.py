"""The driver's verbs beyond the contract: on moto, and on recorded EC2 replies.

Recorded replies come from `fixtures/` beside this file (see SOURCES.md
there); the fault proxy serves them verbatim in place of moto's answer, so
botocore parses exactly what EC2 once sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vertice_core.errors import TerminalError, TransientError
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit import default_spec, unique_key


def test_verbs_on_a_missing_instance(make_driver):
    driver = make_driver()
    driver.delete("i-0123456789abcdef0")  # already gone: a success
    for verb in (driver.start, driver.stop, driver.reboot):
        # EC2 is eventually consistent: a fresh instance may be unknown for a moment.
        with pytest.raises(TransientError) as caught:
            verb("i-0123456789abcdef0")
        assert caught.value.reason == "InstanceNotFound"


def test_create_finds_the_keys_instance_where_the_endpoint_ignores_client_token(
    make_driver, fault_proxy, moto_instances
):
    driver = make_driver(endpoint=fault_proxy.url)
    spec = default_spec("vti-aws-tests", unique_key())
    first = driver.create(spec)
    again = driver.create(spec)
    assert again.cloud_id == first.cloud_id
    assert fault_proxy.count("RunInstances") == 1
    (item,) = moto_instances({"vertice-key": spec.key})
    assert item["ClientToken"] == spec.key

    driver.delete(first.cloud_id)  # a terminated instance is not the key's instance any more
    assert driver.live_by_key(spec.key) is None
    assert driver.create(spec).cloud_id != first.cloud_id


def test_observe_reads_every_page(make_driver, fault_proxy):
    driver = make_driver(endpoint=fault_proxy.url, page_size=5)
    keys = {driver.create(default_spec("vti-aws-tests", unique_key())).key for _ in range(7)}
    before = fault_proxy.count("DescribeInstances")
    observed = driver.observe()
    assert {i.key for i in observed} == keys
    assert fault_proxy.count("DescribeInstances") - before == 2  # 5 + 2


def test_a_recorded_describe_instances_reply_is_understood(make_driver, fault_proxy):
    fault_proxy.fail("DescribeInstances", status=200, body_file="describe_instances.xml")
    driver = make_driver(endpoint=fault_proxy.url)
    from vertice_driver_aws.translate import instance_of

    reply = driver.client.describe_instances()
    instances = [instance_of(i) for r in reply["Reservations"] for i in r["Instances"]]
    assert [(i.cloud_id, i.state) for i in instances] == [
        ("i-4382922a", InstanceState.STOPPED),
        ("i-8474834a", InstanceState.STOPPED),
    ]
    second = instances[1]
    assert (second.public_ipv4, second.private_ipv4) == ("1.2.3.5", "172.16.9.139")
    assert second.tags["Name"] == "Test Server 2"
    assert second.created_at == datetime(2013, 12, 2, 15, 58, 29, tzinfo=UTC)
    # An endpoint that ignores the installation filter: its foreign instances are dropped.
    assert driver.observe() == []


def test_a_recorded_run_instances_reply_gives_the_pending_instance(make_driver, fault_proxy):
    fault_proxy.fail("RunInstances", status=200, body_file="run_instances.xml")
    driver = make_driver(endpoint=fault_proxy.url)
    spec = default_spec("vti-aws-tests", unique_key())
    created = driver.create(spec)
    assert (created.cloud_id, created.state) == ("i-2ba64342", InstanceState.PENDING)
    assert created.key == spec.key  # the reply carries no tags: the requested ones stand


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("run_instances_idem_mismatch.xml", "IdempotentParameterMismatch"),
        ("describe_key_pairs_doesnt_exist.xml", "InvalidKeyPairNotFound"),
    ],
)
def test_recorded_error_replies_are_terminal(make_driver, fault_proxy, fixture, reason):
    fault_proxy.fail("RunInstances", status=400, body_file=fixture)
    driver = make_driver(endpoint=fault_proxy.url, key_name="test-key-pair")
    with pytest.raises(TerminalError) as caught:
        driver.create(default_spec("vti-aws-tests", unique_key()))
    assert caught.value.reason == reason


def test_a_slow_endpoint_is_a_transient_error(make_driver, fault_proxy):
    fault_proxy.fail("DescribeInstances", delay=10.0)
    driver = make_driver(endpoint=fault_proxy.url, read_timeout=0.5)
    with pytest.raises(TransientError) as caught:
        driver.observe()
    assert "cannot be reached" in caught.value.message


def test_flavors_are_the_mapped_instance_types(make_driver):
    flavors = {f.name: f for f in make_driver().flavors()}
    assert set(flavors) == {"t3.micro", "t3.medium", "t3.large"}
    assert (flavors["t3.micro"].cpu, flavors["t3.micro"].ram) == (2, 1024)


def test_images_are_the_mapped_amis_and_the_accounts_own(make_driver, ec2, ubuntu_ami):
    driver = make_driver(image_owners=["self"])
    made = driver.create(default_spec("vti-aws-tests", unique_key()))
    own = ec2.create_image(InstanceId=made.cloud_id, Name="golden-web")["ImageId"]
    images = {i.id: i for i in driver.images()}
    assert images[ubuntu_ami].name == "1_virtualmachine_ubuntu"
    assert images[own].name == "golden-web"


def test_a_region_without_an_aws_region_or_with_a_bad_endpoint_cannot_start(make_driver):
    from vertice_core.errors import UnavailableError

    with pytest.raises(UnavailableError, match="provider_region"):
        make_driver(provider_region="")
    with pytest.raises(UnavailableError, match="not an http"):
        make_driver(endpoint="ftp://ec2.example")


def test_a_first_create_is_one_call_and_a_retry_looks_the_key_up_first(make_driver, fault_proxy):
    """Issue 18: the key is looked up only when an earlier attempt may have created it."""
    import attrs

    driver = make_driver(endpoint=fault_proxy.url)
    spec = attrs.evolve(default_spec("vti-aws-tests", unique_key()), maybe_created=False)
    before = (fault_proxy.count("DescribeInstances"), fault_proxy.count("RunInstances"))
    first = driver.create(spec)
    after = (fault_proxy.count("DescribeInstances"), fault_proxy.count("RunInstances"))
    assert (after[0] - before[0], after[1] - before[1]) == (0, 1)
    again = driver.create(attrs.evolve(spec, maybe_created=True))
    assert again.cloud_id == first.cloud_id
    assert fault_proxy.count("DescribeInstances") - after[0] == 1
    assert fault_proxy.count("RunInstances") - after[1] == 0
