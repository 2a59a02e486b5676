"""A revoked token kept working on the other API worker for up to 5 s (found by the
stateful run, issue 17): each worker caches a token's caller, and a revocation cleared
only the cache of the worker that served it. Against a real `vertice serve` (two
workers), a token revoked is refused at once by every worker, and a project just made
is found at once by every worker."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = pytest.mark.slow

#: Requests sent at once after each change: both workers serve some of them.
BURST = 30


def _burst(url: str, path: str, token: str) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=url, headers=headers, timeout=10) as api,
        ThreadPoolExecutor(8) as pool,
    ):
        return list(pool.map(lambda _: api.get(path).status_code, range(BURST)))


def test_a_revoked_token_and_a_new_project_count_at_once_on_every_worker(live_server):
    admin = {"Authorization": f"Bearer {live_server.token}"}
    with httpx.Client(base_url=live_server.url, headers=admin, timeout=10) as api:
        token = api.post("/v3/users", json={"name": "carol"}).json()["token"]
        as_carol = {"Authorization": f"Bearer {token}"}
        # every worker caches carol's caller
        assert set(_burst(live_server.url, "/v3/projects", token)) == {200}
        made = api.post("/v3/projects", json={"name": "fresh"}, headers=as_carol)
        assert made.status_code == 201
        assert set(_burst(live_server.url, "/v3/projects/fresh", token)) == {200}
        (first,) = api.get("/v3/tokens", headers=as_carol).json()["items"]
        assert api.delete(f"/v3/tokens/{first['id']}", headers=as_carol).status_code == 204
        # refused by both workers (after 20 failures, 429: the limit of failed tokens)
        assert set(_burst(live_server.url, "/v3/projects", token)) <= {401, 429}
