"""Fetching one commit of a git repository, under the operator's URL policy.

The build controller calls `fetch(url, ref, dest, ...)` to put the tree a build
builds in `dest`; the checks of what a source may name are in `policy` and
re-exported here. `fetch` runs the `git` binary (argument lists, never a shell)
in a private environment, so nothing of the control plane's host applies to it:

* `HOME` is a private temporary folder; no system or global git config, no
  credential helper, no prompt, no hooks, no submodules, no redirects followed
  (a moved repository is named by its new URL), objects checked as they arrive
  (`transfer.fsckObjects`);
* only the transports of the policy (`GIT_ALLOW_PROTOCOL`): https, ssh, git;
  file and http as well where the operator allows local sources;
* over https the host is pinned to the addresses the policy checked
  (`http.curloptResolve`), so a name that resolves elsewhere a second time
  (DNS rebinding) still reaches the addresses checked;
* the source's token reaches git in the environment (an `Authorization`
  header), its deploy key in a 0600 file of the private folder, removed after;
  neither is on a command line, in `dest`'s config or in the log; ssh learns
  the host's key at each fetch (`accept-new` into a private file: there is no
  host key to pin yet), and uses no agent and no key of the host's user;
* every git call ends by the deadline (its process group is killed), and a
  fetch that grows past `max_bytes` is stopped;
* the tree checked out may hold no symlink that resolves outside `dest`: a
  builder reading the tree never reads the host's files through one.

Errors are `SourceError` (a `BuildFailed`: the build fails, it is not retried)
with a `reason`: SourceRefused, SourceUnreachable, RefNotFound,
SubdirectoryNotFound, SourceTimedOut, SourceTooLarge.

Settings (read by the build controller, passed as arguments here):
`VERTICE_BUILD_ALLOW_LOCAL` (`allow_local`: accept file://, http:// and this
machine's addresses; off by default, for tests and one-machine installations).
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs

from vertice_core.builder import BuildFailed, BuildLog
from vertice_core.building.gitrun import Git, GitFailed
from vertice_core.building.policy import (
    HEX40,
    addresses_of,
    display_url,
    parse_location,
    ref_problem,
    resolved_problem,
    subdirectory_problem,
    url_problem,
)

__all__ = [
    "Checkout",
    "SourceError",
    "display_url",
    "fetch",
    "ref_problem",
    "resolved_problem",
    "subdirectory_problem",
    "url_problem",
]

#: What git says when the remote has no such ref, and when it wants other credentials.
NOT_FOUND = ("couldn't find remote ref", "not our ref", "unadvertised object")
AUTH_REFUSED = ("could not read Username", "Authentication failed", "Permission denied (")


class SourceError(BuildFailed):
    """The source cannot be fetched; `reason` says why (see the module's docstring)."""

    reason = "SourceUnreachable"


@attrs.frozen
class Checkout:
    """A fetched commit: its SHA and the tree to build (the repository's or its subdirectory)."""

    commit: str
    tree: Path


def fetch(
    url: str,
    ref: str,
    dest: Path,
    *,
    subdirectory: str = "",
    token: str = "",
    deploy_key: str = "",
    allow_local: bool = False,
    deadline: float,
    log: BuildLog,
    max_bytes: int = 512 * 2**20,
) -> Checkout:
    """Fetch `ref` ("" for the remote's default branch) of `url` into `dest` (an empty
    folder) and check it out; the commit and the tree to build."""
    for problem, what in (
        (ref_problem(ref), "ref"),
        (subdirectory_problem(subdirectory), "subdirectory"),
    ):
        if problem:
            raise SourceError(f"source.{what} {problem}", reason="SourceRefused")
    pinned: list[str] = []
    problem = resolved_problem(url, allow_local=allow_local, resolve=_recording(pinned))
    if problem:
        raise SourceError(f"source.url {problem}", reason="SourceRefused")
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"{dest} is not empty")
    private = Path(tempfile.mkdtemp(prefix="vertice-git-"))
    secrets = _secrets(token)
    try:
        git = Git(
            cwd=dest,
            private=private,
            deadline=deadline,
            config=_config(url, token, allow_local, pinned),
            allow_local=allow_local,
            deploy_key=deploy_key,
            secrets=secrets,
            raw_url=url,
        )
        return _fetch(git, url, ref, dest, subdirectory=subdirectory, log=log, max_bytes=max_bytes)
    except GitFailed as failed:
        raise SourceError(failed.message, reason=failed.reason) from None
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _fetch(
    git: Git, url: str, ref: str, dest: Path, *, subdirectory: str, log: BuildLog, max_bytes: int
) -> Checkout:
    shown = display_url(url)
    log.write(f"fetching {shown} {ref or '(default branch)'}\n")
    git.run(["init", "--quiet", f"--template={git.private / 'template'}"], log)
    git.run(["remote", "add", "origin", url], log)
    wanted = ref or "HEAD"
    done = git.run(["fetch", "--depth", "1", "--no-tags", "origin", wanted], log, watch=max_bytes)
    if done.code != 0 and HEX40.fullmatch(ref) and any(sign in done.err for sign in NOT_FOUND):
        log.write("the server does not give that commit alone; fetching every branch\n")
        done = git.run(["fetch", "--tags", "origin"], log, watch=max_bytes)
        if done.code == 0 and git.run(["cat-file", "-e", f"{ref}^{{commit}}"], log).code != 0:
            raise SourceError(f"commit {ref} is not in {shown}", reason="RefNotFound")
        wanted = ref
    elif done.code == 0:
        wanted = "FETCH_HEAD"
    if done.code != 0:
        last = done.last_error or f"git fetch exited with {done.code}"
        if any(sign in done.err for sign in NOT_FOUND):
            raise SourceError(f"{ref or 'HEAD'} is not in {shown}: {last}", reason="RefNotFound")
        if any(sign in done.err for sign in AUTH_REFUSED):
            last = f"the server asks for credentials the source lacks, or refused them ({last})"
        raise SourceError(f"could not fetch {shown}: {last}", reason="SourceUnreachable")
    resolved = git.run(["rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}"], log)
    commit = resolved.out.strip()
    if resolved.code != 0 or not HEX40.fullmatch(commit):
        raise SourceError(f"{ref} does not name a commit in {shown}", reason="RefNotFound")
    _check_size(git, commit, max_bytes, log)
    git.run(["checkout", "--quiet", "--detach", commit], log, check=True)
    log.write(f"fetched {commit}\n")
    return Checkout(commit=commit, tree=_tree(dest, subdirectory, max_bytes))


def _check_size(git: Git, commit: str, max_bytes: int, log: BuildLog) -> None:
    """Refuse a tree whose files add up to more than `max_bytes`, before checking it out."""
    listing = git.run(["ls-tree", "-r", "-l", "--full-tree", commit], log, check=True)
    total = 0
    for line in listing.out.splitlines():
        size = line.split("\t", 1)[0].split()[-1]
        total += int(size) if size.isdigit() else 0
    if total > max_bytes:
        raise SourceError(
            f"the tree at {commit} holds {total} bytes, more than {max_bytes}",
            reason="SourceTooLarge",
        )


def _tree(dest: Path, subdirectory: str, max_bytes: int) -> Path:
    """The tree to build (symlinks resolved), once nothing in the checkout leads outside
    `dest`."""
    root = dest.resolve()
    total = 0
    for folder, folders, files in os.walk(root):
        if folder == str(root):
            folders[:] = [name for name in folders if name != ".git"]
        for name in folders + files:
            path = Path(folder, name)
            if path.is_symlink() and not _inside(path, root):
                shown = path.relative_to(root)
                raise SourceError(
                    f"the repository's symlink {shown} points outside the repository "
                    "(or in a loop); vertice does not build such trees",
                    reason="SourceRefused",
                )
            total += path.lstat().st_size if name in files else 0
    if total > max_bytes:
        raise SourceError(f"the checkout is larger than {max_bytes} bytes", reason="SourceTooLarge")
    if not _inside(root / subdirectory, root):
        raise SourceError(
            f"subdirectory {subdirectory} is outside the repository", reason="SourceRefused"
        )
    tree = (root / subdirectory).resolve()
    if not tree.is_dir():
        raise SourceError(
            f"subdirectory {subdirectory} is not a folder of the repository",
            reason="SubdirectoryNotFound",
        )
    return tree


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, its symlinks resolved, is `root` or under it (a loop is not)."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return False
    return resolved == root or root in resolved.parents


def _recording(found: list[str]) -> Callable[[str], list[str]]:
    """A resolver that keeps what it found (the addresses the fetch is pinned to)."""

    def resolve(host: str) -> list[str]:
        found.extend(addresses_of(host))
        return found

    return resolve


def _secrets(token: str) -> list[str]:
    """What must never be written: the token, its secret part, its header form."""
    if not token:
        return []
    _user, colon, secret = token.partition(":")
    basic = base64.b64encode((token if colon else f"x-access-token:{token}").encode()).decode()
    return [s for s in {token, secret if colon else "", basic} if len(s) >= 4]


def _config(url: str, token: str, allow_local: bool, pinned: list[str]) -> dict[str, str]:
    """The git configuration of the fetch (given through the environment)."""
    config = {
        "protocol.file.allow": "always" if allow_local else "never",
        "core.hooksPath": os.devnull,
        "core.fsmonitor": "false",
        "core.askPass": "",
        "credential.helper": "",
        "submodule.recurse": "false",
        "fetch.recurseSubmodules": "false",
        "http.followRedirects": "false",
        "transfer.fsckObjects": "true",
        "advice.detachedHead": "false",
        "init.defaultBranch": "main",
        "gc.auto": "0",
        "maintenance.auto": "false",
    }
    where = parse_location(url)
    if token and where is not None and where.scheme in ("https", "http"):
        _user, colon, _ = token.partition(":")
        basic = base64.b64encode((token if colon else f"x-access-token:{token}").encode())
        config["http.extraHeader"] = f"Authorization: Basic {basic.decode()}"
    if pinned and where is not None and where.scheme == "https" and ":" not in where.host:
        addresses = ",".join(f"[{a}]" if ":" in a else a for a in pinned)
        config["http.curloptResolve"] = f"{where.host}:{where.port or 443}:{addresses}"
    return config
