"""Issue 17, item 6: a YAML alias bomb, and plans bounded in stored size, on a real server.

A 423-byte YAML plan of six alias levels took 2.4 s and stored a 6.9 MB plan, after which
every `GET /v3/plan_factory` took a second. YAML anchors and aliases are now refused at
the first one, before anything is built, and a plan over `MAX_PLAN_BYTES` of JSON is
refused whatever body declared it.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from vertice_api.http import dump_json
from vertice_api.resources.plans import MAX_PLAN_BYTES
from vertice_core.convert import make_converter, structure, unstructure
from vertice_core.model.camp import Plan
from vertice_testing.server import LiveServer

#: A plan of one service whose characteristic carries whatever the test adds.
PLAN: dict[str, Any] = {
    "name": "abuse_plan",
    "camp_version": "1.2",
    "services": [{"name": "web", "characteristics": [{"type": "x::image", "name": "nginx"}]}],
}


def alias_bomb(levels: int = 6) -> str:
    """A YAML plan whose characteristic holds `levels` of aliases, each naming the level
    before nine times: about 500 bytes that expand to 9 ** (levels + 1) strings."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    bomb = "".join(f"\n      {line}" for line in lines)
    return (
        "name: bomb\ncamp_version: '1.2'\nservices:\n- name: web\n  characteristics:\n"
        f"  - type: x::image\n    bomb:{bomb}\n"
    )


def headers(server: LiveServer, content_type: str = "application/json") -> dict[str, str]:
    """The admin's credentials and a body's media type."""
    return {"Authorization": f"Bearer {server.token}", "Content-Type": content_type}


def plan_names(server: LiveServer) -> list[str]:
    """The names `GET /v3/plan_factory` lists."""
    listed = httpx.get(f"{server.url}/v3/plan_factory", headers=headers(server), timeout=10)
    assert listed.status_code == 200, listed.text
    return [item["name"] for item in listed.json()["items"]]


def plan_of_size(size: int) -> dict[str, Any]:
    """`PLAN` padded so that it is stored as exactly `size` bytes of JSON."""
    converter = make_converter()

    def padded(length: int) -> dict[str, Any]:
        (service,) = PLAN["services"]
        characteristic = {**service["characteristics"][0], "padding": "p" * length}
        return {**PLAN, "services": [{**service, "characteristics": [characteristic]}]}

    def stored_size(plan: dict[str, Any]) -> int:
        return len(dump_json(unstructure(converter, structure(converter, plan, Plan))))

    plan = padded(size - stored_size(padded(0)))
    assert stored_size(plan) == size
    return plan


def test_a_yaml_alias_bomb_is_refused_at_once_and_stores_nothing(live_server):
    before = plan_names(live_server)
    body = alias_bomb().encode()
    assert len(body) < 512
    start = time.monotonic()
    result = httpx.post(
        f"{live_server.url}/v3/plan_factory",
        content=body,
        headers=headers(live_server, "application/yaml"),
        timeout=30,
    )
    elapsed = time.monotonic() - start
    assert result.status_code == 400, result.text
    assert result.headers["content-type"].startswith("application/json")
    assert "anchors and aliases are not accepted" in result.json()["description"]
    assert elapsed < 1.0, f"refused after {elapsed:.2f} s"
    assert plan_names(live_server) == before


def test_a_plan_over_the_stored_size_bound_is_refused_and_one_at_it_accepted(live_server):
    before = plan_names(live_server)
    url = f"{live_server.url}/v3/plan_factory"
    over = httpx.post(url, json=plan_of_size(MAX_PLAN_BYTES + 1), headers=headers(live_server))
    assert over.status_code == 413, over.text[:300]
    assert str(MAX_PLAN_BYTES) in over.json()["description"]
    assert str(MAX_PLAN_BYTES + 1) in over.json()["description"]
    assert plan_names(live_server) == before
    at = httpx.post(url, json=plan_of_size(MAX_PLAN_BYTES), headers=headers(live_server))
    assert at.status_code == 201, at.text[:300]
    assert plan_names(live_server) == [*before, PLAN["name"]]
