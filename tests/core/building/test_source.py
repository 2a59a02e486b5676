"""Fetching a commit against real git servers on 127.0.0.1: git's http-backend, git daemon,
file://, a peer that never answers; each error a build may meet, with its reason."""

from __future__ import annotations

import base64
import os
import shlex
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from vertice_core.building import gitrun, source
from vertice_core.building.source import Checkout, SourceError, fetch
from vertice_drivers.ports import free_port
from vertice_testing.gitserve import (
    GitDaemon,
    GitHttpServer,
    SilentServer,
    git_env,
    make_repository,
)
from vertice_testing.server import children, command_line

TOKEN = "s3cr3t-deploy-token-4242"


class Log:
    """A build log that keeps what is written."""

    def __init__(self):
        self.chunks = []

    def write(self, text):
        self.chunks.append(text)

    @property
    def text(self):
        return "".join(self.chunks)


class Repos:
    """The repositories the tests fetch, under one root."""

    def __init__(self, root: Path):
        self.root = root
        app = root / "app"
        self.first = make_repository(
            app,
            {"Dockerfile": "FROM scratch\n", "services/api/main.py": "print('v1')\n"},
            message="first",
        )
        subprocess.run(["git", "tag", "v1"], cwd=app, env=git_env(), check=True)
        self.middle = make_repository(app, {"services/api/main.py": "print('v1.5')\n"})
        self.tip = make_repository(app, {"services/api/main.py": "print('v2')\n"}, message="tip")
        self.other = make_repository(app, {"OTHER": "yes\n"}, branch="other")
        subprocess.run(["git", "checkout", "-q", "main"], cwd=app, env=git_env(), check=True)
        self.evil = make_repository(
            root / "evil",
            {"README": "hello\n", "real/file": "x\n"},
            symlinks={"escape": "/etc", "inside": "real"},
        )
        self.evil_link_only = make_repository(
            root / "sneaky", {"README": "hello\n"}, symlinks={"deep/passwd": "../../../etc/passwd"}
        )
        make_repository(root / "loop", {"README": "hello\n"}, symlinks={"a": "b", "b": "a"})
        (root / "not-a-repo").mkdir()


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    return Repos(tmp_path_factory.mktemp("repos"))


@pytest.fixture(scope="module")
def http(repos):
    with GitHttpServer(repos.root) as server:
        yield server


def deadline(seconds=30.0):
    return time.time() + seconds


def get(url, ref, dest, **options) -> tuple[Checkout, Log]:
    log = Log()
    options.setdefault("allow_local", True)
    checkout = fetch(
        url, ref, dest, deadline=options.pop("deadline", deadline()), log=log, **options
    )
    return checkout, log


def failure(url, ref, dest, **options) -> tuple[SourceError, Log]:
    log = Log()
    options.setdefault("allow_local", True)
    with pytest.raises(SourceError) as raised:
        fetch(url, ref, dest, deadline=options.pop("deadline", deadline()), log=log, **options)
    return raised.value, log


def test_a_branch_over_file_urls_where_local_sources_are_allowed(repos, tmp_path):
    checkout, log = get(f"file://{repos.root / 'app'}", "main", tmp_path / "out")
    assert checkout == Checkout(commit=repos.tip, tree=(tmp_path / "out").resolve())
    assert (checkout.tree / "services/api/main.py").read_text() == "print('v2')\n"
    assert f"fetched {repos.tip}" in log.text


def test_a_file_url_is_refused_without_running_git_where_local_sources_are_not(
    repos, tmp_path, monkeypatch
):
    def no_git(*args, **kwargs):
        raise AssertionError("git ran")

    monkeypatch.setattr(gitrun.subprocess, "Popen", no_git)
    error, log = failure(
        f"file://{repos.root / 'app'}", "main", tmp_path / "out", allow_local=False
    )
    assert error.reason == "SourceRefused"
    assert "file:// only where the operator allows local sources" in error.message
    assert not (tmp_path / "out").exists()
    assert log.text == ""


@pytest.mark.parametrize(
    ("ref", "expected", "present"),
    [
        ("main", "tip", "Dockerfile"),
        ("", "tip", "Dockerfile"),
        ("other", "other", "OTHER"),
        ("v1", "first", "Dockerfile"),
        ("refs/tags/v1", "first", "Dockerfile"),
        ("middle", "middle", "Dockerfile"),  # a commit no branch or tag has at its tip
    ],
)
def test_a_branch_a_tag_a_commit_or_the_default_branch_over_http(
    repos, http, tmp_path, ref, expected, present
):
    ref = getattr(repos, ref) if ref == "middle" else ref
    checkout, log = get(http.url_of("app"), ref, tmp_path / "out")
    assert checkout.commit == getattr(repos, expected)
    assert (checkout.tree / present).is_file()
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=checkout.tree, capture_output=True, text=True, check=True
    )
    assert head.stdout.strip() == checkout.commit
    assert log.text.startswith(f"fetching {http.url_of('app')} ")


def test_a_commit_off_the_tips_from_a_server_that_refuses_it_alone(repos, tmp_path):
    with GitHttpServer(repos.root, protocol_v2=False) as server:
        checkout, log = get(server.url_of("app"), repos.middle, tmp_path / "out")
    assert checkout.commit == repos.middle
    assert (checkout.tree / "services/api/main.py").read_text() == "print('v1.5')\n"
    assert "fetching every branch" in log.text


def test_a_subdirectory_is_the_tree_to_build(repos, http, tmp_path):
    checkout, _ = get(http.url_of("app"), "v1", tmp_path / "out", subdirectory="services/api")
    assert checkout.tree == (tmp_path / "out" / "services" / "api").resolve()
    assert sorted(p.name for p in checkout.tree.iterdir()) == ["main.py"]


def test_over_git_daemon(repos, tmp_path):
    with GitDaemon(repos.root) as daemon:
        checkout, log = get(daemon.url_of("app"), "other", tmp_path / "out")
    assert checkout.commit == repos.other
    assert daemon.url_of("app") in log.text


@pytest.mark.parametrize("ref", ["no-such-branch", "f" * 40])
def test_a_missing_ref_or_commit(repos, http, tmp_path, ref):
    error, _ = failure(http.url_of("app"), ref, tmp_path / "out")
    assert error.reason == "RefNotFound"
    assert ref in error.message


@pytest.mark.parametrize("subdirectory", ["services/web", "Dockerfile"])
def test_a_missing_subdirectory(repos, http, tmp_path, subdirectory):
    error, _ = failure(http.url_of("app"), "main", tmp_path / "out", subdirectory=subdirectory)
    assert error.reason == "SubdirectoryNotFound"
    assert subdirectory in error.message


def test_a_token_opens_a_protected_repository_and_is_never_written(repos, tmp_path):
    with GitHttpServer(repos.root, token=TOKEN) as server:
        checkout, log = get(server.url_of("app"), "main", tmp_path / "right", token=TOKEN)
        assert checkout.commit == repos.tip
        config = (tmp_path / "right" / ".git" / "config").read_text()
        assert TOKEN not in config
        assert "extraheader" not in config.lower()
        assert TOKEN not in log.text
        for token, name in (("wrong-token", "wrong"), ("", "missing")):
            error, log = failure(server.url_of("app"), "main", tmp_path / name, token=token)
            assert error.reason == "SourceUnreachable"
            assert TOKEN not in error.message
            assert TOKEN not in log.text
            if token:
                assert token not in error.message
                assert token not in log.text
        assert server.requests >= 3


def test_a_user_and_token_pair_is_the_basic_credential(repos, tmp_path):
    with GitHttpServer(repos.root, token=TOKEN) as server:
        checkout, log = get(server.url_of("app"), "", tmp_path / "out", token=f"deployer:{TOKEN}")
    assert checkout.commit == repos.tip
    assert TOKEN not in log.text


def test_a_server_that_never_answers_times_out_by_the_deadline(repos, tmp_path):
    started = time.monotonic()
    with SilentServer() as silent:
        error, _ = failure(silent.url_of("app"), "main", tmp_path / "out", deadline=deadline(2))
    assert error.reason == "SourceTimedOut"
    assert time.monotonic() - started < 8
    assert not [pid for pid in children(os.getpid()) if "git" in command_line(pid)]


def test_a_commit_from_a_server_that_is_down_is_not_fetched_twice(tmp_path):
    error, log = failure(f"http://127.0.0.1:{free_port()}/app", "a" * 40, tmp_path / "out")
    assert error.reason == "SourceUnreachable"
    assert "fetching every branch" not in log.text


def test_a_deadline_already_past(repos, http, tmp_path):
    error, _ = failure(http.url_of("app"), "main", tmp_path / "out", deadline=time.time() - 1)
    assert error.reason == "SourceTimedOut"


@pytest.mark.parametrize(
    "url",
    [
        lambda repos, http: f"http://127.0.0.1:{free_port()}/app",
        lambda repos, http: http.url_of("nothing-here"),
        lambda repos, http: http.url_of("not-a-repo"),
        lambda repos, http: f"file://{repos.root / 'not-a-repo'}",
    ],
    ids=["refused-connection", "no-repository", "not-a-repository", "file-not-a-repository"],
)
def test_an_unreachable_source(repos, http, tmp_path, url):
    error, log = failure(url(repos, http), "main", tmp_path / "out")
    assert error.reason == "SourceUnreachable"
    assert error.message.startswith("could not fetch")
    assert "fetching" in log.text


def test_a_symlink_out_of_the_repository_is_refused_as_the_subdirectory_or_anywhere(
    repos, http, tmp_path
):
    cases = (("evil", "escape"), ("evil", "inside"), ("sneaky", ""), ("loop", ""))
    for name, subdirectory in cases:
        error, _ = failure(
            http.url_of(name),
            "main",
            tmp_path / f"{name}-{subdirectory}",
            subdirectory=subdirectory,
        )
        assert error.reason == "SourceRefused"
        assert "points outside the repository" in error.message


def test_a_symlink_inside_the_repository_is_kept(repos, tmp_path):
    root = tmp_path / "repos"
    make_repository(root / "fine", {"real/file": "x\n"}, symlinks={"inside": "real"})
    with GitHttpServer(root) as server:
        checkout, _ = get(server.url_of("fine"), "main", tmp_path / "out", subdirectory="inside")
    assert checkout.tree == (tmp_path / "out" / "inside").resolve()
    assert (checkout.tree / "file").read_text() == "x\n"


def test_a_tree_larger_than_the_bound(repos, http, tmp_path):
    error, _ = failure(http.url_of("app"), "main", tmp_path / "out", max_bytes=10)
    assert error.reason == "SourceTooLarge"
    assert not (tmp_path / "out" / "Dockerfile").exists()


def test_a_history_larger_than_the_bound(tmp_path):
    root = tmp_path / "repos"
    make_repository(root / "big", {"blob": os.urandom(300_000), "README": "big\n"})
    (root / "big" / "blob").unlink()
    small = make_repository(root / "big", {}, message="the blob is gone")
    make_repository(root / "big", {"README": "tip\n"})
    with GitHttpServer(root, protocol_v2=False) as server:  # a full fetch: all the history
        error, log = failure(server.url_of("big"), small, tmp_path / "out", max_bytes=200_000)
    assert error.reason == "SourceTooLarge"
    assert "fetching every branch" in log.text


def test_a_deploy_key_lives_in_a_private_folder_removed_afterwards(repos, tmp_path, monkeypatch):
    made = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(Path(real_mkdtemp(*args, **kwargs)))
        return str(made[-1])

    seen = []
    real_popen = gitrun.subprocess.Popen

    def popen(args, **kwargs):
        command = shlex.split(kwargs["env"]["GIT_SSH_COMMAND"])
        key_file = Path(command[command.index("-i") + 1])
        seen.append((key_file, key_file.stat().st_mode & 0o777, key_file.read_text(), command))
        return real_popen(args, **kwargs)

    monkeypatch.setattr(source.tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(gitrun.subprocess, "Popen", popen)
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----"
    url = f"ssh://git@127.0.0.1:{free_port()}/app"
    error, log = failure(url, "main", tmp_path / "out", deploy_key=key)
    assert error.reason == "SourceUnreachable"
    assert "Connection refused" in error.message
    assert "not-a-real-key" not in log.text + error.message
    key_file, mode, text, command = seen[0]
    assert mode == 0o600
    assert text == key + "\n"
    assert key_file.parent == made[0]
    for option in ("IdentitiesOnly=yes", "BatchMode=yes", "StrictHostKeyChecking=accept-new"):
        assert option in command
    assert f"UserKnownHostsFile={made[0] / 'known_hosts'}" in command
    assert not made[0].exists()


def test_what_git_prints_is_scrubbed_before_it_is_logged(tmp_path):
    git = gitrun.Git(
        cwd=tmp_path,
        private=tmp_path,
        deadline=deadline(),
        config={},
        allow_local=False,
        secrets=source._secrets(f"deployer:{TOKEN}"),
        raw_url="ssh://git@git.example.com/app",
    )
    basic = base64.b64encode(f"deployer:{TOKEN}".encode()).decode()
    text = git.scrub(
        f"remote: bad token {TOKEN} ({basic})\n"
        "fatal: unable to access 'https://x-access-token:hunter2@git.example.com/app/'\n"
        "remote: \x1b[31mred\x1b[0m\x07 done\n"
    )
    assert TOKEN not in text
    assert basic not in text
    assert "hunter2" not in text
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "'https://git.example.com/app/'" in text
    assert "red done" in text


def test_the_destination_must_be_empty(repos, http, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    with pytest.raises(ValueError, match="not empty"):
        get(http.url_of("app"), "main", tmp_path / "out")


def test_a_malformed_ref_or_subdirectory_is_refused_before_anything(repos, http, tmp_path):
    error, _ = failure(http.url_of("app"), "--upload-pack=touch /tmp/x", tmp_path / "a")
    assert error.reason == "SourceRefused"
    error, _ = failure(http.url_of("app"), "main", tmp_path / "b", subdirectory="../..")
    assert error.reason == "SourceRefused"
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "b").exists()


def test_git_runs_in_a_private_environment_and_the_token_is_on_no_command_line(
    repos, tmp_path, monkeypatch
):
    calls = []
    real_popen = gitrun.subprocess.Popen

    def recording(args, **kwargs):
        if "GIT_CONFIG_COUNT" in (kwargs.get("env") or {}):  # not the server's CGI program
            calls.append((list(args), dict(kwargs["env"])))
        return real_popen(args, **kwargs)

    monkeypatch.setattr(gitrun.subprocess, "Popen", recording)
    with GitHttpServer(repos.root, token=TOKEN) as server:
        get(server.url_of("app"), "main", tmp_path / "out", token=TOKEN)
    assert [args[1] for args, _ in calls] == [
        "init",
        "remote",
        "fetch",
        "rev-parse",
        "ls-tree",
        "checkout",
    ]
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    for args, env in calls:
        assert not any(TOKEN in arg or basic in arg for arg in args)
        assert env["GIT_TERMINAL_PROMPT"] == "0"
        assert env["GIT_CONFIG_NOSYSTEM"] == "1"
        assert env["GIT_ALLOW_PROTOCOL"] == "https:ssh:git:file:http"
        assert env["HOME"] != os.environ.get("HOME")
        assert not Path(env["HOME"]).exists()  # the private folder is gone
        assert "SSH_AUTH_SOCK" not in env
        assert "IdentityFile=none" in env["GIT_SSH_COMMAND"]
        count = int(env["GIT_CONFIG_COUNT"])
        config = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(count)}
        assert config["http.extraHeader"] == f"Authorization: Basic {basic}"
        assert config["core.hooksPath"] == os.devnull
        assert config["http.followRedirects"] == "false"
        assert config["submodule.recurse"] == "false"
        assert config["protocol.file.allow"] == "always"


def test_the_network_policy_of_git_where_local_sources_are_not_allowed():
    config = source._config(
        "https://git.example.com/acme/app", "user:pw-123", False, ["2001:db8::7", "93.184.215.14"]
    )
    assert config["protocol.file.allow"] == "never"
    assert config["http.curloptResolve"] == "git.example.com:443:[2001:db8::7],93.184.215.14"
    assert config["http.extraHeader"] == "Authorization: Basic " + base64.b64encode(
        b"user:pw-123"
    ).decode("ascii")
    ssh = source._config("git@git.example.com:acme/app.git", "a-token", False, ["93.184.215.14"])
    assert "http.extraHeader" not in ssh
    assert "http.curloptResolve" not in ssh
