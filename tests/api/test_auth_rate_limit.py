"""Failed authentications are limited per client address and per token prefix (issue 17,
item 11): past the limit a request is answered 429 with `Retry-After` before its token is
looked up, valid tokens included, until the window ends; other clients are not slowed."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import falcon.testing
import pytest

from vertice_api.app import create_app
from vertice_api.ratelimit import PREFIX_LENGTH, REMEMBERED, FailureLimiter, ProcessLock
from vertice_core.accounts import create_user
from vertice_core.crypto import new_token, token_digest
from vertice_core.store.repositories import TokenRepository, UserRepository

LIMIT = 5
WINDOW = 60.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def limited(ctx, clock):
    """A test client whose app refuses after LIMIT failures in WINDOW seconds of `clock`."""
    failures = FailureLimiter(limit=LIMIT, window=WINDOW, clock=clock)
    return falcon.testing.TestClient(create_app(ctx, failures))


@pytest.fixture
def token(ctx):
    with ctx.store.write() as session:
        return create_user(session, "carol", admin=False).token


def get(client, token, addr="10.0.0.1"):
    return client.simulate_get(
        "/v3/platform", headers={"Authorization": f"Bearer {token}"}, remote_addr=addr
    )


def assert_refused(result):
    assert result.status_code == 429, result.text
    assert 1 <= int(result.headers["retry-after"]) <= WINDOW
    assert set(result.json) == {"title", "description"}
    assert result.headers["content-type"].startswith("application/json")


def test_an_address_past_the_limit_is_refused_valid_tokens_too_until_the_window_ends(
    limited, token, clock
):
    assert get(limited, token).status_code == 200
    for _ in range(LIMIT):
        assert get(limited, new_token()).status_code == 401
    assert_refused(get(limited, new_token()))
    assert_refused(get(limited, token))
    assert_refused(limited.simulate_get("/v3/platform", remote_addr="10.0.0.1"))
    assert get(limited, token, addr="10.0.0.2").status_code == 200
    assert limited.simulate_get("/healthz", remote_addr="10.0.0.1").status_code == 200
    clock.now += WINDOW / 2
    assert int(get(limited, token).headers["retry-after"]) == WINDOW / 2
    clock.now += WINDOW / 2
    assert get(limited, token).status_code == 200
    assert get(limited, new_token()).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-vertice-token"}, {"Authorization": "Basic YWRtaW4="}],
    ids=["none", "not-vt", "basic"],
)
def test_valid_tokens_and_credentials_that_cost_no_lookup_count_nothing(limited, token, headers):
    for _ in range(LIMIT * 3):
        assert get(limited, token).status_code == 200
        result = limited.simulate_get("/v3/platform", headers=headers, remote_addr="10.0.0.1")
        assert result.status_code == 401
    assert get(limited, new_token()).status_code == 401


def test_expired_tokens_count(ctx, limited, token):
    expired = new_token()
    with ctx.store.write() as session:
        user = UserRepository(session).by_name("carol")
        TokenRepository(session).create(
            user.id, token_digest(expired), expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )
    for _ in range(LIMIT):
        assert "expired" in get(limited, expired).json["description"]
    assert_refused(get(limited, token))


def test_a_prefix_past_the_limit_is_refused_from_every_address(limited, token):
    known = token[:PREFIX_LENGTH]
    guesses = [known + new_token()[PREFIX_LENGTH:] for _ in range(LIMIT + 1)]
    for n, guess in enumerate(guesses[:LIMIT]):
        assert get(limited, guess, addr=f"10.1.0.{n}").status_code == 401
    assert_refused(get(limited, guesses[LIMIT], addr="10.2.0.1"))
    assert_refused(get(limited, token, addr="10.2.0.2"))
    assert get(limited, new_token(), addr="10.2.0.3").status_code == 401


def test_ipv6_clients_count_per_64(limited, token):
    for n in range(LIMIT):
        assert get(limited, new_token(), addr=f"2001:db8::{n + 1}").status_code == 401
    assert_refused(get(limited, token, addr="2001:db8::ffff"))
    assert get(limited, token, addr="2001:db8:0:1::1").status_code == 200


def test_the_slots_a_worker_remembers_are_bounded_and_still_count() -> None:
    limiter = FailureLimiter(limit=2, clock=lambda: 100.0)
    for n in range(REMEMBERED + 10):  # more distinct keys than it remembers
        limiter.retry_after([f"prefix:vt_{n:07d}"])
        assert len(limiter._offsets) <= REMEMBERED
    limiter.failed(["addr:10.0.0.1"])
    limiter.failed(["addr:10.0.0.1"])
    limiter._offsets.clear()  # forgotten, the key hashes to the same slot again
    assert limiter.retry_after(["addr:10.0.0.1"]) is not None


def test_the_lock_excludes_other_processes_and_threads_and_dies_with_its_holder() -> None:
    """The failure table's lock (`ProcessLock`): a worker holding it keeps the others out
    (each then counts without it after `LOCK_TIMEOUT`), and once that worker is killed
    the lock is free at once; a semaphore stayed taken after a killed holder."""
    lock = ProcessLock()
    ready, go = os.pipe()
    holder = os.fork()
    if holder == 0:  # the child: take the lock, say so, and wait to be killed
        try:
            lock.acquire(timeout=5)
            os.write(go, b"x")
            time.sleep(60)
        finally:
            os._exit(0)
    try:
        assert os.read(ready, 1) == b"x"
        started = time.monotonic()
        assert not lock.acquire(timeout=0.2)  # another process holds it
        assert time.monotonic() - started >= 0.2
    finally:
        os.kill(holder, signal.SIGKILL)
        os.waitpid(holder, 0)
    assert lock.acquire(timeout=1)  # released by the kernel with its dead holder
    inside = threading.Thread(target=lambda: results.append(lock.acquire(timeout=0.1)))
    results: list[bool] = []
    inside.start()
    inside.join()
    assert results == [False]  # a thread of the same process waits too
    lock.release()
    assert lock.acquire(timeout=0.1)
    lock.release()
