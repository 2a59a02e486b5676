"""Push webhooks: GitHub, Gitea and GitLab deliveries verified against the secret shown once,
a push to the followed branch building exactly the pushed commit, and everything else
acknowledged without a change."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from vertice_core.building import pushes

SHA = "a" * 40


def payload(branch="main", after=SHA, default="main", host="github"):
    holder = "project" if host == "gitlab" else "repository"
    return {"ref": f"refs/heads/{branch}", "after": after, holder: {"default_branch": default}}


def signed(host, secret, body, event=None):
    """The headers a host sends with `body` (bytes)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if host == "github":
        return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": event or "push"}
    if host == "gitea":
        return {"X-Gitea-Signature": digest, "X-Gitea-Event": event or "push"}
    return {"X-Gitlab-Token": secret, "X-Gitlab-Event": event or "Push Hook"}


@pytest.mark.parametrize("host", ["github", "gitea", "gitlab"])
def test_each_host_is_verified_and_read(host):
    body = json.dumps(payload(host=host)).encode()
    headers = signed(host, "s3cret", body)
    assert pushes.verified_host(headers, body, "s3cret") == host
    assert pushes.verified_host(headers, body, "other") is None
    if host != "gitlab":  # a changed body no longer matches its signature
        assert pushes.verified_host(headers, body + b" ", "s3cret") is None
    push = pushes.push_of(host, headers, json.loads(body))
    assert (push.branch, push.after, push.default_branch, push.is_push) == ("main", SHA, "main",
                                                                            True)  # fmt: skip


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no proof"),
        ({"X-Hub-Signature-256": "md5=abc"}, "another algorithm"),
        ({"X-Hub-Signature-256": "sha256="}, "empty"),
        ({"x-gitea-signature": "00" * 32}, "wrong"),
    ],
)
def test_a_delivery_without_a_matching_proof_is_refused(headers, why):
    assert pushes.verified_host(headers, b"{}", "s3cret") is None, why


@pytest.mark.parametrize(
    ("push", "tracked", "builds"),
    [
        (pushes.Push("github", "push", "main", SHA, "main"), "", True),
        (pushes.Push("github", "push", "main", SHA, ""), "main", True),
        (pushes.Push("github", "push", "dev", SHA, "main"), "", False),
        (pushes.Push("github", "push", "dev", SHA, "main"), "dev", True),
        (pushes.Push("github", "ping"), "", False),
        (pushes.Push("github", "push", "", SHA, "main"), "", False),  # a tag
        (pushes.Push("github", "push", "main", pushes.DELETED, "main"), "", False),
        (pushes.Push("github", "push", "main", SHA, ""), "", False),  # whose default?
    ],
)
def test_which_pushes_build(push, tracked, builds):
    assert (pushes.decision(push, tracked) is None) == builds


def test_a_push_through_the_webhook_builds_the_pushed_commit(
    alice, bob, client, make_reconciler, repository, source_url, until
):
    first = repository({"index.html": "one\n"})
    uri = alice.declare("app", source={"url": source_url}).json["uri"]
    made = alice.post(f"{uri}/webhook")
    assert made.status_code == 201, made.json
    secret, hook = made.json["secret"], made.json["url"]
    assert made.headers["location"] == hook
    shown = alice.get(f"{uri}/webhook").json
    assert "secret" not in shown and shown["deliveries"] == 0
    assert bob.get(f"{uri}/webhook").status_code == 404

    def deliver(host, body_doc, secret=secret, event=None):
        body = json.dumps(body_doc).encode()
        headers = {"Content-Type": "application/json", **signed(host, secret, body, event)}
        return client.simulate_post(hook, body=body, headers=headers)

    builds_before = len(alice.get("/v3/builds").json["items"])
    second = repository({"index.html": "two\n"})
    wrong = deliver("github", payload(after=second), secret="not-it")
    assert wrong.status_code == 401
    assert len(alice.get("/v3/builds").json["items"]) == builds_before
    assert alice.get(f"{uri}/webhook").json["deliveries"] == 0  # an unproved one is not counted
    assert client.simulate_post(hook, body=b"{}").status_code == 401
    ignored = deliver("gitea", payload(branch="feature", after=second))
    assert ignored.status_code == 202 and "follows 'main'" in ignored.json["ignored"]
    assert deliver("github", {"zen": "hi"}, event="ping").json["ignored"].startswith("a 'ping'")
    accepted = deliver("gitlab", payload(after=second, host="gitlab"))
    assert accepted.status_code == 202, accepted.json
    build = alice.get(f"/v3/builds/{accepted.json['build']}").json
    assert build["ref"] == second
    reconciler = make_reconciler()
    until(lambda: (alice.get(uri).json["release"] or {}).get("commit") == second,
          lambda: (reconciler.run_build_pass(), reconciler.builds.wait(10)))  # fmt: skip
    assert first != second
    shown = alice.get(f"{uri}/webhook").json
    assert shown["deliveries"] == 3 and shown["last_result"].startswith("build bld-")

    # rotating makes the old secret and URL useless; deleting removes it
    rotated = alice.post(f"{uri}/webhook").json
    assert rotated["url"] != hook and rotated["secret"] != secret
    assert deliver("github", payload(after=second)).status_code == 404
    assert alice.delete(f"{uri}/webhook").status_code == 204
    assert alice.get(f"{uri}/webhook").status_code == 404


def test_a_webhook_needs_an_assembly_built_from_source(alice, client):
    uri = alice.declare("plain").json["uri"]
    answer = alice.post(f"{uri}/webhook")
    assert answer.status_code == 422 and answer.json["problems"][0]["path"] == "$.assembly"
    missing = client.simulate_post("/v3/hooks/whk-0000000000000000", body=b"{}")
    assert missing.status_code == 404
