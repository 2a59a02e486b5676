"""The driver's verbs against the peer, one at a time: what openstacksdk sends, what comes back."""

from __future__ import annotations

import logging

import pytest
from openstack_peer import APP_CRED_ID, APP_CRED_SECRET, PASSWORD, PROJECT_ID, USERNAME

from vertice_core.driver import TAG_KEY, SizeSpec
from vertice_core.errors import (
    AuthFailed,
    QuotaExceeded,
    TerminalError,
    TransientError,
    UnavailableError,
)
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit import TEST_PUBLIC_KEY, default_spec

INSTALLATION = "vti-openstack-tests"


def spec(key, **changes):
    return default_spec(INSTALLATION, key, **changes)


def states(driver, key):
    return [i.state for i in driver.observe() if i.key == key]


def settle(cloud, driver, key, state):
    cloud.when(lambda: states(driver, key) == [state])


def test_a_server_moves_through_novas_states_as_observed(make_driver, cloud):
    driver = make_driver()
    cloud.boot = cloud.halt = 1.0  # time enough to see each state on a busy machine
    created = driver.create(spec("asm-a1-1"))
    assert created.state is InstanceState.PENDING
    assert states(driver, "asm-a1-1") == [InstanceState.PENDING]  # BUILD
    settle(cloud, driver, "asm-a1-1", InstanceState.RUNNING)  # ACTIVE

    driver.stop(created.cloud_id)
    assert states(driver, "asm-a1-1") == [InstanceState.PENDING]  # ACTIVE, powering-off
    driver.stop(created.cloud_id)  # in flight: left alone
    settle(cloud, driver, "asm-a1-1", InstanceState.STOPPED)  # SHUTOFF
    driver.stop(created.cloud_id)  # stopped already: nothing sent

    driver.start(created.cloud_id)
    settle(cloud, driver, "asm-a1-1", InstanceState.RUNNING)
    driver.reboot(created.cloud_id)
    assert states(driver, "asm-a1-1") == [InstanceState.PENDING]  # REBOOT
    settle(cloud, driver, "asm-a1-1", InstanceState.RUNNING)

    driver.delete(created.cloud_id)
    assert states(driver, "asm-a1-1") == [InstanceState.TERMINATED]  # task deleting
    driver.delete(created.cloud_id)  # being deleted: nothing sent again
    cloud.when(lambda: states(driver, "asm-a1-1") == [])
    driver.delete(created.cloud_id)  # gone: a success


def test_each_verb_sends_what_nova_expects_once(make_driver, cloud, peer):
    driver = make_driver(reboot_type="HARD")
    created = driver.create(spec("asm-a2-1"))
    settle(cloud, driver, "asm-a2-1", InstanceState.RUNNING)
    driver.stop(created.cloud_id)
    settle(cloud, driver, "asm-a2-1", InstanceState.STOPPED)
    driver.start(created.cloud_id)
    settle(cloud, driver, "asm-a2-1", InstanceState.RUNNING)
    driver.reboot(created.cloud_id)
    assert [c.body for c in peer.called("servers.action")] == [
        {"os-stop": None},
        {"os-start": None},
        {"reboot": {"type": "HARD"}},
    ]
    assert {c.target for c in peer.called("servers.action")} == {created.cloud_id}


def test_suspend_and_the_start_that_resumes_send_novas_documented_bodies(make_driver, cloud, peer):
    driver = make_driver()
    cloud.boot = cloud.halt = 1.0  # time enough to see the suspending server on a busy machine
    created = driver.create(spec("asm-a3-1"))
    settle(cloud, driver, "asm-a3-1", InstanceState.RUNNING)
    driver.suspend(created.cloud_id)
    assert states(driver, "asm-a3-1") == [InstanceState.PENDING]  # ACTIVE, suspending
    driver.suspend(created.cloud_id)  # in flight: left alone
    settle(cloud, driver, "asm-a3-1", InstanceState.STOPPED)  # SUSPENDED
    driver.suspend(created.cloud_id)  # suspended already: nothing sent
    driver.start(created.cloud_id)
    settle(cloud, driver, "asm-a3-1", InstanceState.RUNNING)
    assert [c.body for c in peer.called("servers.action")] == [{"suspend": None}, {"resume": None}]
    assert cloud.servers[created.cloud_id].reboots == 0  # resumed, not rebooted


def test_a_create_repeated_returns_the_server_the_first_made(make_driver, cloud, peer):
    driver = make_driver()
    first = driver.create(spec("asm-a3-1"))
    again = driver.create(spec("asm-a3-1"))
    assert again.cloud_id == first.cloud_id
    assert peer.count("servers.create") == 1
    (lookup, _) = [c for c in peer.called("servers.list") if "name" in c.query][:2]
    assert lookup.query["name"] == ["^asm-a3-"]  # the assembly's servers, by name


def test_a_server_being_deleted_is_not_adopted(make_driver, cloud, peer):
    driver = make_driver()
    cloud.halt = 5.0
    first = driver.create(spec("asm-a4-1"))
    driver.delete(first.cloud_id)
    second = driver.create(spec("asm-a4-1"))
    assert second.cloud_id != first.cloud_id


def test_the_listing_keeps_this_installations_servers_across_pages(make_driver, cloud, managed):
    driver = make_driver(page_size=2)
    ours = [cloud.plant(f"asm-p{n}-1", managed(INSTALLATION, f"asm-p{n}", f"asm-p{n}-1"))
            for n in range(3)]  # fmt: skip
    for n in range(4):
        cloud.plant(f"asm-q{n}-1", managed("vti-other", f"asm-q{n}", f"asm-q{n}-1"))
    cloud.plant("pet", {})
    seen = driver.observe()
    assert sorted(i.cloud_id for i in seen) == sorted(s.id for s in ours)
    assert all(i.state is InstanceState.RUNNING and i.private_ipv4 for i in seen)


def test_metadata_carries_the_tags_and_the_key(make_driver, cloud):
    driver = make_driver()
    made = driver.create(spec("asm-a5-1"))
    server = cloud.servers[made.cloud_id]
    assert server.metadata == dict(spec("asm-a5-1").tags)
    assert server.name == "asm-a5-1"
    (seen,) = driver.observe()
    assert seen.tags[TAG_KEY] == "asm-a5-1" and seen.assembly_id == "asm-a5"


def test_the_ssh_key_is_imported_once_as_a_key_pair(make_driver, cloud, peer):
    driver = make_driver()
    one = driver.create(spec("asm-k1-1", ssh_public_key=TEST_PUBLIC_KEY))
    two = driver.create(spec("asm-k2-1", ssh_public_key=TEST_PUBLIC_KEY))
    (pair,) = cloud.keypairs.values()
    assert cloud.servers[one.cloud_id].key_name == cloud.servers[two.cloud_id].key_name
    assert cloud.servers[one.cloud_id].key_name == pair["name"]
    assert peer.count("keypairs.create") == 1 and peer.count("keypairs.get") == 1
    assert TEST_PUBLIC_KEY in peer.launch_data(one.cloud_id)  # and in the user data

    plain = make_driver(import_key_pairs=False)
    three = plain.create(spec("asm-k3-1", ssh_public_key=TEST_PUBLIC_KEY))
    assert cloud.servers[three.cloud_id].key_name is None
    assert TEST_PUBLIC_KEY in peer.launch_data(three.cloud_id)


def test_images_by_name_and_id_and_flavors_by_name_id_or_size(make_driver, cloud, peer):
    f17 = "781b3762-9469-4cec-b58d-3349e5de4e9c"
    driver = make_driver(
        images={"1_virtualmachine_ubuntu": "F17-x86_64-cfntools", "by_id": f17},
        flavors={"small": "m1.medium", "large": "5"},
    )
    made = driver.create(spec("asm-f1-1"))
    assert (cloud.servers[made.cloud_id].image_id, cloud.servers[made.cloud_id].flavor["id"]) == (
        f17, "3",
    )  # fmt: skip
    (glance,) = peer.called("images.list")
    assert glance.query["name"] == ["F17-x86_64-cfntools"]

    made = driver.create(spec("asm-f2-1", image="by_id", size=SizeSpec("large", 8, 1, 1)))
    assert cloud.servers[made.cloud_id].flavor["name"] == "m1.xlarge"
    assert peer.count("images.list") == 1  # an id needs no lookup

    fits = make_driver()  # unmapped: the flavor named like the size, else the smallest fit
    made = fits.create(spec("asm-f3-1"))  # small: 1 CPU, 1024 MB, 10 GB
    assert cloud.servers[made.cloud_id].flavor["name"] == "m1.small"


def test_flavors_and_images_are_listed(make_driver):
    driver = make_driver(images={"1_virtualmachine_ubuntu": "cirros-0.3.2-x86_64-disk"})
    flavors = driver.flavors()
    assert [f.name for f in flavors][:2] == ["m1.tiny", "m1.tiny.specs"]
    assert {(f.name, f.cpu, f.ram, f.disk) for f in flavors} >= {("m1.small", 1, 2048, 20)}
    images = driver.images()
    assert images[0].name == "1_virtualmachine_ubuntu"
    assert images[0].description == "cirros-0.3.2-x86_64-disk"
    assert {i.name for i in images[1:]} == {"F17-x86_64-cfntools"}


def test_an_application_credential_authenticates_without_a_project(make_driver, peer):
    driver = make_driver(
        credentials={
            "application_credential_id": APP_CRED_ID,
            "application_credential_secret": APP_CRED_SECRET,
        },
        project_name="",
        project_domain_name="",
    )
    assert driver.observe() == []
    (token,) = peer.called("identity.token")
    identity = token.body["auth"]["identity"]
    assert identity["methods"] == ["application_credential"]
    assert "scope" not in token.body["auth"]


def test_a_password_is_scoped_to_the_project_by_id_or_by_name(make_driver, peer):
    make_driver(project_name="", project_id=PROJECT_ID, project_domain_name="").observe()
    make_driver().observe()
    by_id, by_name = (c.body["auth"] for c in peer.called("identity.token"))
    assert by_id["scope"] == {"project": {"id": PROJECT_ID}}
    assert by_name["scope"]["project"] == {"name": "vertice-tests", "domain": {"name": "Default"}}
    assert by_name["identity"]["password"]["user"]["name"] == USERNAME


def test_the_region_and_interface_choose_the_catalogs_endpoint(make_driver, peer):
    make_driver(region_name="RegionTwo", interface="internal").observe()
    listed = peer.called("servers.list")
    assert [(c.region, c.interface) for c in listed] == [("RegionTwo", "internal")]
    make_driver(provider_region="RegionTwo").observe()  # the region's provider_region
    assert peer.called("servers.list")[-1].region == "RegionTwo"


@pytest.mark.parametrize("suffix", ["", "/v3"])
def test_keystones_versions_are_discovered_or_its_v3_url_used(make_driver, peer, suffix):
    make_driver(auth_url=peer.auth_url + suffix).observe()
    assert peer.count("identity.token") == 1


def test_a_revoked_token_is_replaced_on_the_next_call(make_driver, peer):
    driver = make_driver()
    driver.observe()
    peer.revoke_tokens()
    driver.observe()  # Nova's 401: keystoneauth authenticates again and retries once
    assert peer.count("identity.token") == 2


def test_region_problems_are_unavailable_and_name_what_to_fix(make_driver, peer):
    with pytest.raises(UnavailableError) as caught:
        make_driver(region_name="RegionNine").observe()
    assert caught.value.reason == "RegionMisconfigured"
    with pytest.raises(UnavailableError) as caught:
        make_driver(auth_url=peer.url + "/nothing-here").observe()
    assert caught.value.reason == "RegionMisconfigured"
    with pytest.raises(UnavailableError, match="names no project"):
        make_driver(project_name="", project_domain_name="")


@pytest.mark.parametrize(
    ("credentials", "secret"),
    [
        ({"username": USERNAME, "password": "Wr0ng-s3cret-pw"}, "Wr0ng-s3cret-pw"),
        (
            {"application_credential_id": APP_CRED_ID,
             "application_credential_secret": "Wr0ng-app-s3cret"},
            "Wr0ng-app-s3cret",
        ),
    ],
)  # fmt: skip
def test_credentials_never_reach_an_error_or_the_log(make_driver, caplog, credentials, secret):
    caplog.set_level(logging.DEBUG)
    driver = make_driver(credentials=credentials)
    with pytest.raises(AuthFailed) as caught:
        driver.observe()
    assert secret not in str(caught.value) and secret not in caplog.text
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert secret not in repr(driver.region) and PASSWORD not in repr(driver.region)


def test_verbs_on_a_server_nova_does_not_know(make_driver):
    driver = make_driver()
    missing = "5b4c1b0e-1a58-4a55-9c1e-5e0e00000000"
    driver.delete(missing)  # gone already: a success
    for verb in (driver.start, driver.stop, driver.reboot):
        with pytest.raises(TransientError) as caught:
            verb(missing)
        assert caught.value.reason == "InstanceNotFound"


def test_a_server_in_error_reports_its_fault(make_driver, cloud):
    driver = make_driver()
    cloud.build_faults.append((500, "No valid host was found. There are not enough hosts "
                                    "available."))  # fmt: skip
    cloud.build_faults.append((400, "Flavor's disk is too small for requested image."))
    transient = driver.create(spec("asm-e1-1"))
    terminal = driver.create(spec("asm-e2-1"))
    settle(cloud, driver, "asm-e1-1", InstanceState.ERROR)
    settle(cloud, driver, "asm-e2-1", InstanceState.ERROR)
    with pytest.raises(TransientError) as caught:
        driver.start(transient.cloud_id)
    assert caught.value.reason == "NoValidHost" and "No valid host" in caught.value.message
    with pytest.raises(TerminalError) as failed:
        driver.stop(terminal.cloud_id)
    assert failed.value.reason == "FlavorTooSmall"
    driver.delete(terminal.cloud_id)  # a broken server is deleted like any other


def test_a_quota_refusal_is_terminal(make_driver, cloud):
    cloud.max_instances = 1
    driver = make_driver()
    driver.create(spec("asm-q1-1"))
    with pytest.raises(QuotaExceeded, match="already used 1 of 1 instances"):
        driver.create(spec("asm-q2-1"))


def test_a_conflict_with_a_state_that_moved_is_retried(make_driver, cloud, peer):
    driver = make_driver()
    made = driver.create(spec("asm-c1-1"))
    settle(cloud, driver, "asm-c1-1", InstanceState.RUNNING)
    peer.fail(
        "servers.action", status=409,
        message=f"Cannot 'os-stop' instance {made.cloud_id} while it is in task_state "
        "rebooting_hard", times=1,
    )  # fmt: skip
    with pytest.raises(TransientError) as caught:
        driver.stop(made.cloud_id)
    assert caught.value.reason == "IncorrectInstanceState"
    driver.stop(made.cloud_id)
    settle(cloud, driver, "asm-c1-1", InstanceState.STOPPED)


def test_a_first_create_of_a_first_incarnation_lists_no_server(make_driver, peer):
    """Issue 18: the key is looked up only when an earlier attempt may have created it, and
    recent faults only for a later incarnation of the instance."""
    import attrs

    driver = make_driver()
    driver.create(attrs.evolve(spec("asm-a9-1"), maybe_created=False))
    assert peer.count("servers.create") == 1
    assert peer.called("servers.list") == []
    driver.create(attrs.evolve(spec("asm-a9-2"), maybe_created=False))  # a later incarnation
    listings = peer.called("servers.list")  # the recent faults (one or more pages)
    assert listings and all(c.query.get("changes-since") for c in listings)
