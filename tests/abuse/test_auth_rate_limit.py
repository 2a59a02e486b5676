"""Wrong tokens are not all looked up (issue 17, item 11: 300 wrong tokens in a second were
all answered, each a token lookup). Past `LIMIT` failures from one address the real server
answers 429 with `Retry-After`, and the count is shared by its gunicorn workers: with a
table per worker, two workers would answer up to twice `LIMIT` 401s."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from vertice_api.ratelimit import LIMIT
from vertice_core.crypto import new_token
from vertice_testing.server import api_masters, children

pytestmark = pytest.mark.slow

ATTEMPTS = 100


def workers(supervisor: int) -> list[int]:
    """The gunicorn workers under `vertice serve`: the children of the API's master
    (`vertice serve --api-only`, which became `python -m vertice_api.master`)."""
    (master,) = api_masters(supervisor)
    return children(master)


def test_wrong_tokens_past_the_limit_are_refused_by_every_worker(live_server):
    count = len(workers(live_server.pid))
    assert count >= 2, "the sharing is only tested with several workers"

    def attempt(_: int) -> httpx.Response:
        # A connection each (sync workers close it anyway), so the requests spread.
        headers = {"Authorization": f"Bearer {new_token()}"}
        return httpx.get(f"{live_server.url}/v3/platform", headers=headers, timeout=30)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(ATTEMPTS)))

    statuses = [a.status_code for a in answers]
    assert set(statuses) == {401, 429}, statuses
    # A request may pass the check while another worker's failure is not yet counted:
    # at most one in flight per other worker.
    assert LIMIT <= statuses.count(401) <= LIMIT + count - 1, statuses
    for refused in (a for a in answers if a.status_code == 429):
        assert int(refused.headers["retry-after"]) >= 1
        assert set(refused.json()) == {"title", "description"}
    valid = httpx.get(
        f"{live_server.url}/v3/platform",
        headers={"Authorization": f"Bearer {live_server.token}"},
        timeout=30,
    )
    assert valid.status_code == 429, valid.text
    assert httpx.get(f"{live_server.url}/healthz", timeout=30).status_code == 200
