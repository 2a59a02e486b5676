"""Schemathesis' stateful run over the document's links: chains of real resources, no 5xx.

The stateless run (`tests/api/test_schemathesis.py`) rarely names a resource that
exists; this one follows the document's OpenAPI links (`vertice_api/openapi/_links.py`):
it creates plans, assemblies, SSH keys, projects, users, tokens, routes, scalers,
builds..., then reads, changes and deletes them with the values their answers gave. It
runs against a real `vertice serve` (`live_server`) twice: with the token of a user who is
no administrator (whose writes of plans, regions, flavors and users are refused), then
with the admin's. Every answer must pass every schemathesis check, the stateful ones
included (no 5xx; the documented status, body and headers; a 422, or a 412 to `If-Match`,
only where `vertice_testing.conformance` allows one; a resource just created can be
used), the server must log no traceback, and the runs must have followed links, from an
assembly they declared included.

Requests are schema-valid (the stateless run sends the malformed ones), and a generated
assembly declaration names the plan, region and flavor `vertice init` installs instead of
made-up ones, so that the assembly chains run. Bound: `SCENARIOS` scenarios of at most
`STEPS` calls per token, about 900 requests in all, 15-30 s on a 2-core machine; no
shrinking: a failure is reported with its request (method, path, headers, body) and
answer.
"""

from __future__ import annotations

import contextlib
from typing import Any

import attrs
import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.stateful import run_state_machine_as_test

from vertice_testing.conformance import ADMIN, SEMANTIC_OPERATIONS
from vertice_testing.server import LiveServer

pytestmark = pytest.mark.slow

#: Scenarios (Hypothesis examples) per token, and calls per scenario at most.
SCENARIOS = 60
STEPS = 10
#: Fresh Hypothesis runs at most, when one stops on the server's moved state.
RESTARTS = 5
#: The user of the first run: no administrator.
USER = "stateful-user"
#: The users a run must not delete: whose tokens the runs send.
SPARED = (ADMIN, USER)
#: What `vertice init` installs, for declarations that should succeed.
INSTALLED = {"plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "local", "flavor": "small"}
#: The fields of a declaration that name other resources: replaced by `INSTALLED`.
NAMING = ("plan_uri", "region", "flavor", "placement", "project", "credential", "bindings",
          "source", "snapshot")  # fmt: skip
DECLARE = "POST /v3/assembly_factory"
#: An assembly's DELETE is a 202: the assembly stays readable (DELETING, its events and
#: components) until the reconciler has removed it from the cloud, which is no use after
#: free.
DELETED_LATER = {
    "include-name-regex": r"^GET /v3/(assembly|component)/",
    "checks": {"use_after_free": {"enabled": False}},
}


@attrs.frozen
class Step:
    """One call of a run: the operation, the answer's status and the link the call
    followed (`source -> [status] name -> target`), if it followed one."""

    label: str
    status: int
    link: str | None


@attrs.define
class Run:
    """What the runs did: their calls, in order, the failed checks (each with its request
    and answer) and the scenarios they played."""

    steps: list[Step] = attrs.Factory(list)
    failures: list[str] = attrs.Factory(list)
    scenarios: int = 0


#: The seed of the walk (see `_schema`).
SEED = 20261205


def _schema(
    server: LiveServer, token: str, *exempt: dict[str, Any]
) -> schemathesis.schemas.BaseSchema:
    """The served document, set to call the server with `token`, to generate valid requests
    only and to follow the document's own links only (none inferred); the `exempt`
    operations entries turn checks off where the API's documented behaviour differs."""
    stateful = {
        "max-steps": STEPS,
        "inference": {"algorithms": []},
        "generation": {"mode": "positive"},
    }
    config = SchemathesisConfig.from_dict(
        {
            "base-url": server.url,
            # one seed: the same walk in every run (a random one found a new oddity in
            # CI now and then: explore with another seed by hand, keep this one fixed)
            "seed": SEED,
            "suppress-health-check": ["all"],
            "auth": {"openapi": {"bearer": {"bearer": token}}},
            "checks": {"enabled": True},
            "phases": {"stateful": stateful},
            "operations": [*SEMANTIC_OPERATIONS, DELETED_LATER, *exempt],
        }
    )
    schema = schemathesis.openapi.from_url(f"{server.url}/v3/openapi.json", config=config)
    schema.hook("flatmap_body")(_installed)
    return schema


def _installed(context: Any, body: Any) -> st.SearchStrategy[Any]:
    """A declaration as generated, but naming the plan, region and flavor `vertice init`
    installs and no other resource (generated names never exist: nor would the assembly)."""
    if context.operation is None or context.operation.label != DECLARE:
        return st.just(body)
    if not isinstance(body, dict):
        return st.just(body)
    kept = {key: value for key, value in body.items() if key not in NAMING}
    return st.just({**kept, **INSTALLED})


def _run(schema: schemathesis.schemas.BaseSchema, run: Run) -> None:
    """Play `SCENARIOS` scenarios of the state machine of `schema`, recording into `run`.

    A failed check is recorded, not raised, so that the run goes on to find the others and
    Hypothesis never replays a scenario: against a server whose state moved on, a replay
    draws differently, and Hypothesis stops with FlakyStrategyDefinition. It may stop so
    between scenarios too (a bundle that was empty is not); a fresh run then goes on.
    """
    machine: Any = schema.as_state_machine()

    class Workflow(machine):  # type: ignore[misc]
        def setup(self) -> None:
            run.scenarios += 1

        def before_call(self, case: schemathesis.Case) -> None:
            name = (case.path_parameters or {}).get("name")
            if case.method == "DELETE" and case.path == "/v3/users/{name}" and name in SPARED:
                # Deleting a user whose token a run sends would end the run, not test the API.
                hypothesis.reject()

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            node = self.recorder.cases[case.id]
            followed = node.transition is not None and node.is_transition_applied
            link = node.transition.id if followed else None
            run.steps.append(Step(case.operation.label, response.status_code, link))

        def validate_response(self, response: Any, case: schemathesis.Case, *args: Any,
                              **kwargs: Any) -> None:  # fmt: skip
            try:
                super().validate_response(response, case, *args, **kwargs)
            except FailureGroup as group:
                run.failures.append(_failure(group, case, response))

    for _ in range(RESTARTS):
        left = SCENARIOS - run.scenarios
        if left <= 0:
            return
        settings = hypothesis.settings(
            max_examples=left,
            stateful_step_count=STEPS,
            phases=[Phase.generate],
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        with contextlib.suppress(FlakyStrategyDefinition):
            run_state_machine_as_test(Workflow, settings=settings)


def _failure(group: FailureGroup, case: schemathesis.Case, response: Any) -> str:
    """A failed check as one line: what failed, the request (no token) and the answer."""
    titles = ", ".join(sorted({failure.title for failure in group.exceptions}))
    headers = {k: v for k, v in (case.headers or {}).items() if k != "Authorization"}
    body = "" if isinstance(case.body, NotSet) else f" body={case.body!r}"
    return (
        f"{titles}: {case.method} {case.formatted_path} headers={headers!r}{body} "
        f"-> {response.status_code} {response.text[:300]}"
    )


def _user_token(server: LiveServer) -> str:
    """A new user's token: `POST /v3/users` answers it, once."""
    answer = httpx.post(
        f"{server.url}/v3/users",
        json={"name": USER},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def test_linked_calls_conform_to_the_document(live_server: LiveServer) -> None:
    """Both runs pass every check, and followed links to resources they made."""
    user, admin = Run(), Run()
    _run(_schema(live_server, _user_token(live_server)), user)
    _run(_schema(live_server, live_server.token), admin)

    failures = user.failures + admin.failures
    assert failures == [], "\n".join(failures)
    steps = user.steps + admin.steps
    assert [s for s in steps if s.status >= 500] == []
    linked = [str(s.link) for s in steps if s.link is not None and 200 <= s.status < 300]
    assert len(set(linked)) >= 10, sorted(set(linked))
    declared = [link for link in linked if link.startswith(f"{DECLARE} -> [2")]
    assert declared, "no call used an assembly a run declared"
