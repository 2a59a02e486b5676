"""The docker driver's pure parts as tables: states, names, create arguments, errors, settings."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile

import attrs
import docker.errors
import pytest
import requests

from vertice_core.convert import make_converter, structure
from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_REVISION,
    InstanceState,
    SizeSpec,
)
from vertice_core.errors import (
    AuthFailed,
    InvalidInput,
    TerminalError,
    Throttled,
    TransientError,
    UnavailableError,
)
from vertice_driver_docker import DRIVER, DockerCredentials, DockerSettings
from vertice_driver_docker.client import translate
from vertice_driver_docker.translate import (
    adopted_tags,
    assembly_of,
    container_name,
    create_arguments,
    default_public_address,
    instance_of,
    is_ours,
    is_unmanaged,
    launch_archive,
    limits_of,
    name_of,
    published,
    size_limits,
    state_of,
    update_body,
)
from vertice_drivers.testkit import TEST_PASSWORD, TEST_PUBLIC_KEY, default_spec


@pytest.mark.parametrize(
    ("engine_state", "state"),
    [
        ("created", InstanceState.ERROR),
        ("running", InstanceState.RUNNING),
        ("paused", InstanceState.STOPPED),
        ("restarting", InstanceState.PENDING),
        ("exited", InstanceState.STOPPED),
        ("dead", InstanceState.ERROR),
        ("removing", InstanceState.TERMINATED),
        ("something-new", InstanceState.UNKNOWN),
    ],
)
def test_container_states_map_onto_instance_states(engine_state, state):
    assert state_of(engine_state) is state


def test_names_are_valid_container_names_unique_per_installation_and_key():
    assert container_name("vti-0a1b", "asm-x7-1") == "vt-vti-0a1b-asm-x7-1"
    assert container_name("vti-0a1b", "a b/c") == "vt-vti-0a1b-a-b-c"
    assert container_name("vti-1", "k") != container_name("vti-2", "k")


@pytest.mark.parametrize(
    ("key", "assembly"),
    [
        ("asm-3f9a1c2b7d4e8a10-1", "asm-3f9a1c2b7d4e8a10"),
        ("asm-3f9a1c2b7d4e8a10-r2i7", "asm-3f9a1c2b7d4e8a10"),
        ("tk123456789-5-adopted", "tk123456789-5"),
        ("nohyphen", "nohyphen"),
    ],
)
def test_an_adopted_name_gives_the_key_and_the_assembly_before_its_last_hyphen(key, assembly):
    assert assembly_of(key) == assembly
    name = container_name("vti-0a1b", key)
    assert adopted_tags(name, "vti-0a1b") == {
        TAG_INSTALLATION: "vti-0a1b",
        TAG_KEY: key,
        TAG_ASSEMBLY: assembly,
    }


@pytest.mark.parametrize(
    "name", ["vt-vti-0a1b-", "vt-vti-0a1b", "vt-vti-0a1b0-asm-1-1", "ops-web", "xvt-vti-0a1b-k-1"]
)
def test_other_names_are_not_adopted(name):
    assert adopted_tags(name, "vti-0a1b") == {}


def listed(name: str, labels: dict[str, str] | None = None) -> dict:
    return {"Id": "c0ffee", "Names": [f"/{name}"], "State": "running", "Labels": labels or {}}


@pytest.mark.parametrize(
    ("summary", "ours", "unmanaged"),
    [
        (listed("vt-vti-0a1b-asm-1-1", {TAG_INSTALLATION: "vti-0a1b"}), True, False),  # made
        (listed("vt-vti-0a1b-asm-1-1", {"owner": "ops"}), True, False),  # adopted
        (listed("vt-vti-0a1b-asm-1-1", {TAG_INSTALLATION: "vti-other"}), False, False),
        (listed("vt-vti-other-asm-1-1"), False, False),  # adopted by another
        (listed("ops-web", {TAG_INSTALLATION: "vti-other"}), False, False),
        (listed("ops-web", {"owner": "ops"}), False, True),  # made by hand
        (listed("ops-web", {TAG_INSTALLATION: "", TAG_KEY: ""}), False, True),  # from a snapshot
    ],
)
def test_whose_a_listed_container_is(summary, ours, unmanaged):
    assert is_ours(summary, "vti-0a1b") is ours
    assert is_unmanaged(summary) is unmanaged


def test_a_container_s_own_name_is_the_one_without_a_link_s_slash():
    assert name_of({"Names": ["/web/db", "/db"]}) == "db"
    assert name_of({}) == ""


def test_an_adopted_container_is_tagged_from_its_name_over_its_own_labels():
    labels = {"owner": "ops", TAG_INSTALLATION: "", TAG_KEY: "", TAG_REVISION: ""}
    instance = instance_of(listed("vt-vti-0a1b-asm-1-r2i3", labels), "127.0.0.1", "vti-0a1b")
    assert instance.key == "asm-1-r2i3"
    assert instance.assembly_id == "asm-1"
    assert dict(instance.tags) == {
        "owner": "ops",
        TAG_INSTALLATION: "vti-0a1b",
        TAG_KEY: "asm-1-r2i3",
        TAG_ASSEMBLY: "asm-1",
    }


def test_create_arguments_carry_labels_limits_ports_env_and_init():
    spec = default_spec(
        "vti-1", "asm-1-1", image="web", size=SizeSpec("s", 2, 512, 0), ports=(8080, 9090),
        env={"http.port": "8080"},
    )  # fmt: skip
    settings = DockerSettings(images={"web": "localhost/busybox:latest"}, network="vtnet")
    arguments = create_arguments(spec, settings, "vt-x")
    assert arguments["image"] == "localhost/busybox:latest"
    assert arguments["name"] == "vt-x"
    assert arguments["labels"] == {**spec.tags, TAG_KEY: "asm-1-1"}
    assert arguments["ports"] == {"8080/tcp": None, "9090/tcp": None}
    assert arguments["environment"] == {"http.port": "8080"}
    assert (arguments["nano_cpus"], arguments["mem_limit"]) == (2_000_000_000, 512 * 2**20)
    assert arguments["memswap_limit"] == 1024 * 2**20  # the engine's default, made explicit
    assert arguments["init"] is True
    assert arguments["network"] == "vtnet"
    unmapped = create_arguments(attrs.evolve(spec, image="x:1"), settings, "n")
    assert unmapped["image"] == "x:1"


MIB = 2**20
MADE = {"NanoCpus": 10**9, "CpuQuota": 0, "CpuPeriod": 0, "Memory": 256 * MIB}


@pytest.mark.parametrize(
    ("host_config", "limits"),
    [
        (MADE, (10**9, 256 * MIB)),
        ({"NanoCpus": 0, "CpuQuota": 50_000, "CpuPeriod": 100_000, "Memory": 0}, (5 * 10**8, 0)),
        ({"CpuQuota": 200_000, "CpuPeriod": 0}, (2 * 10**9, 0)),  # the kernel's 100 ms period
        ({"NanoCpus": 0, "CpuQuota": -1, "CpuPeriod": 0, "Memory": 0}, (0, 0)),  # no limits
        ({}, (0, 0)),
    ],
)
def test_a_container_s_limits_are_read_from_nano_cpus_or_its_cfs_quota(host_config, limits):
    assert limits_of(host_config) == limits


@pytest.mark.parametrize(
    ("host_config", "cpus"),
    [
        (MADE, {"NanoCpus": 2 * 10**9}),
        ({}, {"NanoCpus": 2 * 10**9}),  # no limits yet
        ({"CpuQuota": 50_000, "CpuPeriod": 100_000}, {"CpuQuota": 200_000, "CpuPeriod": 100_000}),
        ({"CpuQuota": 50_000, "CpuPeriod": 0}, {"CpuQuota": 200_000, "CpuPeriod": 100_000}),
        ({"CpuQuota": 0, "CpuPeriod": 50_000}, {"CpuQuota": 100_000, "CpuPeriod": 50_000}),
    ],
)
def test_an_update_sets_what_create_sets_cpus_as_the_container_is_limited(host_config, cpus):
    size = SizeSpec("medium", 2, 4096, 0)
    memory = {"Memory": 4096 * MIB, "MemorySwap": 8192 * MIB}
    assert update_body(host_config, size) == {**cpus, **memory}
    assert size_limits(size) == {"NanoCpus": 2 * 10**9, **memory}


def test_the_specs_command_is_the_entrypoint_and_its_args_the_containers_command():
    spec = default_spec("vti-1", "asm-1-1", image="web")
    settings = DockerSettings()
    image_default = create_arguments(spec, settings, "n")
    assert "entrypoint" not in image_default
    assert "command" not in image_default
    both = create_arguments(
        attrs.evolve(spec, command=("sh", "-c"), args=("echo $X",), env={"X": "1"}), settings, "n"
    )
    assert (both["entrypoint"], both["command"]) == (["sh", "-c"], ["echo $X"])
    assert both["environment"] == {"X": "1"}
    only_args = create_arguments(attrs.evolve(spec, args=("-p", "80")), settings, "n")
    assert "entrypoint" not in only_args
    assert only_args["command"] == ["-p", "80"]
    only_command = create_arguments(attrs.evolve(spec, command=("true",)), settings, "n")
    assert only_command["entrypoint"] == ["true"]
    assert "command" not in only_command  # the engine then drops the image's CMD


def test_launch_credentials_become_private_files_not_environment():
    spec = default_spec("vti-1", "k-1", ssh_public_key=TEST_PUBLIC_KEY, root_password=TEST_PASSWORD)
    assert launch_archive(default_spec("vti-1", "k-1")) is None
    with tarfile.open(fileobj=io.BytesIO(launch_archive(spec) or b"")) as archive:
        members = {m.name: m for m in archive.getmembers()}
        assert members["root/.ssh"].isdir() and members["root/.ssh"].mode == 0o700
        keys = members["root/.ssh/authorized_keys"]
        assert keys.mode == 0o600
        assert archive.extractfile(keys).read().decode() == TEST_PUBLIC_KEY + "\n"
        password = members["run/secrets/vertice/root_password"]
        assert password.mode == 0o400
        assert archive.extractfile(password).read().decode() == TEST_PASSWORD
    assert TEST_PASSWORD not in str(create_arguments(spec, DockerSettings(), "n"))


@pytest.mark.parametrize(
    ("settings", "address"),
    [
        (DockerSettings(), "127.0.0.1"),
        (DockerSettings(base_url="tcp://10.1.2.3:2376"), "10.1.2.3"),
        (DockerSettings(base_url="tcp://engine.example:2376"), "engine.example"),
        (DockerSettings(base_url="tcp://engine:2376", public_address="203.0.113.9"), "203.0.113.9"),
    ],
)
def test_the_published_address_defaults_to_the_engines_host(settings, address):
    assert default_public_address(settings) == address


def test_published_ports_prefer_ipv4_bindings_and_skip_unpublished_ones():
    ports = [
        {"IP": "::", "PrivatePort": 8080, "PublicPort": 32769, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 8080, "PublicPort": 32770, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 9090, "PublicPort": 32771, "Type": "tcp"},
        {"PrivatePort": 22, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 53, "PublicPort": 32772, "Type": "udp"},
    ]
    assert published(ports, "127.0.0.1") == ("127.0.0.1:32770", "127.0.0.1:32771")
    assert published(ports[:1], "::1") == ("[::1]:32769",)


def test_a_listed_container_becomes_an_instance():
    summary = {
        "Id": "c0ffee",
        "Names": ["/vt-x"],
        "State": "running",
        "Created": 1_700_000_000,
        "Labels": {TAG_KEY: "asm-1-1", "vertice-assembly": "asm-1"},
        "Ports": [{"IP": "0.0.0.0", "PrivatePort": 8080, "PublicPort": 40000, "Type": "tcp"}],
        "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.5"}}},
    }
    instance = instance_of(summary, "127.0.0.1")
    assert (instance.key, instance.cloud_id, instance.state) == ("asm-1-1", "c0ffee", "running")
    assert (instance.public_ipv4, instance.private_ipv4) == ("127.0.0.1", "172.17.0.5")
    assert instance.access == ("127.0.0.1:40000",)
    assert instance.assembly_id == "asm-1"
    assert instance.created_at is not None
    assert instance_of(summary, "engine.example").public_ipv4 == ""


def api_error(status: int, explanation: str, cls=docker.errors.APIError):
    response = requests.Response()
    response.status_code = status
    return cls(f"{status}", response=response, explanation=explanation)


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (api_error(401, "unauthorized"), AuthFailed, "AuthFailed"),
        (api_error(403, "authorization denied by plugin"), AuthFailed, "AuthFailed"),
        (api_error(404, "No such image: x", docker.errors.ImageNotFound), TerminalError,
         "ImageNotFound"),
        (api_error(404, "No such container: c", docker.errors.NotFound), TerminalError, "NotFound"),
        (api_error(409, "cannot start a paused container"), TransientError, "Conflict"),
        (api_error(429, "too many requests"), Throttled, "Throttled"),
        (api_error(500, "driver failed programming"), TransientError, "CloudUnavailable"),
        (api_error(503, "unavailable"), TransientError, "CloudUnavailable"),
        (api_error(400, "No command specified"), TerminalError, "InvalidSpec"),
        (requests.exceptions.ConnectionError("refused"), TransientError, "EngineDown"),
        (requests.exceptions.ReadTimeout("slow"), TransientError, "EngineDown"),
        (FileNotFoundError(2, "No such file"), TransientError, "EngineDown"),
        (requests.exceptions.SSLError("bad certificate"), AuthFailed, "AuthFailed"),
        (docker.errors.TLSParameterError("no key"), UnavailableError, "RegionMisconfigured"),
        (docker.errors.DockerException("Invalid bind address"), UnavailableError,
         "RegionMisconfigured"),
    ],
)  # fmt: skip
def test_sdk_errors_are_classified(error, kind, reason):
    translated = translate(error, "observe")
    assert type(translated) is kind
    assert translated.reason == reason
    assert translated.message.startswith("docker: observe")


def test_a_failed_version_negotiation_is_classified_by_its_cause():
    wrapped = docker.errors.DockerException("Error while fetching server API version")
    wrapped.__cause__ = requests.exceptions.ConnectionError("refused")
    assert translate(wrapped, "observe").reason == "EngineDown"


@pytest.mark.parametrize(
    ("settings", "credentials", "paths"),
    [
        ({"base_url": "http://engine:2375"}, {}, ["$.settings"]),
        ({"timeout": 0, "bogus": 1}, {}, ["$.settings.bogus", "$.settings.timeout"]),
        ({}, {"client_cert": "PEM"}, ["$.credentials"]),
    ],
)
def test_region_settings_are_validated_with_readable_paths(settings, credentials, paths):
    converter = make_converter()
    problems = []
    for data, cls, path in (
        (settings, DRIVER.settings, "$.settings"),
        (credentials, DRIVER.credentials, "$.credentials"),
    ):
        try:
            structure(converter, data, cls, path)
        except InvalidInput as exc:
            problems.extend(exc.problems)
    assert sorted(p.path for p in problems) == paths


def test_valid_settings_structure():
    converter = make_converter()
    data = {
        "base_url": "tcp://127.0.0.1:2376",
        "public_address": "127.0.0.1",
        "images": {"web": "localhost/busybox:latest"},
        "max_containers": 10,
    }
    settings = structure(converter, data, DockerSettings)
    assert settings.images == {"web": "localhost/busybox:latest"}
    assert structure(converter, {}, DockerCredentials) == DockerCredentials()
    assert DRIVER.secret_fields() == ["ca_cert", "client_cert", "client_key"]


def test_the_entry_point_module_does_not_import_the_sdk():
    script = (
        "import sys, vertice_driver_docker as d; d.DRIVER.settings; "
        "print('docker' in sys.modules, 'requests' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["False", "False"], result.stderr
