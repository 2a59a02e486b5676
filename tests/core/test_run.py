"""What an instance runs: the bounds of command, args and env, the plan's `::command`
characteristic, and how the reconciler merges the assembly's over the plan's."""

from __future__ import annotations

from typing import Any

import pytest

from vertice_core.crypto import SecretBox, new_key
from vertice_core.model.camp import Plan, Service
from vertice_core.model.run import MAX_ARGV, MAX_ENV, MAX_STRING_BYTES, run_problems
from vertice_core.model.types import Name
from vertice_core.reconcile.specs import instance_spec
from vertice_core.store.repositories.work import SpecRow
from vertice_core.store.tables import FlavorRow


def paths(**given: Any) -> list[str]:
    return [p.path for p in run_problems("$", **given)]


def test_valid_command_args_and_env_have_no_problems():
    assert paths(command=["sh", "-c"], args=["echo $X"], env={"X": "1", "_y2": ""}) == []
    assert paths() == []
    assert paths(args=["é" * (MAX_STRING_BYTES // 2)]) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"command": []}, ["$.command"]),
        ({"command": "sh -c"}, ["$.command"]),
        ({"args": ["a"] * (MAX_ARGV + 1)}, ["$.args"]),
        ({"args": ["ok", 3]}, ["$.args[1]"]),
        ({"args": ["x" * (MAX_STRING_BYTES + 1)]}, ["$.args[0]"]),
        ({"args": ["é" * (MAX_STRING_BYTES // 2 + 1)]}, ["$.args[0]"]),  # bytes, not characters
        ({"args": ["a\0b"]}, ["$.args[0]"]),
        ({"env": ["X=1"]}, ["$.env"]),
        ({"env": {f"V{i}": "" for i in range(MAX_ENV + 1)}}, ["$.env"]),
        ({"env": {"1X": "a"}}, ["$.env"]),
        ({"env": {"HTTP.PORT": "80"}}, ["$.env"]),
        ({"env": {"X" * 256: "a"}}, ["$.env"]),
        ({"env": {"X": 1}}, ["$.env['X']"]),
        ({"env": {"X": "v" * (MAX_STRING_BYTES + 1)}}, ["$.env['X']"]),
        ({"command": [], "env": {"-": ""}}, ["$.command", "$.env"]),
    ],
)
def test_bad_command_args_and_env_are_named_by_path(given, expected):
    assert paths(**given) == expected


def plan(*characteristics: dict[str, Any]) -> Plan:
    return Plan(name=Name("9_container_web"), camp_version="1.2",
                services=[Service(name="web", characteristics=list(characteristics))])  # fmt: skip


COMMAND = {"type": "org.vertice.container::command", "command": ["sh", "-c"], "args": ["run"]}
ENV = {"type": "org.vertice.container::env", "http.port": "8080", "GREETING": "hello"}


def test_a_plan_says_its_command_and_args_with_a_command_characteristic():
    assert (plan(COMMAND).command(), plan(COMMAND).args()) == (("sh", "-c"), ("run",))
    assert (plan(ENV).command(), plan(ENV).args()) == (None, None)
    only_args = {"type": "x::command", "args": ["-p", "80"]}
    assert (plan(only_args).command(), plan(only_args).args()) == (None, ("-p", "80"))
    assert plan(COMMAND, ENV).run_problems() == []


def test_a_bad_command_characteristic_is_a_problem_at_its_path():
    bad = {"type": "x::command", "command": [], "args": "run", "shell": True}
    found = [(p.path, p.message) for p in plan(ENV, bad).run_problems()]
    at = "$.services[0].characteristics[1]"
    assert [path for path, _ in found] == [at, f"{at}.command", f"{at}.args"]
    assert "shell" in found[0][1]


BOX = SecretBox(new_key())
FLAVOR = FlavorRow(name="small", cpu=1, ram=256, disk=0, price_per_hour=0.0, regions=[])


def spec_of(the_plan: Plan, **stored: Any):
    row = SpecRow(id="asm-1", name="web", project_id="prj-1", plan_name=the_plan.name,
                  flavor_name="small", spec={"credential": {}, **stored})  # fmt: skip
    return instance_spec(row, "asm-1-0", plan=the_plan, flavor=FLAVOR, project="p",
                         installation_id="vti-1", box=BOX)  # fmt: skip


def test_the_spec_runs_the_plans_command_and_env_without_an_override():
    spec = spec_of(plan(COMMAND, ENV))
    assert (spec.command, spec.args) == (("sh", "-c"), ("run",))
    assert spec.env == {"http.port": "8080", "GREETING": "hello"}
    assert spec.ports == (8080,)


def test_the_assemblys_command_drops_the_plans_args_and_its_args_replace_only_args():
    with_command = spec_of(plan(COMMAND), command=["httpd"], args=None)
    assert (with_command.command, with_command.args) == (("httpd",), None)
    both = spec_of(plan(COMMAND), command=["httpd"], args=["-f"])
    assert (both.command, both.args) == (("httpd",), ("-f",))
    only_args = spec_of(plan(COMMAND), command=None, args=["other"])
    assert (only_args.command, only_args.args) == (("sh", "-c"), ("other",))
    assert (spec_of(plan(ENV)).command, spec_of(plan(ENV)).args) == (None, None)


def test_the_assemblys_env_is_opened_and_added_over_the_plans_and_kept_out_of_the_repr():
    sealed = {"GREETING": BOX.seal("s3cret-greeting"), "TOKEN": BOX.seal("t0ken-value")}
    spec = spec_of(plan(ENV), sealed_env=sealed)
    assert spec.env == {"http.port": "8080", "GREETING": "s3cret-greeting", "TOKEN": "t0ken-value"}
    assert "s3cret-greeting" not in repr(spec)
    assert "t0ken-value" not in repr(spec)
