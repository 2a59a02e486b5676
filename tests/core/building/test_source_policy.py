"""What a source may name: the URL policy, the URL as logged, a ref's and a subdirectory's shape.

The tables list each accepted and refused case; the ref rules are also checked
against git itself (`git check-ref-format --allow-onelevel`).
"""

from __future__ import annotations

import subprocess

import pytest

from vertice_core.building.source import (
    display_url,
    ref_problem,
    resolved_problem,
    subdirectory_problem,
    url_problem,
)

ACCEPTED = [
    "https://github.com/acme/app.git",
    "https://git.example.com:8443/acme/app",
    "https://[2001:db8::1]/acme/app",
    "https://10.0.0.7/acme/app",
    "ssh://git@github.com/acme/app.git",
    "ssh://git@github.com:2222/acme/app.git",
    "ssh://github.com/acme/app.git",
    "git@github.com:acme/app.git",
    "git@[2001:db8::1]:acme/app.git",
    "git://git.example.org/app.git",
    "git://git.example.org:9418/app.git",
]

REFUSED = {
    # scheme
    "file:///srv/git/app": "file:// only where the operator allows",
    "http://github.com/acme/app": "must be an https://, ssh:// or git:// URL",
    "ext::sh -c touch% /tmp/pwned": "spaces or control characters",
    "ext::git-remote-evil": "must be an https://",
    "fd::17": "must be an https://",
    "git+ssh://github.com/acme/app": "must be an https://",
    "ftp://example.com/app": "must be an https://",
    "/srv/git/app": "must be an https://",
    "../app": "must be an https://",
    "github.com:acme/app": "must be an https://",
    # credentials
    "https://user:hunter2@github.com/acme/app": "put it in source.token",
    "ssh://git:hunter2@github.com/acme/app": "put it in source.token",
    "https://ghp_secret@github.com/acme/app": "put a token in source.token",
    "git://anon@git.example.org/app": "put a token in source.token",
    # shape
    "https://github.com/acme/app?ref=main": "query",
    "https://github.com/acme/app#main": "fragment",
    "https://github.com/" + "a" * 2048: "at most 2048 characters",
    "https://github.com/acme/app\n": "control characters",
    "https://github.com/acme/a\x00pp": "control characters",
    "https://github.com/acme/app name": "spaces",
    "https://github.com": "must name a repository",
    "https://github.com/": "must name a repository",
    "https:///acme/app": "must name a host",
    "ssh://-oProxyCommand=touch%20x/app": "starts with '-'",
    "-oProxyCommand=x@host:app": "must be an https://",
    "https://github.com:99999/acme/app": "invalid port",
    "https://git%68ub.com/acme/app": "invalid host",
    "https://[::1/acme/app": "must be an https://",
    # this machine and the metadata services
    "https://127.0.0.1/app": "loopback, link-local or metadata",
    "https://127.0.0.53:8443/app": "loopback, link-local or metadata",
    "https://127.1/app": "loopback, link-local or metadata",
    "https://2130706433/app": "loopback, link-local or metadata",
    "https://0x7f.0.0.1/app": "loopback, link-local or metadata",
    "https://0.0.0.0/app": "loopback, link-local or metadata",
    "https://169.254.169.254/latest/meta-data": "loopback, link-local or metadata",
    "git://169.254.1.1/app": "loopback, link-local or metadata",
    "https://100.100.100.200/app": "loopback, link-local or metadata",
    "https://[::1]/app": "loopback, link-local or metadata",
    "https://[::]/app": "loopback, link-local or metadata",
    "https://[::ffff:127.0.0.1]/app": "loopback, link-local or metadata",
    "https://[::ffff:169.254.169.254]/app": "loopback, link-local or metadata",
    "https://[fe80::1]/app": "loopback, link-local or metadata",
    "https://[fe80::1%25eth0]/app": "loopback, link-local or metadata",
    "https://[fd00:ec2::254]/app": "loopback, link-local or metadata",
    "ssh://git@[::1]/app": "loopback, link-local or metadata",
    "git@127.0.0.1:app.git": "loopback, link-local or metadata",
    "git@[::1]:app.git": "loopback, link-local or metadata",
    "https://localhost/app": "this machine",
    "https://LocalHost./app": "this machine",
    "https://git.localhost/app": "this machine",
    "https://metadata.google.internal/computeMetadata/v1": "this machine",
}

LOCAL_ONLY = [
    "file:///srv/git/app",
    "http://127.0.0.1:8080/app",
    "https://localhost/app",
    "https://169.254.169.254/app",
    "git://[::1]:9418/app",
    "git@127.0.0.1:app.git",
]

REFUSED_EVEN_LOCAL = {
    "file://host/srv/git/app": "file:///absolute/path",
    "file://user@/srv/git/app": "file:///absolute/path",
    "file:relative/app": "must be an https://",
    "ext::sh -c id": "spaces",
    "fd::3": "must be an https://",
    "https://u:p@127.0.0.1/app": "password",
}


@pytest.mark.parametrize("url", ACCEPTED)
def test_a_network_url_is_accepted(url):
    assert url_problem(url, allow_local=False) is None
    assert url_problem(url, allow_local=True) is None


@pytest.mark.parametrize(("url", "why"), REFUSED.items(), ids=list(REFUSED))
def test_a_url_outside_the_policy_is_refused_with_its_reason(url, why):
    problem = url_problem(url, allow_local=False)
    assert problem is not None
    assert why in problem


@pytest.mark.parametrize("url", LOCAL_ONLY)
def test_local_sources_are_accepted_only_where_the_operator_allows_them(url):
    assert url_problem(url, allow_local=False) is not None
    assert url_problem(url, allow_local=True) is None


@pytest.mark.parametrize(("url", "why"), REFUSED_EVEN_LOCAL.items(), ids=list(REFUSED_EVEN_LOCAL))
def test_some_urls_are_refused_even_where_local_sources_are_allowed(url, why):
    problem = url_problem(url, allow_local=True)
    assert problem is not None
    assert why in problem


def resolver(table):
    def resolve(host):
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


RESOLVED = {
    "git.example.com": ["93.184.215.14"],
    "v6.example.com": ["2001:db8::7", "93.184.215.14"],
    "rebind.example.com": ["93.184.215.14", "127.0.0.1"],
    "meta.example.com": ["169.254.169.254"],
    "meta6.example.com": ["fd00:ec2::254"],
    "loop6.example.com": ["::1"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
    "linklocal.example.com": ["fe80::1%eth0"],
}


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://git.example.com/app", False),
        ("https://v6.example.com/app", False),
        ("git@git.example.com:app.git", False),
        ("https://unknown.example.com/app", False),  # git then fails to connect
        ("https://rebind.example.com/app", True),
        ("https://meta.example.com/app", True),
        ("ssh://git@meta6.example.com/app", True),
        ("git://loop6.example.com/app", True),
        ("git@mapped.example.com:app.git", True),
        ("https://linklocal.example.com/app", True),
    ],
)
def test_a_host_is_refused_when_any_of_its_addresses_is_local(url, refused):
    problem = resolved_problem(url, allow_local=False, resolve=resolver(RESOLVED))
    assert (problem is not None) is refused
    if refused:
        assert "resolves to a local address" in problem
    assert resolved_problem(url, allow_local=True, resolve=resolver(RESOLVED)) is None


def test_resolved_problem_checks_the_text_first_and_resolves_nothing_then():
    def resolve(host):
        raise AssertionError("resolved")

    assert "password" in resolved_problem(
        "https://u:p@git.example.com/app", allow_local=False, resolve=resolve
    )
    assert "loopback" in resolved_problem(
        "https://127.0.0.1/app", allow_local=False, resolve=resolve
    )
    assert resolved_problem("file:///srv/app", allow_local=True, resolve=resolve) is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://github.com/acme/app.git", "https://github.com/acme/app.git"),
        ("https://user:hunter2@github.com/acme/app", "https://github.com/acme/app"),
        ("https://ghp_secret@github.com/acme/app", "https://github.com/acme/app"),
        ("https://a:b@c@github.com:8443/acme/app", "https://github.com:8443/acme/app"),
        ("https://github.com/acme/app?token=hunter2#x", "https://github.com/acme/app"),
        ("ssh://git@github.com:22/acme/app", "ssh://git@github.com:22/acme/app"),
        ("ssh://git:hunter2@github.com/acme/app", "ssh://github.com/acme/app"),
        ("git@github.com:acme/app.git", "git@github.com:acme/app.git"),
        ("git:hunter2@github.com:acme/app.git", "github.com:acme/app.git"),
        ("file:///srv/git/app", "file:///srv/git/app"),
        (
            "https://github.com/acme/app\r\nInjected: yes",
            "https://github.com/acme/app??Injected: yes",
        ),
    ],
)
def test_display_url_never_shows_a_credential(url, shown):
    assert display_url(url) == shown


VALID_REFS = [
    "",
    "main",
    "feature/login",
    "v1.2.3",
    "refs/heads/main",
    "refs/tags/v1",
    "a" * 40,
    "0123456789abcdef0123456789abcdef01234567",
    "abc123",
    "release-2026.01",
    "caf\u00e9",
    "a@b",
    "x" * 255,
]

INVALID_REFS = {
    "-main": "'-'",
    "--upload-pack=touch x": "'-'",
    "+main": "'+'",
    "/main": "'/'",
    "main/": "'/'",
    "main.": "'.'",
    "feature//login": "'//'",
    "a..b": "'..'",
    ".hidden": "starts with '.'",
    "feature/.hidden": "starts with '.'",
    "main.lock": "'.lock'",
    "refs/heads/x.lock/y": "'.lock'",
    "a b": "' '",
    "a~1": "'~'",
    "a^": "'^'",
    "a:b": "':'",
    "a?": "'?'",
    "a*": "'*'",
    "a[b": "'['",
    "a\\b": "'\\\\'",
    "a@{1}": "'@{'",
    "@": "'@'",
    "a\tb": "control characters",
    "a\x7fb": "control characters",
    "x" * 256: "at most 255",
}


@pytest.mark.parametrize("ref", VALID_REFS)
def test_a_branch_tag_or_commit_is_accepted(ref):
    assert ref_problem(ref) is None


@pytest.mark.parametrize(("ref", "why"), INVALID_REFS.items(), ids=list(INVALID_REFS))
def test_a_malformed_ref_is_refused(ref, why):
    problem = ref_problem(ref)
    assert problem is not None
    assert why in problem


@pytest.mark.parametrize("ref", [r for r in VALID_REFS if r] + list(INVALID_REFS))
def test_the_ref_rules_agree_with_git(ref):
    if ref.startswith(("-", "+")) or len(ref) > 255:
        pytest.skip("refused by vertice beyond git's rules")
    done = subprocess.run(
        ["git", "check-ref-format", "--allow-onelevel", ref], capture_output=True, check=False
    )
    assert (done.returncode == 0) is (ref_problem(ref) is None)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("", None),
        ("app", None),
        ("services/api", None),
        ("services/api/", None),
        ("a.b/c-d_e", None),
        ("..", "no '..'"),
        ("app/../../etc", "no '..'"),
        ("/etc", "leading '/'"),
        ("app\\..\\x", "'\\'"),
        ("app\x00", "control characters"),
        ("app\n", "control characters"),
        (".git", "git's own folder"),
        ("app/.git/hooks", "git's own folder"),
        ("a" * 256, "at most 255"),
    ],
)
def test_a_subdirectory_stays_inside_the_repository(path, why):
    problem = subdirectory_problem(path)
    if why is None:
        assert problem is None
    else:
        assert problem is not None
        assert why in problem
