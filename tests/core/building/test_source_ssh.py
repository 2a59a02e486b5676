"""Fetching a commit over ssh with a deploy key, against a real OpenSSH server on 127.0.0.1
(`SshGitServer`: Debian's sshd, which lets one key run only git-shell): the right key
fetches the exact commit and tree; a wrong or missing key is a clear `SourceError`; the
key is never written to the log, the checkout or the user's ssh files."""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from vertice_core.building import source
from vertice_core.building.source import Checkout, SourceError, fetch
from vertice_testing.gitserve import git_env
from vertice_testing.server import children, command_line
from vertice_testing.sshserve import SshGitServer, sshd_binary

from .test_source import Log, Repos


class Key:
    """An ed25519 key pair made by ssh-keygen (no passphrase), as an operator makes a
    deploy key: the private key's text and the public key's line."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "deploy", "-f", folder / "id"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
        )
        self.private = (folder / "id").read_text()
        self.public = (folder / "id.pub").read_text()
        (folder / "id").unlink()  # the text is all the fetch gets

    @property
    def secret_lines(self) -> list[str]:
        """The base64 lines of the private key (any of them in a file is a leak)."""
        return [line for line in self.private.splitlines() if line and "PRIVATE KEY" not in line]


def git_output(args, cwd) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(), capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    return Repos(tmp_path_factory.mktemp("repos"))


@pytest.fixture
def key(tmp_path):
    return Key(tmp_path / "key")


@pytest.fixture
def server(repos, key):
    if sshd_binary() is None:
        pytest.fail(
            "no sshd on this machine: the deploy-key tests need Debian's openssh-server, "
            "which `make test` installs (make system-packages)"
        )
    with SshGitServer(repos.root, key.public) as running:
        yield running
    assert not [pid for pid in children(os.getpid()) if "sshd" in command_line(pid)]


def fetch_with(url, ref, dest, **options) -> tuple[Checkout, Log]:
    log = Log()
    checkout = fetch(
        url, ref, dest, allow_local=True, deadline=time.time() + 30, log=log, **options
    )
    return checkout, log


@pytest.mark.parametrize(
    ("ref", "expected", "subdirectory"),
    [
        ("main", "tip", ""),
        ("", "tip", ""),
        ("v1", "first", ""),
        ("middle", "middle", ""),  # a commit no branch or tag has at its tip
        ("main", "tip", "services/api"),
    ],
)
def test_the_right_deploy_key_fetches_the_exact_commit_and_tree(
    repos, key, server, tmp_path, ref, expected, subdirectory
):
    ref = repos.middle if ref == "middle" else ref
    dest = tmp_path / "out"
    checkout, log = fetch_with(
        server.url_of("app"), ref, dest, deploy_key=key.private, subdirectory=subdirectory
    )
    commit = getattr(repos, expected)
    assert checkout == Checkout(commit=commit, tree=(dest / subdirectory).resolve())
    assert git_output(["rev-parse", "HEAD"], dest) == commit
    assert git_output(["rev-parse", "HEAD^{tree}"], dest) == git_output(
        ["rev-parse", f"{commit}^{{tree}}"], repos.root / "app"
    )
    assert git_output(["status", "--porcelain"], dest) == ""  # the tree is the commit's
    assert f"fetched {commit}" in log.text
    assert f"Accepted publickey for {server.user}" in server.stderr


@pytest.mark.parametrize("which", ["wrong key", "no key"])
def test_a_wrong_or_missing_key_is_a_clear_source_error(repos, key, server, tmp_path, which):
    other = Key(tmp_path / "other")
    log = Log()
    with pytest.raises(SourceError) as raised:
        fetch(
            server.url_of("app"),
            "main",
            tmp_path / "out",
            deploy_key=other.private if which == "wrong key" else "",
            allow_local=True,
            deadline=time.time() + 30,
            log=log,
        )
    error = raised.value
    assert error.reason == "SourceUnreachable"
    assert error.message.startswith(f"could not fetch {server.url_of('app')}")
    assert "the server asks for credentials the source lacks, or refused them" in error.message
    assert "Permission denied (publickey)" in log.text  # ssh's own words, in the build's log
    assert "Permission denied (publickey)" in error.message  # and first in the message
    for leaked in [other.private, key.private, *other.secret_lines, *key.secret_lines]:
        assert leaked not in error.message
        assert leaked not in log.text
    assert "Accepted publickey" not in server.stderr


def test_the_deploy_key_is_not_in_the_log_the_checkout_or_the_users_ssh_files(
    repos, key, server, tmp_path, monkeypatch
):
    private_folders = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        private_folders.append(Path(real_mkdtemp(*args, **kwargs)))
        return str(private_folders[-1])

    monkeypatch.setattr(source.tempfile, "mkdtemp", mkdtemp)
    known_hosts = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".ssh" / "known_hosts"
    before = known_hosts.read_bytes() if known_hosts.exists() else None
    dest = tmp_path / "out"
    checkout, log = fetch_with(server.url_of("app"), "main", dest, deploy_key=key.private)
    assert checkout.commit == repos.tip
    assert "PRIVATE KEY" not in log.text
    for line in key.secret_lines:
        assert line not in log.text
    config = (dest / ".git" / "config").read_text()
    assert "sshcommand" not in config.lower()
    assert "deploy_key" not in config
    for path in dest.rglob("*"):
        assert path.name not in ("deploy_key", "known_hosts"), path
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            assert b"PRIVATE KEY" not in content, path
            assert not any(line.encode() in content for line in key.secret_lines), path
    assert private_folders
    assert not [folder for folder in private_folders if folder.exists()]
    assert (known_hosts.read_bytes() if known_hosts.exists() else None) == before
