"""The server-side commands of the `vertice` CLI on a local installation."""

from __future__ import annotations

import importlib.metadata
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

import vertice_core
from vertice_api.cli import main
from vertice_core.crypto import token_digest
from vertice_core.store import Store
from vertice_core.store.repositories import (
    FlavorRepository,
    PlanRepository,
    RegionRepository,
    UserRepository,
)


@pytest.fixture
def cli(tmp_path, empty_db_url, monkeypatch):
    monkeypatch.setenv("VERTICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VERTICE_DATABASE_URL", empty_db_url)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, list(args))
        assert result.exit_code == code, result.output
        return result.output

    run.url = empty_db_url  # type: ignore[attr-defined]
    return run


def test_version_is_the_core_distributions():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.split()[-1] == importlib.metadata.version("vertice-core")
    assert result.output.split()[-1] == vertice_core.__version__


def test_init_is_idempotent_and_shows_the_admin_token_once(cli):
    assert "head:" in cli("db", "current")
    cli("db", "upgrade")
    first = cli("init")
    token = first.strip().splitlines()[-1]
    assert token.startswith("vt_")
    second = cli("init")
    assert "vt_" not in second
    assert "added" not in second
    store = Store(cli.url)
    with store.read() as session:
        assert UserRepository(session).by_token(token_digest(token), datetime.now(UTC))
        assert len(PlanRepository(session).all()) == 7  # the design's three and the catalog's
        assert RegionRepository(session).get("local").cloud_type == "sim"
        assert {f.name for f in FlavorRepository(session).all()} == {"small", "medium", "large"}
    store.dispose()


def test_users_create_prints_the_token_alone_on_the_last_line(cli):
    cli("db", "upgrade")
    output = cli("users", "create", "carol", "--admin")
    lines = output.strip().splitlines()
    assert lines[-1].startswith("vt_")
    assert lines[-1] == lines[-1].strip()
    assert "carol" in lines[0]
    store = Store(cli.url)
    with store.read() as session:
        assert UserRepository(session).by_name("carol").admin
    store.dispose()


def test_users_list_prints_the_users_table(cli):
    cli("db", "upgrade")
    assert cli("users", "list") == "no users\n"
    cli("users", "create", "carol", "--admin")
    cli("users", "create", "dave")
    rows = [line.split() for line in cli("users", "list").splitlines()]
    assert rows[0] == ["NAME", "ADMIN", "PROJECTS", "AGE"]
    assert [row[:2] for row in rows[1:]] == [["carol", "yes"], ["dave", "no"]]
    assert cli("users", "list", "-o", "name").split() == ["user/carol", "user/dave"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "create", "not a name"), "not a valid name"),
        (("users", "create", "twice"), "already exists"),
    ],
)
def test_bad_input_is_one_clear_line(cli, args, message):
    cli("db", "upgrade")
    cli("users", "create", "twice")
    output = cli(*args, code=1)
    assert message in output
    assert "Traceback" not in output


def test_a_flavor_is_inferred_from_the_instances_size_when_exactly_one_matches():
    from vertice_api.cli.adopt import infer_flavor
    from vertice_core.driver import CloudFlavor

    offered = [CloudFlavor("t3.micro", 2, 1024), CloudFlavor("t3.large", 2, 8192)]
    flavors = [("small", 2, 1024, []), ("big", 2, 8192, ["far"]), ("huge", 2, 8192, ["far"]),
               ("t3.nano", 1, 512, [])]  # fmt: skip
    assert infer_flavor("t3.micro", offered, flavors, "here")[0] == "small"
    assert infer_flavor("t3.nano", offered, flavors, "here")[0] == "t3.nano"  # its own name
    none, why = infer_flavor("t3.large", offered, flavors, "here")  # big, huge: not offered
    assert none is None and "no flavor offered in 'here'" in why
    several, why = infer_flavor("t3.large", offered, flavors, "far")
    assert several is None and "as flavors big, huge" in why
    assert infer_flavor("m5.xlarge", offered, flavors, "here") == (
        None, "the cloud lists no size 'm5.xlarge'")  # fmt: skip
    assert infer_flavor("", offered, flavors, "here")[0] is None


def test_downgrade_to_base_and_back(cli):
    cli("db", "upgrade")
    assert "base" in cli("db", "downgrade", "base")
    assert "current: none" in cli("db", "current")
    cli("db", "upgrade")


def test_adopt_lists_what_no_installation_manages_and_declares_an_adoption(cli, tmp_path):
    """`vertice adopt REGION` lists the sim's hand-made instance (not the installation's
    own), and `vertice adopt REGION CLOUD_ID ...` declares the assembly adopting it."""
    from vertice_drivers.sim import cloud_at
    from vertice_drivers.simday2 import hand_made

    cli("db", "upgrade")
    cli("init")
    project = cli("users", "create", "carol").splitlines()[0].split("project ")[-1].strip("'")
    assert "holds no instance" in cli("adopt", "local")
    hand = hand_made(cloud_at(tmp_path / "home" / "sim.db"))
    rows = [line.split() for line in cli("adopt", "local").splitlines()]
    assert rows[0][:3] == ["CLOUD", "ID", "STATE"]
    assert rows[1][:3] == [hand, "running", "sim.small"] and rows[1][-1] == "owner=ops"

    options = ["--name", "legacy", "--plan", "1_virtualmachine_ubuntu", "--flavor", "small"]
    missing = cli("adopt", "local", hand, *options, code=1)
    assert missing.strip() == f"error: adopting {hand} needs --project"
    said = cli("adopt", "local", hand, *options, "--project", project)
    assert said.startswith(f"legacy: declared to adopt {hand} in region 'local'")
    again = cli("adopt", "local", hand, *options, "--project", project, code=1)
    assert again.strip() == "error: the project already has an assembly named 'legacy'"
    assert cli("adopt", "nowhere", code=1).strip() == "error: there is no region named 'nowhere'"
    # Without --flavor: the flavor of the instance's size (sim.small: 1 CPU, 1024 MiB).
    other = hand_made(cloud_at(tmp_path / "home" / "sim.db"))
    inferred = cli("adopt", "local", other, "--name", "legacy-2", "--plan",
                   "1_virtualmachine_ubuntu", "--project", project).splitlines()  # fmt: skip
    assert inferred[0] == ("flavor small: 'sim.small' has 1 CPU(s) and 1024 MiB, as flavor "
                           "'small'")  # fmt: skip
    assert inferred[1].startswith(f"legacy-2: declared to adopt {other}")
    unknown = cli("adopt", "local", "sim-nothing", "--name", "x", "--plan",
                  "1_virtualmachine_ubuntu", "--project", project, code=1)  # fmt: skip
    assert "holds no unmanaged instance 'sim-nothing'" in unknown
    store = Store(cli.url)
    with store.read() as session:
        from vertice_core.store.tables import AssemblyRow

        rows = session.query(AssemblyRow).order_by(AssemblyRow.name).all()
        assert [(r.name, r.flavor_name, r.spec["adopt"]) for r in rows] == [
            ("legacy", "small", {"cloud_id": hand}),
            ("legacy-2", "small", {"cloud_id": other}),
        ]
    store.dispose()
