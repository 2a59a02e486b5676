"""How `get assemblies` and `describe assembly` show published ports and what an assembly runs."""

from __future__ import annotations

from vertice_api.cli.output import addresses, assemblies_table, describe, instance_addresses

PUBLISHED = {
    "ordinal": 0,
    "state": "running",
    "public_ipv4": "127.0.0.1",
    "access": ["127.0.0.1:32768", "127.0.0.1:32769"],
    "key": "k0",
    "cloud_id": "c0",
}
VM = {
    "ordinal": 1,
    "state": "running",
    "public_ipv4": "203.0.113.9",
    "access": [],
    "key": "k1",
    "cloud_id": "c1",
}
PRIVATE = {"ordinal": 2, "state": "running", "private_ipv4": "10.0.0.3", "key": "k2"}
NOWHERE = {"ordinal": 3, "state": "pending", "key": "k3"}  # fmt: skip


def test_an_instance_is_reached_at_its_published_ports_else_its_address():
    assert instance_addresses(PUBLISHED) == ["127.0.0.1:32768", "127.0.0.1:32769"]
    assert instance_addresses(VM) == ["203.0.113.9"]
    assert instance_addresses(PRIVATE) == ["10.0.0.3"]
    assert instance_addresses(NOWHERE) == []


def test_addresses_lists_every_instance_in_ordinal_order():
    document = {"status": {"instances": [PRIVATE, NOWHERE, VM, PUBLISHED]}}
    assert addresses(document) == "127.0.0.1:32768,127.0.0.1:32769,203.0.113.9,10.0.0.3"
    assert addresses({"status": {"instances": [NOWHERE]}}) == "-"


def test_get_assemblies_shows_published_host_ports():
    status = {"phase": "RUNNING", "instances": [PUBLISHED], "ready_replicas": 1}
    document = {"name": "web", "flavor": "small", "region": "dock", "replicas": 1, "status": status}
    header, row = assemblies_table([document]).splitlines()
    assert header.split()[5] == "ADDRESSES"
    assert row.split()[5] == "127.0.0.1:32768,127.0.0.1:32769"


def test_describe_shows_published_ports_per_instance_and_the_command_but_no_env_value():
    document = {
        "name": "web",
        "command": ["sh", "-c"],
        "args": ['echo "$GREETING" > /tmp/page', "8080"],
        "env_names": ["GREETING", "TOKEN"],
        "status": {"instances": [VM, PUBLISHED]},
    }
    text = describe(document, [])
    assert "Command:       sh -c" in text
    assert "Args:          'echo \"$GREETING\" > /tmp/page' 8080" in text
    assert "Env:           GREETING, TOKEN (values hidden)" in text
    rows = [line.split() for line in text.split("Instances:")[1].splitlines()[1:3]]
    assert rows[0][8] == "PUBLISHED"
    assert rows[1][:7] == ["0", "-", "running", "-", "127.0.0.1", "-",
                           "127.0.0.1:32768,127.0.0.1:32769"]  # fmt: skip
    assert rows[1][7:] == ["k0", "c0"]


def test_describe_leaves_out_what_was_not_declared():
    text = describe({"name": "vm", "status": {"instances": [VM]}}, [])
    assert "Command:" not in text
    assert "Args:" not in text
    assert "Env:" not in text
