"""A body up to the 1 MiB limit costs bounded work and gets a small answer (issue 17,
item 1): 60,000 wrong components or 75,000 unknown fields were 10 s of a worker's CPU
and a 23 to 37 MB 422 listing every problem twice. Now a JSON body with more than
`MAX_SEPARATORS` `,` and `:` is refused (413) before it is parsed, arrays and objects
over `MAX_ITEMS` are refused before any item is read, a 422 lists at most
`MAX_PROBLEMS` problems once each (and how many more there were), and each problem's
text is cut.
The worker CPU it costs is measured by `make bench`, not asserted here."""

from __future__ import annotations

import json

import httpx
import pytest

from vertice_api.http import MAX_SEPARATORS
from vertice_core.convert import MAX_ITEMS
from vertice_core.errors import MAX_PROBLEM_TEXT, MAX_PROBLEMS

pytestmark = pytest.mark.slow

BASE = {"plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "local", "flavor": "small"}
#: The largest answer a refused body may get (bytes).
ANSWER_LIMIT = 64 * 1024


def attacks() -> dict[str, tuple[dict[str, object], int]]:
    """Each attack's body, all under the 1 MiB body limit, and the status it must get."""
    return {
        # more ',' and ':' than `MAX_SEPARATORS`: refused before it is parsed
        "many wrong components": (
            {**BASE, "name": "a", "components": [{"tag": "x"}] * 60_000}, 413),
        "many unknown fields": ({**BASE, "name": "b", **{f"k{i}": 1 for i in range(75_000)}}, 413),
        # under that: parsed, then refused by the converter's item limit
        "many components under the separators' limit": (
            {**BASE, "name": "c", "components": [{"tag": "x"}] * 24_000}, 422),
        "many problems under the item limit": (
            {**BASE, "name": "d",
             "components": [{"tag": "x", f"z{i}": i} for i in range(MAX_ITEMS)]}, 422),
        "a problem quoting a huge value": ({**BASE, "name": "n" * 900_000}, 422),
    }  # fmt: skip


@pytest.mark.parametrize("attack", sorted(attacks()))
def test_a_large_wrong_body_gets_a_small_answer_and_stores_nothing(live_server, attack):
    headers = {"Authorization": f"Bearer {live_server.token}"}
    document, status = attacks()[attack]
    body = json.dumps(document).encode()
    assert len(body) < 2**20
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as api:
        answer = api.post("/v3/assembly_factory", content=body,
                          headers={"Content-Type": "application/json"})  # fmt: skip
        assert answer.status_code == status, answer.text[:300]
        assert len(answer.content) < ANSWER_LIMIT, len(answer.content)
        if status == 422:
            problems = [(p["path"], p["message"]) for p in answer.json()["problems"]]
            assert 1 <= len(problems) <= MAX_PROBLEMS + 1
            assert len(set(problems)) == len(problems), "a problem is listed twice"
            assert all(len(p) <= MAX_PROBLEM_TEXT >= len(m) for p, m in problems)
        else:
            assert str(MAX_SEPARATORS) in answer.json()["description"]
        assert api.get("/v3/assembly_factory").json()["items"] == []
