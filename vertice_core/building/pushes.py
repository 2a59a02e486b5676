"""Push webhooks from git hosts: who sent one, whether it is signed with our secret, what it says.

Three hosts' conventions are understood, each checked in constant time:

| host   | proof                                                   | event header             |
|--------|---------------------------------------------------------|--------------------------|
| GitHub | `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`  | `X-GitHub-Event: push`   |
| Gitea  | `X-Gitea-Signature: <HMAC-SHA256 of the body>`           | `X-Gitea-Event: push`    |
| GitLab | `X-Gitlab-Token: <the secret itself>`                    | `X-Gitlab-Event: Push Hook` |

A delivery with none of them, or a proof that does not match, is refused as a
whole before its body is parsed. A push names the ref it moved (`ref`:
`refs/heads/main`), the commit it moved it to (`after`), and the repository's
default branch (GitHub and Gitea: `repository.default_branch`; GitLab:
`project.default_branch`). Everything here is pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

import attrs

#: A commit id as pushes give it.
SHA = re.compile(r"[0-9a-f]{40}")
#: The `after` of a push that deleted the branch.
DELETED = "0" * 40


@attrs.frozen
class Push:
    """What a push delivery says."""

    #: `github`, `gitea` or `gitlab`.
    host: str
    #: The event's name as the host gave it (`push`, `Push Hook`, `ping`...).
    event: str
    #: The branch pushed to ("" when the ref is not a branch: a tag).
    branch: str = ""
    #: The commit the branch now points at.
    after: str = ""
    #: The repository's default branch, when the payload says it.
    default_branch: str = ""

    @property
    def is_push(self) -> bool:
        """Whether the delivery is a push (not a ping or another event)."""
        return self.event.lower() in ("push", "push hook")


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever the case of its name ("" when absent)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def _hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verified_host(headers: Mapping[str, str], body: bytes, secret: str) -> str | None:
    """The host whose proof the delivery carries and that matches `secret`, else None."""
    github = _header(headers, "X-Hub-Signature-256")
    if github:
        given = github.removeprefix("sha256=") if github.startswith("sha256=") else ""
        return (
            "github" if hmac.compare_digest(given.encode(), _hmac(secret, body).encode()) else None
        )
    gitea = _header(headers, "X-Gitea-Signature")
    if gitea:
        return (
            "gitea" if hmac.compare_digest(gitea.encode(), _hmac(secret, body).encode()) else None
        )
    gitlab = _header(headers, "X-Gitlab-Token")
    if gitlab:
        return "gitlab" if hmac.compare_digest(gitlab.encode(), secret.encode()) else None
    return None


def push_of(host: str, headers: Mapping[str, str], payload: Any) -> Push:
    """What a verified delivery from `host` says (a payload that is not an object: nothing)."""
    event = _header(headers, {"github": "X-GitHub-Event", "gitea": "X-Gitea-Event",
                              "gitlab": "X-Gitlab-Event"}[host]) or "push"  # fmt: skip
    if not isinstance(payload, Mapping):
        return Push(host, event)
    ref = payload.get("ref")
    after = payload.get("after")
    holder = payload.get("project" if host == "gitlab" else "repository")
    default = holder.get("default_branch") if isinstance(holder, Mapping) else None
    branch = ref.removeprefix("refs/heads/") if isinstance(ref, str) and ref.startswith(
        "refs/heads/") else ""  # fmt: skip
    return Push(
        host,
        event,
        branch=branch,
        after=after if isinstance(after, str) and SHA.fullmatch(after) else "",
        default_branch=default if isinstance(default, str) else "",
    )


def decision(push: Push, tracked: str) -> str | None:
    """Why the push builds nothing (None: it should build `push.after`). `tracked` is the
    branch the source declares ("" : the repository's default branch)."""
    if not push.is_push:
        return f"a {push.event!r} event, not a push: nothing to build"
    if not push.branch:
        return "the push moved no branch (a tag?): nothing to build"
    wanted = tracked or push.default_branch
    if not wanted:
        return "the payload does not say the repository's default branch, and the source names none"
    if push.branch != wanted:
        return f"a push to {push.branch!r}; the source follows {wanted!r}"
    if not push.after or push.after == DELETED:
        return f"the push deleted {push.branch!r} or names no commit"
    return None
