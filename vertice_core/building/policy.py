"""What source a build may name: the URL policy and the shape of a ref and a subdirectory.

A source is a URL, a ref and a subdirectory a project's member writes. The
control plane fetches it from its own network, so the URL is a way to make the
control plane open connections: these checks keep it to git's network
transports (`https://`, `ssh://`, scp-like `user@host:path`, `git://`) and away
from the control plane's own host and the clouds' metadata services
(`169.254.169.254`...), unless the operator allows local sources
(`VERTICE_BUILD_ALLOW_LOCAL`, for tests and one-machine installations). They
are pure: `url_problem` looks at the text only (it is what the API runs on a
declaration); `resolved_problem` also resolves the host, and is what a fetch
runs just before it connects (a name may resolve elsewhere by then).

Each check returns why the value is refused, in words for the user, or None.
`display_url` is the URL as it may be logged or shown: never a credential.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import attrs

from vertice_core.addresses import METADATA_NAMES, is_local_address

__all__ = [
    "Location",
    "display_url",
    "parse_location",
    "ref_problem",
    "resolved_problem",
    "subdirectory_problem",
    "url_problem",
]

MAX_URL = 2048
MAX_REF = 255
MAX_SUBDIRECTORY = 255
SCHEME_MESSAGE = (
    "must be an https://, ssh:// or git:// URL "
    "(file:// only where the operator allows local sources)"
)
LOCAL_NAMES = frozenset({"localhost", *METADATA_NAMES})
# user@host:path, git's scp-like syntax (a user is required: `host:path` reads like a path).
SCP = re.compile(
    r"(?P<user>[A-Za-z0-9._~+-]+)@(?P<host>\[[0-9A-Fa-f:.]+\]|[^/:\[\]@]+):(?P<path>.+)"
)
HOSTNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?")
HEX40 = re.compile(r"[0-9a-f]{40}")


@attrs.frozen
class Location:
    """A source URL taken apart: scheme (`ssh` for scp-like), user, host, port (0: the
    scheme's, -1: not a port number), path, whether it carries a password."""

    scheme: str
    user: str
    host: str
    port: int
    path: str
    password: bool = False


def parse_location(url: str) -> Location | None:
    """The parts of a URL or scp-like address, or None when it is neither."""
    if "://" not in url:
        found = SCP.fullmatch(url)
        if not found:
            return None
        return Location("ssh", found["user"], found["host"].strip("[]"), 0, found["path"])
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    try:
        port = parts.port or 0
    except ValueError:
        port = -1
    userinfo, _, _ = parts.netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    host = parts.hostname or ""
    return Location(parts.scheme.lower(), user, host, port, parts.path, password=bool(colon))


def valid_host(host: str) -> bool:
    """Whether `host` is a host name or a literal IPv4 or IPv6 address."""
    if ":" not in host:
        return bool(HOSTNAME.fullmatch(host))
    try:
        ipaddress.IPv6Address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def host_problem(host: str) -> str | None:
    """Why a host name or literal address is refused (outside local sources), or None."""
    name = host.lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return f"must not name this machine ({host})"
    if is_local_address(name):
        return f"must not name a loopback, link-local or metadata address ({host})"
    return None


def url_problem(url: str, *, allow_local: bool) -> str | None:
    """Why `url` is not an acceptable source URL (looking at the text only), or None."""
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "must not contain spaces or control characters"
    if "?" in url or "#" in url:
        return "must not have a query (?) or a fragment (#)"
    where = parse_location(url)
    schemes = {"https", "ssh", "git"} | ({"file", "http"} if allow_local else set())
    if where is None or where.scheme not in schemes:
        return SCHEME_MESSAGE
    if where.password:
        return "must not carry a password: put it in source.token"
    return location_problem(where, allow_local=allow_local)


def location_problem(where: Location, *, allow_local: bool) -> str | None:
    """Why the parts of a URL of an accepted scheme are refused, or None."""
    if where.scheme == "file":
        if where.host or where.user or not where.path.startswith("/"):
            return "must be file:///absolute/path"
        return None
    if where.user and where.scheme != "ssh":
        return "must not carry a user name but over ssh: put a token in source.token"
    if not where.host or where.user.startswith("-") or where.host.startswith("-"):
        return "must name a host, and no user or host that starts with '-'"
    if where.port < 0:
        return "has an invalid port (a number from 1 to 65535)"
    if not valid_host(where.host):
        return f"has an invalid host ({where.host})"
    if not where.path.strip("/"):
        return "must name a repository (a path after the host)"
    return None if allow_local else host_problem(where.host)


def resolved_problem(
    url: str, *, allow_local: bool, resolve: Callable[[str], list[str]] | None = None
) -> str | None:
    """`url_problem`, then whether any address the host resolves to is refused.

    A host that does not resolve is not refused here: git then fails to connect.
    """
    problem = url_problem(url, allow_local=allow_local)
    if problem or allow_local:
        return problem
    where = parse_location(url)
    assert where is not None  # url_problem accepted it
    try:
        addresses = (resolve or addresses_of)(where.host)
    except OSError:
        return None
    for address in addresses:
        if is_local_address(address):
            return f"must not name a host that resolves to a local address ({where.host})"
    return None


def addresses_of(host: str) -> list[str]:
    """The addresses `host` resolves to (getaddrinfo), as strings."""
    found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(sockaddr[0]) for *_, sockaddr in found})


def display_url(url: str) -> str:
    """`url` as it may be logged: no password or token (only an ssh user), no query or
    fragment, no control characters."""
    text = re.sub(r"[\x00-\x1f\x7f]", "?", url.split("?", 1)[0].split("#", 1)[0])
    scheme, sep, rest = text.partition("://")
    if not sep:
        userinfo, at, after = text.partition("@")
        if at and ":" in userinfo:  # not scp-like: drop what may be a secret
            return after
        return text
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    if at and scheme.lower() == "ssh" and user and ":" not in userinfo:
        hostport = f"{user}@{hostport}"
    return f"{scheme}://{hostport}{slash}{path}"


def ref_problem(ref: str) -> str | None:
    """Why `ref` is not a branch, tag or 40-hex commit git accepts, or None ("" is the
    remote's default branch). The rules of `git check-ref-format --allow-onelevel`."""
    if ref == "" or HEX40.fullmatch(ref):
        return None
    if len(ref) > MAX_REF:
        return f"must be at most {MAX_REF} characters"
    if ref[0] in "-+/" or ref.endswith(("/", ".")):
        return "must not start with '-', '+' or '/', nor end with '/' or '.'"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in ref):
        return "must not contain control characters"
    for bad in (" ", "~", "^", ":", "?", "*", "[", "\\", "..", "@{", "//"):
        if bad in ref:
            return f"must not contain {bad!r}"
    if ref == "@":
        return "must not be '@'"
    for part in ref.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return "must not have a part that starts with '.' or ends with '.lock'"
    return None


def subdirectory_problem(path: str) -> str | None:
    """Why `path` is not a relative folder inside the repository, or None ("" is its root)."""
    if len(path) > MAX_SUBDIRECTORY:
        return f"must be at most {MAX_SUBDIRECTORY} characters"
    if "\0" in path or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return "must not contain control characters"
    if path.startswith("/"):
        return "must be relative to the repository's root (no leading '/')"
    if ".." in path.split("/") or "\\" in path:
        return "must stay inside the repository (no '..' or '\\')"
    if ".git" in path.split("/"):
        return "must not name git's own folder"
    return None
