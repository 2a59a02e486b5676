"""What a cloud's error may say to users, and what it may say to the log. Pure.

A driver's error message is free text, often its SDK's exception text: the URL
it called, a `host:port`, an address, even a response body quoted whole. Users
(the members of a project, not the installation's admins) see these messages
in statuses, conditions and events, and notifier plugins send events on. So
what is stored for them is `public_message`: a summary without any URL,
`host:port`, IP literal or the region's endpoint, bounded in length. The full
text goes to the log, where `loggable` keeps out URL credentials.

Every pattern does bounded work at each position, and the text is cut before
any is applied: hostile input costs linear time.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import TypeVar
from urllib.parse import urlsplit

from vertice_core.errors import DriverError

#: The most characters of a public message (a longer summary ends with `...`).
MAX_PUBLIC = 300
#: The most characters of a message read to summarise it: a raw body is not scanned whole.
MAX_READ = 4096
#: What replaces an endpoint, a URL or a `host:port`; and an address without a port.
ENDPOINT = "<endpoint>"
ADDRESS = "<address>"

#: `scheme://user:password@`: what `loggable` keeps of it is `scheme://`.
USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31}://)[^/@\s]*@")
#: Terminal escape sequences and the control characters other than tab and newlines.
CONTROL = re.compile(r"\x1b\[[0-9;]{0,32}[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: A URL of any scheme, up to a space, a quote or an angle bracket.
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s<>\"'`]*")
#: An IPv6 literal in brackets (as in a URL), with a zone and a port perhaps.
BRACKETED_V6 = re.compile(r"\[([0-9A-Fa-f:.]{2,45})(?:%[\w.-]{1,32})?\](:\d{1,5})?")
#: What may be a bare IPv6 literal (`ipaddress` decides).
BARE_V6 = re.compile(r"(?<![\w:.%])[0-9A-Fa-f:.]{2,45}(?:%[\w.-]{1,32})?")
#: An IPv4 literal, with a port perhaps (not a part of a longer dotted number).
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(:\d{1,5})?(?![\w.]?\d)")
#: `host:port` (the host must hold a letter: `12:30` is a time). Not a path's part or a
#: colon-separated name (`localhost/app:1`, `Canonical:Offer:1:latest`): image references
#: and the like, which users need to read.
HOST_PORT = re.compile(r"(?<![\w./:-])([\w.-]{1,253}):\d{1,5}(?![\w.]?\d|:)")
#: A date and hour (`2024-05-01T12`), which `HOST_PORT` would take for a host.
DATE_HOUR = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}")
#: What closes a URL in prose rather than belongs to it.
TRAILING = ".,;:!?"
CLOSING = {")": "(", "]": "[", "}": "{"}

E = TypeVar("E", bound=DriverError)


def public_message(text: str, *, endpoints: Iterable[str] = ()) -> str:
    """`text` as users may read it: every URL, `host:port`, IP literal and each of the
    `endpoints` (the whole text, or its host) replaced by a placeholder, control
    characters dropped, whitespace collapsed, at most `MAX_PUBLIC` characters."""
    cut = len(text) > MAX_READ
    if cut:
        text = _whole_words(text[:MAX_READ])
    text = CONTROL.sub(" ", text)
    pattern = _endpoint_pattern(endpoints)
    if pattern is not None:
        text = pattern.sub(ENDPOINT, text)
    text = URL.sub(_url, text)
    text = BRACKETED_V6.sub(_bracketed, text)
    text = BARE_V6.sub(_bare, text)
    text = IPV4.sub(lambda m: ENDPOINT if m[1] else ADDRESS, text)
    text = HOST_PORT.sub(_host_port, text)
    text = " ".join(text.split())
    if len(text) > MAX_PUBLIC:
        return text[: MAX_PUBLIC - 3].rstrip() + "..."
    return f"{text}..." if cut else text


def public_error(error: E, *, endpoints: Iterable[str] = (), prefix: str = "") -> E:
    """A copy of `error` (its class, `reason`, `retry_after`...) whose message is the
    `public_message` of its own (after `prefix`): what statuses and events may say of it."""
    public = type(error).__new__(type(error))
    public.__dict__.update(error.__dict__)
    public.message = prefix + public_message(error.message, endpoints=endpoints)
    public.args = (public.message,)
    return public


def loggable(text: str) -> str:
    """`text` as it may be logged whole: no URL credentials (`scheme://user:pass@`
    keeps `scheme://`), no terminal control sequences."""
    return CONTROL.sub("", USERINFO.sub(r"\1", text))


def _whole_words(text: str) -> str:
    """`text` without its last word, which the cut may have split (a part of an address
    would not be recognised)."""
    end = max(text.rfind(space) for space in " \t\n\r")
    return text[:end] if end > 0 else text


def _endpoint_pattern(endpoints: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for every form of the `endpoints`: the whole text, without its
    trailing slash, its `scheme://host:port`, its `host:port` and its host (with a port
    perhaps), longest first, each only as a whole word."""
    forms: set[str] = set()
    for endpoint in endpoints:
        if endpoint.strip():
            forms.update(_forms(endpoint.strip()[:MAX_READ]))
    forms.discard("")
    if not forms:
        return None
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w.-])(?:{alternatives})(?::\d{{1,5}})?(?!\.?[\w-])", re.I)


def _forms(endpoint: str) -> set[str]:
    """The texts an endpoint may appear as in a message (see `_endpoint_pattern`)."""
    try:
        parts = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
        host = parts.hostname or ""
    except ValueError:
        return {endpoint}
    netloc = parts.netloc.rpartition("@")[2]
    forms = {endpoint, endpoint.rstrip("/"), netloc, host, f"[{host}]" if ":" in host else ""}
    if parts.scheme and netloc:
        forms.add(f"{parts.scheme}://{netloc}")
    return forms


def _url(match: re.Match[str]) -> str:
    """A URL's placeholder, and the punctuation the prose put after it."""
    url = match[0]
    end = len(url)
    while end and (
        url[end - 1] in TRAILING
        or (url[end - 1] in CLOSING and CLOSING[url[end - 1]] not in url[:end])
    ):
        end -= 1
    return ENDPOINT + url[end:]


def _bracketed(match: re.Match[str]) -> str:
    if not _is_v6(match[1]):
        return match[0]
    return ENDPOINT if match[2] else ADDRESS


def _bare(match: re.Match[str]) -> str:
    literal = match[0].rstrip(".:")
    if literal.count(":") < 2 or not _is_v6(literal.partition("%")[0]):
        return match[0]
    return ADDRESS + match[0][len(literal) :]


def _is_v6(text: str) -> bool:
    """Whether `text` is an IPv6 literal (not `::` alone, which prose may hold)."""
    if not any(c.isalnum() for c in text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _host_port(match: re.Match[str]) -> str:
    host = match[1]
    if not any(c.isalpha() for c in host) or DATE_HOUR.match(host):
        return match[0]
    return ENDPOINT
