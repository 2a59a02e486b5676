"""Secrets at rest: Fernet sealing of credentials, and hashing of API tokens.

Cloud credentials and root passwords are sealed with one Fernet key, taken
from `VERTICE_SECRET_KEY` or from a key file created on first use (mode 0600).
API tokens are random and long, so a plain SHA-256 digest is enough to store
them: the token itself is shown once and never kept.

`cryptography` is imported on the first seal or open, not before: it weighs
about 9 MB per process, and most API workers never touch a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vertice_core.config import Config
from vertice_core.errors import ConfigurationError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

TOKEN_PREFIX = "vt_"  # noqa: S105 -- a name, not a secret


class SecretBox:
    """Seals and opens secrets with the installation's Fernet key."""

    def __init__(self, key: str | bytes) -> None:
        # The check Fernet makes, without importing it: 32 url-safe base64-encoded bytes.
        try:
            raw = base64.urlsafe_b64decode(key)
        except (binascii.Error, ValueError, TypeError):
            raw = b""
        if len(raw) != 32:
            raise ConfigurationError(
                "the secret key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
            )
        self._key = key
        self._made: Fernet | None = None

    @property
    def _fernet(self) -> Fernet:
        if self._made is None:
            from cryptography.fernet import Fernet

            self._made = Fernet(self._key)
        return self._made

    def digest(self, plaintext: str) -> str:
        """A keyed digest of `plaintext` (to tell whether a secret changed without storing
        anything a guess could be checked against)."""
        key = hashlib.sha256(b"vertice-digest:" + str(self._key).encode()).digest()
        return hashlib.blake2b(plaintext.encode(), key=key, digest_size=16).hexdigest()

    def seal(self, plaintext: str) -> str:
        """An opaque token of `plaintext`."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plaintext of a token made by `seal`."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ConfigurationError(
                "a stored secret cannot be decrypted: the secret key changed"
            ) from None

    def seal_json(self, value: dict[str, Any]) -> str:
        """Seal a JSON object (an empty object seals to the empty string)."""
        return self.seal(json.dumps(value, sort_keys=True)) if value else ""

    def open_json(self, sealed: str) -> dict[str, Any]:
        """Open what `seal_json` made."""
        if not sealed:
            return {}
        value = json.loads(self.open(sealed))
        if not isinstance(value, dict):
            raise ConfigurationError("a stored secret is not a JSON object")
        return value


def load_key(config: Config) -> str:
    """The Fernet key of the installation, creating the key file on first use."""
    if config.secret_key:
        return config.secret_key
    path: Path = config.key_file
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    # Written whole to a private file, then linked into place: two processes starting
    # together never write two different keys (a link never replaces a file), and the key
    # file never exists empty or half-written (a process killed while creating it left an
    # empty one, and every later start failed: "not a valid Fernet key").
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-", suffix=".key")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_text().strip()
        return key
    finally:
        os.unlink(temporary)


def new_key() -> str:
    """A new Fernet key (what `Fernet.generate_key()` makes)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def new_token() -> str:
    """A new random API token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a token: its SHA-256 hex digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a, b)
