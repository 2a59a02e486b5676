"""Constrained scalar types used by the model.

They are `NewType`s, so at run time they are plain `str`/`int`/`float`; the
converter registers one structure hook per type that enforces the constraint
and reports a readable message at the field's JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NewType

import attrs

#: A resource name: it appears in URIs, cloud tags and container names.
Name = NewType("Name", str)
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
NAME_RULE = "1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"

#: Free-form labels. The converter also accepts the design document's `"[a, b]"` form.
Tags = NewType("Tags", list[str])

#: The largest integer a count, size or lifetime may be: what a signed 32-bit column holds.
MAX_INT = 2**31 - 1

#: An integer >= 1 (CPUs, MiB of RAM).
Positive = NewType("Positive", int)
#: An integer >= 0 (GiB of disk, counters).
NonNegative = NewType("NonNegative", int)
#: A TCP port, 1 to 65535.
Port = NewType("Port", int)

#: A number in [0, 1] (rates of injected faults).
Fraction = NewType("Fraction", float)
#: A number >= 0 (prices, latencies in seconds).
NonNegativeFloat = NewType("NonNegativeFloat", float)


def name_problem(value: str) -> str | None:
    """Why `value` is not a valid `Name`, or None when it is."""
    if NAME_PATTERN.fullmatch(value):
        return None
    return f"{value!r} is not a valid name ({NAME_RULE})"


#: An OpenSSH public key line: `ssh-ed25519 AAAA... comment`.
PublicKeyText = NewType("PublicKeyText", str)
PUBLIC_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)

#: A root password for a launch: 8 to 128 printable characters.
Password = NewType("Password", str)

#: A short free text (a token's name, a provider's region): at most 255 characters.
Label = NewType("Label", str)
LABEL_MAX = 255
#: Where a cloud's API answers: "" (the cloud's public one) or an http(s) URL of at most 1024
#: characters, with no user or password (those are credentials).
Endpoint = NewType("Endpoint", str)
ENDPOINT_MAX = 1024
#: An ISO 4217 currency code: three capital letters such as `USD`.
Currency = NewType("Currency", str)
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")


def length_problem(limit: int) -> Callable[[str], str | None]:
    """A check that a string holds at most `limit` characters (what its column stores)."""

    def problem(value: str) -> str | None:
        return f"must be at most {limit} characters long" if len(value) > limit else None

    return problem


def endpoint_problem(value: str) -> str | None:
    """Why `value` is not an `Endpoint`, or None when it is (the text only: which hosts an
    installation refuses is its region service's call, `vertice_core.addresses`)."""
    from urllib.parse import urlsplit

    if not value:
        return None
    if len(value) > ENDPOINT_MAX:
        return f"must be at most {ENDPOINT_MAX} characters long"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "must be an http:// or https:// URL with a valid host and port"
    if parts.scheme.lower() not in ("http", "https"):
        scheme = f"{parts.scheme}://" if parts.scheme else "a bare name"
        return f"must be an http:// or https:// URL, not {scheme[:20]}"
    if not parts.hostname or port == 0:
        return "must be an http:// or https:// URL with a host (and a port from 1 to 65535)"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user or password: put them in the region's credentials"
    return None


def currency_problem(value: str) -> str | None:
    """Why `value` is not an ISO 4217 currency code, or None when it is."""
    if CURRENCY_PATTERN.fullmatch(value):
        return None
    return f"{value!r} is not a currency code (three capital letters such as 'USD')"


def public_key_problem(value: str) -> str | None:
    """Why `value` is not an OpenSSH public key line, or None when it is."""
    import base64
    import binascii

    parts = value.strip().split()
    if len(parts) < 2 or parts[0] not in PUBLIC_KEY_TYPES:
        return "must be an OpenSSH public key line such as 'ssh-ed25519 AAAA... comment'"
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return "the key's base64 body is malformed"
    # The blob starts with the length-prefixed key type; it must repeat the first word.
    if len(blob) < 4 or blob[4 : 4 + int.from_bytes(blob[:4], "big")] != parts[0].encode():
        return "the key's body does not match its type"
    return None


def password_problem(value: str) -> str | None:
    """Why `value` is not an acceptable root password, or None when it is."""
    if not 8 <= len(value) <= 128:
        return "must be 8 to 128 characters long"
    if not value.isprintable():
        return "must contain printable characters only"
    return None


#: A DNS hostname a route serves: lower-case labels of letters, digits and '-'.
Hostname = NewType("Hostname", str)
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def hostname_problem(value: str) -> str | None:
    """Why `value` is not a valid `Hostname` (lower case, 253 characters at most)."""
    if not value or len(value) > 253:
        return f"{value[:64]!r} is not a hostname (1 to 253 characters)"
    if value != value.lower():
        return f"{value!r} is not a hostname (write it in lower case)"
    if not all(_LABEL.fullmatch(label) for label in value.split(".")):
        return (
            f"{value!r} is not a hostname (dot-separated labels of 1 to 63 letters, digits "
            "or '-', not starting or ending with '-')"
        )
    return None


#: The path prefix a route serves: "" (every path) or "/" followed by URL path characters.
PathPrefix = NewType("PathPrefix", str)
_PATH = re.compile(r"(/[A-Za-z0-9._~!$&'()+,;=:@%-]+)+")


def path_prefix_problem(value: str) -> str | None:
    """Why `value` is not a valid `PathPrefix` (no trailing '/', no wildcard, 200 at most)."""
    if value == "" or (len(value) <= 200 and _PATH.fullmatch(value)):
        return None
    return (
        f"{value[:64]!r} is not a path prefix ('' or segments such as '/api/v1': '/' then "
        "URL path characters, no trailing '/', no '*' or '?', 200 characters at most)"
    )


#: The most characters the path of a health check or probe may hold.
HEALTH_PATH_MAX = 200


def request_path(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """An attrs validator: a path such as `/healthz` that a check requests."""
    if (
        not value.startswith("/")
        or len(value) > HEALTH_PATH_MAX
        or any(c.isspace() or c in "#?*" for c in value)
    ):
        raise ValueError(
            f"{attribute.name}: must be a path such as /healthz ({HEALTH_PATH_MAX} characters "
            f"at most, no spaces, '?', '#' or '*')"
        )


def seconds_between(
    low: float, high: float
) -> Callable[[object, attrs.Attribute[float], float], None]:
    """An attrs validator: a number of seconds from `low` to `high`."""

    def check(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
        if not low <= value <= high:
            raise ValueError(f"{attribute.name}: must be from {low:g} to {high:g} seconds")

    return check
